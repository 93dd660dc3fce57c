/* STM32F103 clock set-up in the style of CubeMX's SystemClock_Config (RM0008 chapters 3, 7):
 * HSE 8 MHz x 9 = 72 MHz, or with -DUSE_HSI HSI/2 x 16 = 64 MHz; 2 flash wait states with the
 * prefetch buffer (48 < SYSCLK <= 72 MHz, RM0008 3.3.3), AHB /1, APB1 /2, APB2 /1. The PLL is
 * switched through the RCC_CR bit-band alias, as __HAL_RCC_PLL_ENABLE does. Then:
 * SystemCoreClock from the registers, 1 kHz SysTick, a 10 ms delay. */
#include "stm32_clock_common.h"

#define RCC TANDEM_RCC_BASE
#define RCC_CR REG(RCC, 0x00u)
#define RCC_CFGR REG(RCC, 0x04u)
#define FLASH_ACR REG(TANDEM_FLASHCTRL_BASE, 0x00u)
#define RCC_CR_PLLON_BB (*(volatile uint32_t *)(0x42000000u + (RCC - 0x40000000u) * 32u + 24u * 4u))

#ifdef USE_HSI
#define PLL_CFG (14u << 18) /* PLLSRC = HSI/2, PLLMUL x16 */
#else
#define PLL_CFG ((1u << 16) | (7u << 18)) /* PLLSRC = HSE, PLLMUL x9 */
#endif

static uint32_t sysclk_freq(void) /* the computation of HAL_RCC_GetSysClockFreq */
{
    uint32_t cfg = RCC_CFGR;
    switch ((cfg >> 2) & 3u) {
    case 1u:
        return HSE_VALUE;
    case 2u: {
        uint32_t mul = ((cfg >> 18) & 0xFu) + 2u;
        uint32_t in = (cfg & (1u << 16)) ? HSE_VALUE >> ((cfg >> 17) & 1u) : 4000000u;
        return in * (mul > 16u ? 16u : mul);
    }
    default:
        return 8000000u;
    }
}

static void system_clock_config(void)
{
#ifndef USE_HSI
    RCC_CR |= 1u << 16; /* HSEON */
    wait_flag(&RCC_CR, 1u << 17, 1u << 17, "HSERDY");
#else
    wait_flag(&RCC_CR, 1u << 1, 1u << 1, "HSIRDY");
#endif
    RCC_CR_PLLON_BB = 0u;
    wait_flag(&RCC_CR, 1u << 25, 0u, "PLLRDY clear");
    RCC_CFGR = (RCC_CFGR & ~((0xFu << 18) | (3u << 16))) | PLL_CFG;
    RCC_CR_PLLON_BB = 1u;
    wait_flag(&RCC_CR, 1u << 25, 1u << 25, "PLLRDY");

    FLASH_ACR = (FLASH_ACR & ~7u) | 2u | (1u << 4); /* 2 wait states, prefetch on */
    if ((FLASH_ACR & 7u) != 2u) {
        fail("FLASH latency");
    }
    RCC_CFGR |= (7u << 8) | (7u << 11);
    RCC_CFGR &= ~(0xFu << 4);
    RCC_CFGR = (RCC_CFGR & ~3u) | 2u;
    wait_flag(&RCC_CFGR, 3u << 2, 2u << 2, "SWS = PLL");
    RCC_CFGR = (RCC_CFGR & ~((7u << 8) | (7u << 11))) | (4u << 8); /* APB1 /2, APB2 /1 */
}

int main(void)
{
    system_clock_config();
    uint32_t sysclk = sysclk_freq();
    uint32_t hclk = sysclk >> ahb_shift[(RCC_CFGR >> 4) & 0xFu];
    uint32_t pclk1 = hclk >> apb_shift[(RCC_CFGR >> 8) & 7u];
    uint32_t pclk2 = hclk >> apb_shift[(RCC_CFGR >> 11) & 7u];
    REG(TANDEM_CONSOLE_BASE, 0x08u) = pclk2 / 115200u; /* USART1 BRR from its APB2 clock */
    report(sysclk, hclk, pclk1, pclk2);
    printf("ACR 0x%lx\n", (unsigned long)FLASH_ACR);
    return 0;
}
