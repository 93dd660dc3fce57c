/* Turns the FPU off through CPACR, then uses it: a NOCP UsageFault on the part. */
#include <stdint.h>
#include <stdio.h>

volatile float x = 2.0f;

__attribute__((noinline)) float square(void) { return x * x; }

int main(void)
{
    printf("fpu off\n");
    *(volatile uint32_t *)0xE000ED88u &= ~(0xFu << 20);
    __asm__ volatile("dsb\n isb" ::: "memory");
    printf("%d\n", (int)square());
    return 0;
}
