@ Address dependencies (Cortex-M3 and Cortex-M4 TRM load/store timings):
@  - a load is not pipelined after a load that writes its address register: 2 + 2;
@  - a load/store whose address register was written by the preceding data-processing
@    instruction stalls one cycle (no forwarding path): adds 1 + ldr 2 + 1.
@   ldr r7, ram_ptr 2, str r7, [r7] 1 (so that [r7] holds a valid pointer), movs 1
@   per iteration: ldr r1,[r7] 2; ldr r2,[r1] 2 (depends on r1); adds r7,#0 1;
@   ldr r3,[r7] 2 + 1 (AGU stall); str r3,[r7,#4] 1; subs 1; bne 1 + 1 / 1
@   -> 11 + 1 taken.  40 iterations: 4 + 40 * 11 + 39 * 1 = 483 cycles (M3 and M4).
  .syntax unified
  .thumb
  .text
  .global _start
_start:
  ldr r7, ram_ptr
  str r7, [r7]
  movs r0, #40
loop:
  ldr r1, [r7]
  ldr r2, [r1]
  adds r7, #0
  ldr r3, [r7]
  str r3, [r7, #4]
  subs r0, #1
  bne loop
done:
  b done
  .balign 4
ram_ptr:
  .word 0x20000000
