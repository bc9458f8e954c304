/* trace_show.c — how `descent trace` writes a step: plain text for the
 * terminal, or Markdown and LaTeX to paste into notes (the same
 * equations in TeX, inside $$ or \[ \]).  Every number is %.6g: six
 * significant digits, enough to follow the arithmetic by hand. */
#include "trace.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Past this many rows or columns a matrix shows its first SHOW_HEAD and
 * its last, with an ellipsis between (unless --full). */
#define SHOW_MAX 6
#define SHOW_HEAD 4

tr_mat tr_matrix(const float *p, int r, int c)
{
    tr_mat m = { r, c, p, c, 1, 0 };
    return m;
}

tr_mat tr_vector(const float *p, int n)
{
    tr_mat m = { n, 1, p, 1, 1, 1 };
    return m;
}

tr_mat tr_columns(const float *p, int n, int k)
{
    tr_mat m = { k, n, p, 1, k, n == 1 };
    return m;
}

static void num(char *buf, size_t n, double v)
{
    dn_snprintf(buf, n, "%.6g", v);
}

/* The indexes a dimension of size n shows: all, or the head, a gap
 * (-1) and the last. */
static int shown(const tr_out *o, int n, int *idx)
{
    int k = 0;
    if (o->full || n <= SHOW_MAX) {
        for (int i = 0; i < n; i++) idx[k++] = i;
        return k;
    }
    for (int i = 0; i < SHOW_HEAD; i++) idx[k++] = i;
    idx[k++] = -1;
    idx[k++] = n - 1;
    return k;
}

static double at(tr_mat m, int i, int j)
{
    return m.p[(long)i * m.rs + (long)j * m.cs];
}

static void text_value(tr_out *o, const char *name, tr_mat m)
{
    tr_mat v = m;
    if (m.vec) {   /* a column vector on one line */
        v.rows = 1; v.cols = m.rows; v.rs = 0; v.cs = m.rs;
    }
    int *ri = malloc(sizeof(int) * (size_t)(v.rows + 2));
    int *ci = malloc(sizeof(int) * (size_t)(v.cols + 2));
    if (!ri || !ci) { free(ri); free(ci); fputs("  (out of memory)\n", o->out); return; }
    int nr = shown(o, v.rows, ri), nc = shown(o, v.cols, ci);
    /* each column as wide as its widest entry */
    int wid[SHOW_MAX + 2], *w = nc <= SHOW_MAX + 2 ? wid
                                : malloc(sizeof(int) * (size_t)nc);
    if (!w) { free(ri); free(ci); return; }
    char buf[32];
    for (int c = 0; c < nc; c++) {
        w[c] = 1;
        for (int r = 0; r < nr; r++) {
            if (ri[r] < 0 || ci[c] < 0) continue;
            num(buf, sizeof buf, at(v, ri[r], ci[c]));
            int l = (int)strlen(buf);
            if (l > w[c]) w[c] = l;
        }
    }
    int indent = (int)strlen(name) + 5;
    for (int r = 0; r < nr; r++) {
        if (r == 0) fprintf(o->out, "  %s = [", name);
        else fprintf(o->out, "%*s[", indent, "");
        for (int c = 0; c < nc; c++) {
            if (ri[r] < 0) snprintf(buf, sizeof buf, "%s", c ? "" : ":");
            else if (ci[c] < 0) snprintf(buf, sizeof buf, "...");
            else num(buf, sizeof buf, at(v, ri[r], ci[c]));
            fprintf(o->out, " %*s", w[c] > 3 || ci[c] >= 0 ? w[c] : 3, buf);
        }
        fprintf(o->out, " ]%s", m.vec ? "ᵀ" : "");
        if (r == 0 && nr * nc < v.rows * v.cols)
            fprintf(o->out, "   (%d x %d, abbreviated: --full shows all)",
                    m.rows, m.cols);
        fputc('\n', o->out);
    }
    if (w != wid) free(w);
    free(ri);
    free(ci);
}

static void tex_value(tr_out *o, tr_mat m)
{
    int *ri = malloc(sizeof(int) * (size_t)(m.rows + 2));
    int *ci = malloc(sizeof(int) * (size_t)(m.cols + 2));
    if (!ri || !ci) { free(ri); free(ci); return; }
    int nr = shown(o, m.rows, ri), nc = shown(o, m.cols, ci);
    char buf[32];
    fputs("\\begin{bmatrix}", o->out);
    for (int r = 0; r < nr; r++) {
        if (r) fputs(" \\\\", o->out);
        for (int c = 0; c < nc; c++) {
            if (c) fputs(" &", o->out);
            if (ri[r] < 0) snprintf(buf, sizeof buf, ci[c] < 0 ? "\\ddots"
                                                                : "\\vdots");
            else if (ci[c] < 0) snprintf(buf, sizeof buf, "\\cdots");
            else num(buf, sizeof buf, at(m, ri[r], ci[c]));
            fprintf(o->out, " %s", buf);
        }
    }
    fputs(" \\end{bmatrix}", o->out);
    free(ri);
    free(ci);
}

static void math_open(tr_out *o)
{
    fputs(o->fmt == TR_MARKDOWN ? "$$ " : "\\[ ", o->out);
}

static void math_close(tr_out *o)
{
    fputs(o->fmt == TR_MARKDOWN ? " $$\n\n" : " \\]\n\n", o->out);
}

void tr_head(tr_out *o, const char *text)
{
    switch (o->fmt) {
    case TR_TEXT: fprintf(o->out, "\n%s\n", text); break;
    case TR_MARKDOWN: fprintf(o->out, "### %s\n\n", text); break;
    case TR_LATEX: fprintf(o->out, "\\subsection*{%s}\n\n", text); break;
    }
}

void tr_note(tr_out *o, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (o->fmt == TR_TEXT) { fprintf(o->out, "  (%s)\n", buf); return; }
    for (const char *p = buf; *p; p++) {
        if (o->fmt == TR_LATEX && strchr("_%&#$", *p)) fputc('\\', o->out);
        fputc(*p, o->out);
    }
    fputs("\n\n", o->out);
}

void tr_formula(tr_out *o, const char *text, const char *tex)
{
    if (o->fmt == TR_TEXT) { fprintf(o->out, "  %s\n", text); return; }
    math_open(o);
    fputs(tex, o->out);
    math_close(o);
}

void tr_value(tr_out *o, const char *text, const char *tex, tr_mat m)
{
    if (o->fmt == TR_TEXT) { text_value(o, text, m); return; }
    math_open(o);
    fprintf(o->out, "%s = ", tex);
    tex_value(o, m);
    math_close(o);
}

void tr_scalar(tr_out *o, const char *text, const char *tex, double v)
{
    char buf[32];
    num(buf, sizeof buf, v);
    if (o->fmt == TR_TEXT) { fprintf(o->out, "  %s = %s\n", text, buf); return; }
    math_open(o);
    fprintf(o->out, "%s = %s", tex, buf);
    math_close(o);
}
