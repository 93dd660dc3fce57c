/* ARM semihosting calls (BKPT 0xAB), usable from any port. */
#ifndef TANDEM_HAL_SEMIHOST_H
#define TANDEM_HAL_SEMIHOST_H

#include <stdint.h>

static inline uint32_t semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

#define SEMIHOST_SYS_WRITEC 0x03u
#define SEMIHOST_SYS_WRITE0 0x04u
#define SEMIHOST_SYS_READC 0x07u
#define SEMIHOST_SYS_EXIT 0x18u
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define SEMIHOST_ADP_APPLICATION_EXIT 0x20026u

static inline void semihost_exit(int code) __attribute__((noreturn));
static inline void semihost_exit(int code)
{
    uint32_t block[2] = {SEMIHOST_ADP_APPLICATION_EXIT, (uint32_t)code};
    semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}

#endif
