/* Bit-band aliases (Cortex-M3/M4 TRM "Bit-banding"): word writes to the alias set and clear one
 * bit of an SRAM word and of a peripheral register (RCC_APB1ENR), and alias reads give that
 * bit. Prints the words after each step. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"

#define BB_SRAM(addr, bit) (*(volatile uint32_t *)(0x22000000u + ((uint32_t)(addr) - 0x20000000u) * 32u + (bit) * 4u))
#define BB_PERIPH(addr, bit) (*(volatile uint32_t *)(0x42000000u + ((uint32_t)(addr) - 0x40000000u) * 32u + (bit) * 4u))

#if TANDEM_RCC_BASE == 0x40023800u
#define APB1ENR (TANDEM_RCC_BASE + 0x40u) /* F4 (RM0090 7.3.13) */
#else
#define APB1ENR (TANDEM_RCC_BASE + 0x1Cu) /* F1 (RM0008 7.3.8) */
#endif

static volatile uint32_t word[2] = {0x00F0F000u, 0u};

int main(void)
{
    volatile uint32_t *enr = (volatile uint32_t *)APB1ENR;
    BB_SRAM(&word[0], 3) = 1u;      /* set bit 3 */
    BB_SRAM(&word[0], 13) = 0u;     /* clear bit 13 */
    BB_SRAM(&word[1], 31) = 0xFEu;  /* bit 0 of the value is 0: stays clear */
    BB_SRAM(&word[1], 30) = 3u;     /* bit 0 of the value is 1: set */
    printf("sram %08lx %08lx read %lu %lu\n", (unsigned long)word[0], (unsigned long)word[1],
           (unsigned long)BB_SRAM(&word[0], 3), (unsigned long)BB_SRAM(&word[0], 13));
    uint32_t before = *enr;
    BB_PERIPH(enr, 28) = 1u; /* PWREN */
    uint32_t set = *enr;
    BB_PERIPH(enr, 28) = 0u;
    printf("periph %08lx %08lx %08lx read %lu\n", (unsigned long)before, (unsigned long)set,
           (unsigned long)*enr, (unsigned long)BB_PERIPH(enr, 28));
    return 0;
}
