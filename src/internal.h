/* internal.h — what the library's files share and users never see. */
#ifndef DN_INTERNAL_H
#define DN_INTERNAL_H

#include "descent.h"
#include <stdarg.h>

/* The model: one flat parameter vector theta and where each tensor sits. */
struct dn_model {
    dn_arch    arch;
    size_t     n_params;
    float     *theta;
    size_t     off_W[DN_MAX_LAYERS];
    size_t     off_b[DN_MAX_LAYERS];
    long       off_slope[DN_MAX_LAYERS];  /* -1 when the layer has none */
    float     *mean, *std;                /* input scaling, NULL if none */
    float     *inv_std;                   /* 1 / std, so forward multiplies */
    dn_schema *schema;                    /* NULL if none */
    int        n_meta;
    char     **meta_key, **meta_val;
};

/* Fills err (if not NULL) with a printf-style message and returns code. */
dn_status dn_fail(dn_error *err, dn_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* strdup that the C11 standard library lacks; NULL stays NULL. */
char *dn_strdup(const char *s);

/* Largest sizes any loader will accept before allocating: guards against
 * absurd numbers in files (a 2^62-row header must not become malloc). */
#define DN_MAX_ROWS      100000000L   /* 1e8 samples */
#define DN_MAX_WIDTH     1000000L     /* 1e6 inputs or units */
#define DN_MAX_ELEMENTS  (1L << 31)   /* 2^31 floats = 8 GiB in one tensor */

#endif
