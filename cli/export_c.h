/* export_c.h — `descent export --format c`: the C source export, its
 * int8 quantization and the --check that compiles and runs it. */
#ifndef EXPORT_C_H
#define EXPORT_C_H

#include "descent.h"

typedef struct {
    const char *out, *name;
    int         int8;
    const char *calib, *calib_labels;   /* --calibrate, --calibrate-labels */
    const char *val, *val_labels;       /* --val-data, --val-labels */
    const char *check, *check_labels;   /* --check, --check-labels */
    double      percentile, tolerance;
    const char *command;                /* the command line, for the comment */
} export_c_args;

/* Quantizes (int8), reports the accuracy, writes the file and checks it;
 * returns the exit code. */
int export_c(const export_c_args *a, const dn_model *m, const char *model);

#endif
