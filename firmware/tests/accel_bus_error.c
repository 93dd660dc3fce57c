/* The engine told to read its input from an address no memory answers (ACCEL_BAD_ADDR): the
 * board stops with the memory port's bus error, naming that address. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "drivers/conv_accel.h"

#ifndef ACCEL_BAD_ADDR
#define ACCEL_BAD_ADDR 0x90000000u
#endif

static int8_t filter[64] __attribute__((aligned(4)));
static int32_t bias[8], mult[8], shift[8];
static int8_t output[64] __attribute__((aligned(4)));

int main(void)
{
    conv_accel_layer_t l = {
        .in_h = 1, .in_w = 1, .in_c = 8, .out_h = 1, .out_w = 1, .out_c = 8,
        .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
        .act_min = -128, .act_max = 127, .input = (const int8_t *)ACCEL_BAD_ADDR, .filter = filter,
        .bias = bias, .mult = mult, .shift = shift, .output = output,
    };
    int rc = conv_accel_run(TANDEM_ACCEL_BASE, &l, 0);
    printf("rc %d (%s)\n", rc, conv_accel_strerror(rc));
    return rc;
}
