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
 * lines it loads) checked against small direct-mapped tag arrays modelling a flash
 * accelerator's caches (STM32 ART); a line not in its cache adds that event's miss cost.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TM_RING 16u
#define TM_NO_DEADLINE UINT64_MAX

#define TM_CACHES 4u
#define TM_DATA_REGIONS 4u

struct tm_entry {
    uint64_t key;         /* (uint32_t)addr | size << 32; 0 = empty slot (size is never 0) */
    uint32_t fallthrough;
    uint32_t cost;
    uint32_t taken_extra;
    uint32_t ninsn;
    uint32_t ev_off;      /* first line event in tm_state.events */
    uint32_t n_ev;        /* number of line events (0 for most blocks) */
    uint32_t gen;         /* tm_state.line_gen when all its lines were last known cached */
    uint32_t self_conflict; /* two of its lines share a cache slot: always re-check */
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
};

struct tm_cache {
    uint32_t *tags;       /* line address | 1, or 0 = empty */
    uint32_t mask;        /* slots - 1 */
    uint32_t shift;       /* log2(line bytes) */
};

struct tm_state;

/* A wait-stated region whose register-addressed data loads are timed by tm_data_hook
 * (opt-in: any UC_HOOK_MEM_READ makes Unicorn instrument every load). */
struct tm_data_region {
    struct tm_state *s;
    int32_t cache;        /* D-cache index, or -1: every access waits */
    uint32_t wait_states;
};

typedef int (*tm_miss_fn)(uint64_t addr, uint32_t size, struct tm_block_info *out);
typedef int (*tm_stop_fn)(void *uc);

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
    uint64_t line_misses;
    struct tm_entry held;
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
    return s;
}

void tm_free(struct tm_state *s)
{
    if (s != NULL) {
        for (uint32_t c = 0; c < TM_CACHES; c++)
            free(s->caches[c].tags);
        free(s->events);
        free(s->table);
        free(s);
    }
}

/* Configure cache `idx` as `slots` direct-mapped lines of 2^shift bytes, all empty. */
int tm_set_cache(struct tm_state *s, uint32_t idx, uint32_t slots, uint32_t shift)
{
    if (idx >= TM_CACHES || slots == 0 || (slots & (slots - 1u)) != 0)
        return -1;
    uint32_t *tags = calloc(slots, sizeof *tags);
    if (tags == NULL)
        return -1;
    free(s->caches[idx].tags);
    s->caches[idx].tags = tags;
    s->caches[idx].mask = slots - 1u;
    s->caches[idx].shift = shift;
    tm_bump_gen(s);
    return 0;
}

/* Forget every cached line (e.g. the firmware flushed the accelerator). */
void tm_flush_caches(struct tm_state *s)
{
    for (uint32_t c = 0; c < TM_CACHES; c++)
        if (s->caches[c].tags != NULL)
            memset(s->caches[c].tags, 0, (size_t)(s->caches[c].mask + 1u) * sizeof(uint32_t));
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
    if (size == 0 || s->miss(addr, size, &info) != 0)
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
    e->self_conflict = 0;
    for (uint32_t a = 0; a < info.n_ev; a++) {
        for (uint32_t b = a + 1; b < info.n_ev; b++) {
            const struct tm_event *x = &info.ev[a], *y = &info.ev[b];
            const struct tm_cache *c = &s->caches[x->cache];
            if (x->cache == y->cache && x->line != y->line &&
                ((x->line >> c->shift) & c->mask) == ((y->line >> c->shift) & c->mask))
                e->self_conflict = 1;
        }
    }
    s->count++;
    return e;
}

static __attribute__((noinline)) void tm_lines(struct tm_state *s, struct tm_entry *e)
{
    const struct tm_event *ev = &s->events[e->ev_off];
    for (uint32_t k = 0; k < e->n_ev; k++) {
        struct tm_cache *c = &s->caches[ev[k].cache];
        uint32_t tag = ev[k].line | 1u;
        uint32_t *slot = &c->tags[(ev[k].line >> c->shift) & c->mask];
        if (*slot != tag) {
            *slot = tag;
            s->cycles += ev[k].miss_cost;
            s->line_misses++;
            tm_bump_gen(s);
        }
    }
    /* Every line of e is cached now; while no line is evicted (no miss anywhere, which
     * bumps line_gen) its next entries cannot miss and skip this loop. */
    e->gen = e->self_conflict ? 0 : s->line_gen;
}

static inline void tm_charge(struct tm_state *s, struct tm_entry *e, uint64_t addr)
{
    /* Blocks without line events also pass through tm_lines once per generation, which
     * keeps this test to one compare (and the hot path in tm_block_hook call-free). */
    if (e->gen != s->line_gen)
        tm_lines(s, e);
    s->cycles += e->cost;
    s->instructions += e->ninsn;
    s->cur = e;
    s->ring[s->entered++ & (TM_RING - 1u)] = (uint32_t)addr;
}

/* Deadline reached, block not in its direct slot, or its cache lines need checking: kept
 * out of line so that the hot path needs no callee-saved registers. */
static __attribute__((noinline)) void tm_slow(void *uc, uint64_t addr, uint32_t size,
                                               struct tm_state *s)
{
    if (s->cycles >= s->deadline) {
        tm_park(s, 1);
        s->deadline_hit = 1;
        s->stop(uc);
        return;
    }
    struct tm_entry *e = tm_find(s->table, s->mask, tm_key(addr, size));
    if (e->key == 0 && (e = tm_insert(s, addr, size)) == NULL) {
        tm_park(s, 1);
        s->error = 1;
        s->stop(uc);
        return;
    }
    tm_charge(s, e, addr);
}

void tm_block_hook(void *uc, uint64_t addr, uint32_t size, void *user)
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

/* Accessors, so Python never depends on the struct layout. */
uint64_t tm_cycles(const struct tm_state *s) { return s->cycles; }
uint64_t tm_instructions(const struct tm_state *s) { return s->instructions; }
void tm_add(struct tm_state *s, int64_t cycles) { s->cycles += (uint64_t)cycles; }
void tm_sub(struct tm_state *s, uint64_t cycles, uint64_t insns)
{
    s->cycles -= cycles;
    s->instructions -= insns;
}
void tm_set_deadline(struct tm_state *s, uint64_t deadline) { s->deadline = deadline; }
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

/* UC_HOOK_MEM_READ callback for a region added with tm_add_data_region. */
void tm_data_hook(void *uc, int type, uint64_t addr, int size, int64_t value, void *user)
{
    (void)uc, (void)type, (void)size, (void)value;
    struct tm_data_region *r = user;
    struct tm_state *s = r->s;
    if (r->cache < 0) {
        s->cycles += r->wait_states;
        return;
    }
    struct tm_cache *c = &s->caches[r->cache];
    uint32_t line = ((uint32_t)addr >> c->shift) << c->shift;
    uint32_t *slot = &c->tags[(line >> c->shift) & c->mask];
    if (*slot != (line | 1u)) {
        *slot = line | 1u;
        s->cycles += r->wait_states;
        s->line_misses++;
        tm_bump_gen(s);
    }
}

/* Copies the last min(entered, 16) block addresses, oldest first; returns how many. */
uint32_t tm_recent(const struct tm_state *s, uint32_t *out)
{
    uint64_t n = s->entered < TM_RING ? s->entered : TM_RING;
    for (uint64_t k = 0; k < n; k++)
        out[k] = s->ring[(s->entered - n + k) % TM_RING];
    return (uint32_t)n;
}
