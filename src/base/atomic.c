/* atomic.c — every file descent writes is written the same way: into a
 * temporary file beside the target, flushed and synced, then renamed
 * over it.  A crash at any moment leaves the old file or the new one,
 * never a torn one; a failed write leaves no partial file.
 *
 * What the rename replaces is decided from lstat(), not stat(): a
 * symbolic link is followed to the file it names (the link stays a
 * link), and what is not a regular file — a terminal, /dev/null, a pipe,
 * /dev/stdout — is written into directly, never replaced by a file
 * (as root, a rename over /dev/stdout would have put a regular file in
 * its place). */
/* realpath() is XSI. */
#define _XOPEN_SOURCE 700
#include "base/base.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary files being written, so that a signal handler can
 * remove them before the process ends (dn_atomic_abandon).  One slot per
 * writer: the library may save models on several threads at once, and
 * one shared name would be overwritten by the second and cleared by the
 * first to finish while the other's file is still being written.  A
 * writer claims a free slot (`busy`), writes the name, then says so
 * (`set`); the handler reads only slots whose `set` it sees.  Lock-free
 * atomics, so the handler may read them.  A name too long for a slot, or
 * a writer past the last slot, is not registered (the file is then
 * left behind by a signal, as any program's would be). */
enum { INFLIGHT_SLOTS = 16 };
static struct {
    atomic_int busy, set;
    char name[4096];
} inflight[INFLIGHT_SLOTS];

void dn_atomic_abandon(void)
{
    for (int i = 0; i < INFLIGHT_SLOTS; i++)
        if (atomic_exchange(&inflight[i].set, 0))
            unlink(inflight[i].name);   /* async-signal-safe */
}

/* Registers tmp; the slot's index, or -1 when none is taken. */
static int inflight_add(const char *tmp)
{
    if (strlen(tmp) >= sizeof inflight[0].name) return -1;
    for (int i = 0; i < INFLIGHT_SLOTS; i++) {
        int free_ = 0;
        if (atomic_compare_exchange_strong(&inflight[i].busy, &free_, 1)) {
            strcpy(inflight[i].name, tmp);
            atomic_store(&inflight[i].set, 1);
            return i;
        }
    }
    return -1;
}

static void inflight_drop(int i)
{
    if (i < 0) return;
    atomic_store(&inflight[i].set, 0);
    atomic_store(&inflight[i].busy, 0);
}

/* Where the bytes go: `file` is replaced by a rename (a regular file, or
 * none yet), or written into as it is when `straight`. */
typedef struct {
    char       *file;     /* the path itself, or the regular file a link names */
    int         straight; /* a device or a pipe: open and write, no rename */
    int         exists;   /* `old` is the file being replaced */
    struct stat old;
} target;

/* The directory part of path ("." for none, "/" for the root);
 * malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return dn_strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = 0;
    }
    return d;
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static long name_max(const char *dir)
{
    long n = pathconf(dir, _PC_NAME_MAX);
    return n > 0 ? n : 255;
}

#define CANNOT "cannot write the %s to '%s': "

/* Decides what writing path means, from lstat(), and refuses what must
 * not be written: a directory, a block device or socket, a dangling
 * link, a write-protected file (even as root, who may write anything:
 * no write bit at all says "keep this", as the shell's rm asks before
 * removing it). */
static dn_status resolve(const char *path, const char *what, target *t,
                         dn_error *err)
{
    memset(t, 0, sizeof t[0]);
    struct stat sb;
    int linked = 0;
    if (lstat(path, &sb) != 0) {
        if (errno != ENOENT)
            return dn_fail(err, DN_EIO, CANNOT "%s", what, path,
                           strerror(errno));
        t->file = dn_strdup(path);      /* a new file */
        return t->file ? DN_OK : dn_fail(err, DN_ENOMEM, "out of memory");
    }
    if (S_ISLNK(sb.st_mode)) {
        linked = 1;
        if (stat(path, &sb) != 0)
            return dn_fail(err, DN_EIO, CANNOT "it is a symbolic link to a "
                           "file that cannot be reached (%s); fix or remove "
                           "the link", what, path, strerror(errno));
    }
    t->old = sb;
    if (S_ISDIR(sb.st_mode))
        return dn_fail(err, DN_EIO, CANNOT "it is a directory; give the "
                       "name of a file", what, path);
    if (S_ISBLK(sb.st_mode) || S_ISSOCK(sb.st_mode))
        return dn_fail(err, DN_EIO, CANNOT "it is not a regular file (a "
                       "block device or a socket); give the name of a file",
                       what, path);
    if (!S_ISREG(sb.st_mode)) {
        /* A terminal, a pipe, /dev/null, /dev/stdout: written into. */
        t->straight = 1;
        t->file = dn_strdup(path);
        return t->file ? DN_OK : dn_fail(err, DN_ENOMEM, "out of memory");
    }
    if (!(sb.st_mode & 0222))
        return dn_fail(err, DN_EIO, CANNOT "the file is write-protected "
                       "(mode %04o); make it writable (chmod u+w) or remove "
                       "it first", what, path, (unsigned)(sb.st_mode & 07777));
    if (access(path, W_OK) != 0)
        return dn_fail(err, DN_EIO, CANNOT "%s; make it writable or give "
                       "another name", what, path, strerror(errno));
    t->exists = 1;
    /* A link's file is replaced in its own directory; the link stays. */
    t->file = linked ? realpath(path, NULL) : dn_strdup(path);
    if (!t->file && (!linked || errno == ENOMEM))
        return dn_fail(err, DN_ENOMEM, "out of memory");
    if (!t->file)  /* cov: stat() has just followed the link; realpath fails only if it changes meanwhile */
        return dn_fail(err, DN_EIO, CANNOT "cannot follow the symbolic "  /* cov: as above */
                       "link: %s", what, path, strerror(errno));
    return DN_OK;
}

/* The temporary file's name: "FILE.tmp.PID" beside the file, with the
 * file's own name cut short when the suffix would push it past the
 * longest name the directory takes (a legal 255-byte name stays legal).
 * malloc'd, NULL if out of memory. */
static char *tmp_name(const char *file)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
    char *dir = dir_of(file);
    if (!dir) return NULL;
    const char *base = base_of(file);
    size_t keep = strlen(base), room = (size_t)name_max(dir) - strlen(suffix);
    free(dir);
    if (keep > room) keep = room;
    size_t head = (size_t)(base - file);
    char *tmp = malloc(head + keep + strlen(suffix) + 1);
    if (!tmp) return NULL;
    memcpy(tmp, file, head + keep);
    strcpy(tmp + head + keep, suffix);
    return tmp;
}

/* Checks the directory a new or replaced file goes into. */
static dn_status check_dir(const char *path, const char *what,
                           const target *t, dn_error *err)
{
    char *dir = dir_of(t->file);
    if (!dir) return dn_fail(err, DN_ENOMEM, "out of memory");
    struct stat sb;
    dn_status st = DN_OK;
    if (stat(dir, &sb) != 0)
        st = dn_fail(err, DN_EIO, CANNOT "the directory '%s': %s; create it "
                     "or give another path", what, path, dir, strerror(errno));
    /* cov: lstat(path) fails first (ENOTDIR, ENAMETOOLONG) on the next
     * two; they stand for a directory replaced in between */
    else if (!S_ISDIR(sb.st_mode))  /* cov: lstat() fails first */
        st = dn_fail(err, DN_EIO, CANNOT "'%s' is not a directory", what,  /* cov: lstat() fails first */
                     path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        st = dn_fail(err, DN_EIO, CANNOT "the directory '%s' is not "
                     "writable (%s); give a path in a writable directory",
                     what, path, dir, strerror(errno));
    else if ((long)strlen(base_of(t->file)) > name_max(dir))  /* cov: lstat() fails first */
        st = dn_fail(err, DN_EIO, CANNOT "the name is longer than the %ld "  /* cov: lstat() fails first */
                     "bytes a file name may have; give a shorter one", what,
                     path, name_max(dir));
    free(dir);
    return st;
}

/* Everything that can be known before writing: what path means and,
 * for a file to create or replace, its directory. */
static dn_status prepare(const char *path, const char *what, target *t,
                         dn_error *err)
{
    if (!path || !*path) {
        memset(t, 0, sizeof t[0]);
        return dn_fail(err, DN_EARG, "no file name given for the %s", what);
    }
    dn_status st = resolve(path, what, t, err);
    if (!st && !t->straight) st = check_dir(path, what, t, err);
    return st;
}

dn_status dn_atomic_check(const char *path, const char *what, dn_error *err)
{
    target t;
    dn_status st = prepare(path, what, &t, err);
    free(t.file);
    return st;
}

/* After the rename, sync the directory so that the new name itself
 * survives a crash.  Best effort: the file is already complete. */
static void sync_dir(const char *path)
{
    char *dir = dir_of(path);
    int fd = open(dir ? dir : ".", O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* fill() into f, flushed; an errno or 0.  f is closed. */
static int fill_close(FILE *f, dn_write_fn fill, void *arg, int sync)
{
    errno = 0;
    int e = fill(f, arg) ? (errno ? errno : EIO) : 0;
    if (!e && fflush(f)) e = errno ? errno : EIO;
    if (!e && sync && fsync(fileno(f))) e = errno ? errno : EIO;
    if (fclose(f) && !e) e = errno ? errno : EIO;
    return e;
}

/* A device or a pipe: opened as it is (no O_CREAT, no O_TRUNC) and
 * written; an errno or 0. */
static int write_straight(const char *file, dn_write_fn fill, void *arg)
{
    /* Whatever the caller has buffered for the same terminal or pipe
     * (stdout) comes first. */
    fflush(NULL);
    int fd = open(file, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return errno;
    FILE *f = fdopen(fd, "wb");
    if (!f) {  /* cov: fdopen fails only when libc's malloc does, unseen by the wrapper */
        int e = errno;  /* cov: as above */
        close(fd);  /* cov: as above */
        return e;  /* cov: as above */
    }
    return fill_close(f, fill, arg, 0);
}

/* Writes the temporary file, with the replaced file's mode and (as root)
 * owner, and renames it over t->file; an errno or 0. */
static int write_tmp(const target *t, const char *tmp, dn_write_fn fill,
                     void *arg)
{
    /* O_EXCL: never write through a file (or link) that is already there. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) return errno;
    const int slot = inflight_add(tmp);
    int e = 0;
    if (t->exists) {
        /* Owner first: fchown may clear the set-id bits fchmod sets. */
        if (geteuid() == 0 && fchown(fd, t->old.st_uid, t->old.st_gid))
            e = errno;
        if (!e && fchmod(fd, t->old.st_mode & 07777)) e = errno;
    }
    FILE *f = e ? NULL : fdopen(fd, "wb");
    if (!f) {
        if (!e) e = errno;
        close(fd);
    } else {
        e = fill_close(f, fill, arg, 1);
    }
    if (!e && rename(tmp, t->file)) e = errno ? errno : EIO;
    if (e) unlink(tmp);
    inflight_drop(slot);
    if (!e) sync_dir(t->file);
    return e;
}

dn_status dn_atomic_write(const char *path, const char *what,
                          dn_write_fn fill, void *arg, dn_error *err)
{
    DN_NEED(fill);
    target t;
    dn_status st = prepare(path, what, &t, err);
    if (st) {
        free(t.file);
        return st;
    }
    char *tmp = t.straight ? NULL : tmp_name(t.file);
    int e = t.straight ? write_straight(t.file, fill, arg)
          : tmp ? write_tmp(&t, tmp, fill, arg) : ENOMEM;
    if (e == EEXIST)
        st = dn_fail(err, DN_EIO, CANNOT "the temporary file '%s' already "
                     "exists (another write in progress, or left by a "
                     "crash); remove it", what, path, tmp);
    else if (e == ENOMEM)
        st = dn_fail(err, DN_ENOMEM, "out of memory writing the %s to '%s'",
                     what, path);
    else if (e && t.straight)
        st = dn_fail(err, DN_EIO, CANNOT "%s", what, path, strerror(e));
    else if (e)
        st = dn_fail(err, DN_EIO, CANNOT "%s; check that the directory "
                     "exists and is writable and that the disk has room "
                     "(the old file, if any, is unchanged)", what, path,
                     strerror(e));
    free(tmp);
    free(t.file);
    return st;
}
