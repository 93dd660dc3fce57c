/* Writes markers to the simulator's trace register around a loop, and times the same span with
 * CYCCNT: the trace's cycle stamps and CYCCNT must give the same span. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "hal/cycles.h"

#define TRACE (*(volatile uint32_t *)TANDEM_TRACE_BASE)
volatile uint32_t sink;

int main(void)
{
    hal_cycles_init();
    uint32_t c0 = hal_cycles();
    TRACE = 1;
    for (uint32_t i = 0; i < 100; i++) {
        sink += i;
    }
    uint32_t c1 = hal_cycles();
    TRACE = 2;
    printf("%lu\n", (unsigned long)(c1 - c0));
    return 0;
}
