/* STM32 GPIO and EXTI: PA5 as a push-pull output driven through BSRR/BRR/ODR (left high for the
 * test to see from Python), PC13 as an input the test drives from Python, the LCKR sequence
 * freezing PA5's configuration, and EXTI line 0 raised in software (SWIER) reaching its NVIC
 * interrupt (EXTI0, IRQ 6) while IMR enables it. F1 ports (CRL/CRH) when the chip has AFIO. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define NVIC_ISER0 REG(0xE000E100u, 0u)
#define EXTI_IMR REG(TANDEM_EXTI_BASE, 0x00u)
#define EXTI_SWIER REG(TANDEM_EXTI_BASE, 0x10u)
#define EXTI_PR REG(TANDEM_EXTI_BASE, 0x14u)

#ifdef TANDEM_AFIO_BASE /* F1 (RM0008 9.2) */
#define CONF REG(TANDEM_GPIOPORTA_BASE, 0x00u) /* CRL */
#define IDR_OFF 0x08u
#define ODR_OFF 0x0Cu
#define BSRR_OFF 0x10u
#define BRR_OFF 0x14u
#define LCKR_OFF 0x18u
static void pa5_output(void) { CONF = (CONF & ~(0xFu << 20)) | (0x2u << 20); } /* 2 MHz push-pull */
static void pa5_input(void) { CONF = (CONF & ~(0xFu << 20)) | (0x4u << 20); }
static uint32_t pa5_conf(void) { return (CONF >> 20) & 0xFu; }
#else /* F4/L4 (RM0090 8.4, RM0432 8.5) */
#define CONF REG(TANDEM_GPIOPORTA_BASE, 0x00u) /* MODER */
#define IDR_OFF 0x10u
#define ODR_OFF 0x14u
#define BSRR_OFF 0x18u
#define BRR_OFF 0x28u
#define LCKR_OFF 0x1Cu
static void pa5_output(void) { CONF = (CONF & ~(3u << 10)) | (1u << 10); }
static void pa5_input(void) { CONF &= ~(3u << 10); }
static uint32_t pa5_conf(void) { return (CONF >> 10) & 3u; }
#endif
#define PA(off) REG(TANDEM_GPIOPORTA_BASE, off)
#define PC(off) REG(TANDEM_GPIOPORTC_BASE, off)

static volatile uint32_t exti0_count;

void IRQ_Handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    if (ipsr == 16u + 6u) {
        exti0_count++;
        EXTI_PR = 1u; /* clear the pending bit: the line drops */
    }
}

int main(void)
{
    pa5_output();
    PA(BSRR_OFF) = 1u << 5;
    uint32_t set = PA(ODR_OFF), idr_set = PA(IDR_OFF) >> 5 & 1u;
    PA(BSRR_OFF) = 1u << (16 + 5);
    uint32_t reset = PA(ODR_OFF);
    PA(BSRR_OFF) = (1u << 5) | (1u << (16 + 5)); /* both: set wins */
    uint32_t both = PA(ODR_OFF);
    PA(BRR_OFF) = 1u << 5;
    uint32_t brr = PA(ODR_OFF);
    printf("odr %lx %lx %lx %lx idr %lu\n", (unsigned long)set, (unsigned long)reset,
           (unsigned long)both, (unsigned long)brr, (unsigned long)idr_set);
#ifndef TANDEM_AFIO_BASE
    PC(0x00u) &= ~(3u << 26); /* PC13 input (the L4 resets its pins to analog) */
#endif
    printf("pc13 %lu\n", (unsigned long)(PC(IDR_OFF) >> 13 & 1u));

    /* LCKR key sequence on PA5: then its configuration cannot change */
    PA(LCKR_OFF) = (1u << 16) | (1u << 5);
    PA(LCKR_OFF) = 1u << 5;
    PA(LCKR_OFF) = (1u << 16) | (1u << 5);
    (void)PA(LCKR_OFF);
    uint32_t lckr = PA(LCKR_OFF);
    pa5_input();
    printf("lckr %lx conf %lx\n", (unsigned long)lckr, (unsigned long)pa5_conf());

    NVIC_ISER0 = 1u << 6;
    EXTI_SWIER = 1u; /* IMR clear: no pending bit, no interrupt */
    uint32_t masked = EXTI_PR;
    EXTI_IMR = 1u;
    EXTI_PR = 1u; /* SWIER bits clear only with their pending bit (RM0090 12.3.5) */
    EXTI_SWIER = 1u;
    __asm__ volatile("dsb\n isb");
    printf("exti pr %lu count %lu pr %lu\n", (unsigned long)masked, (unsigned long)exti0_count,
           (unsigned long)EXTI_PR);
    PA(ODR_OFF) = 1u << 5; /* leave PA5 high */
    return 0;
}
