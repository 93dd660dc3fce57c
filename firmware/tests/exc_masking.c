/* Where a masked exception is taken: PRIMASK, BASEPRI, BASEPRI_MAX and FAULTMASK (ARM DDI0403E
 * B1.4.3 special-purpose mask registers, B1.5.4 execution priority, B5.2.3 MSR), PendSV and
 * SysTick pended through ICSR from Thread mode, and SVC from a handler (B1.5.6: SVCall taken
 * nested when its priority is higher than the handler's, escalated to HardFault with HFSR.FORCED
 * when it is not, or when PRIMASK is set).
 *
 * Thread code advances `step` between statements; each handler records the step it saw. A
 * context-synchronising ISB follows every mask change and pend, so each exception has exactly one
 * architecturally correct step. Handlers only record; main prints. */
#include <stdint.h>
#include <stdio.h>

#include "exc_common.h"

#define N_EXC 32

static volatile uint32_t step;
static volatile uint32_t taken_at[N_EXC];
static volatile uint32_t hits[N_EXC];
static volatile uint32_t nested_in[N_EXC]; /* the exception active below this one, 0 from Thread */
static volatile uint32_t depth;
static volatile uint32_t active_exc;

/* What IRQ handlers do besides recording (set by main for one case at a time). */
enum { ACT_NONE, ACT_FAULTMASK, ACT_PRIMASK, ACT_SVC };
static volatile uint32_t action;
static volatile uint32_t mask_seen;

static volatile uint32_t hf_hfsr, hf_cfsr, hf_ipsr, hf_stacked_ipsr, hf_hits;
static volatile int32_t hf_pc_offset;
extern const uint16_t svc_in_handler[], svc_in_thread[];

__attribute__((noinline)) static void record(void)
{
    uint32_t exc = get_ipsr() & 0x1Fu;
    taken_at[exc] = step;
    hits[exc]++;
    nested_in[exc] = active_exc;
    uint32_t below = active_exc;
    active_exc = exc;
    depth++;
    if (exc >= 16) {
        if (action == ACT_FAULTMASK) {
            __asm__ volatile("cpsid f" ::: "memory");
            mask_seen = get_faultmask();
        } else if (action == ACT_PRIMASK) {
            __asm__ volatile("cpsid i" ::: "memory");
            mask_seen = get_primask();
        } else if (action == ACT_SVC) {
            step = 10;
            __asm__ volatile(".global svc_in_handler\n svc_in_handler: svc #1" ::: "memory");
            step = 11;
        }
    }
    depth--;
    active_exc = below;
}

void IRQ_Handler(void) { record(); }
void PendSV_Handler(void) { record(); }
void SysTick_Handler(void) { record(); }
void SVC_Handler(void) { record(); }

void hardfault_record(uint32_t *frame)
{
    hf_hits++;
    hf_hfsr = SCB_HFSR;
    hf_cfsr = SCB_CFSR;
    hf_ipsr = get_ipsr();
    hf_stacked_ipsr = frame[7] & 0x1FFu;
    uint32_t pc = frame[6];
    const uint16_t *site = hf_hits == 1 ? svc_in_handler : svc_in_thread;
    hf_pc_offset = (int32_t)(pc - (uint32_t)(uintptr_t)site);
    if (pc == (uint32_t)(uintptr_t)site) {
        frame[6] = pc + 2; /* a return address at the SVC itself would run it again */
    }
    SCB_HFSR = HFSR_FORCED; /* write-one-to-clear (B3.2.16) */
}

__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n b hardfault_record\n");
}

static void clear_records(void)
{
    for (unsigned i = 0; i < N_EXC; i++) {
        taken_at[i] = 0;
        hits[i] = 0;
        nested_in[i] = 0;
    }
    step = 0;
    action = ACT_NONE;
    mask_seen = 0;
}

static void show(const char *what, uint32_t exc)
{
    printf("%s: hits %lu taken at step %lu from %lu\n", what, (unsigned long)hits[exc],
           (unsigned long)taken_at[exc], (unsigned long)nested_in[exc]);
}

#define EXC(irq) (16u + (irq))

int main(void)
{
    irq_setup(0, 0x80);
    irq_setup(1, 0x80);
    irq_setup(2, 0x60);
    irq_setup(3, 0x00);
    irq_setup(4, 0x40);
    irq_setup(5, 0x80);
    SCB_SHPR(PENDSV_EXC) = 0xE0;
    SCB_SHPR(SYSTICK_EXC) = 0xE0;
    SCB_SHPR(SVCALL_EXC) = 0x20;

    /* PRIMASK: pended while set, taken right after CPSIE I (+ISB): at step 3. */
    clear_records();
    __asm__ volatile("cpsid i" ::: "memory");
    step = 1;
    irq_pend(0);
    barrier();
    step = 2;
    uint32_t primask = get_primask();
    step = 3;
    __asm__ volatile("cpsie i\n isb" ::: "memory");
    step = 4;
    printf("primask read %lu\n", (unsigned long)primask);
    show("primask IRQ0", EXC(0));

    /* BASEPRI: IRQ1 at 0x80 is masked by BASEPRI 0x80 (priority >= BASEPRI) and 0x60, taken when
     * BASEPRI becomes 0xA0: at step 3. */
    clear_records();
    set_basepri(0x80);
    step = 1;
    irq_pend(1);
    barrier();
    step = 2;
    set_basepri(0x60);
    step = 3;
    set_basepri(0xA0);
    step = 4;
    set_basepri(0);
    show("basepri IRQ1", EXC(1));

    /* BASEPRI_MAX writes only when it raises the masking level (a non-zero value below the current
     * one, or any non-zero value when BASEPRI is 0); writing 0 through it does nothing. */
    clear_records();
    uint32_t bp[5];
    set_basepri_max(0x80);
    bp[0] = get_basepri();
    set_basepri_max(0xC0);
    bp[1] = get_basepri();
    set_basepri_max(0x40);
    bp[2] = get_basepri();
    set_basepri_max(0);
    bp[3] = get_basepri();
    step = 1;
    irq_pend(2); /* 0x60 >= 0x40: masked */
    barrier();
    step = 2;
    set_basepri_max(0xE0); /* no effect: still masked */
    bp[4] = get_basepri();
    step = 3;
    set_basepri(0); /* taken here: step 3 */
    step = 4;
    printf("basepri_max 0x80 0xC0 0x40 0 0xE0 -> %02lx %02lx %02lx %02lx %02lx\n", (unsigned long)bp[0],
           (unsigned long)bp[1], (unsigned long)bp[2], (unsigned long)bp[3], (unsigned long)bp[4]);
    show("basepri_max IRQ2", EXC(2));

    /* FAULTMASK: raises the execution priority to -1, masking even priority 0x00; taken after
     * CPSIE F at step 2. */
    clear_records();
    __asm__ volatile("cpsid f" ::: "memory");
    uint32_t fm = get_faultmask();
    step = 1;
    irq_pend(3);
    barrier();
    step = 2;
    __asm__ volatile("cpsie f\n isb" ::: "memory");
    step = 3;
    printf("faultmask read %lu\n", (unsigned long)fm);
    show("faultmask IRQ3", EXC(3));

    /* Exception return clears FAULTMASK (B1.5.8, except returning from NMI) but not PRIMASK. */
    clear_records();
    action = ACT_FAULTMASK;
    irq_pend(4);
    barrier();
    uint32_t fm_after = get_faultmask();
    printf("faultmask set in handler %lu, after return %lu\n", (unsigned long)mask_seen, (unsigned long)fm_after);
    action = ACT_PRIMASK;
    irq_pend(4);
    barrier();
    uint32_t pm_after = get_primask();
    __asm__ volatile("cpsie i\n isb" ::: "memory");
    printf("primask set in handler %lu, after return %lu\n", (unsigned long)mask_seen, (unsigned long)pm_after);
    show("mask-setting IRQ4", EXC(4));

    /* PendSV and SysTick pended through ICSR from Thread mode: taken right after the store's
     * DSB+ISB, at step 1; under PRIMASK they stay pending (ICSR reads them back) until CPSIE I. */
    clear_records();
    step = 1;
    SCB_ICSR = ICSR_PENDSVSET;
    barrier();
    step = 2;
    SCB_ICSR = 1u << 26; /* PENDSTSET */
    barrier();
    step = 3;
    show("pendsv", PENDSV_EXC);
    show("systick", SYSTICK_EXC);
    clear_records();
    __asm__ volatile("cpsid i" ::: "memory");
    step = 1;
    SCB_ICSR = ICSR_PENDSVSET | (1u << 26);
    barrier();
    step = 2;
    uint32_t icsr = SCB_ICSR;
    __asm__ volatile("cpsie i\n isb" ::: "memory");
    step = 3;
    printf("icsr pendsvset %lu pendstset %lu vectpending %lu\n", (unsigned long)(icsr >> 28 & 1u),
           (unsigned long)(icsr >> 26 & 1u), (unsigned long)ICSR_VECTPENDING(icsr));
    show("pendsv masked", PENDSV_EXC);
    show("systick masked", SYSTICK_EXC);

    /* SVC from IRQ5 (0x80) with SVCall at 0x20: taken nested, at step 10. */
    clear_records();
    action = ACT_SVC;
    irq_pend(5);
    barrier();
    show("svc in IRQ5, SVCall 0x20", SVCALL_EXC);
    show("IRQ5", EXC(5));
    printf("step after IRQ5 %lu\n", (unsigned long)step);

    /* SVCall at 0xC0 cannot preempt IRQ5 (0x80): the SVC escalates to HardFault (FORCED). */
    clear_records();
    SCB_SHPR(SVCALL_EXC) = 0xC0;
    action = ACT_SVC;
    irq_pend(5);
    barrier();
    show("svc in IRQ5, SVCall 0xC0", SVCALL_EXC);
    printf("hardfault hits %lu hfsr %08lx cfsr %08lx ipsr %lu stacked ipsr %lu pc svc%+ld\n",
           (unsigned long)hf_hits, (unsigned long)hf_hfsr, (unsigned long)hf_cfsr, (unsigned long)hf_ipsr,
           (unsigned long)hf_stacked_ipsr, (long)hf_pc_offset);
    printf("step after IRQ5 %lu hfsr now %08lx\n", (unsigned long)step, (unsigned long)SCB_HFSR);

    /* SVC in Thread mode with PRIMASK set: execution priority 0 is not above SVCall: HardFault. */
    clear_records();
    __asm__ volatile("cpsid i" ::: "memory");
    step = 20;
    __asm__ volatile(".global svc_in_thread\n svc_in_thread: svc #2" ::: "memory");
    step = 21;
    __asm__ volatile("cpsie i\n isb" ::: "memory");
    show("svc under primask", SVCALL_EXC);
    printf("hardfault hits %lu hfsr %08lx cfsr %08lx ipsr %lu stacked ipsr %lu pc svc%+ld\n",
           (unsigned long)hf_hits, (unsigned long)hf_hfsr, (unsigned long)hf_cfsr, (unsigned long)hf_ipsr,
           (unsigned long)hf_stacked_ipsr, (long)hf_pc_offset);
    printf("step %lu\n", (unsigned long)step);

    printf("done\n");
    return 0;
}
