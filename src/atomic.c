/* atomic.c — every file descent writes is written the same way: into a
 * temporary file beside the target, flushed and synced, then renamed
 * over it.  A crash at any moment leaves the old file or the new one,
 * never a torn one; a failed write leaves no partial file. */
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* After the rename, sync the directory so that the new name itself
 * survives a crash.  Best effort: the file is already complete. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? malloc((size_t)(slash - path) + 2) : NULL;
    if (slash && !dir) return;
    if (dir) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    int fd = open(dir ? dir : ".", O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

/* Writes the temporary file and renames it over path; an errno or 0. */
static int write_tmp(const char *path, const char *tmp, dn_write_fn fill,
                     void *arg)
{
    errno = 0;
    /* "x": never write through a file (or link) that is already there. */
    FILE *f = fopen(tmp, "wbx");
    if (!f) return errno ? errno : EIO;
    int e = fill(f, arg) ? (errno ? errno : EIO) : 0;
    if (!e && fflush(f)) e = errno ? errno : EIO;
    if (!e && fsync(fileno(f))) e = errno ? errno : EIO;
    if (fclose(f) && !e) e = errno ? errno : EIO;
    if (!e && rename(tmp, path)) e = errno ? errno : EIO;
    if (e) remove(tmp);
    else sync_dir(path);
    return e;
}

dn_status dn_atomic_write(const char *path, const char *what,
                          dn_write_fn fill, void *arg, dn_error *err)
{
    DN_NEED(fill);
    if (!path || !*path)
        return dn_fail(err, DN_EARG, "no file name given for the %s", what);
    /* The rename would replace a device or a pipe (as root, /dev/null
     * itself) with a regular file. */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return dn_fail(err, DN_EIO, "cannot write the %s to '%s': it is not "
                       "a regular file (a device, a pipe or a directory); "
                       "give the name of a file", what, path);
    size_t tlen = strlen(path) + 32;
    char *tmp = malloc(tlen);
    if (!tmp) return dn_fail(err, DN_ENOMEM, "out of memory");
    /* Same directory as the target: rename() is atomic only within one
     * file system. */
    snprintf(tmp, tlen, "%s.tmp.%ld", path, (long)getpid());
    int e = write_tmp(path, tmp, fill, arg);
    dn_status st = DN_OK;
    if (e == EEXIST)
        st = dn_fail(err, DN_EIO, "cannot write the %s to '%s': the "
                     "temporary file '%s' already exists (another write in "
                     "progress, or left by a crash); remove it", what, path,
                     tmp);
    else if (e)
        st = dn_fail(err, DN_EIO, "cannot write the %s to '%s': %s; check "
                     "that the directory exists and is writable and that the "
                     "disk has room (the old file, if any, is unchanged)",
                     what, path, strerror(e));
    free(tmp);
    return st;
}
