/* train_health.c — the health warnings of `descent train` in words: what
 * was seen and where (the epoch, the layer as `descent summary` numbers
 * it, from 1), what it means in the notes' terms, and what to try.  The
 * library finds them (dn_health, descent.h); this file only words them,
 * on stderr, so that stdout stays the run's own report. */
#include "train.h"
#include <math.h>

/* "layer 2 (relu, 8 units)" */
static void where(FILE *f, const dn_model *m, int l)
{
    const dn_layer *L = &dn_model_arch(m)->layer[l];
    fprintf(f, "layer %d (%s, %d unit%s)", l + 1, dn_act_name(L->act),
            L->units, L->units == 1 ? "" : "s");
}

void train_health_say(FILE *f, const dn_model *m, const dn_health_warning *w,
                      const dn_train_opts *t, double eta)
{
    fprintf(f, "descent train: warning: epoch %d", w->epoch);
    if (w->layer >= 0) {
        fputs(", ", f);
        where(f, m, w->layer);
    }
    fputs(": ", f);
    switch (w->kind) {
    case DN_HEALTH_DEAD_RELU:
        dn_fprintf(f, "%d of %d units are dead ReLUs: z <= 0 on every sampled "
                   "row, so they output 0, pass no gradient back and will not "
                   "recover. Try a lower learning rate (now %g), --act "
                   "leaky_relu, or He initialization (--init he_uniform, the "
                   "default for relu); large negative biases cause it too\n",
                   w->count, w->of, eta);
        break;
    case DN_HEALTH_SATURATED:
        dn_fprintf(f, "%d of %d units are saturated: |z| is so large on over "
                   "90%% of the sampled rows that f'(z) is under 5%% of its "
                   "peak (%.0f%% of all unit-rows), so the gradient through "
                   "them vanishes. Try standardized inputs (the default; drop "
                   "--no-standardize), smaller initial weights (--init "
                   "glorot_uniform), a lower learning rate (now %g), or --act "
                   "relu\n", w->count, w->of, 100 * w->value, eta);
        break;
    case DN_HEALTH_EXPLODING:
        if (isfinite(w->to))
            dn_fprintf(f, "the gradient norm grew %.3g-fold since the first "
                       "epoch (%.3g -> %.3g): exploding gradients",
                       w->value, w->from, w->to);
        else
            fputs("the gradient norm is not finite: exploding gradients", f);
        dn_fprintf(f, ". Try a lower learning rate (now %g), gradient "
                   "clipping (--clip 1), or a shallower network\n", eta);
        break;
    case DN_HEALTH_LOSS_RISING:
        dn_fprintf(f, "the training loss rose in each of the last %d epochs, "
                   "since epoch %d (%.4g -> %.4g): the learning rate (now %g) "
                   "is too high for this network. Try --lr %g, or let "
                   "'--lr find' choose one\n", w->count, w->since, w->from,
                   w->to, eta, eta / 10);
        break;
    case DN_HEALTH_OVERFITTING:
        dn_fprintf(f, "overfitting since epoch %d: the validation loss is "
                   "%.0f%% above its best (%.4g at epoch %d) after %d epochs "
                   "while the training loss kept falling%s. Try more "
                   "training rows, L2 (--l2 1e-4), dropout (--dropout 0.2) "
                   "or a smaller network", w->since, 100 * (w->value - 1),
                   w->from, w->since - 1, w->count,
                   dn_model_arch(m)->loss == DN_LOSS_MSE ? "" :
                   " and the validation accuracy fell below that epoch's");
        if (t->patience > 0 && t->restore_best)
            fprintf(f, "; early stopping ends the run at epoch %d at the "
                    "latest, with the weights of the best epoch\n",
                    w->since - 1 + t->patience);
        else if (t->patience > 0)
            fprintf(f, "; early stopping ends the run at epoch %d at the "
                    "latest\n", w->since - 1 + t->patience);
        else
            fputs(", or early stopping that keeps the best epoch's weights "
                  "(--patience 10)\n", f);
        break;
    default:
        fprintf(f, "%s\n", dn_health_name(w->kind));
    }
}

/* Under the small-table policy the refit is a long run (its epochs the
 * folds' early stopping chose) on a few hundred rows at most, where the
 * health sample is every row or nearly: one more gradient over it each
 * epoch cost as much again as the epoch's training (iris's refit: 54 ms
 * CPU without the checks, 91 ms with them).  So there the model checks
 * come every k epochs: the least k with k·n ≥ 16 × the sample (at most
 * a sixteenth more work), but no more than a tenth of the run's epochs
 * apart (ten checks at least, so a unit dying early is still seen
 * early), and never closer than k·n ≥ 4 × the sample (a quarter more).
 * The quarter alone had cost vowel's refit (742 rows, 266 epochs, every
 * 2 epochs) 0.56 s against 0.44 s without the checks.  Elsewhere
 * (options given, larger sets) they stay every epoch, as the tests and
 * the docs show them. */
/* Under L2 a ReLU unit the fit does not need has its weights shrunk
 * until z <= 0 on every row: the penalty retiring capacity, not a rate
 * that is too high.  `descent train data/house.csv --val 0 --epochs 150`
 * lost 7 of layer 2's 64 units by epoch 44, 22 and 12 with --l2 0.001,
 * 0.01 and 0.1, and none with --l2 0; the small-table policy always
 * trains with L2, so its runs warned at the default tenth.  A quarter
 * of a layer is still a loss a rate that is too high shows (plain SGD at
 * lr 10 on iris, test_health.sh: 4 of a 16-unit layer by epoch 2, and
 * 5 by epoch 3 with --l2 0.01). */
#define L2_DEAD_SHARE 0.25

void train_health_conf(int n, int policy, int epochs, double l2,
                       dn_health_conf *hc, char *why, size_t len)
{
    dn_health_defaults(hc);
    why[0] = 0;
    int at = 0;
    if (policy && n > 0) {
        const int S = n < hc->rows ? n : hc->rows;
        const int sixteenth = (16 * S + n - 1) / n, quarter = (4 * S + n - 1) / n;
        const int tenth = epochs / 10;
        const int k = sixteenth < tenth ? sixteenth : tenth;
        hc->every = k > quarter ? k : quarter;
        char bound[64];
        if (hc->every == sixteenth)
            dn_snprintf(bound, sizeof bound, "at most a sixteenth more work");
        else if (hc->every > quarter)
            dn_snprintf(bound, sizeof bound, "ten checks in the %d epochs",
                        epochs);
        else
            dn_snprintf(bound, sizeof bound, "at most a quarter more work");
        if (hc->every > 1)
            at = dn_snprintf(why, len, "dead, saturated and exploding checks "
                             "every %d epochs (each is a gradient over a "
                             "%d-row sample, and an epoch trains on %d "
                             "rows: %s), the loss checks every epoch",
                             hc->every, S, n, bound);
    }
    if (l2 > 0 && hc->dead_share < L2_DEAD_SHARE) {
        hc->dead_share = L2_DEAD_SHARE;
        if (at >= 0 && (size_t)at < len)
            dn_snprintf(why + at, len - at, "%sdead ReLUs warned from a "
                        "quarter of a layer, not a tenth (L2 lambda %g "
                        "retires units the fit does not need)", at ? "; " : "",
                        l2);
    }
}

