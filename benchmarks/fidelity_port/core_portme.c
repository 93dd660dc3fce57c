/* tandem's CoreMark port (tandem's own file): see core_portme.h. */
#include "coremark.h"
#include "board.h"
#include "hal/cycles.h"

#ifndef ITERATIONS
#define ITERATIONS 10
#endif

#if VALIDATION_RUN
volatile ee_s32 seed1_volatile = 0x3415;
volatile ee_s32 seed2_volatile = 0x3415;
#else
volatile ee_s32 seed1_volatile = 0;
volatile ee_s32 seed2_volatile = 0;
#endif
volatile ee_s32 seed3_volatile = 0x66;
volatile ee_s32 seed4_volatile = ITERATIONS;
volatile ee_s32 seed5_volatile = 0;

ee_u32 default_num_contexts = 1;

static CORE_TICKS start_ticks;
static CORE_TICKS stop_ticks;

void start_time(void) { start_ticks = hal_cycles(); }
void stop_time(void) { stop_ticks = hal_cycles(); }
CORE_TICKS get_time(void) { return stop_ticks - start_ticks; }
secs_ret time_in_secs(CORE_TICKS ticks) { return ticks / TANDEM_CPU_HZ; }

void portable_init(core_portable *p, int *argc, char *argv[])
{
    (void)argc;
    (void)argv;
    hal_cycles_init();
    p->portable_id = 1;
}

void portable_fini(core_portable *p) { p->portable_id = 0; }
