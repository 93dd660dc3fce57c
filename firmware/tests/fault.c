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
    return (int)read_nowhere();
}
