/* Reads an address inside a mapped peripheral page but outside every peripheral window. */
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    printf("probing\n");
    uint32_t v = *(volatile uint32_t *)0x40004600u;
    printf("read %lu\n", (unsigned long)v);
    return 0;
}
