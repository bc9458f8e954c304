/* trace.h — what `descent trace`'s files share: the three output formats
 * (trace_show.c) and the one-parameter trace (trace_fn.c). */
#ifndef CLI_TRACE_H
#define CLI_TRACE_H
#include "cli.h"

typedef enum { TR_TEXT, TR_MARKDOWN, TR_LATEX } tr_format;

/* A matrix to show: element (i, j) is p[i * rs + j * cs].  vec marks a
 * column vector (text writes it on one line with a ᵀ). */
typedef struct {
    int rows, cols;
    const float *p;
    long rs, cs;
    int vec;
} tr_mat;

typedef struct {
    FILE *out;
    tr_format fmt;
    int full;        /* every entry, however large */
} tr_out;

/* A matrix of r × c floats, row-major; a column vector of n. */
tr_mat tr_matrix(const float *p, int r, int c);
tr_mat tr_vector(const float *p, int n);
/* The columns of p (n rows of k, row-major) as a k × n matrix: one
 * column per data row, as the notes write a batch. */
tr_mat tr_columns(const float *p, int n, int k);

/* A heading. */
void tr_head(tr_out *o, const char *text);
/* A sentence of explanation (plain text; escaped for LaTeX). */
void tr_note(tr_out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* An equation in symbols: text as the terminal shows it, tex for
 * Markdown (inside $$) and LaTeX (inside \[ \]). */
void tr_formula(tr_out *o, const char *text, const char *tex);
/* A named value: "W1 = [...]", or W^{(1)} = \begin{bmatrix}. */
void tr_value(tr_out *o, const char *text, const char *tex, tr_mat m);
/* A named scalar. */
void tr_scalar(tr_out *o, const char *text, const char *tex, double v);

/* `descent trace --fn EXPR ...`: argv holds trace's arguments. */
int trace_fn(int argc, char **argv);

#endif
