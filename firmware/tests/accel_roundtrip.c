/* Co-simulation overhead benchmark: ACCEL_ROUNDTRIPS tiny accelerator runs (a 1x1 convolution
 * of one pixel, COLS input channels to ROWS output channels), so that the host time per run is
 * almost all bridge overhead. Prints the DWT cycles per run. */
#include <stdint.h>
#include <stdio.h>

#include "board.h"
#include "drivers/conv_accel.h"
#include "hal/cycles.h"

#ifndef ACCEL_ROUNDTRIPS
#define ACCEL_ROUNDTRIPS 100
#endif

static int8_t input[128] __attribute__((aligned(4)));
static int8_t filter[128 * 128] __attribute__((aligned(4)));
static int32_t bias[128], mult[128], shift[128];
static int8_t output[128] __attribute__((aligned(4)));

int main(void)
{
    conv_accel_caps_t caps;
    if (conv_accel_probe(TANDEM_ACCEL_BASE, &caps) != CONV_ACCEL_OK) {
        return 100;
    }
    for (int i = 0; i < 128; i++) {
        input[i] = (int8_t)(i * 7);
        mult[i] = 1 << 30;
        shift[i] = -4;
    }
    conv_accel_layer_t l = {
        .in_h = 1, .in_w = 1, .in_c = caps.cols, .out_h = 1, .out_w = 1, .out_c = caps.rows,
        .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
        .act_min = -128, .act_max = 127, .input = input, .filter = filter, .bias = bias,
        .mult = mult, .shift = shift, .output = output,
    };
    hal_cycles_init();
    uint32_t t0 = hal_cycles();
    for (int n = 0; n < ACCEL_ROUNDTRIPS; n++) {
        filter[0] = (int8_t)n;
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
