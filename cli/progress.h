/* progress.h — watching `descent train` (and the full-batch solvers) in
 * the terminal.
 *
 * On a terminal, every epoch has one live line, redrawn in place (at
 * most ten times a second) with a bar over the batches, samples per
 * second, the epoch's elapsed and remaining time and the current loss;
 * when the epoch ends the same line becomes its summary:
 *
 *   epoch  3/40 [==========>         ]  52%  48.1k samples/s  0:01<0:01  loss 0.3120
 *   epoch  3/40  train loss 0.3051  acc  91.2%   val loss 0.2870  acc  92.0%   lr 0.001  0.41s
 *
 * Anything else (a pipe, a file, CI) gets the summaries alone: plain
 * lines with no control characters.  --quiet means no progress object
 * at all; --verbose adds the gradient norm and the step count. */
#ifndef CLI_PROGRESS_H
#define CLI_PROGRESS_H

#include "descent.h"
#include <stdio.h>

typedef struct {
    FILE       *out;
    int         tty;      /* live line; 0: summary lines only */
    int         verbose;
    int         epochs;   /* of the run, for "epoch 3/40" */
    double      mu;       /* LM's damping for the line (0: not shown) */
    const char *unit;     /* "epoch", or "iter" for a full-batch solver */
    const char *metric;   /* "accuracy" (shown as a percentage), "mae", or
                             NULL for none */
    double      t_epoch;  /* when the current epoch started */
    double      t_drawn;  /* when the live line was last drawn */
    int         live;     /* a live line is on screen, unfinished */
} progress;

/* Ready to report a run of `epochs` epochs on out; whether out is a
 * terminal is found here (isatty, and TERM not "dumb"). */
void progress_init(progress *p, FILE *out, int epochs, const char *metric,
                   int verbose);

/* After a step (from the training loop's per-batch callback): batch of
 * n_batches done in this epoch, rows_done training rows used so far in
 * it, loss the batch's loss.  Draws only on a terminal. */
void progress_batch(progress *p, int epoch, int batch, int n_batches,
                    long rows_done, double loss);

/* At the end of an epoch: its summary line (replacing the live line),
 * from the epoch's history row (dn_history_add_epoch), which carries the
 * metric whatever the task. */
void progress_epoch(progress *p, const dn_hist_row *r);

/* Ends an unfinished live line (training stopped inside an epoch). */
void progress_end(progress *p);

#endif
