/*
 * Host side of `tandem compile`: runs the interpreter's own parse, prepare and planner on the
 * build machine (the same C, so the numbers are the ones the firmware would compute) and prints
 * what the generator (sim/aot/) needs, one record a line:
 *
 *   plan PLAN_BYTES NTENSORS NNODES NINPUTS NOUTPUTS
 *   io in|out TENSOR
 *   tensor I PLANNED OFFSET CONST MODEL_OFFSET BYTES TYPE NDIM D0..D5 SCALE_BITS ZP VARIABLE
 *   node I KERNEL CODE NIN NOUT in... out... / NWORDS w... / NARR elem... / NSHIFT s...
 *   error STATUS OP CODE TENSOR
 *
 * Each kernel's prepared data (n->data) is printed as the 32-bit words of its struct: the
 * structs hold int32 fields only (their layout is the same on the host and on Cortex-M), except
 * the per-channel multiplier and shift arrays, which are printed as arrays and re-pointed by the
 * generated code.  A check against the arena tail's allocation sizes catches a struct whose
 * layout no longer matches the table below.  Kernels whose prepare calls libm's transcendental
 * functions (LOGISTIC's expf table, TANH) are left out: the build machine's libm may round
 * differently from the firmware's newlib.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "ref_kernels.h"
#include "tfl/kernel.h"
#include "tfl/tfl.h"

enum { ARR_NONE = 0, ARR_OUT_CHANNELS = 1, ARR_FILTER_SCALES = 2 };

typedef struct {
    const tfl_kernel_t *kernel;
    const char *name;
    uint32_t words; /* int32 words before the arrays' pointers (the whole struct when ARR_NONE) */
    int arrays;
} aot_kernel_t;

#define WIN_WORDS ((uint32_t)(sizeof(tfl_ref_window_t) / 4))
#define BCAST_WORDS ((uint32_t)(sizeof(tfl_bcast_t) / 4))

/* The kernels the AOT runtime supports and the shape of their prepared data. */
static const aot_kernel_t table[] = {
    {&tfl_ref_conv_2d, "tfl_ref_conv_2d", WIN_WORDS, ARR_OUT_CHANNELS},
    {&tfl_ref_depthwise_conv_2d, "tfl_ref_depthwise_conv_2d", WIN_WORDS + 1, ARR_OUT_CHANNELS},
    {&tfl_ref_fully_connected, "tfl_ref_fully_connected", 6, ARR_FILTER_SCALES},
    {&tfl_ref_average_pool_2d, "tfl_ref_average_pool_2d", 8, ARR_NONE},
    {&tfl_ref_max_pool_2d, "tfl_ref_max_pool_2d", 8, ARR_NONE},
    {&tfl_ref_add, "tfl_ref_add", 12 + BCAST_WORDS, ARR_NONE},
    {&tfl_ref_mul, "tfl_ref_mul", 7 + BCAST_WORDS, ARR_NONE},
    {&tfl_ref_softmax, "tfl_ref_softmax", 3, ARR_NONE},
    {&tfl_ref_quantize, "tfl_ref_quantize", 2, ARR_NONE},
    {&tfl_ref_dequantize, "tfl_ref_dequantize", 0, ARR_NONE},
    {&tfl_ref_reshape, "tfl_ref_reshape", 0, ARR_NONE},
    {&tfl_ref_concatenation, "tfl_ref_concatenation", 2, ARR_NONE},
    {&tfl_ref_pad, "tfl_ref_pad", 3 * TFL_MAX_DIMS + 2, ARR_NONE},
    {&tfl_ref_mean, "tfl_ref_mean", 3 + 2 * TFL_MAX_DIMS + 1, ARR_NONE},
    {&tfl_ref_relu, "tfl_ref_relu", 7, ARR_NONE}, /* six int32 and two uint8 fields, padded to 28 bytes */
    {&tfl_ref_relu6, "tfl_ref_relu6", 7, ARR_NONE},
};
#define NKERNELS (sizeof(table) / sizeof(table[0]))

static const aot_kernel_t *find(const tfl_kernel_t *k)
{
    uint32_t i;
    for (i = 0; i < NKERNELS; i++)
        if (table[i].kernel == k)
            return &table[i];
    return 0;
}

static uint32_t align8(uint32_t v) { return (v + 7u) & ~7u; }

static void consider(uintptr_t *low, const void *p)
{
    if (p != 0 && (uintptr_t)p < *low)
        *low = (uintptr_t)p;
}

int main(void)
{
    static const tfl_kernel_t *kernels[NKERNELS];
    tfl_resolver_t resolver = {kernels, NKERNELS};
    const uint32_t arena_size = 64u << 20;
    uint8_t *model, *arena;
    size_t len = 0, cap = 1 << 20;
    uintptr_t boundary;
    tfl_interp_t ip;
    tfl_status_t s;
    uint32_t i, k;

    for (i = 0; i < NKERNELS; i++)
        kernels[i] = table[i].kernel;
    model = (uint8_t *)aligned_alloc(16, cap);
    for (;;) {
        size_t got;
        if (model == 0)
            return 2;
        got = fread(model + len, 1, cap - len, stdin);
        len += got;
        if (got == 0)
            break;
        if (len == cap) {
            uint8_t *bigger = (uint8_t *)aligned_alloc(16, cap * 2);
            if (bigger != 0)
                memcpy(bigger, model, len);
            free(model);
            model = bigger;
            cap *= 2;
        }
    }
    arena = (uint8_t *)aligned_alloc(16, arena_size);
    if (arena == 0)
        return 2;
    memset(arena, 0, arena_size);
    s = tfl_init(&ip, model, (uint32_t)len, &resolver, arena, arena_size);
    if (s != TFL_OK) {
        printf("error %d %d %d %d\n", (int)s, (int)ip.error.op_index, (int)ip.error.builtin_code,
               (int)ip.error.tensor_index);
        return 0;
    }
    printf("plan %u %u %u %u %u\n", ip.plan_bytes, ip.ntensors, ip.nnodes, ip.ninputs, ip.noutputs);
    for (i = 0; i < ip.ninputs; i++)
        printf("io in %d\n", (int)ip.inputs[i]);
    for (i = 0; i < ip.noutputs; i++)
        printf("io out %d\n", (int)ip.outputs[i]);
    for (i = 0; i < ip.ntensors; i++) {
        const tfl_tensor_t *t = &ip.tensors[i];
        int planned = t->data != 0 && !t->is_const;
        uint32_t bits;
        memcpy(&bits, &t->scale, 4);
        printf("tensor %u %d %u %d %ld %u %u %u", i, planned, planned ? t->arena_offset : 0u, t->is_const,
               t->is_const ? (long)((const uint8_t *)t->data - model) : -1L, t->bytes, t->type, t->ndim);
        for (k = 0; k < TFL_MAX_DIMS; k++)
            printf(" %d", (int)t->dims[k]);
        printf(" %u %d %d\n", bits, (int)t->zero_point, t->is_variable);
    }
    /* the lowest metadata allocation: kernel data lies below it, node by node */
    boundary = (uintptr_t)(ip.arena + ip.arena_size);
    consider(&boundary, ip.tensors);
    consider(&boundary, ip.nodes);
    consider(&boundary, ip.inputs);
    consider(&boundary, ip.outputs);
    for (i = 0; i < ip.nnodes; i++) {
        consider(&boundary, ip.nodes[i].inputs);
        consider(&boundary, ip.nodes[i].outputs);
    }
    for (i = 0; i < ip.nnodes; i++) {
        const tfl_node_t *n = &ip.nodes[i];
        const aot_kernel_t *a = find(n->kernel);
        uint32_t count = 0, host_size, slot;
        const uint32_t *w = (const uint32_t *)n->data;
        if (a == 0) { /* prepare picked a variant (e.g. int16) the AOT runtime lacks */
            printf("error variant %u %d -1\n", i, (int)n->builtin_code);
            return 0;
        }
        if (a->arrays == ARR_OUT_CHANNELS)
            count = (uint32_t)tfl_node_output(&ip, n, 0)->dims[3];
        else if (a->arrays == ARR_FILTER_SCALES)
            count = tfl_node_input(&ip, n, 1)->nscales;
        if (n->data != 0) {
            host_size = a->arrays ? align8(4 * a->words) + 2 * (uint32_t)sizeof(void *) + 5 * count : 4 * a->words;
            slot = (uint32_t)(boundary - (uintptr_t)n->data);
            if (align8(host_size) != slot) {
                printf("error layout %u %d %u\n", i, (int)n->builtin_code, slot);
                return 0;
            }
            boundary = (uintptr_t)n->data;
        }
        printf("node %u %s %d %u %u", i, a->name, (int)n->builtin_code, n->n_inputs, n->n_outputs);
        for (k = 0; k < n->n_inputs; k++)
            printf(" %d", (int)n->inputs[k]);
        for (k = 0; k < n->n_outputs; k++)
            printf(" %d", (int)n->outputs[k]);
        printf(" / %u", n->data ? a->words : 0u);
        for (k = 0; n->data && k < a->words; k++)
            printf(" %u", w[k]);
        if (n->data && a->arrays) {
            const int32_t *mult = *(int32_t *const *)((const uint8_t *)n->data + align8(4 * a->words));
            const int8_t *shift = *(int8_t *const *)((const uint8_t *)n->data + align8(4 * a->words) + sizeof(void *));
            if ((const uint8_t *)mult != (const uint8_t *)n->data + align8(4 * a->words) + 2 * sizeof(void *) ||
                (const uint8_t *)shift != (const uint8_t *)(mult + count)) {
                printf("\nerror layout %u %d 0\n", i, (int)n->builtin_code);
                return 0;
            }
            printf(" / %u", count);
            for (k = 0; k < count; k++)
                printf(" %d", (int)mult[k]);
            printf(" / %u", count);
            for (k = 0; k < count; k++)
                printf(" %d", (int)shift[k]);
        } else {
            printf(" / 0 / 0");
        }
        printf("\n");
    }
    return 0;
}
