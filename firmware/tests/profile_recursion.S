/* A recursive function for the profiler's tests: its calls return into itself, so a return
 * lands in the function already running (zero-wait memory, Cortex-M3/M4 timing of
 * docs/timing.md; BL and a taken B<cond> 1 + P with P = 1, POP {.., pc} 1 + 2 + 3).
 *
 *   rec(n): push{r4,lr} 3 + subs 1, then for n > 1: beq not taken 1 + bl 2 + pop{r4,pc} 6 = 13,
 *           for n = 1: beq taken 2 + pop{r4,pc} 6 = 12
 *   main:   push{r4,lr} 3 + movs 1 + bl 2 + movs 1 + pop{r4,pc} 6 = 13
 *
 * main calls rec(8): rec is called 8 times, self 7 x 13 + 12 = 103 (inclusive the same, a
 * recursion counted once); main self 13, inclusive 116. The base case returns from its own
 * POP, not by branching to the POP after the BL (that address is where a return lands). */
    .syntax unified
    .thumb
    .text

    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, lr}
    movs r0, #8
    bl rec
    movs r0, #0
    pop {r4, pc}
    .size main, .-main

    .type rec, %function
    .thumb_func
rec:
    push {r4, lr}
    subs r0, #1
    beq 2f
    bl rec
    pop {r4, pc}
2:  pop {r4, pc}
    .size rec, .-rec
