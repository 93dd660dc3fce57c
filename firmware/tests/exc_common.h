/* Shared by the exception-model test programs (exc_*.c, rtos_switch.c): the ARMv7-M System
 * Control Space registers they use (ARM DDI0403E B3.2 SCB, B3.3 SysTick, B3.4 NVIC, B3.2.20-22
 * FP extension) and small special-register accessors. Priorities are written with the top three
 * bits only (0x00, 0x20, ... 0xE0): valid on any v7-M part, whatever number of bits it implements
 * (QEMU's mps2-an386 keeps 8, an STM32F4 4, the AN386 FPGA image 3), and never read back. */
#ifndef TANDEM_TESTS_EXC_COMMON_H
#define TANDEM_TESTS_EXC_COMMON_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define REG8(addr) (*(volatile uint8_t *)(addr))

#define SCB_ICSR REG32(0xE000ED04u)
#define SCB_VTOR REG32(0xE000ED08u)
#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_CCR REG32(0xE000ED14u)
#define SCB_SHPR(n) REG8(0xE000ED18u + (uint32_t)(n) - 4u) /* n: system exception number 4-15 */
#define SCB_SHCSR REG32(0xE000ED24u)
#define SCB_CFSR REG32(0xE000ED28u)
#define SCB_HFSR REG32(0xE000ED2Cu)
#define FPU_FPCCR REG32(0xE000EF34u)
#define FPU_FPCAR REG32(0xE000EF38u)

#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (uint32_t)(n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (uint32_t)(n))
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (uint32_t)(n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (uint32_t)(n))
#define NVIC_IABR(n) REG32(0xE000E300u + 4u * (uint32_t)(n))
#define NVIC_IPR(irq) REG8(0xE000E400u + (uint32_t)(irq))
#define NVIC_STIR REG32(0xE000EF00u)

#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)

#define ICSR_PENDSVSET (1u << 28)
#define ICSR_PENDSVCLR (1u << 27)
#define ICSR_PENDSTCLR (1u << 25)
#define ICSR_RETTOBASE (1u << 11)
#define ICSR_VECTPENDING(v) (((v) >> 12) & 0x1FFu)
#define AIRCR_VECTKEY 0x05FA0000u
#define SHCSR_USGFAULTENA (1u << 18)
#define CFSR_INVPC (1u << 18)
#define HFSR_FORCED (1u << 30)

#define SVCALL_EXC 11
#define PENDSV_EXC 14
#define SYSTICK_EXC 15

static inline void barrier(void) { __asm__ volatile("dsb\n isb" ::: "memory"); }

static inline uint32_t get_ipsr(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, ipsr" : "=r"(v));
    return v;
}

static inline uint32_t get_control(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, control" : "=r"(v));
    return v;
}

static inline void set_control(uint32_t v)
{
    __asm__ volatile("msr control, %0\n isb" : : "r"(v) : "memory");
}

static inline uint32_t get_basepri(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, basepri" : "=r"(v));
    return v;
}

static inline void set_basepri(uint32_t v)
{
    __asm__ volatile("msr basepri, %0\n isb" : : "r"(v) : "memory");
}

static inline void set_basepri_max(uint32_t v)
{
    __asm__ volatile("msr basepri_max, %0\n isb" : : "r"(v) : "memory");
}

static inline uint32_t get_primask(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, primask" : "=r"(v));
    return v;
}

static inline uint32_t get_faultmask(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, faultmask" : "=r"(v));
    return v;
}

static inline uint32_t get_msp(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, msp" : "=r"(v));
    return v;
}

static inline uint32_t get_psp(void)
{
    uint32_t v;
    __asm__ volatile("mrs %0, psp" : "=r"(v));
    return v;
}

static inline void irq_setup(unsigned irq, uint8_t prio)
{
    NVIC_IPR(irq) = prio;
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

static inline void irq_pend(unsigned irq) { NVIC_ISPR(irq / 32u) = 1u << (irq % 32u); }

/* AIRCR.PRIGROUP (bits 10:8) through the VECTKEY write protocol (B3.2.6). */
static inline void set_prigroup(uint32_t group)
{
    SCB_AIRCR = AIRCR_VECTKEY | ((group & 7u) << 8);
    barrier();
}

#endif
