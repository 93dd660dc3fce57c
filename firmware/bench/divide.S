@ Hardware divide: SDIV/UDIV take 2..12 cycles in hardware (early termination on the
@ operands); tandem charges the fixed midpoint 7 (docs/timing.md).
@   movs 1, movs 1; per iteration: udiv 7, sdiv 7, subs 1, bne 2 / 1 -> 16 + 1
@   25 iterations: 2 + 25 * 16 + 24 * 1 = 426 cycles.
  .syntax unified
  .thumb
  .text
  .global _start
_start:
  movs r0, #25
  movs r1, #7
loop:
  udiv r2, r0, r1
  sdiv r3, r2, r1
  subs r0, #1
  bne loop
done:
  b done
