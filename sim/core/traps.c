/*
 * The trap guard's per-instruction check (sim/core/traps.py): a Unicorn UC_HOOK_CODE callback
 * registered on the address of one instruction that can raise an operand-dependent UsageFault
 * (a divide, LDRD/LDM/LDREX/VLDR..., or with UNALIGN_TRP an LDR/STR). Running it in C keeps a
 * hooked instruction in a hot loop cheap (a Python callback costs microseconds per execution).
 *
 * Before the instruction runs the callback reads the registers it needs, and if the instruction
 * would fault records it in the shared struct tg_state and stops emulation (Unicorn checks the
 * stop request right after a code hook, so the instruction does not run).
 */
#include <stdint.h>

typedef int (*tg_reg_read_fn)(void *uc, int regid, void *value);
typedef int (*tg_stop_fn)(void *uc);

#define TG_DIV 0      /* SDIV/UDIV: faults on a zero divisor while DIV_0_TRP is set */
#define TG_ALWAYS 1   /* must be aligned whatever CCR says */
#define TG_TRAP 2     /* must be aligned while UNALIGN_TRP is set */

#define TG_DIV_0_TRP (1u << 4)
#define TG_UNALIGN_TRP (1u << 3)

struct tg_state {
    tg_reg_read_fn reg_read;
    tg_stop_fn stop;
    int32_t xpsr_regid;
    uint32_t ccr;         /* SCB->CCR, kept up to date by Python */
    uint32_t fired;       /* 1 once a check failed; cleared by Python */
    uint32_t fault_pc;
    uint32_t fault_ea;    /* the effective address (0 for a divide) */
    int32_t fault_check;  /* index of the failing check */
};

struct tg_check {
    struct tg_state *state;
    int32_t index;        /* in Python's list of checks */
    int32_t kind;
    int32_t align;        /* bytes */
    int32_t reg;          /* Unicorn id: divisor or base; -1 for a literal (PC-relative) */
    int32_t index_reg;    /* Unicorn id or -1 */
    int32_t shift;
    int32_t disp;
    int32_t cond;         /* ARM condition 0-13, or 14 for always */
};

static int cond_passed(int32_t cond, uint32_t xpsr)
{
    uint32_t n = xpsr >> 31 & 1, z = xpsr >> 30 & 1, c = xpsr >> 29 & 1, v = xpsr >> 28 & 1;
    switch (cond) {
    case 0: return z;
    case 1: return !z;
    case 2: return c;
    case 3: return !c;
    case 4: return n;
    case 5: return !n;
    case 6: return v;
    case 7: return !v;
    case 8: return c && !z;
    case 9: return !c || z;
    case 10: return n == v;
    case 11: return n != v;
    case 12: return !z && n == v;
    case 13: return z || n != v;
    default: return 1;
    }
}

static uint32_t reg(struct tg_state *s, void *uc, int32_t id)
{
    uint64_t v = 0;
    s->reg_read(uc, id, &v);
    return (uint32_t)v;
}

void tg_check_hook(void *uc, uint64_t address, uint32_t size, void *user)
{
    struct tg_check *k = (struct tg_check *)user;
    struct tg_state *s = k->state;
    uint32_t ea;
    (void)size;
    if (s->fired)
        return;
    if (k->kind == TG_DIV && !(s->ccr & TG_DIV_0_TRP))
        return;
    if (k->kind == TG_TRAP && !(s->ccr & TG_UNALIGN_TRP))
        return;
    if (k->cond < 14 && !cond_passed(k->cond, reg(s, uc, s->xpsr_regid)))
        return;
    if (k->kind == TG_DIV) {
        if (reg(s, uc, k->reg) != 0)
            return;
        ea = 0;
    } else {
        ea = k->reg < 0 ? (((uint32_t)address + 4u) & ~3u) : reg(s, uc, k->reg);
        if (k->index_reg >= 0)
            ea += reg(s, uc, k->index_reg) << k->shift;
        ea += (uint32_t)k->disp;
        if ((ea & (uint32_t)(k->align - 1)) == 0)
            return;
    }
    s->fired = 1;
    s->fault_pc = (uint32_t)address;
    s->fault_ea = ea;
    s->fault_check = k->index;
    s->stop(uc);
}
