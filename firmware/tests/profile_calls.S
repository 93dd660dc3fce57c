/* A call structure with hand-derivable cycles for the profiler's tests (zero-wait memory,
 * Cortex-M3/M4 timing of docs/timing.md): main calls outer 10 times, outer calls inner twice.
 *
 * BL, BX LR and B<cond> issue their target fetch in decode: 1 + P with P = 1.
 *
 *   inner: adds 1 + bx lr 2                                     =  3 per call, 20 calls
 *   outer: push{r3,lr} 3 + bl 2 + bl 2 + pop{r3,pc} 6           = 13 per call, 10 calls
 *   main:  push 3 + movs 1 + 10 x (bl 2 + subs 1 + bne 1) + 9 taken x 1 + movs 1 + pop 6 = 60
 *
 * so inner: self 60, inclusive 60; outer: self 130, inclusive 190; main: self 60,
 * inclusive 250, called once (by Reset_Handler). */
    .syntax unified
    .thumb
    .text

    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, lr}
    movs r4, #10
1:  bl outer
    subs r4, #1
    bne 1b
    movs r0, #0
    pop {r4, pc}
    .size main, .-main

    .type outer, %function
    .thumb_func
outer:
    push {r3, lr}
    bl inner
    bl inner
    pop {r3, pc}
    .size outer, .-outer

    .type inner, %function
    .thumb_func
inner:
    adds r0, r0, #1
    bx lr
    .size inner, .-inner
