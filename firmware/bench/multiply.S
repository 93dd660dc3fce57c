@ Multiplies: single-cycle on Cortex-M4 (MLA, UMULL, SMLAL: 1); on Cortex-M3 MLA is 2 and
@ the long multiplies terminate early on their operands (UMULL/SMULL 3..5, UMLAL/SMLAL
@ 4..7): tandem charges the rounded-up midpoints 4 and 6 (docs/timing.md).
@   movs x3 = 3; per iteration: mla, umull, smlal, subs 1, bne 1 (+ 2 when taken: P = 1,
@   plus 1 because the target, the 32-bit mla at offset 6, is not word aligned)
@   Cortex-M4: 3 + 20 * 5 + 19 * 2 = 141 cycles
@   Cortex-M3: 3 + 20 * (2 + 4 + 6 + 1 + 1) + 19 * 2 = 321 cycles
  .syntax unified
  .thumb
  .text
  .global _start
_start:
  movs r0, #20
  movs r1, #3
  movs r2, #5
loop:
  mla r3, r1, r2, r3
  umull r4, r5, r1, r2
  smlal r4, r5, r1, r2
  subs r0, #1
  bne loop
done:
  b done
