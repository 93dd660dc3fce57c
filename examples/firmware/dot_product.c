/* Example firmware for examples/test_cycle_budget.py: an int8 dot product (the inner loop of
 * a quantized dense layer) over 256 elements, its result printed on the board's console. */
#include <stdint.h>
#include <stdio.h>

#define LEN 256

static int8_t weights[LEN];
static int8_t input[LEN];

__attribute__((noinline)) int32_t dot_q7(const int8_t *a, const int8_t *b, int n)
{
    int32_t acc = 0;
    for (int i = 0; i < n; i++) {
        acc += a[i] * b[i];
    }
    return acc;
}

int main(void)
{
    for (int i = 0; i < LEN; i++) {
        weights[i] = (int8_t)(i * 7 - 100);
        input[i] = (int8_t)(50 - i % 101);
    }
    int32_t acc = dot_q7(weights, input, LEN);
    printf("dot = %ld\n", (long)acc);
    return 0;
}
