/* pace.h — whether the other cores help (pace.c). */
#ifndef DN_PACE_H
#define DN_PACE_H

#include "descent.h"   /* dn_ws */

typedef struct {
    int    on;            /* adapting at all: a pool and the default threads */
    int    solo;          /* the current mode */
    int    phase;         /* exploiting, or probing the pool or solo */
    int    steps;         /* steps in the current window */
    long   rows;          /* rows in the current window */
    double t0;            /* the window's start */
    double window;        /* the last two probes' length, seconds */
    double until;         /* the end of the current choice */
    double rate[2];       /* rows per second: [0] pool, [1] alone */
} dn_pace;

/* Starts measuring (on: the caller left the thread count to descent). */
void dn_pace_init(dn_pace *p, dn_ws *ws, int on);
/* After each step of `rows` rows: ends a window when its time is up and
 * puts ws on its pool or alone for the next. */
void dn_pace_step(dn_pace *p, dn_ws *ws, int rows);

#endif
