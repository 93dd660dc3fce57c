/* ARMv8-M stack limit (tests/test_cores.py): MSPLIM set 16 bytes below SP, then two pushes of
 * 16 bytes: the second takes SP below the limit, a UsageFault with UFSR.STKOF. */
    .syntax unified
    .thumb
    .text
    .global main
    .type main, %function
    .thumb_func
main:
    mov r0, sp
    subs r0, #16
    msr msplim, r0
    push {r4-r7}
    push {r4-r7}
    movs r0, #0
    bx lr
