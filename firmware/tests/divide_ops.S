/* 100 SDIV/UDIV of DIVIDEND by DIVISOR (tests/test_divide_timing.py): -DSIGNED for SDIV, and
 * -DIT_MODE=1 (the IT condition passes) or 2 (it fails) to put the division in an IT block. */
    .syntax unified
    .thumb
    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, lr}
    ldr r0, =DIVIDEND
    ldr r1, =DIVISOR
    movs r4, #100
1:
#if defined(IT_MODE)
#if IT_MODE == 1
    cmp r4, r4
#else
    cmp r4, #0
#endif
    it eq
#ifdef SIGNED
    sdiveq r2, r0, r1
#else
    udiveq r2, r0, r1
#endif
#else
#ifdef SIGNED
    sdiv r2, r0, r1
#else
    udiv r2, r0, r1
#endif
#endif
    subs r4, #1
    bne 1b
    movs r0, #0
    pop {r4, pc}
    .pool
