/* Late arrival (tests/test_exceptions.py): main pends IRQ0 (priority 0x80); the test raises
 * IRQ1 (0x40) a few cycles into IRQ0's entry. Each handler logs its exception number and its
 * EXC_RETURN (two words per entry) into `log`. */
    .syntax unified
    .thumb

    .bss
    .align 2
    .global log
log:
    .space 32
    .global log_pos
log_pos:
    .space 4

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, lr}
    ldr r0, =0xE000E400
    ldr r1, =0x00004080         /* bytes: IRQ0 0x80, IRQ1 0x40 */
    str r1, [r0]
    ldr r0, =0xE000E100
    movs r1, #3
    str r1, [r0]
    ldr r0, =0xE000EF00         /* STIR: IRQ0 */
    movs r1, #0
    str r1, [r0]
    b 1f
1:  nop
    movs r0, #0
    pop {r4, pc}

    .global IRQ_Handler
    .type IRQ_Handler, %function
    .thumb_func
IRQ_Handler:
    ldr r0, =log_pos
    ldr r1, [r0]
    adds r2, r1, #8
    str r2, [r0]
    ldr r0, =log
    adds r0, r0, r1
    mrs r2, ipsr
    str r2, [r0]
    str lr, [r0, #4]
    b 1f
1:  bx lr
