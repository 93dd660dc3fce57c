/* STM32F407 clock set-up in the style of CubeMX's SystemClock_Config (RM0090 chapters 3, 5, 7):
 * PWR scale 1, HSE 8 MHz (or HSI 16 MHz) into the main PLL, 168 MHz (or 84 MHz), flash wait
 * states and the ART accelerator, AHB /1, APB1 /4 (/2), APB2 /2 (/1). The PLL is switched
 * through the RCC_CR bit-band alias, as __HAL_RCC_PLL_ENABLE does. Build with -DUSE_HSI for the
 * HSI variant. Then: SystemCoreClock from the registers, 1 kHz SysTick, a 10 ms delay, and (HSE
 * variant) the cycles of a flash-resident loop at 5 and 0 wait states, ART off and on. */
#include "stm32_clock_common.h"

#define RCC TANDEM_RCC_BASE
#define RCC_CR REG(RCC, 0x00u)
#define RCC_PLLCFGR REG(RCC, 0x04u)
#define RCC_CFGR REG(RCC, 0x08u)
#define RCC_APB1ENR REG(RCC, 0x40u)
#define PWR_CR REG(TANDEM_PWR_BASE, 0x00u)
#define PWR_CSR REG(TANDEM_PWR_BASE, 0x04u)
#define FLASH_ACR REG(TANDEM_FLASHCTRL_BASE, 0x00u)
/* Peripheral bit-band alias of RCC_CR bit 24 (PLLON): 0x42000000 + offset * 32 + bit * 4. */
#define RCC_CR_PLLON_BB (*(volatile uint32_t *)(0x42000000u + (RCC - 0x40000000u) * 32u + 24u * 4u))

#define ACR_PRFTEN (1u << 8)
#define ACR_ICEN (1u << 9)
#define ACR_DCEN (1u << 10)

#ifdef USE_HSI
#define PLL_SRC 0u
#define PLL_M 16u
#define PLL_P_CODE 1u /* /4: 16 / 16 * 336 / 4 = 84 MHz */
#define LATENCY 2u    /* 60 < 84 <= 90 MHz at 2.7-3.6 V (RM0090 table 10) */
#define PPRE1 4u      /* /2: 42 MHz */
#define PPRE2 0u      /* /1: 84 MHz */
#else
#define PLL_SRC (1u << 22)
#define PLL_M 8u
#define PLL_P_CODE 0u /* /2: 8 / 8 * 336 / 2 = 168 MHz */
#define LATENCY 5u    /* 150 < 168 MHz */
#define PPRE1 5u      /* /4: 42 MHz */
#define PPRE2 4u      /* /2: 84 MHz */
#endif

static uint32_t sysclk_freq(void) /* the computation of HAL_RCC_GetSysClockFreq */
{
    switch ((RCC_CFGR >> 2) & 3u) {
    case 0u:
        return 16000000u;
    case 1u:
        return HSE_VALUE;
    default: {
        uint32_t cfg = RCC_PLLCFGR;
        uint32_t in = (cfg & (1u << 22)) ? HSE_VALUE : 16000000u;
        uint32_t vco = in / (cfg & 0x3Fu) * ((cfg >> 6) & 0x1FFu);
        return vco / ((((cfg >> 16) & 3u) + 1u) * 2u);
    }
    }
}

static void system_clock_config(void)
{
    RCC_APB1ENR |= 1u << 28; /* PWREN */
    (void)RCC_APB1ENR;
    PWR_CR |= 1u << 14; /* VOS: scale 1 */
#ifdef USE_HSI
    RCC_CR |= 1u; /* HSION */
    wait_flag(&RCC_CR, 1u << 1, 1u << 1, "HSIRDY");
#else
    RCC_CR |= 1u << 16; /* HSEON */
    wait_flag(&RCC_CR, 1u << 17, 1u << 17, "HSERDY");
#endif
    RCC_CR_PLLON_BB = 0u; /* the PLL must be off while it is configured */
    wait_flag(&RCC_CR, 1u << 25, 0u, "PLLRDY clear");
    RCC_PLLCFGR = PLL_M | (336u << 6) | (PLL_P_CODE << 16) | PLL_SRC | (7u << 24);
    RCC_CR_PLLON_BB = 1u;
    wait_flag(&RCC_CR, 1u << 25, 1u << 25, "PLLRDY");
    wait_flag(&PWR_CSR, 1u << 14, 1u << 14, "VOSRDY");

    /* HAL_RCC_ClockConfig: more wait states first, APB dividers at their highest while HCLK
     * changes, then SYSCLK from the PLL, then the final APB dividers. */
    FLASH_ACR = (FLASH_ACR & ~0xFu) | LATENCY;
    if ((FLASH_ACR & 0xFu) != LATENCY) {
        fail("FLASH latency");
    }
    RCC_CFGR |= (7u << 10) | (7u << 13);
    RCC_CFGR &= ~(0xFu << 4); /* HPRE /1 */
    RCC_CFGR = (RCC_CFGR & ~3u) | 2u;
    wait_flag(&RCC_CFGR, 3u << 2, 2u << 2, "SWS = PLL");
    RCC_CFGR = (RCC_CFGR & ~((7u << 10) | (7u << 13))) | (PPRE1 << 10) | (PPRE2 << 13);
}

#ifndef USE_HSI
/* 8 32-bit ADDs (one per 4-byte fetch), SUBS + BNE in one more word: 9 fetches per pass. */
__attribute__((naked, noinline)) static void flash_loop(uint32_t n)
{
    (void)n;
    __asm__ volatile(".balign 16\n"
                     "1: add.w r1, r1, #1\n add.w r1, r1, #1\n add.w r1, r1, #1\n add.w r1, r1, #1\n"
                     " add.w r1, r1, #1\n add.w r1, r1, #1\n add.w r1, r1, #1\n add.w r1, r1, #1\n"
                     " subs r0, r0, #1\n bne 1b\n bx lr\n");
}

/* The cycles of one call of the loop, timed by one code path (so the same lines are warm). */
__attribute__((noinline)) static uint32_t timed(uint32_t n)
{
    uint32_t t0 = hal_cycles();
    flash_loop(n);
    return hal_cycles() - t0;
}

/* Cycles of 100 passes: two calls differing by 100 passes, after a warm-up call. */
static uint32_t loop_cycles(uint32_t latency, uint32_t acr_bits)
{
    FLASH_ACR = latency | acr_bits;
    (void)FLASH_ACR;
    (void)timed(10u);
    uint32_t a = timed(100u);
    uint32_t b = timed(200u);
    return b - a;
}
#endif

int main(void)
{
    FLASH_ACR |= ACR_PRFTEN | ACR_ICEN | ACR_DCEN; /* HAL_Init: the ART on */
    system_clock_config();
    uint32_t sysclk = sysclk_freq();
    uint32_t hclk = sysclk >> ahb_shift[(RCC_CFGR >> 4) & 0xFu];
    uint32_t pclk1 = hclk >> apb_shift[(RCC_CFGR >> 10) & 7u];
    uint32_t pclk2 = hclk >> apb_shift[(RCC_CFGR >> 13) & 7u];
    REG(TANDEM_CONSOLE_BASE, 0x08u) = pclk1 / 115200u; /* USART2 BRR from its APB1 clock */
    report(sysclk, hclk, pclk1, pclk2);
    printf("ACR 0x%lx\n", (unsigned long)FLASH_ACR);
#ifndef USE_HSI
    /* An experiment, not a valid set-up (168 MHz needs 5 wait states): the cost of the loop. */
    uint32_t off5 = loop_cycles(5u, 0u), off0 = loop_cycles(0u, 0u);
    uint32_t on5 = loop_cycles(5u, ACR_ICEN), on0 = loop_cycles(0u, ACR_ICEN);
    printf("loop off5 %lu off0 %lu on5 %lu on0 %lu\n", (unsigned long)off5, (unsigned long)off0,
           (unsigned long)on5, (unsigned long)on0);
    FLASH_ACR = LATENCY | ACR_PRFTEN | ACR_ICEN | ACR_DCEN; /* back to the valid set-up */
    (void)FLASH_ACR;
#endif
    return 0;
}
