/* Port: console on an Arm CMSDK APB UART (MPS2 AN385/AN386: DATA/STATE/CTRL/BAUDDIV, Arm
 * DDI0479C 4.3); exit through semihosting. TANDEM_CONSOLE_BASE comes from the board header. */
#include <stdint.h>

#include "board.h"
#include "hal/console.h"
#include "hal/semihost.h"
#include "hal/system.h"

#define UART_DATA (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x08u))
#define UART_BAUDDIV (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x10u))
#define STATE_TXFULL (1u << 0)
#define STATE_RXFULL (1u << 1)
#define CTRL_TXEN (1u << 0)
#define CTRL_RXEN (1u << 1)

void hal_console_init(void)
{
    UART_BAUDDIV = TANDEM_CPU_HZ / 115200u; /* the TRM's minimum divider is 16 */
    UART_CTRL = CTRL_TXEN | CTRL_RXEN;
}

void hal_console_putc(char c)
{
    while (UART_STATE & STATE_TXFULL) {
    }
    UART_DATA = (uint8_t)c;
}

int hal_console_getc(void) { return (UART_STATE & STATE_RXFULL) ? (int)(UART_DATA & 0xFFu) : -1; }

void hal_exit(int code) { semihost_exit(code); }
