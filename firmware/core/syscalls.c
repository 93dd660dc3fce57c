/* The C library's system calls on top of the HAL console: printf and friends work on every port. */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "hal/console.h"
#include "hal/system.h"

extern uint8_t _end, _heap_limit;
static uint8_t *heap_top = &_end;

int _write(int fd, const char *buf, int len)
{
    (void)fd;
    for (int i = 0; i < len; i++) {
        hal_console_putc(buf[i]);
    }
    return len;
}

int _read(int fd, char *buf, int len)
{
    (void)fd;
    int n = 0;
    while (n < len) {
        int c = hal_console_getc();
        if (c < 0) {
            break;
        }
        buf[n++] = (char)c;
        if (c == '\n') {
            break;
        }
    }
    return n;
}

void *_sbrk(int incr)
{
    if (heap_top + incr > &_heap_limit) {
        errno = ENOMEM;
        return (void *)-1;
    }
    uint8_t *prev = heap_top;
    heap_top += incr;
    return prev;
}

void _exit(int code) { hal_exit(code); }
int _close(int fd) { (void)fd; return -1; }
int _fstat(int fd, struct stat *st) { (void)fd; st->st_mode = S_IFCHR; return 0; }
int _isatty(int fd) { (void)fd; return 1; }
int _lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; return 0; }
int _kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }
int _getpid(void) { return 1; }
