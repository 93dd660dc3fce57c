/* RESHAPE: the output shape comes from the model; the data is copied unchanged. */
#include <string.h>

#include "tfl/kernel.h"
#include "ref_kernels.h"

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    if (in == 0 || out == 0)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, -1);
    if (in->type != out->type)
        return tfl_fail(ip, TFL_ERR_UNSUPPORTED_TYPE, tfl_tensor_index(ip, out));
    if (in->bytes != out->bytes)
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *in = tfl_node_input(ip, n, 0), *out = tfl_node_output(ip, n, 0);
    if (out->data != in->data)
        memmove(out->data, in->data, in->bytes);
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_reshape = {TFL_OP_RESHAPE, prepare, eval};
TFL_REF_EVAL(tfl_ref_reshape, eval)
