/* input.c — every input is opened once.  Telling CSV from IDX from gzip
 * means reading the first bytes; a pipe, a FIFO, /dev/stdin or a
 * process substitution gives them only once, so opening the path again
 * for the reader lost them (the first 8 KiB, or a data row taken for the
 * header).  Here a regular file's descriptor is handed on as it is, and
 * anything else is read to its end into an anonymous temporary file
 * (tmpfile(): unlinked from the start, so nothing is left behind
 * whatever happens), which the sniffing and the reader then both read
 * from its start. */
#include "cli.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copies all of in into out; 0 or an errno, *in_failed saying whose. */
static int copy_all(int in, int out, int *in_failed)
{
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return *in_failed = 1, errno;
        if (n == 0) return 0;
        for (ssize_t o = 0; o < n; ) {
            ssize_t w = write(out, buf + o, (size_t)(n - o));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return *in_failed = 0, errno;
            o += w;
        }
    }
}

/* A seekable copy of what the stream fd gives; fd is closed. */
static dn_status spool(const char *path, int *fd, dn_error *err)
{
    FILE *tmp = tmpfile();
    int copy = tmp ? dup(fileno(tmp)) : -1, e = tmp ? 0 : errno, in_failed = 0;
    if (tmp) fclose(tmp);   /* the copy keeps the unlinked file open */
    if (copy < 0 && !e) e = errno;
    if (!e) e = copy_all(*fd, copy, &in_failed);
    close(*fd);
    *fd = copy;
    if (!e) return DN_OK;
    if (copy >= 0) close(copy);
    *fd = -1;
    err->code = DN_EIO;
    if (in_failed)
        snprintf(err->msg, sizeof err->msg, "%s: cannot read: %s", path,
                 strerror(e));
    else
        snprintf(err->msg, sizeof err->msg, "%s: cannot keep what the pipe "
                 "gives in a temporary file (%s); set TMPDIR to a directory "
                 "with room, or give a regular file", path, strerror(e));
    return DN_EIO;
}

dn_status cli_input_open(const char *path, int *fd, dn_error *err)
{
    struct stat sb;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    int e = *fd < 0 ? errno : fstat(*fd, &sb) ? errno : 0;
    if (!e && S_ISDIR(sb.st_mode)) e = EISDIR;
    if (e) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
        err->code = DN_EIO;
        snprintf(err->msg, sizeof err->msg, "%s: cannot open: %s", path,
                 strerror(e));
        return DN_EIO;
    }
    return S_ISREG(sb.st_mode) ? DN_OK : spool(path, fd, err);
}
