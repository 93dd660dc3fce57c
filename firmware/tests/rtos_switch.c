/* A two-task preemptive switcher: SysTick pends PendSV every tick; PendSV saves the running
 * task's r4-r11 and EXC_RETURN on its process stack, and S16-S31 too when EXC_RETURN bit 4 is
 * clear (the task has an FP context, so the hardware stacked an extended frame: ARM DDI0403E
 * B1.5.7), then loads the other task's. SVC #0 starts the first task on PSP; SVC #2 comes back
 * to main once both are done. Both tasks do float work long enough to be switched many times;
 * any register a switch loses changes their results.
 *
 * The printed results do not depend on where the switches fall (QEMU's SysTick follows the host
 * clock, not instructions): main prints each task's digest, and yes/no facts that hold for any
 * tick placement once each task spans several ticks. Built with -DTANDEM_HOST the same work
 * functions run on the build machine and print the same digest lines (build both with
 * -ffp-contract=off: the FPv4 unit has fused multiply-add, the host's baseline has not). */
#include <stdint.h>
#include <stdio.h>

#define A_ITERS 20000u
#define B_ITERS 30000u

typedef struct {
    uint32_t w[4];
} digest_t;

static uint32_t bits(float f)
{
    union {
        float f;
        uint32_t u;
    } v = {f};
    return v.u;
}

/* Sixteen logistic maps (r = 3.99, chaotic on (0, 1)) live at once, and their running sum. */
static void work_a(volatile uint32_t *progress, digest_t *out)
{
    float x0 = 0.11f, x1 = 0.17f, x2 = 0.23f, x3 = 0.29f, x4 = 0.31f, x5 = 0.37f, x6 = 0.41f, x7 = 0.43f;
    float x8 = 0.47f, x9 = 0.53f, x10 = 0.59f, x11 = 0.61f, x12 = 0.67f, x13 = 0.71f, x14 = 0.73f, x15 = 0.79f;
    const float r = 3.99f;
    float s = 0.0f;
    for (uint32_t i = 0; i < A_ITERS; i++) {
#define LOGISTIC(x) x = r * x * (1.0f - x)
        LOGISTIC(x0); LOGISTIC(x1); LOGISTIC(x2); LOGISTIC(x3);
        LOGISTIC(x4); LOGISTIC(x5); LOGISTIC(x6); LOGISTIC(x7);
        LOGISTIC(x8); LOGISTIC(x9); LOGISTIC(x10); LOGISTIC(x11);
        LOGISTIC(x12); LOGISTIC(x13); LOGISTIC(x14); LOGISTIC(x15);
#undef LOGISTIC
        s = s + (x0 - x1) + (x2 - x3) + (x4 - x5) + (x6 - x7) + (x8 - x9) + (x10 - x11) + (x12 - x13) + (x14 - x15);
        *progress = i + 1;
    }
    out->w[0] = bits(x0 + x1 + x2 + x3);
    out->w[1] = bits(x4 * x5 + x6 * x7 + x8 * x9);
    out->w[2] = bits(x10 - x11 + x12 - x13 + x14 - x15);
    out->w[3] = bits(s);
}

/* Eight interleaved harmonic sums, a Newton square-root iteration on a moving argument and an
 * int-to-float conversion per step: divisions, conversions and accumulated rounding. */
static void work_b(volatile uint32_t *progress, digest_t *out)
{
    float h0 = 0.0f, h1 = 0.0f, h2 = 0.0f, h3 = 0.0f, h4 = 0.0f, h5 = 0.0f, h6 = 0.0f, h7 = 0.0f;
    float z = 1.0f, zsum = 0.0f;
    for (uint32_t k = 0; k < B_ITERS; k++) {
        float base = (float)(8u * k + 1u);
        h0 += 1.0f / base;
        h1 += 1.0f / (base + 1.0f);
        h2 += 1.0f / (base + 2.0f);
        h3 += 1.0f / (base + 3.0f);
        h4 += 1.0f / (base + 4.0f);
        h5 += 1.0f / (base + 5.0f);
        h6 += 1.0f / (base + 6.0f);
        h7 += 1.0f / (base + 7.0f);
        float t = (float)(k % 1000u) + 2.0f;
        z = 0.5f * (z + t / z);
        zsum += z;
        *progress = k + 1;
    }
    out->w[0] = bits(h0 - h1 + h2 - h3);
    out->w[1] = bits(h4 - h5 + h6 - h7);
    out->w[2] = bits(h0 + h7);
    out->w[3] = bits(zsum);
}

static void print_digest(const char *name, const digest_t *d)
{
    printf("task %s: %08lx %08lx %08lx %08lx\n", name, (unsigned long)d->w[0], (unsigned long)d->w[1],
           (unsigned long)d->w[2], (unsigned long)d->w[3]);
}

#ifdef TANDEM_HOST

int main(void)
{
    volatile uint32_t pa = 0, pb = 0;
    digest_t a, b;
    work_a(&pa, &a);
    work_b(&pb, &b);
    print_digest("A", &a);
    print_digest("B", &b);
    return 0;
}

#else

#include "exc_common.h"

#define STACK_WORDS 512u
#define MIN_TICKS 10u

typedef struct {
    uint32_t sp;
    volatile uint32_t progress;
    uint32_t total;
    volatile uint32_t done;
    volatile uint32_t switched_out_mid_work; /* times it was switched out before it was done */
    volatile uint32_t other_progress_at_finish;
    digest_t result;
} task_t;

static task_t tasks[2];
static uint32_t stacks[2][STACK_WORDS] __attribute__((aligned(8)));
static volatile uint32_t current;
static volatile uint32_t ticks;
static volatile uint32_t first_done = 2;
static volatile uint32_t main_msp, main_lr, start_sp;

void SysTick_Handler(void)
{
    ticks++;
    SCB_ICSR = ICSR_PENDSVSET;
}

/* Called by PendSV with the outgoing task's stack pointer (after its software-saved registers);
 * returns the incoming task's. */
uint32_t switch_context(uint32_t sp)
{
    task_t *out = &tasks[current];
    out->sp = sp;
    if (!out->done) {
        out->switched_out_mid_work++;
    }
    current ^= 1u;
    return tasks[current].sp;
}

__attribute__((naked)) void PendSV_Handler(void)
{
    __asm__ volatile(
        "mrs r0, psp\n isb\n"
        "tst lr, #0x10\n it eq\n vstmdbeq r0!, {s16-s31}\n"
        "stmdb r0!, {r4-r11, lr}\n"
        "bl switch_context\n"
        "ldmia r0!, {r4-r11, lr}\n"
        "tst lr, #0x10\n it eq\n vldmiaeq r0!, {s16-s31}\n"
        "msr psp, r0\n isb\n bx lr\n");
}

__attribute__((naked)) void SVC_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n ite eq\n mrseq r0, msp\n mrsne r0, psp\n"
        "ldr r1, [r0, #24]\n ldrb r1, [r1, #-2]\n"
        "cmp r1, #0\n beq rtos_start_first\n"
        "cmp r1, #2\n beq rtos_back_to_main\n"
        "bx lr\n");
}

/* Keeps main's r4-r11 and EXC_RETURN on MSP, then starts the task whose stack is start_sp as
 * PendSV would resume it. */
__attribute__((naked, used)) void rtos_start_first(void)
{
    __asm__ volatile(
        "push {r4-r11}\n"
        "ldr r1, =main_msp\n mov r2, sp\n str r2, [r1]\n"
        "ldr r1, =main_lr\n str lr, [r1]\n"
        "ldr r1, =start_sp\n ldr r0, [r1]\n"
        "ldmia r0!, {r4-r11, lr}\n msr psp, r0\n isb\n bx lr\n");
}

/* Stops the tick, drops a pending PendSV/SysTick (they would otherwise switch main's context
 * as a task's), restores main's registers and returns through main's SVC #0 frame. */
__attribute__((naked, used)) void rtos_back_to_main(void)
{
    __asm__ volatile(
        "ldr r1, =0xE000E010\n movs r0, #0\n str r0, [r1]\n"
        "ldr r1, =0xE000ED04\n ldr r0, =0x0A000000\n str r0, [r1]\n"
        "ldr r1, =main_msp\n ldr r0, [r1]\n msr msp, r0\n"
        "pop {r4-r11}\n"
        "ldr r1, =main_lr\n ldr lr, [r1]\n bx lr\n");
}

static void task_body(uint32_t id)
{
    task_t *self = &tasks[id];
    task_t *other = &tasks[id ^ 1u];
    if (id == 0) {
        SYST_CSR = 7; /* ENABLE | TICKINT | CLKSOURCE = core clock (B3.3.3) */
    }
    if (id == 0) {
        work_a(&self->progress, &self->result);
    } else {
        work_b(&self->progress, &self->result);
    }
    self->other_progress_at_finish = other->progress;
    if (first_done == 2) {
        first_done = id;
    }
    self->done = 1;
    while (!other->done || ticks < MIN_TICKS) {
    }
    __asm__ volatile("svc #2" ::: "memory");
    for (;;) {
    }
}

static void task_entry(uint32_t id) __attribute__((noreturn));
static void task_entry(uint32_t id)
{
    task_body(id);
    for (;;) {
    }
}

/* The stack a task starts from: a hardware frame (r0 = the task's id, PC = task_entry) under the
 * software frame PendSV restores (r4-r11, EXC_RETURN 0xFFFFFFFD: Thread, PSP, no FP context). */
static void task_init(uint32_t id, uint32_t total)
{
    uint32_t *top = &stacks[id][STACK_WORDS];
    *--top = 0x01000000u;                                  /* xPSR: T */
    *--top = (uint32_t)(uintptr_t)task_entry & ~1u;         /* PC */
    *--top = 0xFFFFFFFFu;                                  /* LR: never returns */
    *--top = 0;                                            /* r12 */
    *--top = 0;                                            /* r3 */
    *--top = 0;                                            /* r2 */
    *--top = 0;                                            /* r1 */
    *--top = id;                                           /* r0 */
    *--top = 0xFFFFFFFDu;                                  /* EXC_RETURN */
    for (int i = 0; i < 8; i++) {
        *--top = 0;                                        /* r11-r4 */
    }
    tasks[id].sp = (uint32_t)(uintptr_t)top;
    tasks[id].total = total;
}

static const char *yes(int v) { return v ? "yes" : "no"; }

int main(void)
{
    task_init(0, A_ITERS);
    task_init(1, B_ITERS);
    SCB_SHPR(PENDSV_EXC) = 0xE0;  /* lowest: a switch never preempts another handler */
    SCB_SHPR(SYSTICK_EXC) = 0xE0;
    SYST_RVR = 4999;              /* a tick every 5000 core cycles */
    SYST_CVR = 0;
    current = 0;
    start_sp = tasks[0].sp;
    set_control(0);               /* main has no FP context: its SVC frame is a basic one */
    __asm__ volatile("svc #0" ::: "memory", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11");
    print_digest("A", &tasks[0].result);
    print_digest("B", &tasks[1].result);
    uint32_t first = first_done, second = first ^ 1u;
    uint32_t seen = tasks[first].other_progress_at_finish;
    printf("both done: %s\n", yes(tasks[0].done && tasks[1].done));
    printf("the other task was mid-work when the first finished: %s\n",
           yes(seen > 0 && seen < tasks[second].total));
    printf("each task switched out mid-work: %s\n",
           yes(tasks[0].switched_out_mid_work > 0 && tasks[1].switched_out_mid_work > 0));
    printf("at least %u ticks: %s\n", MIN_TICKS, yes(ticks >= MIN_TICKS));
    printf("back on msp, control %lx, systick off %s\n", (unsigned long)get_control(), yes((SYST_CSR & 1u) == 0));
    printf("done\n");
    return 0;
}

#endif
