/* STM32L4R5 clock set-up in the style of CubeMX's SystemClock_Config (RM0432 chapters 3, 5, 6):
 * MSI 4 MHz into the PLL, 120 MHz in range 1 boost mode with 5 wait states; with -DUSE_HSI,
 * HSI16 into the PLL, 80 MHz in range 1 normal mode with 3 wait states (RM0432 table 12).
 * Above 80 MHz HAL_RCC_ClockConfig goes through AHB /2 for a moment; so does this. Then:
 * SystemCoreClock from the registers, 1 kHz SysTick, a 10 ms delay. */
#include "stm32_clock_common.h"

#define RCC TANDEM_RCC_BASE
#define RCC_CR REG(RCC, 0x00u)
#define RCC_CFGR REG(RCC, 0x08u)
#define RCC_PLLCFGR REG(RCC, 0x0Cu)
#define RCC_APB1ENR1 REG(RCC, 0x58u)
#define RCC_CSR REG(RCC, 0x94u)
#define PWR_CR1 REG(TANDEM_PWR_BASE, 0x00u)
#define PWR_SR2 REG(TANDEM_PWR_BASE, 0x14u)
#define PWR_CR5 REG(TANDEM_PWR_BASE, 0x80u)
#define FLASH_ACR REG(TANDEM_FLASHCTRL_BASE, 0x00u)

#ifdef USE_HSI
#define PLL_CFG (2u | (1u << 4) | (20u << 8)) /* HSI16, /2, x20: VCO 160 MHz */
#define LATENCY 3u
#else
#define PLL_CFG (1u | (0u << 4) | (60u << 8)) /* MSI, /1, x60: VCO 240 MHz */
#define LATENCY 5u
#endif
#define PLLREN (1u << 24) /* R output on, PLLR = /2 */

static const uint32_t msi_range[12] = {100000u, 200000u, 400000u, 800000u, 1000000u, 2000000u,
                                       4000000u, 8000000u, 16000000u, 24000000u, 32000000u, 48000000u};

static uint32_t src_freq(uint32_t sw) /* SW/SWS coding: MSI, HSI16, HSE */
{
    if (sw == 0u) {
        uint32_t r = (RCC_CR & (1u << 3)) ? (RCC_CR >> 4) & 0xFu : (RCC_CSR >> 8) & 0xFu;
        return msi_range[r];
    }
    return sw == 1u ? 16000000u : HSE_VALUE;
}

static uint32_t sysclk_freq(void) /* the computation of HAL_RCC_GetSysClockFreq */
{
    uint32_t sws = (RCC_CFGR >> 2) & 3u;
    if (sws != 3u) {
        return src_freq(sws);
    }
    uint32_t cfg = RCC_PLLCFGR;
    uint32_t in = src_freq((cfg & 3u) - 1u); /* PLLSRC 1 MSI, 2 HSI16, 3 HSE */
    uint32_t vco = in / (((cfg >> 4) & 0xFu) + 1u) * ((cfg >> 8) & 0x7Fu);
    return vco / ((((cfg >> 25) & 3u) + 1u) * 2u);
}

static void system_clock_config(void)
{
    RCC_APB1ENR1 |= 1u << 28; /* PWREN */
    (void)RCC_APB1ENR1;
    /* HAL_PWREx_ControlVoltageScaling: range 1 (reset value), then boost (R1MODE = 0) */
    PWR_CR1 = (PWR_CR1 & ~(3u << 9)) | (1u << 9);
    wait_flag(&PWR_SR2, 1u << 10, 0u, "VOSF");
#ifndef USE_HSI
    PWR_CR5 &= ~(1u << 8);
    wait_flag(&PWR_SR2, 1u << 10, 0u, "VOSF (boost)");
    /* HAL_RCC_OscConfig, MSI: range 6 (4 MHz) selected in CR */
    wait_flag(&RCC_CR, 1u << 1, 1u << 1, "MSIRDY");
    RCC_CR = (RCC_CR & ~(0xFu << 4)) | (6u << 4) | (1u << 3);
#else
    RCC_CR |= 1u << 8; /* HSION */
    wait_flag(&RCC_CR, 1u << 10, 1u << 10, "HSIRDY");
#endif
    RCC_CR &= ~(1u << 24); /* PLL off while it is configured */
    wait_flag(&RCC_CR, 1u << 25, 0u, "PLLRDY clear");
    RCC_PLLCFGR = PLL_CFG | PLLREN;
    RCC_CR |= 1u << 24;
    wait_flag(&RCC_CR, 1u << 25, 1u << 25, "PLLRDY");

    FLASH_ACR = (FLASH_ACR & ~0xFu) | LATENCY;
    if ((FLASH_ACR & 0xFu) != LATENCY) {
        fail("FLASH latency");
    }
#ifndef USE_HSI
    RCC_CFGR = (RCC_CFGR & ~(0xFu << 4)) | (8u << 4); /* AHB /2 while SYSCLK goes above 80 MHz */
#endif
    RCC_CFGR = (RCC_CFGR & ~3u) | 3u;
    wait_flag(&RCC_CFGR, 3u << 2, 3u << 2, "SWS = PLL");
    RCC_CFGR &= ~((0xFu << 4) | (7u << 8) | (7u << 11)); /* AHB, APB1, APB2 /1 */
}

int main(void)
{
    system_clock_config();
    uint32_t sysclk = sysclk_freq();
    uint32_t hclk = sysclk >> ahb_shift[(RCC_CFGR >> 4) & 0xFu];
    uint32_t pclk1 = hclk >> apb_shift[(RCC_CFGR >> 8) & 7u];
    uint32_t pclk2 = hclk >> apb_shift[(RCC_CFGR >> 11) & 7u];
    /* LPUART1 BRR = 256 x f(PCLK1) / baud (RM0432 53.4.7) */
    REG(TANDEM_CONSOLE_BASE, 0x0Cu) = (uint32_t)((256ull * pclk1) / 115200u);
    report(sysclk, hclk, pclk1, pclk2);
    printf("ACR 0x%lx\n", (unsigned long)FLASH_ACR);
    return 0;
}
