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
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TM_RING 16u
#define TM_NO_DEADLINE UINT64_MAX

struct tm_entry {
    uint64_t addr;        /* key */
    uint32_t size;        /* key; 0 = empty slot */
    uint32_t fallthrough;
    uint32_t cost;
    uint32_t taken_extra;
    uint32_t ninsn;
    uint32_t pad;
};

/* Filled by the Python miss callback for one new block. */
struct tm_block_info {
    uint32_t fallthrough;
    uint32_t cost;
    uint32_t taken_extra;
    uint32_t ninsn;
};

typedef int (*tm_miss_fn)(uint64_t addr, uint32_t size, struct tm_block_info *out);
typedef int (*tm_stop_fn)(void *uc);

struct tm_state {
    uint64_t cycles;
    uint64_t instructions;
    uint64_t deadline;
    int32_t deadline_hit;
    int32_t error;            /* the miss callback failed: emulation was stopped */
    int32_t has_pending;
    uint32_t pending_fallthrough;
    uint32_t pending_extra;
    uint32_t cur_size;
    uint64_t cur_addr;
    uint32_t ring[TM_RING];
    uint64_t entered;         /* blocks charged so far (ring write position) */
    uint64_t misses;
    struct tm_entry *table;
    uint32_t mask;
    uint32_t count;
    tm_miss_fn miss;
    tm_stop_fn stop;
};

static inline uint32_t tm_hash(uint64_t addr, uint32_t size)
{
    uint64_t h = (addr >> 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)size * 0xC2B2AE3D27D4EB4Full);
    return (uint32_t)(h >> 32);
}

static int tm_grow(struct tm_state *s)
{
    uint32_t ncap = (s->mask + 1u) * 2u;
    struct tm_entry *nt = calloc(ncap, sizeof *nt);
    if (nt == NULL)
        return -1;
    for (uint32_t i = 0; i <= s->mask; i++) {
        struct tm_entry *e = &s->table[i];
        if (e->size == 0)
            continue;
        uint32_t j = tm_hash(e->addr, e->size) & (ncap - 1u);
        while (nt[j].size != 0)
            j = (j + 1u) & (ncap - 1u);
        nt[j] = *e;
    }
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
    s->deadline = TM_NO_DEADLINE;
    s->miss = miss;
    s->stop = stop;
    return s;
}

void tm_free(struct tm_state *s)
{
    if (s != NULL) {
        free(s->table);
        free(s);
    }
}

void tm_clear_table(struct tm_state *s)
{
    memset(s->table, 0, (size_t)(s->mask + 1u) * sizeof *s->table);
    s->count = 0;
}

void tm_block_hook(void *uc, uint64_t addr, uint32_t size, void *user)
{
    struct tm_state *s = user;

    if (s->has_pending) {
        if ((uint32_t)addr != s->pending_fallthrough)
            s->cycles += s->pending_extra;
        s->has_pending = 0;
    }
    if (s->cycles >= s->deadline) {
        s->deadline_hit = 1;
        s->stop(uc);
        return;
    }

    uint32_t i = tm_hash(addr, size) & s->mask;
    struct tm_entry *e = &s->table[i];
    while (e->size != 0 && (e->addr != addr || e->size != size)) {
        i = (i + 1u) & s->mask;
        e = &s->table[i];
    }
    if (e->size == 0) {
        struct tm_block_info info;
        s->misses++;
        if (size == 0 || s->miss(addr, size, &info) != 0) {
            s->error = 1;
            s->stop(uc);
            return;
        }
        if ((s->count + 1u) * 2u > s->mask + 1u) {
            if (tm_grow(s) != 0) {
                s->error = 1;
                s->stop(uc);
                return;
            }
            i = tm_hash(addr, size) & s->mask;
            e = &s->table[i];
            while (e->size != 0)
                e = &s->table[i = (i + 1u) & s->mask];
        }
        e->addr = addr;
        e->size = size;
        e->fallthrough = info.fallthrough;
        e->cost = info.cost;
        e->taken_extra = info.taken_extra;
        e->ninsn = info.ninsn;
        s->count++;
    }

    s->cycles += e->cost;
    s->instructions += e->ninsn;
    s->has_pending = 1;
    s->pending_fallthrough = e->fallthrough;
    s->pending_extra = e->taken_extra;
    s->cur_addr = addr;
    s->cur_size = size;
    s->ring[s->entered % TM_RING] = (uint32_t)addr;
    s->entered++;
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
void tm_forget_pending(struct tm_state *s) { s->has_pending = 0; }
uint64_t tm_cur_addr(const struct tm_state *s) { return s->cur_addr; }
uint32_t tm_cur_size(const struct tm_state *s) { return s->cur_size; }
uint64_t tm_misses(const struct tm_state *s) { return s->misses; }
uint32_t tm_table_count(const struct tm_state *s) { return s->count; }

/* Copies the last min(entered, 16) block addresses, oldest first; returns how many. */
uint32_t tm_recent(const struct tm_state *s, uint32_t *out)
{
    uint64_t n = s->entered < TM_RING ? s->entered : TM_RING;
    for (uint64_t k = 0; k < n; k++)
        out[k] = s->ring[(s->entered - n + k) % TM_RING];
    return (uint32_t)n;
}
