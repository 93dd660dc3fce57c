/* Entry for the benchmarks: set SP, call bench_main, park at bench_done (the run's end). */
  .syntax unified
  .thumb
  .section .text.start, "ax"
  .global _start
  .global bench_done
  .type _start, %function
_start:
  ldr r0, =_stack_top
  mov sp, r0
  bl bench_main
  .type bench_done, %function
bench_done:
  b bench_done
