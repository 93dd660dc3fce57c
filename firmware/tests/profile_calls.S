/* A call structure with hand-derivable cycles for the profiler's tests (zero-wait memory,
 * Cortex-M3/M4 timing of docs/timing.md): main calls outer 10 times, outer calls inner twice.
 *
 *   inner: adds 1 + bx lr 3                                     =  4 per call, 20 calls
 *   outer: push{r3,lr} 3 + bl 3 + bl 3 + pop{r3,pc} 6           = 15 per call, 10 calls
 *   main:  push 3 + movs 1 + 10 x (bl 3 + subs 1 + bne 1) + 9 taken x 2 + movs 1 + pop 6 = 79
 *
 * so inner: self 80, inclusive 80; outer: self 150, inclusive 230; main: self 79,
 * inclusive 309, called once (by Reset_Handler). */
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
