/* LOOPS supervisor calls to an empty handler (tests/test_cores.py): one iteration is SVC, the
 * exception entry, the handler's BX LR, the exception return, SUBS and a taken BNE. */
#ifndef LOOPS
#define LOOPS 100
#endif
    .syntax unified
    .thumb
    .text
    .global main
    .type main, %function
    .thumb_func
main:
    movs r1, #LOOPS
    b 1f
    .align 2
1:
    svc #0
    subs r1, #1
    bne 1b
    movs r0, #0
    bx lr

    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    bx lr
