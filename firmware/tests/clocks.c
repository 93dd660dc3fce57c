/* Reads DWT CYCCNT and the debugger's clock (semihosting SYS_ELAPSED) at two points around some
 * work. Both clocks are tandem's one modelled clock, so the two spans must agree exactly. */
#include <stdint.h>
#include <stdio.h>

#include "hal/cycles.h"
#include "hal/semihost.h"

volatile uint32_t sink;

static uint64_t elapsed(void)
{
    uint32_t t[2];
    semihost_call(0x30u, t); /* SYS_ELAPSED */
    return ((uint64_t)t[1] << 32) | t[0];
}

__attribute__((noinline)) static void work(uint32_t n)
{
    uint32_t acc = 1;
    for (uint32_t i = 0; i < n; i++) {
        acc = acc * 1664525u + 1013904223u;
        if (acc & 0x100u) {
            acc ^= i;
        }
    }
    sink = acc;
}

/* One function samples both clocks, so the same instructions separate the two reads each time. */
__attribute__((noinline)) static void sample(uint32_t *c, uint64_t *e)
{
    *c = hal_cycles();
    *e = elapsed();
}

int main(void)
{
    uint32_t c0, c1;
    uint64_t e0, e1;
    hal_cycles_init();
    sample(&c0, &e0);
    work(777);
    sample(&c1, &e1);
    printf("dwt %lu elapsed %lu\n", (unsigned long)(c1 - c0), (unsigned long)(e1 - e0));
    return 0;
}
