/* train_lrfind.c — the learning-rate range test as `descent lr-find` and
 * `descent train --lr find` run it: the same network, rows and optimizer
 * settings as the training they are for, so the suggestion is a rate for
 * that run. */
#include "train.h"
#include <math.h>

int train_lr_find(const train_cfg *c, dn_model *m, const dn_data *train,
                  const dn_lr_find_conf *conf, dn_lr_find_result *r)
{
    dn_error err;
    dn_train_opts t = c->t;
    t.on_epoch = NULL;
    t.on_batch = NULL;
    if (dn_lr_find(m, train, &t, conf, r, &err)) return cli_error("train", &err);
    return 0;
}

void train_lr_say(FILE *out, const dn_lr_find_result *r)
{
    dn_fprintf(out, "lr-find: %d steps from %.3g to %.3g: the smoothed loss "
               "was lowest at %.3g", r->n, r->eta[0], r->eta[r->n - 1],
               r->eta_lowest);
    if (isfinite(r->diverged))
        dn_fprintf(out, " and diverged at %.3g", r->diverged);
    else
        fputs(" and did not diverge", out);
    dn_fprintf(out, "; suggested %.3g: %s\n", r->suggest, r->how);
}
