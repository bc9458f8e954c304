/* table_opts.c — how to read a table, for every command that reads a
 * CSV (--sep, --na, --missing), and what the reader found, said on the
 * terminal: warnings on stderr, the rest in the caller's "data:" line. */
#include "cli.h"
#include <string.h>

int cli_sep(const char *cmd, const char *v, char *sep)
{
    if (!strcmp(v, "tab") || !strcmp(v, "\\t")) *sep = '\t';
    else if (strlen(v) == 1 && !strchr("\"\n\r ", v[0])) *sep = v[0];
    else
        return cli_usage(cmd, "--sep '%s': give the delimiter as one "
                         "character (',', ';', '|') or 'tab'", v);
    return 0;
}

int cli_missing(const char *cmd, const char *v, int *error)
{
    if (!strcmp(v, "impute")) *error = 0;
    else if (!strcmp(v, "error")) *error = 1;
    else
        return cli_usage(cmd, "--missing '%s': use impute (the median and "
                         "a was-missing input; a 'missing' category) or "
                         "error (refuse missing cells)", v);
    return 0;
}

int cli_table_option(cli_args *a, const char *cmd, const char *o,
                     dn_csv_opts *copts, int *rc)
{
    const char *v;
    *rc = 0;
    if (strcmp(o, "sep") && strcmp(o, "na") && strcmp(o, "missing")) return 0;
    if (!(v = cli_value(a))) {
        *rc = EXIT_USAGE;
        return 1;
    }
    if (!strcmp(o, "sep")) *rc = cli_sep(cmd, v, &copts->sep);
    else if (!strcmp(o, "na")) copts->na = v;
    else *rc = cli_missing(cmd, v, &copts->missing_error);
    return 1;
}

void cli_table_warn(const char *cmd, const char *path,
                    const dn_csv_info *info)
{
    if (info->unseen)
        fprintf(stderr, "descent %s: warning: %s: %d cell%s of a category "
                "not seen in training, encoded as all zeros (see the note "
                "below); the predictions for those rows use the other "
                "columns only\n", cmd, path, info->unseen,
                info->unseen == 1 ? "" : "s");
    if (info->rows_dropped)
        fprintf(stderr, "descent %s: warning: %s: %d row%s without a target "
                "value left out\n", cmd, path, info->rows_dropped,
                info->rows_dropped == 1 ? "" : "s");
    if (info->unseen || info->rows_dropped)
        fprintf(stderr, "descent %s: %s: %s\n", cmd, path, info->note);
}
