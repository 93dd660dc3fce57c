/* Port: console on an NXP LPUART (BAUD/STAT/CTRL/DATA at 0x10-0x1C: S32K1xx, i.MX RT); exit
 * through semihosting. The LPUART's functional clock is taken to be the core clock. */
#include <stdint.h>

#include "board.h"
#include "hal/console.h"
#include "hal/semihost.h"
#include "hal/system.h"

#define LPUART_BAUD (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x10u))
#define LPUART_STAT (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x14u))
#define LPUART_CTRL (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x18u))
#define LPUART_DATA (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x1Cu))
#define STAT_RDRF (1u << 21)
#define STAT_TDRE (1u << 23)
#define CTRL_RE (1u << 18)
#define CTRL_TE (1u << 19)
#define BAUD_OSR_16 (15u << 24)

void hal_console_init(void)
{
    /* baud = clock / ((OSR + 1) * SBR) */
    LPUART_BAUD = BAUD_OSR_16 | (TANDEM_CPU_HZ / (16u * 115200u));
    LPUART_CTRL = CTRL_TE | CTRL_RE;
}

void hal_console_putc(char c)
{
    while (!(LPUART_STAT & STAT_TDRE)) {
    }
    LPUART_DATA = (uint8_t)c;
}

int hal_console_getc(void) { return (LPUART_STAT & STAT_RDRF) ? (int)(LPUART_DATA & 0xFFu) : -1; }

void hal_exit(int code) { semihost_exit(code); }
