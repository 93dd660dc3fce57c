/* Reads a flatbuffer-like table from flash the way the flatbuffers library does, and runs
 * flash_probe.S's addressing modes, on the same bytes in flash and in a RAM copy, at every
 * alignment (tests/test_flash_loads.py). Any difference is a fault of the simulator's load
 * path for flash (the exact flash timing hooks loads from wait-stated memory): the firmware
 * prints the first one and exits with 1; all equal, it prints a checksum and exits with 0. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

unsigned flash_probe(const uint8_t *p, uint32_t *out);

/* Pseudo-random bytes with two flatbuffer-style tables: table A at 64 with its vtable before
 * it at 32 (soffset +32), table B at 128 with its vtable after it at 160 (soffset -32). */
static const uint8_t blob[256] __attribute__((aligned(16))) = {
    0x6a, 0x05, 0x12, 0x50, 0x7a, 0x08, 0x1c, 0x4b, 0xbc, 0x7a, 0x3b, 0xad, 0xee, 0xb6, 0x8f, 0xc8,
    0x86, 0xb0, 0x75, 0x69, 0xb5, 0xa0, 0x72, 0x9c, 0xd7, 0x76, 0xe9, 0xd6, 0xfa, 0x28, 0xec, 0xb8,
    0x0c, 0x00, 0x10, 0x00, 0x04, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00, 0xfd, 0x4d, 0x33, 0x3b,
    0xca, 0x18, 0x25, 0xef, 0x97, 0xcd, 0x76, 0x5b, 0xb5, 0x28, 0x78, 0x9e, 0x9f, 0x54, 0xa2, 0xc6,
    0x20, 0x00, 0x00, 0x00, 0x8b, 0xf2, 0x48, 0x3b, 0xfc, 0xc7, 0xc0, 0x07, 0x85, 0x2f, 0x93, 0x20,
    0x15, 0xe6, 0x1e, 0x82, 0x51, 0xff, 0xf6, 0xff, 0x16, 0x1f, 0xf2, 0x29, 0xec, 0x76, 0xe5, 0x82,
    0x2b, 0x04, 0x1c, 0xaa, 0xc2, 0xde, 0xb1, 0x1c, 0x9a, 0xe4, 0x9f, 0x0f, 0xdc, 0xc5, 0x07, 0xb2,
    0xc6, 0x01, 0x49, 0x80, 0x7f, 0xff, 0xa9, 0xa6, 0x7c, 0xa1, 0xfb, 0xa3, 0x01, 0xb5, 0x73, 0xae,
    0xe0, 0xff, 0xff, 0xff, 0xab, 0x41, 0xab, 0x32, 0xa1, 0xaf, 0xea, 0xf7, 0x3e, 0xc9, 0x02, 0x33,
    0x4f, 0xec, 0x51, 0x64, 0xa4, 0xbc, 0xcf, 0x77, 0x3b, 0xef, 0x50, 0xad, 0xeb, 0xd0, 0x0e, 0x8b,
    0x0a, 0x00, 0x0c, 0x00, 0x04, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x80, 0x69, 0x24, 0xe3, 0x52, 0x75,
    0xa4, 0x50, 0x1c, 0xbc, 0xd6, 0x73, 0xd6, 0x57, 0xbe, 0x4b, 0x58, 0xf5, 0xf2, 0xef, 0xef, 0x57,
    0xdd, 0x23, 0xd8, 0x8c, 0xe2, 0x7e, 0x0c, 0xe7, 0xaa, 0xcf, 0x56, 0x11, 0x01, 0xeb, 0xe3, 0x0f,
    0xac, 0xe6, 0xed, 0x86, 0xc7, 0xe8, 0xe2, 0xcf, 0x3f, 0x55, 0xa0, 0xe6, 0xf5, 0xa9, 0xef, 0x2b,
    0x6d, 0x70, 0x57, 0xcc, 0x37, 0xcc, 0xa9, 0xa5, 0xe6, 0x82, 0x5a, 0x8a, 0xd4, 0x3d, 0x9b, 0x70,
    0x8a, 0x53, 0x85, 0x94, 0x4d, 0xe5, 0x7b, 0x4c, 0xf6, 0x3d, 0x7c, 0x6e, 0xca, 0xdb, 0x71, 0x92,
};
static uint8_t ram[256] __attribute__((aligned(16)));

#define OUT_WORDS 128

/* flatbuffers::Table: the vtable is at table - ReadScalar<soffset_t>(table); a field's
 * offset is the vtable's uint16 entry, 0 when the field is absent or beyond the vtable. */
static inline int32_t rd_i32(const uint8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t rd_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

__attribute__((noipa)) static uint16_t field_offset(const uint8_t *table, uint16_t field)
{
    const uint8_t *vt = table - rd_i32(table);
    uint16_t vsize = rd_u16(vt);
    return field < vsize ? rd_u16(vt + field) : 0;
}

/* Every field of both tables as uint8/int8/uint16/int16/uint32/int64, folded into out[]. */
__attribute__((noipa)) static unsigned walk_tables(const uint8_t *base, uint32_t *out)
{
    static const unsigned tables[2] = {64, 128};
    unsigned n = 0;
    for (unsigned t = 0; t < 2; t++) {
        const uint8_t *table = base + tables[t];
        for (uint16_t f = 4; f < 16; f += 2) {
            uint16_t off = field_offset(table, f);
            if (off == 0) {
                out[n++] = 0xFFFFFFFFu - f;
                continue;
            }
            const volatile uint8_t *fp = table + off;
            int64_t wide;
            memcpy(&wide, (const void *)fp, 8);
            out[n++] = fp[0];
            out[n++] = (uint32_t)(int32_t)(int8_t)fp[1];
            out[n++] = *(const volatile uint16_t *)(const volatile void *)fp;
            out[n++] = (uint32_t)(int32_t)*(const volatile int16_t *)(const volatile void *)(fp + 1);
            out[n++] = (uint32_t)rd_i32((const uint8_t *)fp);
            out[n++] = (uint32_t)(wide >> 32);
        }
    }
    return n;
}

static int compare(const char *what, unsigned align, const uint32_t *a, const uint32_t *b, unsigned n,
                   uint32_t *sum)
{
    for (unsigned k = 0; k < n; k++) {
        *sum = (*sum * 31u) ^ a[k];
        if (a[k] != b[k]) {
            printf("MISMATCH %s align %u word %u: flash 0x%08lx ram 0x%08lx\n", what, align, k,
                   (unsigned long)a[k], (unsigned long)b[k]);
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    static uint32_t from_flash[OUT_WORDS], from_ram[OUT_WORDS];
    uint32_t sum = 0;
    memcpy(ram, blob, sizeof ram);
    unsigned nf = walk_tables(blob, from_flash), nr = walk_tables(ram, from_ram);
    if (nf != nr || compare("tables", 0, from_flash, from_ram, nf, &sum))
        return 1;
    /* the tables as laid out: field 3 of table A is absent (entry 0), field 4 is beyond vtable B */
    if (field_offset(blob + 64, 10) != 0 || field_offset(blob + 128, 12) != 0 ||
        field_offset(blob + 64, 4) != 4 || field_offset(blob + 128, 6) != 9) {
        printf("MISMATCH field offsets\n");
        return 1;
    }
    for (unsigned align = 0; align < 4; align++) {
        memset(from_flash, 0, sizeof from_flash);
        memset(from_ram, 0, sizeof from_ram);
        nf = flash_probe(blob + 16 + align, from_flash);
        nr = flash_probe(ram + 16 + align, from_ram);
        if (nf != nr || nf > OUT_WORDS || compare("probe", align, from_flash, from_ram, nf, &sum))
            return 1;
    }
    printf("flash loads ok: %u probe words, checksum 0x%08lx\n", nf, (unsigned long)sum);
    return 0;
}
