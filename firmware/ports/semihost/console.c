/* Port: console and exit through semihosting, for boards with no modelled UART (and QEMU). */
#include "hal/console.h"
#include "hal/semihost.h"
#include "hal/system.h"

void hal_console_init(void) {}

void hal_console_putc(char c) { semihost_call(SEMIHOST_SYS_WRITEC, &c); }

int hal_console_getc(void) { return (int)semihost_call(SEMIHOST_SYS_READC, 0); }

void hal_exit(int code) { semihost_exit(code); }
