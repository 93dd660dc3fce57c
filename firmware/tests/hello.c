/* Prints through the board console (UART or semihosting) and exits with 0. */
#include <stdio.h>

int main(void)
{
    printf("Hello from %s!\n", "tandem");
    for (int i = 0; i < 3; i++) {
        printf("line %d\n", i);
    }
    return 0;
}
