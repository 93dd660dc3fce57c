/* Floating point on the FPU (M4F) or in software (M3): prints the same digits either way. */
#include <stdio.h>

volatile float x = 1.5f;

int main(void)
{
    float acc = 0.0f;
    for (int i = 1; i <= 100; i++) {
        acc += x / (float)i;
    }
    printf("%d\n", (int)(acc * 1000.0f));
    return 0;
}
