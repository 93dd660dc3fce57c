/* MAXIMUM and MINIMUM, int8 and int16 with broadcasting: the larger (smaller) raw value, as TFLM
 * does (no rescaling; the converter gives inputs and output one quantization). */
#include "broadcast.h"
#include "elementwise.h"
#include "ref_kernels.h"

static tfl_status_t prepare(tfl_interp_t *ip, tfl_node_t *n)
{
    tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1), *out = tfl_node_output(ip, n, 0);
    tfl_bcast_t *d;
    tfl_status_t s;
    if ((s = tfl_ref_check_binary(ip, a, b, out)) != TFL_OK)
        return s;
    d = (tfl_bcast_t *)tfl_alloc_persistent(ip, sizeof(tfl_bcast_t));
    if (d == 0)
        return TFL_ERR_ARENA_TOO_SMALL;
    if (tfl_bcast_init(d, a, b, out))
        return tfl_fail(ip, TFL_ERR_BAD_SHAPE, tfl_tensor_index(ip, out));
    n->data = d;
    return TFL_OK;
}

static tfl_status_t eval(tfl_interp_t *ip, tfl_node_t *n)
{
    const tfl_tensor_t *a = tfl_node_input(ip, n, 0), *b = tfl_node_input(ip, n, 1);
    const tfl_tensor_t *out = tfl_node_output(ip, n, 0);
    const tfl_bcast_t *d = (const tfl_bcast_t *)n->data;
    const uint8_t type = out->type;
    const int is_max = n->builtin_code == TFL_OP_MAXIMUM;
    int32_t idx[TFL_MAX_DIMS] = {0};
    uint32_t i, total = tfl_num_elements(out);
    for (i = 0; i < total; i++) {
        int32_t o1, o2, x, y;
        tfl_bcast_offsets(d, idx, &o1, &o2);
        x = tfl_ref_load(a->data, type, (uint32_t)o1);
        y = tfl_ref_load(b->data, type, (uint32_t)o2);
        tfl_ref_store(out->data, type, i, is_max ? (x > y ? x : y) : (x < y ? x : y));
        tfl_bcast_next(d, idx);
    }
    (void)ip;
    return TFL_OK;
}

const tfl_kernel_t tfl_ref_maximum = {TFL_OP_MAXIMUM, prepare, eval};
const tfl_kernel_t tfl_ref_minimum = {TFL_OP_MINIMUM, prepare, eval};
