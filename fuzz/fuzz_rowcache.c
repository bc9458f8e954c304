/* fuzz_rowcache.c — row caches (`descent convert`'s files) on any bytes,
 * as `descent train FILE --memory SIZE` reads them: dn_stream_open, then
 * every row through dn_stream_read in runs of 7 (an odd run, so that
 * reads cross blocks), then one read past the end.
 *
 * The header and every block carry a checksum (src/data/rowcache.c has
 * the layout), which almost every mutation breaks; so for inputs of even
 * length that start with the magic, the target first recomputes the
 * block checksums from the bytes where the header says the blocks are,
 * then the header's own, and the fuzzer reaches the fields and values
 * behind them.  Odd lengths go in as they are (the checksum checks
 * themselves).
 *
 * A failure must be clean: DN_EFORMAT naming the file, for the open and
 * for each read (a damaged block spoils its own rows only, so the reads
 * go on past it).  A success must give what descent.h promises: the
 * rows asked for, of the width and targets the header says, finite
 * inputs, finite targets, classes of the schema for a classifier, and
 * no more bytes than the file holds.  Seeds: FUZZ_WRITE_ROWCACHE_SEEDS=DIR
 * makes the first call write small caches into DIR (fuzz/make_corpus.py). */
#include "fuzz.h"
#include "base/base.h"
#include "base/byteorder.h"
#include "data/rowcache.h"

/* Small caches as `descent convert` writes them: a classifier with a
 * text column and a missing cell, a regression with two targets' worth
 * of columns, and 8-bit pixels from an IDX file. */
static void rc_write_seeds(const char *dir)
{
    static const char *csv[] = {
        "size,colour,w,label\n1,red,0.5,a\n2,blue,,b\n3,red,1.5,c\n"
        "4,green,2,a\n5,blue,2.5,b\n",
        "x1,x2,y\n0.5,1,2.25\n-1,2,0.5\n3,-0.25,7\n",
    };
    char path[512];
    dn_error e;
    for (int i = 0; i < 2; i++) {
        const char *src = fuzz_write("seed.csv", csv[i], strlen(csv[i]));
        dn_data *d = NULL;
        snprintf(path, sizeof path, "%s/good_%s", dir,
                 i == 0 ? "classes_text" : "regression");
        if (dn_csv_read(src, NULL, &d, NULL, 0, &e) ||
            dn_rowcache_write(d, path, &e))
            fprintf(stderr, "%s: %s\n", path, e.msg);
        dn_data_free(d);
    }
    /* Three 2 × 3 images, labels 0, 1, 2. */
    static const unsigned char img[] = {
        0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 3,
        0, 64, 128, 255, 1, 2, 9, 8, 7, 6, 5, 4, 200, 100, 50, 25, 12, 6 };
    static const unsigned char lab[] = { 0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 2 };
    char ip[300];
    snprintf(ip, sizeof ip, "%s", fuzz_write("seed.idx", img, sizeof img));
    const char *lp = fuzz_write("seed.lab", lab, sizeof lab);
    dn_data *d = NULL;
    snprintf(path, sizeof path, "%s/good_pixels", dir);
    if (dn_idx_read_u8(ip, lp, &d, &e) || dn_rowcache_write(d, path, &e))
        fprintf(stderr, "%s: %s\n", path, e.msg);
    dn_data_free(d);
}

/* Recomputes the block checksums and then the header's, wherever the
 * header's fields say they are and that lies inside the n bytes. */
static void rc_reseal(unsigned char *b, size_t n)
{
    if (n < DN_ROWCACHE_HEAD || memcmp(b, dn_rowcache_magic, 8) != 0) return;
    const uint64_t es = dn_get_le32(b + 12) == DN_ROWCACHE_U8 ? 1 : 4;
    const uint64_t rows = dn_get_le64(b + 16), d = dn_get_le32(b + 24),
                   k = dn_get_le32(b + 28), R = dn_get_le32(b + 32),
                   S = dn_get_le32(b + 36), x_off = dn_get_le64(b + 40),
                   y_off = dn_get_le64(b + 48);
    /* Each row takes at least a byte, so more rows than bytes (or a
     * field past them) cannot be a whole file: leave it to the reader. */
    if (rows > n || d > n || k > n || R < 1 || S > n) return;
    const uint64_t nb = (rows + R - 1) / R, table = DN_ROWCACHE_HEAD + S;
    if (table + 8 * nb > n) return;
    const int blocks_inside = x_off <= n && rows * d * es <= n - x_off &&
                              y_off <= n && rows * k * 4 <= n - y_off;
    for (uint64_t i = 0; blocks_inside && i < nb; i++) {
        const uint64_t r0 = i * R, m = rows - r0 < R ? rows - r0 : R;
        const unsigned char *x = b + x_off + r0 * d * es,
                            *y = b + y_off + r0 * k * 4;
        dn_put_le64(b + table + 8 * i,
                    dn_hash64(y, m * k * 4, dn_hash64(x, m * d * es, i)));
    }
    dn_put_le64(b + 56, dn_rowcache_head_sum(b, (size_t)(table + 8 * nb)));
}

/* The promises of a successful read of rows r0 .. r0 + n − 1. */
static void rc_check_rows(const dn_stream *s, const dn_data *d, int n)
{
    FUZZ_CHECK(d != NULL && d->n == n && d->d == dn_stream_inputs(s) &&
               d->k == dn_stream_targets(s) && (d->k == 0) == (d->Y == NULL),
               "read %d rows: got n %d d %d k %d", n, d ? d->n : -1,
               d ? d->d : -1, d ? d->k : -1);
    if (!d || d->n != n) return;
    int bad_x = 0, bad_y = 0;
    for (size_t i = 0; d->X && i < (size_t)d->n * d->d; i++)
        bad_x += !isfinite(d->X[i]);
    const dn_schema *sc = d->schema;
    const int classes = sc && sc->task != DN_TASK_REGRESSION ? sc->n_classes
                                                             : 0;
    for (size_t i = 0; d->Y && i < (size_t)d->n * d->k; i++) {
        float y = d->Y[i];
        bad_y += !isfinite(y) ||
                 (classes && (y < 0 || y >= classes || y != floorf(y)));
    }
    FUZZ_CHECK(bad_x == 0, "%d inputs not finite", bad_x);
    FUZZ_CHECK(bad_y == 0, "%d targets not finite or not a class of %d",
               bad_y, classes);
}

FUZZ_ENTRY(rowcache)(const uint8_t *data, size_t size)
{
    static int seeded;
    if (!seeded++ && getenv("FUZZ_WRITE_ROWCACHE_SEEDS"))
        rc_write_seeds(getenv("FUZZ_WRITE_ROWCACHE_SEEDS"));
    fuzz_loaded_ = 0;
    unsigned char *b = malloc(size ? size : 1);
    if (!b) return 0;
    memcpy(b, data, size);
    if (size % 2 == 0) rc_reseal(b, size);
    const char *path = fuzz_write("rows.dnr", b, size);
    free(b);

    static const dn_status bad[] = { DN_EFORMAT };
    dn_stream *s = NULL;
    dn_error e;
    memset(&e, 0, sizeof e);
    dn_status st = dn_stream_open(path, NULL, &s, &e);
    if (st) {
        fuzz_check_failure(st, &e, s, path, 1, bad);
        return 0;
    }
    const long rows = dn_stream_rows(s);
    FUZZ_CHECK(rows >= 1 && dn_stream_inputs(s) >= 1 &&
               dn_stream_targets(s) >= 0 &&
               dn_stream_bytes(s) >= (uint64_t)rows * dn_stream_inputs(s) &&
               dn_stream_bytes(s) <= size,
               "%ld rows of %d inputs and %d targets, %llu bytes, from a "
               "file of %zu", rows, dn_stream_inputs(s),
               dn_stream_targets(s), (unsigned long long)dn_stream_bytes(s),
               size);
    const dn_schema *sc = dn_stream_schema(s);
    if (sc) {
        fuzz_check_schema(sc);
        FUZZ_CHECK(sc->n_in == dn_stream_inputs(s), "schema n_in %d, %d "
                   "inputs", sc->n_in, dn_stream_inputs(s));
    }
    int all = 1;
    for (long r0 = 0; r0 < rows; r0 += 7) {
        const int n = rows - r0 < 7 ? (int)(rows - r0) : 7;
        dn_data *d = NULL;
        memset(&e, 0, sizeof e);
        st = dn_stream_read(s, r0, n, &d, &e);
        if (st) {
            fuzz_check_failure(st, &e, d, path, 1, bad);
            all = 0;
        } else {
            rc_check_rows(s, d, n);
        }
        dn_data_free(d);
    }
    dn_data *past = NULL;
    st = dn_stream_read(s, rows, 1, &past, &e);
    FUZZ_CHECK(st == DN_EARG && past == NULL, "a read past the last row: %s",
               dn_status_name(st));
    fuzz_loaded_ = all;
    dn_stream_close(s);
    return 0;
}
