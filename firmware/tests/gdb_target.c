/* The program tests/test_gdb.py debugs: a loop updating a global (for a watchpoint), a local
 * variable to print, and an exit code the debugger sees in its exit stop reply. */
#include <stdint.h>
#include <stdio.h>

volatile uint32_t gdb_counter;

static uint32_t __attribute__((noinline)) square(uint32_t x)
{
    return x * x;
}

int main(void)
{
    uint32_t total = 0;
    for (uint32_t i = 1; i <= 5; i++) {
        total += square(i);
        gdb_counter = total;
    }
    printf("total %lu\n", (unsigned long)total);
    return (int)(total & 0x7f); /* 55 */
}
