/* train_regions.c — `descent train ... --boundary DIR`: the decision
 * regions as they form.  Before the first epoch and after every N-th
 * one, a frame of the model's regions over the training rows
 * (dn_boundary_frame) is written to DIR/epoch-NNNN.svg; at the end, all
 * of them play in DIR/regions.svg (dn_boundary_save_animation).  As with
 * the other logs, a frame that cannot be written is reported once and
 * the frames stop; training goes on.
 *
 * The frames go into every checkpoint (dn_train_opts.keep: they are
 * regions of weights that a resumed run no longer has), and a resumed
 * run starts from the checkpoint's frames instead of drawing frame 0:
 * its animation is the one of a run never stopped, byte for byte. */
#include "train.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FRAME_GRID 60     /* cells per side: fine enough, small files */
#define FRAME_SECONDS 0.4 /* each frame's time in the animation */

struct train_regions {
    dn_boundary *b;
    const char  *dir;
    int          every, epochs;  /* a frame every N epochs, and the last */
    int          failed;
};

int train_regions_every(const train_cfg *c)
{
    /* About 50 frames over the run unless told. */
    return c->boundary_every > 0 ? c->boundary_every
         : c->t.epochs > 50 ? (c->t.epochs + 49) / 50 : 1;
}

/* One frame of m after `epoch` epochs, and its file. */
static dn_status frame(train_regions *r, const dn_model *m, int epoch,
                       dn_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/epoch-%04d.svg", r->dir, epoch);
    dn_status st = dn_boundary_frame(r->b, m, epoch, err);
    return st ? st : dn_boundary_save(r->b, path, err);
}

/* The frames a checkpoint keeps, into r.  A checkpoint written before
 * descent kept them (version 4 and older) holds none: the animation then
 * has the initial regions (m's weights before training) and those after
 * the resume, as the warning says. */
static dn_status resumed(const char *path, train_regions *r,
                         const dn_model *m, dn_error *err)
{
    dn_checkpoint_info info;
    dn_status st = dn_checkpoint_read_info(path, &info, err);
    if (st) return st;
    if (info.keep_len && (st = dn_boundary_unpack(r->b, info.keep,
                                                  info.keep_len, err))) {
        char prefix[4200];
        snprintf(prefix, sizeof prefix, "--resume %s: its --boundary "
                 "frames: ", path);
        cli_reword(err, prefix, "");
    } else if (!info.keep_len) {
        fprintf(stderr, "descent train: warning: --boundary: %s holds no "
                "frames (an older descent wrote it): the animation has the "
                "regions of epoch 0 and of the epochs after %d only\n", path,
                info.epoch);
        st = frame(r, m, 0, err);
    }
    dn_checkpoint_info_free(&info);
    return st;
}

int train_regions_open(const train_cfg *c, const dn_model *m,
                       const dn_data *train, train_regions **out)
{
    *out = NULL;
    if (!c->boundary) return 0;
    dn_error err;
    if (dn_boundary_check(m, &err))
        return cli_usage("train", "--boundary: %s", err.msg);
    struct stat st;
    if (mkdir(c->boundary, 0777) && errno != EEXIST) {
        fprintf(stderr, "descent train: --boundary: cannot create the "
                "directory '%s': %s; give a directory whose parent exists\n",
                c->boundary, strerror(errno));
        return EXIT_DATA;
    }
    if (stat(c->boundary, &st) || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "descent train: --boundary: '%s' is not a directory; "
                "give a directory for the frames\n", c->boundary);
        return EXIT_DATA;
    }
    train_regions *r = calloc(1, sizeof *r);
    if (!r) {
        fputs("descent train: out of memory\n", stderr);
        return EXIT_DATA;
    }
    dn_boundary_opts o;
    dn_boundary_defaults(&o);
    o.grid = FRAME_GRID;
    /* The data's file name: a resumed run knows its paths made absolute
     * (the checkpoint's note), and its frames must be the first run's. */
    const char *slash = strrchr(c->data, '/');
    o.title = slash ? slash + 1 : c->data;
    r->dir = c->boundary;
    r->every = train_regions_every(c);
    r->epochs = c->t.epochs;
    /* Epoch 0, the initial weights' regions: a frame that cannot be
     * written fails here, before training.  A resumed run has its frames
     * up to the checkpoint from the checkpoint. */
    if (dn_boundary_new(m, train, &o, &r->b, &err) ||
        (c->t.resume ? resumed(c->t.resume, r, m, &err)
                     : frame(r, m, 0, &err))) {
        train_regions_close(r, 1);
        return cli_error("train", &err);
    }
    *out = r;
    return 0;
}

dn_status train_regions_keep(void *user, const void **bytes, size_t *len,
                             dn_error *err)
{
    train_regions *r = user;
    *bytes = NULL;
    *len = 0;
    return r ? dn_boundary_pack(r->b, bytes, len, err) : DN_OK;
}

void train_regions_epoch(train_regions *r, const dn_model *m, int epoch)
{
    if (!r || r->failed || (epoch % r->every && epoch != r->epochs)) return;
    dn_error err;
    if (frame(r, m, epoch, &err)) {
        fprintf(stderr, "descent train: warning: %s; training goes on "
                "without --boundary frames\n", err.msg);
        r->failed = 1;
    }
}

void train_regions_close(train_regions *r, int quiet)
{
    if (!r) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/regions.svg", r->dir);
    dn_error err;
    int n = dn_boundary_frames(r->b);
    if (n > 1 && dn_boundary_save_animation(r->b, FRAME_SECONDS, path, &err))
        fprintf(stderr, "descent train: warning: %s\n", err.msg);
    else if (n > 1 && !quiet)
        dn_fprintf(stdout, "regions: %d frames in %s/epoch-*.svg, played in "
                   "%s (%gs a frame)\n", n, r->dir, path, FRAME_SECONDS);
    dn_boundary_free(r->b);
    free(r);
}
