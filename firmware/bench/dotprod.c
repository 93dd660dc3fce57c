/*
 * CPU-bound benchmark for the simulator's speed (benchmarks/bench_sim.py): int8 dot products
 * over buffers filled by an LCG, the inner loop of a quantized fully-connected layer.
 * Runs until `bench_done`; the checksum lands in r0.
 */
#include <stdint.h>

#define N 1024
#ifndef REPEAT
#define REPEAT 2000
#endif

static int8_t a[N];
static int8_t b[N];

static int32_t dot(const int8_t *x, const int8_t *y, int n)
{
    int32_t acc = 0;
    for (int i = 0; i < n; i++)
        acc += (int32_t)x[i] * (int32_t)y[i];
    return acc;
}

void bench_done(int32_t checksum);

int32_t bench_main(void)
{
    uint32_t s = 12345u;
    for (int i = 0; i < N; i++) {
        s = s * 1664525u + 1013904223u;
        a[i] = (int8_t)(s >> 24);
        s = s * 1664525u + 1013904223u;
        b[i] = (int8_t)(s >> 24);
    }
    int32_t sum = 0;
    for (int r = 0; r < REPEAT; r++) {
        sum += dot(a, b, N) >> (r & 7);
        a[r & (N - 1)] ^= (int8_t)sum;
    }
    return sum;
}
