/* Reads console input and echoes it upper-cased: exercises UART/semihosting receive. */
#include <stdio.h>

#include "hal/console.h"

int main(void)
{
    int c;
    int n = 0;
    while ((c = hal_console_getc()) >= 0 && c != '\n') {
        if (c >= 'a' && c <= 'z') {
            c -= 32;
        }
        putchar(c);
        n++;
    }
    printf("\n%d\n", n);
    return 0;
}
