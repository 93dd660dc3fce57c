/*
 * The ahead-of-time runtime's interface between the generated model code (written by
 * `tandem compile`, see sim/aot/generate.py) and aot_main.c, which serves the same mailbox as the
 * interpreter's image (../runtime/app/tandem_protocol.h).
 */
#ifndef TANDEM_AOT_H
#define TANDEM_AOT_H

#include "board.h"
#include "ref_kernels.h"
#include "tandem_protocol.h"
#include "tfl/tfl.h"

typedef struct {
    uint32_t ninputs, noutputs;
    const int32_t *inputs, *outputs; /* tensor indices */
    const tfl_tensor_t *tensors;
    uint32_t arena_bytes;            /* the static activation arena (the host's plan) */
} aot_model_t;

extern const aot_model_t aot_model;

/* Run every op once, in graph order; on failure *failed_op is the op's index. */
tfl_status_t aot_invoke(int trace, int32_t *failed_op);

#define AOT_MARK(kind, i, code) (*(volatile uint32_t *)TANDEM_TRACE_ADDR = TANDEM_TRACE_WORD((kind), (i), (code)))

/* One op: a direct call of the kernel's eval (NAME_eval, ref_kernels.h) on its const node, between
 * the interpreter's trace marks. */
#define AOT_OP(i, eval, code)                                                      \
    do {                                                                           \
        if (trace)                                                                 \
            AOT_MARK(TANDEM_TRACE_OP_START, (i), (code));                          \
        s = (eval)(&aot_ip, (tfl_node_t *)&aot_nodes[(i)]);                        \
        if (trace)                                                                 \
            AOT_MARK(TANDEM_TRACE_OP_END, (i), (code));                            \
        if (s != TFL_OK) {                                                         \
            *failed_op = (i);                                                      \
            return s;                                                              \
        }                                                                          \
    } while (0)

#endif
