/*
 * Host harness: the runtime compiled for the build machine, driven from Python (ctypes)
 * or from the command line (host/main.c).  Registers every reference kernel; with
 * TFL_HOST_OPTIMIZED the optimized kernels (kernels/optimized/) come first, so they take the ops
 * they have (the resolver picks the first kernel for an op) and the reference kernels the rest.
 */
#include <string.h>

#include "host_api.h"
#include "ref_kernels.h"

#ifdef TFL_HOST_OPTIMIZED
extern const tfl_kernel_t tfl_opt_conv_2d, tfl_opt_depthwise_conv_2d, tfl_opt_fully_connected;
extern const tfl_kernel_t tfl_opt_average_pool_2d, tfl_opt_max_pool_2d, tfl_opt_add, tfl_opt_mul, tfl_opt_softmax;
#define TFL_HOST_OPT_KERNELS &tfl_opt_conv_2d, &tfl_opt_depthwise_conv_2d, &tfl_opt_fully_connected, \
    &tfl_opt_average_pool_2d, &tfl_opt_max_pool_2d, &tfl_opt_add, &tfl_opt_mul, &tfl_opt_softmax,
#else
#define TFL_HOST_OPT_KERNELS
#endif

static const tfl_kernel_t *const all_kernels[] = {
    TFL_HOST_OPT_KERNELS
    &tfl_ref_conv_2d, &tfl_ref_depthwise_conv_2d, &tfl_ref_fully_connected, &tfl_ref_average_pool_2d,
    &tfl_ref_max_pool_2d, &tfl_ref_add, &tfl_ref_mul, &tfl_ref_reshape, &tfl_ref_softmax,
    &tfl_ref_mean, &tfl_ref_pad, &tfl_ref_concatenation, &tfl_ref_quantize, &tfl_ref_dequantize,
    &tfl_ref_logistic, &tfl_ref_svdf,
    &tfl_ref_unidirectional_sequence_lstm,
    &tfl_ref_relu, &tfl_ref_relu6, &tfl_ref_relu_n1_to_1, &tfl_ref_tanh, &tfl_ref_sum, &tfl_ref_reduce_max,
    &tfl_ref_reduce_min, &tfl_ref_arg_max, &tfl_ref_arg_min, &tfl_ref_log_softmax, &tfl_ref_l2_normalization,
    &tfl_ref_squeeze, &tfl_ref_expand_dims, &tfl_ref_shape, &tfl_ref_fill,
    &tfl_ref_zeros_like, &tfl_ref_transpose, &tfl_ref_depth_to_space, &tfl_ref_space_to_depth,
    &tfl_ref_space_to_batch_nd, &tfl_ref_batch_to_space_nd, &tfl_ref_split, &tfl_ref_split_v,
    &tfl_ref_pack, &tfl_ref_unpack, &tfl_ref_gather, &tfl_ref_gather_nd,
    &tfl_ref_resize_nearest_neighbor, &tfl_ref_resize_bilinear, &tfl_ref_equal, &tfl_ref_not_equal,
    &tfl_ref_less, &tfl_ref_less_equal, &tfl_ref_greater, &tfl_ref_greater_equal,
    &tfl_ref_logical_and, &tfl_ref_logical_or, &tfl_ref_logical_not, &tfl_ref_select_v2,
    &tfl_ref_cast, &tfl_ref_abs, &tfl_ref_neg,
    &tfl_ref_transpose_conv, &tfl_ref_batch_matmul,
    &tfl_ref_sub, &tfl_ref_leaky_relu, &tfl_ref_padv2, &tfl_ref_strided_slice,
    &tfl_ref_maximum, &tfl_ref_minimum, &tfl_ref_hard_swish, &tfl_ref_slice,
    &tfl_ref_squared_difference, &tfl_ref_prelu, &tfl_ref_mirror_pad,
};

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

#define N_KERNELS (sizeof(all_kernels) / sizeof(all_kernels[0]))

int tfl_host_run_ops(const uint8_t *model, uint32_t model_len, uint8_t *arena, uint32_t arena_size,
                     const void *const *inputs, const uint32_t *input_bytes, uint32_t ninputs, void *const *outputs,
                     uint32_t invocations, tfl_host_info_t *info, const int32_t *only_ops, uint32_t n_only)
{
    const tfl_kernel_t *chosen[N_KERNELS];
    tfl_resolver_t resolver;
    tfl_interp_t ip;
    tfl_status_t s;
    uint32_t i, r, k;

    resolver.kernels = all_kernels;
    resolver.count = N_KERNELS;
    if (only_ops != 0) { /* register just the listed builtin codes */
        resolver.count = 0;
        for (k = 0; k < N_KERNELS; k++)
            for (i = 0; i < n_only; i++)
                if (all_kernels[k]->builtin_code == only_ops[i]) {
                    chosen[resolver.count++] = all_kernels[k];
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
    const tfl_resolver_t resolver = {all_kernels, N_KERNELS};
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
