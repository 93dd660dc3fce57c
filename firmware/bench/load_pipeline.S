@ Back-to-back loads pipeline (TRM load/store timings: N independent loads take N + 1
@ cycles; STR is 1; a load after a store is not pipelined).
@   ldr r7, ram_ptr 2, movs 1
@   per iteration: ldr 2, ldr 1, ldr 1 (pipelined), str 1, ldr 2 (after a store), adds 1,
@   subs 1, bne 1 + 1 taken / 1 not taken  -> 10 + 1
@   50 iterations: 3 + 50 * 10 + 49 * 1 = 552 cycles.
  .syntax unified
  .thumb
  .text
  .global _start
_start:
  ldr r7, ram_ptr
  movs r0, #50
loop:
  ldr r1, [r7]
  ldr r2, [r7, #4]
  ldr r3, [r7, #8]
  str r1, [r7, #12]
  ldr r4, [r7, #16]
  adds r4, r2, r3
  subs r0, #1
  bne loop
done:
  b done
  .balign 4
ram_ptr:
  .word 0x20000000
