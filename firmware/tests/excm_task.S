/* The exception model's stacks (tests/test_exceptions.py): a FreeRTOS-style first-task start
 * (vPortStartFirstTask: MSP from VTOR[0], cpsie i, svc 0; the SVC handler loads PSP from a TCB
 * and returns with 0xFFFFFFFD), then an interrupt in the task (its frame on PSP, MSP intact,
 * LR 0xFFFFFFFD), a higher-priority interrupt nested in it (LR 0xFFFFFFF1), and an SVC from the
 * task. Results land in `results` (word offsets below). */
    .syntax unified
    .thumb

    .bss
    .align 3
    .global results
results:            /* 0 msp_at_task 1 psp_at_task 2 irq_lr 3 irq_msp 4 irq_psp 5 nest_lr
                       6 nest_msp 7 msp_after 8 psp_after 9 svc_lr 10 r4_after 11 control_task
                       12 stacked_pc 13 control_after
                       14 first_svc_lr */
    .space 64
task_stack:
    .space 512
task_top:
tcb:
    .space 4

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    /* the task's initial stack: r4-r11 (as the port saves them), then a hardware frame */
    ldr r0, =task_top
    sub r0, r0, #64
    ldr r1, =tcb
    str r0, [r1]
    movs r2, #0
    movs r3, #8
1:  str r2, [r0], #4            /* r4-r11 = 0 */
    subs r3, #1
    bne 1b
    movs r3, #5
2:  str r2, [r0], #4            /* r0-r3, r12 = 0 */
    subs r3, #1
    bne 2b
    ldr r2, =0xFFFFFFFF
    str r2, [r0], #4            /* LR */
    ldr r2, =task
    str r2, [r0], #4            /* PC */
    ldr r2, =0x01000000
    str r2, [r0], #4            /* xPSR: Thumb */
    /* IRQ0 priority 0x80, IRQ1 0x40 (preempts IRQ0); both enabled */
    ldr r0, =0xE000E400
    movs r1, #0x80
    strb r1, [r0]
    movs r1, #0x40
    strb r1, [r0, #1]
    ldr r0, =0xE000E100
    movs r1, #3
    str r1, [r0]
    /* vPortStartFirstTask */
    ldr r0, =0xE000ED08
    ldr r0, [r0]
    ldr r0, [r0]
    msr msp, r0
    cpsie i
    cpsie f
    dsb
    isb
    svc 0
    nop
    b .

    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    ldr r1, =started
    ldr r0, [r1]
    cbnz r0, later_svc
    movs r0, #1
    str r0, [r1]
    ldr r1, =results
    str lr, [r1, #56]           /* 14: the first SVC's EXC_RETURN (Thread, MSP) */
    ldr r3, =current_tcb        /* pxCurrentTCB -> TCB, whose first word is the stack top */
    ldr r1, [r3]
    ldr r0, [r1]
    ldmia r0!, {r4-r11}
    msr psp, r0
    isb
    mov r0, #0
    msr basepri, r0
    orr lr, lr, #0xd
    bx lr
later_svc:
    ldr r1, =results
    str lr, [r1, #36]
    bx lr

    .global IRQ_Handler
    .type IRQ_Handler, %function
    .thumb_func
IRQ_Handler:
    mrs r0, ipsr
    ldr r1, =results
    cmp r0, #16
    bne nested
    str lr, [r1, #8]
    mrs r2, msp
    str r2, [r1, #12]
    mrs r2, psp
    str r2, [r1, #16]
    ldr r2, [r2, #24]           /* the stacked return address */
    str r2, [r1, #48]
    ldr r0, =0xE000EF00         /* STIR: IRQ1, which preempts */
    movs r2, #1
    str r2, [r0]
    b 1f                        /* end the block: the pended IRQ1 is taken at its boundary */
1:  nop
    bx lr
nested:
    str lr, [r1, #20]
    mrs r2, msp
    str r2, [r1, #24]
    bx lr

    .type task, %function
    .thumb_func
task:
    ldr r1, =results
    mrs r2, msp
    str r2, [r1, #0]
    mrs r2, psp
    str r2, [r1, #4]
    mrs r2, control
    str r2, [r1, #44]
    movs r4, #0x5A
    ldr r0, =0xE000EF00         /* STIR: IRQ0 */
    movs r2, #0
    str r2, [r0]
    b irq_back                  /* end the block: IRQ0 is taken at the next boundary */
    .global irq_back
irq_back:
    nop
    svc 1
    ldr r1, =results
    mrs r2, msp
    str r2, [r1, #28]
    mrs r2, psp
    str r2, [r1, #32]
    str r4, [r1, #40]
    mrs r2, control
    str r2, [r1, #52]
    movs r0, #0
    bl hal_exit
    b .

    .section .data
current_tcb:
    .word tcb
started:
    .word 0
