/* A CPU-bound program: counts primes with a sieve and prints a checksum. */
#include <stdint.h>
#include <stdio.h>

#define N 10000
static uint8_t composite[N];

int main(void)
{
    uint32_t count = 0, sum = 0;
    for (uint32_t i = 2; i < N; i++) {
        if (!composite[i]) {
            count++;
            sum = sum * 31u + i;
            for (uint32_t j = i * i; j < N; j += i) {
                composite[j] = 1;
            }
        }
    }
    printf("%lu primes below %d, checksum %08lx\n", (unsigned long)count, N, (unsigned long)sum);
    return 0;
}
