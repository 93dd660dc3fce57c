/* Port: console on a SAM D5x/E5x (or D21) SERCOM in USART mode (CTRLA/CTRLB/BAUD/INTFLAG/DATA,
 * DS60001507 "SERCOM USART"); exit through semihosting. */
#include <stdint.h>

#include "board.h"
#include "hal/console.h"
#include "hal/semihost.h"
#include "hal/system.h"

#define SERCOM_CTRLA (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x00u))
#define SERCOM_CTRLB (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x04u))
#define SERCOM_BAUD (*(volatile uint16_t *)(TANDEM_CONSOLE_BASE + 0x0Cu))
#define SERCOM_INTFLAG (*(volatile uint8_t *)(TANDEM_CONSOLE_BASE + 0x18u))
#define SERCOM_SYNCBUSY (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x1Cu))
#define SERCOM_DATA (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x28u))
#define CTRLA_SWRST (1u << 0)
#define CTRLA_ENABLE (1u << 1)
#define CTRLA_MODE_USART_INT_CLK (1u << 2)
#define CTRLA_RXPO_PAD1 (1u << 20)
#define CTRLA_DORD_LSB (1u << 30)
#define CTRLB_TXEN (1u << 16)
#define CTRLB_RXEN (1u << 17)
#define INTFLAG_DRE (1u << 0)
#define INTFLAG_RXC (1u << 2)

void hal_console_init(void)
{
    SERCOM_CTRLA = CTRLA_SWRST;
    while (SERCOM_SYNCBUSY & CTRLA_SWRST) {
    }
    SERCOM_CTRLA = CTRLA_MODE_USART_INT_CLK | CTRLA_RXPO_PAD1 | CTRLA_DORD_LSB;
    /* arithmetic baud (16x oversampling): BAUD = 65536 * (1 - 16 * f_baud / f_ref) */
    SERCOM_BAUD = (uint16_t)(65536u - (uint32_t)((65536ull * 16u * 115200u) / TANDEM_CPU_HZ));
    SERCOM_CTRLB = CTRLB_TXEN | CTRLB_RXEN;
    while (SERCOM_SYNCBUSY & (1u << 2)) { /* SYNCBUSY.CTRLB */
    }
    SERCOM_CTRLA |= CTRLA_ENABLE;
    while (SERCOM_SYNCBUSY & CTRLA_ENABLE) {
    }
}

void hal_console_putc(char c)
{
    while (!(SERCOM_INTFLAG & INTFLAG_DRE)) {
    }
    SERCOM_DATA = (uint8_t)c;
}

int hal_console_getc(void) { return (SERCOM_INTFLAG & INTFLAG_RXC) ? (int)(SERCOM_DATA & 0xFFu) : -1; }

void hal_exit(int code) { semihost_exit(code); }
