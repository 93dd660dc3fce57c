/* Extended (FP) exception frames in memory (tests/test_exceptions.py), on a Cortex-M4F:
 * svc 0 from Thread/MSP with the FPU in use (EXC_RETURN 0xFFFFFFE9): the handler copies its
 * 26-word frame out, then overwrites S0 in the register file and the S1 and FPSCR words in the
 * frame: the return must restore S0 from the frame and load S1/FPSCR from memory.
 * svc 1 from Thread/PSP (0xFFFFFFED), whose handler uses the FPU and pends IRQ0 (priority
 * above SVCall's): 0xFFFFFFE1. svc 2 (a handler without FP) after a final FP instruction.
 * FPCCR is written first: LSPEN as FPCCR_VALUE (a -D define) says. */
    .syntax unified
    .thumb

#ifndef FPCCR_VALUE
#define FPCCR_VALUE 0xC0000000
#endif

    .bss
    .align 3
    .global results
results:            /* 0 lr0 1 frameptr0 2 fpcar0 3 fpccr0 4 s0_after 5 s1_after 6 fpscr_after
                       7 control_after 8 lr1 9 lr_irq 10 control_in_svc 11 msp_end 12 psp_end */
    .space 64
    .global frame_copy
frame_copy:
    .space 26 * 4
psp_stack:
    .space 512
psp_top:

    .section .rodata
    .align 2
fp_vals:
    .word 0x3f800000, 0x40000000, 0x40400000, 0x40800000, 0x40a00000, 0x40c00000, 0x40e00000, 0x41000000
    .word 0x41100000, 0x41200000, 0x41300000, 0x41400000, 0x41500000, 0x41600000, 0x41700000, 0x41800000

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, lr}
    ldr r0, =0xE000EF34         /* FPCCR */
    ldr r1, =FPCCR_VALUE
    str r1, [r0]
    ldr r0, =0xE000ED1F         /* SHPR2 byte 3: SVCall priority 0x80 */
    movs r1, #0x80
    strb r1, [r0]
    ldr r0, =0xE000E100         /* ISER0: IRQ0 (priority 0) */
    movs r1, #1
    str r1, [r0]
    ldr r0, =fp_vals
    vldmia r0, {s0-s15}
    ldr r1, =0x00C00000         /* FPSCR.RMode = round towards zero */
    vmsr fpscr, r1
    svc 0
    ldr r1, =results
    vmov r2, s0
    str r2, [r1, #16]
    vmov r2, s1
    str r2, [r1, #20]
    vmrs r2, fpscr
    str r2, [r1, #24]
    mrs r2, control
    str r2, [r1, #28]
    /* Thread mode on PSP, FPU still in use */
    ldr r0, =psp_top
    msr psp, r0
    mrs r0, control
    orr r0, r0, #2
    msr control, r0
    isb
    svc 1
    vmov s3, r0                 /* FP again, then a handler without FP */
    svc 2
    mrs r0, control
    bic r0, r0, #2
    msr control, r0
    isb
    ldr r1, =results
    mrs r2, msp
    str r2, [r1, #44]
    mrs r2, psp
    str r2, [r1, #48]
    movs r0, #0
    pop {r4, pc}

    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    tst lr, #4
    ite eq
    mrseq r0, msp
    mrsne r0, psp
    ldr r1, [r0, #24]           /* stacked PC -> the SVC's immediate */
    ldrb r1, [r1, #-2]
    cmp r1, #1
    beq svc1
    bhi svc2
    ldr r1, =results
    str lr, [r1, #0]
    str r0, [r1, #4]
    ldr r2, =0xE000EF38
    ldr r3, [r2]
    str r3, [r1, #8]
    ldr r3, [r2, #-4]
    str r3, [r1, #12]
    ldr r2, =frame_copy         /* copy the 26 words of the frame */
    movs r3, #26
1:  ldr r12, [r0], #4
    str r12, [r2], #4
    subs r3, #1
    bne 1b
    sub r0, r0, #104
    ldr r2, =0x12345678
    vmov s0, r2                 /* clobber S0 in the registers: the frame restores it */
    ldr r2, =0xCAFEF00D
    str r2, [r0, #0x24]         /* S1's slot in the frame */
    ldr r2, =0x03000000         /* FPSCR's slot: DN and FZ */
    str r2, [r0, #0x60]
    bx lr
svc1:
    ldr r1, =results
    str lr, [r1, #32]
    vmov s2, r1                 /* this handler uses the FPU: FPCA set */
    mrs r2, control
    str r2, [r1, #40]
    ldr r0, =0xE000EF00         /* STIR: IRQ0 preempts SVCall */
    movs r2, #0
    str r2, [r0]
    b 2f
2:  bx lr
svc2:
    bx lr

    .global IRQ_Handler
    .type IRQ_Handler, %function
    .thumb_func
IRQ_Handler:
    ldr r1, =results
    str lr, [r1, #36]
    bx lr
