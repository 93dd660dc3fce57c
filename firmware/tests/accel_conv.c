/* Runs convolutions on the accelerator (falling back to the CPU when it refuses one for
 * capacity) and checks each output against the golden model's, byte for byte.
 *
 * One line per case: name, return code, path, DWT cycles around the driver call, the engine's
 * CYCLES register, a CRC-32 of the whole output buffer and the number of mismatching bytes.
 * The exit code is the number of failed cases. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "drivers/conv_accel.h"
#include "hal/cycles.h"
#include "tests/accel_conv.h"

#ifndef TANDEM_ACCEL_BASE
#error "this test needs a board with the accelerator overlay (platforms/accel/)"
#endif

static uint32_t crc32(const int8_t *data, uint32_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; i++) {
        crc ^= (uint8_t)data[i];
        for (int b = 0; b < 8; b++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

static const char *path_name(conv_path_t p)
{
    return p == CONV_PATH_ACCEL ? "accel" : p == CONV_PATH_CPU ? "cpu" : "none";
}

int main(void)
{
    conv_accel_caps_t caps;
    if (conv_accel_probe(TANDEM_ACCEL_BASE, &caps) != CONV_ACCEL_OK) {
        printf("no accelerator at 0x%08lx\n", (unsigned long)TANDEM_ACCEL_BASE);
        return 100;
    }
    printf("accelerator %ux%u max_oc %u ibuf %lu wbuf %lu obuf %lu\n", caps.rows, caps.cols,
           caps.max_oc, (unsigned long)caps.ibuf_words, (unsigned long)caps.wbuf_words,
           (unsigned long)caps.obuf_words);
    hal_cycles_init();
    int failed = 0;
    for (unsigned i = 0; i < accel_num_cases; i++) {
        const accel_case_t *c = &accel_cases[i];
        memset(c->out_buf, 0x5A, c->out_bytes);
        conv_accel_stats_t stats = {0};
        conv_path_t path = CONV_PATH_NONE;
        uint32_t t0 = hal_cycles();
        int rc = conv_accel_conv2d(TANDEM_ACCEL_BASE, &c->layer, &stats, &path);
        uint32_t t1 = hal_cycles();
        uint32_t mismatches = 0;
        for (uint32_t j = 0; j < c->out_bytes; j++) {
            mismatches += c->out_buf[j] != c->expected[j];
        }
        int ok = rc == c->expect_rc && path == c->expect_path && mismatches == 0;
        failed += !ok;
        printf("case %s: rc=%d (%s) path=%s cycles=%lu accel_cycles=%lu crc=%08lx mismatches=%lu %s\n",
               c->name, rc, conv_accel_strerror(rc), path_name(path), (unsigned long)(t1 - t0),
               (unsigned long)stats.cycles, (unsigned long)crc32(c->out_buf, c->out_bytes),
               (unsigned long)mismatches, ok ? "ok" : "FAIL");
    }
    printf("%s\n", failed ? "SOME CASES FAILED" : "ALL CASES PASSED");
    return failed;
}
