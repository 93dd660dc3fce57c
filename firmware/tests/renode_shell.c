/* A small line shell for the Renode-compatibility tests (tests/test_renode_*.py): a banner, a
 * prompt, and commands read from the console UART: "echo TEXT" prints TEXT, "led on" / "led off"
 * drive the STM32F4DISCOVERY's green LED (PD12), "poke" writes to the CRC unit (a part tandem
 * does not model, so the run's log says so), "exit N" exits with code N. Anything else prints
 * "unknown: LINE". It waits for input forever, as firmware on a board does. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "hal/console.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))

static int read_line(char *buf, int size)
{
    int n = 0;
    for (;;) {
        int c = hal_console_getc();
        if (c < 0) {
            continue;
        }
        if (c == '\r' || c == '\n') {
            buf[n] = '\0';
            return n;
        }
        if (n < size - 1) {
            buf[n++] = (char)c;
        }
    }
}

static void led(int on)
{
#ifdef TANDEM_GPIOPORTD_BASE
    REG(TANDEM_GPIOPORTD_BASE, 0x00u) = (REG(TANDEM_GPIOPORTD_BASE, 0x00u) & ~(3u << 24)) | (1u << 24);
    REG(TANDEM_GPIOPORTD_BASE, 0x18u) = on ? (1u << 12) : (1u << 28); /* BSRR: set or reset PD12 */
#else
    (void)on;
#endif
}

int main(void)
{
    char line[96];
    printf("tandem shell on %s\n", TANDEM_BOARD_NAME);
    for (;;) {
        printf("tandem> ");
        fflush(stdout);
        read_line(line, sizeof line);
        printf("%s\n", line); /* the echo of what was typed, as a terminal shows it */
        if (strncmp(line, "echo ", 5) == 0) {
            printf("%s\n", line + 5);
        } else if (strcmp(line, "led on") == 0 || strcmp(line, "led off") == 0) {
            led(line[5] == 'n');
            printf("led %s\n", line + 4);
        } else if (strcmp(line, "poke") == 0) {
#ifdef TANDEM_CRC_BASE
            REG(TANDEM_CRC_BASE, 0x00u) = 0x1234u;
#endif
            printf("poked\n");
        } else if (strncmp(line, "exit", 4) == 0) {
            return atoi(line + 4);
        } else {
            printf("unknown: %s\n", line);
        }
    }
}
