/* Nesting by group priority under AIRCR.PRIGROUP (tests/test_exceptions.py). IRQ1 (priority
 * 0x60) pends IRQ0 (0x40) and then IRQ2 (0x00) from its handler. With PRIGROUP 5 the group is
 * bits [7:6]: IRQ0 is in IRQ1's group (0x40) and only has a higher subpriority, so it waits
 * for IRQ1's return (then tail-chains), while IRQ2 (group 0) preempts. With PRIGROUP 0 (group
 * bits [7:1]) IRQ0 preempts too. Each handler logs 0x10+n on entry and 0x20+n on exit into
 * `log`, one byte each. */
    .syntax unified
    .thumb

    .bss
    .global log
log:
    .space 32
    .global log_pos
    .align 2
log_pos:
    .space 4

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, lr}
    ldr r0, =0xE000E400
    ldr r1, =0x00006040         /* bytes: IRQ0 0x40, IRQ1 0x60, IRQ2 0x00 */
    str r1, [r0]
    ldr r0, =0xE000E100
    movs r1, #7
    str r1, [r0]
    ldr r0, =0xE000ED0C         /* AIRCR: VECTKEY, PRIGROUP 5 */
    ldr r1, =0x05FA0500
    str r1, [r0]
    bl fire
    ldr r0, =0xE000ED0C         /* PRIGROUP 0 */
    ldr r1, =0x05FA0000
    str r1, [r0]
    bl fire
    movs r0, #0
    pop {r4, pc}

fire:
    ldr r0, =0xE000EF00         /* STIR: IRQ1 */
    movs r1, #1
    str r1, [r0]
    b 1f
1:  bx lr

log_byte:                       /* r0 = byte; clobbers r1, r2 */
    ldr r1, =log_pos
    ldr r2, [r1]
    adds r2, #1
    str r2, [r1]
    ldr r1, =log - 1
    strb r0, [r1, r2]
    bx lr

    .global IRQ_Handler
    .type IRQ_Handler, %function
    .thumb_func
IRQ_Handler:
    push {r4, lr}
    mrs r4, ipsr
    subs r4, #16
    adds r0, r4, #0x10
    bl log_byte
    cmp r4, #1
    bne 2f
    ldr r3, =0xE000EF00
    movs r0, #0                 /* pend IRQ0 */
    str r0, [r3]
    b 1f
1:  movs r0, #2                 /* pend IRQ2 */
    str r0, [r3]
    b 2f
2:  adds r0, r4, #0x20
    bl log_byte
    pop {r4, pc}
