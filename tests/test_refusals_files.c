/* test_refusals_files.c — the files a run writes, refused with their
 * exact messages: the atomic writer's targets, TensorBoard directories,
 * histories. */
#include "refusals.h"
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

/* ---- the atomic writer ---- */

static int fill_text(FILE *f, void *arg)
{
    return fputs(arg, f) < 0 ? -1 : 0;
}

/* A fill that abandons its own temporary file, as the second Ctrl-C's
 * handler does: the write fails and the target is untouched. */
static int fill_abandon(FILE *f, void *arg)
{
    (void)arg;
    fputs("half", f);
    dn_atomic_abandon();
    return 0;
}

/* A fill that, half way through, writes another file whose fill
 * abandons: two writes in flight at once (as two threads saving), and
 * abandon must remove both temporary files, not the last one alone. */
static int fill_nested(FILE *f, void *arg)
{
    fputs("half", f);
    dn_error e2;
    *(dn_status *)arg = dn_atomic_write(at("inner.txt"), "note", fill_abandon,
                                        NULL, &e2);
    return 0;
}

static void atomic_refusals(void)
{
    put("keep2.txt", "old\n", 4);
    dn_status inner = DN_OK;
    CHECK(dn_atomic_write(at("keep2.txt"), "note", fill_nested, &inner,
                          &err) == DN_EIO && inner == DN_EIO,
          "two writes in flight, then abandon: the outer write returned %s",
          err.msg);
    char *k2 = check_slurp(at("keep2.txt"), NULL);
    CHECK(k2 && !strcmp(k2, "old\n") && access(at("inner.txt"), F_OK) != 0,
          "after abandoning two writes the target holds '%s'",
          k2 ? k2 : "(none)");
    free(k2);

    put("keep.txt", "old\n", 4);
    CHECK(dn_atomic_write(at("keep.txt"), "note", fill_abandon, NULL, &err) ==
          DN_EIO && strstr(err.msg, "cannot write the note to '") &&
          strstr(err.msg, "(the old file, if any, is unchanged)"), "%s", err.msg);
    char *k = check_slurp(at("keep.txt"), NULL);
    CHECK(k && !strcmp(k, "old\n"), "the target holds '%s'", k ? k : "(none)");
    free(k);
    dn_atomic_abandon();   /* nothing in flight: nothing happens */
    CHECK(access(at("keep.txt"), F_OK) == 0, "abandon removed the target");

    REFUSE(dn_atomic_check("", "model", &err), DN_EARG,
           "no file name given for the model");
    REFUSE(dn_atomic_write(NULL, "model", fill_text, "x", &err), DN_EARG,
           "no file name given for the model");
    CHECK(symlink("nowhere/at/all", at("dangling")) == 0, "symlink: %s",
          strerror(errno));
    REFUSE(dn_atomic_check(at("dangling"), "model", &err), DN_EIO,
           "it is a symbolic link to a file that cannot be reached (No such "
           "file or directory); fix or remove the link");
    REFUSE(dn_atomic_check(at("keep.txt/m.st"), "model", &err), DN_EIO,
           "keep.txt/m.st': Not a directory");
    char name[300];
    memset(name, 'n', 256);
    name[256] = 0;
    REFUSE(dn_atomic_check(at(name), "history", &err), DN_EIO,
           "File name too long");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", at("sock"));
    CHECK(s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof sa) == 0,
          "socket: %s", strerror(errno));
    REFUSE(dn_atomic_check(at("sock"), "plot", &err), DN_EIO,
           "it is not a regular file (a block device or a socket)");
    if (s >= 0) close(s);
    /* A link to a file is followed: the file is replaced, the link kept. */
    CHECK(symlink("keep.txt", at("link")) == 0, "symlink: %s", strerror(errno));
    CHECK(dn_atomic_write(at("link"), "note", fill_text, "new\n", &err) == DN_OK,
          "%s", err.msg);
    struct stat sb;
    k = check_slurp(at("keep.txt"), NULL);
    CHECK(k && !strcmp(k, "new\n") && lstat(at("link"), &sb) == 0 &&
          S_ISLNK(sb.st_mode), "through a link: '%s'", k ? k : "(none)");
    free(k);
}

/* ---- TensorBoard directories ---- */

static void tensorboard_refusals(void)
{
    dn_events *ev = (dn_events *)1;
    REFUSE(dn_events_open("", &ev, &err), DN_EARG,
           "no directory given for the TensorBoard event file");
    CHECK(ev == NULL, "a refused open left *out set");
    dn_tboard *tb = (dn_tboard *)1;
    REFUSE(dn_tboard_open(NULL, &tb, &err), DN_EARG,
           "no TensorBoard log directory given");
    CHECK(tb == NULL, "a refused open left *out set");
    /* /proc exists and takes no new file, even from root */
    REFUSE(dn_events_open("/proc", &ev, &err), DN_EIO,
           "cannot create the TensorBoard event file '/proc/events.out.tfevents.");
    REFUSE(dn_tboard_open(at("keep.txt"), &tb, &err), DN_EIO,
           "cannot create the TensorBoard directory '");
}

/* ---- histories ---- */

static void history_refusals(void)
{
    dn_history h;
    dn_history_init(&h, "acc,uracy");
    dn_hist_row r = { .epoch = 1, .step = 10, .train_loss = 0.5,
                      .val_loss = NAN, .train_metric = 0.9, .val_metric = NAN,
                      .learning_rate = 0.1, .grad_norm = 2, .seconds = 0.01 };
    CHECK(dn_history_add(&h, &r, &err) == DN_OK, "%s", err.msg);
    REFUSE(dn_history_save(&h, at("h.csv"), &err), DN_EARG, "the metric name "
           "'acc,uracy' would break the CSV header; use letters, digits and '_'");
    CHECK(access(at("h.csv"), F_OK) != 0, "a refused history was written");
    dn_history_free(&h);

    /* "inf" and "-inf" cells are read as themselves */
    const char *inf = "epoch,step,train_loss,val_loss,train_mae,val_mae,"
                      "learning_rate,grad_norm,seconds\n1,4,inf,-inf,1,2,0.1,inf,0\n";
    put("inf.csv", inf, strlen(inf));
    CHECK(dn_history_load(at("inf.csv"), &h, &err) == DN_OK && h.n == 1 &&
          h.row[0].train_loss == INFINITY && h.row[0].val_loss == -INFINITY &&
          h.row[0].grad_norm == INFINITY && !strcmp(h.metric, "mae"),
          "%s", err.msg);
    dn_history_free(&h);
    /* 65 columns */
    char wide[1024] = "epoch,step,train_loss";
    for (int i = 0; i < 62; i++) strcat(wide, ",x");
    strcat(wide, "\n");
    put("wide.csv", wide, strlen(wide));
    REFUSE(dn_history_load(at("wide.csv"), &h, &err), DN_EFORMAT,
           "wide.csv:1: the header has 65 columns; a history has 11");
    /* a line of 5000 characters */
    char *longline = malloc(6000);
    strcpy(longline, "epoch,step,train_loss,val_loss,train_mae,val_mae,"
           "learning_rate,grad_norm,seconds\n1,1,");
    size_t n = strlen(longline);
    memset(longline + n, '1', 5000);
    longline[n + 5000] = '\n';
    put("long.csv", longline, n + 5001);
    free(longline);
    REFUSE(dn_history_load(at("long.csv"), &h, &err), DN_EFORMAT,
           "long.csv:2: line longer than 4094 characters; is this a history CSV?");
    /* a directory opens but does not read */
    REFUSE(dn_history_load(dir, &h, &err), DN_EIO, "cannot read the history '");
    CHECK(strstr(err.msg, "Is a directory"), "%s", err.msg);
}

CHECK_MAIN("test_refusals_files", dir,
           CHECK_CASE(atomic_refusals), CHECK_CASE(tensorboard_refusals),
           CHECK_CASE(history_refusals))
