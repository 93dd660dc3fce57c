*** Comments ***
Renode-style tests of tandem's line shell on the STM32F4DISCOVERY (run by tests/test_renode_robot.py
with --variable BIN:/path/to/renode_shell.elf).

*** Settings ***
Suite Setup                   Setup
Suite Teardown                Teardown
Test Setup                    Reset Emulation
Test Teardown                 Test Teardown
Resource                      ${RENODEKEYWORDS}

*** Variables ***
${SCRIPT}                     ${CURDIR}/stm32f4_shell.resc
${UART}                       sysbus.usart2
${PROMPT}                     tandem>

*** Keywords ***
Create Machine
    Execute Command           $bin=@${BIN}
    Execute Script            ${SCRIPT}
    Create Terminal Tester    ${UART}    timeout=1

*** Test Cases ***
Should Print The Banner
    Create Machine
    Start Emulation
    ${line}=                  Wait For Line On Uart    tandem shell on (\\w+)    treatAsRegex=true
    Should Be Equal           ${line.groups}[0]    stm32f4_discovery
    Wait For Prompt On Uart   ${PROMPT}
    Provides                  booted

Should Echo A Line
    Requires                  booted
    Write Line To Uart        echo hello tandem
    Wait For Line On Uart     hello tandem
    Wait For Prompt On Uart   ${PROMPT}

Should Answer Key By Key
    Requires                  booted
    Send Key To Uart          0x68
    Send Key To Uart          i
    Send Key To Uart          0x0D
    Wait For Line On Uart     unknown: hi

Should Drive The LED
    Requires                  booted
    Create LED Tester         sysbus.gpioPortD.UserLED
    Assert LED State          false
    Write Line To Uart        led on
    Assert LED State          true    timeout=0.01
    Write Line To Uart        led off
    Assert LED State          false    timeout=0.01

Should Log An Unmodelled Part
    Requires                  booted
    Create Log Tester         0.01
    Should Not Be In Log      crc
    Write Line To Uart        poke
    Wait For Log Entry        crc (CRC.STM32_CRC) is not modelled

Should Read Registers And Memory
    Create Machine
    ${pc}=                    Execute Command    cpu PC
    ${vector}=                Execute Command    sysbus ReadDoubleWord 0x08000004
    ${entry}=                 Evaluate    int($vector, 16) & ~1    # the reset vector, Thumb bit clear
    Should Be Equal As Integers    ${pc}    ${entry}
    PC Should Be Equal        ${entry}
    Execute Command           cpu SetRegister 0 0x1234
    Register Should Be Equal  0    0x1234
    Execute Command           emulation RunFor "0.001"
    Wait For Prompt On Uart   ${PROMPT}    timeout=0

Should Exit With A Code
    Requires                  booted
    Write Line To Uart        exit 7    waitForEcho=false
    Run Keyword And Expect Error    *the firmware exited (code 7)*    Wait For Line On Uart    never printed
