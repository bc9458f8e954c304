/* test_batch.c — the training step's fast path, dn_gradient_rows, against
 * the plain one: gather the rows by hand, then dn_gradient_train.
 *
 * dn_gradient_rows gathers a mini-batch straight into the workspace,
 * standardizing on the way, splits the gather over the threads or, when
 * the first layer is narrow, cuts that layer by units over the threads,
 * each gathering the whole batch into its own buffer.  None of that may change a bit: the loss,
 * every gradient element, the outputs and the copied targets must equal
 * the plain path's exactly, with 1, 2 and 3 threads, with and without input
 * scaling, with dropout (the same random draws), for a narrow first layer
 * (cut by units) and a wide one (not).  Also: the cross-entropy computed from
 * the softmax's log-sum-exp agrees with the one computed from the logits
 * alone (dn_loss_eval) to 1e-6.
 */
#include "check.h"
#include "train/train.h"

#include <stdlib.h>
#include <string.h>

enum { N_ROWS = 500, D = 300, BATCH = 64 };

static uint64_t seed = 7;

static float unif(void)   /* in [-1, 1) */
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((double)(seed >> 40) / (double)(1ULL << 23) - 1.0);
}

/* A data set of N_ROWS rows: inputs with offsets and spreads that differ
 * by column (so that scaling matters), 10 classes or 2 real targets. */
static void make_data(dn_data *d, int classes)
{
    memset(d, 0, sizeof *d);
    d->n = N_ROWS;
    d->d = D;
    d->k = classes ? 1 : 2;
    d->X = malloc((size_t)N_ROWS * D * sizeof *d->X);
    d->Y = malloc((size_t)N_ROWS * d->k * sizeof *d->Y);
    for (int i = 0; i < N_ROWS; i++) {
        for (int j = 0; j < D; j++)
            d->X[(size_t)i * D + j] = (float)(j % 7) + (1 + j % 5) * unif();
        for (int c = 0; c < d->k; c++)
            d->Y[(size_t)i * d->k + c] = classes ? (float)(i % 10)
                                                 : 50 + 10 * unif();
    }
}

typedef struct {
    const char *name;
    int h1, h2;          /* hidden widths: h1 ≤ 32 is cut by units */
    int classes;         /* softmax + CE, else identity + MSE */
    int scaled, dropout;
    dn_act act0;         /* layer 0's activation */
} config;

static dn_model *make_model(const config *c, const dn_data *d)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = D;
    a.n_layers = 2;
    a.layer[0] = (dn_layer){ .units = c->h1, .act = c->act0 };
    a.layer[1] = (dn_layer){ .units = c->h2, .act = DN_ACT_TANH };
    dn_error err;
    dn_model *m = NULL;
    if (dn_arch_set_task(&a, c->classes ? DN_TASK_MULTICLASS
                                        : DN_TASK_REGRESSION,
                         c->classes ? 10 : 2, &err) ||
        dn_model_new(&a, &m, &err)) {
        CHECK(0, "%s: %s", c->name, err.msg);
        return NULL;
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 3);
    if (c->scaled) {
        CHECK(dn_model_fit_scaling(m, d, &err) == DN_OK, "%s", err.msg);
        if (!c->classes)
            CHECK(dn_model_fit_target_scaling(m, d, &err) == DN_OK, "%s",
                  err.msg);
    }
    return m;
}

static dn_ws *make_ws(const dn_model *m, int threads, const float *rate)
{
    dn_error err;
    dn_ws *ws = NULL;
    if (dn_ws_new(m, BATCH, threads, &ws, &err) ||
        dn_ws_enable_dropout(ws, m, rate, &err)) {
        CHECK(0, "workspace: %s", err.msg);
        dn_ws_free(ws);
        return NULL;
    }
    return ws;
}

/* NaN in every activation buffer, so that a row the fast path forgot to
 * compute cannot pass for one left there by an earlier run. */
static void poison(dn_ws *ws, const dn_model *m)
{
    for (int l = 0; l < m->arch.n_layers; l++)
        for (int i = 0; i < BATCH * m->arch.layer[l].units; i++)
            ws->z[l][i] = ws->a[l][i] = NAN;
}

static void run(const config *c)
{
    dn_data d;
    make_data(&d, c->classes);
    dn_model *m = make_model(c, &d);
    float rate[DN_MAX_LAYERS] = { 0 };
    if (c->dropout) rate[0] = 0.3f;
    int32_t idx[N_ROWS];
    for (int i = 0; i < N_ROWS; i++) idx[i] = (int32_t)((i * 211) % N_ROWS);
    const int n = BATCH - 3, at = 100;   /* rows idx[at .. at + n) */
    const size_t P = m ? dn_model_n_params(m) : 0;
    float *X = malloc((size_t)n * D * sizeof *X), Y[BATCH * 2], Yr[BATCH * 2];
    float *g_ref = malloc(P * sizeof *g_ref), *g1 = malloc(P * sizeof *g1);
    for (int r = 0; r < n; r++) {
        memcpy(X + (size_t)r * D, d.X + (size_t)idx[at + r] * D,
               D * sizeof *X);
        memcpy(Y + r * d.k, d.Y + (size_t)idx[at + r] * d.k,
               d.k * sizeof *Y);
    }
    dn_ws *ref = m ? make_ws(m, 1, rate) : NULL;
    if (!ref) goto out;
    dn_rng rng;
    dn_rng_seed(&rng, 11);
    double E_ref = dn_gradient_train(m, ref, X, Y, n, rate, &rng);
    memcpy(g_ref, dn_ws_grad(ref), P * sizeof *g_ref);
    const int k_out = dn_model_n_out(m);
    if (c->classes) {
        /* The log-sum-exp loss against the loss from the logits alone. */
        const int last = m->arch.n_layers - 1;
        double E_logits = dn_loss_eval(DN_LOSS_CE, ref->z[last], ref->a[last],
                                       Y, n, k_out);
        CHECK_REL(E_ref, E_logits, 1e-6, 0);
    }

    for (int threads = 1; threads <= 3; threads++) {
        dn_ws *ws = make_ws(m, threads, rate);
        if (!ws) break;
        poison(ws, m);
        dn_rng_seed(&rng, 11);
        memset(Yr, 0, sizeof Yr);
        double E = dn_gradient_rows(m, ws, &d, idx + at, n, BATCH, Yr, rate,
                                    &rng);
        memcpy(g1, dn_ws_grad(ws), P * sizeof *g1);
        long diff = 0;
        for (size_t i = 0; i < P; i++) diff += memcmp(&g1[i], &g_ref[i], 4) != 0;
        CHECK(memcmp(&E, &E_ref, sizeof E) == 0, "%s, %d threads: loss %.17g, "
              "plain path %.17g", c->name, threads, E, E_ref);
        CHECK(diff == 0, "%s, %d threads: %ld of %zu gradient elements "
              "differ from the plain path's", c->name, threads, diff, P);
        CHECK(memcmp(dn_ws_out(ws), dn_ws_out(ref),
                     (size_t)n * k_out * sizeof(float)) == 0,
              "%s, %d threads: the outputs differ", c->name, threads);
        CHECK(memcmp(Yr, Y, (size_t)n * d.k * sizeof *Y) == 0,
              "%s, %d threads: the targets were not copied", c->name, threads);
        dn_ws_free(ws);
    }
    dn_ws_free(ref);
out:
    free(X); free(g_ref); free(g1);
    dn_model_free(m);
    free(d.X); free(d.Y);
}

int main(void)
{
    static const config configs[] = {
        { "narrow, scaled, CE", 16, 12, 1, 1, 0, DN_ACT_RELU },
        { "narrow, unscaled, CE", 16, 12, 1, 0, 0, DN_ACT_RELU },
        { "narrow, scaled, CE, dropout", 16, 12, 1, 1, 1, DN_ACT_RELU },
        { "wide, scaled, CE", 48, 20, 1, 1, 0, DN_ACT_RELU },
        { "narrow, scaled, MSE with target scaling", 8, 6, 0, 1, 0, DN_ACT_RELU },
        { "wide, unscaled, MSE, dropout", 40, 6, 0, 0, 1, DN_ACT_RELU },
        /* Layer 0 cut by units over 2 and 3 threads, unevenly (5 units),
         * and with PReLU, whose slopes' gradient the layer above sums. */
        { "narrow (5), scaled, CE", 5, 7, 1, 1, 0, DN_ACT_RELU },
        { "narrow PReLU, scaled, CE, dropout", 16, 12, 1, 1, 1, DN_ACT_PRELU },
    };
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++)
        run(&configs[i]);
    return check_done("test_batch");
}
