/* tandem's CoreMark port (tandem's own file; CoreMark itself is not shipped with tandem).
 *
 * Used by benchmarks/fidelity.py together with the user's CoreMark checkout: timing with
 * the DWT cycle counter (hal/cycles.h), output through tandem's printf, seeds from
 * volatiles (SEED_VOLATILE) so the compiler cannot fold them, data in a static block. */
#ifndef TANDEM_CORE_PORTME_H
#define TANDEM_CORE_PORTME_H

#include <stddef.h>
#include <stdint.h>

#define HAS_FLOAT 0
#define HAS_TIME_H 0
#define USE_CLOCK 0
#define HAS_STDIO 1
#define HAS_PRINTF 1
#ifndef COMPILER_VERSION
#define COMPILER_VERSION "GCC " __VERSION__
#endif
#ifndef COMPILER_FLAGS
#define COMPILER_FLAGS "(see benchmarks/fidelity.py)"
#endif
#define MEM_LOCATION "static (tandem board SRAM)"

typedef uint32_t CORE_TICKS;
typedef int16_t ee_s16;
typedef uint16_t ee_u16;
typedef int32_t ee_s32;
typedef double ee_f32;
typedef uint8_t ee_u8;
typedef uint32_t ee_u32;
typedef uint32_t ee_ptr_int;
typedef size_t ee_size_t;
#define NULL_PTR ((void *)0)
/* Older CoreMark sources size list items with POINTER_SPACE; 8 matches the current rule. */
#define POINTER_SPACE 8
#define align_mem(x) (void *)(4 + (((ee_ptr_int)(x) - 1) & ~3))
#define CORETIMETYPE ee_u32

#define SEED_METHOD SEED_VOLATILE
#define MEM_METHOD MEM_STATIC
#define MULTITHREAD 1
#define USE_PTHREAD 0
#define USE_FORK 0
#define USE_SOCKET 0
#define MAIN_HAS_NOARGC 1
#define MAIN_HAS_NORETURN 0

extern ee_u32 default_num_contexts;

typedef struct CORE_PORTABLE_S {
    ee_u8 portable_id;
} core_portable;

void portable_init(core_portable *p, int *argc, char *argv[]);
void portable_fini(core_portable *p);

#if !defined(PROFILE_RUN) && !defined(PERFORMANCE_RUN) && !defined(VALIDATION_RUN)
#define PERFORMANCE_RUN 1
#endif

#endif
