/* Included ahead of every Dhrystone source (benchmarks/fidelity.py's wrappers): public
 * Dhrystone 2.1 copies declare the clock themselves, K&R style (dhry_1.c: "extern int times ();"
 * under TIMES), which conflicts with newlib's clock_t times(struct tms *). newlib's header is
 * read first, under its own name; the benchmark's declaration and calls then name
 * tandem_dhry_times (dhry_port.c), so both declarations stand. */
#ifndef TANDEM_DHRY_COMPAT_H
#define TANDEM_DHRY_COMPAT_H
#include <sys/types.h>
#include <sys/times.h>
#define times tandem_dhry_times
int tandem_dhry_times();
#endif
