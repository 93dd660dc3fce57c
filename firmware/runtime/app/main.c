/*
 * tandem runtime image: one firmware per board + kernel set that serves every model.
 * Reads the request in `tandem_mailbox`, runs the model N times, writes outputs and the
 * result block, and exits through semihosting.  See tandem_protocol.h and ../README.md.
 */
#include <string.h>

#include "tandem_protocol.h"
#include "tfl/tfl.h"

/* Provided by the op-set file linked with this image (e.g. op_set_reference.c). */
extern const tfl_resolver_t tandem_op_set;

/* Provided by the linker script: the arena spans the RAM the image does not use. */
extern uint8_t __tandem_arena_start[];
extern uint8_t __tandem_arena_end[];

/* The host finds these through the ELF symbol table. */
volatile tandem_mailbox_t tandem_mailbox __attribute__((section(".tandem_mailbox"), used));
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

/* Semihosting SYS_EXIT with ADP_Stopped_ApplicationExit. */
static void semihost_exit(void)
{
#if defined(__arm__)
    register uint32_t r0 __asm__("r0") = 0x18u;
    register uint32_t r1 __asm__("r1") = 0x20026u;
    __asm__ volatile("bkpt 0xAB" : : "r"(r0), "r"(r1) : "memory");
#endif
    for (;;) {
    }
}

int tandem_run(void)
{
    const uint8_t *model;
    uint32_t i, n, off, arena_size = (uint32_t)(__tandem_arena_end - __tandem_arena_start);
    tfl_status_t s;

    tandem_mailbox.arena_size = arena_size;
    tandem_mailbox.completed = 0;
    tandem_mailbox.output_len = 0;
    if (tandem_mailbox.magic != TANDEM_MAGIC || tandem_mailbox.version != TANDEM_PROTOCOL_VERSION) {
        tandem_mailbox.status = TANDEM_STATUS_NO_REQUEST;
        return 1;
    }
    tandem_mailbox.status = TANDEM_STATUS_RUNNING;
    model = (const uint8_t *)(uintptr_t)tandem_mailbox.model_addr;
    s = tfl_init(&interp, model, tandem_mailbox.model_len, &tandem_op_set, __tandem_arena_start, arena_size);
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

int main(void)
{
    int rc = tandem_run();
    semihost_exit();
    return rc;
}
