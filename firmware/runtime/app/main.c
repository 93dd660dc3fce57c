/*
 * tandem runtime image: one firmware per board + kernel set that serves every model.
 * Reads the request in `tandem_mailbox`, runs the model N times, writes outputs and the
 * result block, and exits through semihosting.  See tandem_protocol.h and ../README.md.
 */
#include <string.h>

#include "board.h"
#include "tandem_protocol.h"
#include "tfl/tfl.h"

/* Provided by the op-set file linked with this image (e.g. op_set_reference.c). */
extern const tfl_resolver_t tandem_op_set;

/* From the linker script (firmware/link/cortex-m.ld): the RAM no section uses. The host puts the
 * I/O block at the top of it; the arena is what lies below the I/O block. */
extern uint8_t __tandem_free_ram_start[];
extern uint8_t __tandem_free_ram_end[];

/* The host finds this through the ELF symbol table and fills it before reset, so it lives in
 * .noinit, which start-up code does not zero. */
volatile tandem_mailbox_t tandem_mailbox __attribute__((section(".noinit"), used));
static tfl_interp_t interp;

static void trace_hook(void *user, int32_t op_index, int32_t builtin_code, int is_end)
{
    (void)user;
    *(volatile uint32_t *)TANDEM_TRACE_ADDR =
        TANDEM_TRACE_WORD(is_end ? TANDEM_TRACE_OP_END : TANDEM_TRACE_OP_START, op_index, builtin_code);
}

static void trace_inference(uint32_t kind, uint32_t n)
{
    if (tandem_mailbox.flags & TANDEM_FLAG_TRACE_OPS)
        *(volatile uint32_t *)TANDEM_TRACE_ADDR = TANDEM_TRACE_WORD(kind, n, 0);
}

static uint32_t align16(uint32_t v) { return (v + 15u) & ~15u; }

static void finish(tfl_status_t s)
{
    tandem_mailbox.op_index = interp.error.op_index;
    tandem_mailbox.builtin_code = interp.error.builtin_code;
    tandem_mailbox.tensor_index = interp.error.tensor_index;
    tandem_mailbox.bytes_needed = interp.error.bytes_needed;
    tandem_mailbox.detail = interp.error.detail;
    tandem_mailbox.status = (uint32_t)s;
}

/* The arena ends where the I/O block starts when the host placed it inside the free RAM. */
static uint8_t *arena_end(void)
{
    uintptr_t end = (uintptr_t)__tandem_free_ram_end;
    uintptr_t io[2] = {tandem_mailbox.input_addr, tandem_mailbox.output_addr};
    for (int i = 0; i < 2; i++) {
        if (io[i] >= (uintptr_t)__tandem_free_ram_start && io[i] < end)
            end = io[i];
    }
    return (uint8_t *)(end & ~(uintptr_t)15u);
}

int tandem_run(void)
{
    const uint8_t *model;
    uint32_t i, n, off, arena_size;
    tfl_status_t s;

    tandem_mailbox.completed = 0;
    tandem_mailbox.output_len = 0;
    if (tandem_mailbox.magic != TANDEM_MAGIC || tandem_mailbox.version != TANDEM_PROTOCOL_VERSION) {
        tandem_mailbox.status = TANDEM_STATUS_NO_REQUEST;
        return 1;
    }
    tandem_mailbox.status = TANDEM_STATUS_RUNNING;
    arena_size = (uint32_t)(arena_end() - __tandem_free_ram_start);
    tandem_mailbox.arena_size = arena_size;
    model = (const uint8_t *)(uintptr_t)tandem_mailbox.model_addr;
    s = tfl_init(&interp, model, tandem_mailbox.model_len, &tandem_op_set, __tandem_free_ram_start, arena_size);
    tandem_mailbox.ninputs = interp.ninputs;
    tandem_mailbox.noutputs = interp.noutputs;
    if (s != TFL_OK) {
        finish(s);
        return 1;
    }
    /* the inputs must fill the input block exactly (each input 16-byte aligned) */
    for (i = 0, off = 0; i < interp.ninputs; i++)
        off = align16(off) + tfl_input(&interp, i)->bytes;
    if (off != tandem_mailbox.input_len) {
        interp.error.code = TFL_ERR_INPUT_SHAPE;
        interp.error.detail = tandem_mailbox.input_len;
        finish(TFL_ERR_INPUT_SHAPE);
        return 1;
    }
    if (tandem_mailbox.flags & TANDEM_FLAG_TRACE_OPS)
        tfl_set_trace(&interp, trace_hook, 0);
    n = tandem_mailbox.invocations ? tandem_mailbox.invocations : 1;
    for (tandem_mailbox.completed = 0; tandem_mailbox.completed < n; tandem_mailbox.completed++) {
        const uint8_t *src = (const uint8_t *)(uintptr_t)tandem_mailbox.input_addr;
        trace_inference(TANDEM_TRACE_INFER_START, tandem_mailbox.completed);
        for (i = 0, off = 0; i < interp.ninputs; i++) {
            tfl_tensor_t *t = tfl_input(&interp, i);
            off = align16(off);
            if ((s = tfl_set_input(&interp, i, src + off, t->bytes)) != TFL_OK) {
                finish(s);
                return 1;
            }
            off += t->bytes;
        }
        if ((s = tfl_invoke(&interp)) != TFL_OK) {
            finish(s);
            return 1;
        }
        trace_inference(TANDEM_TRACE_INFER_END, tandem_mailbox.completed);
    }
    for (i = 0, off = 0; i < interp.noutputs; i++) {
        const tfl_tensor_t *t = tfl_output(&interp, i);
        off = align16(off);
        if (off + t->bytes > tandem_mailbox.output_cap) {
            interp.error.code = TFL_ERR_INPUT_SHAPE;
            interp.error.tensor_index = interp.outputs[i];
            interp.error.detail = off + t->bytes;
            finish(TFL_ERR_INPUT_SHAPE);
            return 1;
        }
        memcpy((uint8_t *)(uintptr_t)tandem_mailbox.output_addr + off, t->data, t->bytes);
        off += t->bytes;
    }
    tandem_mailbox.output_len = off;
    finish(TFL_OK);
    return 0;
}

int main(void) { return tandem_run(); }
