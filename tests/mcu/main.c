/* main.c — the firmware of the microcontroller test, also built for the
 * host: runs the generated model (included with -include MODEL) on the
 * rows of rows.h and prints, per row, the class and every output's bits
 * in hex, so that host and target can be compared to the bit.  On the
 * Cortex-M4 it also prints SysTick's count around each call (QEMU with
 * -icount shift=0 runs one instruction per nanosecond of virtual time,
 * and SysTick counts the 25 MHz processor clock: one tick per 40
 * instructions). */
#include <stdint.h>
#include <string.h>
#include "rows.h"   /* N_ROWS, N_IN, rows[N_ROWS][N_IN], made by run.sh */

#ifdef __arm__
void mcu_write(const char *s);
#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
#else
#include <stdio.h>
static void mcu_write(const char *s) { fputs(s, stdout); }
#endif

static char *hex(char *p, uint32_t v)
{
    for (int i = 7; i >= 0; i--) *p++ = "0123456789abcdef"[(v >> (4 * i)) & 15];
    return p;
}

static char *dec(char *p, uint32_t v)
{
    char t[12];
    int n = 0;
    do t[n++] = (char)('0' + v % 10); while (v /= 10);
    while (n) *p++ = t[--n];
    return p;
}

int main(void)
{
    static float out[MODEL_N_OUT];
    char line[32 + 9 * MODEL_N_OUT];
#ifdef __arm__
    SYST_RVR = 0xFFFFFF;
    SYST_CVR = 0;
    SYST_CSR = 5;              /* enabled, processor clock, no interrupt */
#endif
    for (int r = 0; r < N_ROWS; r++) {
#ifdef __arm__
        uint32_t t0 = SYST_CVR;
#endif
        int c = MODEL_PREDICT(rows[r], out);
        char *p = line;
#ifdef __arm__
        uint32_t ticks = (t0 - SYST_CVR) & 0xFFFFFF;   /* counts down */
        memcpy(p, "ticks ", 6);
        p = dec(p + 6, ticks);
        *p++ = ' ';
#endif
        p = dec(p, (uint32_t)c);
        for (int k = 0; k < MODEL_N_OUT; k++) {
            uint32_t bits;
            memcpy(&bits, &out[k], 4);
            *p++ = ' ';
            p = hex(p, bits);
        }
        *p++ = '\n';
        *p = 0;
        mcu_write(line);
    }
    return 0;
}
