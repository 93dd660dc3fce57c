*** Comments ***
A wait for a line that never comes: fails within its (simulated) timeout.

*** Settings ***
Suite Setup                   Setup
Suite Teardown                Teardown
Test Teardown                 Test Teardown
Resource                      ${RENODEKEYWORDS}

*** Test Cases ***
Should Time Out Waiting For A Line
    Execute Command           $bin=@${BIN}
    Execute Script            ${CURDIR}/stm32f4_shell.resc
    Create Terminal Tester    sysbus.usart2
    Start Emulation
    Wait For Line On Uart     this line never comes    timeout=0.01
