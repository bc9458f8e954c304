/* data.h — what the data sets and their loaders (data.c, csv.c, idx.c,
 * schema.c) share. */
#ifndef DN_DATA_H
#define DN_DATA_H

#include "base/base.h"
#include "kernels/vec.h"

/* The inputs a data set holds as bytes (n × d), or NULL: dn_data.bytes
 * is this array, opaque to users. */
static inline uint8_t *dn_data_x8(const dn_data *d)
{
    return (uint8_t *)d->bytes;
}

/* dn_data_new with the inputs as bytes (n × d, zeroed) in place of X.
 * Sizes must already be checked against the limits. */
dn_status dn_data_alloc_u8(int n, int d, int k, dn_data **out, dn_error *err);

/* An empty schema with n_cols zeroed columns (names still NULL), so that
 * dn_schema_free can release it at any point while it is being filled. */
dn_schema *dn_schema_alloc(int n_cols);

/* Frees n strings and the array that holds them (NULL entries allowed). */
void dn_strs_free(char **s, int n);

/* The inputs column c encodes: 1 or its categories, and its indicator. */
static inline long dn_col_width(const dn_column *c)
{
    return (c->n_cats > 0 ? c->n_cats : 1) + (c->indicator != 0);
}

/* Row i of d as floats: a pointer into X, or the bytes converted into
 * buf (d->d floats). */
const float *dn_data_row(const dn_data *d, int i, float *buf);

/* Class index of row i when rows can be stratified by class (a
 * classification schema, one target column, a whole class number in
 * range), else -1 (data.c). */
int dn_data_row_class(const dn_data *d, int i);
/* A class's name for a message, quoted by dn_show ("class 3" when it
 * has none); buf holds DN_SHOW_BUF bytes. */
const char *dn_data_class_label(const dn_schema *s, int c, char *buf);
/* The n rows whose mark equals want, in file order, as a data set with
 * its own copy of the schema. */
dn_status dn_data_part(const dn_data *all, const unsigned char *mark,
                       int want, int n, dn_data **out, dn_error *err);

/* IDX files for streaming (idx.c): the header's dimensions of an
 * images (images 1) or labels file and whether it is uncompressed
 * (plain); all the labels of a labels file of n items and the classes
 * they make (k = the largest + 1, at least 2); the schema
 * dn_idx_read_u8 gives images of dim[1] × dim[2] pixels with k classes. */
dn_status dn_idx_head(const char *path, int images, uint32_t dim[3],
                      int *plain, dn_error *err);
dn_status dn_idx_labels(const char *path, uint32_t n, unsigned char **y,
                        int *k, dn_error *err);
dn_status dn_idx_schema(const char *path, const uint32_t dim[3], int k,
                        dn_schema **out, dn_error *err);

#endif
