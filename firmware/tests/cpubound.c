/* CPU-bound work for speed measurements: int8 dot products over RAM buffers, a checksum printed
 * at the end. About 7 instructions per multiply-accumulate at -O2; `rounds` scales the run. */
#include <stdint.h>
#include <stdio.h>

#define LEN 1024
static int8_t a[LEN], b[LEN];

#ifndef ROUNDS
#define ROUNDS 4000
#endif

int main(void)
{
    uint32_t seed = 12345u;
    for (int i = 0; i < LEN; i++) {
        seed = seed * 1103515245u + 12345u;
        a[i] = (int8_t)(seed >> 16);
        b[i] = (int8_t)(seed >> 24);
    }
    int32_t total = 0;
    for (int r = 0; r < ROUNDS; r++) {
        int32_t acc = r;
        for (int i = 0; i < LEN; i++) {
            acc += a[i] * b[(i + r) & (LEN - 1)];
        }
        total ^= acc;
    }
    printf("checksum %ld\n", (long)total);
    return 0;
}
