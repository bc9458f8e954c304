/* health.c — the health of a run: dead ReLU units, saturated sigmoid and
 * tanh units, exploding gradients, a loss that rises, a validation loss
 * that parts from the training loss (descent.h says what each means and
 * why its thresholds are what they are).
 *
 * The unit checks need z of every hidden layer and the gradient of each
 * layer; the training loop's own workspace holds only the last batch,
 * mid-update, and reading it would tie this file to the loop.  So at an
 * epoch's end one pass of dn_gradient runs over a fixed sample of the
 * training rows in a workspace of its own (one thread: no work for the
 * training pool, whose plan decides the bits): the model is only read,
 * and the run's numbers cannot change.  The loss checks read the epoch
 * report alone. */
#include "nn/nn.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_WARN = DN_HEALTH_COUNT * (DN_MAX_LAYERS + 1) };

struct dn_health {
    dn_health_conf c;
    int      n_layers;
    size_t   n_params;
    int      S;                 /* sampled rows */
    float   *X, *Y;             /* their inputs and targets */
    dn_ws   *ws;
    int     *hits;              /* per unit of the widest layer */
    /* born[off[l] + j]: hidden ReLU unit j of layer l was dead on the
     * sample already with the weights the run began from */
    unsigned char *born;
    size_t   off[DN_MAX_LAYERS];
    double   z_sat[DN_ACT_COUNT]; /* |z| beyond which a unit is saturated */
    double   g0[DN_MAX_LAYERS]; /* each layer's first gradient norm */
    int      g0_set[DN_MAX_LAYERS];
    int      checked;           /* a gradient is in ws */
    /* warned[kind][layer + 1]: each kind once per layer */
    unsigned char warned[DN_HEALTH_COUNT][DN_MAX_LAYERS + 1];
    dn_health_warning list[MAX_WARN];
    int      n;
    /* the loss checks */
    int      last_epoch;
    double   prev_train;
    int      rise, rise_since;
    double   rise_from;
    double   best_val, train_at_best;
    double   acc_at_best;       /* the validation accuracy then (NaN:
                                   regression) */
    double   train_top;         /* the highest training loss since the best */
    int      best_epoch;
};

const char *dn_health_name(dn_health_kind k)
{
    static const char *const name[DN_HEALTH_COUNT] = {
        "dead_relu", "saturated", "exploding", "loss_rising", "overfitting"
    };
    return (unsigned)k < DN_HEALTH_COUNT ? name[k] : "unknown";
}

/* A static object: the members it does not name (the reserved tail) and
 * its padding are zeros, and memcpy carries them over whole. */
static const dn_health_conf health_defaults = {
    .rows = 256,
    .dead_share = 0.1,
    .sat_ratio = 0.05, .sat_rows = 0.9, .sat_share = 0.1,
    .explode = 1000,
    .rise_epochs = 3, .rise_min = 0.1,
    .overfit_epochs = 5, .overfit_min = 0.05,
};

void dn_health_defaults(dn_health_conf *c)
{
    memcpy(c, &health_defaults, sizeof *c);
}

static dn_status check_conf(const dn_health_conf *c, dn_error *err)
{
    const struct { const char *name; double v; } share[] = {
        { "dead_share", c->dead_share }, { "sat_ratio", c->sat_ratio },
        { "sat_rows", c->sat_rows }, { "sat_share", c->sat_share },
    };
    for (size_t i = 0; i < sizeof share / sizeof *share; i++)
        if (!(share[i].v > 0 && share[i].v <= 1))
            return dn_fail(err, DN_EARG, "health: %s is %g; it is a share, "
                           "in (0, 1]", share[i].name, share[i].v);
    if (c->rows < 1)
        return dn_fail(err, DN_EARG, "health: rows is %d; sample at least 1",
                       c->rows);
    if (!(c->explode > 1) || !isfinite(c->explode))
        return dn_fail(err, DN_EARG, "health: explode is %g; a growth factor "
                       "> 1 (finite) is needed", c->explode);
    if (c->every < 0)
        return dn_fail(err, DN_EARG, "health: every is %d; 0 or 1 checks "
                       "every epoch, N > 1 every N-th", c->every);
    if (c->rise_epochs < 1 || c->overfit_epochs < 1)
        return dn_fail(err, DN_EARG, "health: rise_epochs %d, overfit_epochs "
                       "%d; each must be ≥ 1", c->rise_epochs,
                       c->overfit_epochs);
    if (!(c->rise_min >= 0) || !(c->overfit_min >= 0) ||
        !isfinite(c->rise_min) || !isfinite(c->overfit_min))
        return dn_fail(err, DN_EARG, "health: rise_min %g, overfit_min %g; "
                       "each must be finite and ≥ 0", c->rise_min,
                       c->overfit_min);
    return DN_OK;
}

/* The |z| past which f'(z) < r f'(0).  Sigmoid: f'/f'(0) = 4σ(1 − σ),
 * so σ = (1 − sqrt(1 − r)) / 2 and |z| = ln((1 − σ) / σ).  Tanh:
 * f' = 1 − tanh², so |z| = atanh(sqrt(1 − r)). */
static void saturation_limits(double r, double *z_sat)
{
    for (int a = 0; a < DN_ACT_COUNT; a++) z_sat[a] = INFINITY;
    double s = (1 - sqrt(1 - r)) / 2;
    z_sat[DN_ACT_SIGMOID] = log((1 - s) / s);
    z_sat[DN_ACT_TANH] = atanh(sqrt(1 - r));
}

/* Marks the ReLU units that are dead on the sample with the weights the
 * run begins from by their weights' direction alone: W a ≤ 0 on every
 * sampled row, before the bias is added.  No learning rate killed them
 * and no bias holds them down: a ReLU layer after another sees its
 * inputs from few directions when the table has few columns (with one
 * input, each unit of the second layer of a network initialized with
 * zero biases is dead on every row with chance about 1/4: 11 to 18 of
 * 64 on the one-input tables of statsmodels' engel, nile, strikes and
 * sunspots), and no gradient ever reaches them to change that.  A unit
 * dead only because of a large negative bias is not marked: that one
 * the warning is for. */
static dn_status starting_dead(dn_health *h, const dn_model *m,
                               dn_error *err)
{
    const dn_arch *A = dn_model_arch(m);
    size_t n = 0;
    for (int l = 0; l < A->n_layers; l++) {
        h->off[l] = n;
        n += (size_t)A->layer[l].units;
    }
    if (!(h->born = calloc(n, 1)))
        return dn_fail(err, DN_ENOMEM, "out of memory for the health "
                       "checks");
    dn_forward(m, h->ws, h->X, h->S);
    for (int l = 0; l < A->n_layers - 1; l++) {
        if (A->layer[l].act != DN_ACT_RELU) continue;
        const int u = A->layer[l].units;
        const float *z = dn_ws_z(h->ws, l);
        const float *b = dn_model_params_const(m) + dn_model_offset_b(m, l);
        for (int j = 0; j < u; j++) {
            int away = 1;
            for (int r = 0; r < h->S && away; r++)
                away = z[(size_t)r * u + j] - b[j] <= 0 &&
                       z[(size_t)r * u + j] <= 0;
            h->born[h->off[l] + j] = away;
        }
    }
    return DN_OK;
}

dn_status dn_health_new(const dn_model *m, const dn_data *train,
                        const dn_health_conf *c, dn_health **out,
                        dn_error *err)
{
    if (!c) c = &health_defaults;
    DN_NEED(out);
    *out = NULL;
    DN_NEED(m);
    DN_NEED(train);
    /* (dn_data_check refuses a training set without rows) */
    dn_status st = check_conf(c, err);
    if (!st) st = dn_data_check(m, train, "training", 1, err);
    if (st) return st;
    const dn_arch *A = dn_model_arch(m);
    dn_health *h = calloc(1, sizeof *h);
    if (!h) return dn_fail(err, DN_ENOMEM, "out of memory for the health "
                           "checks");
    h->c = *c;
    h->n_layers = A->n_layers;
    h->n_params = dn_model_n_params(m);
    h->S = train->n < c->rows ? train->n : c->rows;
    int wide = 1;
    for (int l = 0; l < A->n_layers; l++)
        if (A->layer[l].units > wide) wide = A->layer[l].units;
    h->X = malloc((size_t)h->S * (size_t)train->d * sizeof *h->X);
    h->Y = malloc((size_t)h->S * (size_t)train->k * sizeof *h->Y);
    h->hits = malloc((size_t)wide * sizeof *h->hits);
    if (!h->X || !h->Y || !h->hits) {
        const int S = h->S;
        dn_health_free(h);
        return dn_fail(err, DN_ENOMEM, "out of memory for %d sampled rows",
                       S);
    }
    /* Evenly spaced through the file: a file sorted by class still gives
     * every class its share. */
    for (int i = 0; i < h->S; i++) {
        int r = (int)((long long)i * train->n / h->S);
        const float *x = dn_data_row(train, r, h->X + (size_t)i * train->d);
        if (x != h->X + (size_t)i * train->d)
            memcpy(h->X + (size_t)i * train->d, x, (size_t)train->d * sizeof *x);
        memcpy(h->Y + (size_t)i * train->k, train->Y + (size_t)r * train->k,
               (size_t)train->k * sizeof *h->Y);
    }
    if ((st = dn_ws_new(m, h->S, 1, &h->ws, err))) {
        dn_health_free(h);
        return st;
    }
    saturation_limits(c->sat_ratio, h->z_sat);
    h->prev_train = h->best_val = NAN;
    if ((st = starting_dead(h, m, err))) {
        dn_health_free(h);
        return st;
    }
    *out = h;
    return DN_OK;
}

void dn_health_free(dn_health *h)
{
    if (!h) return;
    dn_ws_free(h->ws);
    DN_FREE_ALL(h->X, h->Y, h->hits, h->born);
    free(h);
}

const dn_health_warning *dn_health_list(const dn_health *h, int *n)
{
    if (n) *n = h ? h->n : 0;
    return h ? h->list : NULL;
}

const float *dn_health_grad(const dn_health *h)
{
    return h && h->checked ? dn_ws_grad(h->ws) : NULL;
}

/* Records a warning unless its kind has warned for that layer; 1 when
 * it is new. */
static int warn(dn_health *h, dn_health_kind kind, int epoch, int since,
                int layer, int count, int of, double value, double from,
                double to)
{
    if (h->warned[kind][layer + 1] || h->n >= MAX_WARN) return 0;
    h->warned[kind][layer + 1] = 1;
    dn_health_warning *w = &h->list[h->n++];
    w->kind = kind;
    w->epoch = epoch;
    w->since = since;
    w->layer = layer;
    w->count = count;
    w->of = of;
    w->value = value;
    w->from = from;
    w->to = to;
    return 1;
}

/* Dead or saturated units of hidden layer l, from z of the sample. */
static int units(dn_health *h, const dn_layer *L, int l, int epoch)
{
    const int u = L->units, S = h->S;
    const float *z = dn_ws_z(h->ws, l);
    if (L->act == DN_ACT_RELU) {
        /* hits: rows on which the unit is active */
        memset(h->hits, 0, (size_t)u * sizeof *h->hits);
        for (int r = 0; r < S; r++)
            for (int j = 0; j < u; j++) h->hits[j] += z[(size_t)r * u + j] > 0;
        /* The units dead by their weights' direction from the start
         * (starting_dead) are told beside the others, not counted. */
        int died = 0, born = 0;
        for (int j = 0; j < u; j++) {
            const int b = h->born[h->off[l] + j];
            born += b && h->hits[j] == 0;
            died += !b && h->hits[j] == 0;
        }
        if (died > 0 && died >= h->c.dead_share * u)
            return warn(h, DN_HEALTH_DEAD_RELU, epoch, epoch, l, died, u,
                        (double)died / u, born, NAN);
        return 0;
    }
    const double lim = h->z_sat[L->act];
    if (!isfinite(lim)) return 0;
    /* hits: rows on which the unit is saturated */
    memset(h->hits, 0, (size_t)u * sizeof *h->hits);
    long pairs = 0;
    for (int r = 0; r < S; r++)
        for (int j = 0; j < u; j++) h->hits[j] += fabsf(z[(size_t)r * u + j]) > lim;
    int sat = 0;
    for (int j = 0; j < u; j++) {
        pairs += h->hits[j];
        sat += h->hits[j] > h->c.sat_rows * S;
    }
    if (sat > 0 && sat >= h->c.sat_share * u)
        return warn(h, DN_HEALTH_SATURATED, epoch, epoch, l, sat, u,
                    (double)pairs / ((double)S * u), NAN, NAN);
    return 0;
}

/* The checks that need the model: one gradient over the sample. */
static int model_checks(dn_health *h, const dn_model *m, int epoch)
{
    const dn_arch *A = dn_model_arch(m);
    if (A->n_layers != h->n_layers || dn_model_n_params(m) != h->n_params)
        return 0;   /* not the network the sample was sized for */
    dn_gradient(m, h->ws, h->X, h->Y, h->S);
    h->checked = 1;
    const float *g = dn_ws_grad(h->ws);
    int fresh = 0;
    for (int l = 0; l < A->n_layers; l++) {
        const int u = A->layer[l].units;
        const int in = l ? A->layer[l - 1].units : A->n_in;
        double sq = dn_norm2_sq(g + dn_model_offset_W(m, l), (size_t)u * in) +
                    dn_norm2_sq(g + dn_model_offset_b(m, l), (size_t)u);
        double norm = sqrt(sq);
        if (!isfinite(norm)) {
            fresh += warn(h, DN_HEALTH_EXPLODING, epoch, epoch, l, 0, 0,
                          INFINITY, h->g0_set[l] ? h->g0[l] : NAN, norm);
        } else if (!h->g0_set[l]) {
            /* A layer whose gradient starts at 0 (all its units dead)
             * has no scale to grow from yet. */
            if (norm > 0) h->g0[l] = norm, h->g0_set[l] = 1;
        } else if (norm >= h->c.explode * h->g0[l]) {
            fresh += warn(h, DN_HEALTH_EXPLODING, epoch, epoch, l, 0, 0,
                          norm / h->g0[l], h->g0[l], norm);
        }
        if (l < A->n_layers - 1) fresh += units(h, &A->layer[l], l, epoch);
    }
    return fresh;
}

/* The training loss rising, epoch after epoch. */
static int rising(dn_health *h, const dn_epoch *e)
{
    const double L = e->train_loss;
    if (isfinite(h->prev_train) && isfinite(L) && L > h->prev_train) {
        if (h->rise++ == 0) h->rise_from = h->prev_train, h->rise_since = e->epoch;
    } else {
        h->rise = 0;
    }
    h->prev_train = L;
    if (h->rise >= h->c.rise_epochs &&
        L >= h->rise_from * (1 + h->c.rise_min))
        return warn(h, DN_HEALTH_LOSS_RISING, e->epoch, h->rise_since, -1,
                    h->rise, 0, L / h->rise_from, h->rise_from, L);
    return 0;
}

/* The validation loss leaving its best while the training loss falls,
 * and, for a classifier, its validation accuracy below its level at the
 * best epoch.  A network that fits its training rows ever closer grows
 * its logits: the validation rows it gets right cost less each epoch and
 * the few it gets wrong cost more, so the cross-entropy climbs for ever
 * while every prediction stays the same (digits.csv's default run: the
 * validation loss 36% above its best after 100 epochs, the accuracy
 * 97.2% throughout, above its 96.9% at the best epoch).  That is the
 * probabilities growing surer, not the predictions worse; the delivered
 * model is no worse for it, and early stopping already keeps the best
 * epoch's.  A network that learns its rows' noise moves its boundary:
 * then the accuracy falls too. */
static int parting(dn_health *h, const dn_epoch *e)
{
    const double v = e->val_loss;
    if (!isfinite(v)) return 0;
    if (!isfinite(h->best_val) || v < h->best_val) {
        h->best_val = v;
        h->best_epoch = e->epoch;
        h->train_at_best = e->train_loss;
        h->acc_at_best = e->val_acc;
        h->train_top = -INFINITY;
        return 0;
    }
    /* (a training loss that went back above its level at the best epoch
     * is a noisy run, not one that fits its rows ever closer) */
    if (!(e->train_loss <= h->train_top)) h->train_top = e->train_loss;
    const int after = e->epoch - h->best_epoch;
    /* (NaN for regression: the loss alone, which is the squared error of
     * the predictions themselves, says they got worse) */
    const int worse = !(e->val_acc >= h->acc_at_best);
    if (after >= h->c.overfit_epochs &&
        v >= h->best_val * (1 + h->c.overfit_min) &&
        h->train_top < h->train_at_best && worse)
        return warn(h, DN_HEALTH_OVERFITTING, e->epoch, h->best_epoch + 1, -1,
                    after, 0, v / h->best_val, h->best_val, v);
    return 0;
}

int dn_health_epoch(dn_health *h, const dn_model *m, const dn_epoch *e)
{
    if (!h || !e) return 0;
    if (e->epoch != h->last_epoch + 1) {
        /* Not the next epoch (a history restarted): the loss trends
         * start over. */
        h->prev_train = h->best_val = NAN;
        h->rise = 0;
    }
    h->last_epoch = e->epoch;
    int fresh = 0;
    const int due = h->c.every <= 1 || (e->epoch - 1) % h->c.every == 0;
    if (m && !e->replay && due) fresh += model_checks(h, m, e->epoch);
    fresh += rising(h, e);
    fresh += parting(h, e);
    return fresh;
}
