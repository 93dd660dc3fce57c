/* USART receive by interrupt while the core sleeps: RXNEIE set, the IRQ enabled in the NVIC, the
 * main loop in WFI. The handler echoes each received byte upper-cased; 'q' ends the program with
 * the number of bytes received. For tests/test_renode_monitor.py: bytes a test sends to the UART
 * reach an interrupt-driven receiver (STM32F1/F2/F4 USART: SR 0x00, DR 0x04, CR1 0x0C). */
#include <stdint.h>

#include "board.h"
#include "hal/console.h"

#define USART_SR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x00u))
#define USART_DR (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x04u))
#define USART_CR1 (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x0Cu))
#define NVIC_ISER ((volatile uint32_t *)0xE000E100u)
#define RXNE (1u << 5)
#define RXNEIE (1u << 5)
#define USART2_IRQ 38u /* RM0090 table 61 */

static volatile int done;
static volatile int received;

void IRQ_Handler(void)
{
    while (USART_SR & RXNE) {
        char c = (char)(USART_DR & 0xFFu);
        received++;
        if (c == 'q') {
            done = 1;
        } else {
            hal_console_putc(c >= 'a' && c <= 'z' ? (char)(c - 32) : c);
        }
    }
}

int main(void)
{
    hal_console_putc('>');
    USART_CR1 |= RXNEIE;
    NVIC_ISER[USART2_IRQ / 32u] = 1u << (USART2_IRQ % 32u);
    while (!done) {
        __asm__ volatile("wfi");
    }
    return received;
}
