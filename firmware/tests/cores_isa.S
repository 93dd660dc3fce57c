/* One instruction that not every core has (tests/test_cores.py): -DISA_DSP an ARMv7E-M DSP
 * SMLAD, -DISA_WIDE a 32-bit Thumb-2 ADD.W (not ARMv6-M), -DISA_FP a VADD.F32; none of them: a
 * NOP. They are emitted as raw encodings so that any -mcpu assembles them. main enables the
 * UsageFault handler (SHCSR.USGFAULTENA) first; the HardFault handler exits with 3, the
 * UsageFault handler with 6, main with 0. */
    .syntax unified
    .thumb
    .text
    .global main
    .type main, %function
    .thumb_func
main:
    push {r4, lr}
    ldr r0, =0xE000ED24         /* SHCSR */
    ldr r1, [r0]
    ldr r2, =0x40000            /* USGFAULTENA */
    orrs r1, r2
    str r1, [r0]
    movs r1, #2
    movs r2, #3
    movs r0, #0
    .global isa_insn
    .type isa_insn, %function
isa_insn:
#if defined(ISA_DSP)
    .inst.w 0xfb210302          /* smlad r3, r1, r2, r0 */
#elif defined(ISA_WIDE)
    .inst.w 0xeb010002          /* add.w r0, r1, r2 */
#elif defined(ISA_FP)
    .inst.w 0xee300a81          /* vadd.f32 s0, s1, s2 */
#else
    nop
#endif
    movs r0, #0
    pop {r4, pc}
    .pool

    .global HardFault_Handler
    .type HardFault_Handler, %function
    .thumb_func
HardFault_Handler:
    movs r0, #3
    bl hal_exit

    .global UsageFault_Handler
    .type UsageFault_Handler, %function
    .thumb_func
UsageFault_Handler:
    movs r0, #6
    bl hal_exit
