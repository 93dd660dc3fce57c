/* LDREX/STREX (an atomic add) on a word in a page the memory checker guards elsewhere: plain and
 * exclusive accesses to it go through the page's check mirror and must still work
 * (tests/test_traps.py guards `neighbour`, beside `counter`; both are left alone by the
 * start-up code, which would otherwise clear the guarded words). */
#include <stdint.h>
#include <stdio.h>

struct pair {
    volatile uint32_t neighbour[4];
    uint32_t counter;
};
struct pair pair __attribute__((section(".noinit"), aligned(16)));

int main(void)
{
    pair.counter = 1;
    for (int i = 0; i < 10; i++)
        __atomic_fetch_add(&pair.counter, 3, __ATOMIC_SEQ_CST);
    printf("counter %lu neighbour read\n", (unsigned long)pair.counter + 0 * pair.neighbour[0]);
    return 0;
}
