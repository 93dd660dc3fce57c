/* Stack use known by construction: main records its SP in g_rec_sp, then rec(DEPTH) recurses
 * DEPTH times with a 32-byte frame (push of four registers + sub sp, #16). The deepest SP is
 * g_rec_sp - 32 * DEPTH, so the high-water mark is (reset SP - g_rec_sp) + 32 * DEPTH as
 * long as nothing else goes deeper (start-up and exit use far less than DEPTH=64 frames).
 *
 * With DYN=n, main first lowers SP by a register amount (SUB SP, SP, Rn: not known to a
 * static decoder, as alloca does), calls touch() to store at the new bottom and restores SP:
 * the mark is then (reset SP - g_rec_sp) + max(n, 32 * DEPTH). */
#ifndef DEPTH
#define DEPTH 64
#endif
#ifndef DYN
#define DYN 0
#endif
    .syntax unified
    .thumb

    .bss
    .align 2
    .global g_rec_sp
g_rec_sp:
    .space 4

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, lr}
    ldr r1, =g_rec_sp
    mov r0, sp
    str r0, [r1]
    ldr r2, =DYN
    sub sp, sp, r2
    mov r0, sp
    bl touch
    add sp, sp, r2
    movs r0, #DEPTH
    bl rec
    movs r0, #0
    pop {r4, pc}
    .size main, .-main

    .type touch, %function
    .thumb_func
touch:
    str r0, [r0]
    bx lr
    .size touch, .-touch

    .type rec, %function
    .thumb_func
rec:
    push {r4, r5, r6, lr}
    sub sp, #16
    str r0, [sp]
    subs r0, #1
    beq 1f
    bl rec
1:  add sp, #16
    pop {r4, r5, r6, pc}
    .size rec, .-rec
    .ltorg
