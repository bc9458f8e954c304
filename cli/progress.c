/* progress.c — live progress of training on a terminal, plain lines
 * elsewhere (see progress.h). */
#include "progress.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR 20            /* characters of the bar */
#define REDRAW 0.1        /* seconds between redraws of the live line */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void progress_init(progress *p, FILE *out, int epochs, const char *metric,
                   int verbose)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    const char *term = getenv("TERM");
    p->tty = isatty(fileno(out)) && !(term && !strcmp(term, "dumb"));
    p->verbose = verbose;
    p->epochs = epochs;
    p->unit = "epoch";
    p->metric = metric;
    p->t_epoch = now();
}

/* "1:05" or "1:02:05". */
static void clock_str(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0) { snprintf(buf, n, "?"); return; }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* "950", "48.1k", "1.2M". */
static void rate_str(char *buf, size_t n, double r)
{
    if (!isfinite(r)) snprintf(buf, n, "?");
    else if (r >= 1e6) dn_snprintf(buf, n, "%.1fM", r / 1e6);
    else if (r >= 1e4) dn_snprintf(buf, n, "%.1fk", r / 1e3);
    else dn_snprintf(buf, n, "%.0f", r);
}

/* A loss: four decimals ("0.3120") while that is short, four significant
 * digits beyond (%.4f of a diverged 1e44 would be 45 digits). */
static const char *loss_str(char *buf, size_t n, double v)
{
    dn_snprintf(buf, n, fabs(v) < 1e6 || !isfinite(v) ? "%.4f" : "%.4g", v);
    return buf;
}

static int width_of(int n)
{
    int w = 1;
    while (n >= 10) { n /= 10; w++; }
    return w;
}

void progress_batch(progress *p, int epoch, int batch, int n_batches,
                    long rows_done, double loss)
{
    if (!p->tty || n_batches < 1) return;
    double t = now();
    /* Redrawing costs a write to the terminal: ten times a second is
     * smooth enough, and a fast epoch of many small batches stays fast. */
    if (p->live && t - p->t_drawn < REDRAW && batch < n_batches) return;
    double el = t - p->t_epoch, frac = (double)batch / n_batches;
    char bar[BAR + 1], rate[32], e1[32], e2[32], l[32];
    int fill = (int)(frac * BAR);
    for (int i = 0; i < BAR; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[BAR] = 0;
    rate_str(rate, sizeof rate, el > 0 ? rows_done / el : NAN);
    clock_str(e1, sizeof e1, el);
    clock_str(e2, sizeof e2, frac > 0 ? el * (1 - frac) / frac : NAN);
    /* \r returns to the line's start, ESC [ K clears what is left of
     * a longer previous line. */
    dn_fprintf(p->out, "\r%s %*d/%d [%s] %3.0f%%  %s samples/s  %s<%s  loss "
            "%s\033[K", p->unit, width_of(p->epochs), epoch, p->epochs,
            bar, 100 * frac, rate, e1, e2, loss_str(l, sizeof l, loss));
    fflush(p->out);
    p->live = 1;
    p->t_drawn = t;
}

/* " acc  91.2%" or " mae 3.21"; nothing when not measured. */
static void metric_str(const progress *p, char *buf, size_t n, double v)
{
    buf[0] = 0;
    if (!p->metric || !isfinite(v)) return;
    if (!strcmp(p->metric, "accuracy")) dn_snprintf(buf, n, "  acc %5.1f%%", 100 * v);
    else dn_snprintf(buf, n, "  %s %.4g", p->metric, v);
}

void progress_epoch(progress *p, const dn_hist_row *r)
{
    char m1[32], m2[32], l[32];
    metric_str(p, m1, sizeof m1, r->train_metric);
    metric_str(p, m2, sizeof m2, r->val_metric);
    if (p->live) fputs("\r\033[K", p->out);
    dn_fprintf(p->out, "%s %*d/%d  train loss %s%s", p->unit,
            width_of(p->epochs), r->epoch, p->epochs,
            loss_str(l, sizeof l, r->train_loss), m1);
    if (!isnan(r->val_loss))
        dn_fprintf(p->out, "   val loss %s%s", loss_str(l, sizeof l, r->val_loss),
                m2);
    if (strcmp(p->unit, "iter") == 0) {
        /* A solver's line: its own step, the gradient norm, LM's mu. */
        dn_fprintf(p->out, "   |g| %.3g  step %.3g", r->grad_norm, r->learning_rate);
        if (p->mu > 0) dn_fprintf(p->out, "  mu %.3g", p->mu);
        dn_fprintf(p->out, "  %.2fs", r->seconds);
    } else {
        dn_fprintf(p->out, "   lr %.3g  %.2fs", r->learning_rate, r->seconds);
    }
    if (p->verbose)
        dn_fprintf(p->out, "  |g| %.3g  step %ld", r->grad_norm, r->step);
    fputc('\n', p->out);
    fflush(p->out);
    p->live = 0;
    p->t_epoch = now();
}

void progress_end(progress *p)
{
    if (p->live) {
        fputc('\n', p->out);
        fflush(p->out);
    }
    p->live = 0;
}
