/* Times a span with DWT CYCCNT and prints it; the test compares it with tandem's own count. */
#include <stdint.h>
#include <stdio.h>

#include "hal/cycles.h"

volatile uint32_t sink;

/* Stores through a volatile so the compiler keeps the call between the two CYCCNT reads. */
__attribute__((noinline)) static void work(uint32_t n)
{
    uint32_t acc = 0;
    for (uint32_t i = 0; i < n; i++) {
        acc += i * 3u ^ (acc >> 1);
    }
    sink = acc;
}

int main(void)
{
    hal_cycles_init();
    uint32_t t0 = hal_cycles();
    work(1000);
    uint32_t t1 = hal_cycles();
    printf("cycles %lu\n", (unsigned long)(t1 - t0));
    HAL_DWT_CYCCNT = 5;
    uint32_t t2 = hal_cycles();
    printf("after write %lu\n", (unsigned long)t2);
    return 0;
}
