/* svg.c — the pieces every SVG picture of descent is drawn with
 * (plot.c's training curves and landscapes, report.c's evaluation
 * figures): text, frames mapping data to pixels, "nice" ticks, series,
 * legends.  Everything is drawn in pixel coordinates of a fixed canvas:
 * a frame maps data to pixels, axes draw "nice" ticks (1, 2, 5 × 10^k,
 * or decades on a log axis). */
#include "watch/svg.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tableau's ten colours: distinct for most colour vision. */
const char *const dn_svg_color[DN_SVG_N_COLOR] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
};

/* ---- text ---- */

/* Writes s as XML character data; ^2 ^3 ^4 become superscript digits so
 * that formulas read as in the notes. */
void dn_svg_xml_text(FILE *o, const char *s)
{
    for (; *s; s++) {
        if (s[0] == '^' && s[1] >= '2' && s[1] <= '4') {
            fputs(s[1] == '2' ? "\xC2\xB2" : s[1] == '3' ? "\xC2\xB3"
                                                          : "\xE2\x81\xB4", o);
            s++;
        } else if (*s == '&') fputs("&amp;", o);
        else if (*s == '<') fputs("&lt;", o);
        else if (*s == '>') fputs("&gt;", o);
        else if (*s == '"') fputs("&quot;", o);
        else if ((unsigned char)*s < 0x20 && *s != '\t') fputc(' ', o);
        else fputc(*s, o);
    }
}

void dn_svg_text(FILE *o, double x, double y, const char *anchor, int size,
                 const char *extra, const char *s)
{
    dn_fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
               "font-size=\"%d\"%s%s>", x, y, anchor, size, extra ? " " : "",
               extra ? extra : "");
    dn_svg_xml_text(o, s);
    fputs("</text>\n", o);
}

/* A number as a tick label: short, and no "0.30000000000000004". */
void dn_svg_num_label(char *buf, size_t n, double v)
{
    if (v == 0) { snprintf(buf, n, "0"); return; }
    dn_snprintf(buf, n, "%.4g", v);
}

/* ---- frames, ranges, ticks ---- */

double dn_svg_px(const dn_svg_frame *f, double x)
{
    return f->x + (x - f->xlo) / (f->xhi - f->xlo) * f->w;
}

double dn_svg_py(const dn_svg_frame *f, double y)
{
    double v = f->ylog ? log10(y) : y;
    return f->y + f->h - (v - f->ylo) / (f->yhi - f->ylo) * f->h;
}

/* Whether y can be drawn on the dn_svg_frame's axis. */
int dn_svg_drawable(const dn_svg_frame *f, double y)
{
    return isfinite(y) && (!f->ylog || y > 0);
}

/* The range of the drawable values of up to three arrays (in log10 when
 * log); 0 if there are none. */
int dn_svg_range(const double *const *a, int n_arr, int n, int log,
                 double *lo, double *hi)
{
    int any = 0;
    for (int k = 0; k < n_arr; k++)
        for (int i = 0; i < n; i++) {
            double v = a[k][i];
            if (!isfinite(v) || (log && v <= 0)) continue;
            if (log) v = log10(v);
            if (!any || v < *lo) *lo = v;
            if (!any || v > *hi) *hi = v;
            any = 1;
        }
    return any;
}

/* Pads a range by 5% each side; a single value gets a visible span. */
void dn_svg_pad(double *lo, double *hi, int log)
{
    double span = *hi - *lo;
    if (!(span > 1e-12 * fmax(fabs(*lo), fabs(*hi)))) {
        double d = log ? 0.5 : fabs(*lo) > 0 ? 0.1 * fabs(*lo) : 1;
        *lo -= d;
        *hi += d;
        return;
    }
    *lo -= 0.05 * span;
    *hi += 0.05 * span;
}

/* A "nice" step near span / want: 1, 2 or 5 times a power of ten. */
static double nice_step(double span, int want)
{
    double raw = span / want, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* Linear ticks inside [lo, hi]; integer_only keeps steps ≥ 1 (epochs). */
static int lin_ticks(double lo, double hi, int want, int integer_only,
                     double *t)
{
    double s = nice_step(hi - lo, want);
    if (integer_only && s < 1) s = 1;
    int n = 0;
    for (double v = ceil(lo / s - 1e-9) * s; v <= hi + 1e-9 * s && n < DN_SVG_MAX_TICKS;
         v += s)
        t[n++] = fabs(v) < 1e-9 * s ? 0 : v;
    return n;
}

/* Log ticks (values, not exponents): decades, and 2 and 5 between them
 * when the axis spans less than two decades. */
static int log_ticks(double lo, double hi, double *t)
{
    int n = 0;
    int few = hi - lo < 2;
    for (double k = floor(lo); k <= ceil(hi) && n < DN_SVG_MAX_TICKS - 3; k++) {
        static const double m[3] = { 1, 2, 5 };
        for (int j = 0; j < (few ? 3 : 1); j++) {
            double v = m[j] * pow(10, k), e = log10(v);
            if (e >= lo - 1e-9 && e <= hi + 1e-9) t[n++] = v;
        }
    }
    return n;
}

/* The dn_svg_frame, grid, ticks, tick labels, axis titles and panel title. */
void dn_svg_axes(FILE *o, const dn_svg_frame *f, const char *xtitle,
                 const char *ytitle, const char *title, int integer_x)
{
    double t[DN_SVG_MAX_TICKS];
    char lab[32];
    dn_fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"#ffffff\" stroke=\"none\"/>\n", f->x, f->y, f->w, f->h);
    int nx = lin_ticks(f->xlo, f->xhi, 6, integer_x, t);
    fputs("<g class=\"xticks\" stroke=\"#e0e0e0\">\n", o);
    for (int i = 0; i < nx; i++)
        dn_fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                   dn_svg_px(f, t[i]), f->y, dn_svg_px(f, t[i]), f->y + f->h);
    fputs("</g>\n", o);
    for (int i = 0; i < nx; i++) {
        dn_svg_num_label(lab, sizeof lab, t[i]);
        dn_svg_text(o, dn_svg_px(f, t[i]), f->y + f->h + 16, "middle", 11, NULL, lab);
    }
    int ny = f->ylog ? log_ticks(f->ylo, f->yhi, t)
                     : lin_ticks(f->ylo, f->yhi, 5, 0, t);
    fputs("<g class=\"yticks\" stroke=\"#e0e0e0\">\n", o);
    for (int i = 0; i < ny; i++)
        dn_fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                   f->x, dn_svg_py(f, t[i]), f->x + f->w, dn_svg_py(f, t[i]));
    fputs("</g>\n", o);
    for (int i = 0; i < ny; i++) {
        dn_svg_num_label(lab, sizeof lab, t[i]);
        dn_svg_text(o, f->x - 6, dn_svg_py(f, t[i]) + 4, "end", 11, NULL, lab);
    }
    dn_fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"none\" stroke=\"#444444\"/>\n", f->x, f->y, f->w, f->h);
    dn_svg_text(o, f->x + f->w / 2, f->y + f->h + 36, "middle", 13, NULL, xtitle);
    char rot[96];
    double yx = f->x - 52, yy = f->y + f->h / 2;
    dn_snprintf(rot, sizeof rot, "transform=\"rotate(-90 %.1f %.1f)\"", yx, yy);
    dn_svg_text(o, yx, yy, "middle", 13, rot, ytitle);
    if (title)
        dn_svg_text(o, f->x + f->w / 2, f->y - 10, "middle", 14,
             "font-weight=\"bold\"", title);
}

/* One series as a <path>, broken where a value cannot be drawn; small
 * circles mark the points when there are few.  Returns points drawn. */
int dn_svg_series(FILE *o, const dn_svg_frame *f, const char *id, const char *color,
                  const char *dash, const double *x, const double *y, int n)
{
    int drawn = 0, pen = 0;
    dn_fprintf(o, "<path id=\"%s\" fill=\"none\" stroke=\"%s\" "
               "stroke-width=\"2\"%s%s%s d=\"", id, color, dash ? " stroke-dasharray=\""
               : "", dash ? dash : "", dash ? "\"" : "");
    for (int i = 0; i < n; i++) {
        if (!dn_svg_drawable(f, y[i])) { pen = 0; continue; }
        dn_fprintf(o, "%s%.2f %.2f", pen ? " L" : drawn ? " M" : "M",
                   dn_svg_px(f, x[i]), dn_svg_py(f, y[i]));
        pen = 1;
        drawn++;
    }
    fputs("\"/>\n", o);
    if (drawn && drawn <= 40) {
        dn_fprintf(o, "<g fill=\"%s\">\n", color);
        for (int i = 0; i < n; i++)
            if (dn_svg_drawable(f, y[i]))
                dn_fprintf(o, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\"/>\n",
                           dn_svg_px(f, x[i]), dn_svg_py(f, y[i]));
        fputs("</g>\n", o);
    }
    return drawn;
}

/* A legend box in whichever corner of the dn_svg_frame hides the fewest of the
 * series' points (top right first, on a tie).  xs/ys: the drawn points'
 * pixel positions. */
void dn_svg_legend(FILE *o, const dn_svg_frame *f, const char *const *label,
                   const char *const *color, const char *const *dash, int n,
                   const double *xs, const double *ys, int n_pts)
{
    double w = 0;
    for (int i = 0; i < n; i++) w = fmax(w, 7.0 * (double)strlen(label[i]));
    w += 44;
    const double h = 8 + 18 * n;
    const double cx[4] = { f->x + f->w - w - 8, f->x + f->w - w - 8, f->x + 8,
                           f->x + 8 };
    const double cy[4] = { f->y + 8, f->y + f->h - h - 8, f->y + 8,
                           f->y + f->h - h - 8 };
    int best = 0, fewest = -1;
    for (int c = 0; c < 4; c++) {
        int hidden = 0;
        for (int i = 0; i < n_pts; i++)
            hidden += xs[i] >= cx[c] - 4 && xs[i] <= cx[c] + w + 4 &&
                      ys[i] >= cy[c] - 4 && ys[i] <= cy[c] + h + 4;
        if (fewest < 0 || hidden < fewest) { fewest = hidden; best = c; }
    }
    double x = cx[best], y = cy[best];
    dn_fprintf(o, "<g class=\"legend\">\n<rect x=\"%.1f\" y=\"%.1f\" "
               "width=\"%.1f\" height=\"%.0f\" fill=\"#ffffff\" "
               "fill-opacity=\"0.85\" stroke=\"#bbbbbb\"/>\n", x, y, w, h);
    for (int i = 0; i < n; i++) {
        double ly = y + 15 + 18 * i;
        dn_fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"%s\" stroke-width=\"2\"%s%s%s/>\n", x + 8, ly - 4,
                   x + 32, ly - 4, color[i], dash[i] ? " stroke-dasharray=\"" : "",
                   dash[i] ? dash[i] : "", dash[i] ? "\"" : "");
        dn_svg_text(o, x + 38, ly, "start", 12, NULL, label[i]);
    }
    fputs("</g>\n", o);
}

void dn_svg_open(FILE *o, int w, int h, int standalone)
{
    if (standalone)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", o);
    dn_fprintf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" " DN_SVG_FONT ">\n"
               "<rect width=\"%d\" height=\"%d\" fill=\"#f7f7f7\"/>\n",
               w, h, w, h, w, h);
}


int dn_svg_begin(FILE *o, int w, int h, const char *title)
{
    const int top = title ? 30 : 0;
    dn_svg_open(o, w, h + top, 1);
    if (title)
        dn_svg_text(o, w / 2.0, 24, "middle", 16, "font-weight=\"bold\"",
                    title);
    return top;
}
