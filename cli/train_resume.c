/* train_resume.c — `descent train --resume FILE|auto`: continuing a run
 * from its checkpoint, so that a job re-queued after a crash can run the
 * same command line again and again.
 *
 *   --resume auto   with --checkpoint FILE and the run's arguments:
 *                   resume from FILE when it exists (and belongs to this
 *                   run), start the run when it does not.
 *   --resume FILE   with the run's arguments: they must agree with the
 *                   ones the checkpoint was started with (train_same.c),
 *                   apart from those that change no bit of the result.
 *   --resume FILE   alone (or with --epochs, --threads, ...): the
 *                   arguments come from the checkpoint.  Its output paths
 *                   are then the checkpoint's word, and a checkpoint can be
 *                   written by anyone: outside the checkpoint's own
 *                   directory they are written only with --accept-outputs.
 * A run that had ended (early stopping, convergence, a numeric stop) is
 * not trained on: the resume writes the same model and logs again. */
#define _XOPEN_SOURCE 700  /* realpath */
#include "train.h"
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* argv without --resume X, --resume=X and --accept-outputs (which say how
 * to start, not what the run is); out has room for argc words. */
static int run_words(int argc, char **argv, char **out)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--resume")) { i++; continue; }
        if (!strncmp(argv[i], "--resume=", 9) ||
            !strcmp(argv[i], "--accept-outputs")) continue;
        out[n++] = argv[i];
    }
    return n;
}

/* The stored note split in place into words after "train". */
static int note_words(char *note, char **out)
{
    int n = 0;
    out[n++] = "train";
    for (char *p = note; *note; ) {
        out[n++] = p;
        char *sep = strchr(p, '\x1f');
        if (!sep) break;
        *sep = 0;
        p = sep + 1;
    }
    return n;
}

static int count_words(const char *note)
{
    int n = 2;
    for (; *note; note++) n += *note == '\x1f';
    return n;
}

/* 1 if path lies in dir or below it (both resolved). */
static int inside(const char *dir, const char *path)
{
    char *copy = strdup(path);
    char *real = copy ? realpath(dirname(copy), NULL) : NULL;
    size_t n = strlen(dir);
    int in = real && !strncmp(real, dir, n) && (real[n] == '/' || !real[n]);
    free(real);
    free(copy);
    return in;
}

/* The outputs a checkpoint names, each in the checkpoint's directory
 * unless the user accepted them: 0, or the usage code with a message. */
static int check_outputs(const train_cfg *c, const char *ckpt)
{
    /* (The checkpoint itself is written over ckpt, wherever the stored
     * --checkpoint pointed.) */
    const char *out[] = { c->out, c->history, c->plot, c->tensorboard,
                          c->boundary };
    const char *what[] = { "-o", "--history", "--plot", "--tensorboard",
                           "--boundary" };
    char *copy = strdup(ckpt);
    char *dir = copy ? realpath(dirname(copy), NULL) : NULL;
    free(copy);
    if (!dir) return cli_usage("train", "--resume %s: cannot resolve the "
                               "checkpoint's directory", ckpt);
    int rc = 0;
    for (int i = 0; i < 5 && !rc; i++) {
        if (!out[i] || inside(dir, out[i])) continue;
        if (c->accept_outputs) {
            /* Said even under -q: the user vouched for these paths. */
            fprintf(stderr, "descent train: --accept-outputs: writing %s %s, "
                    "outside the checkpoint's directory %s\n", what[i],
                    out[i], dir);
            continue;
        }
        rc = cli_usage("train", "--resume %s: the checkpoint says to write %s "
                       "%s, outside its directory %s. A checkpoint can come "
                       "from anyone: check the path, then resume with "
                       "--accept-outputs, or give the run's arguments "
                       "again with --resume", ckpt, what[i], out[i], dir);
    }
    free(dir);
    return rc;
}

static void say_outputs(const train_cfg *c)
{
    printf("resume: writes the model %s, checkpoints %s", c->out,
           c->checkpoint);
    if (c->history) printf(", history %s", c->history);
    if (c->plot) printf(", curves %s", c->plot);
    if (c->tensorboard) printf(", TensorBoard events in %s", c->tensorboard);
    if (c->boundary) printf(", decision regions in %s", c->boundary);
    putchar('\n');
}

/* Parses words into c and makes its paths absolute in *note (malloc'd),
 * then parses the note's own words again so that c points into them:
 * two command lines typed in different directories compare alike. */
typedef struct { char *note, *copy, **words; } absolute_words;

static int parse_absolute(int n, char **words, train_cfg *c,
                          absolute_words *w)
{
    int rc = train_parse(n, words, c);
    if (rc) return rc < 0 ? EXIT_USAGE : rc;
    w->note = train_note(n, words, c);
    w->copy = w->note ? strdup(w->note) : NULL;
    w->words = w->copy ? calloc((size_t)count_words(w->copy), sizeof *w->words)
                       : NULL;
    if (!w->words) return EXIT_DATA;
    int k = note_words(w->copy, w->words);
    rc = train_parse(k, w->words, c);
    return rc < 0 ? EXIT_USAGE : rc;
}

int train_resume(int argc, char **argv, train_cfg *now)
{
    const char *path = now->resume;
    char **words = calloc((size_t)argc + 1, sizeof *words);
    if (!words) return EXIT_DATA;
    int nw = run_words(argc, argv, words), rc = 0;
    absolute_words w = { 0 };
    char **old = NULL;
    dn_checkpoint_info info;
    memset(&info, 0, sizeof info);
    train_cfg c, s;

    if (!strcmp(path, "auto")) {
        if (!now->checkpoint || !now->data) {
            rc = cli_usage("train", "--resume auto needs the run's DATA and "
                           "--checkpoint FILE: it resumes from FILE when it "
                           "exists and starts the run when it does not");
            goto out;
        }
        path = now->checkpoint;
        if (access(path, F_OK) && errno == ENOENT) {
            if (!now->quiet)
                printf("resume: no checkpoint at %s yet: starting the run\n",
                       path);
            if (!(rc = parse_absolute(nw, words, &c, &w)))
                rc = train_run(&c, w.note);
            goto out;
        }
    }
    dn_error err;
    if (dn_checkpoint_read_info(path, &info, &err)) {
        rc = cli_error("train", &err);
        goto out;
    }
    old = calloc((size_t)count_words(info.note) + (size_t)nw, sizeof *old);
    if (!old) { rc = EXIT_DATA; goto out; }
    const int no = note_words(info.note, old);
    if ((rc = train_parse(no, old, &s))) { rc = rc < 0 ? EXIT_USAGE : rc; goto out; }

    char name[64], va[1024], vb[1024];
    if (now->data) {
        /* The run's arguments again: each must agree with the stored. */
        if ((rc = parse_absolute(nw, words, &c, &w))) goto out;
        if (train_cfg_diff(&s, &c, name, sizeof name, va, vb, sizeof va)) {
            rc = cli_usage("train", "--resume %s: %s was %s when this run "
                           "started and is %s now. Give the run's own "
                           "arguments, or 'descent train --resume %s' alone "
                           "to take them from the checkpoint, or start a new "
                           "run with another --checkpoint", path, name, va,
                           vb, path);
            goto out;
        }
    } else {
        /* The checkpoint's arguments, then those given now. */
        int n = no;
        for (int i = 1; i < nw; i++) old[n++] = words[i];
        if ((rc = parse_absolute(n, old, &c, &w))) goto out;
        if (train_cfg_diff(&s, &c, name, sizeof name, va, vb, sizeof va)) {
            rc = cli_usage("train", "--resume %s: %s was %s when this run "
                           "started; %s would make another run. A resume may "
                           "change only --epochs, --threads, --checkpoint-every "
                           "and what is printed", path, name, va, vb);
            goto out;
        }
        c.accept_outputs = now->accept_outputs;
        if ((rc = check_outputs(&c, path))) goto out;
    }
    c.checkpoint = path;
    c.t.resume = path;
    c.resume_finished = info.stopped || info.epoch >= c.t.epochs;
    if (!c.quiet) {
        if (c.resume_finished)
            printf("resume: %s: the run had ended after %d epochs (%s); "
                   "writing its result again without training\n", path,
                   info.epoch, dn_stop_name(info.stopped ? info.reason
                                                         : DN_STOP_EPOCHS));
        else
            printf("resume: %s: %d epochs and %ld steps done, continuing with "
                   "the data and options it was started with\n", path,
                   info.epoch, info.steps);
        say_outputs(&c);
    }
    rc = train_run(&c, w.note);
out:
    free(words);
    free(old);
    free(w.note);
    free(w.copy);
    free(w.words);
    dn_checkpoint_info_free(&info);
    return rc < 0 ? EXIT_OK : rc;
}
