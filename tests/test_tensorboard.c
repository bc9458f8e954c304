/* test_tensorboard.c — TensorBoard event files read back by a reader
 * written here from the format's description, sharing no code with
 * src/tensorboard.c: a table-driven CRC32C (the library's is bit by bit),
 * both CRCs of every record checked, and every protobuf field of every
 * Event decoded — an unknown field or wire type fails the test, so every
 * byte is accounted for.  The reader is shown to catch a flipped bit in
 * a length, in the data and a torn tail; a write that fails half-way
 * (a file size limit, RLIMIT_FSIZE) must leave whole records only. */
#define _GNU_SOURCE /* unshare, sethostname */
#include "check.h"
#include "descent.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the independent reader ---- */

static uint32_t table[256];

static void table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        table[i] = c;
    }
}

static uint32_t crc32c(const unsigned char *p, size_t n)
{
    uint32_t c = ~0u;
    while (n--) c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

static uint32_t mask(uint32_t c)
{
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

typedef struct {
    double wall_time;
    int64_t step;
    int has_wall, has_step;
    char version[64];   /* file_version, "" if none */
    char tag[300];      /* summary value's tag, "" if none */
    float value;
    int n_values;       /* values in the summary */
    /* a histogram value (HistogramProto), has_histo set */
    int has_histo;
    double h_min, h_max, h_num, h_sum, h_sq;
    int n_limit, n_bucket;
    double limit[64], bucket[64];
} event;

typedef struct {
    const unsigned char *p, *end;
    const char *bad;    /* why decoding failed */
} pb;

static uint64_t varint(pb *b)
{
    uint64_t v = 0;
    for (int s = 0; s < 64; s += 7) {
        if (b->p >= b->end) { b->bad = "varint runs past the end"; return 0; }
        unsigned char c = *b->p++;
        v |= (uint64_t)(c & 0x7F) << s;
        if (!(c & 0x80)) return v;
    }
    b->bad = "varint longer than 10 bytes";
    return 0;
}

/* A length-delimited field's bytes as a sub-reader. */
static pb sub(pb *b)
{
    uint64_t n = varint(b);
    pb s = { b->p, b->p, NULL };
    if (b->bad || n > (uint64_t)(b->end - b->p)) {
        b->bad = b->bad ? b->bad : "length runs past the end";
        return s;
    }
    s.end = b->p + n;
    b->p += n;
    return s;
}

/* A packed repeated double field into out (room for max). */
static int packed_doubles(pb *b, double *out, int max)
{
    pb s = sub(b);
    if (b->bad) return -1;
    if ((s.end - s.p) % 8) { b->bad = "packed doubles not a multiple of 8"; return -1; }
    int n = (int)((s.end - s.p) / 8);
    if (n > max) { b->bad = "too many buckets"; return -1; }
    for (int i = 0; i < n; i++) {
        uint64_t u = le(s.p + 8 * i, 8);
        memcpy(&out[i], &u, 8);
    }
    return n;
}

/* HistogramProto: 1 min, 2 max, 3 num, 4 sum, 5 sum_squares (doubles),
 * 6 bucket_limit, 7 bucket (packed doubles). */
static void decode_histo(pb h, event *e, const char **bad)
{
    double *d[5] = { &e->h_min, &e->h_max, &e->h_num, &e->h_sum, &e->h_sq };
    e->has_histo = 1;
    while (!h.bad && h.p < h.end) {
        uint64_t key = varint(&h);
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (field >= 1 && field <= 5 && wire == 1) {
            if (h.end - h.p < 8) { h.bad = "double runs past the end"; break; }
            uint64_t u = le(h.p, 8);
            memcpy(d[field - 1], &u, 8);
            h.p += 8;
        } else if (field == 6 && wire == 2) {
            e->n_limit = packed_doubles(&h, e->limit, 64);
        } else if (field == 7 && wire == 2) {
            e->n_bucket = packed_doubles(&h, e->bucket, 64);
        } else {
            h.bad = "unexpected field in HistogramProto";
        }
    }
    *bad = h.bad;
}

static void decode_value(pb v, event *e)
{
    while (!v.bad && v.p < v.end) {
        uint64_t key = varint(&v);
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (field == 1 && wire == 2) {
            pb s = sub(&v);
            size_t n = (size_t)(s.end - s.p);
            if (n >= sizeof e->tag) { v.bad = "tag too long"; break; }
            memcpy(e->tag, s.p, n);
            e->tag[n] = 0;
        } else if (field == 2 && wire == 5) {
            if (v.end - v.p < 4) { v.bad = "float runs past the end"; break; }
            uint32_t u = (uint32_t)le(v.p, 4);
            memcpy(&e->value, &u, 4);
            v.p += 4;
        } else if (field == 5 && wire == 2) {
            const char *bad = NULL;
            decode_histo(sub(&v), e, &bad);
            if (bad) v.bad = bad;
        } else {
            v.bad = "unexpected field in Summary.Value";
        }
    }
    if (v.bad) e->n_values = -1000;
}

static const char *decode_event(const unsigned char *p, size_t n, event *e)
{
    memset(e, 0, sizeof *e);
    pb b = { p, p + n, NULL };
    while (!b.bad && b.p < b.end) {
        uint64_t key = varint(&b);
        int field = (int)(key >> 3), wire = (int)(key & 7);
        if (b.bad) break;
        if (field == 1 && wire == 1) {
            if (b.end - b.p < 8) return "double runs past the end";
            uint64_t u = le(b.p, 8);
            memcpy(&e->wall_time, &u, 8);
            b.p += 8;
            e->has_wall = 1;
        } else if (field == 2 && wire == 0) {
            e->step = (int64_t)varint(&b);
            e->has_step = 1;
        } else if (field == 3 && wire == 2) {
            pb s = sub(&b);
            size_t len = (size_t)(s.end - s.p);
            if (len >= sizeof e->version) return "file_version too long";
            memcpy(e->version, s.p, len);
            e->version[len] = 0;
        } else if (field == 5 && wire == 2) {
            pb s = sub(&b);
            while (!b.bad && !s.bad && s.p < s.end) {
                uint64_t k = varint(&s);
                if (k != (1 << 3 | 2)) return "unexpected field in Summary";
                decode_value(sub(&s), e);
                e->n_values++;
            }
            if (s.bad) return s.bad;
            if (e->n_values < 0) return "bad Summary.Value";
        } else {
            return "unexpected field in Event";
        }
    }
    return b.bad;
}

/* Reads every record of a file; returns the number of events, or -1
 * with *why set. */
static int read_events(const unsigned char *p, size_t n, event *ev, int max,
                       const char **why)
{
    size_t o = 0;
    int k = 0;
    *why = NULL;
    while (o < n) {
        if (n - o < 12) { *why = "torn record header"; return -1; }
        uint64_t len = le(p + o, 8);
        if ((uint32_t)le(p + o + 8, 4) != mask(crc32c(p + o, 8))) {
            *why = "length CRC mismatch";
            return -1;
        }
        if (len > n - o - 12 || n - o - 12 - len < 4) {
            *why = "torn record data";
            return -1;
        }
        const unsigned char *d = p + o + 12;
        if ((uint32_t)le(d + len, 4) != mask(crc32c(d, (size_t)len))) {
            *why = "data CRC mismatch";
            return -1;
        }
        if (k == max) { *why = "too many records"; return -1; }
        if ((*why = decode_event(d, (size_t)len, &ev[k]))) return -1;
        k++;
        o += 12 + len + 4;
    }
    return k;
}

/* The one event file in dir (its name in *name), or NULL. */
static char *event_file(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    char *found = NULL;
    *count = 0;
    if (!d) return NULL;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, "tfevents")) {
            (*count)++;
            free(found);
            found = malloc(strlen(dir) + strlen(e->d_name) + 2);
            sprintf(found, "%s/%s", dir, e->d_name);
        }
    closedir(d);
    return found;
}

/* ---- tests ---- */

static char tmp[64];

static void test_reader_itself(void)
{
    /* The standard check value of CRC-32C (iSCSI, RFC 3720). */
    CHECK(crc32c((const unsigned char *)"123456789", 9) == 0xE3069283u,
          "crc32c('123456789') = %08x", crc32c((const unsigned char *)"123456789", 9));
}

/* The wall clock the writer reads (CLOCK_REALTIME), whole seconds: time()
 * may lag it by a tick on Linux, which would put a fresh event after t1. */
static long wall_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long)t.tv_sec;
}

static void test_run(void)
{
    char logdir[128], path[160];
    snprintf(logdir, sizeof logdir, "%s/logs/run1", tmp);  /* parents made */
    dn_error err;
    dn_tboard *tb;
    long t0 = wall_seconds();
    CHECK(dn_tboard_open(logdir, &tb, &err) == DN_OK, "open: %s", err.msg);
    /* Epoch 1 without validation values: no validation run yet. */
    dn_hist_row rows[3] = {
        { .epoch = 1, .step = 10, .train_loss = 2.25, .val_loss = NAN,
          .train_metric = 0.5, .val_metric = NAN, .learning_rate = 0.1,
          .grad_norm = 3.5, .seconds = 0.25 },
        { .epoch = 2, .step = 20, .train_loss = 1.125, .val_loss = 1.5,
          .train_metric = 0.75, .val_metric = 0.625, .learning_rate = 0.05,
          .grad_norm = 2.0, .seconds = 0.5 },
        { .epoch = 3, .step = 30, .train_loss = 0.5625, .val_loss = 1.25,
          .train_metric = NAN, .val_metric = 0.875, .learning_rate = 0.025,
          .grad_norm = 1.0, .seconds = 0.75 },
    };
    CHECK(dn_tboard_add(tb, &rows[0], "accuracy", &err) == DN_OK, "%s", err.msg);
    snprintf(path, sizeof path, "%s/validation", logdir);
    struct stat st;
    CHECK(stat(path, &st) != 0, "validation/ exists before any validation value");
    CHECK(dn_tboard_add(tb, &rows[1], "accuracy", &err) == DN_OK, "%s", err.msg);
    CHECK(dn_tboard_add(tb, &rows[2], "accuracy", &err) == DN_OK, "%s", err.msg);
    CHECK(dn_tboard_close(tb, &err) == DN_OK, "close: %s", err.msg);
    long t1 = wall_seconds();

    /* Expected content of each run, in order (NaN values are skipped). */
    static const char *train_tags[] = { "loss", "accuracy", "learning_rate",
                                        "grad_norm" };
    struct { const char *run; int n; } runs[2] = { { "train", 0 },
                                                   { "validation", 0 } };
    for (int r = 0; r < 2; r++) {
        char dir[200];
        snprintf(dir, sizeof dir, "%s/%s", logdir, runs[r].run);
        int files;
        char *f = event_file(dir, &files);
        CHECK(files == 1, "%s: %d event files", dir, files);
        if (!f) continue;
        /* events.out.tfevents.<seconds>.<host>.<pid> */
        const char *name = strrchr(f, '/') + 1;
        long secs = 0, pid = 0;
        char host[256];
        int got = sscanf(name, "events.out.tfevents.%ld.%255[^ ]", &secs, host);
        char *dot = strrchr(host, '.');
        if (dot) { pid = atol(dot + 1); *dot = 0; }
        CHECK(got == 2 && secs >= t0 && secs <= t1, "name %s: seconds %ld not "
              "in [%ld, %ld]", name, secs, t0, t1);
        CHECK(pid == (long)getpid(), "name %s: pid %ld, want %ld", name, pid,
              (long)getpid());
        char want_host[256];
        gethostname(want_host, sizeof want_host);
        want_host[255] = 0;
        CHECK(!strcmp(host, want_host), "name %s: host '%s', want '%s'", name,
              host, want_host);

        size_t n;
        unsigned char *buf = (unsigned char *)check_slurp(f, &n);
        event ev[64];
        const char *why;
        int k = buf ? read_events(buf, n, ev, 64, &why) : -1;
        CHECK(k > 0, "%s: unreadable: %s", f, buf ? why : "cannot open");
        if (k > 0) {
            CHECK(!strcmp(ev[0].version, "brain.Event:2") && ev[0].n_values == 0,
                  "first event: file_version '%s'", ev[0].version);
            int want = 1;
            for (int i = 0; i < 3; i++) {
                const double v[4] = { r ? rows[i].val_loss : rows[i].train_loss,
                                      r ? rows[i].val_metric : rows[i].train_metric,
                                      rows[i].learning_rate, rows[i].grad_norm };
                for (int t = 0; t < (r ? 2 : 4); t++) {
                    if (isnan(v[t])) continue;
                    if (want >= k) { want++; continue; }
                    const event *e = &ev[want++];
                    CHECK(!strcmp(e->tag, train_tags[t]), "%s event %d: tag "
                          "'%s', want '%s'", runs[r].run, want - 1, e->tag,
                          train_tags[t]);
                    CHECK(e->n_values == 1 && e->version[0] == 0,
                          "%s event %d: %d values", runs[r].run, want - 1,
                          e->n_values);
                    CHECK(e->value == (float)v[t], "%s %s at epoch %d: %g, "
                          "want %g", runs[r].run, train_tags[t], rows[i].epoch,
                          e->value, v[t]);
                    CHECK(e->has_step && e->step == rows[i].epoch,
                          "step %lld, want %d", (long long)e->step,
                          rows[i].epoch);
                }
            }
            CHECK(k == want, "%s: %d events, want %d", runs[r].run, k, want);
            for (int i = 0; i < k; i++)
                CHECK(ev[i].has_wall && ev[i].wall_time >= t0 &&
                      ev[i].wall_time <= t1 + 1, "event %d: wall_time %.3f "
                      "not in [%ld, %ld]", i, ev[i].wall_time, t0, t1 + 1);
            runs[r].n = k;

            /* The reader catches damage: prove the checks can fail. */
            unsigned char *c = malloc(n);
            memcpy(c, buf, n);
            c[3] ^= 0x01;                      /* first record's length */
            CHECK(read_events(c, n, ev, 64, &why) < 0 &&
                  !strcmp(why, "length CRC mismatch"), "flipped length: %s",
                  why ? why : "accepted");
            memcpy(c, buf, n);
            c[n - 6] ^= 0x10;                  /* last record's data */
            CHECK(read_events(c, n, ev, 64, &why) < 0 &&
                  !strcmp(why, "data CRC mismatch"), "flipped data: %s",
                  why ? why : "accepted");
            CHECK(read_events(buf, n - 1, ev, 64, &why) < 0 &&
                  !strcmp(why, "torn record data"), "torn tail: %s",
                  why ? why : "accepted");
            free(c);
        }
        free(buf);
        free(f);
    }
    CHECK(runs[0].n == 1 + 3 + 3 + 3 + 3 - 1, "train run has %d events", runs[0].n);
    CHECK(runs[1].n == 1 + 2 + 2, "validation run has %d events", runs[1].n);
}

static void test_errors(void)
{
    char path[160];
    dn_error err;
    dn_events *ev;
    /* A directory path through a regular file. */
    snprintf(path, sizeof path, "%s/plainfile", tmp);
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
    snprintf(path, sizeof path, "%s/plainfile/run", tmp);
    CHECK(dn_events_open(path, &ev, &err) == DN_EIO && strstr(err.msg, path),
          "open under a file: %s", err.msg);
    snprintf(path, sizeof path, "%s/tags", tmp);
    CHECK(dn_events_open(path, &ev, &err) == DN_OK, "%s", err.msg);
    char tag[300];
    memset(tag, 'a', sizeof tag - 1);
    tag[299] = 0;
    CHECK(dn_events_scalar(ev, tag, 1, 1.0, &err) == DN_EARG, "a 299-byte tag "
          "was accepted");
    CHECK(dn_events_scalar(ev, "", 1, 1.0, &err) == DN_EARG, "an empty tag "
          "was accepted");
    /* A negative step is an int64 in ten varint bytes. */
    CHECK(dn_events_scalar(ev, "neg", -5, 0.5, &err) == DN_OK, "%s", err.msg);
    char *name = malloc(strlen(dn_events_path(ev)) + 1);
    strcpy(name, dn_events_path(ev));
    CHECK(dn_events_close(ev, &err) == DN_OK, "%s", err.msg);
    size_t n;
    unsigned char *buf = (unsigned char *)check_slurp(name, &n);
    event e[4];
    const char *why;
    int k = buf ? read_events(buf, n, e, 4, &why) : -1;
    CHECK(k == 2 && e[1].step == -5 && !strcmp(e[1].tag, "neg") &&
          e[1].value == 0.5f, "negative step: %d events, step %lld", k,
          k == 2 ? (long long)e[1].step : 0LL);
    free(buf);
    free(name);
}

/* A file size limit makes writes fail part-way through a record: the
 * writer must cut the file back to whole records and report DN_EIO. */
static void test_write_failure(void)
{
    char dir[160];
    snprintf(dir, sizeof dir, "%s/full", tmp);
    dn_error err;
    dn_events *ev;
    CHECK(dn_events_open(dir, &ev, &err) == DN_OK, "%s", err.msg);
    if (!ev) return;
    char *name = malloc(strlen(dn_events_path(ev)) + 1);
    strcpy(name, dn_events_path(ev));
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 1000;  /* bytes: room for about 25 scalars */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
    dn_status st = DN_OK;
    int i;
    for (i = 0; i < 200 && !st; i++) {
        st = dn_events_scalar(ev, "loss", i, 1.0 / (i + 1), &err);
        if (!st) st = dn_events_flush(ev, &err);
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    CHECK(st == DN_EIO && strstr(err.msg, name), "a write past the limit "
          "gave %d: %s", (int)st, err.msg);
    CHECK(dn_events_scalar(ev, "loss", 999, 1, &err) == DN_EIO, "writes "
          "after a failure were accepted");
    dn_events_close(ev, NULL);
    size_t n = 0;
    unsigned char *buf = (unsigned char *)check_slurp(name, &n);
    event e[64];
    const char *why = "cannot read";
    int k = buf ? read_events(buf, n, e, 64, &why) : -1;
    CHECK(k > 5 && n <= 1000, "after the failure: %d whole events (%s), %zu "
          "bytes", k, k < 0 ? why : "ok", n);
    CHECK(k == i, "%d events kept, %d scalar calls made", k, i);
    free(buf);
    free(name);
}

/* Paths that cannot be made: nothing given, a name longer than a
 * directory entry may be, and a write limit below the first record
 * (the empty file is removed, not left for TensorBoard to list). */
static void test_cannot_create(void)
{
    dn_error err;
    dn_events *ev = NULL;
    dn_tboard *tb = NULL;
    CHECK(dn_events_open("", &ev, &err) == DN_EARG && !ev &&
          strstr(err.msg, "no directory given"), "%s", err.msg);
    CHECK(dn_tboard_open(NULL, &tb, &err) == DN_EARG && !tb &&
          strstr(err.msg, "no TensorBoard log directory"), "%s", err.msg);
    char dir[512];
    int n = snprintf(dir, sizeof dir, "%s/", tmp);
    memset(dir + n, 'd', 300);
    dir[n + 300] = 0;
    dn_status st = dn_events_open(dir, &ev, &err);
    CHECK(st == DN_EIO && strstr(err.msg, "cannot create the TensorBoard "
          "directory") && strstr(err.msg, strerror(ENAMETOOLONG)),
          "a 300-byte name: %d: %s", (int)st, err.msg);
    snprintf(dir, sizeof dir, "%s/limited", tmp);
    mkdir(dir, 0777);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 8;  /* the first record takes more */
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
    st = dn_events_open(dir, &ev, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    int count;
    char *left = event_file(dir, &count);
    CHECK(st == DN_EIO && !ev && strstr(err.msg, "cannot write the "
          "TensorBoard event file") && strstr(err.msg, strerror(EFBIG)),
          "under an 8-byte limit: %d: %s", (int)st, err.msg);
    CHECK(count == 0, "an empty event file was left: %s", left);
    free(left);
}

/* The host's name goes into the file name as TensorFlow's does, with
 * anything but letters, digits, '.', '-' and '_' made '_', and an empty
 * one as "localhost".  Set in a UTS namespace of a child (root only). */
static void test_host_name(void)
{
    static const char *const set[2] = { "odd host/9.x-y_z", "" },
                             *want[2] = { ".odd_host_9.x-y_z.", ".localhost." };
    for (int i = 0; i < 2; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            if (unshare(CLONE_NEWUTS) || sethostname(set[i], strlen(set[i])))
                exit(3);
            char dir[128];
            snprintf(dir, sizeof dir, "%s/host%d", tmp, i);
            dn_events *ev;
            dn_error err;
            if (dn_events_open(dir, &ev, &err)) exit(2);
            int ok = strstr(dn_events_path(ev), want[i]) != NULL;
            if (!ok) fprintf(stderr, "  %s\n", dn_events_path(ev));
            dn_events_close(ev, NULL);
            exit(ok ? 0 : 1);  /* exit: a coverage build counts at exit */
        }
        int ws = -1;
        waitpid(pid, &ws, 0);
        if (WIFEXITED(ws) && WEXITSTATUS(ws) == 3) {
            printf("test_host_name: skipped (a UTS namespace needs root)\n");
            return;
        }
        CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "host name '%s' should "
              "appear as '%s' in the file name (status %d)", set[i], want[i],
              ws);
    }
}

/* The events of the one file in dir: their count, or -1. */
static int events_in(const char *dir, event *ev, int max)
{
    int files;
    char *f = event_file(dir, &files);
    size_t n;
    unsigned char *buf = f ? (unsigned char *)check_slurp(f, &n) : NULL;
    const char *why = "no file";
    int k = buf ? read_events(buf, n, ev, max, &why) : -1;
    CHECK(files == 1 && k > 0, "%s: %d files, %s", dir, files, k < 0 ? why : "");
    free(buf);
    free(f);
    return k;
}

/* A histogram record against the values it was made of, computed here:
 * min, max, num, sum, sum of squares; the limits rising, equally spaced
 * and ending at max; each finite value counted in the first bucket whose
 * limit is not below it, the counts adding up to num. */
static void check_histo(const event *e, const float *v, size_t n,
                        const char *what)
{
    double lo = INFINITY, hi = -INFINITY, sum = 0, sq = 0;
    size_t num = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
        sum += v[i];
        sq += (double)v[i] * v[i];
        num++;
    }
    CHECK(e->has_histo && e->n_values == 1, "%s: no histogram", what);
    CHECK(e->h_min == lo && e->h_max == hi && e->h_num == (double)num,
          "%s: min %g max %g num %g, want %g %g %zu", what, e->h_min, e->h_max,
          e->h_num, lo, hi, num);
    CHECK_REL(e->h_sum, sum, 1e-12, 1e-300);
    CHECK_REL(e->h_sq, sq, 1e-12, 1e-300);
    const int nb = hi > lo ? 30 : 1;
    CHECK(e->n_limit == nb && e->n_bucket == nb, "%s: %d limits, %d buckets, "
          "want %d", what, e->n_limit, e->n_bucket, nb);
    if (e->n_limit != nb || e->n_bucket != nb) return;
    CHECK(e->limit[nb - 1] == hi, "%s: last limit %g, max %g", what,
          e->limit[nb - 1], hi);
    double want[64] = { 0 }, total = 0;
    for (int j = 0; j < nb; j++) {
        CHECK_REL(e->limit[j], lo + (j + 1) * (hi - lo) / nb, 1e-12, 1e-300);
        if (j) CHECK(e->limit[j] > e->limit[j - 1], "%s: limits not rising", what);
        total += e->bucket[j];
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        int j = 0;
        while (j < nb - 1 && v[i] > e->limit[j]) j++;
        want[j]++;
    }
    CHECK(total == (double)num, "%s: buckets add up to %g of %zu", what, total,
          num);
    for (int j = 0; j < nb; j++)
        CHECK(e->bucket[j] == want[j], "%s: bucket %d holds %g, the values "
              "put %g there", what, j, e->bucket[j], want[j]);
}

static void test_histogram(void)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/histo", tmp);
    dn_error err;
    dn_events *ev;
    CHECK(dn_events_open(dir, &ev, &err) == DN_OK, "%s", err.msg);
    /* 1000 normal values, a NaN and an infinity among them */
    static float v[1000], same[7];
    dn_rng r;
    dn_rng_seed(&r, 5);
    for (int i = 0; i < 1000; i++) v[i] = (float)dn_rng_normal(&r);
    v[17] = NAN;
    v[400] = INFINITY;
    for (int i = 0; i < 7; i++) same[i] = 0.25f;
    CHECK(dn_events_histogram(ev, "h/normal", 3, v, 1000, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_events_histogram(ev, "h/same", 4, same, 7, &err) == DN_OK, "%s", err.msg);
    /* nothing finite: nothing written */
    float bad[2] = { NAN, -INFINITY };
    CHECK(dn_events_histogram(ev, "h/none", 5, bad, 2, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_events_histogram(ev, "", 5, v, 3, &err) == DN_EARG, "empty tag");
    CHECK(dn_events_histogram(ev, "h/x", 5, NULL, 3, &err) == DN_EARG, "NULL values");
    CHECK(dn_events_close(ev, &err) == DN_OK, "%s", err.msg);
    event e[8];
    int k = events_in(dir, e, 8);
    CHECK(k == 3, "%d events, want the version and 2 histograms", k);
    if (k < 3) return;
    CHECK(!strcmp(e[1].tag, "h/normal") && e[1].step == 3, "tag %s step %lld",
          e[1].tag, (long long)e[1].step);
    check_histo(&e[1], v, 1000, "normal");
    CHECK(e[1].h_num == 998, "num %g", e[1].h_num);
    CHECK(!strcmp(e[2].tag, "h/same") && e[2].step == 4, "tag %s", e[2].tag);
    check_histo(&e[2], same, 7, "same");
    CHECK(e[2].bucket[0] == 7 && e[2].limit[0] == 0.25, "one bucket of 7 at "
          "0.25: %g at %g", e[2].bucket[0], e[2].limit[0]);
}

/* The layers of a model: the histograms of W, b and the gradient read
 * back and checked against the model's own values; the update ratio from
 * the second epoch on, against the change computed here. */
static void test_layers(void)
{
    char logdir[128], dir[160];
    snprintf(logdir, sizeof logdir, "%s/layers", tmp);
    snprintf(dir, sizeof dir, "%s/train", logdir);
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = 3;
    A.n_layers = 2;
    A.layer[0] = (dn_layer){ .units = 5, .act = DN_ACT_TANH };
    A.layer[1] = (dn_layer){ .units = 2, .act = DN_ACT_IDENTITY };
    A.loss = DN_LOSS_MSE;
    dn_model *m;
    dn_error err;
    CHECK(dn_model_new(&A, &m, &err) == DN_OK, "%s", err.msg);
    dn_model_init(m, DN_INIT_DEFAULT, 0, 7);
    const size_t P = dn_model_n_params(m);
    float *g = malloc(P * sizeof *g), *w1 = malloc(P * sizeof *w1);
    for (size_t i = 0; i < P; i++) g[i] = (float)(0.01 * ((int)(i * 7 % 23) - 11));
    dn_model_b(m, 0)[2] = 0.5f;   /* a bias that is not 0 */
    memcpy(w1, dn_model_params(m), P * sizeof *w1);
    dn_tboard *tb;
    CHECK(dn_tboard_open(logdir, &tb, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_tboard_layers(tb, m, g, 1, &err) == DN_OK, "%s", err.msg);
    /* the second epoch: every weight moved */
    float *theta = dn_model_params(m);
    for (size_t i = 0; i < P; i++) theta[i] += 0.001f * (float)(i % 5);
    CHECK(dn_tboard_layers(tb, m, NULL, 2, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_tboard_layers(NULL, m, g, 2, &err) == DN_EARG, "NULL board");
    CHECK(dn_tboard_close(tb, &err) == DN_OK, "%s", err.msg);
    event e[32];
    int k = events_in(dir, e, 32);
    /* epoch 1: 3 histograms a layer; epoch 2: 2 histograms and a ratio */
    CHECK(k == 1 + 2 * 3 + 2 * 3, "%d events", k);
    if (k != 13) goto out;
    int at = 1;
    for (int epoch = 1; epoch <= 2; epoch++) {
        const float *T = epoch == 1 ? w1 : theta;
        for (int l = 0; l < 2; l++) {
            const size_t u = (size_t)A.layer[l].units, in = l ? 5 : 3;
            const size_t oW = dn_model_offset_W(m, l), ob = dn_model_offset_b(m, l);
            char want[48];
            snprintf(want, sizeof want, "weights/layer%d", l + 1);
            CHECK(!strcmp(e[at].tag, want) && e[at].step == epoch, "event %d: "
                  "%s at %lld, want %s", at, e[at].tag, (long long)e[at].step, want);
            check_histo(&e[at++], T + oW, u * in, want);
            snprintf(want, sizeof want, "biases/layer%d", l + 1);
            CHECK(!strcmp(e[at].tag, want), "event %d: %s, want %s", at, e[at].tag, want);
            check_histo(&e[at++], T + ob, u, want);
            if (epoch == 1) {
                snprintf(want, sizeof want, "gradients/layer%d", l + 1);
                CHECK(!strcmp(e[at].tag, want), "event %d: %s", at, e[at].tag);
                check_histo(&e[at++], g + oW, u * in, want);
            } else {
                double d2 = 0, n2 = 0;
                for (size_t i = oW; i < oW + u * in; i++) {
                    d2 += ((double)theta[i] - w1[i]) * ((double)theta[i] - w1[i]);
                    n2 += (double)w1[i] * w1[i];
                }
                snprintf(want, sizeof want, "update_ratio/layer%d", l + 1);
                CHECK(!strcmp(e[at].tag, want) && !e[at].has_histo, "event %d: %s",
                      at, e[at].tag);
                CHECK_REL(e[at].value, sqrt(d2 / n2), 1e-6, 0);
                CHECK(e[at].value > 0, "ratio %g", e[at].value);
                at++;
            }
        }
    }
out:
    free(g);
    free(w1);
    dn_model_free(m);
}

int main(void)
{
    table_init();
    if (check_tmpdir(tmp)) return 1;
    RUN(test_reader_itself);
    RUN(test_run);
    RUN(test_errors);
    RUN(test_write_failure);
    RUN(test_cannot_create);
    RUN(test_host_name);
    RUN(test_histogram);
    RUN(test_layers);
    check_rmdir(tmp);
    return check_done("test_tensorboard");
}
