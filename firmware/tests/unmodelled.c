/* Touches a peripheral tandem does not model (the RCC): reads give 0, writes are ignored,
 * and the run carries a note naming it. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"

int main(void)
{
    volatile uint32_t *rcc = (volatile uint32_t *)TANDEM_RCC_BASE;
    rcc[0] = 0x1234u;
    printf("rcc %lu\n", (unsigned long)rcc[0]);
    return 0;
}
