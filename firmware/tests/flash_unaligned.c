/* Eight word loads (LDR, one per word) from a table in flash at byte offset OFFSET (set by the
 * build): aligned when OFFSET is a multiple of 4, unaligned otherwise. Exits 0 when each word
 * equals the one assembled from its bytes. tests/test_flash_loads.py times the two builds. */
#include <stdint.h>

#ifndef OFFSET
#define OFFSET 0
#endif

const uint8_t flash_table[48] __attribute__((aligned(16))) = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
};

#define LOAD(k) __asm__ volatile("ldr %0, [%1, #" #k "]" : "=r"(w[k / 4]) : "r"(p) : "memory")

int main(void)
{
    const uint8_t *p = flash_table + OFFSET;
    uint32_t w[8];
    LOAD(0); LOAD(4); LOAD(8); LOAD(12); LOAD(16); LOAD(20); LOAD(24); LOAD(28);
    for (int i = 0; i < 8; i++) {
        const volatile uint8_t *b = p + 4 * i;
        uint32_t want = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        if (w[i] != want)
            return 1 + i;
    }
    return 0;
}
