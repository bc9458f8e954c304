/* startup.c — the least a Cortex-M4F needs before main: a vector table
 * (initial stack pointer and reset handler; every fault ends the run), a
 * reset handler that turns the FPU on (the hard-float code would fault
 * on its first float instruction otherwise) and lays out RAM (.data
 * copied from flash, .bss zeroed), and the two semihosting calls the
 * test uses: write a string on QEMU's console, and exit with a status. */
#include <stdint.h>

extern uint32_t _data_start, _data_end, _data_load, _bss_start, _bss_end,
                _stack_top;
int main(void);

/* Semihosting: operation in r0, argument in r1, then BKPT 0xAB; QEMU
 * (-semihosting) carries it out on the host. */
static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void mcu_write(const char *s) { semihost(0x04, s); }          /* SYS_WRITE0 */

void mcu_exit(int status)
{
    /* SYS_EXIT: on 32-bit ARM r1 is the reason itself.  QEMU exits with
     * status 0 for ADP_Stopped_ApplicationExit, 1 for any other. */
    semihost(0x18, (const void *)(uintptr_t)(status ? 0x20024 : 0x20026));
    for (;;) {}
}

static void fault(void)
{
    mcu_write("fault\n");
    mcu_exit(1);
}

void reset_handler(void)
{
    /* CPACR: full access to coprocessors 10 and 11, the FPU */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb");
    for (uint32_t *s = &_data_load, *d = &_data_start; d < &_data_end; )
        *d++ = *s++;
    for (uint32_t *d = &_bss_start; d < &_bss_end; ) *d++ = 0;
    mcu_exit(main());
}

__attribute__((section(".vectors"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))&_stack_top, reset_handler,
    fault, fault, fault, fault, fault,     /* NMI, HardFault, MemManage, ... */
};
