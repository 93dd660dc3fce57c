/* Reads an address with nothing behind it: the board must stop with a fault report. */
#include <stdint.h>
#include <stdio.h>

__attribute__((noinline)) uint32_t read_nowhere(void)
{
    return *(volatile uint32_t *)0x70000000u;
}

int main(void)
{
    printf("about to fault\n");
    uint32_t v = read_nowhere();
    printf("read %lu\n", (unsigned long)v);
    return 0;
}
