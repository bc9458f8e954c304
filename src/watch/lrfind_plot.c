/* lrfind_plot.c — the range test's picture (dn_plot_lr_find): loss
 * against log10 of the learning rate, the raw batch losses faint, their
 * smoothed curve bold, a line at the suggested rate and one where the
 * loss diverged.  The pieces are svg.c's, as in every picture here. */
#include "nn/nn.h"
#include "watch/svg.h"
#include <math.h>
#include <stdlib.h>

#define LR_W 640
#define LR_H 420

typedef struct {
    const dn_lr_find_result *r;
    const char *title;
    double *x, *raw;   /* log10 eta; the raw losses inside the y range */
} lr_plot;

/* A vertical line at rate x (log10) with a label near the bottom, row
 * `row` up from it (the legend takes a top corner). */
static void mark(FILE *o, const dn_svg_frame *f, const char *id, double x,
                 const char *color, const char *label, int row)
{
    double px = dn_svg_px(f, x);
    dn_fprintf(o, "<line id=\"%s\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
               "y2=\"%.2f\" stroke=\"%s\" stroke-width=\"1.5\" "
               "stroke-dasharray=\"5 3\"/>\n", id, px, f->y, px, f->y + f->h,
               color);
    dn_svg_text(o, px + (px > f->x + f->w - 120 ? -4 : 4),
                f->y + f->h - 8 - 16 * row,
                px > f->x + f->w - 120 ? "end" : "start", 11, NULL, label);
}

static int fill(FILE *o, void *arg)
{
    const lr_plot *p = arg;
    const dn_lr_find_result *r = p->r;
    const int top = dn_svg_begin(o, LR_W, LR_H, p->title);
    dn_svg_frame f = { 78, top + 40, LR_W - 78 - 16, LR_H - 40 - 56,
                       p->x[0], p->x[r->n - 1], 0, 1, 0 };
    if (f.xhi <= f.xlo) { f.xlo -= 1; f.xhi += 1; }
    const double *arr[1] = { r->smooth };
    if (!dn_svg_range(arr, 1, r->n, 0, &f.ylo, &f.yhi)) { f.ylo = 0; f.yhi = 1; }
    dn_svg_pad(&f.ylo, &f.yhi, 0);
    for (int i = 0; i < r->n; i++)
        p->raw[i] = r->loss[i] >= f.ylo && r->loss[i] <= f.yhi ? r->loss[i]
                                                                : NAN;
    dn_svg_axes(o, &f, "log10 learning rate", "loss", "Learning-rate range "
                "test", 0);
    dn_svg_series(o, &f, "loss", "#c7c7c7", NULL, p->x, p->raw, r->n);
    dn_svg_series(o, &f, "smooth", dn_svg_color[0], NULL, p->x, r->smooth,
                  r->n);
    char s[96];
    dn_snprintf(s, sizeof s, "suggested %.3g", r->suggest);
    mark(o, &f, "suggest", log10(r->suggest), dn_svg_color[2], s, 0);
    if (isfinite(r->diverged)) {
        dn_snprintf(s, sizeof s, "diverged %.3g", r->diverged);
        mark(o, &f, "diverged", log10(r->diverged), dn_svg_color[3], s, 1);
    }
    const char *lab[2] = { "batch loss", "smoothed" };
    const char *col[2] = { "#c7c7c7", dn_svg_color[0] };
    const char *dash[2] = { NULL, NULL };
    double xs[2048], ys[2048];
    int np = 0, step = r->n > 2048 ? r->n / 2048 + 1 : 1;
    for (int i = 0; i < r->n && np < 2048; i += step)
        if (dn_svg_drawable(&f, r->smooth[i])) {
            xs[np] = dn_svg_px(&f, p->x[i]);
            ys[np++] = dn_svg_py(&f, r->smooth[i]);
        }
    dn_svg_legend(o, &f, lab, col, dash, 2, xs, ys, np);
    fputs("</svg>\n", o);
    return ferror(o);
}

dn_status dn_plot_lr_find(const dn_lr_find_result *r, const char *title,
                          const char *path, dn_error *err)
{
    if (!r || r->n < 1 || !r->eta)
        return dn_fail(err, DN_EARG, "cannot plot '%s': the range test has "
                       "no steps", path ? path : "");
    double *buf = malloc(2 * (size_t)r->n * sizeof *buf);
    if (!buf) return dn_fail(err, DN_ENOMEM, "out of memory");
    lr_plot p = { r, title, buf, buf + r->n };
    for (int i = 0; i < r->n; i++) p.x[i] = log10(r->eta[i]);
    dn_status st = dn_atomic_write(path, "plot", fill, &p, err);
    free(buf);
    return st;
}
