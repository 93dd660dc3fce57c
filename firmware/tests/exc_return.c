/* Every EXC_RETURN form (ARM DDI0403E B1.5.8, Table B1-8 and B1-9): 0xFFFFFFF9 (Thread, MSP),
 * 0xFFFFFFFD (Thread, PSP: a thread started on PSP by an SVC, in the way RTOS ports start their
 * first task), 0xFFFFFFF1 (Handler to Handler), and the FP forms 0xFFFFFFE9/ED/E1 with extended
 * frames after FP use (B1.5.7, FPCCR.ASPEN/LSPEN at their reset value: lazy state preservation).
 * Inside the handlers it records LR, the frame's distance below the interrupted SP, CONTROL,
 * FPCCR.LSPACT and FPCAR; main prints them.
 *
 * It ends with an illegal exception return chosen by EXC_ILLEGAL (a build define):
 *   0: return from SVCall with the reserved 0xFFFFFFF5, UsageFault enabled -> UsageFault
 *   1: the same with UsageFault disabled -> HardFault, HFSR.FORCED
 *   2: return to Thread (0xFFFFFFF9) from a nested IRQ (CCR.NONBASETHRDENA 0) -> UsageFault
 * Each sets CFSR.INVPC; the fault handler prints what it sees and exits 0 (B1.5.8: the fault is
 * taken without a new frame, LR holding the rejected EXC_RETURN). */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "exc_common.h"
#include "hal/system.h"

#ifndef EXC_ILLEGAL
#define EXC_ILLEGAL 0
#endif

typedef struct {
    uint32_t lr, frame, msp, control, xpsr;
    uint32_t fpccr_entry, fpccr_after, fpcar, stacked_s0, control_after;
    uint32_t sp_before;
} rec_t;

static volatile rec_t rec;
static volatile uint32_t main_msp, main_lr, expect_fault;
static uint32_t task_stack[512] __attribute__((aligned(8)));
static volatile uint32_t task_sp;
static const uint32_t fp_in[4] = {0x3f800000u, 0x40000000u, 0x40400000u, 0x40800000u};
static volatile uint32_t fp_out[4];

enum { IRQ_NEST, IRQ_NEST_FP, IRQ_BAD_RETURN };
static volatile uint32_t irq_mode;

static void record(uint32_t *frame, uint32_t lr, uint32_t msp, int fp)
{
    rec.lr = lr;
    rec.frame = (uint32_t)(uintptr_t)frame;
    rec.msp = msp;
    rec.control = get_control();
    rec.xpsr = frame[7];
    rec.fpccr_entry = FPU_FPCCR;
    rec.fpcar = FPU_FPCAR;
    if (fp) {
        /* The handler's first FP instruction: with LSPACT set, the thread's S0-S15 and FPSCR are
         * written to the frame's reserved space first (B1.5.7), then S0-S3 are clobbered; the
         * exception return restores them from the frame. */
        __asm__ volatile("vmov s0, %0\n vmov s1, %0\n vmov s2, %0\n vmov s3, %0"
                         : : "r"(0xDEADBEEFu) : "s0", "s1", "s2", "s3");
        rec.fpccr_after = FPU_FPCCR;
        rec.stacked_s0 = frame[8];
        rec.control_after = get_control();
    }
}

uint32_t svc_record(uint32_t *frame, uint32_t num, uint32_t lr, uint32_t msp)
{
    if (num == 3) {
        return 0xFFFFFFF5u; /* reserved EXC_RETURN */
    }
    record(frame, lr, msp, num == 4);
    return lr;
}

/* SVC #0 starts the PSP thread, SVC #2 comes back from it to main, others go to svc_record. */
__attribute__((naked)) void SVC_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n"
        "ldr r1, [r0, #24]\n ldrb r1, [r1, #-2]\n"
        "cmp r1, #0\n beq svc_start_thread\n"
        "cmp r1, #2\n beq svc_back_to_main\n"
        "mov r2, lr\n mrs r3, msp\n bl svc_record\n bx r0\n");
}

/* Keeps main's r4-r11 and EXC_RETURN on MSP, loads the thread's r4-r11 from its stack, points
 * PSP past them and returns to Thread mode on PSP (0xFFFFFFFD) through the thread's frame. */
__attribute__((naked, used)) void svc_start_thread(void)
{
    __asm__ volatile(
        "push {r4-r11}\n"
        "ldr r1, =main_msp\n mov r2, sp\n str r2, [r1]\n"
        "ldr r1, =main_lr\n str lr, [r1]\n"
        "ldr r1, =task_sp\n ldr r0, [r1]\n"
        "ldmia r0!, {r4-r11}\n msr psp, r0\n isb\n"
        "ldr lr, =0xFFFFFFFD\n bx lr\n");
}

/* Back to main: MSP to where svc_start_thread left it, main's r4-r11, and main's EXC_RETURN,
 * which unstacks the frame of main's SVC #0 (on MSP, untouched since: later handlers ran below). */
__attribute__((naked, used)) void svc_back_to_main(void)
{
    __asm__ volatile(
        "ldr r1, =main_msp\n ldr r0, [r1]\n msr msp, r0\n"
        "pop {r4-r11}\n"
        "ldr r1, =main_lr\n ldr lr, [r1]\n bx lr\n");
}

uint32_t irq_record(uint32_t *frame, uint32_t lr, uint32_t msp)
{
    uint32_t irq = (get_ipsr() & 0x1FFu) - 16u;
    if (irq == 0) {
        if (irq_mode == IRQ_NEST_FP) {
            __asm__ volatile("vmov s4, %0" : : "r"(0x3F000000u) : "s4"); /* FP use: CONTROL.FPCA */
        }
        uint32_t sp;
        __asm__ volatile("mov %0, sp\n str %2, [%1]\n dsb\n isb"
                         : "=&r"(sp) : "r"(&NVIC_ISPR(0)), "r"(1u << 1) : "memory");
        rec.sp_before = sp;
        return lr;
    }
    record(frame, lr, msp, 0);
    if (irq_mode == IRQ_BAD_RETURN) {
        return 0xFFFFFFF9u; /* Thread mode while IRQ0 is still active */
    }
    return lr;
}

__attribute__((naked)) void IRQ_Handler(void)
{
    __asm__ volatile("tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n"
                     "mov r1, lr\n mrs r2, msp\n bl irq_record\n bx r0\n");
}

void fault_report(uint32_t lr)
{
    printf("fault: ipsr %lu lr %08lx cfsr %08lx hfsr %08lx svcall active %lu iabr0 %08lx\n",
           (unsigned long)get_ipsr(), (unsigned long)lr, (unsigned long)SCB_CFSR, (unsigned long)SCB_HFSR,
           (unsigned long)(SCB_SHCSR >> 7 & 1u), (unsigned long)NVIC_IABR(0));
    if (expect_fault) {
        printf("done\n");
        hal_exit(0);
    }
    hal_exit(1);
}

__attribute__((naked)) void UsageFault_Handler(void) { __asm__ volatile("mov r0, lr\n b fault_report\n"); }
__attribute__((naked)) void HardFault_Handler(void) { __asm__ volatile("mov r0, lr\n b fault_report\n"); }

static void show(const char *what, uint32_t control_thread)
{
    printf("%s: lr %08lx frame %lu below sp, xpsr.9 %lu, control thread %lx handler %lx\n", what,
           (unsigned long)rec.lr, (unsigned long)(rec.sp_before - rec.frame), (unsigned long)(rec.xpsr >> 9 & 1u),
           (unsigned long)control_thread, (unsigned long)rec.control);
}

static void show_fp(void)
{
    int kept = fp_out[0] == fp_in[0] && fp_out[1] == fp_in[1] && fp_out[2] == fp_in[2] && fp_out[3] == fp_in[3];
    printf("  lspact %lu -> %lu, fpcar at frame+%ld, stacked s0 %08lx, handler control after fp %lx, "
           "s0-s3 kept %d\n", (unsigned long)(rec.fpccr_entry & 1u), (unsigned long)(rec.fpccr_after & 1u),
           (long)(rec.fpcar - rec.frame), (unsigned long)rec.stacked_s0, (unsigned long)rec.control_after, kept);
}

static void svc1(void)
{
    uint32_t sp;
    __asm__ volatile("mov %0, sp\n svc #1" : "=&r"(sp) : : "memory");
    rec.sp_before = sp;
}

/* Loads S0-S3 (FP use: CONTROL.FPCA becomes 1), takes SVC #4, stores S0-S3 back. */
static void svc4_fp(void)
{
    uint32_t sp;
    __asm__ volatile("vldmia %1, {s0-s3}\n mov %0, sp\n svc #4\n vstmia %2, {s0-s3}"
                     : "=&r"(sp) : "r"(fp_in), "r"(fp_out) : "s0", "s1", "s2", "s3", "memory");
    rec.sp_before = sp;
}

__attribute__((noreturn)) static void psp_thread(void)
{
    uint32_t control = get_control();
    svc1();
    show("thread psp", control);
    printf("  msp at entry - main's handler stack %ld, psp now %lu below the thread's initial sp\n",
           (long)(rec.msp - main_msp), (unsigned long)((uint32_t)(uintptr_t)&task_stack[512] - get_psp()));
    svc4_fp();
    show("thread psp fp", get_control());
    show_fp();
    __asm__ volatile("svc #2" ::: "memory");
    for (;;) {
    }
}

static void start_psp_thread(void)
{
    uint32_t *top = &task_stack[512];
    *--top = 0x01000000u;                             /* xPSR: T */
    *--top = (uint32_t)(uintptr_t)psp_thread & ~1u;    /* PC */
    *--top = 0xFFFFFFFFu;                             /* LR: psp_thread never returns */
    for (int i = 0; i < 5; i++) {
        *--top = 0; /* r12, r3-r0 */
    }
    for (int i = 0; i < 8; i++) {
        *--top = 0x0C0DE000u + (uint32_t)(11 - i); /* r11-r4 */
    }
    task_sp = (uint32_t)(uintptr_t)top;
    uint32_t msp_before = get_msp();
    register uint32_t r4 __asm__("r4") = 0x44444444u;
    register uint32_t r11 __asm__("r11") = 0xBBBBBBBBu;
    __asm__ volatile("svc #0" : "+r"(r4), "+r"(r11) : : "memory");
    printf("back in main: control %lx msp moved %ld r4 %08lx r11 %08lx\n", (unsigned long)get_control(),
           (long)(get_msp() - msp_before), (unsigned long)r4, (unsigned long)r11);
}

static void pend_irq0(uint32_t mode)
{
    irq_mode = mode;
    irq_pend(0);
    barrier();
}

int main(void)
{
    printf("reset: control %lx fpccr aspen/lspen %lx ccr.nonbasethrdena %lu\n", (unsigned long)get_control(),
           (unsigned long)(FPU_FPCCR >> 30), (unsigned long)(SCB_CCR & 1u));
    irq_setup(0, 0x80);
    irq_setup(1, 0x40);
    SCB_SHCSR |= SHCSR_USGFAULTENA;

    set_control(0); /* no FP context: basic frames */
    svc1();
    show("thread msp", get_control());

    svc4_fp();
    show("thread msp fp", get_control());
    show_fp();
    set_control(0);

    pend_irq0(IRQ_NEST);
    show("handler", get_control());
    pend_irq0(IRQ_NEST_FP);
    show("handler fp", get_control());
    printf("  lspact %lu, fpcar at frame+%ld\n", (unsigned long)(rec.fpccr_entry & 1u), (long)(rec.fpcar - rec.frame));
    set_control(0);

    start_psp_thread();

    expect_fault = 1;
#if EXC_ILLEGAL == 0 || EXC_ILLEGAL == 1
#if EXC_ILLEGAL == 1
    SCB_SHCSR &= ~SHCSR_USGFAULTENA;
#endif
    printf("illegal: return from SVCall with 0xFFFFFFF5\n");
    __asm__ volatile("svc #3" ::: "memory");
#else
    printf("illegal: return to Thread from a nested IRQ\n");
    pend_irq0(IRQ_BAD_RETURN);
#endif
    printf("not reached\n");
    return 1;
}
