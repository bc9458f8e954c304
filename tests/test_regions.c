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
    check_remove(tmp);
    return check_done("test_regions");
}
