/* data.h — what the data sets and their loaders (data.c, csv.c, idx.c,
 * schema.c) share. */
#ifndef DN_DATA_H
#define DN_DATA_H

#include "base/base.h"
#include "kernels/vec.h"

/* A data set of n rows with X zeroed (n × d) and, when k > 0, Y (n × k);
 * no schema yet.  Sizes must already be checked against the limits. */
dn_status dn_data_alloc(int n, int d, int k, dn_data **out, dn_error *err);

/* The same with X8 (n × d bytes, zeroed) in place of X. */
dn_status dn_data_alloc_u8(int n, int d, int k, dn_data **out, dn_error *err);

/* An empty schema with n_cols zeroed columns (names still NULL), so that
 * dn_schema_free can release it at any point while it is being filled. */
dn_schema *dn_schema_alloc(int n_cols);

/* Frees n strings and the array that holds them (NULL entries allowed). */
void dn_strs_free(char **s, int n);

/* Row i of d as floats: a pointer into X, or X8's bytes converted into
 * buf (d->d floats). */
const float *dn_data_row(const dn_data *d, int i, float *buf);

#endif
