/*
 * tandem's native cycle counter: a Unicorn UC_HOOK_BLOCK callback.
 *
 * Python (sim/timing/counter.py) registers tm_block_hook with uc_hook_add and passes a
 * struct tm_state as user data. Every block entry looks the block up in an open-addressing
 * hash table keyed by (address, size) and adds its precomputed cost; a miss calls back into
 * Python once per new block to decode it. Keeping the per-block work in C is what lets
 * timing run at near-emulator speed (a Python block hook costs ~0.3 us per call).
 *
 * Branch accounting: a block is charged its cost with the final branch counted not taken;
 * the next block entry resolves the branch (entered address != fallthrough => taken) and
 * adds taken_extra.
 *
 * Memory accounting: a block may carry "line events" (flash lines it fetches, literal-pool
 * lines it loads) checked against small fully associative LRU tag arrays modelling a flash
 * accelerator's caches (STM32 ART); a line not in its cache adds that event's miss cost.
 *
 * Stack high-water: a block whose instructions move SP down by a static amount (PUSH,
 * SUB SP, STR [SP,#-n]!) carries that amount as sp_descent and always takes the slow path,
 * which reads SP at its entry; the lowest (SP - sp_descent) seen is the exact low-water mark.
 * A block that sets SP to a run-time value (MOV SP, SUB SP by register) is flagged SPDYN and
 * SP is read at the next block entry (sent to the slow path by a zero deadline). Blocks
 * without either pay nothing.
 *
 * Profiling (tm_block_hook_prof, registered instead of tm_block_hook only when requested):
 * every cycle charged between two block entries belongs to the calling-context node that was
 * current; a shadow call stack pushes a node on entering a block after a BL/BLX block (unless
 * it fell through), pops on entering the pushed return address, and the board reports
 * exception entry and return (tm_prof_exc_enter/exc_return).
 *
 * Mask watch (tm_watch_masks): while the board has an exception pending that PRIMASK, BASEPRI
 * or FAULTMASK hold off, the deadline is forced to 0 so that every block entry reads the three
 * registers and stops when one changed; without a watch the hot path is untouched.
 *
 * Entry checks (the trap guard's alignment checks, sim/core/traps.py): a block may carry checks
 * of accesses that must be aligned (LDRD/STRD, LDM/STM, VLDR...) whose base register no earlier
 * instruction of the block writes, so that its value at the block's entry is the value the
 * access uses. Such a block always takes the slow path, which reads the registers; when an
 * address would not be aligned the block is not charged and emulation stops before it
 * (tm_check_hit), and the guard hooks the block's instructions one by one instead. Checked at
 * entry an access costs a register read or two instead of a code hook on its instruction
 * (Unicorn's code hooks cost 150-190 ns each per execution here).
 *
 * Recency is updated when a block's lines are checked, which the hook does on the block's
 * first entry after any miss anywhere (line_gen): exact LRU while misses are frequent, and
 * no replacement happens while they are not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h> /* types only: the functions come from Python (tm_dec_new) */

#define TM_RING 16u
#define TM_NO_DEADLINE UINT64_MAX

#define TM_CACHES 4u
#define TM_DATA_REGIONS 4u

#define TM_F_CALL 1u      /* the block ends with BL/BLX */
#define TM_F_SPDYN 2u     /* the block sets SP to a value not known statically */

#define TM_NO_RET 1u      /* return address of root and exception frames: never a block start */
#define TM_MAX_FRAMES (1u << 20)

struct tm_entry {
    uint64_t key;         /* (uint32_t)addr | size << 32; 0 = empty slot (size is never 0) */
    uint32_t fallthrough;
    uint32_t cost;
    uint32_t taken_extra;
    uint32_t ninsn;
    uint32_t ev_off;      /* first line event in tm_state.events */
    uint16_t n_ev;        /* number of line events (0 for most blocks) */
    uint8_t self_conflict; /* two of its lines share a cache slot: always re-check */
    uint8_t flags;        /* TM_F_* */
    uint32_t gen;         /* tm_state.line_gen when all its lines were last known cached */
    uint32_t sp_descent;  /* bytes the block moves SP below its entry value, at most */
    uint32_t func;        /* function id (profiling) */
    uint32_t chk_off;     /* first entry check in tm_state.checks */
    uint32_t n_chk;       /* number of entry checks (0 for most blocks) */
};

/* An access checked at block entry: address = reg + (index_reg << shift) + disp, which must be
 * a multiple of align (a power of two). Registers are Unicorn ids; index_reg -1 for none. */
struct tm_check {
    int32_t reg;
    int32_t index_reg;
    int32_t shift;
    int32_t disp;
    uint32_t align;
    uint32_t insn;        /* the instruction's address (for the report) */
};

/* A cache line the block touches: line address (aligned), miss cost, which cache. */
struct tm_event {
    uint32_t line;
    uint16_t miss_cost;
    uint16_t cache;
};

/* Filled by the Python miss callback for one new block. */
struct tm_block_info {
    uint32_t fallthrough;
    uint32_t cost;
    uint32_t taken_extra;
    uint32_t ninsn;
    uint32_t n_ev;
    const struct tm_event *ev;  /* n_ev events, owned by Python, copied on return */
    uint32_t func;
    uint32_t sp_descent;
    uint32_t flags;
    /* Set by the native decoder (tm_decode_block) when it costed the block itself: */
    const uint32_t *insn_addrs; /* ninsn instruction addresses */
    const int32_t *insn_costs;  /* ninsn instruction costs */
    uint32_t guard;             /* TG_* bits of the block */
    uint32_t native;            /* 1: the fields above are filled; Python runs only the guards */
    uint32_t n_chk;
    const struct tm_check *chk; /* n_chk entry checks, owned by Python, copied on return */
};

struct tm_cache {
    uint32_t *tags;       /* line address | 1, or 0 = empty */
    uint64_t *stamps;     /* last use (tm_cache.clock); 0 = empty, replaced first */
    uint32_t slots;
    uint32_t shift;       /* log2(line bytes) */
    uint64_t clock;
    /* Where a line was last seen (slot + 1, by line number mod TM_HINTS; 0: nowhere): a hit
     * costs one compare instead of a scan of every slot (32 for an L4 ART I-cache, and its
     * lines are checked after every miss in either cache); a stale hint only falls back to
     * the scan, so hits, misses and victims are those of the scan alone. */
    uint16_t hint[256];
};
#define TM_HINTS 256u

/* Look `line` up in a fully associative LRU cache; on a miss it replaces the least
 * recently used slot. Returns 1 on a miss. */
static inline int tm_cache_access(struct tm_cache *c, uint32_t line)
{
    uint32_t tag = line | 1u;
    uint32_t victim = 0;
    uint64_t oldest = UINT64_MAX;
    uint16_t *hint = &c->hint[(line >> c->shift) & (TM_HINTS - 1u)];
    c->clock++;
    uint32_t h = (uint32_t)*hint - 1u;
    if (h < c->slots && c->tags[h] == tag) {
        c->stamps[h] = c->clock;
        return 0;
    }
    for (uint32_t k = 0; k < c->slots; k++) {
        if (c->tags[k] == tag) {
            c->stamps[k] = c->clock;
            *hint = (uint16_t)(k + 1u);
            return 0;
        }
        if (c->stamps[k] < oldest) {
            oldest = c->stamps[k];
            victim = k;
        }
    }
    c->tags[victim] = tag;
    c->stamps[victim] = c->clock;
    *hint = (uint16_t)(victim + 1u);
    return 1;
}

struct tm_state;


typedef int (*tm_mem_read_fn)(void *uc, uint64_t addr, void *bytes, uint64_t size);

/* A wait-stated region whose data loads are timed through its read mirror (tm_tlb_fill,
 * tm_mirror_read below). */
struct tm_data_region {
    struct tm_state *s;
    int32_t cache;        /* D-cache index, or -1: every access waits */
    uint32_t wait_states;
    uint64_t vbase, size; /* the region as the core addresses it */
    uint64_t pbase;       /* its mirror: where data reads of it are sent (0: none yet) */
    uint8_t *host;        /* its bytes (Unicorn's host buffer), or NULL: read with mem_read */
    tm_mem_read_fn mem_read;
};

/* The memory checker's guards (sim/machine/memcheck.py) through the virtual TLB: tm_tlb_fill
 * sends stores to a guarded page (and loads, where a guard checks reads) to its check mirror,
 * whose callbacks report an access inside a guard and pass any other to the RAM's bytes. */
#define TM_GUARDS 8
struct tm_guard {
    uint64_t start, end; /* [start, end) */
    int32_t reads;       /* loads are violations too (else only stores) */
};
struct tm_guard_map {
    struct tm_state *s;
    uint64_t vbase, size; /* whole pages holding guards, as the core addresses them */
    uint64_t pbase;       /* their check mirror */
    uint8_t *host;        /* their bytes */
    int32_t reads;        /* a guard in them checks loads: loads go to the mirror too */
};
typedef void (*tm_guard_fn)(uint64_t addr, uint32_t size, int32_t write, int32_t guard);

typedef int (*tm_miss_fn)(uint64_t addr, uint32_t size, struct tm_block_info *out);
typedef int (*tm_stop_fn)(void *uc);
typedef int (*tm_reg_read_fn)(void *uc, int regid, void *value);
typedef int (*tm_reg_rw_fn)(void *uc, int regid, void *value);

/* One calling-context node: a function reached through a path of calls from the root. */
struct tm_node {
    uint32_t parent;      /* node index; node 0 is the root (no function) */
    uint32_t func;
    uint64_t calls;
    int64_t self;         /* cycles charged while this node was current */
};

#define TM_DISPLACED_CHECK 4096u
#define TM_MAX_SLOTS (1u << 19) /* 24 MiB of entries: code spans up to 1 MiB slot for slot */
#define TM_RET_SLOTS 4096u
#define TM_RET_SLOT(addr) (((addr) >> 1) & (TM_RET_SLOTS - 1u))

struct tm_frame {
    uint32_t ret;         /* block address that pops this frame (TM_NO_RET: never) */
    uint32_t node;
    uint32_t is_exc;
    struct tm_entry saved; /* exception frames: the pending block to restore on return */
};

struct tm_prof {
    struct tm_node *nodes;
    uint32_t n_nodes, cap_nodes;
    uint32_t *index;      /* open addressing: node index + 1 keyed by (parent, func); 0 empty */
    uint32_t index_mask;
    struct tm_frame *stack;
    uint32_t depth, cap_stack;
    uint32_t cur_node;
    uint64_t mark;        /* cycles already attributed */
    uint64_t lost;        /* frames not pushed (stack limit or no memory) */
    /* Frames on the stack per hash of their return address: a block whose slot is 0 returns
     * to no frame, so the hook needs no scan of the stack (tm_block_hook_prof's fast path). */
    uint32_t rets[TM_RET_SLOTS];
};

struct tm_state {
    /* Hot fields first: the hook's fast path touches only this first cache line + ring. */
    uint64_t cycles;
    uint64_t instructions;
    uint64_t deadline;
    /* Block entered last; its final branch is resolved on the next entry. Never NULL: when
     * there is nothing to resolve it points at `held`, a copy with taken_extra 0. */
    const struct tm_entry *cur;
    struct tm_entry *table;
    uint32_t mask;
    uint32_t line_gen;              /* bumped whenever a cached line may have been evicted */
    uint64_t entered;               /* blocks charged so far (ring write position) */
    uint32_t ring[TM_RING];
    uint32_t count;
    int32_t deadline_hit;
    int32_t error;                  /* the miss callback failed: emulation was stopped */
    uint64_t misses;
    tm_miss_fn miss;
    tm_stop_fn stop;
    struct tm_event *events;
    uint32_t n_events;
    uint32_t cap_events;
    struct tm_check *checks;
    uint32_t n_checks;
    uint32_t cap_checks;
    uint64_t check_key;             /* the block an entry check stopped before, 0 for none */
    uint32_t check_insn;            /* its instruction whose address was not aligned */
    uint32_t check_ea;
    struct tm_cache caches[TM_CACHES];
    struct tm_data_region data[TM_DATA_REGIONS];
    uint32_t n_data;
    tm_reg_rw_fn xpsr_read, xpsr_write;  /* uc_reg_read / uc_reg_write, for tm_tlb_fill */
    uint64_t data_cycles;           /* wait cycles tm_mirror_read charged (in `cycles` too) */
    uint64_t xn_base;               /* where tm_tlb_fill sends fetches from execute-never pages */
    int32_t xpsr_regid;
    uint64_t line_misses;
    struct tm_entry held;
    tm_reg_read_fn reg_read;
    int32_t sp_regid;
    uint32_t sp_min;
    uint32_t sp_pending;            /* an SPDYN block ran: sample SP at the next entry */
    uint64_t real_deadline;         /* the deadline while sp_pending forces it to 0 */
    struct tm_prof *prof;
    /* Mask watch: while an exception is pending but masked, every block entry takes the slow
     * path (deadline forced to 0) and compares PRIMASK/BASEPRI/FAULTMASK with a snapshot;
     * a change (MSR, CPS: Unicorn executes them itself) stops emulation at that block. */
    int32_t watch;
    int32_t watch_regid[3];
    uint64_t watch_val[3];
    uint64_t watch_deadline;        /* the deadline while the watch forces it to 0 */
    struct tm_dec *dec;             /* the native decoder, or NULL: Python decodes every block */
    struct tm_guard guards[TM_GUARDS];
    uint32_t n_guards;
    struct tm_guard_map gmaps[TM_GUARDS];
    uint32_t n_gmaps;
    tm_guard_fn guard_hit;
    uint32_t displaced;             /* block entries found away from their slot, since... */
    uint64_t displaced_mark;        /* ...this many blocks had been entered (tm_enter_or_stop) */
};

static inline uint64_t tm_key(uint64_t addr, uint32_t size)
{
    return (uint64_t)(uint32_t)addr | ((uint64_t)size << 32);
}

static inline uint32_t tm_slot(uint64_t key, uint32_t mask)
{
    /* Code addresses are dense and 2-aligned: the halfword index spreads well on its own
     * (the rare second size of one address lands in the next slot by probing). */
    return (uint32_t)((uint32_t)key >> 1) & mask;
}

/* A new generation: never 0, which marks entries whose lines were never checked. */
static inline void tm_bump_gen(struct tm_state *s)
{
    if (++s->line_gen == 0)
        s->line_gen = 1;
}

static struct tm_entry *tm_find(struct tm_entry *table, uint32_t mask, uint64_t key)
{
    uint32_t i = tm_slot(key, mask);
    while (table[i].key != key && table[i].key != 0)
        i = (i + 1u) & mask;
    return &table[i];
}

static int tm_grow(struct tm_state *s)
{
    uint32_t ncap = (s->mask + 1u) * 2u;
    struct tm_entry *nt = calloc(ncap, sizeof *nt);
    if (nt == NULL)
        return -1;
    for (uint32_t i = 0; i <= s->mask; i++) {
        if (s->table[i].key != 0)
            *tm_find(nt, ncap - 1u, s->table[i].key) = s->table[i];
    }
    /* Re-point cur at its moved entry (the held copy stays where it is). */
    if (s->cur != &s->held)
        s->cur = tm_find(nt, ncap - 1u, s->cur->key);
    free(s->table);
    s->table = nt;
    s->mask = ncap - 1u;
    return 0;
}

struct tm_state *tm_new(tm_miss_fn miss, tm_stop_fn stop)
{
    struct tm_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->table = calloc(1024, sizeof *s->table);
    if (s->table == NULL) {
        free(s);
        return NULL;
    }
    s->mask = 1023u;
    s->cur = &s->held;
    s->deadline = TM_NO_DEADLINE;
    s->line_gen = 1;
    s->miss = miss;
    s->stop = stop;
    s->sp_min = UINT32_MAX;
    return s;
}

static void tm_prof_free(struct tm_prof *pr)
{
    if (pr != NULL) {
        free(pr->nodes);
        free(pr->index);
        free(pr->stack);
        free(pr);
    }
}

static void tm_dec_free(struct tm_dec *d);

void tm_free(struct tm_state *s)
{
    if (s != NULL) {
        for (uint32_t c = 0; c < TM_CACHES; c++) {
            free(s->caches[c].tags);
            free(s->caches[c].stamps);
        }
        free(s->events);
        free(s->checks);
        free(s->table);
        tm_prof_free(s->prof);
        tm_dec_free(s->dec);
        free(s);
    }
}

/* Configure cache `idx` as `slots` fully associative LRU lines of 2^shift bytes, empty. */
int tm_set_cache(struct tm_state *s, uint32_t idx, uint32_t slots, uint32_t shift)
{
    if (idx >= TM_CACHES || slots == 0 || slots > 4096u)
        return -1;
    uint32_t *tags = calloc(slots, sizeof *tags);
    uint64_t *stamps = calloc(slots, sizeof *stamps);
    if (tags == NULL || stamps == NULL) {
        free(tags);
        free(stamps);
        return -1;
    }
    free(s->caches[idx].tags);
    free(s->caches[idx].stamps);
    s->caches[idx].tags = tags;
    s->caches[idx].stamps = stamps;
    s->caches[idx].slots = slots;
    s->caches[idx].shift = shift;
    s->caches[idx].clock = 0;
    memset(s->caches[idx].hint, 0, sizeof s->caches[idx].hint);
    tm_bump_gen(s);
    return 0;
}

/* Forget every cached line (e.g. the firmware flushed the accelerator). */
void tm_flush_caches(struct tm_state *s)
{
    for (uint32_t c = 0; c < TM_CACHES; c++)
        if (s->caches[c].tags != NULL) {
            memset(s->caches[c].tags, 0, (size_t)s->caches[c].slots * sizeof(uint32_t));
            memset(s->caches[c].stamps, 0, (size_t)s->caches[c].slots * sizeof(uint64_t));
        }
    tm_bump_gen(s);
}

/* Point cur at a copy of itself; `resolved` drops its pending taken-branch extra. */
static void tm_park(struct tm_state *s, int resolved)
{
    if (s->cur != &s->held)
        s->held = *s->cur;
    s->held.n_ev = 0;
    if (resolved)
        s->held.taken_extra = 0;
    s->cur = &s->held;
}

void tm_clear_table(struct tm_state *s)
{
    tm_park(s, 0);
    memset(s->table, 0, (size_t)(s->mask + 1u) * sizeof *s->table);
    s->count = 0;
    s->n_events = 0;
    s->n_checks = 0;
}


/* ---- native block decoding ------------------------------------------------------------
 *
 * A port of CoreTiming.block_cost (sim/timing/cortex_m.py) that runs in the miss path without
 * Python: capstone's C API (the libcapstone the `capstone` package loaded, its functions
 * handed over by Python) decodes the block, and the cost rules of the Python model are applied
 * to the same decoded fields (instruction id, operands, condition, writeback, registers read
 * and written). Instruction classes (insn_classes.py) and the core's table (tables.py) come
 * from Python, so both sides price with one set of data. tests/test_native_decode.py checks
 * that every block of real firmware costs the same on both sides, field by field.
 *
 * A block the port does not handle (bytes capstone cannot decode, a conditional SDIV/UDIV
 * whose run-time charge Python tracks, more than TM_DEC_MAX_INSNS instructions) returns -1
 * and goes to Python as before. A handled block that holds something the board's guards look
 * at (guard bits, see tm_dec_guard_bits) goes to Python with its cost filled in (1), so that
 * only the guards run there. */

typedef cs_err (*tm_cs_open_fn)(cs_arch, cs_mode, csh *);
typedef cs_err (*tm_cs_option_fn)(csh, cs_opt_type, size_t);
typedef cs_insn *(*tm_cs_malloc_fn)(csh);
typedef size_t (*tm_cs_disasm_fn)(csh, const uint8_t *, size_t, uint64_t, size_t, cs_insn **);
typedef cs_err (*tm_cs_regs_fn)(csh, const cs_insn *, cs_regs, uint8_t *, cs_regs, uint8_t *);
typedef void (*tm_cs_free_fn)(cs_insn *, size_t);
typedef cs_err (*tm_cs_close_fn)(csh *);

/* Instruction classes: the index Python gives each capstone id (native.py CLASSES). */
enum {
    TC_NONE, TC_LOAD, TC_STORE, TC_DUAL, TC_MULTIPLE, TC_TABLE, TC_BRANCH, TC_SYSREG, TC_IT,
    TC_MUL, TC_MLA, TC_MULL, TC_MLAL, TC_DIV, TC_DSP, TC_BARRIER, TC_ISB, TC_VLDR, TC_VSTR,
    TC_FPMULT, TC_FPMAC, TC_VDIV, TC_VSQRT, TC_VMOV, TC_FPALU
};

/* Core table fields: the order of native.py CORE_FIELDS. */
enum {
    TK_BRANCH_REFILL, TK_DECODE_BRANCH_REFILL, TK_UNALIGNED_TARGET, TK_LOAD_PC_REFILL,
    TK_TABLE_BRANCH, TK_LOAD, TK_LOAD_PIPELINED, TK_STORE, TK_STORE_REG_OFFSET, TK_DUAL,
    TK_MULTIPLE_BASE, TK_MUL, TK_MLA, TK_MULL, TK_MLAL, TK_DIV, TK_DIV_RANGE, TK_DSP,
    TK_AGU_STALL, TK_IT_FOLDING, TK_BARRIER, TK_ISB, TK_CALL_EXTRA, TK_SYSREG, TK_DUAL_ISSUE,
    TK_FP_ALU, TK_FP_MAC, TK_FP_DIV, TK_FP_SQRT, TK_FP_LOAD_SINGLE, TK_FP_LOAD_DOUBLE,
    TK_FP_STORE_SINGLE, TK_FP_STORE_DOUBLE, TK_FP_MOV_CORE, TK_FP_MOV_HALF, TK_FP_MULTIPLE_BASE,
    TK_N
};

/* _Insn.kind */
enum { TD_LOAD, TD_STORE, TD_STORE_REG, TD_ALU, TD_IT, TD_TABLE, TD_OTHER };

/* Guard bits: what a block holds that the board's guards (sim/core/isa_guard.py, traps.py,
 * spin_guard.py) look at when a block is first costed. */
#define TG_FP 1u          /* an FP instruction (mnemonic v...): NOCP without an enabled FPU */
#define TG_V6M 2u         /* not an ARMv6-M instruction */
#define TG_DSP 4u         /* an ARMv7E-M DSP instruction */
#define TG_ALWAYS 8u      /* LDRD/LDM/LDREX/VLDR...: the trap guard hooks its alignment check */
#define TG_DIV 16u        /* SDIV/UDIV: hooked while CCR.DIV_0_TRP is set */
#define TG_UNALIGN 32u    /* LDR/LDRH/STR...: hooked while CCR.UNALIGN_TRP is set */
#define TG_BSELF 64u      /* the block is `b .` */

#define TM_CCR_DIV_0_TRP (1u << 4)
#define TM_CCR_UNALIGN_TRP (1u << 3)

#define TM_DEC_MAX_INSNS 1024u
#define TM_DEC_MAX_BYTES 4096u
#define TM_DEC_MAX_REGIONS 32u

struct tm_region {
    uint64_t base, end;
    uint32_t wait_states;
    int32_t art;          /* 1: stm32-art */
    uint32_t line_bytes;  /* MemoryTiming.line_bytes (0: no accelerator) */
    int32_t icache;       /* the ART I-cache index, or -1 */
};

struct tm_regset { uint64_t w[2]; };

static inline void rs_add(struct tm_regset *s, unsigned r)
{
    if (r < 128u)
        s->w[r >> 6] |= 1ull << (r & 63u);
}
static inline int rs_has(const struct tm_regset *s, unsigned r)
{
    return r < 128u && (s->w[r >> 6] >> (r & 63u)) & 1u;
}
static inline int rs_meet(const struct tm_regset *a, const struct tm_regset *b)
{
    return ((a->w[0] & b->w[0]) | (a->w[1] & b->w[1])) != 0;
}

struct tm_dins {
    uint32_t addr;
    uint32_t size;
    int32_t cost;
    int32_t kind;
    struct tm_regset writes, data_writes, addr_regs, reads;
    int64_t literal;      /* -1: none */
    uint8_t conditional, writes_pc, is_mem, call, lr_branch, sp_dynamic;
    int32_t sp_change;
};

struct tm_dec {
    csh h;
    tm_cs_disasm_fn disasm;
    tm_cs_regs_fn regs;
    tm_cs_free_fn cs_free;
    tm_cs_close_fn cs_close;
    tm_mem_read_fn mem_read;
    int32_t t[TK_N];
    uint8_t cls[ARM_INS_ENDING];
    struct tm_region reg[TM_DEC_MAX_REGIONS];
    uint32_t n_reg;
    uint32_t guard_mask;          /* guard bits that send a block to Python */
    const uint32_t *ccr;          /* SCB->CCR as the trap guard holds it, or NULL */
    uint32_t ccr_bits;            /* TG_DIV|TG_UNALIGN: added to the mask as CCR says */
    int32_t enabled;
    int32_t always_python;        /* profiling: every block needs its function id */
    uint64_t native;              /* blocks decoded here without Python */
    uint64_t guarded;             /* blocks decoded here whose guards ran in Python */
    /* per-block results, valid until the next decode */
    uint8_t code[TM_DEC_MAX_BYTES];
    struct tm_dins ins[TM_DEC_MAX_INSNS];
    int32_t costs[TM_DEC_MAX_INSNS];
    int32_t busy[TM_DEC_MAX_INSNS];
    uint32_t addrs[TM_DEC_MAX_INSNS];
    struct tm_event ev[2u * TM_DEC_MAX_INSNS + 2u];
    uint32_t lines[2u * TM_DEC_MAX_INSNS + 2u][3];
};

static inline int is_dreg(int r) { return r >= ARM_REG_D0 && r <= ARM_REG_D31; }
static inline int is_sreg(int r) { return r >= ARM_REG_S0 && r <= ARM_REG_S31; }

static const cs_arm_op *tm_mem_op(const cs_arm *a)
{
    for (unsigned k = 0; k < a->op_count; k++)
        if (a->operands[k].type == ARM_OP_MEM)
            return &a->operands[k];
    return NULL;
}

static unsigned tm_reg_ops(const cs_arm *a, int *out)
{
    unsigned n = 0;
    for (unsigned k = 0; k < a->op_count; k++)
        if (a->operands[k].type == ARM_OP_REG)
            out[n++] = a->operands[k].reg;
    return n;
}

/* cortex_m._decode_time_branch */
static int tm_decode_time_branch(const cs_insn *in)
{
    if (in->id == ARM_INS_B || in->id == ARM_INS_BL)
        return 1;
    if (in->id == ARM_INS_BX || in->id == ARM_INS_BLX || (in->id == ARM_INS_MOV && in->size == 2)) {
        int regs[36];
        unsigned n = tm_reg_ops(&in->detail->arm, regs);
        return n > 0 && regs[n - 1] == ARM_REG_LR;
    }
    return 0;
}

/* cortex_m._list_length */
static int tm_list_length(const cs_insn *in)
{
    int regs[36];
    int n = (int)tm_reg_ops(&in->detail->arm, regs);
    if (in->id == ARM_INS_PUSH || in->id == ARM_INS_POP || in->id == ARM_INS_VPUSH ||
        in->id == ARM_INS_VPOP)
        return n;
    return n > 1 ? n - 1 : 0;
}

static int tm_reg_bytes(const int *regs, unsigned n)
{
    int b = 0;
    for (unsigned k = 0; k < n; k++)
        b += is_dreg(regs[k]) ? 8 : 4;
    return b;
}

/* stack.sp_change: bytes SP moves; *dynamic set when not static. */
static int32_t tm_sp_change(const cs_insn *in, const struct tm_regset *written, uint8_t *dynamic)
{
    const cs_arm *a = &in->detail->arm;
    unsigned id = in->id;
    int lists = id == ARM_INS_PUSH || id == ARM_INS_POP || id == ARM_INS_VPUSH || id == ARM_INS_VPOP;
    int fpm = id == ARM_INS_VSTMDB || id == ARM_INS_VLDMIA || id == ARM_INS_VSTMIA || id == ARM_INS_VLDMDB;
    int intm = id == ARM_INS_STMDB || id == ARM_INS_LDMDB || id == ARM_INS_STM || id == ARM_INS_LDM;
    *dynamic = 0;
    if (lists || ((fpm || intm) && a->writeback)) {
        int regs[36];
        unsigned n = tm_reg_ops(a, regs);
        if (id == ARM_INS_PUSH)
            return -4 * (int32_t)n;
        if (id == ARM_INS_POP)
            return 4 * (int32_t)n;
        if (id == ARM_INS_VPUSH)
            return -tm_reg_bytes(regs, n);
        if (id == ARM_INS_VPOP)
            return tm_reg_bytes(regs, n);
        if (n && regs[0] == ARM_REG_SP) {
            int sign = (id == ARM_INS_VSTMDB || id == ARM_INS_VLDMDB || id == ARM_INS_STMDB ||
                        id == ARM_INS_LDMDB) ? -1 : 1;
            if (fpm)
                return sign * tm_reg_bytes(regs + 1, n - 1);
            return sign * 4 * (int32_t)(n - 1);
        }
        return 0;
    }
    if (!rs_has(written, ARM_REG_SP))
        return 0;
    unsigned nops = a->op_count;
    const cs_arm_op *ops = a->operands;
    if ((id == ARM_INS_SUB || id == ARM_INS_SUBW || id == ARM_INS_ADD || id == ARM_INS_ADDW) && nops &&
        ops[0].type == ARM_OP_REG && ops[0].reg == ARM_REG_SP && ops[nops - 1].type == ARM_OP_IMM &&
        (nops == 2 || (ops[1].type == ARM_OP_REG && ops[1].reg == ARM_REG_SP))) {
        int sign = (id == ARM_INS_SUB || id == ARM_INS_SUBW) ? -1 : 1;
        return sign * ops[nops - 1].imm;
    }
    const cs_arm_op *m = tm_mem_op(a);
    if (a->writeback && m != NULL && m->mem.base == ARM_REG_SP && !m->mem.index) {
        if (a->post_index) {
            for (unsigned k = 0; k < nops; k++)
                if (ops[k].type == ARM_OP_IMM)
                    return ops[k].subtracted ? -ops[k].imm : ops[k].imm;
            *dynamic = 1;
            return 0;
        }
        return m->mem.disp;
    }
    *dynamic = 1;
    return 0;
}

/* cortex_m.CoreTiming._base_cost: (cost, kind); -1 cost: not handled. */
static int32_t tm_base_cost(const struct tm_dec *d, const cs_insn *in, int writes_pc, int conditional,
                            int32_t *kind)
{
    const int32_t *t = d->t;
    const cs_arm *a = &in->detail->arm;
    unsigned c = in->id < ARM_INS_ENDING ? d->cls[in->id] : TC_NONE;
    const cs_arm_op *m;
    *kind = TD_OTHER;
    switch (c) {
    case TC_LOAD:
        if (writes_pc)
            return t[TK_LOAD] + t[TK_LOAD_PC_REFILL];
        *kind = TD_LOAD;
        return t[TK_LOAD];
    case TC_STORE:
        m = tm_mem_op(a);
        if (m != NULL && m->mem.index) {
            *kind = TD_STORE_REG;
            return t[TK_STORE_REG_OFFSET];
        }
        *kind = TD_STORE;
        return t[TK_STORE];
    case TC_DUAL:
        return t[TK_DUAL];
    case TC_MULTIPLE:
        return t[TK_MULTIPLE_BASE] + tm_list_length(in) + (writes_pc ? t[TK_LOAD_PC_REFILL] : 0);
    case TC_TABLE:
        *kind = TD_TABLE;
        return t[TK_TABLE_BRANCH];
    case TC_BRANCH:
        if (tm_decode_time_branch(in))
            return 1 + t[TK_DECODE_BRANCH_REFILL] + (in->id == ARM_INS_BL ? t[TK_CALL_EXTRA] : 0);
        return 1 + t[TK_BRANCH_REFILL];
    case TC_SYSREG:
        *kind = TD_ALU;
        return t[TK_SYSREG];
    case TC_IT:
        *kind = TD_IT;
        return 1;
    case TC_MUL: *kind = TD_ALU; return t[TK_MUL];
    case TC_MLA: *kind = TD_ALU; return t[TK_MLA];
    case TC_MULL: *kind = TD_ALU; return t[TK_MULL];
    case TC_MLAL: *kind = TD_ALU; return t[TK_MLAL];
    case TC_DIV:
        if (t[TK_DIV_RANGE] && conditional)
            return -1; /* Python records it in conditional_divides (divide.py) */
        *kind = TD_ALU;
        return t[TK_DIV];
    case TC_DSP: *kind = TD_ALU; return t[TK_DSP];
    case TC_BARRIER: return t[TK_BARRIER];
    case TC_ISB: return t[TK_ISB];
    case TC_VLDR:
        return a->op_count && is_dreg(a->operands[0].reg) ? t[TK_FP_LOAD_DOUBLE] : t[TK_FP_LOAD_SINGLE];
    case TC_VSTR:
        *kind = TD_STORE;
        return a->op_count && is_dreg(a->operands[0].reg) ? t[TK_FP_STORE_DOUBLE] : t[TK_FP_STORE_SINGLE];
    case TC_FPMULT: {
        int regs[36];
        unsigned n = tm_reg_ops(a, regs);
        int len = tm_list_length(in);
        if (n && is_dreg(regs[n - 1]))
            len *= 2;
        return t[TK_FP_MULTIPLE_BASE] + len;
    }
    case TC_FPMAC: return t[TK_FP_MAC];
    case TC_VDIV: return t[TK_FP_DIV];
    case TC_VSQRT: return t[TK_FP_SQRT];
    case TC_VMOV: {
        int regs[36];
        unsigned n = tm_reg_ops(a, regs), core = 0;
        *kind = TD_ALU;
        for (unsigned k = 0; k < n; k++)
            core += !is_sreg(regs[k]) && !is_dreg(regs[k]);
        if (!core)
            return t[TK_FP_ALU];
        if (strchr(in->op_str, '[') != NULL)
            return t[TK_FP_MOV_HALF];
        return t[TK_FP_MOV_CORE];
    }
    case TC_FPALU:
        *kind = in->id == ARM_INS_VMRS ? TD_ALU : TD_OTHER;
        return t[TK_FP_ALU];
    default:
        break;
    }
    if (writes_pc) {
        if (tm_decode_time_branch(in))
            return 1 + t[TK_DECODE_BRANCH_REFILL];
        return 1 + t[TK_BRANCH_REFILL];
    }
    *kind = TD_ALU;
    return 1;
}

static int tm_in_list(const char *m, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(m, *list) == 0)
            return 1;
    return 0;
}

static const char *const TM_V6M_WIDE[] = {"bl", "dmb", "dsb", "isb", "mrs", "msr", NULL};
static const char *const TM_CONDS[] = {"eq", "ne", "hs", "lo", "cs", "cc", "mi", "pl", "vs", "vc",
                                       "hi", "ls", "ge", "lt", "gt", "le", NULL};
/* sim/core/traps.py _DIV, _ALWAYS4 + _ALWAYS2, _TRAP4 + _TRAP2 */
static const char *const TM_T_DIV[] = {"sdiv", "udiv", NULL};
static const char *const TM_T_ALWAYS[] = {"ldrd", "strd", "ldm", "ldmia", "ldmdb", "stm", "stmia",
                                          "stmdb", "stmea", "ldmfd", "ldrex", "strex", "vldr",
                                          "vstr", "vldmia", "vldmdb", "vstmia", "vstmdb", "ldrexh",
                                          "strexh", NULL};
static const char *const TM_T_UNALIGN[] = {"ldr", "str", "ldrt", "strt", "ldrh", "ldrsh", "strh",
                                           "ldrht", "ldrsht", "strht", NULL};

/* The guard bits of one instruction (the guards' own tests, by mnemonic as they do). */
static uint32_t tm_dec_guard_bits(const struct tm_dec *d, const cs_insn *in)
{
    char m[32];
    uint32_t bits = 0;
    size_t n = strcspn(in->mnemonic, ".");
    if (n >= sizeof m)
        return TG_FP | TG_V6M | TG_DSP | TG_ALWAYS | TG_DIV | TG_UNALIGN;
    memcpy(m, in->mnemonic, n);
    m[n] = 0;
    if (m[0] == 'v')
        bits |= TG_FP;
    int it = m[0] == 'i' && m[1] == 't' && n <= 5;
    for (size_t k = 2; it && k < n; k++)
        it = m[k] == 't' || m[k] == 'e';
    if ((in->size == 4 && !tm_in_list(m, TM_V6M_WIDE)) || strcmp(m, "cbz") == 0 ||
        strcmp(m, "cbnz") == 0 || it)
        bits |= TG_V6M;
    if (in->id < ARM_INS_ENDING && d->cls[in->id] == TC_DSP)
        bits |= TG_DSP;
    if (!tm_in_list(m, TM_T_DIV) && !tm_in_list(m, TM_T_ALWAYS) && !tm_in_list(m, TM_T_UNALIGN) &&
        n > 2 && tm_in_list(m + n - 2, TM_CONDS))
        m[n - 2] = 0;
    if (tm_in_list(m, TM_T_ALWAYS))
        bits |= TG_ALWAYS;
    if (tm_in_list(m, TM_T_DIV))
        bits |= TG_DIV;
    if (tm_in_list(m, TM_T_UNALIGN))
        bits |= TG_UNALIGN;
    return bits;
}

static const struct tm_region *tm_region_of(const struct tm_dec *d, uint64_t addr)
{
    for (uint32_t k = 0; k < d->n_reg; k++)
        if (d->reg[k].base <= addr && addr < d->reg[k].end)
            return &d->reg[k];
    return NULL;
}

static int tm_cost_insns(struct tm_dec *d, void *uc, uint64_t addr, uint32_t size, const cs_insn *all,
                         size_t count, struct tm_block_info *info);

/* Decode and cost the block [addr, addr + size) into *info (events and per-instruction arrays
 * point into d). Returns 0: handled; 1: handled, but the guards must see it (or profiling);
 * -1: not handled. */
static int tm_decode_block(struct tm_dec *d, void *uc, uint64_t addr, uint32_t size,
                           struct tm_block_info *info)
{
    if (size > TM_DEC_MAX_BYTES || d->mem_read == NULL || d->mem_read(uc, addr, d->code, size) != 0)
        return -1;
    /* cs_disasm, not cs_disasm_iter: it starts each block outside an IT block, as Python's
     * Cs.disasm (the iterator keeps the IT state of the previous call). */
    cs_insn *all = NULL;
    size_t count = d->disasm(d->h, d->code, size, addr, 0, &all);
    int rc = tm_cost_insns(d, uc, addr, size, all, count, info);
    if (all != NULL)
        d->cs_free(all, count);
    return rc;
}

static int tm_cost_insns(struct tm_dec *d, void *uc, uint64_t addr, uint32_t size, const cs_insn *all,
                         size_t count, struct tm_block_info *info)
{
    const int32_t *t = d->t;
    uint32_t n = 0, guard = 0, covered = 0;
    if (count == 0 || count > TM_DEC_MAX_INSNS)
        return -1;
    for (size_t j = 0; j < count; j++)
        covered += all[j].size;
    if (covered != size)
        return -1; /* capstone stopped: Python charges the rest one per halfword */
    for (size_t j = 0; j < count; j++) {
        const cs_insn *in = &all[j];
        const cs_arm *a = &in->detail->arm;
        struct tm_dins *x = &d->ins[n];
        memset(x, 0, sizeof *x);
        x->addr = (uint32_t)in->address;
        x->size = in->size;
        cs_regs rr, ww;
        uint8_t nr = 0, nw = 0;
        if (d->regs(d->h, in, rr, &nr, ww, &nw) != CS_ERR_OK)
            return -1;
        for (unsigned k = 0; k < nr; k++)
            rs_add(&x->reads, rr[k]);
        for (unsigned k = 0; k < nw; k++)
            rs_add(&x->writes, ww[k]);
        unsigned c = in->id < ARM_INS_ENDING ? d->cls[in->id] : TC_NONE;
        x->writes_pc = c == TC_BRANCH || c == TC_TABLE || rs_has(&x->writes, ARM_REG_PC);
        if (in->id == ARM_INS_CBZ || in->id == ARM_INS_CBNZ)
            x->conditional = 1;
        else if (in->id != ARM_INS_IT)
            x->conditional = a->cc != ARM_CC_AL && a->cc != ARM_CC_INVALID;
        x->cost = tm_base_cost(d, in, x->writes_pc, x->conditional, &x->kind);
        if (x->cost < 0)
            return -1;
        if (in->id == ARM_INS_B || in->id == ARM_INS_BL || in->id == ARM_INS_CBZ || in->id == ARM_INS_CBNZ) {
            for (unsigned k = 0; k < a->op_count; k++) {
                if (a->operands[k].type == ARM_OP_IMM) {
                    uint32_t target = (uint32_t)a->operands[k].imm;
                    uint8_t hb[2] = {0, 0};
                    if (target & 2u) {
                        uint32_t hw = 0;
                        if (d->mem_read(uc, target, hb, 2) == 0)
                            hw = (uint32_t)hb[0] | (uint32_t)hb[1] << 8;
                        if ((hw >> 11) == 0x1Du || (hw >> 11) == 0x1Eu || (hw >> 11) == 0x1Fu)
                            x->cost += t[TK_UNALIGNED_TARGET];
                    }
                    break;
                }
            }
        }
        x->data_writes = x->writes;
        const cs_arm_op *m = tm_mem_op(a);
        if (a->writeback && m != NULL && (unsigned)m->mem.base < 128u)
            x->data_writes.w[(unsigned)m->mem.base >> 6] &= ~(1ull << ((unsigned)m->mem.base & 63u));
        x->is_mem = c == TC_LOAD || c == TC_STORE || c == TC_DUAL || c == TC_MULTIPLE ||
                    c == TC_FPMULT || c == TC_TABLE || c == TC_VLDR || c == TC_VSTR;
        if (x->is_mem) {
            if (m != NULL) {
                if (m->mem.base)
                    rs_add(&x->addr_regs, (unsigned)m->mem.base);
                if (m->mem.index)
                    rs_add(&x->addr_regs, (unsigned)m->mem.index);
            } else if (in->id == ARM_INS_PUSH || in->id == ARM_INS_POP || in->id == ARM_INS_VPUSH ||
                       in->id == ARM_INS_VPOP) {
                rs_add(&x->addr_regs, ARM_REG_SP);
            } else if ((c == TC_MULTIPLE || c == TC_FPMULT) && a->op_count) {
                if (a->operands[0].reg)
                    rs_add(&x->addr_regs, (unsigned)a->operands[0].reg);
            }
        }
        x->literal = -1;
        if ((c == TC_LOAD || c == TC_DUAL || c == TC_VLDR) && m != NULL && m->mem.base == ARM_REG_PC &&
            !m->mem.index)
            x->literal = (int64_t)((((uint32_t)in->address + 4u) & ~3u) + (int64_t)m->mem.disp);
        x->sp_change = tm_sp_change(in, &x->writes, &x->sp_dynamic);
        x->call = in->id == ARM_INS_BL || in->id == ARM_INS_BLX;
        x->lr_branch = in->id != ARM_INS_B && in->id != ARM_INS_BL && tm_decode_time_branch(in);
        guard |= tm_dec_guard_bits(d, in);
        n++;
    }
    if (size == 2 && d->code[0] == 0xFE && d->code[1] == 0xE7)
        guard |= TG_BSELF;

    /* CoreTiming._costs */
    int32_t *costs = d->costs;
    const struct tm_dins *prev = NULL;
    int paired = 0;
    for (uint32_t k = 0; k < n; k++) {
        const struct tm_dins *x = &d->ins[k];
        int32_t c = x->cost;
        if (t[TK_DUAL_ISSUE] && prev != NULL) {
            int pair = !paired && x->kind == TD_ALU && prev->kind == TD_ALU && x->cost == 1 &&
                       prev->cost == 1 && !rs_meet(&prev->writes, &x->reads) && !x->writes_pc;
            paired = pair;
            if (pair)
                c = 0;
        }
        if (prev != NULL) {
            if ((x->kind == TD_LOAD || x->kind == TD_STORE_REG) && prev->kind == TD_LOAD &&
                !rs_meet(&prev->data_writes, &x->addr_regs))
                c = t[TK_LOAD_PIPELINED];
            if (t[TK_AGU_STALL] && x->is_mem && prev->kind == TD_ALU && rs_meet(&prev->writes, &x->addr_regs))
                c += t[TK_AGU_STALL];
            if (x->kind == TD_IT && t[TK_IT_FOLDING] && prev->size == 2)
                c = 0;
            if (x->lr_branch && rs_has(&prev->writes, ARM_REG_LR))
                c += t[TK_BRANCH_REFILL] - t[TK_DECODE_BRANCH_REFILL];
        }
        costs[k] = c;
        prev = x;
    }

    /* CoreTiming._block_cost */
    const struct tm_region *region = tm_region_of(d, addr);
    uint32_t ws = region != NULL ? region->wait_states : 0;
    int32_t taken_extra = 0;
    const struct tm_dins *last = &d->ins[n - 1];
    if (last->writes_pc) {
        int32_t full = costs[n - 1];
        int32_t fetch = (region != NULL && !region->art) ? (int32_t)ws : 0;
        if (last->conditional) {
            costs[n - 1] = 1;
            taken_extra = full - 1 + fetch;
        } else {
            costs[n - 1] = full + fetch;
        }
    }
    int32_t *busy = d->busy;
    for (uint32_t k = 0; k < n; k++) {
        busy[k] = costs[k];
        if (d->ins[k].literal >= 0) {
            const struct tm_region *lr = tm_region_of(d, (uint64_t)d->ins[k].literal);
            if (lr != NULL && !lr->art)
                busy[k] += (int32_t)lr->wait_states;
        }
    }
    uint32_t n_ev = 0;
    if (region != NULL && ws > 0) {
        /* CoreTiming._fetch_costs */
        uint32_t line = region->line_bytes ? region->line_bytes : 4u;
        uint32_t nl = 0;
        for (uint32_t k = 0; k < n; k++) {
            const struct tm_dins *x = &d->ins[k];
            uint32_t la = x->addr & ~(line - 1u);
            if (nl == 0 || d->lines[nl - 1][0] != la) {
                d->lines[nl][0] = la;
                d->lines[nl][1] = 0;
                d->lines[nl][2] = k;
                nl++;
            }
            d->lines[nl - 1][1] += (uint32_t)busy[k];
            uint32_t la2 = (x->addr + x->size - 1u) & ~(line - 1u);
            if (la2 != la) {
                d->lines[nl][0] = la2;
                d->lines[nl][1] = 0;
                d->lines[nl][2] = k;
                nl++;
            }
        }
        for (uint32_t l = 0; l < nl; l++) {
            uint32_t miss;
            if (l == 0) {
                if (!region->art)
                    continue;
                miss = ws;
            } else {
                int64_t st = 1 + (int64_t)ws - (int64_t)(int32_t)d->lines[l - 1][1];
                miss = st > 0 ? (uint32_t)st : 0;
                if (!region->art) {
                    costs[d->lines[l][2]] += (int32_t)miss;
                    continue;
                }
            }
            /* a line touched twice in a block can only miss the first time */
            int dup = 0;
            for (uint32_t e = 0; e < n_ev && !dup; e++)
                dup = d->ev[e].cache == (uint16_t)region->icache && d->ev[e].line == d->lines[l][0];
            if (!dup) {
                d->ev[n_ev].line = d->lines[l][0];
                d->ev[n_ev].miss_cost = miss > 0xFFFFu ? 0xFFFFu : (uint16_t)miss;
                d->ev[n_ev].cache = (uint16_t)region->icache;
                n_ev++;
            }
        }
    }
    /* stack.block_shape */
    int64_t off = 0, low = 0;
    int dynamic = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (d->ins[k].sp_dynamic) {
            dynamic = 1;
            break;
        }
        off += d->ins[k].sp_change;
        if (off < low)
            low = off;
    }
    int64_t total = 0;
    for (uint32_t k = 0; k < n; k++) {
        total += costs[k];
        d->addrs[k] = d->ins[k].addr;
    }
    info->fallthrough = (uint32_t)(addr + size);
    info->cost = (uint32_t)total;
    info->taken_extra = (uint32_t)taken_extra;
    info->ninsn = n;
    info->n_ev = n_ev;
    info->ev = d->ev;
    info->func = 0;
    info->sp_descent = (uint32_t)(-low);
    info->flags = (last->call ? TM_F_CALL : 0u) | (dynamic ? TM_F_SPDYN : 0u);
    info->insn_addrs = d->addrs;
    info->insn_costs = d->costs;
    uint32_t mask = d->guard_mask;
    if (d->ccr_bits) {
        uint32_t ccr = d->ccr != NULL ? *d->ccr : UINT32_MAX;
        if (ccr & TM_CCR_DIV_0_TRP)
            mask |= d->ccr_bits & TG_DIV;
        if (ccr & TM_CCR_UNALIGN_TRP)
            mask |= d->ccr_bits & TG_UNALIGN;
    }
    info->guard = guard;
    return (guard & mask) || d->always_python ? 1 : 0;
}

static struct tm_entry *tm_insert(void *uc, struct tm_state *s, uint64_t addr, uint32_t size)
{
    struct tm_block_info info;
    s->misses++;
    memset(&info, 0, sizeof info);
    if (size == 0)
        return NULL;
    int native = s->dec != NULL && s->dec->enabled ? tm_decode_block(s->dec, uc, addr, size, &info) : -1;
    if (native < 0) {
        memset(&info, 0, sizeof info);
    } else {
        info.native = 1;
        if (native == 0)
            s->dec->native++;
        else
            s->dec->guarded++;
    }
    if (native != 0 && s->miss(addr, size, &info) != 0)
        return NULL;
    if (info.n_ev > UINT16_MAX)
        return NULL;
    if ((s->count + 1u) * 2u > s->mask + 1u && tm_grow(s) != 0)
        return NULL;
    for (uint32_t k = 0; k < info.n_ev; k++)
        if (info.ev[k].cache >= TM_CACHES || s->caches[info.ev[k].cache].tags == NULL)
            return NULL;
    if (s->n_events + info.n_ev > s->cap_events) {
        uint32_t ncap = s->cap_events ? s->cap_events : 1024u;
        while (ncap < s->n_events + info.n_ev)
            ncap *= 2u;
        struct tm_event *nev = realloc(s->events, (size_t)ncap * sizeof *nev);
        if (nev == NULL)
            return NULL;
        s->events = nev;
        s->cap_events = ncap;
    }
    uint32_t ev_off = s->n_events;
    if (info.n_ev != 0)
        memcpy(&s->events[ev_off], info.ev, (size_t)info.n_ev * sizeof *info.ev);
    s->n_events += info.n_ev;
    if (s->n_checks + info.n_chk > s->cap_checks) {
        uint32_t ncap = s->cap_checks ? s->cap_checks : 256u;
        while (ncap < s->n_checks + info.n_chk)
            ncap *= 2u;
        struct tm_check *nc = realloc(s->checks, (size_t)ncap * sizeof *nc);
        if (nc == NULL)
            return NULL;
        s->checks = nc;
        s->cap_checks = ncap;
    }
    uint32_t chk_off = s->n_checks;
    if (info.n_chk != 0)
        memcpy(&s->checks[chk_off], info.chk, (size_t)info.n_chk * sizeof *info.chk);
    s->n_checks += info.n_chk;
    struct tm_entry *e = tm_find(s->table, s->mask, tm_key(addr, size));
    e->key = tm_key(addr, size);
    e->fallthrough = info.fallthrough;
    e->cost = info.cost;
    e->taken_extra = info.taken_extra;
    e->ninsn = info.ninsn;
    e->ev_off = ev_off;
    e->n_ev = info.n_ev;
    e->gen = 0;
    /* A block touching more distinct lines of one cache than it holds evicts its own
     * lines: it must be re-checked on every entry. (Events of a block are distinct.) */
    e->self_conflict = 0;
    e->func = info.func;
    e->sp_descent = info.sp_descent;
    e->flags = info.flags;
    e->chk_off = chk_off;
    e->n_chk = info.n_chk;
    for (uint32_t c = 0; c < TM_CACHES; c++) {
        uint32_t n = 0;
        for (uint32_t k = 0; k < info.n_ev; k++)
            n += info.ev[k].cache == c;
        if (n > 0 && n > s->caches[c].slots)
            e->self_conflict = 1;
    }
    s->count++;
    return e;
}

static __attribute__((noinline)) void tm_lines(struct tm_state *s, struct tm_entry *e)
{
    const struct tm_event *ev = &s->events[e->ev_off];
    for (uint32_t k = 0; k < e->n_ev; k++) {
        if (tm_cache_access(&s->caches[ev[k].cache], ev[k].line)) {
            s->cycles += ev[k].miss_cost;
            s->line_misses++;
            tm_bump_gen(s);
        }
    }
    /* Every line of e is cached now; while no line is evicted (no miss anywhere, which
     * bumps line_gen) its next entries cannot miss and skip this loop. Blocks that move SP
     * down keep gen 0 so that every entry takes the slow path and samples SP. */
    e->gen = (e->self_conflict || e->sp_descent || (e->flags & TM_F_SPDYN) || e->n_chk) ? 0 : s->line_gen;
}

/* SP at a block entry, minus what the block will push: a candidate low-water mark. */
static __attribute__((noinline)) void tm_sp_sample(void *uc, struct tm_state *s,
                                                    uint32_t descent)
{
    uint64_t v = 0;
    if (s->reg_read == NULL || s->reg_read(uc, s->sp_regid, &v) != 0)
        return;
    uint32_t low = (uint32_t)v - descent;
    if (low < s->sp_min)
        s->sp_min = low;
}

static inline void tm_charge(void *uc, struct tm_state *s, struct tm_entry *e, uint64_t addr)
{
    /* Blocks without line events also pass through tm_lines once per generation, which
     * keeps this test to one compare (and the hot path in tm_block_hook call-free). */
    if (e->gen != s->line_gen)
        tm_lines(s, e);
    if (e->sp_descent)
        tm_sp_sample(uc, s, e->sp_descent);
    if ((e->flags & TM_F_SPDYN) && !s->sp_pending) {
        /* SP after this block is known only at the next entry: a zero deadline sends that
         * entry to the slow path (tm_sp_pending), which restores the real deadline. */
        s->real_deadline = s->deadline;
        s->deadline = 0;
        s->sp_pending = 1;
    }
    s->cycles += e->cost;
    s->instructions += e->ninsn;
    s->cur = e;
    s->ring[s->entered++ & (TM_RING - 1u)] = (uint32_t)addr;
}

static inline void tm_sp_pending(void *uc, struct tm_state *s)
{
    if (s->sp_pending) {
        tm_sp_sample(uc, s, 0);
        s->deadline = s->real_deadline;
        s->sp_pending = 0;
    }
}

/* Deadline reached, block not in its direct slot, or its cache lines need checking: kept
 * out of line so that the hot path needs no callee-saved registers. */
/* The deadline check and the table look-up (inserting a new block) shared by both hooks:
 * NULL when emulation must stop (deadline reached, or the table could not grow). */
static struct tm_entry *tm_enter_or_stop(void *uc, uint64_t addr, uint32_t size, struct tm_state *s)
{
    if (s->cycles >= (s->watch ? s->watch_deadline : s->deadline)) {
        tm_park(s, 1);
        s->deadline_hit = 1;
        s->stop(uc);
        return NULL;
    }
    uint64_t key = tm_key(addr, size);
    struct tm_entry *e = tm_find(s->table, s->mask, key);
    if (e->key == key && e != &s->table[tm_slot(key, s->mask)] && ++s->displaced == TM_DISPLACED_CHECK) {
        /* The slot is the halfword index modulo the table: code wider than twice the table
         * puts blocks into each other's slot, and each such entry takes this path. When one
         * block entry in 8 did since the last check, double the table (up to TM_MAX_SLOTS). */
        if (s->entered - s->displaced_mark < 8u * TM_DISPLACED_CHECK && s->mask + 1u < TM_MAX_SLOTS &&
            tm_grow(s) == 0)
            e = tm_find(s->table, s->mask, key);
        s->displaced = 0;
        s->displaced_mark = s->entered;
    }
    if (e->key == 0 && (e = tm_insert(uc, s, addr, size)) == NULL) {
        tm_park(s, 1);
        s->error = 1;
        s->stop(uc);
        return NULL;
    }
    return e;
}

/* The block's entry checks: 0 if every access is aligned, else 1 with emulation stopped
 * before the block (not charged; tm_check_hit names it). */
static __attribute__((noinline)) int tm_entry_checks(void *uc, struct tm_state *s, const struct tm_entry *e)
{
    const struct tm_check *c = &s->checks[e->chk_off];
    for (uint32_t k = 0; k < e->n_chk; k++) {
        uint64_t base = 0, index = 0;
        if (s->reg_read == NULL || s->reg_read(uc, c[k].reg, &base) != 0 ||
            (c[k].index_reg >= 0 && s->reg_read(uc, c[k].index_reg, &index) != 0))
            return 0; /* cannot happen (the ids are Unicorn's); the code hooks are the fallback */
        uint32_t ea = (uint32_t)base + ((uint32_t)index << c[k].shift) + (uint32_t)c[k].disp;
        if (ea & (c[k].align - 1u)) {
            tm_park(s, 1);
            s->check_key = e->key;
            s->check_insn = c[k].insn;
            s->check_ea = ea;
            s->stop(uc);
            return 1;
        }
    }
    return 0;
}

/* The watched mask registers changed since the snapshot: end the watch and stop here. */
static int tm_watch_hit(void *uc, struct tm_state *s)
{
    for (int k = 0; k < 3; k++) {
        uint64_t v = 0;
        if (s->reg_read == NULL || s->reg_read(uc, s->watch_regid[k], &v) != 0 || v != s->watch_val[k]) {
            s->watch = 0;
            s->deadline = s->watch_deadline;
            tm_park(s, 1);
            s->deadline_hit = 1;
            s->stop(uc);
            return 1;
        }
    }
    return 0;
}

static __attribute__((noinline)) void tm_slow(void *uc, uint64_t addr, uint32_t size,
                                               struct tm_state *s)
{
    tm_sp_pending(uc, s);
    if (s->watch && tm_watch_hit(uc, s))
        return;
    struct tm_entry *e = tm_enter_or_stop(uc, addr, size, s);
    if (e != NULL && !(e->n_chk && tm_entry_checks(uc, s, e)))
        tm_charge(uc, s, e, addr);
}

/* Cache-line aligned: its speed measurably depended on where the linker placed it
 * (benchmarks/bench_sim.py: ratio 0.81 vs 0.85 for the same code). */
__attribute__((aligned(64))) void tm_block_hook(void *uc, uint64_t addr, uint32_t size, void *user)
{
    struct tm_state *s = user;
    const struct tm_entry *p = s->cur;

    /* Resolve the previous block's final branch: taken if we did not fall through. */
    if ((uint32_t)addr != p->fallthrough)
        s->cycles += p->taken_extra;
    uint64_t key = tm_key(addr, size);
    struct tm_entry *e = &s->table[tm_slot(key, s->mask)];
    if (__builtin_expect(e->key != key || s->cycles >= s->deadline || e->gen != s->line_gen,
                         0)) {
        tm_slow(uc, addr, size, s);
        return;
    }
    s->cycles += e->cost;
    s->instructions += e->ninsn;
    s->cur = e;
    s->ring[s->entered++ & (TM_RING - 1u)] = (uint32_t)addr;
}

/* ---- profiling ------------------------------------------------------------------------ */

static inline uint32_t tm_node_hash(uint32_t parent, uint32_t func, uint32_t mask)
{
    return ((parent * 0x9E3779B1u) ^ (func * 0x85EBCA77u)) & mask;
}

static int tm_index_grow(struct tm_prof *pr)
{
    uint32_t ncap = (pr->index_mask + 1u) * 2u;
    uint32_t *ni = calloc(ncap, sizeof *ni);
    if (ni == NULL)
        return -1;
    for (uint32_t n = 0; n < pr->n_nodes; n++) {
        uint32_t i = tm_node_hash(pr->nodes[n].parent, pr->nodes[n].func, ncap - 1u);
        while (ni[i] != 0)
            i = (i + 1u) & (ncap - 1u);
        ni[i] = n + 1u;
    }
    free(pr->index);
    pr->index = ni;
    pr->index_mask = ncap - 1u;
    return 0;
}

/* The node for `func` called from `parent`, created on first use; the root (0) on failure. */
static uint32_t tm_child(struct tm_prof *pr, uint32_t parent, uint32_t func)
{
    uint32_t i = tm_node_hash(parent, func, pr->index_mask);
    while (pr->index[i] != 0) {
        const struct tm_node *n = &pr->nodes[pr->index[i] - 1u];
        if (n->parent == parent && n->func == func)
            return pr->index[i] - 1u;
        i = (i + 1u) & pr->index_mask;
    }
    if ((pr->n_nodes + 1u) * 2u > pr->index_mask + 1u) {
        if (tm_index_grow(pr) != 0)
            return 0;
        return tm_child(pr, parent, func);
    }
    if (pr->n_nodes == pr->cap_nodes) {
        uint32_t ncap = pr->cap_nodes * 2u;
        struct tm_node *nn = realloc(pr->nodes, (size_t)ncap * sizeof *nn);
        if (nn == NULL)
            return 0;
        pr->nodes = nn;
        pr->cap_nodes = ncap;
    }
    uint32_t n = pr->n_nodes++;
    pr->nodes[n].parent = parent;
    pr->nodes[n].func = func;
    pr->nodes[n].calls = 0;
    pr->nodes[n].self = 0;
    pr->index[i] = n + 1u;
    return n;
}

static inline uint32_t tm_top_node(const struct tm_prof *pr)
{
    return pr->depth ? pr->stack[pr->depth - 1u].node : 0u;
}

/* Push a frame for `func` called from the current frame; returns 0 if it was dropped. */
static int tm_push(struct tm_prof *pr, uint32_t ret, uint32_t func, uint32_t is_exc,
                   const struct tm_entry *saved)
{
    if (pr->depth == pr->cap_stack) {
        uint32_t ncap = pr->cap_stack * 2u;
        struct tm_frame *ns = ncap <= TM_MAX_FRAMES ? realloc(pr->stack, (size_t)ncap * sizeof *ns) : NULL;
        if (ns == NULL) {
            pr->lost++;
            return 0;
        }
        pr->stack = ns;
        pr->cap_stack = ncap;
    }
    uint32_t node = tm_child(pr, tm_top_node(pr), func);
    pr->nodes[node].calls++;
    struct tm_frame *f = &pr->stack[pr->depth++];
    f->ret = ret;
    pr->rets[TM_RET_SLOT(ret)]++;
    f->node = node;
    f->is_exc = is_exc;
    if (saved != NULL)
        f->saved = *saved;
    return 1;
}

static inline void tm_prof_flush(struct tm_state *s)
{
    struct tm_prof *pr = s->prof;
    pr->nodes[pr->cur_node].self += (int64_t)(s->cycles - pr->mark);
    pr->mark = s->cycles;
}

/* Pop frames down to `depth` frames. */
static inline void tm_pop_to(struct tm_prof *pr, uint32_t depth)
{
    while (pr->depth > depth)
        pr->rets[TM_RET_SLOT(pr->stack[--pr->depth].ret)]--;
}

/* Block entry at `addr` (function `func`) after a block with flags pflags/fallthrough pfall. */
static void tm_prof_enter(struct tm_state *s, uint32_t addr, uint32_t pflags, uint32_t pfall,
                          uint32_t func)
{
    struct tm_prof *pr = s->prof;
    tm_prof_flush(s);
    /* A return to the top frame's caller pops it. A return to a deeper frame's caller pops
     * down to it: a BL that was a jump, not a call (libgcc's soft-float code, noreturn calls),
     * leaves a frame that would otherwise swallow its caller's later cycles. */
    uint32_t hit = 0;
    for (uint32_t k = pr->rets[TM_RET_SLOT(addr)] ? pr->depth : 0, seen = 0; k > 0 && seen < 16u; k--, seen++) {
        if (pr->stack[k - 1u].is_exc)
            break; /* an exception frame ends only through its exception return */
        if (pr->stack[k - 1u].ret == addr) {
            hit = k;
            break;
        }
    }
    if (hit)
        tm_pop_to(pr, hit - 1u);
    else if ((pflags & TM_F_CALL) && addr != pfall)
        tm_push(pr, pfall, func, 0, NULL);
    if (pr->depth == 0)
        tm_push(pr, TM_NO_RET, func, 0, NULL);
    uint32_t node = tm_top_node(pr);
    if (pr->nodes[node].func != func && pr->depth) {
        /* Entered another function without a call (tail call, shared code): it replaces the
         * frame's function under the same caller. */
        node = tm_child(pr, pr->nodes[node].parent, func);
        pr->stack[pr->depth - 1u].node = node;
    }
    pr->cur_node = node;
}

__attribute__((aligned(64))) void tm_block_hook_prof(void *uc, uint64_t addr, uint32_t size, void *user)
{
    struct tm_state *s = user;
    const struct tm_entry *p = s->cur;
    if ((uint32_t)addr != p->fallthrough)
        s->cycles += p->taken_extra;
    /* Fast path, tm_block_hook's plus: no call before it, no frame returning here, the same
     * function as the current frame's. Then tm_prof_enter would change nothing: it leaves
     * cur_node (the top frame's node while there is a frame), so the cycles need no flush
     * either (they go to cur_node when it next changes). */
    uint64_t key = tm_key(addr, size);
    struct tm_entry *e = &s->table[tm_slot(key, s->mask)];
    const struct tm_prof *pr = s->prof;
    if (__builtin_expect(e->key == key && s->cycles < s->deadline && e->gen == s->line_gen &&
                         !(p->flags & TM_F_CALL) && pr->depth && pr->rets[TM_RET_SLOT((uint32_t)addr)] == 0 &&
                         pr->nodes[pr->cur_node].func == e->func, 1)) {
        s->cycles += e->cost;
        s->instructions += e->ninsn;
        s->cur = e;
        s->ring[s->entered++ & (TM_RING - 1u)] = (uint32_t)addr;
        return;
    }
    tm_sp_pending(uc, s);
    if (s->watch && tm_watch_hit(uc, s))
        return;
    uint32_t pflags = p->flags, pfall = p->fallthrough; /* p may move when the table grows */
    e = tm_enter_or_stop(uc, addr, size, s);
    if (e == NULL || (e->n_chk && tm_entry_checks(uc, s, e)))
        return;
    tm_prof_enter(s, (uint32_t)addr, pflags, pfall, e->func);
    tm_charge(uc, s, e, addr);
}

/* Start (or restart) profiling: an empty call tree, cycles attributed from now on. */
int tm_prof_enable(struct tm_state *s)
{
    tm_prof_free(s->prof);
    s->prof = NULL;
    struct tm_prof *pr = calloc(1, sizeof *pr);
    if (pr == NULL)
        return -1;
    pr->cap_nodes = 256;
    pr->nodes = calloc(pr->cap_nodes, sizeof *pr->nodes);
    pr->index_mask = 511u;
    pr->index = calloc(pr->index_mask + 1u, sizeof *pr->index);
    pr->cap_stack = 256;
    pr->stack = calloc(pr->cap_stack, sizeof *pr->stack);
    if (pr->nodes == NULL || pr->index == NULL || pr->stack == NULL) {
        tm_prof_free(pr);
        return -1;
    }
    pr->n_nodes = 1; /* the root */
    pr->nodes[0].parent = UINT32_MAX;
    pr->nodes[0].func = UINT32_MAX;
    pr->mark = s->cycles;
    s->prof = pr;
    return 0;
}

void tm_prof_disable(struct tm_state *s)
{
    tm_prof_free(s->prof);
    s->prof = NULL;
}

/* The board took exception `func`'s handler: a call that returns through tm_prof_exc_return. */
void tm_prof_exc_enter(struct tm_state *s, uint32_t func)
{
    struct tm_prof *pr = s->prof;
    if (pr == NULL)
        return;
    tm_prof_flush(s);
    if (tm_push(pr, TM_NO_RET, func, 1, s->cur))
        pr->cur_node = tm_top_node(pr);
    /* The handler's first block follows no call and no pending branch. */
    if (s->cur != &s->held)
        s->held = *s->cur;
    s->held.flags = 0;
    s->held.taken_extra = 0;
    s->held.n_ev = 0;
    s->cur = &s->held;
}

/* The board returned from an exception: pop to the innermost exception frame and resume the
 * interrupted code's pending call detection. */
void tm_prof_exc_return(struct tm_state *s)
{
    struct tm_prof *pr = s->prof;
    if (pr == NULL)
        return;
    tm_prof_flush(s);
    while (pr->depth) {
        struct tm_frame *f = &pr->stack[pr->depth - 1u];
        tm_pop_to(pr, pr->depth - 1u);
        if (f->is_exc) {
            s->held = f->saved;
            s->held.taken_extra = 0;
            s->held.n_ev = 0;
            s->cur = &s->held;
            break;
        }
    }
    pr->cur_node = tm_top_node(pr);
}

/* Attribute the cycles since the last block entry (call before reading the nodes). */
void tm_prof_sync(struct tm_state *s)
{
    if (s->prof != NULL)
        tm_prof_flush(s);
}

uint32_t tm_prof_count(const struct tm_state *s) { return s->prof ? s->prof->n_nodes : 0; }
uint32_t tm_prof_depth(const struct tm_state *s) { return s->prof ? s->prof->depth : 0; }
uint64_t tm_prof_lost(const struct tm_state *s) { return s->prof ? s->prof->lost : 0; }

/* Copies the first n nodes into parallel arrays; returns how many were copied. */
uint32_t tm_prof_nodes(const struct tm_state *s, uint32_t n, uint32_t *parent, uint32_t *func,
                       uint64_t *calls, int64_t *self)
{
    if (s->prof == NULL)
        return 0;
    if (n > s->prof->n_nodes)
        n = s->prof->n_nodes;
    for (uint32_t k = 0; k < n; k++) {
        parent[k] = s->prof->nodes[k].parent;
        func[k] = s->prof->nodes[k].func;
        calls[k] = s->prof->nodes[k].calls;
        self[k] = s->prof->nodes[k].self;
    }
    return n;
}

/* ---- stack high-water ------------------------------------------------------------------ */

void tm_set_sp_reader(struct tm_state *s, tm_reg_read_fn fn, int32_t regid)
{
    s->reg_read = fn;
    s->sp_regid = regid;
}

/* Start watching the three mask registers (ids regid[0..2]) for a change from val[0..2]. */
void tm_watch_masks(struct tm_state *s, const int32_t *regid, const uint64_t *val)
{
    for (int k = 0; k < 3; k++) {
        s->watch_regid[k] = regid[k];
        s->watch_val[k] = val[k];
    }
    if (!s->watch) {
        s->watch = 1;
        if (s->sp_pending) {
            s->watch_deadline = s->real_deadline;
            s->real_deadline = 0;
        } else {
            s->watch_deadline = s->deadline;
            s->deadline = 0;
        }
    }
}

void tm_watch_off(struct tm_state *s)
{
    if (s->watch) {
        s->watch = 0;
        if (s->sp_pending)
            s->real_deadline = s->watch_deadline;
        else
            s->deadline = s->watch_deadline;
    }
}

int tm_watching(const struct tm_state *s) { return s->watch; }

/* SP was set from outside a block (reset, exception stacking). */
void tm_sp_note(struct tm_state *s, uint32_t sp)
{
    if (sp < s->sp_min)
        s->sp_min = sp;
}

void tm_sp_reset(struct tm_state *s, uint32_t sp) { s->sp_min = sp; }
uint32_t tm_sp_min(const struct tm_state *s) { return s->sp_min; }

/* Accessors, so Python never depends on the struct layout. */
/* Where the fields Python reads on every MMIO access lie (counter.py binds views there: a
 * read through a bound view is several times cheaper than a call): cycles, instructions, the
 * `cur` pointer, and the key within an entry. */
void tm_layout(uint64_t out[4])
{
    out[0] = offsetof(struct tm_state, cycles);
    out[1] = offsetof(struct tm_state, instructions);
    out[2] = offsetof(struct tm_state, cur);
    out[3] = offsetof(struct tm_entry, key);
}
uint64_t tm_cycles(const struct tm_state *s) { return s->cycles; }
uint64_t tm_instructions(const struct tm_state *s) { return s->instructions; }
void tm_add(struct tm_state *s, int64_t cycles) { s->cycles += (uint64_t)cycles; }
void tm_sub(struct tm_state *s, uint64_t cycles, uint64_t insns)
{
    s->cycles -= cycles;
    s->instructions -= insns;
}
void tm_set_deadline(struct tm_state *s, uint64_t deadline)
{
    if (s->watch)
        s->watch_deadline = deadline;
    else if (s->sp_pending)
        s->real_deadline = deadline;
    else
        s->deadline = deadline;
}
int tm_deadline_hit(const struct tm_state *s) { return s->deadline_hit; }
int tm_error(const struct tm_state *s) { return s->error; }
void tm_clear_stop(struct tm_state *s)
{
    s->deadline_hit = 0;
    s->error = 0;
    s->check_key = 0;
}

/* The block an entry check stopped before: out = {address, size, instruction, address it
 * accesses}; 0 if none did since the last tm_clear_stop. */
int tm_check_hit(const struct tm_state *s, uint64_t out[4])
{
    if (s->check_key == 0)
        return 0;
    out[0] = (uint32_t)s->check_key;
    out[1] = s->check_key >> 32;
    out[2] = s->check_insn;
    out[3] = s->check_ea;
    return 1;
}

/* Block (addr, size) is checked by code hooks from now on: drop its entry checks. */
void tm_drop_checks(struct tm_state *s, uint64_t addr, uint32_t size)
{
    struct tm_entry *e = tm_find(s->table, s->mask, tm_key(addr, size));
    if (e->key == tm_key(addr, size))
        e->n_chk = 0;
}
void tm_forget_pending(struct tm_state *s) { tm_park(s, 1); }
uint64_t tm_cur_addr(const struct tm_state *s) { return (uint32_t)s->cur->key; }
uint32_t tm_cur_size(const struct tm_state *s) { return (uint32_t)(s->cur->key >> 32); }
uint64_t tm_misses(const struct tm_state *s) { return s->misses; }
uint32_t tm_table_count(const struct tm_state *s) { return s->count; }
uint32_t tm_table_slots(const struct tm_state *s) { return s->mask + 1u; }

/* The size of a block in the table that starts at addr (0: none). */
uint32_t tm_size_at(const struct tm_state *s, uint32_t addr)
{
    uint32_t i = tm_slot(addr, s->mask);
    while (s->table[i].key != 0) {
        if ((uint32_t)s->table[i].key == addr)
            return (uint32_t)(s->table[i].key >> 32);
        i = (i + 1u) & s->mask;
    }
    return 0;
}
uint64_t tm_line_misses(const struct tm_state *s) { return s->line_misses; }

/* Adds a timed region (then mirrored with tm_mirror_region); returns it, or NULL. */
struct tm_data_region *tm_add_data_region(struct tm_state *s, int32_t cache, uint32_t ws)
{
    if (s->n_data >= TM_DATA_REGIONS)
        return NULL;
    if (cache >= 0 && ((uint32_t)cache >= TM_CACHES || s->caches[cache].tags == NULL))
        return NULL;
    struct tm_data_region *r = &s->data[s->n_data++];
    r->s = s;
    r->cache = cache;
    r->wait_states = ws;
    return r;
}

void tm_set_xpsr_access(struct tm_state *s, tm_reg_rw_fn rd, tm_reg_rw_fn wr, int32_t regid)
{
    s->xpsr_read = rd;
    s->xpsr_write = wr;
    s->xpsr_regid = regid;
}

/* ---- data loads from wait-stated memory ---------------------------------------------------
 *
 * Loads from a wait-stated region (flash) must be seen one by one: their address decides the
 * D-cache line. A Unicorn memory hook (UC_HOOK_MEM_READ) would see them, but while one is
 * registered Unicorn sends every load and store of the run, to any address, through its slow
 * path (its x86 backend's tcg_out_qemu_ld/st emit the fast TLB path only when no memory hook
 * exists): KWS on nucleo_l4r5zi ran 3.2x slower. Instead the counter puts the core on
 * Unicorn's virtual TLB (UC_TLB_VIRTUAL) with tm_tlb_fill as its fill hook, and maps a mirror
 * of each region (uc_mmio_map, tm_mirror_read) above the 4 GiB the core can address: the TLB
 * sends data reads of the region's pages to the mirror, and everything else (fetches and
 * stores there, every other page) to the address itself, so only loads from a timed region
 * leave Unicorn's fast path.
 *
 * An unaligned load is two reads of the mirror (QEMU splits an unaligned I/O access into the
 * two aligned accesses that cover it), each timed: the memory is accessed twice, as on the
 * core, which performs an unaligned access as two or three aligned transfers (Cortex-M4 TRM
 * r0p1 3.3.2, "Load/store timings"). */

#define TM_XPSR_IT 0x0600FC00u /* ICI/IT bits [26:25] and [15:10] */

/* Unicorn restores the CPU state of the loading instruction from its translation data, IT
 * state included, into the CPU before a TLB fill (unicorn_fill_tlb: cpu_restore_state) and
 * before a memory hook; inside an IT block that value then outlives the block (nothing writes
 * the IT state again when the block ends inside the same translated block), and the next
 * translated block runs as if still in the IT block: Unicorn skipped the first instructions
 * after `ite hi; ldrhhi; movls; bx lr` (TFLM's flatbuffers GetOptionalFieldOffset,
 * tests/test_flash_loads.py). The translated code of the current block does not read that
 * copy (its IT conditions are compiled in, an exception restores them again, a block ending
 * inside the IT block stores the right state), so the value the block started with is put
 * back: zero. */
static void tm_undo_restored_it(struct tm_state *s, void *uc)
{
    if (s->xpsr_read == NULL)
        return;
    uint32_t xpsr = 0;
    if (s->xpsr_read(uc, s->xpsr_regid, &xpsr) == 0 && (xpsr & TM_XPSR_IT)) {
        xpsr &= ~TM_XPSR_IT;
        s->xpsr_write(uc, s->xpsr_regid, &xpsr);
    }
}

/* Mirror region `r` at `pbase` (the caller maps it there with uc_mmio_map, tm_mirror_read and
 * tm_mirror_write, `r` as their user data). */
void tm_mirror_region(struct tm_data_region *r, uint64_t vbase, uint64_t size, uint64_t pbase,
                      void *host, tm_mem_read_fn mem_read)
{
    r->vbase = vbase;
    r->size = size;
    r->pbase = pbase;
    r->host = host;
    r->mem_read = mem_read;
}

/* uc_mmio_map read callback of a mirror: one data read of the region, timed. */
uint64_t tm_mirror_read(void *uc, uint64_t offset, unsigned size, void *user)
{
    struct tm_data_region *r = user;
    struct tm_state *s = r->s;
    uint64_t value = 0;
    if (size > sizeof value || offset + size > r->size)
        return 0;
    if (r->host != NULL)
        memcpy(&value, r->host + offset, size); /* little-endian host, as Unicorn's own loads */
    else
        r->mem_read(uc, r->vbase + offset, &value, size);
    if (r->cache < 0) {
        s->cycles += r->wait_states;
        s->data_cycles += r->wait_states;
        return value;
    }
    struct tm_cache *c = &s->caches[r->cache];
    uint32_t line = ((uint32_t)(r->vbase + offset) >> c->shift) << c->shift;
    if (tm_cache_access(c, line)) {
        s->cycles += r->wait_states;
        s->data_cycles += r->wait_states;
        s->line_misses++;
        tm_bump_gen(s);
    }
    return value;
}

/* uc_mmio_map write callback of a mirror: never called (tm_tlb_fill sends stores to the region
 * itself); the bytes are written through should that change. */
void tm_mirror_write(void *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
    (void)uc;
    struct tm_data_region *r = user;
    if (r->host != NULL && size <= sizeof value && offset + size <= r->size)
        memcpy(r->host + offset, &value, size);
}

struct tm_tlb_entry { uint64_t paddr; uint32_t perms; }; /* uc_tlb_entry */

enum { TM_PROT_READ = 1, TM_PROT_WRITE = 2, TM_PROT_EXEC = 4 };
enum { TM_MEM_READ = 16, TM_MEM_WRITE = 17, TM_MEM_FETCH = 18 }; /* uc_mem_type */

/* Execute-never regions of the default memory map (ARMv7-M ARM B3.1.1, Table B3-1; the same in
 * ARMv6-M and ARMv8-M): Peripheral, Device and System. Unicorn's own TLB (UC_TLB_CPU) refuses
 * fetches there with a prefetch abort. tm_tlb_fill cannot refuse one (Unicorn would stop with
 * UC_ERR_EXCEPTION, also for the TLB lookups it makes itself outside the firmware's fetches,
 * as for the address emulation stops at), so it sends such a fetch to `xn_base` + the
 * address, where nothing is mapped: the fetch ends as an unmapped fetch of that address,
 * which the board reports as the prefetch abort (core/faults.py classify_uc_error). */
static int tm_execute_never(uint64_t addr)
{
    return (addr >= 0x40000000u && addr < 0x60000000u) || addr >= 0xA0000000u;
}

void tm_set_xn_base(struct tm_state *s, uint64_t base) { s->xn_base = base; }

/* UC_HOOK_TLB_FILL callback (user data: the state): the page of `vaddr` for an access of
 * `type`. */
int tm_tlb_fill(void *uc, uint64_t vaddr, int type, struct tm_tlb_entry *e, void *user)
{
    struct tm_state *s = user;
    if (type != TM_MEM_FETCH) /* a fetch is the translator's: no state was restored */
        tm_undo_restored_it(s, uc);
    e->paddr = vaddr;
    e->perms = TM_PROT_READ | TM_PROT_WRITE | TM_PROT_EXEC;
    for (uint32_t k = 0; k < s->n_gmaps; k++) {
        const struct tm_guard_map *m = &s->gmaps[k];
        if (vaddr >= m->vbase && vaddr - m->vbase < m->size) {
            /* one access type per entry, as for a mirror below */
            if (type == TM_MEM_WRITE || (type == TM_MEM_READ && m->reads))
                e->paddr = m->pbase + (vaddr - m->vbase);
            e->perms = type == TM_MEM_READ ? TM_PROT_READ : type == TM_MEM_WRITE ? TM_PROT_WRITE : TM_PROT_EXEC;
            return 1;
        }
    }
    for (uint32_t k = 0; k < s->n_data; k++) {
        const struct tm_data_region *r = &s->data[k];
        if (r->pbase != 0 && vaddr >= r->vbase && vaddr - r->vbase < r->size) {
            /* one access type per entry: a page filled for a fetch must not serve a load */
            if (type == TM_MEM_READ) {
                e->paddr = r->pbase + (vaddr - r->vbase);
                e->perms = TM_PROT_READ;
            } else {
                e->perms = type == TM_MEM_WRITE ? TM_PROT_WRITE : TM_PROT_EXEC;
            }
            return 1;
        }
    }
    if (type == TM_MEM_FETCH && s->xn_base != 0 && tm_execute_never(vaddr)) {
        e->paddr = s->xn_base + vaddr;
        e->perms = TM_PROT_EXEC;
    }
    return 1;
}

uint64_t tm_data_cycles(const struct tm_state *s) { return s->data_cycles; }

/* ---- the memory checker's guards ----------------------------------------------------------- */

/* Add a guard; its index (the one tm_guard_fn reports), or -1 when the table is full. */
int32_t tm_guard_add(struct tm_state *s, uint64_t start, uint64_t end, int32_t reads)
{
    if (s->n_guards >= TM_GUARDS)
        return -1;
    s->guards[s->n_guards] = (struct tm_guard){start, end, reads};
    return (int32_t)s->n_guards++;
}

/* The pages [vbase, vbase + size) (holding guards added before) get their check mirror at pbase
 * over the bytes at host; the user data of its uc_mmio_map callbacks, or NULL when full. */
struct tm_guard_map *tm_guard_map(struct tm_state *s, uint64_t vbase, uint64_t size, uint64_t pbase,
                                  uint8_t *host)
{
    if (s->n_gmaps >= TM_GUARDS)
        return NULL;
    struct tm_guard_map *m = &s->gmaps[s->n_gmaps++];
    *m = (struct tm_guard_map){s, vbase, size, pbase, host, 0};
    for (uint32_t k = 0; k < s->n_guards; k++)
        if (s->guards[k].reads && s->guards[k].start < vbase + size && s->guards[k].end > vbase)
            m->reads = 1;
    return m;
}

void tm_guard_set_hit(struct tm_state *s, tm_guard_fn fn) { s->guard_hit = fn; }

/* Forget every guard (the check mirrors must be unmapped by the caller). */
void tm_guard_clear(struct tm_state *s)
{
    s->n_guards = 0;
    s->n_gmaps = 0;
}

static int32_t tm_guard_hits(const struct tm_state *s, uint64_t addr, unsigned size, int write)
{
    for (uint32_t k = 0; k < s->n_guards; k++) {
        const struct tm_guard *g = &s->guards[k];
        if ((write || g->reads) && addr < g->end && addr + size > g->start)
            return (int32_t)k;
    }
    return -1;
}

/* uc_mmio_map read callback of a check mirror: a load inside a read guard is reported (and
 * reads 0: the checker stops the run), any other reads the RAM. */
uint64_t tm_guard_read(void *uc, uint64_t offset, unsigned size, void *user)
{
    (void)uc;
    struct tm_guard_map *m = user;
    uint64_t addr = m->vbase + offset, value = 0;
    int32_t k = size <= 8 ? tm_guard_hits(m->s, addr, size, 0) : -1;
    if (k >= 0) {
        if (m->s->guard_hit != NULL)
            m->s->guard_hit(addr, size, 0, k);
        return 0;
    }
    if (size <= 8 && offset + size <= m->size)
        memcpy(&value, m->host + offset, size); /* little-endian host, as Unicorn's own loads */
    return value;
}

/* uc_mmio_map write callback of a check mirror: a store inside a guard is reported and not
 * made, any other is written to the RAM. */
void tm_guard_write(void *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
    (void)uc;
    struct tm_guard_map *m = user;
    uint64_t addr = m->vbase + offset;
    int32_t k = size <= 8 ? tm_guard_hits(m->s, addr, size, 1) : -1;
    if (k >= 0) {
        if (m->s->guard_hit != NULL)
            m->s->guard_hit(addr, size, 1, k);
        return;
    }
    if (size <= 8 && offset + size <= m->size)
        memcpy(m->host + offset, &value, size);
}

/* Run-time flash timing (FLASH_ACR) for region `idx`: its wait states and D-cache (-1: none). */
int tm_set_data_timing(struct tm_state *s, uint32_t idx, int32_t cache, uint32_t ws)
{
    if (idx >= s->n_data)
        return -1;
    if (cache >= 0 && ((uint32_t)cache >= TM_CACHES || s->caches[cache].tags == NULL))
        return -1;
    s->data[idx].cache = cache;
    s->data[idx].wait_states = ws;
    return 0;
}

/* Copies the last min(entered, 16) block addresses, oldest first; returns how many. */
uint32_t tm_recent(const struct tm_state *s, uint32_t *out)
{
    uint64_t n = s->entered < TM_RING ? s->entered : TM_RING;
    for (uint64_t k = 0; k < n; k++)
        out[k] = s->ring[(s->entered - n + k) % TM_RING];
    return (uint32_t)n;
}

/* ---- native decoder set-up (sim/timing/counter.py) ---------------------------------------- */

static void tm_dec_free(struct tm_dec *d)
{
    if (d != NULL) {
        d->cs_close(&d->h);
        free(d);
    }
}

/* Open a capstone handle (Thumb, M-class, details on) with the given capstone functions. */
int tm_dec_new(struct tm_state *s, tm_cs_open_fn open, tm_cs_option_fn option, tm_cs_malloc_fn cs_malloc,
               tm_cs_disasm_fn disasm, tm_cs_regs_fn regs, tm_cs_free_fn cs_free, tm_cs_close_fn cs_close,
               tm_mem_read_fn mem_read)
{
    if (s->dec != NULL)
        return 0;
    struct tm_dec *d = calloc(1, sizeof *d);
    if (d == NULL)
        return -1;
    if (open(CS_ARCH_ARM, (cs_mode)(CS_MODE_THUMB | CS_MODE_MCLASS), &d->h) != CS_ERR_OK) {
        free(d);
        return -1;
    }
    (void)cs_malloc;
    if (option(d->h, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
        cs_close(&d->h);
        free(d);
        return -1;
    }
    d->disasm = disasm;
    d->regs = regs;
    d->cs_free = cs_free;
    d->cs_close = cs_close;
    d->mem_read = mem_read;
    s->dec = d;
    return 0;
}

/* The core's table (n == TK_N values in native.py CORE_FIELDS order) and the class of every
 * capstone instruction id (ncls == ARM_INS_ENDING). */
int tm_dec_core(struct tm_state *s, const int32_t *table, uint32_t n, const uint8_t *cls, uint32_t ncls)
{
    if (s->dec == NULL || n != TK_N || ncls != ARM_INS_ENDING)
        return -1;
    memcpy(s->dec->t, table, sizeof s->dec->t);
    memcpy(s->dec->cls, cls, sizeof s->dec->cls);
    return 0;
}

/* The memory map, sorted by base (MemoryMap.find: the first region holding an address). */
int tm_dec_regions(struct tm_state *s, const struct tm_region *r, uint32_t n)
{
    if (s->dec == NULL || n > TM_DEC_MAX_REGIONS)
        return -1;
    memcpy(s->dec->reg, r, (size_t)n * sizeof *r);
    s->dec->n_reg = n;
    return 0;
}

/* Guard bits that send a block to Python; ccr_bits are added while *ccr has DIV_0_TRP
 * (TG_DIV) or UNALIGN_TRP (TG_UNALIGN); ccr NULL: as if both were set. */
void tm_dec_guards(struct tm_state *s, uint32_t mask, const uint32_t *ccr, uint32_t ccr_bits)
{
    if (s->dec != NULL) {
        s->dec->guard_mask = mask;
        s->dec->ccr = ccr;
        s->dec->ccr_bits = ccr_bits;
    }
}

void tm_dec_mode(struct tm_state *s, int32_t enabled, int32_t always_python)
{
    if (s->dec != NULL) {
        s->dec->enabled = enabled;
        s->dec->always_python = always_python;
    }
}

uint64_t tm_dec_native(const struct tm_state *s) { return s->dec ? s->dec->native : 0; }
uint64_t tm_dec_guarded(const struct tm_state *s) { return s->dec ? s->dec->guarded : 0; }

/* For the differential test: decode one block as the miss path would (-1: not handled). */
int tm_dec_block(struct tm_state *s, void *uc, uint64_t addr, uint32_t size, struct tm_block_info *info)
{
    memset(info, 0, sizeof *info);
    if (s->dec == NULL)
        return -1;
    return tm_decode_block(s->dec, uc, addr, size, info);
}

/* ---- SDIV/UDIV by operand (sim/timing/divide.py div_cycles) ------------------------------ */

/* One divide instruction: a UC_HOOK_CODE on its address (Unicorn calls it only when the
 * instruction executes, so a failed IT condition keeps the static cost). */
struct tm_div_site {
    struct tm_state *s;
    int32_t rn, rm;        /* Unicorn register ids of the dividend and the divisor */
    int32_t is_signed;
    int32_t lo, hi;        /* CoreTable.div_range */
    int32_t static_cost;   /* what the block's cost counted for it (CoreTable.div, or 1) */
};

static inline uint32_t tm_magnitude(uint32_t v, int32_t is_signed)
{
    return is_signed && (v & 0x80000000u) ? (uint32_t)(0u - v) : v;
}

static inline int32_t tm_bits(uint32_t v)
{
    return v ? 32 - __builtin_clz(v) : 0;
}

/* divide.div_cycles: lo + ceil(q * (hi - lo) / 32), q the quotient bits the divider produces. */
int32_t tm_div_cycles(int32_t lo, int32_t hi, uint32_t dividend, uint32_t divisor, int32_t is_signed)
{
    uint32_t n = tm_magnitude(dividend, is_signed), d = tm_magnitude(divisor, is_signed);
    int32_t q = d && n >= d ? tm_bits(n) - tm_bits(d) + 1 : 0;
    return lo + (q * (hi - lo) + 31) / 32;
}

void tm_div_hook(void *uc, uint64_t addr, uint32_t size, void *user)
{
    (void)addr, (void)size;
    struct tm_div_site *d = user;
    struct tm_state *s = d->s;
    uint64_t n = 0, m = 0;
    if (s->reg_read == NULL || s->reg_read(uc, d->rn, &n) != 0 || s->reg_read(uc, d->rm, &m) != 0)
        return;
    s->cycles += (uint64_t)(int64_t)(tm_div_cycles(d->lo, d->hi, (uint32_t)n, (uint32_t)m, d->is_signed) -
                                     d->static_cost);
}
