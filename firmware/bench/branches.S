@ Table branch, compare-and-branch and IT folding (TRM: TBB 2 load + 1 add + 3 refill = 6,
@ CBZ 1 not taken, IT folds onto a preceding 16-bit instruction: 0 cycles, B 1 + P with
@ P = 1 for a decode-time branch).
@   movs r0 1, movs r1 1
@   per iteration (r0 = 10 down to 1):
@     and r2, r0, #1 1; adds r3, #1 1; tbb [pc, r2] 6
@     even r0: adds r1, #2 1; b join 2                                  -> 3 more
@     odd r0:  adds r1, #3 1; cmp r1, #100 1; it hi 0 (folded after the 16-bit cmp);
@              movhi r1, #0 1 (never executes; charged anyway)           -> 3 more
@     join: cbz r1 (r1 is never 0: not taken) 1; adds r3, #1 1; subs r0, #1 1;
@           bne loop 1, + 1 when taken
@   even iteration 8 + 3 + 4 = 15, odd iteration 8 + 3 + 4 = 15
@   10 iterations: 2 + 5 * 15 + 5 * 15 + 9 * 1 = 161 cycles.
  .syntax unified
  .thumb
  .text
  .global _start
_start:
  movs r0, #10
  movs r1, #1
loop:
  and r2, r0, #1
  adds r3, #1
  tbb [pc, r2]
tbl:
  .byte (even - tbl) / 2
  .byte (odd - tbl) / 2
even:
  adds r1, #2
  b join
odd:
  adds r1, #3
  cmp r1, #100
  it hi
  movhi r1, #0
join:
  cbz r1, skip
  adds r3, #1
skip:
  subs r0, #1
  bne loop
done:
  b done
