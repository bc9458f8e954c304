/* train_note.c — the command line a checkpoint keeps, so that `descent
 * train --resume CKPT` rebuilds the same run from any directory.
 *
 * The words are stored as typed, except the paths: a relative path means
 * nothing once the working directory has changed, so each is stored as
 * it resolves now.  Inputs (DATA, --labels, --val-data, --val-labels,
 * --warm-start) through realpath, since they exist; outputs (-o,
 * --checkpoint, --history, --tensorboard, --plot) joined to the working
 * directory, since they may not exist yet.  A model saved to the
 * default name gets an explicit -o, so that it lands where the first
 * run would have put it.  Checkpoints written before paths were stored
 * this way hold the words as typed: they resume as they always did,
 * from the directory they were started in. */
/* realpath is an X/Open extension to glibc's headers. */
#define _XOPEN_SOURCE 700
#include "train.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The working directory in a malloc'd string, or NULL. */
static char *cwd_now(void)
{
    for (size_t n = 256; n <= 1u << 20; n *= 2) {
        char *b = malloc(n);
        if (!b) return NULL;
        if (getcwd(b, n)) return b;
        free(b);
        if (errno != ERANGE) return NULL;
    }
    return NULL;
}

/* The first pre bytes of word (an option's "--name="), then path made
 * absolute, malloc'd: an input through realpath when it resolves, else
 * joined to cwd (when there is one). */
static char *absolute(const char *word, size_t pre, const char *path,
                      int input, const char *cwd)
{
    char *real = input ? realpath(path, NULL) : NULL;
    const char *dir = path[0] == '/' || real || !cwd ? "" : cwd;
    const char *p = real ? real : path;
    size_t n = pre + strlen(dir) + 1 + strlen(p) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%.*s%s%s%s", (int)pre, word, dir, *dir ? "/" : "",
                    p);
    free(real);
    return s;
}

/* The paths of c: where in the command line each value came from is
 * known by pointer, since train_parse keeps pointers into argv. */
typedef struct { const char *value; int input; } path_opt;

static int paths_of(const train_cfg *c, path_opt *p)
{
    const path_opt all[] = {
        { c->data, 1 }, { c->labels, 1 }, { c->val_data, 1 },
        { c->val_labels, 1 }, { c->warm, 1 }, { c->out, 0 },
        { c->checkpoint, 0 }, { c->history, 0 }, { c->tensorboard, 0 },
        { c->plot, 0 }, { c->boundary, 0 },
    };
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i].value && *all[i].value)
            p[n++] = all[i];
    return n;
}

/* argv[1..] joined by \x1f, with the paths made absolute. */
char *train_note(int argc, char **argv, const train_cfg *c)
{
    path_opt p[11];
    int np = paths_of(c, p), out_given = 0, fail = 0;
    char *cwd = cwd_now();
    /* Word 0 is "-o", word 1 the default model path, when -o was not given. */
    char **w = calloc((size_t)argc + 2, sizeof *w);
    if (!w) { free(cwd); return NULL; }
    int nw = 2;
    for (int i = 1; i < argc && !fail; i++) {
        const char *eq = strchr(argv[i], '=');
        int k = 0;
        /* "--opt VALUE" and DATA are the whole word; "--opt=VALUE" its tail. */
        while (k < np && p[k].value != argv[i] && !(eq && p[k].value == eq + 1))
            k++;
        if (k == np) { w[nw++] = strdup(argv[i]); fail = !w[nw - 1]; continue; }
        size_t pre = p[k].value == argv[i] ? 0 : (size_t)(eq + 1 - argv[i]);
        w[nw++] = absolute(argv[i], pre, p[k].value, p[k].input, cwd);
        fail = !w[nw - 1];
        if (p[k].value == c->out) out_given = 1;
    }
    int first = 2;
    if (!out_given && !fail) {
        first = 0;
        w[0] = strdup("-o");
        w[1] = absolute("", 0, c->out, 0, cwd);
        fail = !w[0] || !w[1];
    }
    size_t len = 1;
    for (int i = first; i < nw && !fail; i++) len += strlen(w[i]) + 1;
    char *s = fail ? NULL : malloc(len), *q = s;
    for (int i = first; s && i < nw; i++) {
        size_t n = strlen(w[i]);
        memcpy(q, w[i], n);
        q += n;
        if (i + 1 < nw) *q++ = '\x1f';
    }
    if (s) *q = 0;
    for (int i = 0; i < nw; i++) free(w[i]);
    free(w);
    free(cwd);
    return s;
}
