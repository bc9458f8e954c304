/* plot.c — SVG pictures written from C: training curves from a history,
 * and the landscape of a small function with optimizers' paths on it.
 *
 * SVG because it is text (testable as XML), scales, and opens in any
 * browser; rsvg-convert or a browser turns it into PNG.  Everything is
 * drawn in pixel coordinates of a fixed canvas: the pieces (frames, axes, series,
 * legends) are svg.c's, and each data series is one <path> or <polyline> whose id names
 * it, so tests and scripts can find it. */
#include "nn/nn.h"
#include "watch/svg.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================== */
/* Training curves                                                     */
/* ================================================================== */

#define PANEL_W 420
#define PANEL_H 340
#define PLOT_L 78   /* margins inside a panel: left for the y labels */
#define PLOT_R 16
#define PLOT_T 40
#define PLOT_B 56

typedef struct {
    const dn_history *h;
    const dn_plot_opts *o;
    double *x, *col[7];  /* epoch, then the dn_hist_row columns */
} hist_plot;

enum { C_TL, C_VL, C_TM, C_VM, C_LR };

/* One panel with up to two series (train solid, validation dashed). */
static void panel(FILE *o, const hist_plot *p, int slot, const char *title,
                  const char *ytitle, int log, const double *a,
                  const char *id_a, const double *b, const char *id_b,
                  const char *label_a, const char *label_b)
{
    const int n = p->h->n;
    dn_svg_frame f = { slot * PANEL_W + PLOT_L, (p->o->title ? 30 : 0) + PLOT_T,
                PANEL_W - PLOT_L - PLOT_R, PANEL_H - PLOT_T - PLOT_B,
                0, 0, 0, 0, log };
    f.xlo = p->x[0];
    f.xhi = p->x[n - 1];
    if (f.xhi <= f.xlo) { f.xlo -= 1; f.xhi += 1; }
    const double *arr[2] = { a, b };
    if (!dn_svg_range(arr, b ? 2 : 1, n, log, &f.ylo, &f.yhi)) { f.ylo = 0; f.yhi = 1; }
    dn_svg_pad(&f.ylo, &f.yhi, log);
    dn_fprintf(o, "<g class=\"panel\" id=\"panel-%s\">\n", id_a);
    dn_svg_axes(o, &f, "epoch", ytitle, title, 1);
    const char *lab[2] = { label_a, label_b }, *col[2] = { dn_svg_color[0], dn_svg_color[1] };
    const char *dash[2] = { NULL, "6 3" };
    int shown = 0;
    const char *ls[2], *cs[2], *ds[2];
    if (dn_svg_series(o, &f, id_a, col[0], dash[0], p->x, a, n)) {
        ls[shown] = lab[0]; cs[shown] = col[0]; ds[shown++] = dash[0];
    }
    if (b && dn_svg_series(o, &f, id_b, col[1], dash[1], p->x, b, n)) {
        ls[shown] = lab[1]; cs[shown] = col[1]; ds[shown++] = dash[1];
    }
    /* The best validation loss: where early stopping would restore. */
    if (b && !strcmp(id_b, "val_loss")) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (dn_svg_drawable(&f, b[i]) && (best < 0 || b[i] < b[best])) best = i;
        if (best >= 0) {
            char s[64];
            snprintf(s, sizeof s, "best: epoch %d", p->h->row[best].epoch);
            double cx = dn_svg_px(&f, p->x[best]), cy = dn_svg_py(&f, b[best]);
            dn_fprintf(o, "<circle id=\"best\" cx=\"%.2f\" cy=\"%.2f\" r=\"5\" "
                       "fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", cx,
                       cy, dn_svg_color[3]);
            dn_svg_text(o, cx, cy + 20 > f.y + f.h - 4 ? cy - 10 : cy + 20,
                 cx > f.x + f.w - 60 ? "end" : "middle", 11, NULL, s);
        }
    }
    if (shown) {
        /* The points the legend should not hide, in pixels. */
        double xs[2 * 1024], ys[2 * 1024];
        int np = 0;
        for (int k = 0; k < (b ? 2 : 1); k++) {
            const double *v = k ? b : a;
            int step = n > 1024 ? n / 1024 + 1 : 1;
            for (int i = 0; i < n && np < 2 * 1024; i += step)
                if (dn_svg_drawable(&f, v[i])) {
                    xs[np] = dn_svg_px(&f, p->x[i]);
                    ys[np++] = dn_svg_py(&f, v[i]);
                }
        }
        dn_svg_legend(o, &f, ls, cs, ds, shown, xs, ys, np);
    }
    else dn_svg_text(o, f.x + f.w / 2, f.y + f.h / 2, "middle", 13, NULL,
              "no values to draw");
    fputs("</g>\n", o);
}

static int any_finite(const double *a, int n)
{
    for (int i = 0; i < n; i++) if (isfinite(a[i])) return 1;
    return 0;
}

static int fill_history(FILE *o, void *arg)
{
    const hist_plot *p = arg;
    const dn_history *h = p->h;
    const int metric = any_finite(p->col[C_TM], h->n) ||
                       any_finite(p->col[C_VM], h->n);
    const int panels = 2 + metric;
    dn_svg_begin(o, panels * PANEL_W, PANEL_H, p->o->title);
    int log = p->o->log_scale;
    panel(o, p, 0, log ? "Loss (log scale)" : "Loss", "loss", log,
          p->col[C_TL], "train_loss", p->col[C_VL], "val_loss", "train",
          "validation");
    char id_t[40], id_v[40], title[40];
    if (metric) {
        snprintf(id_t, sizeof id_t, "train_%s", h->metric);
        snprintf(id_v, sizeof id_v, "val_%s", h->metric);
        snprintf(title, sizeof title, "%s", h->metric);
        title[0] = (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 32
                                                             : title[0]);
        if (!strcmp(h->metric, "mae")) snprintf(title, sizeof title, "MAE");
        panel(o, p, 1, title, h->metric, 0, p->col[C_TM], id_t, p->col[C_VM],
              id_v, "train", "validation");
    }
    panel(o, p, 1 + metric, log ? "Learning rate (log scale)" : "Learning rate",
          "learning rate", log, p->col[C_LR], "learning_rate", NULL, NULL,
          "learning rate", NULL);
    fputs("</svg>\n", o);
    return ferror(o);
}

dn_status dn_plot_history(const dn_history *h, const dn_plot_opts *opts,
                          const char *path, dn_error *err)
{
    dn_plot_opts def = { .title = NULL };
    if (!opts) opts = &def;
    if (!h || h->n < 1)
        return dn_fail(err, DN_EARG, "cannot plot '%s': the history has no "
                       "rows", path ? path : "");
    hist_plot p = { h, opts, NULL, { NULL } };
    const size_t n = (size_t)h->n;
    double *buf = malloc(6 * n * sizeof *buf);
    if (!buf) return dn_fail(err, DN_ENOMEM, "out of memory");
    p.x = buf;
    for (int k = 0; k < 5; k++) p.col[k] = buf + (k + 1) * n;
    for (size_t i = 0; i < n; i++) {
        const dn_hist_row *r = &h->row[i];
        p.x[i] = r->epoch;
        p.col[C_TL][i] = r->train_loss;
        p.col[C_VL][i] = r->val_loss;
        p.col[C_TM][i] = r->train_metric;
        p.col[C_VM][i] = r->val_metric;
        p.col[C_LR][i] = r->learning_rate;
    }
    dn_status st = dn_atomic_write(path, "plot", fill_history, &p, err);
    free(buf);
    return st;
}

/* ================================================================== */
/* Landscapes                                                          */
/* ================================================================== */

#define LAND_W 900
#define LAND_H 620
#define GRID 160      /* contour grid cells per side */
#define N_LEVELS 24

typedef struct {
    dn_land f;
    const dn_land_info *in;
    const dn_land_path *paths;
    int n_paths;
    const dn_plot_opts *o;
    double box[4];
    double *grid;     /* (GRID+1)² values of f − fmin */
} land_plot;

/* The contour colour of level i of n: dark blue-grey in the valleys to
 * pale grey on the heights, so that the paths' colours stand out. */
static void level_color(char *buf, size_t n, int i, int levels)
{
    double t = levels > 1 ? (double)i / (levels - 1) : 0;
    int r = (int)(40 + t * (205 - 40)), g = (int)(80 + t * (210 - 80)),
        b = (int)(130 + t * (220 - 130));
    snprintf(buf, n, "#%02x%02x%02x", r, g, b);
}

/* Where the level crosses the edge between two grid values. */
static double cross(double a, double b, double level)
{
    return a == b ? 0.5 : (level - a) / (b - a);
}

/* Marching squares: for each cell, the corners above the level decide
 * which edges the contour crosses; the crossing points are interpolated
 * linearly.  The two ambiguous cases are decided by the cell's mean. */
static void contour(FILE *o, const dn_svg_frame *fr, const land_plot *p, double level,
                    const char *color)
{
    const double *v = p->grid;
    const double x0 = p->box[0], y0 = p->box[2];
    const double dx = (p->box[1] - p->box[0]) / GRID,
                 dy = (p->box[3] - p->box[2]) / GRID;
    dn_fprintf(o, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1\" d=\"",
               color);
    for (int j = 0; j < GRID; j++)
        for (int i = 0; i < GRID; i++) {
            /* corners: a (i,j) b (i+1,j) c (i+1,j+1) d (i,j+1) */
            double a = v[j * (GRID + 1) + i], b = v[j * (GRID + 1) + i + 1],
                   c = v[(j + 1) * (GRID + 1) + i + 1],
                   d = v[(j + 1) * (GRID + 1) + i];
            int k = (a > level) | (b > level) << 1 | (c > level) << 2 |
                    (d > level) << 3;
            if (k == 0 || k == 15) continue;
            /* Edge crossing points in data coordinates: bottom (a-b),
             * right (b-c), top (d-c), left (a-d). */
            double ex[4], ey[4];
            double X = x0 + i * dx, Y = y0 + j * dy;
            ex[0] = X + cross(a, b, level) * dx; ey[0] = Y;
            ex[1] = X + dx; ey[1] = Y + cross(b, c, level) * dy;
            ex[2] = X + cross(d, c, level) * dx; ey[2] = Y + dy;
            ex[3] = X; ey[3] = Y + cross(a, d, level) * dy;
            int seg[4], ns = 0;
            switch (k) {
            case 1: case 14: seg[0] = 0; seg[1] = 3; ns = 1; break;
            case 2: case 13: seg[0] = 0; seg[1] = 1; ns = 1; break;
            case 3: case 12: seg[0] = 1; seg[1] = 3; ns = 1; break;
            case 4: case 11: seg[0] = 1; seg[1] = 2; ns = 1; break;
            case 6: case 9:  seg[0] = 0; seg[1] = 2; ns = 1; break;
            case 7: case 8:  seg[0] = 2; seg[1] = 3; ns = 1; break;
            case 5: case 10: {
                int mid_above = (a + b + c + d) / 4 > level;
                /* a and c on one side, b and d on the other. */
                if ((k == 5) == mid_above) {
                    seg[0] = 0; seg[1] = 1; seg[2] = 2; seg[3] = 3;
                } else {
                    seg[0] = 0; seg[1] = 3; seg[2] = 1; seg[3] = 2;
                }
                ns = 2;
                break;
            }
            }
            for (int s = 0; s < ns; s++)
                dn_fprintf(o, "M%.1f %.1f L%.1f %.1f ", dn_svg_px(fr, ex[seg[2 * s]]),
                           dn_svg_py(fr, ey[seg[2 * s]]), dn_svg_px(fr, ex[seg[2 * s + 1]]),
                           dn_svg_py(fr, ey[seg[2 * s + 1]]));
        }
    fputs("\"/>\n", o);
}

/* The legend of the paths, right of the plot. */
static void path_legend(FILE *o, const land_plot *p, double x, double y)
{
    dn_svg_text(o, x, y, "start", 13, "font-weight=\"bold\"", "optimizer");
    for (int k = 0; k < p->n_paths; k++) {
        const dn_land_path *q = &p->paths[k];
        double ly = y + 26 + 40 * k;
        dn_fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"%s\" stroke-width=\"3\"/>\n", x, ly - 4, x + 24,
                   ly - 4, dn_svg_color[k % DN_SVG_N_COLOR]);
        dn_svg_text(o, x + 32, ly, "start", 12, NULL, q->label ? q->label : "path");
        char s[96];
        if (q->n > 0) {
            const float *e = q->xy + (size_t)(q->n - 1) * p->in->dim;
            double pt[2] = { e[0], p->in->dim == 2 ? e[1] : 0 };
            dn_snprintf(s, sizeof s, "%d steps, f = %.4g", q->n - 1,
                        dn_land_eval(p->f, pt, NULL));
        } else {
            snprintf(s, sizeof s, "no finite point");
        }
        dn_svg_text(o, x + 32, ly + 15, "start", 11, "fill=\"#555555\"", s);
    }
}

/* Opens the polyline of path k (numbered from 1 in its id) in its
 * colour and the given stroke style; the caller writes its points and
 * closes it. */
static void path_open(FILE *o, const dn_land_path *q, int k, const char *style)
{
    dn_fprintf(o, "<polyline id=\"path%d\" data-label=\"", k + 1);
    dn_svg_xml_text(o, q->label ? q->label : "");
    dn_fprintf(o, "\" fill=\"none\" stroke=\"%s\" %s points=\"",
               dn_svg_color[k % DN_SVG_N_COLOR], style);
}

static void land_2d(FILE *o, const land_plot *p, const dn_svg_frame *fr)
{
    /* Levels of f − fmin: geometric over five decades below the grid's
     * maximum when values span decades, else spaced as squares, which
     * draws a quadratic's ellipses evenly apart. */
    double vmax = 0;
    for (int i = 0; i < (GRID + 1) * (GRID + 1); i++)
        if (isfinite(p->grid[i]) && p->grid[i] > vmax) vmax = p->grid[i];
    int geo = p->in->log_levels || p->o->log_scale;
    fputs("<g class=\"contours\" clip-path=\"url(#plotarea)\">\n", o);
    for (int l = 0; l < N_LEVELS; l++) {
        double t = (l + 1.0) / (N_LEVELS + 1.0);
        double level = geo ? vmax * pow(10, -5 * (1 - t)) : vmax * t * t;
        char c[16];
        level_color(c, sizeof c, l, N_LEVELS);
        contour(o, fr, p, level, c);
    }
    fputs("</g>\n", o);
    /* The minimum. */
    double mx = dn_svg_px(fr, p->in->argmin[0]), my = dn_svg_py(fr, p->in->argmin[1]);
    dn_fprintf(o, "<path id=\"minimum\" d=\"M%.1f %.1f L%.1f %.1f M%.1f %.1f "
               "L%.1f %.1f\" stroke=\"#000000\" stroke-width=\"2.5\"/>\n",
               mx - 7, my - 7, mx + 7, my + 7, mx - 7, my + 7, mx + 7, my - 7);
    dn_svg_text(o, mx + 9, my - 9, "start", 11, NULL, "minimum");
    fputs("<g class=\"paths\" clip-path=\"url(#plotarea)\">\n", o);
    for (int k = 0; k < p->n_paths; k++) {
        const dn_land_path *q = &p->paths[k];
        const char *c = dn_svg_color[k % DN_SVG_N_COLOR];
        path_open(o, q, k, "stroke-width=\"2\" stroke-linejoin=\"round\"");
        for (int i = 0; i < q->n; i++)
            dn_fprintf(o, "%s%.2f,%.2f", i ? " " : "", dn_svg_px(fr, q->xy[2 * i]),
                       dn_svg_py(fr, q->xy[2 * i + 1]));
        fputs("\"/>\n", o);
        if (q->n > 0 && q->n <= 80) {
            dn_fprintf(o, "<g fill=\"%s\">\n", c);
            for (int i = 1; i < q->n; i++)
                dn_fprintf(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2\"/>\n",
                           dn_svg_px(fr, q->xy[2 * i]), dn_svg_py(fr, q->xy[2 * i + 1]));
            fputs("</g>\n", o);
        }
        if (q->n > 0) {
            const float *e = q->xy + 2 * (size_t)(q->n - 1);
            dn_fprintf(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4.5\" fill=\"%s\" "
                       "stroke=\"#ffffff\"/>\n", dn_svg_px(fr, e[0]), dn_svg_py(fr, e[1]), c);
        }
    }
    fputs("</g>\n", o);
    /* The start, drawn last so that it sits on top. */
    if (p->n_paths > 0 && p->paths[0].n > 0) {
        double sx = dn_svg_px(fr, p->paths[0].xy[0]), sy = dn_svg_py(fr, p->paths[0].xy[1]);
        dn_fprintf(o, "<circle id=\"start\" cx=\"%.2f\" cy=\"%.2f\" r=\"5\" "
                   "fill=\"#ffffff\" stroke=\"#000000\" stroke-width=\"2\"/>\n",
                   sx, sy);
        dn_svg_text(o, sx + 8, sy - 8, "start", 11, NULL, "start");
    }
}

static void land_1d(FILE *o, const land_plot *p, const dn_svg_frame *fr)
{
    /* The curve itself. */
    fputs("<polyline id=\"curve\" fill=\"none\" stroke=\"#444444\" "
          "stroke-width=\"2\" points=\"", o);
    for (int i = 0; i <= GRID; i++) {
        double w = p->box[0] + (p->box[1] - p->box[0]) * i / GRID;
        dn_fprintf(o, "%s%.2f,%.2f", i ? " " : "", dn_svg_px(fr, w),
                   dn_svg_py(fr, dn_land_eval(p->f, &w, NULL)));
    }
    fputs("\"/>\n", o);
    double mx = dn_svg_px(fr, p->in->argmin[0]), my = dn_svg_py(fr, p->in->fmin);
    dn_fprintf(o, "<path id=\"minimum\" d=\"M%.1f %.1f L%.1f %.1f\" "
               "stroke=\"#000000\" stroke-width=\"1\" stroke-dasharray=\"3 3\"/>\n",
               mx, my, mx, fr->y + fr->h);
    fputs("<g class=\"paths\" clip-path=\"url(#plotarea)\">\n", o);
    for (int k = 0; k < p->n_paths; k++) {
        const dn_land_path *q = &p->paths[k];
        const char *c = dn_svg_color[k % DN_SVG_N_COLOR];
        /* The steps (w_k, C(w_k)) joined in order: the zig-zag (or the
         * slide) of the updates along the curve. */
        path_open(o, q, k, "stroke-width=\"1.5\" stroke-dasharray=\"4 2\"");
        for (int i = 0; i < q->n; i++) {
            double w = q->xy[i];
            dn_fprintf(o, "%s%.2f,%.2f", i ? " " : "", dn_svg_px(fr, w),
                       dn_svg_py(fr, dn_land_eval(p->f, &w, NULL)));
        }
        fputs("\"/>\n", o);
        dn_fprintf(o, "<g fill=\"%s\" stroke=\"#ffffff\">\n", c);
        for (int i = 0; i < q->n; i++) {
            double w = q->xy[i];
            dn_fprintf(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"4\"/>\n",
                       dn_svg_px(fr, w), dn_svg_py(fr, dn_land_eval(p->f, &w, NULL)));
        }
        fputs("</g>\n", o);
        /* Number the first steps of the first path, as the notes do. */
        if (k == 0)
            for (int i = 0; i < q->n && i < 6; i++) {
                double w = q->xy[i];
                char s[16];
                snprintf(s, sizeof s, "w%d", i);
                dn_svg_text(o, dn_svg_px(fr, w), dn_svg_py(fr, dn_land_eval(p->f, &w, NULL)) - 9,
                     "middle", 11, NULL, s);
            }
    }
    fputs("</g>\n", o);
}

static int fill_landscape(FILE *o, void *arg)
{
    const land_plot *p = arg;
    const int two = p->in->dim == 2;
    dn_svg_frame fr = { 80, 50, 560, 500, p->box[0], p->box[1], 0, 0, 0 };
    if (two) {
        fr.ylo = p->box[2];
        fr.yhi = p->box[3];
    } else {
        /* C over the box, from 0 (or below the minimum) to its top. */
        double hi = p->in->fmin;
        for (int i = 0; i <= GRID; i++) {
            double w = p->box[0] + (p->box[1] - p->box[0]) * i / GRID;
            hi = fmax(hi, dn_land_eval(p->f, &w, NULL));
        }
        fr.ylo = fmin(0, p->in->fmin);
        fr.yhi = hi;
        dn_svg_pad(&fr.ylo, &fr.yhi, 0);
    }
    dn_svg_open(o, LAND_W, LAND_H, 1);
    dn_fprintf(o, "<defs><clipPath id=\"plotarea\"><rect x=\"%.1f\" y=\"%.1f\" "
               "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n", fr.x, fr.y,
               fr.w, fr.h);
    dn_svg_axes(o, &fr, two ? "x" : "w", two ? "y" : "C(w)",
         p->o->title ? p->o->title : p->in->formula, 0);
    if (two) land_2d(o, p, &fr);
    else land_1d(o, p, &fr);
    path_legend(o, p, fr.x + fr.w + 30, fr.y + 10);
    fputs("</svg>\n", o);
    return ferror(o);
}

dn_status dn_plot_landscape(dn_land f, const dn_land_path *paths, int n_paths,
                            const dn_plot_opts *opts, const char *path,
                            dn_error *err)
{
    dn_plot_opts def = { .title = NULL };
    if (!opts) opts = &def;
    const dn_land_info *in = dn_land_get(f);
    if (!in) return dn_fail(err, DN_EARG, "unknown function %d", (int)f);
    if (n_paths < 0 || (n_paths > 0 && !paths))
        return dn_fail(err, DN_EARG, "cannot plot '%s': %d paths given",
                       path ? path : "", n_paths);
    land_plot p = { f, in, paths, n_paths, opts, { 0 }, NULL };
    memcpy(p.box, in->box, sizeof p.box);
    /* Widen the view to take in the paths, by at most the box's own size
     * each way: a path that runs off to infinity is clipped, not allowed
     * to shrink the landscape to a dot. */
    for (int d = 0; d < in->dim; d++) {
        double lo = in->box[2 * d], hi = in->box[2 * d + 1], span = hi - lo;
        for (int k = 0; k < n_paths; k++)
            for (int i = 0; i < paths[k].n; i++) {
                double v = paths[k].xy[(size_t)i * in->dim + d];
                if (v < p.box[2 * d]) p.box[2 * d] = fmax(v, lo - span);
                if (v > p.box[2 * d + 1]) p.box[2 * d + 1] = fmin(v, hi + span);
            }
    }
    if (in->dim == 2) {
        p.grid = malloc((GRID + 1) * (GRID + 1) * sizeof *p.grid);
        if (!p.grid) return dn_fail(err, DN_ENOMEM, "out of memory");
        for (int j = 0; j <= GRID; j++)
            for (int i = 0; i <= GRID; i++) {
                double q[2] = { p.box[0] + (p.box[1] - p.box[0]) * i / GRID,
                                p.box[2] + (p.box[3] - p.box[2]) * j / GRID };
                p.grid[j * (GRID + 1) + i] = dn_land_eval(f, q, NULL) - in->fmin;
            }
    }
    dn_status st = dn_atomic_write(path, "plot", fill_landscape, &p, err);
    free(p.grid);
    return st;
}
