/* svg.h — what the SVG pictures of watch/ share (svg.c): text, a frame
 * that maps data to pixels, axes with "nice" ticks, series, legends. */
#ifndef DN_WATCH_SVG_H
#define DN_WATCH_SVG_H

#include "nn/nn.h"
#include <stdio.h>

#define DN_SVG_FONT "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
#define DN_SVG_MAX_TICKS 32
#define DN_SVG_N_COLOR 10

/* Tableau's ten colours: distinct for most colour vision. */
extern const char *const dn_svg_color[DN_SVG_N_COLOR];

/* s as XML character data (^2 ^3 ^4 as superscript digits). */
void dn_svg_xml_text(FILE *o, const char *s);
/* A <text> at (x, y); extra: more attributes or NULL. */
void dn_svg_text(FILE *o, double x, double y, const char *anchor, int size,
                 const char *extra, const char *s);
/* A number as a tick label: short, and no "0.30000000000000004". */
void dn_svg_num_label(char *buf, size_t n, double v);

typedef struct {
    double x, y, w, h;       /* the plot area in pixels */
    double xlo, xhi;         /* data range on x */
    double ylo, yhi;         /* on y: log10 units when ylog */
    int    ylog;
} dn_svg_frame;

double dn_svg_px(const dn_svg_frame *f, double x);
double dn_svg_py(const dn_svg_frame *f, double y);
/* Whether y can be drawn on the frame's axis. */
int    dn_svg_drawable(const dn_svg_frame *f, double y);
/* The range of the drawable values of n_arr arrays of n (log10 when
 * log); 0 if there are none. */
int    dn_svg_range(const double *const *a, int n_arr, int n, int log,
                    double *lo, double *hi);
/* Pads a range by 5% each side; a single value gets a visible span. */
void   dn_svg_pad(double *lo, double *hi, int log);
/* The frame, grid, ticks, tick labels, axis titles and panel title
 * (NULL: none); integer_x keeps x steps ≥ 1. */
void   dn_svg_axes(FILE *o, const dn_svg_frame *f, const char *xtitle,
                   const char *ytitle, const char *title, int integer_x);
/* One series as a <path id="id">, broken where a value cannot be drawn;
 * dots on the points when there are few.  Returns the points drawn. */
int    dn_svg_series(FILE *o, const dn_svg_frame *f, const char *id,
                     const char *color, const char *dash, const double *x,
                     const double *y, int n);
/* A legend in the corner of the frame that hides the fewest of the
 * points (xs, ys in pixels). */
void   dn_svg_legend(FILE *o, const dn_svg_frame *f, const char *const *label,
                     const char *const *color, const char *const *dash, int n,
                     const double *xs, const double *ys, int n_pts);
/* The <svg> element and its background; standalone adds the XML
 * declaration a file needs (not one inlined in HTML). */
void   dn_svg_open(FILE *o, int w, int h, int standalone);
/* A standalone <svg> of w × h, 30 pixels taller with a title (NULL:
 * none) centred at its top; returns the height the title took (0 or
 * 30), for the picture below it. */
int    dn_svg_begin(FILE *o, int w, int h, const char *title);

#endif
