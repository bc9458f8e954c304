/* test_regions.c — dn_boundary on models whose regions are known by
 * hand: one sigmoid unit with W = (1, -1) says class 1 where x1 >= x2,
 * so the cells on and below the diagonal; its negation the others.  The
 * box, the cells' centres, frames kept apart, the single and animated
 * SVGs, and every refusal. */
#include "check.h"
#include "descent.h"
#include <stdlib.h>
#include <string.h>

static char tmp[64];

/* A network of one layer, zeroed. */
static dn_model *one_layer(int n_in, int units, dn_act act, dn_loss loss)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = n_in;
    A.n_layers = 1;
    A.layer[0].units = units;
    A.layer[0].act = act;
    A.loss = loss;
    dn_model *m = NULL;
    dn_error err;
    CHECK(dn_model_new(&A, &m, &err) == DN_OK, "%s", err.msg);
    return m;
}

static dn_model *line_model(float w1, float w2)
{
    dn_model *m = one_layer(2, 1, DN_ACT_SIGMOID, DN_LOSS_BCE);
    if (!m) return NULL;
    dn_model_W(m, 0)[0] = w1;
    dn_model_W(m, 0)[1] = w2;
    dn_model_b(m, 0)[0] = 0;
    return m;
}

static int count(const char *path, const char *what)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    int k = 0;
    for (const char *p = buf; (p = strstr(p, what)); p++) k++;
    return k;
}

static float X[8] = { -1, -1, 1, 1, 1, -1, -1, 1 }, Y[4] = { 0, 0, 1, 0 };

static void test_frames(void)
{
    dn_model *a = line_model(1, -1), *b = line_model(-1, 1);
    if (!a || !b) return;
    dn_data d = dn_data_view(4, 2, 1, X, Y);
    dn_boundary_opts o;
    dn_boundary_defaults(&o);
    CHECK(o.grid == 100 && o.margin == 0.1 && !o.title, "defaults");
    o.grid = 10;
    o.margin = 0.5;   /* the box: [-1, 1] widened by 0.5 x 2 each side */
    dn_boundary *r = NULL;
    dn_error err;
    CHECK(dn_boundary_new(a, &d, &o, &r, &err) == DN_OK, "%s", err.msg);
    if (!r) return;
    CHECK(dn_boundary_frames(r) == 0, "frames before any");
    double x1, x2;
    CHECK(dn_boundary_cell(r, 0, 0, 0, &x1, &x2) == -1, "no frame yet");
    CHECK_NEAR(x1, -2 + 0.2, 1e-6);   /* cell width 4 / 10 */
    CHECK_NEAR(x2, -2 + 0.2, 1e-6);
    dn_boundary_cell(r, 0, 9, 3, &x1, &x2);
    CHECK_NEAR(x1, 1.8, 1e-6);
    CHECK_NEAR(x2, -0.6, 1e-6);
    CHECK(dn_boundary_frame(r, a, 0, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_boundary_frame(r, b, 7, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_boundary_frames(r) == 2, "%d frames", dn_boundary_frames(r));
    int wrong0 = 0, wrong1 = 0, ones = 0;
    for (int j = 0; j < 10; j++)
        for (int i = 0; i < 10; i++) {
            /* centres: x1 >= x2 exactly when i >= j; sigmoid(0) = 0.5 is
             * class 1 */
            int k0 = dn_boundary_cell(r, 0, i, j, NULL, NULL);
            int k1 = dn_boundary_cell(r, 1, i, j, NULL, NULL);
            wrong0 += k0 != (i >= j);
            wrong1 += k1 != (i <= j);
            ones += k0 == 1;
        }
    CHECK(wrong0 == 0 && wrong1 == 0 && ones == 55, "%d and %d cells wrong, "
          "%d of class 1 (want 55)", wrong0, wrong1, ones);
    CHECK(dn_boundary_cell(r, 2, 0, 0, NULL, NULL) == -1 &&
          dn_boundary_cell(r, 0, 10, 0, NULL, NULL) == -1, "out of range");
    char one[128], all[128];
    snprintf(one, sizeof one, "%s/one.svg", tmp);
    snprintf(all, sizeof all, "%s/all.svg", tmp);
    CHECK(dn_boundary_save(r, one, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_boundary_save_animation(r, 0.5, all, &err) == DN_OK, "%s", err.msg);
    CHECK(count(one, "class=\"frame\"") == 1 && count(one, "<set ") == 0 &&
          count(one, ">epoch 7<") == 1 && count(one, "<circle") == 4,
          "single: %d frames, %d sets, %d points", count(one, "class=\"frame\""),
          count(one, "<set "), count(one, "<circle"));
    CHECK(count(all, "class=\"frame\"") == 2 && count(all, "<set ") == 2 &&
          count(all, ">epoch 0<") == 1 && count(all, ">epoch 7<") == 1 &&
          count(all, "begin=\"0s\" dur=\"0.5s\"") == 2, "animation: %d "
          "frames, %d sets", count(all, "class=\"frame\""), count(all, "<set "));
    /* A row of one class is one rect: frame 0's row j holds j cells of
     * class 0 then 10 - j of class 1, in at most 2 x 5 shades. */
    int rects = count(one, "<rect");
    CHECK(rects > 20 && rects < 100 + 20, "%d rects for 100 cells", rects);
    CHECK(dn_boundary_save_animation(r, 0, all, &err) == DN_EARG &&
          strstr(err.msg, "0 seconds a frame"), "%s", err.msg);
    dn_boundary_free(r);
    /* dn_plot_boundary: one frame, no label */
    CHECK(dn_plot_boundary(a, &d, NULL, one, &err) == DN_OK, "%s", err.msg);
    CHECK(count(one, ">epoch") == 0 && count(one, "data-grid=\"100\"") == 1,
          "plot: %d labels", count(one, ">epoch"));
    dn_model_free(a);
    dn_model_free(b);
}

static int same_file(const char *a, const char *b)
{
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    int same = f && g;
    for (int c; same && (c = fgetc(f)) == fgetc(g) && c != EOF;) {}
    same = same && feof(f) && fgetc(g) == EOF;
    if (f) fclose(f);
    if (g) fclose(g);
    return same;
}

/* The frames as bytes and back (a resumed run's animation): another
 * dn_boundary of the same model and data takes them and draws the same
 * animation byte for byte; the bytes grow by a frame of 4 + 5 x cells;
 * bytes of another grid, cut, of another magic or version, with a class
 * the task has not or a confidence outside [0, 1] are refused and add
 * nothing. */
static void test_pack(void)
{
    dn_boundary_opts o;
    dn_boundary_defaults(&o);
    o.grid = 10;
    dn_data d = dn_data_view(4, 2, 1, X, Y);
    dn_model *a = line_model(1, -1), *b = line_model(-1, 1);
    if (!a || !b) return;
    dn_boundary *r = NULL, *q = NULL;
    dn_error err;
    CHECK(dn_boundary_new(a, &d, &o, &r, &err) == DN_OK &&
          dn_boundary_frame(r, a, 0, &err) == DN_OK, "%s", err.msg);
    const void *bytes = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    CHECK(dn_boundary_pack(r, &bytes, &len, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_boundary_pack(r, &again, &len2, &err) == DN_OK && again == bytes &&
          len2 == len, "packed again: %zu then %zu bytes", len, len2);
    CHECK(dn_boundary_frame(r, b, 7, &err) == DN_OK &&
          dn_boundary_pack(r, &bytes, &len2, &err) == DN_OK &&
          len2 == len + 4 + 5 * 100, "one frame more: %zu -> %zu bytes", len, len2);
    len = len2;
    CHECK(dn_boundary_new(a, &d, &o, &q, &err) == DN_OK &&
          dn_boundary_unpack(q, bytes, len, &err) == DN_OK &&
          dn_boundary_frames(q) == 2, "%s", err.msg);
    int differ = 0;
    for (int f = 0; f < 2; f++)
        for (int c = 0; c < 100; c++)
            differ += dn_boundary_cell(q, f, c % 10, c / 10, NULL, NULL) !=
                      dn_boundary_cell(r, f, c % 10, c / 10, NULL, NULL);
    char p1[128], p2[128];
    snprintf(p1, sizeof p1, "%s/kept1.svg", tmp);
    snprintf(p2, sizeof p2, "%s/kept2.svg", tmp);
    CHECK(differ == 0 && !dn_boundary_save_animation(r, 0.4, p1, &err) &&
          !dn_boundary_save_animation(q, 0.4, p2, &err) && same_file(p1, p2) &&
          count(p2, "class=\"frame\"") == 2 && count(p2, ">epoch 7<") == 1,
          "%d cells differ; the animations: %d frames", differ,
          count(p2, "class=\"frame\""));
    dn_boundary_free(q);
    /* refusals, each leaving q without frames */
    unsigned char *w = malloc(len);
    memcpy(w, bytes, len);
    dn_boundary_opts o12 = o;
    o12.grid = 12;
    CHECK(dn_boundary_new(a, &d, &o12, &q, &err) == DN_OK &&
          dn_boundary_unpack(q, w, len, &err) == DN_EFORMAT &&
          strstr(err.msg, "grid of 10") && strstr(err.msg, "a grid of 12") &&
          dn_boundary_frames(q) == 0, "%s", err.msg);
    dn_boundary_free(q);
    CHECK(dn_boundary_new(a, &d, &o, &q, &err) == DN_OK, "%s", err.msg);
    CHECK(dn_boundary_unpack(q, w, len - 1, &err) == DN_EFORMAT &&
          strstr(err.msg, "do not hold the 2 frames"), "cut: %s", err.msg);
    CHECK(dn_boundary_unpack(q, w, 20, &err) == DN_EFORMAT &&
          strstr(err.msg, "no DNFRAMES magic"), "short: %s", err.msg);
    w[8] = 2;
    CHECK(dn_boundary_unpack(q, w, len, &err) == DN_EFORMAT &&
          strstr(err.msg, "version 2"), "version: %s", err.msg);
    w[8] = 1;
    const size_t f1 = 60 + 4 + 5 * 100;    /* frame 2's start */
    w[f1 + 4 + 37] = 2;                     /* class 2 of a binary task */
    CHECK(dn_boundary_unpack(q, w, len, &err) == DN_EFORMAT &&
          strstr(err.msg, "frame 2, cell 37: class 2"), "class: %s", err.msg);
    w[f1 + 4 + 37] = 1;
    w[f1 + 4 + 100 + 4 * 5 + 3] = 0x40;     /* confidence 2.x */
    CHECK(dn_boundary_unpack(q, w, len, &err) == DN_EFORMAT &&
          strstr(err.msg, "frame 2, cell 5") && dn_boundary_frames(q) == 0,
          "confidence: %s", err.msg);
    CHECK(dn_boundary_pack(NULL, &again, &len2, &err) == DN_EARG &&
          dn_boundary_unpack(q, NULL, 0, &err) == DN_EARG, "NULLs");
    dn_boundary_free(q);
    free(w);
    dn_boundary_free(r);
    /* regression: any value kept, bit for bit */
    dn_model *reg = one_layer(2, 1, DN_ACT_IDENTITY, DN_LOSS_MSE);
    dn_model_W(reg, 0)[0] = 3;
    CHECK(dn_boundary_new(reg, &d, &o, &r, &err) == DN_OK &&
          dn_boundary_frame(r, reg, 1, &err) == DN_OK &&
          dn_boundary_pack(r, &bytes, &len, &err) == DN_OK &&
          dn_boundary_new(reg, &d, &o, &q, &err) == DN_OK &&
          dn_boundary_unpack(q, bytes, len, &err) == DN_OK, "%s", err.msg);
    CHECK(!dn_boundary_save(r, p1, &err) && !dn_boundary_save(q, p2, &err) &&
          same_file(p1, p2) && count(p2, ">prediction<") == 1,
          "the regression's frame came back different");
    dn_boundary_free(r);
    dn_boundary_free(q);
    dn_model_free(reg);
    dn_model_free(a);
    dn_model_free(b);
}

static void test_refusals(void)
{
    dn_model *a = line_model(1, -1);
    if (!a) return;
    dn_data d = dn_data_view(4, 2, 1, X, Y);
    dn_boundary_opts o;
    dn_boundary *r = (dn_boundary *)1;
    dn_error err;
    dn_boundary_defaults(&o);
    o.grid = 1;
    CHECK(dn_boundary_new(a, &d, &o, &r, &err) == DN_EARG && !r &&
          strstr(err.msg, "grid 1; use 2 to 500"), "%s", err.msg);
    o.grid = 501;
    CHECK(dn_boundary_new(a, &d, &o, &r, &err) == DN_EARG, "grid 501");
    dn_boundary_defaults(&o);
    o.margin = -1;
    CHECK(dn_boundary_new(a, &d, &o, &r, &err) == DN_EARG &&
          strstr(err.msg, "margin -1"), "%s", err.msg);
    dn_data d3 = dn_data_view(2, 3, 1, X, Y);
    CHECK(dn_boundary_new(a, &d3, NULL, &r, &err) == DN_EARG &&
          strstr(err.msg, "rows of 3 inputs"), "%s", err.msg);
    /* three inputs */
    dn_model *m3 = one_layer(3, 3, DN_ACT_SOFTMAX, DN_LOSS_CE);
    CHECK(dn_boundary_check(m3, &err) == DN_EARG &&
          strstr(err.msg, "takes 3 inputs") && strstr(err.msg, "exactly 2"),
          "%s", err.msg);
    CHECK(dn_boundary_check(a, &err) == DN_OK, "%s", err.msg);
    /* a frame of another network; a save with no frame */
    dn_model *m2 = one_layer(2, 3, DN_ACT_SOFTMAX, DN_LOSS_CE);
    CHECK(dn_boundary_new(a, &d, NULL, &r, &err) == DN_OK, "%s", err.msg);
    char p[128];
    snprintf(p, sizeof p, "%s/none.svg", tmp);
    CHECK(dn_boundary_save(r, p, &err) == DN_EARG && strstr(err.msg, "no frame")
          && access(p, F_OK) != 0, "%s", err.msg);
    CHECK(dn_boundary_frame(r, m2, 1, &err) == DN_EARG &&
          strstr(err.msg, "3 outputs and loss ce"), "%s", err.msg);
    CHECK(dn_boundary_frames(r) == 0, "a refused frame counted");
    dn_boundary_free(r);
    /* regression: no classes to read */
    dn_model *reg = one_layer(2, 1, DN_ACT_IDENTITY, DN_LOSS_MSE);
    CHECK(dn_boundary_new(reg, &d, NULL, &r, &err) == DN_OK &&
          dn_boundary_frame(r, reg, 3, &err) == DN_OK &&
          dn_boundary_cell(r, 0, 5, 5, NULL, NULL) == -1, "%s", err.msg);
    CHECK(dn_boundary_save(r, p, &err) == DN_OK && count(p, ">prediction<") == 1,
          "%s", err.msg);
    dn_boundary_free(r);
    dn_model_free(reg);
    dn_model_free(m2);
    dn_model_free(m3);
    dn_model_free(a);
}

int main(void)
{
    if (check_tmpdir(tmp)) return 1;
    RUN(test_frames);
    RUN(test_refusals);
    RUN(test_pack);
    check_remove(tmp);
    return check_done("test_regions");
}
