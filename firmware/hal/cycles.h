/* The Cortex-M DWT cycle counter (ARMv7-M architecture, identical on every M3/M4 port). */
#ifndef TANDEM_HAL_CYCLES_H
#define TANDEM_HAL_CYCLES_H

#include <stdint.h>

#define HAL_DEMCR      (*(volatile uint32_t *)0xE000EDFCu)
#define HAL_DWT_CTRL   (*(volatile uint32_t *)0xE0001000u)
#define HAL_DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)

static inline void hal_cycles_init(void)
{
    HAL_DEMCR |= 1u << 24;  /* TRCENA */
    HAL_DWT_CYCCNT = 0;
    HAL_DWT_CTRL |= 1u;     /* CYCCNTENA */
}

static inline uint32_t hal_cycles(void) { return HAL_DWT_CYCCNT; }

#endif
