/* Nested exception priorities (ARM DDI0403E B1.5.4 priority grouping, B1.5.5 preemption,
 * B1.5.12 tail-chaining): IRQs pended through NVIC_ISPR and NVIC_STIR at several priorities,
 * AIRCR.PRIGROUP splitting them into group priority (decides preemption) and subpriority
 * (decides only which pending exception goes first, then the lower exception number).
 *
 * Every handler logs its entry and exit: the exception, IPSR, the nesting depth, and ICSR's
 * RETTOBASE and VECTPENDING. Handlers only log; main prints the log after each scenario. */
#include <stdint.h>
#include <stdio.h>

#include "exc_common.h"

#define MAX_EVENTS 64
#define N_EXC 32

typedef struct {
    char kind; /* '>' entry, '<' exit */
    uint8_t exc;
    uint8_t depth;
    uint8_t rettobase;
    uint16_t ipsr;
    uint16_t vectpending;
} event_t;

static volatile event_t events[MAX_EVENTS];
static volatile unsigned n_events;
static volatile unsigned depth;

/* What each exception does when it runs: pend these IRQs through ISPR, then these through STIR,
 * then PendSV if set. Cleared between scenarios. */
static volatile uint32_t pend_ispr[N_EXC];
static volatile uint32_t pend_stir[N_EXC];
static volatile uint8_t pend_pendsv[N_EXC];

static void log_event(char kind, uint32_t exc)
{
    unsigned i = n_events;
    if (i < MAX_EVENTS) {
        uint32_t icsr = SCB_ICSR;
        events[i].kind = kind;
        events[i].exc = (uint8_t)exc;
        events[i].depth = (uint8_t)depth;
        events[i].rettobase = (icsr & ICSR_RETTOBASE) ? 1u : 0u;
        events[i].ipsr = (uint16_t)get_ipsr();
        events[i].vectpending = (uint16_t)ICSR_VECTPENDING(icsr);
        n_events = i + 1;
    }
}

static void handle(void)
{
    uint32_t exc = get_ipsr() & 0x1FFu;
    depth++;
    log_event('>', exc);
    uint32_t mask = pend_ispr[exc];
    for (unsigned irq = 0; irq < 32; irq++) {
        if (mask & (1u << irq)) {
            irq_pend(irq);
            barrier(); /* B1.5.5: a higher-priority pended IRQ preempts before the next log */
        }
    }
    mask = pend_stir[exc];
    for (unsigned irq = 0; irq < 32; irq++) {
        if (mask & (1u << irq)) {
            NVIC_STIR = irq;
            barrier();
        }
    }
    if (pend_pendsv[exc]) {
        SCB_ICSR = ICSR_PENDSVSET;
        barrier();
    }
    log_event('<', exc);
    depth--;
}

void IRQ_Handler(void) { handle(); }
void PendSV_Handler(void) { handle(); }

static void name(uint32_t exc, char *buf)
{
    if (exc == PENDSV_EXC) {
        sprintf(buf, "PendSV");
    } else {
        sprintf(buf, "IRQ%lu", (unsigned long)(exc - 16u));
    }
}

static void begin(const char *title)
{
    for (unsigned i = 0; i < N_EXC; i++) {
        pend_ispr[i] = 0;
        pend_stir[i] = 0;
        pend_pendsv[i] = 0;
    }
    n_events = 0;
    depth = 0;
    printf("== %s\n", title);
}

static void report(void)
{
    char a[16], b[16];
    for (unsigned i = 0; i < n_events; i++) {
        volatile event_t *e = &events[i];
        name(e->exc, a);
        if (e->vectpending) {
            name(e->vectpending, b);
        } else {
            sprintf(b, "none");
        }
        printf("%c %-6s ipsr %3u depth %u rettobase %u vectpending %s\n", e->kind, a, e->ipsr,
               e->depth, e->rettobase, b);
    }
    printf("thread ipsr %lu depth %u\n", (unsigned long)get_ipsr(), depth);
}

#define IRQ(n) (1u << (n))
#define EXC(irq) (16u + (irq))

int main(void)
{
    /* All IRQs used: 0-13 (mps2-an386 has 32; none of these devices is enabled, so no line is
     * asserted by hardware). */
    irq_setup(0, 0x80);
    irq_setup(1, 0x40);
    irq_setup(2, 0xC0);
    irq_setup(3, 0x40);
    irq_setup(4, 0xE0);
    irq_setup(5, 0xE0);
    SCB_SHPR(PENDSV_EXC) = 0x40;

    begin("pending order under PRIMASK, PRIGROUP 0");
    /* Expected: the three at 0x40 by exception number (PendSV 14, IRQ1 17, IRQ3 19), then IRQ0
     * (0x80), IRQ2 (0xC0), IRQ4 (0xE0); all tail-chained at depth 1. */
    __asm__ volatile("cpsid i" ::: "memory");
    irq_pend(4);
    irq_pend(2);
    irq_pend(0);
    irq_pend(3);
    SCB_ICSR = ICSR_PENDSVSET;
    irq_pend(1);
    barrier();
    printf("pending while masked: ispr %08lx vectpending %lu\n", (unsigned long)NVIC_ISPR(0),
           (unsigned long)ICSR_VECTPENDING(SCB_ICSR));
    __asm__ volatile("cpsie i\n isb" ::: "memory");
    report();

    begin("nesting by priority, PRIGROUP 0");
    /* IRQ2 (0xC0) pends IRQ0 (0x80) through STIR: preempts. IRQ0 pends IRQ1 (0x40): preempts.
     * IRQ1 pends IRQ3 (0x40, equal: waits) and IRQ5 (0xE0: waits). When IRQ1 returns, IRQ3
     * (0x40) is higher than IRQ0 (0x80): tail-chained at depth 3. IRQ5 runs last, from Thread. */
    pend_stir[EXC(2)] = IRQ(0);
    pend_ispr[EXC(0)] = IRQ(1);
    pend_ispr[EXC(1)] = IRQ(3) | IRQ(5);
    irq_pend(2);
    barrier();
    report();

    begin("PendSV among IRQs");
    /* IRQ0 (0x80) pends PendSV (0x40): preempts. PendSV pends IRQ3 (0x40, equal: waits) and
     * IRQ2 (0xC0). PendSV returns, IRQ3 preempts IRQ0 by tail-chain; IRQ2 after IRQ0. */
    pend_pendsv[EXC(0)] = 1;
    pend_ispr[PENDSV_EXC] = IRQ(3) | IRQ(2);
    irq_pend(0);
    barrier();
    report();

    /* PRIGROUP 5: group priority = bits 7:6, subpriority = bits 5:0 (B1.5.4, Table B1-7). */
    irq_setup(6, 0x60);  /* group 1, sub 0x20 */
    irq_setup(7, 0x40);  /* group 1, sub 0x00 */
    irq_setup(8, 0x20);  /* group 0, sub 0x20 */
    irq_setup(9, 0xA0);  /* group 2, sub 0x20 */
    irq_setup(10, 0x80); /* group 2, sub 0x00 */
    irq_setup(11, 0xA0); /* group 2, sub 0x20 */
    set_prigroup(5);

    begin("pending order by subpriority, PRIGROUP 5");
    /* Order: IRQ7 (0x40), IRQ6 (0x60), IRQ10 (0x80), IRQ9 (0xA0, lower number), IRQ11 (0xA0). */
    __asm__ volatile("cpsid i" ::: "memory");
    irq_pend(11);
    irq_pend(9);
    irq_pend(10);
    irq_pend(6);
    irq_pend(7);
    __asm__ volatile("cpsie i\n isb" ::: "memory");
    report();

    begin("preemption by group priority only, PRIGROUP 5");
    /* IRQ6 (group 1) pends IRQ7 (group 1, better subpriority): no preemption; then IRQ8 (group
     * 0): preempts. IRQ10 pends IRQ9 (same group 2, worse sub): waits. After IRQ6 returns, IRQ7
     * runs from Thread. */
    pend_ispr[EXC(6)] = IRQ(7) | IRQ(8);
    irq_pend(6);
    barrier();
    pend_ispr[EXC(10)] = IRQ(9);
    pend_stir[EXC(9)] = IRQ(7);
    irq_pend(10);
    barrier();
    report();

    begin("no preemption between IRQs, PRIGROUP 7");
    /* PRIGROUP 7: no group bits, every configurable exception has group priority 0; an IRQ
     * still preempts Thread mode but never another IRQ. IRQ2 (0xC0) pends IRQ8 (0x20) and IRQ1
     * (0x40): both wait, then run by subpriority. */
    set_prigroup(7);
    pend_ispr[EXC(2)] = IRQ(1) | IRQ(8);
    irq_pend(2);
    barrier();
    report();

    set_prigroup(0);
    begin("back to PRIGROUP 0");
    /* IRQ2 (0xC0) pends IRQ8 (0x20): preempts again. */
    pend_ispr[EXC(2)] = IRQ(8);
    irq_pend(2);
    barrier();
    report();

    printf("done\n");
    return 0;
}
