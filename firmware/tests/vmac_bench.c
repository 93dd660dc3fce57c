/* The memory-port benchmark of tandem.cosim.rtl_bench: REPEAT dot products of LEN bytes on the
 * vector MAC unit (platforms/accel/vmac_axi.repl), the input read from the start of the code
 * memory and the weights from the start of the data memory (any bytes do), so the unit's AXI4
 * master is busy for the whole run. */
#include <stdint.h>

#include "board.h"
#include "drivers/vmac.h"

volatile int32_t sink;

int main(void)
{
    for (int i = 0; i < REPEAT; i++)
        sink = vmac_dot((const int8_t *)TANDEM_MEM_FLASH_BASE, (const int8_t *)TANDEM_MEM_SRAM_BASE, LEN, i);
    return 0;
}
