@ FPv4-SP timings (Cortex-M4 TRM FPU table): VADD/VMUL 1, VMLA 3, VDIV 14, VSQRT 14,
@ VLDR/VSTR (single) 2, VMOV core<->single 2.
@   ldr r7, ram_ptr 2, movs 1
@   per iteration: vldr 2, vldr 2, vadd 1, vmul 1, vmla 3, vdiv 14, vsqrt 14, vstr 2,
@   vmov s4, r0 2, subs 1, bne 2 / 1 -> 43 + 1
@   10 iterations: 3 + 10 * 43 + 9 * 1 = 442 cycles (cortex-m4f).
  .syntax unified
  .thumb
  .fpu fpv4-sp-d16
  .text
  .global _start
_start:
  ldr r7, ram_ptr
  movs r0, #10
loop:
  vldr s0, [r7]
  vldr s1, [r7, #4]
  vadd.f32 s2, s0, s1
  vmul.f32 s3, s2, s1
  vmla.f32 s3, s0, s1
  vdiv.f32 s5, s3, s1
  vsqrt.f32 s6, s5
  vstr s6, [r7, #8]
  vmov s4, r0
  subs r0, #1
  bne loop
done:
  b done
  .balign 4
ram_ptr:
  .word 0x20000000
