@ Single-cycle data processing and a counted loop (Cortex-M3/M4 TRM, zero wait states).
@   movs 1; per iteration: adds, eors, lsls, mul, subs 1 each; bne 1 + P (P = 1: B<cond>
@   issues its target fetch in decode, M3 TRM ETM chapter) when taken, 1 when not.
@   100 iterations: 1 + 100 * 6 + 99 * 1 = 700 cycles.
@   (Cortex-M3: MUL is also 1 cycle, same total.)
  .syntax unified
  .thumb
  .text
  .global _start
_start:
  movs r0, #100
loop:
  adds r1, r1, r2
  eors r3, r1
  lsls r4, r3, #2
  muls r5, r4, r5
  subs r0, #1
  bne loop
done:
  b done
