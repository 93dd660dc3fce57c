/* Touches a peripheral tandem does not model (the CRC unit): reads give 0, writes are ignored,
 * and the run carries a note naming it. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"

int main(void)
{
    volatile uint32_t *crc = (volatile uint32_t *)TANDEM_CRC_BASE;
    crc[0] = 0x1234u;
    printf("crc %lu\n", (unsigned long)crc[0]);
    return 0;
}
