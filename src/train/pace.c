/* pace.c — whether the other cores help, measured while training.
 *
 * By default a run uses every core.  On a machine shared with other work
 * (a busy build server, a virtual machine whose cores the host gives to
 * others) a second thread can cost more than it brings: every step hands
 * work to it and waits, and a thread that is not running makes the step
 * wait for it.  Measured here on a 2-core virtual machine while the host
 * was busy: the 784-16-16-10 benchmark network took 0.245 s for five
 * epochs on both cores and 0.145 s on one.
 *
 * Since a run's results are the same bits on any number of threads, the
 * loop may switch at any step without changing what it computes.  So it
 * alternates (after a first window that warms up): a short window on
 * the pool, a short window alone, then the faster of the two for a
 * stretch forty times as long as both windows (eight when alone won),
 * and measures again.  The pool keeps its place unless working alone was
 * clearly faster (by a tenth), so that noise does not flip a machine
 * where both are alike.
 */
#include "train/train.h"
#include "train/pace.h"


enum { EXPLOIT, PROBE_POOL, PROBE_SOLO, WARM };

#define PROBE_S    0.02    /* a probe window: at least this long */
#define PROBE_MIN  3       /* and at least this many steps */
#define STRETCH    40.0    /* the pool, once chosen, holds this many
                              windows' time */
#define STRETCH_SOLO 8.0   /* working alone, this many: a probe of the
                              pool spoilt by a hiccup of the other core
                              costs W2 half its speed until the next */
#define MARGIN     1.1     /* alone must be this much faster to win */
#define STEP_LONG  0.002   /* steps longer than this: no pacing */

static void start(dn_pace *p, int phase, dn_ws *ws)
{
    p->phase = phase;
    p->solo = phase == PROBE_SOLO ||
              (phase == EXPLOIT && p->rate[1] > MARGIN * p->rate[0]);
    dn_ws_solo(ws, p->solo);
    p->rows = 0;
    p->steps = 0;
    p->t0 = dn_now();
}

void dn_pace_init(dn_pace *p, dn_ws *ws, int on)
{
    p->on = on && ws->all && dn_pool_threads(ws->all) > 1;
    p->rate[0] = p->rate[1] = 0;
    p->until = 0;
    /* The first window warms up (first touches of the buffers, cold
     * caches) and is not counted. */
    if (p->on) start(p, WARM, ws);
}

void dn_pace_step(dn_pace *p, dn_ws *ws, int rows)
{
    if (!p->on) return;
    p->rows += rows;
    p->steps++;
    const double t = dn_now(), el = t - p->t0;
    if (p->phase == EXPLOIT) {
        if (t >= p->until) start(p, PROBE_POOL, ws);
        return;
    }
    if (el < PROBE_S || p->steps < PROBE_MIN) return;
    if (p->phase == WARM) {
        start(p, PROBE_POOL, ws);
        return;
    }
    p->rate[p->phase == PROBE_SOLO] = (double)p->rows / el;
    if (p->phase == PROBE_POOL) {
        if (el / p->steps > STEP_LONG) {
            /* Steps this long are big products, which the pool splits
             * well even on a shared core (the caller takes the tasks a
             * slow worker leaves): measured with a busy loop on the
             * other core, W2's 7 ms steps took as long on the pool as
             * alone, and a probe alone cost 1% of a quiet run. */
            p->on = 0;
            return;
        }
        p->window = el;
        start(p, PROBE_SOLO, ws);
        return;
    }
    p->window += el;
    start(p, EXPLOIT, ws);
    p->until = t + (p->solo ? STRETCH_SOLO : STRETCH) * p->window;
}
