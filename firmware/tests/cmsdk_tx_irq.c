/* CMSDK APB UART interrupts (mps2_an386_uart): each byte sent with CTRL.TXINTEN set raises the
 * UART0 TX interrupt (IRQ 1) once its buffer empties; the handler counts it and clears
 * INTSTATUS.TX. Also checks the ID registers and that a cleared INTSTATUS stays clear. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"

#define UART_DATA (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x08u))
#define UART_INT (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0x0Cu))
#define UART_PID0 (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0xFE0u))
#define UART_CID0 (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + 0xFF0u))
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define NVIC_ICER0 (*(volatile uint32_t *)0xE000E180u)
#define TX_IRQ 1u

static volatile uint32_t tx_irqs;
static volatile uint32_t last_ipsr;

void IRQ_Handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    last_ipsr = ipsr;
    if (UART_INT & 1u) {
        tx_irqs++;
        UART_INT = 1u; /* INTCLEAR.TX */
    }
}

int main(void)
{
    printf("pid0 %lx cid0 %lx\n", (unsigned long)UART_PID0, (unsigned long)UART_CID0);
    NVIC_ISER0 = 1u << TX_IRQ;
    UART_CTRL |= 1u << 2; /* TXINTEN */
    const char msg[] = "irq!";
    for (unsigned i = 0; i < 4; i++) {
        uint32_t before = tx_irqs;
        UART_DATA = (uint8_t)msg[i];
        for (int spin = 0; spin < 100000 && tx_irqs == before; spin++) {
        }
    }
    UART_CTRL &= ~(1u << 2);
    NVIC_ICER0 = 1u << TX_IRQ;
    printf("\ntx irqs %lu, exception %lu, intstatus %lu, state %lu\n", (unsigned long)tx_irqs,
           (unsigned long)last_ipsr, (unsigned long)UART_INT, (unsigned long)UART_STATE);
    return 0;
}
