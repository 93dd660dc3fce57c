/* Exits with a computed code, so the test sees the firmware's own result. */
#include <stdio.h>

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void)
{
    int f = fib(12); /* 144 */
    printf("fib(12) = %d\n", f);
    return f % 100; /* 44 */
}
