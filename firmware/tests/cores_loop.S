/* A counted loop for the per-core cycle tests (tests/test_cores.py): LOOPS iterations of a body
 * of three independent ADDS (or one MULS with -DMULS_BODY), SUBS and a taken BNE. Two builds
 * that differ only in LOOPS (both below 256: the same code size) differ in cycles by exactly
 * (LOOPS difference) x (one taken iteration). */
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
    movs r0, #1
    movs r2, #3
    movs r3, #0
    b 1f
    .align 2
1:
#ifdef MULS_BODY
    muls r0, r2, r0
#else
    adds r0, #1
    adds r2, #1
    adds r3, #1
#endif
    subs r1, #1
    bne 1b
    movs r0, #0
    bx lr
