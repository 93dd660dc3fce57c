/* Port: console on an STM32F1/F2/F4 USART (SR/DR layout); exit through semihosting.
 * TANDEM_CONSOLE_BASE comes from the board header generated from the platform. */
#include <stdint.h>

#include "board.h"
#include "hal/console.h"
#include "hal/semihost.h"
#include "hal/system.h"

#define USART_SR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x00u))
#define USART_DR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x04u))
#define USART_BRR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x08u))
#define USART_CR1 (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x0Cu))
#define SR_TXE (1u << 7)
#define SR_RXNE (1u << 5)

void hal_console_init(void)
{
    USART_BRR = TANDEM_CPU_HZ / 115200u;
    USART_CR1 = (1u << 13) | (1u << 3) | (1u << 2); /* UE, TE, RE */
}

void hal_console_putc(char c)
{
    while (!(USART_SR & SR_TXE)) {
    }
    USART_DR = (uint8_t)c;
}

int hal_console_getc(void) { return (USART_SR & SR_RXNE) ? (int)(USART_DR & 0xFFu) : -1; }

void hal_exit(int code) { semihost_exit(code); }
