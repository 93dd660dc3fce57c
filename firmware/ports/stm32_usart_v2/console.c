/* Port: console on an STM32F7/L4/G4 USART or LPUART (ISR/TDR layout); exit through semihosting. */
#include <stdint.h>

#include "board.h"
#include "hal/console.h"
#include "hal/semihost.h"
#include "hal/system.h"

#define USART_CR1 (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x00u))
#define USART_BRR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x0Cu))
#define USART_ISR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x1Cu))
#define USART_RDR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x24u))
#define USART_TDR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x28u))
#define ISR_TXE (1u << 7)
#define ISR_RXNE (1u << 5)
#define ISR_TEACK (1u << 21)

void hal_console_init(void)
{
    USART_BRR = TANDEM_CPU_HZ / 115200u;
    USART_CR1 = (1u << 3) | (1u << 2) | 1u; /* TE, RE, UE */
    while (!(USART_ISR & ISR_TEACK)) {
    }
}

void hal_console_putc(char c)
{
    while (!(USART_ISR & ISR_TXE)) {
    }
    USART_TDR = (uint8_t)c;
}

int hal_console_getc(void) { return (USART_ISR & ISR_RXNE) ? (int)(USART_RDR & 0xFFu) : -1; }

void hal_exit(int code) { semihost_exit(code); }
