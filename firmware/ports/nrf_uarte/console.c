/* Port: console on an nRF52840 UARTE (EasyDMA: TXD.PTR/MAXCNT, TASKS_STARTTX, EVENTS_ENDTX;
 * nRF52840 PS 6.34); exit through semihosting. The DMA buffers must live in Data RAM. */
#include <stdint.h>

#include "board.h"
#include "hal/console.h"
#include "hal/semihost.h"
#include "hal/system.h"

#define REG(off) (*(volatile uint32_t *)(TANDEM_CONSOLE_BASE + (off)))
#define TASKS_STARTRX REG(0x000u)
#define TASKS_STARTTX REG(0x008u)
#define EVENTS_ENDRX REG(0x110u)
#define EVENTS_ENDTX REG(0x120u)
#define UARTE_ENABLE REG(0x500u)
#define PSEL_TXD REG(0x50Cu)
#define PSEL_RXD REG(0x514u)
#define UARTE_BAUDRATE REG(0x524u)
#define RXD_PTR REG(0x534u)
#define RXD_MAXCNT REG(0x538u)
#define TXD_PTR REG(0x544u)
#define TXD_MAXCNT REG(0x548u)
#define ENABLE_UARTE 8u
#define BAUDRATE_115200 0x01D7E000u

static volatile uint8_t tx_buf[1];
static volatile uint8_t rx_buf[1];

/* EasyDMA takes Data RAM addresses (0x20000000...). A board that links data into the Code RAM
 * view of the same RAM (0x00800000..., as Renode's nrf52840.repl lists it first) gets the
 * buffer's Data RAM address: the two views map to the same RAM (nRF52840 PS, "Memory"). */
static uint32_t dma_address(volatile uint8_t *buf)
{
    uint32_t a = (uint32_t)(uintptr_t)buf;
    return (a >= 0x00800000u && a < 0x20000000u) ? a - 0x00800000u + 0x20000000u : a;
}

static void start_rx(void)
{
    RXD_PTR = dma_address(rx_buf);
    RXD_MAXCNT = 1u;
    TASKS_STARTRX = 1u;
}

void hal_console_init(void)
{
    PSEL_TXD = 6u; /* P0.06 and P0.08: the nRF52840 DK's interface-MCU UART */
    PSEL_RXD = 8u;
    UARTE_BAUDRATE = BAUDRATE_115200;
    UARTE_ENABLE = ENABLE_UARTE;
    EVENTS_ENDRX = 0u;
    start_rx();
}

void hal_console_putc(char c)
{
    tx_buf[0] = (uint8_t)c;
    TXD_PTR = dma_address(tx_buf);
    TXD_MAXCNT = 1u;
    EVENTS_ENDTX = 0u;
    TASKS_STARTTX = 1u;
    while (!EVENTS_ENDTX) {
    }
    EVENTS_ENDTX = 0u;
}

int hal_console_getc(void)
{
    if (!EVENTS_ENDRX) {
        return -1;
    }
    EVENTS_ENDRX = 0u;
    int c = rx_buf[0];
    start_rx();
    return c;
}

void hal_exit(int code) { semihost_exit(code); }
