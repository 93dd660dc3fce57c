/*
 * Robustness driver for sanitizer builds: feeds every truncation of a model and seeded
 * random corruptions of it to tfl_init (and tfl_invoke when init succeeds).  Each attempt
 * gets an exact-size heap copy so AddressSanitizer flags any read past the model's end.
 * Usage: tfl_fuzz MODEL.tflite [corruptions] [seed]   Prints counts per status; exit 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_api.h"

static uint32_t rng_state;
static uint32_t next_rand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static unsigned counts[16];

static void attempt(const uint8_t *src, uint32_t len, uint8_t *arena, uint32_t arena_size)
{
    /* malloc gives 16-byte alignment, which the runtime requires of the model */
    uint8_t *copy = (uint8_t *)malloc(len ? len : 1);
    tfl_host_info_t info;
    static uint8_t in_buf[1 << 16];
    const void *ins[TFL_HOST_MAX_IO];
    uint32_t sizes[TFL_HOST_MAX_IO];
    void *outs[TFL_HOST_MAX_IO] = {0};
    uint32_t i, n;
    int rc;
    memcpy(copy, src, len);
    rc = tfl_host_run(copy, len, arena, arena_size, 0, 0, 0, outs, 0, &info);
    if (rc == 0) {
        n = info.ninputs < TFL_HOST_MAX_IO ? info.ninputs : TFL_HOST_MAX_IO;
        for (i = 0; i < n; i++) {
            ins[i] = in_buf;
            sizes[i] = info.input_bytes[i] <= sizeof(in_buf) ? info.input_bytes[i] : 0;
        }
        rc = tfl_host_run(copy, len, arena, arena_size, ins, sizes, n, outs, 1, &info);
    }
    counts[rc >= 0 && rc < 16 ? rc : 15]++;
    free(copy);
}

int main(int argc, char **argv)
{
    FILE *f;
    uint8_t *model, *mutated;
    long len;
    uint32_t arena_size = 1u << 20, l, k, corruptions;
    uint8_t *arena;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL [corruptions] [seed]\n", argv[0]);
        return 2;
    }
    corruptions = argc > 2 ? (uint32_t)strtoul(argv[2], 0, 0) : 1000;
    rng_state = argc > 3 ? (uint32_t)strtoul(argv[3], 0, 0) : 12345u;
    if (rng_state == 0)
        rng_state = 1;
    f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    model = (uint8_t *)malloc((size_t)len);
    mutated = (uint8_t *)malloc((size_t)len);
    if (fread(model, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "short read\n");
        return 2;
    }
    fclose(f);
    arena = (uint8_t *)malloc(arena_size);
    attempt(model, (uint32_t)len, arena, arena_size);
    if (counts[0] != 1) {
        fprintf(stderr, "%s: the unmodified model fails\n", argv[1]);
        return 1;
    }
    for (l = 0; l < (uint32_t)len; l++)
        attempt(model, l, arena, arena_size);
    for (k = 0; k < corruptions; k++) {
        uint32_t flips = 1 + next_rand() % 4, j;
        memcpy(mutated, model, (size_t)len);
        for (j = 0; j < flips; j++) {
            uint32_t pos = next_rand() % (uint32_t)len;
            uint32_t mode = next_rand() % 3;
            if (mode == 0)
                mutated[pos] ^= (uint8_t)(1u << (next_rand() % 8));
            else if (mode == 1)
                mutated[pos] = (uint8_t)next_rand();
            else
                mutated[pos] = (uint8_t)(next_rand() & 1 ? 0xff : 0x00);
        }
        attempt(mutated, (uint32_t)len, arena, arena_size);
    }
    for (i = 0; i < 16; i++)
        if (counts[i])
            printf("status %d: %u\n", i, counts[i]);
    free(arena);
    free(model);
    free(mutated);
    return 0;
}
