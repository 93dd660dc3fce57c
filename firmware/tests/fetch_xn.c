/* Branches to TARGET (set by the build), an address in an execute-never region of the default
 * memory map (ARMv7-M ARM B3.1.1): the fetch must fault there. */
#include <stdint.h>

int main(void)
{
    void (*target)(void) = (void (*)(void))(TARGET | 1u);
    target();
    return 0;
}
