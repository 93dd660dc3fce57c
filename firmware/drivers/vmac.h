/* Driver of the example int8 vector multiply-accumulate unit (rtl/examples/vmac_axi.v) on a
 * Tandem.RtlPeripheral (platforms/accel/vmac_axi.repl): the unit reads both vectors itself
 * through its AXI4 master port, so a call is a few register writes and one blocking read.
 *
 * vmac_dot returns bias + sum_i (in[i] + in_offset) * (w[i] + w_offset), wrapping as int32 (as
 * the unit's accumulator does). Both pointers must be 4-byte aligned (vmac_fits); the CPU is
 * stalled on the RESULT read until the unit is done, so the vectors are not touched meanwhile. */
#ifndef TANDEM_VMAC_H
#define TANDEM_VMAC_H

#include <stdint.h>

#include "board.h"

#ifndef VMAC_BASE
#ifdef TANDEM_ACCEL_BASE
#define VMAC_BASE TANDEM_ACCEL_BASE
#else
#define VMAC_BASE 0x50000000u
#endif
#endif

#define VMAC_REG(off) (*(volatile uint32_t *)(VMAC_BASE + (off)))
#define VMAC_IN_ADDR VMAC_REG(0x00)
#define VMAC_W_ADDR VMAC_REG(0x04)
#define VMAC_LEN VMAC_REG(0x08)
#define VMAC_IN_OFFSET VMAC_REG(0x0C)
#define VMAC_W_OFFSET VMAC_REG(0x10)
#define VMAC_BIAS VMAC_REG(0x14)
#define VMAC_OUT_ADDR VMAC_REG(0x18)
#define VMAC_CTRL VMAC_REG(0x1C)
#define VMAC_STATUS VMAC_REG(0x20)
#define VMAC_RESULT VMAC_REG(0x24)
#define VMAC_ID VMAC_REG(0x28)

#define VMAC_CTRL_START 1u
#define VMAC_CTRL_ACK 2u
#define VMAC_CTRL_STORE 4u
#define VMAC_STATUS_BUSY 1u
#define VMAC_STATUS_DONE 2u
#define VMAC_STATUS_ERR 4u
#define VMAC_ID_VALUE 0x564D4131u

/* whether the unit answers at VMAC_BASE (reads ID) */
static inline int vmac_present(void) { return VMAC_ID == VMAC_ID_VALUE; }

/* whether a vector pair can go to the unit: word-aligned addresses */
static inline int vmac_fits(const void *in, const void *w) {
    return (((uintptr_t)in | (uintptr_t)w) & 3u) == 0;
}

/* Offsets that stay the same for a layer are written once (the unit keeps them). */
static inline void vmac_set_offsets(int32_t in_offset, int32_t w_offset) {
    VMAC_IN_OFFSET = (uint32_t)in_offset;
    VMAC_W_OFFSET = (uint32_t)w_offset;
}

static inline int32_t vmac_dot(const int8_t *in, const int8_t *w, uint32_t len, int32_t bias) {
    VMAC_IN_ADDR = (uint32_t)(uintptr_t)in;
    VMAC_W_ADDR = (uint32_t)(uintptr_t)w;
    VMAC_LEN = len;
    VMAC_BIAS = (uint32_t)bias;
    VMAC_CTRL = VMAC_CTRL_START;
    return (int32_t)VMAC_RESULT; /* held by the unit until the run is done */
}

#endif
