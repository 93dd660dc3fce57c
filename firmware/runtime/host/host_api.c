/*
 * Host harness: the runtime compiled for the build machine, driven from Python (ctypes)
 * or from the command line (host/main.c).  Registers every reference kernel (the firmware's
 * "reference" op set, app/op_set_reference.c).
 */
#include <string.h>

#include "host_api.h"
#include "ref_kernels.h"

/* every reference kernel: the firmware's "reference" op set (app/op_set_reference.c), the one list */
extern const tfl_resolver_t tandem_op_set;

static void describe(tfl_interp_t *ip, tfl_host_info_t *info)
{
    uint32_t i, k;
    info->ninputs = ip->ninputs;
    info->noutputs = ip->noutputs;
    for (i = 0; i < ip->ninputs && i < TFL_HOST_MAX_IO; i++) {
        const tfl_tensor_t *t = &ip->tensors[ip->inputs[i]];
        info->input_bytes[i] = t->bytes;
        info->input_type[i] = t->type;
    }
    for (i = 0; i < ip->noutputs && i < TFL_HOST_MAX_IO; i++) {
        const tfl_tensor_t *t = &ip->tensors[ip->outputs[i]];
        info->output_bytes[i] = t->bytes;
        info->output_type[i] = t->type;
        info->output_ndim[i] = t->ndim;
        for (k = 0; k < t->ndim; k++)
            info->output_dims[i][k] = t->dims[k];
    }
}

#define N_KERNELS (tandem_op_set.count)
#define MAX_CHOSEN 256u /* more than the kernels there are; only_ops lists fewer */

int tfl_host_run_ops(const uint8_t *model, uint32_t model_len, uint8_t *arena, uint32_t arena_size,
                     const void *const *inputs, const uint32_t *input_bytes, uint32_t ninputs, void *const *outputs,
                     uint32_t invocations, tfl_host_info_t *info, const int32_t *only_ops, uint32_t n_only)
{
    const tfl_kernel_t *chosen[MAX_CHOSEN];
    tfl_resolver_t resolver;
    tfl_interp_t ip;
    tfl_status_t s;
    uint32_t i, r, k;

    resolver.kernels = tandem_op_set.kernels;
    resolver.count = N_KERNELS;
    if (only_ops != 0) { /* register just the listed builtin codes */
        resolver.count = 0;
        for (k = 0; k < N_KERNELS && resolver.count < MAX_CHOSEN; k++)
            for (i = 0; i < n_only; i++)
                if (tandem_op_set.kernels[k]->builtin_code == only_ops[i]) {
                    chosen[resolver.count++] = tandem_op_set.kernels[k];
                    break;
                }
        resolver.kernels = chosen;
    }
    memset(info, 0, sizeof(*info));
    s = tfl_init(&ip, model, model_len, &resolver, arena, arena_size);
    info->arena_used = tfl_arena_used(&ip);
    info->error = ip.error;
    if (s != TFL_OK)
        return (int)s;
    describe(&ip, info);
    if (invocations == 0)
        return 0;
    if (ninputs != ip.ninputs) {
        info->error.code = TFL_ERR_INPUT_SHAPE;
        info->error.detail = ninputs;
        return TFL_ERR_INPUT_SHAPE;
    }
    for (r = 0; r < invocations; r++) {
        for (i = 0; i < ninputs; i++) {
            if ((s = tfl_set_input(&ip, i, inputs[i], input_bytes[i])) != TFL_OK) {
                info->error = ip.error;
                return (int)s;
            }
        }
        if ((s = tfl_invoke(&ip)) != TFL_OK) {
            info->error = ip.error;
            return (int)s;
        }
    }
    for (i = 0; i < ip.noutputs && i < TFL_HOST_MAX_IO; i++)
        if (outputs[i])
            memcpy(outputs[i], tfl_output(&ip, i)->data, tfl_output(&ip, i)->bytes);
    info->error = ip.error;
    return 0;
}

int tfl_host_run(const uint8_t *model, uint32_t model_len, uint8_t *arena, uint32_t arena_size,
                 const void *const *inputs, const uint32_t *input_bytes, uint32_t ninputs, void *const *outputs,
                 uint32_t invocations, tfl_host_info_t *info)
{
    return tfl_host_run_ops(model, model_len, arena, arena_size, inputs, input_bytes, ninputs, outputs,
                            invocations, info, 0, 0);
}

int tfl_host_plan(const uint8_t *model, uint32_t model_len, uint8_t *arena, uint32_t arena_size,
                  tfl_host_tensor_plan_t *out, uint32_t max, uint32_t *count, uint32_t *plan_bytes)
{
    const tfl_resolver_t resolver = tandem_op_set;
    tfl_interp_t ip;
    tfl_status_t s = tfl_init(&ip, model, model_len, &resolver, arena, arena_size);
    uint32_t i;
    *count = 0;
    *plan_bytes = ip.plan_bytes;
    if (s != TFL_OK)
        return (int)s;
    for (i = 0; i < ip.ntensors && i < max; i++) {
        const tfl_tensor_t *t = &ip.tensors[i];
        int in_head = t->data != 0 && (const uint8_t *)t->data >= ip.arena &&
                      (const uint8_t *)t->data < ip.arena + ip.plan_bytes;
        out[i].planned = in_head;
        out[i].offset = in_head ? (uint32_t)((const uint8_t *)t->data - ip.arena) : 0;
        out[i].bytes = t->bytes;
        out[i].first_op = t->first_op;
        out[i].last_op = t->last_op;
    }
    *count = i;
    return 0;
}
