/* Frame alignment (tests/test_exceptions.py): SVC from an SP that is 4 modulo 8. With
 * CCR.STKALIGN (reset 1) the frame is realigned to 8 bytes and the stacked xPSR's bit 9 says
 * so; with STKALIGN cleared it sits right below SP. The return must give back the same SP
 * either way. Then NMI pended through ICSR.NMIPENDSET from a handler with FAULTMASK set: NMI
 * still preempts (priority -2) and its return leaves FAULTMASK alone.
 * results: 0 SP before 1 frame (aligned) 2 stacked xPSR (aligned) 3 SP after
 *          4 frame (unaligned) 5 stacked xPSR (unaligned) 6 SP after 7 NMI count
 *          8 FAULTMASK in the SVC handler after NMI returned */
    .syntax unified
    .thumb

    .bss
    .align 2
    .global results
results:
    .space 64

    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, r5, r6, lr}
    ldr r4, =results
    mov r6, sp
    bic r0, r6, #7
    sub r0, r0, #4              /* SP = 4 modulo 8 */
    mov sp, r0
    str r0, [r4, #0]
    svc 0
    mov r0, sp
    str r0, [r4, #12]
    ldr r1, =0xE000ED14         /* CCR: clear STKALIGN */
    ldr r2, [r1]
    bic r2, r2, #0x200
    str r2, [r1]
    svc 1
    mov r0, sp
    str r0, [r4, #24]
    orr r2, r2, #0x200
    str r2, [r1]
    svc 2
    mov sp, r6
    movs r0, #0
    pop {r4, r5, r6, pc}

    .global SVC_Handler
    .type SVC_Handler, %function
    .thumb_func
SVC_Handler:
    ldr r0, [sp, #24]
    ldrb r0, [r0, #-2]
    ldr r1, =results
    cmp r0, #2
    beq 2f
    lsls r0, r0, #3             /* svc n -> results[1 + 3n], results[2 + 3n] */
    add r0, r0, r0, lsr #1
    adds r0, r0, r1
    mov r2, sp
    str r2, [r0, #4]
    ldr r2, [sp, #28]
    str r2, [r0, #8]
    bx lr
2:  cpsid f                     /* svc 2: FAULTMASK, then NMI */
    ldr r0, =0xE000ED04
    mov r2, #0x80000000
    str r2, [r0]
    b 3f
3:  mrs r2, faultmask
    str r2, [r1, #32]
    bx lr

    .global NMI_Handler
    .type NMI_Handler, %function
    .thumb_func
NMI_Handler:
    ldr r1, =results
    ldr r2, [r1, #28]
    adds r2, #1
    str r2, [r1, #28]
    bx lr
