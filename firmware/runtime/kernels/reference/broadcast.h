/* N-d broadcasting of two inputs onto an output shape (NumPy rules, up to TFL_MAX_DIMS). */
#ifndef TFL_REF_BROADCAST_H
#define TFL_REF_BROADCAST_H

#include "tfl/kernel.h"

typedef struct {
    int32_t dims[TFL_MAX_DIMS];   /* output dims, left-padded with 1 */
    int32_t stride1[TFL_MAX_DIMS]; /* element strides of input 1 (0 where broadcast) */
    int32_t stride2[TFL_MAX_DIMS];
} tfl_bcast_t;

/* Fill b; non-zero when the shapes do not broadcast to the output's. */
static inline int tfl_bcast_init(tfl_bcast_t *b, const tfl_tensor_t *a, const tfl_tensor_t *c,
                                 const tfl_tensor_t *out)
{
    int32_t i, sa = 1, sc = 1;
    if (a->ndim > out->ndim || c->ndim > out->ndim)
        return 1;
    for (i = TFL_MAX_DIMS - 1; i >= 0; i--) {
        int32_t k = i - (TFL_MAX_DIMS - out->ndim);
        int32_t od = k >= 0 ? out->dims[k] : 1;
        int32_t ka = i - (TFL_MAX_DIMS - a->ndim), kc = i - (TFL_MAX_DIMS - c->ndim);
        int32_t da = ka >= 0 ? a->dims[ka] : 1, dc = kc >= 0 ? c->dims[kc] : 1;
        if ((da != od && da != 1) || (dc != od && dc != 1) || (od != da && od != dc))
            return 1;
        b->dims[i] = od;
        b->stride1[i] = da == 1 ? 0 : sa;
        b->stride2[i] = dc == 1 ? 0 : sc;
        sa *= da;
        sc *= dc;
    }
    return 0;
}

/* Element offsets into the two inputs for the output index idx. */
static inline void tfl_bcast_offsets(const tfl_bcast_t *b, const int32_t *idx, int32_t *o1, int32_t *o2)
{
    int32_t k, a = 0, c = 0;
    for (k = 0; k < TFL_MAX_DIMS; k++) {
        a += idx[k] * b->stride1[k];
        c += idx[k] * b->stride2[k];
    }
    *o1 = a;
    *o2 = c;
}

/* Advance idx to the next output element (row-major). */
static inline void tfl_bcast_next(const tfl_bcast_t *b, int32_t *idx)
{
    int32_t k;
    for (k = TFL_MAX_DIMS - 1; k >= 0; k--) {
        if (++idx[k] < b->dims[k])
            return;
        idx[k] = 0;
    }
}

#endif
