/* boundary.c — decision regions of a two-input model: the input plane
 * cut into cells coloured by the model's output at their centres, the
 * data's points on top (the TensorFlow Playground's picture, for any
 * model and CSV).  A dn_boundary keeps frames on one box and grid, so
 * that the regions forming during training can be played back in one
 * SVG (SMIL <set>: no script).  The pieces — frame, axes, text, the
 * colours — are svg.c's. */
#include "data/data.h"
#include "nn/nn.h"
#include "watch/boundary.h"
#include "watch/svg.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GRID 500
#define STEPS 5          /* confidence shades of a class */
#define RAMP 16          /* regression colour steps */
#define MAX_POINTS 5000  /* points drawn; more are thinned evenly */
#define PLOT 460         /* the plot area's side, pixels */
#define CANVAS_W 760
#define CANVAS_H 560

void dn_boundary_defaults(dn_boundary_opts *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);  /* the reserved tail too */
    o->grid = 100;
    o->margin = 0.1;
    o->title = NULL;
}

void dn_boundary_free(dn_boundary *b)
{
    if (!b) return;
    if (b->cls_name) dn_strs_free(b->cls_name, b->K);
    DN_FREE_ALL(b->title, b->axis[0], b->axis[1], b->pts, b->pt_y, b->X,
                b->out, b->label, b->cls, b->val);
    dn_buf_free(&b->pack);
    free(b);
}

/* The model's inputs must be a plane: two numeric columns. */
dn_status dn_boundary_check(const dn_model *m, dn_error *err)
{
    DN_NEED(m);
    const dn_schema *s = m->schema;
    if (m->arch.n_in != 2) {
        char cols[256] = "";
        size_t o = 0;
        for (int c = 0; s && c < s->n_cols && c < 4 && o < sizeof cols; c++) {
            char b[DN_SHOW_BUF];
            o += (size_t)snprintf(cols + o, sizeof cols - o, "%s'%s'",
                                  c ? ", " : ": ", dn_show(s->col[c].name, b));
        }
        if (s && s->n_cols > 4 && o < sizeof cols)
            snprintf(cols + o, sizeof cols - o, ", ...");
        return dn_fail(err, DN_EARG, "the model takes %d inputs%s; decision "
                       "regions are drawn over a plane of exactly 2: train a "
                       "model on two input columns (descent train DATA "
                       "--drop the others) to see its regions",
                       m->arch.n_in, cols);
    }
    for (int c = 0; s && c < s->n_cols; c++)
        if (s->n_cols != 2 || s->col[c].n_cats || s->col[c].indicator) {
            char b[DN_SHOW_BUF];
            return dn_fail(err, DN_EARG, "the model's 2 inputs come from "
                           "column '%s' (%s), not from two numeric columns: "
                           "decision regions need a plane of two numbers; "
                           "train on two numeric columns", dn_show(s->col[c].name, b),
                           s->col[c].n_cats ? "one-hot encoded"
                           : "with a was-missing indicator");
        }
    return DN_OK;
}

/* The box: the points' bounding box, widened by margin of its span each
 * side (a span of 0 by 1 each way). */
static void find_box(const dn_data *d, double margin, double *box)
{
    float buf[2];
    for (int a = 0; a < 2; a++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < d->n; i++) {
            double v = dn_data_row(d, i, buf)[a];
            if (!isfinite(v)) continue;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        if (!(lo <= hi)) lo = -1, hi = 1;
        double span = hi - lo;
        if (span > 0) {
            lo -= margin * span;
            hi += margin * span;
        } else {
            lo -= 1;
            hi += 1;
        }
        box[2 * a] = lo;
        box[2 * a + 1] = hi;
    }
}

static dn_status copy_names(dn_boundary *b, const dn_model *m)
{
    const dn_schema *s = m->schema;
    for (int a = 0; a < 2; a++) {
        char def[8];
        snprintf(def, sizeof def, "x%d", a + 1);
        b->axis[a] = dn_strdup(s && s->col[a].name ? s->col[a].name : def);
        if (!b->axis[a]) return DN_ENOMEM;
    }
    if (b->regression) return DN_OK;
    b->cls_name = calloc((size_t)b->K, sizeof *b->cls_name);
    if (!b->cls_name) return DN_ENOMEM;
    for (int k = 0; s && s->classes && k < b->K && k < s->n_classes; k++)
        if (s->classes[k] && !(b->cls_name[k] = dn_strdup(s->classes[k])))
            return DN_ENOMEM;
    return DN_OK;
}

dn_status dn_boundary_new(const dn_model *m, const dn_data *d,
                          const dn_boundary_opts *o, dn_boundary **out,
                          dn_error *err)
{
    DN_NEED(m);
    DN_NEED(d);
    DN_NEED(out);
    *out = NULL;
    dn_boundary_opts def;
    dn_boundary_defaults(&def);
    if (!o) o = &def;
    dn_status st = dn_boundary_check(m, err);
    if (st) return st;
    if (d->d != 2 || d->n < 1)
        return dn_fail(err, DN_EARG, "the data have %d rows of %d inputs; the "
                       "model's regions need rows of its 2", d->n, d->d);
    if (o->grid < 2 || o->grid > MAX_GRID)
        return dn_fail(err, DN_EARG, "grid %d; use 2 to %d cells per side",
                       o->grid, MAX_GRID);
    if (!(o->margin >= 0 && o->margin <= 10))
        return dn_fail(err, DN_EARG, "margin %g; use 0 to 10 (a fraction of "
                       "the data's span)", o->margin);
    dn_boundary *b = calloc(1, sizeof *b);
    if (!b) return dn_fail(err, DN_ENOMEM, "out of memory");
    b->grid = o->grid;
    b->n_in = 2;
    b->n_out = dn_model_n_out(m);
    b->loss = m->arch.loss;
    b->regression = m->arch.loss == DN_LOSS_MSE;
    b->K = b->regression ? 0 : b->n_out == 1 ? 2 : b->n_out;
    find_box(d, o->margin, b->box);
    const size_t cells = (size_t)b->grid * b->grid;
    /* The points, thinned evenly past MAX_POINTS. */
    const int stride = d->n > MAX_POINTS ? (d->n + MAX_POINTS - 1) / MAX_POINTS : 1;
    b->n_pts = (d->n + stride - 1) / stride;
    b->pts = malloc((size_t)b->n_pts * 2 * sizeof *b->pts);
    if (d->Y && d->k >= 1) b->pt_y = malloc((size_t)b->n_pts * sizeof *b->pt_y);
    b->X = malloc(cells * 2 * sizeof *b->X);
    b->out = malloc(cells * (size_t)b->n_out * sizeof *b->out);
    if ((o->title && !(b->title = dn_strdup(o->title))) || !b->pts ||
        (d->Y && d->k >= 1 && !b->pt_y) || !b->X || !b->out ||
        copy_names(b, m)) {
        dn_boundary_free(b);
        return dn_fail(err, DN_ENOMEM, "out of memory for %d x %d cells",
                       o->grid, o->grid);
    }
    float buf[2];
    for (int p = 0; p < b->n_pts; p++) {
        const float *x = dn_data_row(d, p * stride, buf);
        b->pts[2 * p] = x[0];
        b->pts[2 * p + 1] = x[1];
        if (b->pt_y) b->pt_y[p] = d->Y[(size_t)p * stride * d->k];
    }
    /* Cell (i, j): i along x1 from the left, j along x2 from the bottom. */
    for (int j = 0; j < b->grid; j++)
        for (int i = 0; i < b->grid; i++) {
            size_t c = (size_t)j * b->grid + i;
            b->X[2 * c] = (float)(b->box[0] + (i + 0.5) * (b->box[1] - b->box[0]) / b->grid);
            b->X[2 * c + 1] = (float)(b->box[2] + (j + 0.5) * (b->box[3] - b->box[2]) / b->grid);
        }
    *out = b;
    return DN_OK;
}

dn_status dn_boundary_room(dn_boundary *b, dn_error *err)
{
    if (b->n_frames < b->cap) return DN_OK;
    const size_t cells = (size_t)b->grid * b->grid;
    int cap = b->cap ? 2 * b->cap : 8;
    int *l = realloc(b->label, (size_t)cap * sizeof *l);
    if (l) b->label = l;
    unsigned char *c = l ? realloc(b->cls, (size_t)cap * cells) : NULL;
    if (c) b->cls = c;
    float *v = c ? realloc(b->val, (size_t)cap * cells * sizeof *v) : NULL;
    if (!v) return dn_fail(err, DN_ENOMEM, "out of memory for frame %d",
                           b->n_frames + 1);
    b->val = v;
    b->cap = cap;
    return DN_OK;
}

int dn_boundary_frames(const dn_boundary *b)
{
    return b ? b->n_frames : 0;
}

int dn_boundary_cell(const dn_boundary *b, int f, int i, int j, double *x1,
                     double *x2)
{
    if (!b || i < 0 || j < 0 || i >= b->grid || j >= b->grid) return -1;
    size_t c = (size_t)j * b->grid + i;
    if (x1) *x1 = b->X[2 * c];
    if (x2) *x2 = b->X[2 * c + 1];
    if (b->regression || f < 0 || f >= b->n_frames) return -1;
    return b->cls[(size_t)f * b->grid * b->grid + c];
}

dn_status dn_boundary_frame(dn_boundary *b, const dn_model *m, int label,
                            dn_error *err)
{
    DN_NEED(b);
    DN_NEED(m);
    if (m->arch.n_in != b->n_in || dn_model_n_out(m) != b->n_out ||
        m->arch.loss != b->loss)
        return dn_fail(err, DN_EARG, "a frame's model has %d inputs, %d "
                       "outputs and loss %s; the regions were begun with %d, "
                       "%d and %s", m->arch.n_in, dn_model_n_out(m),
                       dn_loss_name(m->arch.loss), b->n_in, b->n_out,
                       dn_loss_name(b->loss));
    const size_t cells = (size_t)b->grid * b->grid;
    dn_status st = dn_boundary_room(b, err);
    if (!st) st = dn_predict(m, b->X, (int)cells, b->out, err);
    if (st) return st;
    unsigned char *cls = b->cls + (size_t)b->n_frames * cells;
    float *val = b->val + (size_t)b->n_frames * cells;
    for (size_t c = 0; c < cells; c++) {
        const float *o = b->out + c * b->n_out;
        if (b->regression) {
            cls[c] = 0;
            val[c] = o[0];
            continue;
        }
        int k = dn_predict_class(m, o);
        /* How sure: 0 at a tie, 1 at certainty, for any K. */
        double conf = b->n_out == 1 ? fabs(2.0 * o[0] - 1)
                    : (o[k] - 1.0 / b->K) / (1 - 1.0 / b->K);
        cls[c] = (unsigned char)(k < 255 ? k : 255);
        val[c] = (float)fmin(1, fmax(0, conf));
    }
    b->label[b->n_frames++] = label;
    return DN_OK;
}

/* ---- drawing ---- */

static void rgb_of(const char *hex, int *rgb)
{
    unsigned v = (unsigned)strtoul(hex + 1, NULL, 16);
    rgb[0] = (int)(v >> 16 & 255);
    rgb[1] = (int)(v >> 8 & 255);
    rgb[2] = (int)(v & 255);
}

/* Viridis at five stops, interpolated: dark purple to yellow. */
static void ramp_color(double t, char *buf, size_t n)
{
    static const int stop[5][3] = { { 68, 1, 84 }, { 59, 82, 139 },
        { 33, 145, 140 }, { 94, 201, 98 }, { 253, 231, 37 } };
    t = fmin(1, fmax(0, t)) * 4;
    int s = t >= 4 ? 3 : (int)t;
    double u = t - s;
    int c[3];
    for (int k = 0; k < 3; k++)
        c[k] = (int)lround(stop[s][k] + u * (stop[s + 1][k] - stop[s][k]));
    snprintf(buf, n, "#%02x%02x%02x", c[0] & 255, c[1] & 255, c[2] & 255);
}

/* A class's colour s of the way from white. */
static void shade_color(int k, double s, char *buf, size_t n)
{
    int c[3];
    rgb_of(dn_svg_color[k % DN_SVG_N_COLOR], c);
    for (int a = 0; a < 3; a++)
        c[a] = (int)lround(255 + s * (c[a] - 255));
    snprintf(buf, n, "#%02x%02x%02x", c[0] & 255, c[1] & 255, c[2] & 255);
}

typedef struct {
    const dn_boundary *b;
    dn_svg_frame f;
    double lo, hi;        /* regression: the ramp's range */
    int first, last;      /* frames drawn */
    double seconds;       /* per frame, when animated */
} drawing;

/* The colour index of cell c of frame f: class × STEPS + confidence step,
 * or the ramp step. */
static int shade_of(const drawing *g, int f, size_t c)
{
    const dn_boundary *b = g->b;
    const size_t at = (size_t)f * b->grid * b->grid + c;
    double v = b->val[at];
    if (b->regression) {
        double t = g->hi > g->lo ? (v - g->lo) / (g->hi - g->lo) : 0.5;
        int s = (int)floor(t * RAMP);
        return s < 0 ? 0 : s >= RAMP ? RAMP - 1 : s;
    }
    int s = (int)floor(v * STEPS);
    return b->cls[at] * STEPS + (s >= STEPS ? STEPS - 1 : s);
}

static void shade_fill(const drawing *g, int shade, char *buf, size_t n)
{
    if (g->b->regression) ramp_color((shade + 0.5) / RAMP, buf, n);
    else shade_color(shade / STEPS, 0.18 + 0.12 * (shade % STEPS), buf, n);
}

/* One frame's cells: each row's runs of one colour as one <rect>. */
static void draw_cells(FILE *o, const drawing *g, int f)
{
    const dn_boundary *b = g->b;
    const int n = b->grid;
    for (int j = n - 1; j >= 0; j--) {
        double y0 = g->f.y + (double)(n - 1 - j) * g->f.h / n,
               y1 = g->f.y + (double)(n - j) * g->f.h / n;
        for (int i = 0; i < n;) {
            int s = shade_of(g, f, (size_t)j * n + i), e = i + 1;
            while (e < n && shade_of(g, f, (size_t)j * n + e) == s) e++;
            char c[16];
            shade_fill(g, s, c, sizeof c);
            double x0 = g->f.x + (double)i * g->f.w / n,
                   x1 = g->f.x + (double)e * g->f.w / n;
            dn_fprintf(o, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                       "height=\"%.2f\" fill=\"%s\"/>\n", x0, y0, x1 - x0,
                       y1 - y0, c);
            i = e;
        }
    }
}

static void draw_points(FILE *o, const drawing *g)
{
    const dn_boundary *b = g->b;
    fputs("<g id=\"points\" stroke-width=\"0.8\">\n", o);
    for (int p = 0; p < b->n_pts; p++) {
        double x = b->pts[2 * p], y = b->pts[2 * p + 1];
        if (!isfinite(x) || !isfinite(y)) continue;
        char c[16] = "#444444";
        const char *stroke = "#ffffff";
        if (b->pt_y && b->regression) {
            double t = g->hi > g->lo ? (b->pt_y[p] - g->lo) / (g->hi - g->lo) : 0.5;
            ramp_color(t, c, sizeof c);
            stroke = "#222222";
        } else if (b->pt_y && b->pt_y[p] >= 0 && b->pt_y[p] < b->K) {
            snprintf(c, sizeof c, "%s", dn_svg_color[(int)b->pt_y[p] % DN_SVG_N_COLOR]);
        }
        dn_fprintf(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"%s\" "
                   "stroke=\"%s\"/>\n", dn_svg_px(&g->f, x), dn_svg_py(&g->f, y),
                   c, stroke);
    }
    fputs("</g>\n", o);
}

static void draw_legend(FILE *o, const drawing *g)
{
    const dn_boundary *b = g->b;
    double x = g->f.x + g->f.w + 24, y = g->f.y + 12;
    char s[128], c[16];
    if (b->regression) {
        dn_svg_text(o, x, y, "start", 13, "font-weight=\"bold\"", "prediction");
        for (int k = 0; k < RAMP; k++) {
            ramp_color((RAMP - 1 - k + 0.5) / RAMP, c, sizeof c);
            dn_fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" "
                       "height=\"12\" fill=\"%s\"/>\n", x, y + 12 + 12 * k, c);
        }
        dn_svg_num_label(s, sizeof s, g->hi);
        dn_svg_text(o, x + 26, y + 24, "start", 11, NULL, s);
        dn_svg_num_label(s, sizeof s, g->lo);
        dn_svg_text(o, x + 26, y + 12 + 12 * RAMP, "start", 11, NULL, s);
        dn_svg_text(o, x, y + 40 + 12 * RAMP, "start", 11, "fill=\"#555555\"",
                    "points: the rows' targets");
        return;
    }
    dn_svg_text(o, x, y, "start", 13, "font-weight=\"bold\"", "class");
    int shown = b->K < 20 ? b->K : 20;
    for (int k = 0; k < shown; k++) {
        double ly = y + 22 + 20 * k;
        dn_fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
                   "fill=\"%s\" stroke=\"#ffffff\"/>\n", x, ly - 11,
                   dn_svg_color[k % DN_SVG_N_COLOR]);
        if (b->cls_name[k]) snprintf(s, sizeof s, "%s", b->cls_name[k]);
        else snprintf(s, sizeof s, "class %d", k);
        dn_svg_text(o, x + 22, ly, "start", 12, NULL, s);
    }
    double ly = y + 22 + 20 * shown;
    if (shown < b->K) {
        snprintf(s, sizeof s, "and %d more", b->K - shown);
        dn_svg_text(o, x, ly, "start", 11, NULL, s);
        ly += 20;
    }
    /* The shades of the first class, from least to most sure. */
    for (int t = 0; t < STEPS; t++) {
        shade_color(0, 0.18 + 0.12 * t, c, sizeof c);
        dn_fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" "
                   "fill=\"%s\"/>\n", x + 14 * t, ly, c);
    }
    dn_svg_text(o, x, ly + 30, "start", 11, "fill=\"#555555\"",
                "lighter: less sure");
    dn_svg_text(o, x, ly + 46, "start", 11, "fill=\"#555555\"",
                "points: the rows' classes");
}

/* The frame's label, top right above the plot. */
static void draw_label(FILE *o, const drawing *g, int f)
{
    int l = g->b->label[f];
    if (l < 0) return;
    char s[32];
    snprintf(s, sizeof s, "epoch %d", l);
    dn_svg_text(o, g->f.x + g->f.w, g->f.y - 8, "end", 13,
                "font-weight=\"bold\"", s);
}

/* Frame f's <g>; animated, each but the last is shown in its turn, and
 * the last (visible without SMIL) is hidden until its turn. */
static void open_frame(FILE *o, const drawing *g, int f)
{
    const int animated = g->last > g->first, k = f - g->first;
    const int last = f == g->last;
    dn_fprintf(o, "<g class=\"frame\" data-label=\"%d\"%s>\n", g->b->label[f],
               animated && !last ? " visibility=\"hidden\"" : "");
    if (animated && !last)
        dn_fprintf(o, "<set attributeName=\"visibility\" to=\"visible\" "
                   "begin=\"%gs\" dur=\"%gs\"/>\n", k * g->seconds, g->seconds);
    else if (animated)
        dn_fprintf(o, "<set attributeName=\"visibility\" to=\"hidden\" "
                   "begin=\"0s\" dur=\"%gs\"/>\n", k * g->seconds);
}

static int fill_svg(FILE *o, void *arg)
{
    const drawing *g = arg;
    const dn_boundary *b = g->b;
    dn_svg_begin(o, CANVAS_W, CANVAS_H, b->title);
    dn_svg_axes(o, &g->f, b->axis[0], b->axis[1], NULL, 0);
    dn_fprintf(o, "<g id=\"regions\" data-x0=\"%.17g\" data-x1=\"%.17g\" "
               "data-y0=\"%.17g\" data-y1=\"%.17g\" data-grid=\"%d\" "
               "data-px=\"%.2f\" data-py=\"%.2f\" data-pw=\"%.2f\" "
               "data-ph=\"%.2f\" shape-rendering=\"crispEdges\">\n",
               b->box[0], b->box[1], b->box[2], b->box[3], b->grid, g->f.x,
               g->f.y, g->f.w, g->f.h);
    for (int f = g->first; f <= g->last; f++) {
        open_frame(o, g, f);
        draw_cells(o, g, f);
        draw_label(o, g, f);
        fputs("</g>\n", o);
    }
    fputs("</g>\n", o);
    dn_fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"none\" stroke=\"#444444\"/>\n", g->f.x, g->f.y, g->f.w,
               g->f.h);
    draw_points(o, g);
    draw_legend(o, g);
    fputs("</svg>\n", o);
    return ferror(o);
}

static dn_status save(const dn_boundary *b, int first, double seconds,
                      const char *path, dn_error *err)
{
    if (!path) return dn_null(err, "dn_boundary_save", "path");
    if (b->n_frames < 1)
        return dn_fail(err, DN_EARG, "cannot write '%s': no frame of the "
                       "regions was made (dn_boundary_frame)", path);
    const int top = b->title ? 30 : 0;
    drawing g = { b, { 80, top + 40, PLOT, PLOT, b->box[0], b->box[1],
                       b->box[2], b->box[3], 0 }, 0, 0, first,
                  b->n_frames - 1, seconds };
    if (b->regression) {
        /* One range for every frame and the targets: colours compare. */
        const size_t n = (size_t)b->n_frames * b->grid * b->grid;
        g.lo = INFINITY;
        g.hi = -INFINITY;
        for (size_t c = 0; c < n; c++)
            if (isfinite(b->val[c])) {
                g.lo = fmin(g.lo, b->val[c]);
                g.hi = fmax(g.hi, b->val[c]);
            }
        for (int p = 0; b->pt_y && p < b->n_pts; p++)
            if (isfinite(b->pt_y[p])) {
                g.lo = fmin(g.lo, b->pt_y[p]);
                g.hi = fmax(g.hi, b->pt_y[p]);
            }
        if (!(g.lo <= g.hi)) g.lo = 0, g.hi = 1;
    }
    return dn_atomic_write(path, "plot", fill_svg, &g, err);
}

dn_status dn_boundary_save(const dn_boundary *b, const char *path,
                           dn_error *err)
{
    DN_NEED(b);
    return save(b, b->n_frames - 1, 0, path, err);
}

dn_status dn_boundary_save_animation(const dn_boundary *b, double seconds,
                                     const char *path, dn_error *err)
{
    DN_NEED(b);
    if (!(seconds > 0 && seconds <= 3600))
        return dn_fail(err, DN_EARG, "cannot write '%s': %g seconds a frame; "
                       "use more than 0, at most 3600", path ? path : "",
                       seconds);
    return save(b, 0, seconds, path, err);
}

dn_status dn_plot_boundary(const dn_model *m, const dn_data *d,
                           const dn_boundary_opts *o, const char *path,
                           dn_error *err)
{
    DN_NEED(path);
    dn_boundary *b;
    dn_status st = dn_boundary_new(m, d, o, &b, err);
    if (!st) st = dn_boundary_frame(b, m, -1, err);
    if (!st) st = dn_boundary_save(b, path, err);
    dn_boundary_free(b);
    return st;
}
