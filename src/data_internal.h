/* data_internal.h — what the data loaders (csv.c, idx.c, data.c) share. */
#ifndef DN_DATA_INTERNAL_H
#define DN_DATA_INTERNAL_H

#include "internal.h"

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

#endif
