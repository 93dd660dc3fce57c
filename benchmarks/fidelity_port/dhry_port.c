/* tandem's Dhrystone port (tandem's own file; Dhrystone itself is not shipped with tandem).
 *
 * Dhrystone 2.1 times itself with times()/time(); benchmarks/fidelity.py measures the
 * cycles between successive calls of Proc_5 (one call per run) instead, so these only have
 * to link and return something: the DWT cycle count. */
#include <stdint.h>
#include <sys/times.h>
#include <sys/time.h>

#include "hal/cycles.h"

clock_t _times(struct tms *buf)
{
    static int started;
    if (!started) {
        hal_cycles_init();
        started = 1;
    }
    if (buf != 0) {
        buf->tms_utime = hal_cycles();
        buf->tms_stime = 0;
        buf->tms_cutime = 0;
        buf->tms_cstime = 0;
    }
    return hal_cycles();
}

int _gettimeofday(struct timeval *tv, void *tz)
{
    (void)tz;
    if (tv != 0) {
        tv->tv_sec = 0;
        tv->tv_usec = 0;
    }
    return 0;
}
