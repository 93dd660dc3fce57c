/* Co-simulation benchmark: ACCEL_ROUNDTRIPS accelerator runs of one layer, a KxK SAME
 * convolution of an HxWxIC input to OC channels (default: one pixel, COLS input channels to
 * ROWS output channels, so that the host time per run is almost all bridge overhead).
 * Prints the DWT cycles per run. Used by `python -m tandem.cosim.bench`. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "drivers/conv_accel.h"
#include "hal/cycles.h"

#ifndef ACCEL_ROUNDTRIPS
#define ACCEL_ROUNDTRIPS 100
#endif
#ifndef ACCEL_H
#define ACCEL_H 1
#define ACCEL_W 1
#define ACCEL_K 1
#define ACCEL_IC 0 /* 0: the array's columns */
#define ACCEL_OC 0 /* 0: the array's rows */
#endif
#define MAX_IC (ACCEL_IC ? ACCEL_IC : 128)
#define MAX_OC (ACCEL_OC ? ACCEL_OC : 128)

static int8_t input[ACCEL_H * ACCEL_W * MAX_IC] __attribute__((aligned(4)));
static int8_t filter[MAX_OC * ACCEL_K * ACCEL_K * MAX_IC] __attribute__((aligned(4)));
static int32_t bias[MAX_OC], mult[MAX_OC], shift[MAX_OC];
static int8_t output[ACCEL_H * ACCEL_W * MAX_OC] __attribute__((aligned(4)));

int main(void)
{
    conv_accel_caps_t caps;
    if (conv_accel_probe(TANDEM_ACCEL_BASE, &caps) != CONV_ACCEL_OK) {
        return 100;
    }
    uint16_t ic = ACCEL_IC ? ACCEL_IC : caps.cols;
    uint16_t oc = ACCEL_OC ? ACCEL_OC : caps.rows;
    for (uint32_t i = 0; i < sizeof input; i++) {
        input[i] = (int8_t)(i * 7);
    }
    for (uint32_t i = 0; i < sizeof filter; i++) {
        filter[i] = (int8_t)(i * 13 + 5);
    }
    for (int i = 0; i < MAX_OC; i++) {
        mult[i] = 1 << 30;
        shift[i] = -6;
    }
    conv_accel_layer_t l = {
        .in_h = ACCEL_H, .in_w = ACCEL_W, .in_c = ic, .out_h = ACCEL_H, .out_w = ACCEL_W, .out_c = oc,
        .k_h = ACCEL_K, .k_w = ACCEL_K, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
        .pad_top = (ACCEL_K - 1) / 2, .pad_bottom = (ACCEL_K - 1) / 2,
        .pad_left = (ACCEL_K - 1) / 2, .pad_right = (ACCEL_K - 1) / 2,
        .act_min = -128, .act_max = 127, .input = input, .filter = filter, .bias = bias,
        .mult = mult, .shift = shift, .output = output,
    };
    hal_cycles_init();
    uint32_t t0 = hal_cycles();
    for (int n = 0; n < ACCEL_ROUNDTRIPS; n++) {
        input[0] = (int8_t)n;
        int rc = conv_accel_run(TANDEM_ACCEL_BASE, &l, NULL);
        if (rc != CONV_ACCEL_OK) {
            printf("run %d: %s\n", n, conv_accel_strerror(rc));
            return 1;
        }
    }
    uint32_t t1 = hal_cycles();
    printf("%d runs, %lu cycles per run\n", ACCEL_ROUNDTRIPS, (unsigned long)((t1 - t0) / ACCEL_ROUNDTRIPS));
    return 0;
}
