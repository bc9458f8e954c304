/* train_split.c — the head of the commands built on train's options
 * (cv, lr-find, trace): their own words taken out, the rest read as
 * `descent train` reads them. */
#include "train.h"
#include <stdlib.h>

int train_split(const char *cmd, const char *help, int argc, char **argv,
                cli_own_fn *own, void *cfg, train_cfg *t, char ***targv,
                int *targc)
{
    int n = 0, rc = cli_split(cmd, help, argc, argv, own, cfg, targv, &n);
    if (rc) return rc;
    cli_train_as(cmd);
    /* (-1 from here is train's help, asked for after "--"; the command's
     * own is 'descent CMD --help') */
    if ((rc = train_parse(n, *targv, t))) free(*targv);
    else if (targc) *targc = n;
    return rc;
}
