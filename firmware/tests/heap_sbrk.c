/* Heap use known by construction: two _sbrk calls of 100 and 28 bytes move the C library's
 * break by exactly 128 bytes (no printf, which would allocate its own buffers). */
#include <stdint.h>

void *_sbrk(int incr);

int main(void)
{
    uint8_t *a = _sbrk(100);
    uint8_t *b = _sbrk(28);
    a[0] = 1;
    b[27] = 2;
    return (b - a == 100) ? 0 : 1;
}
