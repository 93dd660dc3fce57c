/* Where an accelerated kernel sends a layer its hardware will not take: the optimized kernel
 * where the image links it (the "optimized" op set with the RTL blocks' kernels over it), else
 * the reference kernel. Shared by the conv engine's kernels and vmac_fc_kernel.c. */
#ifndef TANDEM_CPU_FALLBACK_H
#define TANDEM_CPU_FALLBACK_H

#include "tfl/kernel.h"

/* The optimized kernels, or 0 where the image does not link them (weak references: nothing is
 * pulled in). */
extern const tfl_kernel_t tfl_opt_conv_2d __attribute__((weak));
extern const tfl_kernel_t tfl_opt_depthwise_conv_2d __attribute__((weak));
extern const tfl_kernel_t tfl_opt_fully_connected __attribute__((weak));

/* A layer prepare finds the hardware will not take goes to the CPU for good: the optimized kernel
 * `opt` where the image links it, prepared afresh (the reference data already prepared stays in
 * the arena, a few bytes per channel), else `ref` on the reference data `ref_data`. (A layer
 * refused only when it runs falls back to the reference kernel: the node has its data.) */
static inline tfl_status_t accel_to_cpu(tfl_interp_t *ip, tfl_node_t *n, const tfl_kernel_t *opt,
                                        const tfl_kernel_t *ref, void *ref_data)
{
    n->data = ref_data;
    if (opt == 0) {
        n->kernel = ref;
        return TFL_OK;
    }
    n->kernel = opt;
    return opt->prepare(ip, n);
}

#endif
