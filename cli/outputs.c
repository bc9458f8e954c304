/* outputs.c — every output is checked before anything is written or
 * computed: no output may be an input or another output (by device and
 * inode, so "./m.st", an absolute path, a symbolic or a hard link are
 * caught as well as the same spelling), and each must be writable where
 * it is (dn_atomic_check: the directory, the file's type and
 * permissions, the name's length).  A run of hours must not end in
 * "cannot write", nor overwrite its own data with a model. */
/* realpath is an X/Open extension to glibc's headers. */
#define _XOPEN_SOURCE 700
#include "train.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a path names: an existing regular file or directory by device
 * and inode; a file still to be created by its resolved directory and
 * its name.  A terminal, a pipe or /dev/null is nothing to overwrite
 * (it is written into, never replaced), so as an output it names
 * nothing; as an input it is a stream (its device and inode), which
 * gives its bytes once: two inputs that are one stream are refused. */
typedef struct {
    int   kind;      /* 0 nothing comparable, 1 dev/ino, 2 name,
                        3 a stream's dev/ino (inputs only) */
    dev_t dev;
    ino_t ino;
    char *name;
} ident;

static void identify(const char *path, ident *id)
{
    struct stat sb;
    memset(id, 0, sizeof *id);
    if (stat(path, &sb) == 0) {
        id->kind = S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode) ? 1 : 3;
        id->dev = sb.st_dev;
        id->ino = sb.st_ino;
        return;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[PATH_MAX];
    size_t n = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 0;
    if (n >= sizeof dir) return;
    if (!slash) strcpy(dir, ".");
    else {
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    char *real = realpath(dir, NULL);
    if (!real) return;   /* its directory is missing: dn_atomic_check says so */
    id->name = malloc(strlen(real) + strlen(base) + 2);
    if (id->name) {
        sprintf(id->name, "%s/%s", real, base);
        id->kind = 2;
    }
    free(real);
}

/* streams: 1 when both are inputs, for which one stream read twice is
 * a collision too. */
static int same(const ident *a, const ident *b, int streams)
{
    if (a->kind != b->kind || !a->kind || (a->kind == 3 && !streams))
        return 0;
    return a->kind != 2 ? a->dev == b->dev && a->ino == b->ino
                        : !strcmp(a->name, b->name);
}

int cli_same_file(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    if (!strcmp(a, b)) return 1;
    ident x, y;
    identify(a, &x);
    identify(b, &y);
    int r = same(&x, &y, 0);
    free(x.name);
    free(y.name);
    return r;
}

int cli_files_check(const char *cmd, const cli_file *f, int n)
{
    ident *id = calloc((size_t)n + 1, sizeof *id);
    if (!id) {
        fprintf(stderr, "descent %s: out of memory\n", cmd);
        return EXIT_DATA;
    }
    for (int i = 0; i < n; i++)
        if (f[i].path) identify(f[i].path, &id[i]);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        for (int j = i + 1; j < n && !rc; j++) {
            const int inputs = !f[i].out && !f[j].out;
            if (!f[i].path || !f[j].path || !same(&id[i], &id[j], inputs))
                continue;
            if (inputs) {
                /* Two inputs may be one file, not one pipe: the first
                 * read would take all it gives (a FIFO opened again
                 * would wait for ever). */
                if (id[i].kind == 3)
                    rc = cli_usage(cmd, "%s '%s' and %s '%s' are the same "
                                   "pipe or device, which gives its bytes "
                                   "once; save them to a file and give that "
                                   "twice, or give each its own", f[i].opt,
                                   f[i].path, f[j].opt, f[j].path);
                continue;
            }
            /* Two outputs in the order given, or the output and the input. */
            const cli_file *o = f[i].out && f[j].out ? &f[i]
                              : f[j].out ? &f[j] : &f[i];
            const cli_file *x = o == &f[i] ? &f[j] : &f[i];
            rc = x->out
                ? cli_usage(cmd, "%s '%s' and %s '%s' are the same file; "
                            "give each output its own name", o->opt,
                            o->path, x->opt, x->path)
                : cli_usage(cmd, "%s '%s' is the %s itself ('%s'): writing "
                            "it would destroy it; give the output another "
                            "name", o->opt, o->path, x->opt, x->path);
        }
    for (int i = 0; i < n && !rc; i++) {
        dn_error err;
        if (f[i].path && f[i].out && f[i].what &&
            dn_atomic_check(f[i].path, f[i].what, &err))
            rc = cli_error(cmd, &err);
    }
    for (int i = 0; i < n; i++) free(id[i].name);
    free(id);
    return rc;
}

int train_check_files(const train_cfg *c)
{
    /* The checkpoint written on an interrupt, named as cmd_train.c names
     * it when --checkpoint is not given. */
    char ckpt[PATH_MAX + 8];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", c->out);
    /* A resumed run writes its checkpoint over the one it resumed from:
     * that file is an input, and its other outputs must differ from it. */
    const int resuming = c->t.resume != NULL;
    cli_file f[] = {
        { "DATA", c->data, 0, NULL },
        { "--labels", c->labels, 0, NULL },
        { "--val-data", c->val_data, 0, NULL },
        { "--val-labels", c->val_labels, 0, NULL },
        { "--warm-start", c->warm, 0, NULL },
        { "--resume", c->t.resume, 0, NULL },
        { "-o", c->out, 1, "model" },
        { "--history", c->history, 1, "history" },
        { "--plot", c->plot, 1, "plot" },
        { "--tensorboard", c->tensorboard, 1, NULL },
        { "--boundary", c->boundary, 1, NULL },
        { c->checkpoint ? "--checkpoint" : "the checkpoint (-o's name with "
          ".ckpt)", resuming ? NULL : c->checkpoint ? c->checkpoint : ckpt,
          1, "checkpoint" },
    };
    return cli_files_check("train", f, (int)(sizeof f / sizeof f[0]));
}

int cli_save_model(const char *cmd, const dn_model *m, const char *path)
{
    dn_error err, ferr;
    if (!dn_model_save(m, path, &err)) return 0;
    /* The work of the run is in m alone: put it somewhere safe. */
    const char *dir = getenv("TMPDIR");
    char rescue[PATH_MAX];
    snprintf(rescue, sizeof rescue, "%s/descent-rescued-%ld.safetensors",
             dir && *dir ? dir : "/tmp", (long)getpid());
    if (dn_model_save(m, rescue, &ferr)) {
        fprintf(stderr, "descent %s: %s; saving it to %s instead failed "
                "too: %s\n", cmd, err.msg, rescue, ferr.msg);
        return EXIT_DATA;
    }
    fprintf(stderr, "descent %s: %s; the model was saved to %s instead: "
            "move it where it belongs\n", cmd, err.msg, rescue);
    return EXIT_DATA;
}
