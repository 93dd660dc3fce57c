/* Accesses the memory checker stops (tests/test_traps.py): the case is what the host wrote into
 * `check_mode` before reset (MEMCHECK_MODE if defined). 1: recursion past the stack limit;
 * 2: a store into .text; 3: a store past the heap into RAM nothing owns; 4: a store into
 * `host_block` (the test guards it, as a model run guards its mailbox); 0: only owned memory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "board.h"
#include "hal/system.h"

volatile uint32_t check_mode __attribute__((section(".noinit"), used));
volatile uint32_t host_block[8] __attribute__((section(".noinit"), used));
extern uint8_t _heap_limit[];
uint32_t sink;

__attribute__((noinline)) uint32_t recurse(uint32_t n)
{
    volatile uint32_t frame[16];
    frame[n & 15] = n;
    return n == 0 ? 0 : recurse(n - 1) + frame[n & 15];
}

int main(void)
{
#ifdef MEMCHECK_MODE
    uint32_t mode = MEMCHECK_MODE;
#else
    uint32_t mode = check_mode;
#endif
    uint8_t *heap = malloc(64);
    heap[63] = 1;
    sink = recurse(8) + heap[63];
    printf("owned ok %lu\n", (unsigned long)sink);
    switch (mode) {
    case 1: sink = recurse(100000); break;
    case 2: *(volatile uint32_t *)(uintptr_t)&recurse = 0; break;
    case 3: *(volatile uint32_t *)(_heap_limit + 16) = 5; break;
    case 4: host_block[3] = 7; break;
    default: break;
    }
    printf("done\n");
    return 0;
}
