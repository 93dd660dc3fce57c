/* An unprivileged task (CONTROL.nPRIV and SPSEL set) calling SVC (tests/test_exceptions.py).
 * Unicorn reads MSP, PSP and the masks as 0 in unprivileged Thread mode and ignores writes to
 * them: the model must still stack onto the right PSP and return to it. svc 0 returns as it
 * came; svc 1 raises privilege (clears nPRIV in the handler). results: 0 LR in svc 0 1 PSP in
 * svc 0 2 CONTROL after svc 0 3 PSP after svc 0 4 CONTROL after svc 1 5 PSP after svc 1
 * 6 r4 after both (callee-saved, untouched). */
    .syntax unified
    .thumb

    .bss
    .align 3
    .global results
results:
    .space 32
    .global task_stack
task_stack:
    .space 256
    .global task_top
task_top:

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4-r6, lr}
    mov r6, sp
    ldr r5, =results
    ldr r0, =task_top
    msr psp, r0
    movs r0, #3                 /* unprivileged, on PSP */
    msr control, r0
    isb
    movs r4, #0x77
    svc 0
    mrs r0, control
    str r0, [r5, #8]
    mov r0, sp
    str r0, [r5, #12]
    svc 1
    mrs r0, control
    str r0, [r5, #16]
    mov r0, sp
    str r0, [r5, #20]
    str r4, [r5, #24]
    movs r0, #0                 /* privileged again: back to MSP */
    msr control, r0
    isb
    mov sp, r6
    pop {r4-r6, pc}

    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    mrs r0, psp
    ldr r1, [r0, #24]
    ldrb r1, [r1, #-2]
    cbnz r1, 1f
    ldr r2, =results
    str lr, [r2, #0]
    str r0, [r2, #4]
    bx lr
1:  mrs r0, control             /* svc 1: clear nPRIV */
    bic r0, r0, #1
    msr control, r0
    isb
    bx lr
