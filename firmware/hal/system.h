/* Porting point: leaving the program. Every port implements hal_exit(). */
#ifndef TANDEM_HAL_SYSTEM_H
#define TANDEM_HAL_SYSTEM_H

void hal_exit(int code) __attribute__((noreturn));

#endif
