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
 * Recency is updated when a block's lines are checked, which the hook does on the block's
 * first entry after any miss anywhere (line_gen): exact LRU while misses are frequent, and
 * no replacement happens while they are not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
};

struct tm_cache {
    uint32_t *tags;       /* line address | 1, or 0 = empty */
    uint64_t *stamps;     /* last use (tm_cache.clock); 0 = empty, replaced first */
    uint32_t slots;
    uint32_t shift;       /* log2(line bytes) */
    uint64_t clock;
};

/* Look `line` up in a fully associative LRU cache; on a miss it replaces the least
 * recently used slot. Returns 1 on a miss. */
static inline int tm_cache_access(struct tm_cache *c, uint32_t line)
{
    uint32_t tag = line | 1u;
    uint32_t victim = 0;
    uint64_t oldest = UINT64_MAX;
    c->clock++;
    for (uint32_t k = 0; k < c->slots; k++) {
        if (c->tags[k] == tag) {
            c->stamps[k] = c->clock;
            return 0;
        }
        if (c->stamps[k] < oldest) {
            oldest = c->stamps[k];
            victim = k;
        }
    }
    c->tags[victim] = tag;
    c->stamps[victim] = c->clock;
    return 1;
}

struct tm_state;

/* A wait-stated region whose data loads tm_data_hook times (a UC_HOOK_MEM_READ on the region:
 * Unicorn then sends every load through its slow path). */
struct tm_data_region {
    struct tm_state *s;
    int32_t cache;        /* D-cache index, or -1: every access waits */
    uint32_t wait_states;
};

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
    struct tm_cache caches[TM_CACHES];
    struct tm_data_region data[TM_DATA_REGIONS];
    uint32_t n_data;
    tm_reg_rw_fn xpsr_read, xpsr_write;  /* uc_reg_read / uc_reg_write, for tm_data_hook */
    uint64_t data_cycles;           /* wait cycles tm_data_hook charged (in `cycles` too) */
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

void tm_free(struct tm_state *s)
{
    if (s != NULL) {
        for (uint32_t c = 0; c < TM_CACHES; c++) {
            free(s->caches[c].tags);
            free(s->caches[c].stamps);
        }
        free(s->events);
        free(s->table);
        tm_prof_free(s->prof);
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
}

static struct tm_entry *tm_insert(struct tm_state *s, uint64_t addr, uint32_t size)
{
    struct tm_block_info info;
    s->misses++;
    memset(&info, 0, sizeof info);
    if (size == 0 || s->miss(addr, size, &info) != 0 || info.n_ev > UINT16_MAX)
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
    e->gen = (e->self_conflict || e->sp_descent || (e->flags & TM_F_SPDYN)) ? 0 : s->line_gen;
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
    struct tm_entry *e = tm_find(s->table, s->mask, tm_key(addr, size));
    if (e->key == 0 && (e = tm_insert(s, addr, size)) == NULL) {
        tm_park(s, 1);
        s->error = 1;
        s->stop(uc);
        return NULL;
    }
    return e;
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
    if (e != NULL)
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
    for (uint32_t k = pr->depth, seen = 0; k > 0 && seen < 16u; k--, seen++) {
        if (pr->stack[k - 1u].is_exc)
            break; /* an exception frame ends only through its exception return */
        if (pr->stack[k - 1u].ret == addr) {
            hit = k;
            break;
        }
    }
    if (hit)
        pr->depth = hit - 1u;
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

void tm_block_hook_prof(void *uc, uint64_t addr, uint32_t size, void *user)
{
    struct tm_state *s = user;
    const struct tm_entry *p = s->cur;
    if ((uint32_t)addr != p->fallthrough)
        s->cycles += p->taken_extra;
    tm_sp_pending(uc, s);
    if (s->watch && tm_watch_hit(uc, s))
        return;
    uint32_t pflags = p->flags, pfall = p->fallthrough; /* p may move when the table grows */
    struct tm_entry *e = tm_enter_or_stop(uc, addr, size, s);
    if (e == NULL)
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
        struct tm_frame *f = &pr->stack[--pr->depth];
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
}
void tm_forget_pending(struct tm_state *s) { tm_park(s, 1); }
uint64_t tm_cur_addr(const struct tm_state *s) { return (uint32_t)s->cur->key; }
uint32_t tm_cur_size(const struct tm_state *s) { return (uint32_t)(s->cur->key >> 32); }
uint64_t tm_misses(const struct tm_state *s) { return s->misses; }
uint32_t tm_table_count(const struct tm_state *s) { return s->count; }
uint64_t tm_line_misses(const struct tm_state *s) { return s->line_misses; }

/* Returns the user-data pointer to register with tm_data_hook for one region, or NULL. */
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

#define TM_XPSR_IT 0x0600FC00u /* ICI/IT bits [26:25] and [15:10] */

/* UC_HOOK_MEM_READ callback for a region added with tm_add_data_region.
 *
 * Before calling a memory hook Unicorn restores the CPU state of the loading instruction from
 * its translation data, IT state included, into the CPU; inside an IT block that value then
 * outlives the block (nothing writes the IT state again when the block ends inside the same
 * translated block), and the next translated block runs as if still in the IT block: Unicorn
 * skipped the first instructions after `ite hi; ldrhhi; movls; bx lr` (TFLM's flatbuffers
 * GetOptionalFieldOffset, tests/test_flash_loads.py). The translated code of the current block
 * does not read that copy (its IT conditions are compiled in, an exception restores them
 * again, a block ending inside the IT block stores the right state), so the hook puts back the
 * value the block started with: zero. */
void tm_data_hook(void *uc, int type, uint64_t addr, int size, int64_t value, void *user)
{
    (void)type, (void)size, (void)value;
    struct tm_data_region *r = user;
    struct tm_state *s = r->s;
    if (s->xpsr_read != NULL) {
        uint32_t xpsr = 0;
        if (s->xpsr_read(uc, s->xpsr_regid, &xpsr) == 0 && (xpsr & TM_XPSR_IT)) {
            xpsr &= ~TM_XPSR_IT;
            s->xpsr_write(uc, s->xpsr_regid, &xpsr);
        }
    }
    if (r->cache < 0) {
        s->cycles += r->wait_states;
        s->data_cycles += r->wait_states;
        return;
    }
    struct tm_cache *c = &s->caches[r->cache];
    uint32_t line = ((uint32_t)addr >> c->shift) << c->shift;
    if (tm_cache_access(c, line)) {
        s->cycles += r->wait_states;
        s->data_cycles += r->wait_states;
        s->line_misses++;
        tm_bump_gen(s);
    }
}

uint64_t tm_data_cycles(const struct tm_state *s) { return s->data_cycles; }

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
