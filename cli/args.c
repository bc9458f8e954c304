/* args.c — option parsing and messages shared by the subcommands. */
#include "cli.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_args_init(cli_args *a, const char *cmd, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->argc = argc;
    a->argv = argv;
    a->i = 1;
    a->cmd = cmd;
    a->exit = -1;
}

void cli_args_common(cli_args *a, const char *cmd, int argc, char **argv,
                     const char *help, const char **out, const char **slot0,
                     const char **slot1)
{
    cli_args_init(a, cmd, argc, argv);
    a->help = help;
    a->out = out;
    a->slot[0] = slot0;
    a->slot[1] = slot1;
}

/* The common words (cli_args_common) of the word cli_next just read: 1
 * when it took it (the loop goes on or, with a->exit set, ends). */
static int common(cli_args *a, const char *opt, const char *pos)
{
    if (!a->help) return 0;
    if (pos) {
        for (int k = 0; k < 2; k++)
            if (a->slot[k] && !*a->slot[k]) { *a->slot[k] = pos; return 1; }
        a->exit = cli_usage(a->cmd, "unexpected argument '%s'", pos);
    } else if (!strcmp(opt, "h") || !strcmp(opt, "help")) {
        fputs(a->help, stdout);
        a->exit = EXIT_OK;
    } else if (a->out && (!strcmp(opt, "o") || !strcmp(opt, "output"))) {
        if (!(*a->out = cli_value(a))) a->exit = EXIT_USAGE;
    } else {
        return 0;
    }
    return 1;
}

int cli_next(cli_args *a, const char **opt, const char **pos)
{
    static char name[64];
    *opt = *pos = NULL;
    if (a->exit >= 0 || a->i >= a->argc) return 0;
    char *w = a->argv[a->i++];
    if (a->only_pos || w[0] != '-' || w[1] == 0) {
        if (common(a, NULL, w)) return cli_next(a, opt, pos);
        *pos = w;
        return 1;
    }
    if (strcmp(w, "--") == 0) {
        a->only_pos = 1;
        return cli_next(a, opt, pos);
    }
    const char *s = w + (w[1] == '-' ? 2 : 1);
    const char *eq = strchr(s, '=');
    size_t n = eq ? (size_t)(eq - s) : strlen(s);
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, s, n);
    name[n] = 0;
    a->name = name;
    a->value = eq ? eq + 1 : NULL;
    if (common(a, name, NULL)) return cli_next(a, opt, pos);
    *opt = name;
    return 1;
}

const char *cli_take(int argc, char **argv, int *i, const char *name,
                     int *missing)
{
    size_t n = strlen(name);
    const char *w = argv[*i];
    if (strncmp(w, name, n)) return NULL;
    if (w[n] == '=') return w + n + 1;
    if (w[n]) return NULL;
    if (*i + 1 >= argc) { *missing = 1; return NULL; }
    return argv[++*i];
}

int cli_split(const char *cmd, const char *help, int argc, char **argv,
              cli_own_fn *own, void *cfg, char ***targv_out, int *targc)
{
    char **targv = malloc(((size_t)argc + 1) * sizeof *targv);
    if (!targv) {
        fprintf(stderr, "descent %s: out of memory\n", cmd);
        return EXIT_DATA;
    }
    int n = 0, rc = 0;
    targv[n++] = argv[0];
    for (int i = 1; i < argc && !rc; i++) {
        const char *w = argv[i];
        int missing = 0;
        if (!strcmp(w, "--")) {
            while (i < argc) targv[n++] = argv[i++];
            break;
        }
        if (!strcmp(w, "-h") || !strcmp(w, "--help")) {
            fputs(help, stdout);
            rc = -1;
        } else if ((rc = own(cfg, argc, argv, &i, &missing)) == CLI_TRAINS) {
            rc = missing ? cli_usage(cmd, "%s needs a value", w) : 0;
            if (!rc) targv[n++] = argv[i];
        }
    }
    if (rc) {
        free(targv);
        return rc;
    }
    targv[n] = NULL;
    *targv_out = targv;
    *targc = n;
    return 0;
}

const char *cli_value(cli_args *a)
{
    if (a->value) { const char *v = a->value; a->value = NULL; return v; }
    if (a->i < a->argc) return a->argv[a->i++];
    /* the option as it was typed: -o or --output */
    cli_usage(a->cmd, "option %s needs a value", a->argv[a->i - 1]);
    return NULL;
}

int cli_int(cli_args *a, long lo, long hi, long *out)
{
    const char *v = cli_value(a);
    if (!v) return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        cli_usage(a->cmd, "--%s '%s': expected a whole number from %ld to %ld",
                  a->name, v, lo, hi);
        return 0;
    }
    *out = x;
    return 1;
}

int cli_double(cli_args *a, double lo, double hi, double *out)
{
    const char *v = cli_value(a);
    if (!v) return 0;
    double x;
    if (dn_parse_double(v, strlen(v), &x) != 1 || !isfinite(x) || x < lo ||
        x > hi) {
        cli_usage(a->cmd, "--%s '%s': expected a number from %g to %g",
                  a->name, v, lo, hi);
        return 0;
    }
    *out = x;
    return 1;
}

int cli_u64(cli_args *a, uint64_t *out)
{
    const char *v = cli_value(a);
    if (!v) return 0;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-') {
        cli_usage(a->cmd, "--%s '%s': expected a non-negative whole number",
                  a->name, v);
        return 0;
    }
    *out = x;
    return 1;
}

/* `descent cv` parses and trains through train's code: its messages
 * name the command typed. */
static const char *train_as;

void cli_train_as(const char *cmd) { train_as = cmd; }

static const char *shown(const char *cmd)
{
    return train_as && !strcmp(cmd, "train") ? train_as : cmd;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    cmd = shown(cmd);
    fprintf(stderr, "descent %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'descent %s --help')\n", cmd);
    return EXIT_USAGE;
}

int cli_error(const char *cmd, const dn_error *err)
{
    cmd = shown(cmd);
    fprintf(stderr, "descent %s: %s\n", cmd, err->msg);
    return err->code == DN_EARG ? EXIT_USAGE : EXIT_DATA;
}

/* 1 if the open file starts like a gzip stream. */
static int looks_gzip(int fd)
{
    unsigned char b[2] = { 0, 0 };
    return pread(fd, b, 2, 0) == 2 && b[0] == 0x1F && b[1] == 0x8B;
}

void cli_reword(dn_error *err, const char *prefix, const char *suffix)
{
    char msg[3 * sizeof err->msg];
    size_t n = (size_t)snprintf(msg, sizeof msg, "%s%s%s", prefix, err->msg,
                                suffix);
    if (n >= sizeof err->msg) n = sizeof err->msg - 1;
    memcpy(err->msg, msg, n);
    err->msg[n] = 0;
}

/* The labels decide an IDX file's task (classes 0..max label), unless
 * --task says otherwise, as for a CSV; data for a regression model is
 * read as regression too (the other mismatches dn_evaluate names by
 * row). */
static dn_status idx_task(dn_data *d, const char *labels,
                          const dn_csv_opts *copts, const dn_schema *schema,
                          char *why, size_t why_len, dn_error *err)
{
    static const char *says[] = {
        "regression on the label values, identity output with MSE",
        "binary classification, one sigmoid unit with binary cross-entropy",
        "multiclass classification, softmax output with cross-entropy",
    };
    const int forced = !schema && copts && copts->task_set;
    const int K = d->schema->n_classes;
    dn_status st = DN_OK;
    if (forced || (schema && schema->task == DN_TASK_REGRESSION))
        st = dn_data_set_task(d, forced ? copts->task : schema->task, err);
    if (st) {
        char prefix[300];
        snprintf(prefix, sizeof prefix, "%s%s%s%.200s: ", forced ? "--task " : "",
                 forced ? dn_task_name(copts->task) : "", forced ? ": " : "",
                 labels);
        cli_reword(err, prefix, "");
        return st;
    }
    if (why && why_len && (unsigned)d->schema->task <= DN_TASK_MULTICLASS)
        snprintf(why, why_len, "IDX images with labels 0..%d: %s%s", K - 1,
                 says[d->schema->task], forced ? " as --task asks" : "");
    return DN_OK;
}

/* A row cache's rows, all of them, read through the stream reader (it
 * checks every block); encoded as the cache was, so a model's schema
 * must take as many inputs. */
static dn_status load_cache(const char *path, const char *labels,
                            const dn_schema *schema, int need_target,
                            dn_data **out, dn_error *err)
{
    dn_stream *s;
    dn_status st = labels ? DN_EARG : dn_stream_open(path, NULL, &s, err);
    if (labels) {
        snprintf(err->msg, sizeof err->msg, "%s is a descent row cache, which "
                 "holds its targets; drop --labels", path);
        err->code = st;
        return st;
    }
    if (st) return st;
    if (schema && dn_stream_inputs(s) != schema->n_in) {
        st = err->code = DN_EFORMAT;
        snprintf(err->msg, sizeof err->msg, "%s: its rows have %d inputs but "
                 "the model takes %d; convert the data with the model's "
                 "schema (descent convert DATA OUT --schema MODEL)", path,
                 dn_stream_inputs(s), schema->n_in);
    } else if (need_target && !dn_stream_targets(s)) {
        st = err->code = DN_EFORMAT;
        snprintf(err->msg, sizeof err->msg, "%s: the row cache holds no "
                 "targets; convert a file with a target column", path);
    }
    if (!st) st = dn_stream_read(s, 0, (int)dn_stream_rows(s), out, err);
    dn_stream_close(s);
    return st;
}

/* cli_load on inputs opened once (input.c): fd is path's, lfd labels'
 * (-1 without). */
static dn_status load_open(const char *labels_opt, int fd, const char *path,
                           int lfd, const char *labels,
                           const dn_csv_opts *copts,
                           const dn_schema *schema, const char *model,
                           int need_target, dn_data **out, char *why,
                           size_t why_len, dn_error *err)
{
    /* A row cache (descent convert) holds its rows encoded already. */
    if (dn_rowcache_detect_fd(fd))
        return load_cache(path, labels, schema, need_target, out, err);
    /* With --labels, a gzip file whose start does not decompress is a
     * damaged IDX file: let the IDX reader say what is wrong with it. */
    if (dn_idx_detect_fd(fd, path) || (labels && looks_gzip(fd))) {
        if (need_target && !labels) {
            err->code = DN_EARG;
            snprintf(err->msg, sizeof err->msg, "%s is an IDX image file; "
                     "give its labels with %s FILE (e.g. %s)", path,
                     labels_opt, strcmp(labels_opt, "--labels")
                     ? "t10k-labels-idx1-ubyte.gz"
                     : "train-labels-idx1-ubyte.gz");
            return DN_EARG;
        }
        /* Pixels stay bytes: a quarter of the memory (see dn_data). */
        dn_status st = dn_idx_read_u8_fd(fd, path, lfd, labels, out, err);
        if (!st && schema && (*out)->d != schema->n_in) {
            err->code = DN_EFORMAT;
            snprintf(err->msg, sizeof err->msg, "%s: images have %d pixels "
                     "but the model takes %d inputs", path, (*out)->d,
                     schema->n_in);
            dn_data_free(*out);
            *out = NULL;
            return DN_EFORMAT;
        }
        if (st || !(*out)->Y) return st;
        return idx_task(*out, labels, copts, schema, why, why_len, err);
    }
    if (labels) {
        err->code = DN_EARG;
        snprintf(err->msg, sizeof err->msg, "%s is for IDX image files, "
                 "but %s is not one (a CSV carries its target as a column; "
                 "choose it with --target)", labels_opt, path);
        return DN_EARG;
    }
    if (!schema) return dn_csv_read_fd(fd, path, copts, out, why, why_len, err);
    dn_status st = dn_csv_read_with_opts(fd, path, schema, need_target, copts,
                                         out, err);
    if (st == DN_EARG && model) {
        /* Only the schema is refused this way: the model file is at
         * fault, not DATA. */
        char prefix[300], suffix[500];
        snprintf(prefix, sizeof prefix, "%.280s: ", model);
        snprintf(suffix, sizeof suffix, " (%.200s is a CSV); retrain the "
                 "model on a CSV with a header row, or give it encoded inputs "
                 "with dn_predict from C", path);
        cli_reword(err, prefix, suffix);
        err->code = st = DN_EFORMAT;
    }
    return st;
}

dn_status cli_load(const char *path, const char *labels,
                   const dn_csv_opts *copts, const dn_schema *schema,
                   const char *model, int need_target, dn_data **out,
                   char *why, size_t why_len, dn_error *err)
{
    return cli_load_as("--labels", path, labels, copts, schema, model,
                       need_target, out, why, why_len, err);
}

dn_status cli_load_as(const char *labels_opt, const char *path,
                      const char *labels, const dn_csv_opts *copts,
                      const dn_schema *schema, const char *model,
                      int need_target, dn_data **out, char *why,
                      size_t why_len, dn_error *err)
{
    if (why && why_len) why[0] = 0;
    *out = NULL;
    int fd = -1, lfd = -1;
    dn_status st = cli_input_open(path, &fd, err);
    if (!st && labels) st = cli_input_open(labels, &lfd, err);
    if (!st) st = load_open(labels_opt, fd, path, lfd, labels, copts, schema,
                            model, need_target, out, why, why_len, err);
    if (fd >= 0) close(fd);
    if (lfd >= 0) close(lfd);
    return st;
}

const char *cli_thousands(long long v, char *buf, size_t len)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v);
    size_t o = 0;
    if (v < 0 && o + 1 < len) buf[o++] = '-';
    for (int i = 0; i < n && o + 2 < len; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

const char *cli_bytes(double n, char *buf, size_t len)
{
    static const char *unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
    int u = 0;
    while (n >= 1024 && u < 4) n /= 1024, u++;
    dn_snprintf(buf, len, u ? "%.3g %s" : "%.0f %s", n, unit[u]);
    return buf;
}
