/* train_stream.c — `descent train DATA --memory SIZE`: a row cache or
 * an uncompressed IDX file larger than the budget is streamed from disk
 * (dn_train_stream); one that fits is read whole, and the run is the
 * one without --memory.  What a streamed run cannot do, holding only a
 * window of the rows, is refused here with what to do instead. */
#include "train.h"
#include <string.h>

/* What the process holds besides the row buffers, beyond what this
 * file counts: the program, the C library, the thread stacks, the
 * workspaces of a batch and the health checks' 1,024 rows (the runs of
 * bench/stream.sh stayed within it: bench/STREAM.md). */
#define PROGRAM_BYTES (64ull << 20)

/* The row order (4 bytes a row), a checkpoint's copy of it while one is
 * written or read (4, and 1 to check it), and an IDX file's labels (1 a row;
 * counted for a cache too, which needs none). */
#define PER_ROW_BYTES 10

uint64_t train_stream_rest(const dn_stream *s, size_t params,
                           const dn_data *val)
{
    /* theta, the gradient, two optimizer moments, the best and the last
     * finite copies: 6 floats a parameter at most. */
    uint64_t rest = PROGRAM_BYTES + (uint64_t)dn_stream_rows(s) * PER_ROW_BYTES +
                    24 * (uint64_t)params;
    if (val) rest += (uint64_t)val->n * (4 * (uint64_t)val->d + 4 * (uint64_t)val->k);
    return rest;
}

int train_stream_fits(const train_cfg *c, const dn_stream *s, size_t params,
                      const dn_data *val)
{
    const int n = (int)dn_stream_rows(s);
    const int B = c->t.batch <= 0 || c->t.batch >= n ? n : c->t.batch;
    const uint64_t rest = train_stream_rest(s, params, val);
    const uint64_t need = rest + dn_stream_min_memory(s, B);
    if (c->memory >= need) return 0;
    char a[64], b[64], t[64];
    return cli_usage("train", "--memory %s is too small for %s: the program, "
                     "model and row order take about %s, and two windows of "
                     "rows (each at least a block of about 1 MiB and a batch) "
                     "need the rest; give --memory %s or more",
                     cli_bytes((double)c->memory, a, sizeof a), c->data,
                     cli_bytes((double)rest, b, sizeof b),
                     cli_bytes((double)need, t, sizeof t));
}

int train_stream_open(const train_cfg *c, dn_stream **s, dn_data **all)
{
    dn_error err;
    *s = NULL;
    *all = NULL;
    if (dn_stream_open(c->data, c->labels, s, &err)) return cli_error("train", &err);
    const uint64_t rest = train_stream_rest(*s, 0, NULL);
    if (c->memory > rest && dn_stream_bytes(*s) <= c->memory - rest) {
        /* It fits: read whole, trained as without --memory. */
        dn_status st = dn_stream_read(*s, 0, (int)dn_stream_rows(*s), all, &err);
        dn_stream_close(*s);
        *s = NULL;
        if (st) return cli_error("train", &err);
    }
    return 0;
}

int train_stream_refuse(const train_cfg *c)
{
    const char *what = NULL, *instead = "";
    if (train_given(c, "val") && c->val > 0)
        what = "--val", instead = "give --val-data FILE (read into memory), "
                                  "or --val 0";
    else if (c->class_weight || c->sample_weight)
        what = c->class_weight ? "--class-weight" : "--sample-weight",
        instead = "a row cache holds no weights";
    else if (c->lr_find)
        what = "--lr find", instead = "run 'descent lr-find' on a part that "
                                      "fits, then give --lr";
    else if (c->boundary)
        what = "--boundary", instead = "draw the regions of a 2-input set in "
                                       "memory";
    else if (c->solver_set)
        what = "--opt", instead = "the full-batch solvers need every row at "
                                  "every iteration; use a mini-batch optimizer";
    else if (c->batch_set && c->t.batch == 0)
        what = "--batch 0", instead = "give a batch size";
    if (!what) return 0;
    return cli_usage("train", "%s: the data (%s) is larger than --memory and "
                     "is streamed, a window of rows at a time; %s", what,
                     c->data, instead);
}

/* How many rows the head holds: enough for the health checks' sample.
 * They are spread over the file (dn_stream_sample, from the run's seed):
 * the first rows of a file sorted by class would be one class. */
#define HEAD_ROWS 1024

int train_stream_head(const train_cfg *c, const dn_stream *s,
                      const dn_model *warm, dn_data **head)
{
    dn_error err;
    const long n = dn_stream_rows(s);
    const dn_schema *ws = warm ? dn_model_schema(warm) : NULL;
    if (ws && ws->n_in != dn_stream_inputs(s))
        return cli_usage("train", "--warm-start %s takes %d inputs but %s "
                         "has %d a row; convert the data with the model's "
                         "schema ('descent convert DATA.csv OUT --schema "
                         "MODEL')", c->warm, ws->n_in, c->data,
                         dn_stream_inputs(s));
    if (dn_stream_sample(s, n < HEAD_ROWS ? (int)n : HEAD_ROWS, c->t.seed,
                         head, &err))
        return cli_error("train", &err);
    return 0;
}

dn_status train_stream_scale(const train_cfg *c, dn_model *m,
                             const dn_stream *s, dn_error *err)
{
    if (!c->standardize) return DN_OK;
    dn_status st = dn_model_fit_scaling_stream(m, s, err);
    if (!st && dn_model_arch(m)->loss == DN_LOSS_MSE)
        st = dn_model_fit_target_scaling_stream(m, s, err);
    return st;
}
