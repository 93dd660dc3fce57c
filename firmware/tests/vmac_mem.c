/* The vector MAC unit (rtl/examples/vmac_axi.v, overlay platforms/accel/vmac_axi.repl) reading
 * the board's memory through its AXI4 master (tests/test_rtl_memory.py derives the cycle counts):
 * each case of `cases` is one vmac_dot call, its DWT cycles (the STR of START to the answer of
 * the blocking RESULT read, identical code for every case) in `cycles` and its result in
 * `results`. The weights are in flash (const) or SRAM, the inputs in SRAM.
 * Then a run with CTRL.STORE writes the result into `stored` through the master's write channel
 * and the firmware reads it back: exit code 0 when it matches RESULT, 1 when not.
 * -DBAD_ADDR=A points the input at address A (outside memory: the bus error report). */
#include <stdint.h>

#include "board.h"
#include "drivers/vmac.h"
#include "hal/cycles.h"

#define B1(i) (int8_t)((((i) * 37u + 5u) ^ ((i) >> 3)) & 0xFFu)
#define B4(i) B1(i), B1((i) + 1), B1((i) + 2), B1((i) + 3)
#define B16(i) B4(i), B4((i) + 4), B4((i) + 8), B4((i) + 12)
#define B64(i) B16(i), B16((i) + 16), B16((i) + 32), B16((i) + 48)
#define B256(i) B64(i), B64((i) + 64), B64((i) + 128), B64((i) + 192)

const int8_t flash_w[1024] __attribute__((aligned(4))) = {B256(0), B256(256), B256(512), B256(768)};
int8_t sram_in[1024] __attribute__((aligned(4)));
int8_t sram_w[1024] __attribute__((aligned(4)));

struct vmac_case {
    const int8_t *in;
    const int8_t *w;
    uint32_t len;
    int32_t bias;
};

#define NCASES 8
struct vmac_case cases[NCASES];
uint32_t cycles[NCASES];
int32_t results[NCASES];
volatile int32_t stored;

int main(void)
{
    hal_cycles_init();
    uint32_t seed = 12345u;
    for (int i = 0; i < 1024; i++) {
        seed = seed * 1103515245u + 12345u;
        sram_in[i] = (int8_t)(seed >> 24);
        sram_w[i] = (int8_t)(seed >> 16);
    }
    const struct vmac_case table[NCASES] = {
        {sram_in, flash_w, 4, 1000},   {sram_in, flash_w, 64, 1000},  {sram_in, flash_w, 256, -7},
        {sram_in, sram_w, 4, 1000},    {sram_in, sram_w, 64, 1000},   {sram_in, sram_w, 256, -7},
        {sram_in, flash_w, 61, 0},     {sram_in, flash_w, 1024, 5},
    };
    for (int i = 0; i < NCASES; i++) cases[i] = table[i];
#ifdef BAD_ADDR
    cases[1].in = (const int8_t *)BAD_ADDR;
#endif
    vmac_set_offsets(3, -2);
    for (int i = 0; i < NCASES; i++) {
        const volatile struct vmac_case *c = &cases[i];
        const int8_t *in = c->in, *w = c->w;
        uint32_t len = c->len;
        int32_t bias = c->bias;
        uint32_t t0 = hal_cycles();
        int32_t r = vmac_dot(in, w, len, bias);
        uint32_t t1 = hal_cycles();
        cycles[i] = t1 - t0;
        results[i] = r;
    }
    VMAC_OUT_ADDR = (uint32_t)(uintptr_t)&stored;
    VMAC_CTRL = VMAC_CTRL_START | VMAC_CTRL_STORE;
    while (!(VMAC_STATUS & VMAC_STATUS_DONE)) {
    }
    return stored == (int32_t)VMAC_RESULT && stored == results[NCASES - 1] ? 0 : 1;
}
