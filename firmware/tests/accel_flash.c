/* The engine's memory port pays the wait states of the memory it reads: one 1x1 conv job with
 * its operands in flash (const), then the same job with copies in SRAM. Prints the engine's
 * CYCLES and LOAD_CYCLES of each, and the bytes each job reads. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "drivers/conv_accel.h"

#define PIX 16
#define IC 64
#define OC 8

#define REGV(name) (*(volatile uint32_t *)(TANDEM_ACCEL_BASE + TANDEM_ACCEL_##name##_OFFSET))

static const int8_t f_input[PIX * IC] __attribute__((aligned(4))) = {1, 2, 3, 4, -5, 6, 7, -8};
static const int8_t f_filter[OC * IC] __attribute__((aligned(4))) = {9, -10, 11, 12};
static const int32_t f_bias[OC] = {100, -200};
static const int32_t f_mult[OC] = {1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30, 1 << 30};
static const int32_t f_shift[OC] = {-3, -3, -3, -3, -3, -3, -3, -3};

static int8_t r_input[PIX * IC] __attribute__((aligned(4)));
static int8_t r_filter[OC * IC] __attribute__((aligned(4)));
static int32_t r_bias[OC], r_mult[OC], r_shift[OC];
static int8_t out_flash[PIX * OC] __attribute__((aligned(4)));
static int8_t out_ram[PIX * OC] __attribute__((aligned(4)));

static int run(const int8_t *in, const int8_t *f, const int32_t *b, const int32_t *m, const int32_t *s, int8_t *out,
               const char *where)
{
    conv_accel_layer_t l = {
        .in_h = 4, .in_w = 4, .in_c = IC, .out_h = 4, .out_w = 4, .out_c = OC,
        .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
        .act_min = -128, .act_max = 127, .input = in, .filter = f, .bias = b, .mult = m, .shift = s,
        .output = out,
    };
    int rc = conv_accel_run(TANDEM_ACCEL_BASE, &l, 0);
    printf("%s rc %d cycles %lu load %lu bytes %u\n", where, rc, (unsigned long)REGV(CYCLES),
           (unsigned long)REGV(LOAD_CYCLES), (unsigned)(sizeof r_input + sizeof r_filter + 3 * sizeof r_bias));
    return rc;
}

int main(void)
{
    memcpy(r_input, f_input, sizeof r_input);
    memcpy(r_filter, f_filter, sizeof r_filter);
    memcpy(r_bias, f_bias, sizeof r_bias);
    memcpy(r_mult, f_mult, sizeof r_mult);
    memcpy(r_shift, f_shift, sizeof r_shift);
    int rc = run(f_input, f_filter, f_bias, f_mult, f_shift, out_flash, "flash");
    rc |= run(r_input, r_filter, r_bias, r_mult, r_shift, out_ram, "sram");
    printf("same %d\n", memcmp(out_flash, out_ram, sizeof out_ram) == 0);
    return rc;
}
