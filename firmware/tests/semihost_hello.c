/* Prints with the semihosting calls directly (SYS_OPEN ":tt", SYS_WRITE, SYS_WRITE0, SYS_WRITEC)
 * and checks SYS_CLOCK and SYS_TICKFREQ. */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "hal/semihost.h"

int main(void)
{
    const char *tt = ":tt";
    uint32_t open_args[3] = {(uint32_t)tt, 4 /* "w" */, 3};
    uint32_t fd = semihost_call(0x01u, open_args);
    const char *msg = "write via SYS_WRITE\n";
    uint32_t write_args[3] = {fd, (uint32_t)msg, (uint32_t)strlen(msg)};
    uint32_t left = semihost_call(0x05u, write_args);
    semihost_call(SEMIHOST_SYS_WRITE0, "write via SYS_WRITE0\n");
    char c = '!';
    semihost_call(SEMIHOST_SYS_WRITEC, &c);
    semihost_call(SEMIHOST_SYS_WRITEC, "\n");
    uint32_t hz = semihost_call(0x31u, 0);
    if (left != 0 || fd == 0xFFFFFFFFu || hz != TANDEM_CPU_HZ) {
        return 1;
    }
    return (int)semihost_call(0x10u, 0); /* SYS_CLOCK: centiseconds so far, 0 this early */
}
