/* Never exits: the board must stop it at the cycle limit. */
#include <stdint.h>

volatile uint32_t counter;

int main(void)
{
    for (;;) {
        counter++;
    }
}
