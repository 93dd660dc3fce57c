/*
 * Host <-> firmware protocol of the tandem runtime image (version 1).  See ../README.md.
 *
 * The host loads the ELF, copies the .tflite into the model region (flash), the inputs into
 * the I/O region (RAM), fills the mailbox's request half, and starts the CPU.  The firmware
 * runs the model `invocations` times, writes the outputs after the inputs, fills the result
 * half and exits through semihosting.  All fields are little-endian 32-bit words.
 */
#ifndef TANDEM_PROTOCOL_H
#define TANDEM_PROTOCOL_H

#include <stdint.h>

#define TANDEM_MAGIC 0x4D444E54u /* "TNDM" */
#define TANDEM_PROTOCOL_VERSION 1u
#define TANDEM_STATUS_RUNNING 0xFFFFFFFFu
#define TANDEM_STATUS_NO_REQUEST 0xFFFFFFFEu /* magic/version missing: nothing was asked */

/* flags */
#define TANDEM_FLAG_TRACE_OPS 1u /* write op start/end markers to the trace register */

typedef struct {
    /* request: written by the host before the CPU starts */
    uint32_t magic;        /* TANDEM_MAGIC */
    uint32_t version;      /* TANDEM_PROTOCOL_VERSION */
    uint32_t model_addr;   /* .tflite bytes, 16-byte aligned (normally the model region) */
    uint32_t model_len;
    uint32_t input_addr;   /* inputs in subgraph order, each starting 16-byte aligned */
    uint32_t input_len;    /* total bytes including alignment gaps */
    uint32_t output_addr;  /* outputs in subgraph order, each starting 16-byte aligned */
    uint32_t output_cap;
    uint32_t invocations;  /* N >= 1 */
    uint32_t flags;
    /* result: written by the firmware */
    uint32_t status;       /* tfl_status_t, TANDEM_STATUS_RUNNING while running */
    int32_t op_index;      /* failing op, -1 if none */
    int32_t builtin_code;  /* its BuiltinOperator code, -1 if none */
    int32_t tensor_index;  /* failing tensor, -1 if none */
    uint32_t bytes_needed; /* arena bytes the model needs (also on success) */
    uint32_t detail;       /* status-specific detail (see tfl.h) */
    uint32_t arena_size;   /* arena bytes this image has */
    uint32_t output_len;   /* bytes written at output_addr */
    uint32_t ninputs;
    uint32_t noutputs;
    uint32_t completed;    /* invocations finished */
    uint32_t reserved[3];
} tandem_mailbox_t;

/*
 * Trace register: one 32-bit store per marker.
 *   bits 31..30  kind: 0 op start, 1 op end, 2 inference start, 3 inference end
 *   bits 29..12  op index (inference number for kinds 2 and 3)
 *   bits 11..0   builtin code (0 for kinds 2 and 3)
 */
#ifndef TANDEM_TRACE_ADDR
#define TANDEM_TRACE_ADDR TANDEM_TRACE_BASE /* the board's Tandem.Trace window (board.h) */
#endif
#define TANDEM_TRACE_OP_START 0u
#define TANDEM_TRACE_OP_END 1u
#define TANDEM_TRACE_INFER_START 2u
#define TANDEM_TRACE_INFER_END 3u
#define TANDEM_TRACE_WORD(kind, index, code) \
    (((uint32_t)(kind) << 30) | (((uint32_t)(index) & 0x3FFFFu) << 12) | ((uint32_t)(code) & 0xFFFu))

#endif
