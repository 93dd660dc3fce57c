/* Executes a permanently undefined instruction: a UsageFault (UNDEFINSTR). */
#include <stdio.h>

__attribute__((noinline)) void trap_here(void) { __asm__ volatile("udf #42"); }

int main(void)
{
    printf("about to trap\n");
    trap_here();
    return 0;
}
