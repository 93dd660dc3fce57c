/* An SVC handler and a PendSV raised from it: exception entry, return and tail-chaining. */
#include <stdint.h>
#include <stdio.h>

static volatile uint32_t svc_calls, pendsv_calls;

void SVC_Handler(void)
{
    svc_calls++;
    *(volatile uint32_t *)0xE000ED04u = 1u << 28; /* ICSR.PENDSVSET */
}

void PendSV_Handler(void) { pendsv_calls += 10; }

int main(void)
{
    register uint32_t r4 __asm__("r4") = 0xCAFEu;
    for (int i = 0; i < 3; i++) {
        __asm__ volatile("svc #0" : : "r"(r4) : "memory");
    }
    printf("svc %lu pendsv %lu r4 %lx\n", (unsigned long)svc_calls, (unsigned long)pendsv_calls, (unsigned long)r4);
    return 0;
}
