/* fuzz_idx.c — dn_idx_read on any images file and, optionally, any
 * labels file, plain or gzipped, as `descent train IMAGES --labels
 * LABELS` reads them (dn_idx_detect first, as the CLI does).
 *
 * Input layout: byte 0 holds flags — bit 0: gzip the images, bit 1: gzip
 * the labels, bit 2: there is a labels file.  With labels, bytes 1-2
 * (little-endian) are the images file's length (cut to what there is);
 * the images follow, then the labels.  Gzipping here lets the fuzzer
 * mutate what lies behind the compression; raw gzip streams in the
 * corpus (flag clear) exercise damaged and truncated compression.
 *
 * A success must give what descent.h describes: one row per image of
 * rows × cols inputs in [0, 1], labels as classes 0..max. */
#include "fuzz.h"

FUZZ_ENTRY(idx)(const uint8_t *data, size_t size)
{
    static const dn_status fails[] = { DN_EFORMAT };
    fuzz_loaded_ = 0;
    if (size < 1) return 0;
    unsigned flags = data[0];
    data++;
    size--;
    size_t n_img = size;
    int labels = (flags & 4) != 0;
    if (labels) {
        if (size < 2) return 0;
        n_img = (size_t)data[0] | (size_t)data[1] << 8;
        data += 2;
        size -= 2;
        if (n_img > size) n_img = size;
    }
    char img[300], lab[300];
    snprintf(img, sizeof img, "%s", (flags & 1)
             ? fuzz_write_gz("images.gz", data, n_img)
             : fuzz_write("images.idx", data, n_img));
    if (labels)
        snprintf(lab, sizeof lab, "%s", (flags & 2)
                 ? fuzz_write_gz("labels.gz", data + n_img, size - n_img)
                 : fuzz_write("labels.idx", data + n_img, size - n_img));
    int detected = dn_idx_detect(img);
    FUZZ_CHECK(detected == 0 || detected == 1, "dn_idx_detect gave %d",
               detected);
    dn_data *d = (dn_data *)1;
    dn_error e;
    memset(&e, 0, sizeof e);
    dn_status st = dn_idx_read(img, labels ? lab : NULL, &d, &e);
    fuzz_loaded_ = st == DN_OK;
    if (st) {
        /* The message names the images file or, for a labels problem,
         * the labels file. */
        const char *named = labels && !strstr(e.msg, img) ? lab : img;
        fuzz_check_failure(st, &e, d, named, 1, fails);
        return 0;
    }
    FUZZ_CHECK(detected == 1, "read as IDX, but dn_idx_detect says no");
    fuzz_check_data(d, 0);
    const dn_schema *s = d->schema;
    FUZZ_CHECK(s->img_rows >= 1 && s->img_cols >= 1 &&
               (long)s->img_rows * s->img_cols == d->d,
               "images of %d x %d for %d inputs", s->img_rows, s->img_cols,
               d->d);
    int out_of_range = 0;
    for (size_t i = 0; i < (size_t)d->n * d->d; i++)
        out_of_range += !(d->X[i] >= 0 && d->X[i] <= 1);
    FUZZ_CHECK(out_of_range == 0, "%d pixels outside [0, 1]", out_of_range);
    if (labels) {
        FUZZ_CHECK(d->Y != NULL && s->n_classes >= 2 &&
                   s->n_classes <= 256, "labels: %d classes", s->n_classes);
        float top = 0;
        for (int i = 0; d->Y && i < d->n; i++)
            if (d->Y[i] > top) top = d->Y[i];
        FUZZ_CHECK(top == s->n_classes - 1, "largest label %g, %d classes",
                   (double)top, s->n_classes);
    } else {
        FUZZ_CHECK(d->Y == NULL && s->n_classes == 0, "targets without "
                   "labels");
    }
    dn_data_free(d);
    return 0;
}
