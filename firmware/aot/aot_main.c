/*
 * The ahead-of-time runtime image: one model compiled in (aot_model.c, generated), served
 * through the interpreter's mailbox so the host side of `tandem infer` is the same.  The model
 * the host may place in flash is not read; inputs, outputs, result block and trace marks are
 * the interpreter's (see ../runtime/app/main.c and tandem_protocol.h).
 */
#include <string.h>

#include "aot.h"

volatile tandem_mailbox_t tandem_mailbox __attribute__((section(".noinit"), used));

static uint32_t align16(uint32_t v) { return (v + 15u) & ~15u; }

static void trace_inference(uint32_t kind, uint32_t n)
{
    if (tandem_mailbox.flags & TANDEM_FLAG_TRACE_OPS)
        AOT_MARK(kind, n, 0);
}

static int fail(tfl_status_t s, int32_t op, int32_t tensor, uint32_t detail)
{
    tandem_mailbox.op_index = op;
    tandem_mailbox.builtin_code = -1;
    tandem_mailbox.tensor_index = tensor;
    tandem_mailbox.detail = detail;
    tandem_mailbox.status = (uint32_t)s;
    return 1;
}

int tandem_run(void)
{
    const aot_model_t *m = &aot_model;
    uint32_t i, n, off;
    int32_t failed = -1;
    tfl_status_t s;

    tandem_mailbox.completed = 0;
    tandem_mailbox.output_len = 0;
    if (tandem_mailbox.magic != TANDEM_MAGIC || tandem_mailbox.version != TANDEM_PROTOCOL_VERSION) {
        tandem_mailbox.status = TANDEM_STATUS_NO_REQUEST;
        return 1;
    }
    tandem_mailbox.status = TANDEM_STATUS_RUNNING;
    tandem_mailbox.arena_size = m->arena_bytes;
    tandem_mailbox.bytes_needed = m->arena_bytes;
    tandem_mailbox.ninputs = m->ninputs;
    tandem_mailbox.noutputs = m->noutputs;
    for (i = 0, off = 0; i < m->ninputs; i++)
        off = align16(off) + m->tensors[m->inputs[i]].bytes;
    if (off != tandem_mailbox.input_len)
        return fail(TFL_ERR_INPUT_SHAPE, -1, -1, tandem_mailbox.input_len);
    n = tandem_mailbox.invocations ? tandem_mailbox.invocations : 1;
    for (tandem_mailbox.completed = 0; tandem_mailbox.completed < n; tandem_mailbox.completed++) {
        const uint8_t *src = (const uint8_t *)(uintptr_t)tandem_mailbox.input_addr;
        trace_inference(TANDEM_TRACE_INFER_START, tandem_mailbox.completed);
        for (i = 0, off = 0; i < m->ninputs; i++) {
            const tfl_tensor_t *t = &m->tensors[m->inputs[i]];
            off = align16(off);
            memcpy(t->data, src + off, t->bytes);
            off += t->bytes;
        }
        if ((s = aot_invoke((tandem_mailbox.flags & TANDEM_FLAG_TRACE_OPS) != 0, &failed)) != TFL_OK)
            return fail(s, failed, -1, 0);
        trace_inference(TANDEM_TRACE_INFER_END, tandem_mailbox.completed);
    }
    for (i = 0, off = 0; i < m->noutputs; i++) {
        const tfl_tensor_t *t = &m->tensors[m->outputs[i]];
        off = align16(off);
        if (off + t->bytes > tandem_mailbox.output_cap)
            return fail(TFL_ERR_INPUT_SHAPE, -1, m->outputs[i], off + t->bytes);
        memcpy((uint8_t *)(uintptr_t)tandem_mailbox.output_addr + off, t->data, t->bytes);
        off += t->bytes;
    }
    tandem_mailbox.output_len = off;
    tandem_mailbox.op_index = -1;
    tandem_mailbox.builtin_code = -1;
    tandem_mailbox.tensor_index = -1;
    tandem_mailbox.detail = 0;
    tandem_mailbox.status = TFL_OK;
    return 0;
}

int main(void) { return tandem_run(); }
