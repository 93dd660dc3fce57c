/* UsageFaults that depend on operands (tests/test_traps.py): divide by zero with and without
 * CCR.DIV_0_TRP, unaligned LDR/LDRH with CCR.UNALIGN_TRP, LDRD/LDM/LDREX off word alignment
 * (which fault whatever CCR says), also with the base register changed earlier in the block
 * (modes 11-16). The case is TRAP_MODE if defined, else what the host wrote
 * into `trap_mode` before reset. The HardFault handler prints CFSR and the stacked PC and exits
 * with 7 (run with vector_faults); without it the run stops with a fault report. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "hal/system.h"

#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define CCR_UNALIGN_TRP (1u << 3)
#define CCR_DIV_0_TRP (1u << 4)

volatile uint32_t trap_mode __attribute__((section(".noinit"), used));
volatile uint32_t divisor;  /* .bss: 0 */
static uint32_t words[4] __attribute__((aligned(8))) = {0x11223344u, 0x55667788u, 0x99aabbccu, 0xddeeff00u};

uint32_t ldrd_sum(const void *p);
uint32_t ldm_sum(const void *p);
uint32_t ldrex_word(const void *p);
__asm__(".text\n.thumb\n.syntax unified\n"
        ".global ldrd_sum\n.type ldrd_sum, %function\n.thumb_func\n"
        "ldrd_sum: ldrd r2, r3, [r0]\n adds r0, r2, r3\n bx lr\n"
        ".global ldm_sum\n.type ldm_sum, %function\n.thumb_func\n"
        "ldm_sum: ldm r0, {r2, r3}\n adds r0, r2, r3\n bx lr\n"
        ".global ldrex_word\n.type ldrex_word, %function\n.thumb_func\n"
        "ldrex_word: ldrex r0, [r0]\n clrex\n bx lr\n"
        /* the base register changed earlier in the block (core/traps.py checks these at the
         * block's entry from the entry value plus what the block adds to it) */
        ".global ldrd_plus2\n.type ldrd_plus2, %function\n.thumb_func\n"
        "ldrd_plus2: adds r0, #2\n ldrd r2, r3, [r0]\n adds r0, r2, r3\n bx lr\n"
        ".global ldrd_moved\n.type ldrd_moved, %function\n.thumb_func\n"
        "ldrd_moved: mov r1, r0\n adds r1, #2\n ldrd r2, r3, [r1]\n adds r0, r2, r3\n bx lr\n"
        ".global ldrd_postinc\n.type ldrd_postinc, %function\n.thumb_func\n"
        "ldrd_postinc: ldr r1, [r0], #2\n ldrd r2, r3, [r0]\n adds r0, r2, r3\n bx lr\n"
        ".global ldrd_indirect\n.type ldrd_indirect, %function\n.thumb_func\n"
        "ldrd_indirect: ldr r0, [r0]\n ldrd r2, r3, [r0]\n adds r0, r2, r3\n bx lr\n"
        /* sums n doublewords 2 bytes apart from p - 2: the loop's one block is entered n times */
        ".global ldrd_walk2\n.type ldrd_walk2, %function\n.thumb_func\n"
        "ldrd_walk2: push {r4}\n movs r4, #0\n"
        "1: adds r0, #2\n ldrd r2, r3, [r0, #-4]\n adds r4, r4, r2\n adds r4, r4, r3\n subs r1, #1\n bne 1b\n"
        " mov r0, r4\n pop {r4}\n bx lr\n");
uint32_t ldrd_plus2(const void *p);
uint32_t ldrd_moved(const void *p);
uint32_t ldrd_postinc(const void *p);
uint32_t ldrd_indirect(const void *const *pp);
uint32_t ldrd_walk2(const void *p, uint32_t n);
static const void *pointer;

__attribute__((noinline)) uint32_t udiv_by(uint32_t a, uint32_t b) { return a / b; }
__attribute__((noinline)) int32_t sdiv_by(int32_t a, int32_t b) { return a / b; }
__attribute__((noinline)) uint32_t load_word(const uint8_t *p) { return *(const volatile uint32_t *)p; }
__attribute__((noinline)) uint32_t load_half(const uint8_t *p) { return *(const volatile uint16_t *)p; }

void report_fault(uint32_t *frame)
{
    SCB_CCR &= ~CCR_UNALIGN_TRP;  /* newlib's printf makes unaligned halfword stores */
    printf("cfsr %08lx hfsr %08lx\n", (unsigned long)SCB_CFSR, (unsigned long)SCB_HFSR);
    printf("stacked pc %08lx\n", (unsigned long)frame[6]);
    hal_exit(7);
}

__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile("mrs r0, msp\n b report_fault\n");
}

int main(void)
{
#ifdef TRAP_MODE
    uint32_t mode = TRAP_MODE;
#else
    uint32_t mode = trap_mode;
#endif
    const uint8_t *odd = (const uint8_t *)words + 1;
    uint32_t v;
    switch (mode) {
    case 1: printf("udiv %lu\n", (unsigned long)udiv_by(100u, divisor)); break;
    case 2: SCB_CCR |= CCR_DIV_0_TRP; printf("udiv %lu\n", (unsigned long)udiv_by(100u, divisor)); break;
    case 3: SCB_CCR |= CCR_DIV_0_TRP; printf("sdiv %ld\n", (long)sdiv_by(-100, 7 + (int32_t)divisor)); break;
    case 4: printf("ldr %08lx\n", (unsigned long)load_word(odd)); break;
    case 5: SCB_CCR |= CCR_UNALIGN_TRP; v = load_word(odd); SCB_CCR &= ~CCR_UNALIGN_TRP; printf("ldr %08lx\n", (unsigned long)v); break;
    case 6: SCB_CCR |= CCR_UNALIGN_TRP; v = load_half(odd); SCB_CCR &= ~CCR_UNALIGN_TRP; printf("ldrh %04lx\n", (unsigned long)v); break;
    case 7: printf("ldrd %08lx\n", (unsigned long)ldrd_sum(words)); printf("ldrd %08lx\n", (unsigned long)ldrd_sum(odd + 1)); break;
    case 8: printf("ldm %08lx\n", (unsigned long)ldm_sum((const uint8_t *)words + 2)); break;
    case 9: printf("ldrex %08lx\n", (unsigned long)ldrex_word((const uint8_t *)words + 2)); break;
    case 10:
        SCB_CCR |= CCR_UNALIGN_TRP;
        v = load_word(odd + 3) + load_half(odd + 1);
        SCB_CCR &= ~CCR_UNALIGN_TRP;
        printf("aligned %08lx then %08lx\n", (unsigned long)v, (unsigned long)load_word(odd));
        break;
    case 11: printf("plus2 %08lx\n", (unsigned long)ldrd_plus2(words)); break;
    case 12: printf("moved %08lx\n", (unsigned long)ldrd_moved(words)); break;
    case 13: printf("postinc %08lx\n", (unsigned long)ldrd_postinc(words)); break;
    case 14:
        pointer = words;
        printf("indirect %08lx\n", (unsigned long)ldrd_indirect(&pointer));
        pointer = odd + 1;
        printf("indirect %08lx\n", (unsigned long)ldrd_indirect(&pointer));
        break;
    case 15: printf("walk %08lx\n", (unsigned long)ldrd_walk2(odd + 1, 2)); break;
    case 16:
        v = ldrd_plus2(odd + 1) ^ ldrd_moved(odd + 1) ^ ldrd_postinc(odd + 1) ^ ldrd_walk2(odd + 1, 1);
        printf("aligned %08lx\n", (unsigned long)v);
        break;
    default: printf("mode %lu?\n", (unsigned long)mode); return 1;
    }
    return 0;
}
