@ Calls and stack multiples (TRM: BL 1 + P, PUSH/POP/LDM/STM 1 + N, POP with PC
@ 1 + N + P where a load to PC refills in 3 cycles, BX 1 + P, LDR PC 2 + 3; BL and BX LR
@ issue their target fetch in decode: P = 1).
@   movs 1
@   per iteration: bl f 2; f: push {r4-r6,lr} 5; ldm r7, {r4,r5} 3; adds 1;
@   stm r7, {r4,r5} 3; pop {r4-r6,pc} 1 + 4 + 3 = 8; bl g 2; g: bx lr 2;
@   bl h 2; h: push {lr} 2; ldr pc, [sp], #4 5; subs 1; bne 2 / 1
@   -> (2+5+3+1+3+8) + (2+2) + (2+2+5) + 1 + 1 = 37, + 1 when bne is taken
@   20 iterations after ldr r7 (2) and movs (1): 3 + 20 * 37 + 19 * 1 = 762 cycles.
  .syntax unified
  .thumb
  .text
  .global _start
_start:
  ldr r7, ram_ptr
  movs r0, #20
loop:
  bl f
  bl g
  bl h
  subs r0, #1
  bne loop
done:
  b done
  .thumb_func
f:
  push {r4, r5, r6, lr}
  ldm r7, {r4, r5}
  adds r4, r5
  stm r7, {r4, r5}
  pop {r4, r5, r6, pc}
  .thumb_func
g:
  bx lr
  .thumb_func
h:
  push {lr}
  ldr pc, [sp], #4
  .balign 4
ram_ptr:
  .word 0x20000000
