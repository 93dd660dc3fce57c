*** Comments ***
tandem's counterpart of Renode's renode-keywords.robot: `tandem robot` sets ${RENODEKEYWORDS} to
this file, so test files written for Renode (`Resource  ${RENODEKEYWORDS}`) find Renode's keywords
(Setup, Teardown, Test Teardown, Execute Command, Wait For Line On Uart, ...) in tandem's library.

*** Variables ***
${TANDEM_PLATFORM_DIRS}    ${EMPTY}

*** Settings ***
Library    tandem.renode.robot.RenodeKeywords    platforms=${TANDEM_PLATFORM_DIRS}
