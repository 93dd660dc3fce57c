/* Semihosting calls with lengths and pointers no buffer has (issue 17): SYS_WRITE and SYS_OPEN
 * asking for 0xFFFFFFF0 bytes, SYS_WRITE0 of an unmapped string, a parameter block in unmapped
 * space. Each must return -1 (errno EFAULT) without the host allocating anything;
 * the program then floods the console (HOSTILE_FLOOD bytes) and exits 0. */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "hal/semihost.h"

#ifndef HOSTILE_FLOOD
#define HOSTILE_FLOOD 0
#endif

static uint32_t errno_now(void) { return semihost_call(0x13u, 0); }

int main(void)
{
    static char small[16] = "0123456789abcdef";
    uint32_t write_args[3] = {2 /* stdout */, (uint32_t)small, 0xFFFFFFF0u};
    if (semihost_call(0x05u, write_args) != 0xFFFFFFFFu || errno_now() != 14)
        return 1;
    uint32_t open_args[3] = {(uint32_t)small, 4, 0xFFFFFFF0u};
    if (semihost_call(0x01u, open_args) != 0xFFFFFFFFu || errno_now() != 14)
        return 2;
    if (semihost_call(SEMIHOST_SYS_WRITE0, (const void *)0x70000000u) != 0xFFFFFFFFu) /* unmapped string */
        return 3;
    if (semihost_call(0x05u, (const void *)0x70000000u) != 0xFFFFFFFFu) /* unmapped block */
        return 4;
#if HOSTILE_FLOOD > 0
    static char line[64];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 2] = '\n';
    uint32_t flood_args[3] = {2, (uint32_t)line, sizeof line - 1};
    for (uint32_t sent = 0; sent < HOSTILE_FLOOD; sent += sizeof line - 1)
        semihost_call(0x05u, flood_args);
#endif
    semihost_call(SEMIHOST_SYS_WRITE0, "survived\n");
    return 0;
}
