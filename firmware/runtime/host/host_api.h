/* Host harness API (see host_api.c). */
#ifndef TFL_HOST_API_H
#define TFL_HOST_API_H

#include "tfl/tfl.h"

#define TFL_HOST_MAX_IO 8

typedef struct {
    uint32_t ninputs, noutputs;
    uint32_t input_bytes[TFL_HOST_MAX_IO];
    int32_t input_type[TFL_HOST_MAX_IO];
    uint32_t output_bytes[TFL_HOST_MAX_IO];
    int32_t output_type[TFL_HOST_MAX_IO];
    uint32_t output_ndim[TFL_HOST_MAX_IO];
    int32_t output_dims[TFL_HOST_MAX_IO][TFL_MAX_DIMS];
    uint32_t arena_used;
    tfl_error_t error;
} tfl_host_info_t;

/* Init on the arena, then (invocations > 0) set the inputs and invoke that many times and
   copy the outputs out.  Returns the tfl_status_t; info says sizes and the error. */
int tfl_host_run(const uint8_t *model, uint32_t model_len, uint8_t *arena, uint32_t arena_size,
                 const void *const *inputs, const uint32_t *input_bytes, uint32_t ninputs, void *const *outputs,
                 uint32_t invocations, tfl_host_info_t *info);

/* Same, registering only the kernels whose builtin codes are listed (all when NULL). */
int tfl_host_run_ops(const uint8_t *model, uint32_t model_len, uint8_t *arena, uint32_t arena_size,
                     const void *const *inputs, const uint32_t *input_bytes, uint32_t ninputs, void *const *outputs,
                     uint32_t invocations, tfl_host_info_t *info, const int32_t *only_ops, uint32_t n_only);

typedef struct {
    int32_t planned; /* placed in the arena's activation area */
    uint32_t offset; /* from the (aligned) arena start */
    uint32_t bytes;
    int32_t first_op, last_op;
} tfl_host_tensor_plan_t;

/* Init and report where the planner put every tensor. */
int tfl_host_plan(const uint8_t *model, uint32_t model_len, uint8_t *arena, uint32_t arena_size,
                  tfl_host_tensor_plan_t *out, uint32_t max, uint32_t *count, uint32_t *plan_bytes);

#endif
