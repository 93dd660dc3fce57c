/* Porting point: the board console. Each port (ports/<target>/console.c) implements it. */
#ifndef TANDEM_HAL_CONSOLE_H
#define TANDEM_HAL_CONSOLE_H

void hal_console_init(void);
void hal_console_putc(char c);
/* Returns the next input byte, or -1 when there is none. */
int hal_console_getc(void);

#endif
