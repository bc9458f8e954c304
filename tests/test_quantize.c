/* test_quantize.c — the int8 runtime's pieces (src/qrt.h, the code every
 * int8 export contains) against exact arithmetic, and the int8 and C
 * export API: dn_quantize against dn_predict, the sizes dn_model_export_c
 * reports, and the refusals. */
#include "check.h"
#include "descent.h"
#include "formats/qrt.h"
#include <string.h>

static void test_runtime(void)
{
    /* round(acc m / 2^e), halves away from zero */
    CHECK(dnq_rq(7, 1 << 30, 31) == 4, "7/2 -> %lld", (long long)dnq_rq(7, 1 << 30, 31));
    CHECK(dnq_rq(-7, 1 << 30, 31) == -4, "-7/2 -> %lld", (long long)dnq_rq(-7, 1 << 30, 31));
    CHECK(dnq_rq(5, 3 << 29, 31) == 4, "5 * 0.75 -> %lld", (long long)dnq_rq(5, 3 << 29, 31));
    CHECK(dnq_rq(1000000, 1518500250, 40) == 1381, "1e6 * 0.00138 -> %lld",
          (long long)dnq_rq(1000000, 1518500250, 40));
    CHECK(dnq_clamp(300, -128, 127) == 127 && dnq_clamp(-300, -128, 127) == -128,
          "clamp");

    /* the int8 dot products of two units, every extreme value; then of
     * the first alone (the last unit of an odd layer) */
    const int8_t a[5] = { 1, -2, 127, -128, 5 },
                 w[10] = { 3, 4, -128, 127, -1, -1, -1, 127, 127, 2 };
    const int32_t b2[2] = { 10, -7 };
    int32_t s2[2];
    dnq_dot2(a, w, 5, 1, b2, s2);
    CHECK(s2[0] == -32512 && s2[1] == -7 - 1 + 2 + 16129 - 16256 + 10,
          "dot %d %d", (int)s2[0], (int)s2[1]);
    dnq_dot2(a, w, 5, 0, b2, s2);
    CHECK(s2[0] == -32512, "one unit: %d", (int)s2[0]);

    /* e^(-u / 2^16) in Q30: exact at 0, within 6e-6 of 2^30 elsewhere:
     * u log2(e) rounded to Q16 is off by up to 2^-17, a factor of
     * 2^(2^-17) = 1 + 5.3e-6 */
    CHECK(dnq_exp_neg(0) == 1 << 30, "e^0 = %lld", (long long)dnq_exp_neg(0));
    double worst = 0;
    for (int64_t u = 1; u < 24 * 65536; u += 977) {
        double want = exp(-(double)u / 65536) * 1073741824.0;
        double e = fabs((double)dnq_exp_neg(u) - want) / 1073741824.0;
        if (e > worst) worst = e;
    }
    CHECK(worst < 6e-6 && worst > 1e-7, "e^-x in Q30 off by %.3g of 1", worst);
    CHECK(dnq_exp_neg((int64_t)30 << 16) == 0, "e^-30 is below 2^-31: 0");

    /* one linear output layer by hand: x rounds half away from zero,
     * acc = b + W q, out = (acc p + c) 2^-S with p = 3, c = 4, S = 2 */
    const float k[2] = { 1, 1 }, pw[1] = { 0.25f };
    const int8_t zp[2] = { 0, 0 }, W[2] = { 2, 3 };
    const int32_t b[1] = { 1 };
    const int64_t p[1] = { 3 }, c[1] = { 4 };
    dnq_layer L = { DNQ_OUT_PWL, 2, 1, W, b, NULL, NULL, NULL, NULL, 0, NULL,
                    p, p, c, pw };
    dnq_net net = { 2, 1, 0, NULL, k, zp, &L };
    int8_t q0[2], q1[1];
    int32_t v[1];
    float out[1];
    const float x[2] = { 2.5f, -2.5f };   /* -> 3, -3: acc = 1 + 6 - 9 = -2 */
    dnq_run(&net, x, out, q0, q1, v);
    CHECK(q0[0] == 3 && q0[1] == -3, "inputs quantized to %d %d", q0[0], q0[1]);
    CHECK(out[0] == (-2 * 3 + 4) * 0.25f, "out %g, want -0.5", out[0]);
    const float big[2] = { 1e30f, NAN };  /* saturate, NaN at the bottom */
    dnq_run(&net, big, out, q0, q1, v);
    CHECK(q0[0] == 127 && q0[1] == -128, "saturated to %d %d", q0[0], q0[1]);
}

/* A 3-5-2 network (tanh, softmax) with fixed weights and scaling. */
static dn_model *small_model(void)
{
    dn_error err;
    dn_arch A = { .n_in = 3, .n_layers = 1, .layer = { { .units = 5, .act = DN_ACT_TANH } } };
    dn_arch_set_task(&A, DN_TASK_MULTICLASS, 2, &err);
    dn_model *m = NULL;
    if (dn_model_new(&A, &m, &err)) return NULL;
    float *t = dn_model_params(m);
    for (size_t i = 0; i < dn_model_n_params(m); i++)
        t[i] = (float)sin(1.7 * (double)i + 0.3);
    const float mean[3] = { 1, -2, 10 }, sd[3] = { 0.5f, 3, 4 };
    dn_model_set_scaling(m, mean, sd, &err);
    return m;
}

static void test_api(void)
{
    dn_error err;
    dn_model *m = small_model(), *other = small_model();
    CHECK(m && other, "models");
    if (!m || !other) return;
    enum { N = 200 };
    static float X[N * 3];
    for (int i = 0; i < N; i++) {
        X[3 * i] = (float)(1 + 0.5 * sin(i * 0.7));
        X[3 * i + 1] = (float)(-2 + 3 * cos(i * 1.3));
        X[3 * i + 2] = (float)(10 + 4 * sin(i * 2.9));
    }
    dn_data d;
    memset(&d, 0, sizeof d);
    d.n = N;
    d.d = 3;
    d.X = X;
    dn_qmodel *q = NULL;
    dn_quant_opts bad = { .percentile = 10 };
    CHECK(dn_quantize(m, NULL, NULL, &q, &err) == DN_EARG &&
          strstr(err.msg, "calibration data"), "no data: %s", err.msg);
    CHECK(dn_quantize(m, &d, &bad, &q, &err) == DN_EARG &&
          strstr(err.msg, "percentile 10"), "percentile 10: %s", err.msg);
    d.d = 4;
    CHECK(dn_quantize(m, &d, NULL, &q, &err) == DN_EARG, "width 4 accepted");
    d.d = 3;
    CHECK(dn_quantize(m, &d, NULL, &q, &err) == DN_OK, "%s", err.msg);
    if (!q) return;

    /* int8 within a few quantization steps of float on every output */
    static float pf[N * 2], pq[N * 2];
    dn_predict(m, X, N, pf, &err);
    CHECK(dn_qmodel_predict(q, X, N, pq, &err) == DN_OK, "%s", err.msg);
    double worst = 0;
    for (int i = 0; i < 2 * N; i++) worst = fmax(worst, fabs(pf[i] - pq[i]));
    CHECK(worst > 0 && worst < 0.03, "int8 vs float: %.3g", worst);
    for (int i = 0; i < N; i++)
        CHECK(fabs(pq[2 * i] + pq[2 * i + 1] - 1) < 1e-6, "row %d sums to %.9g",
              i, pq[2 * i] + pq[2 * i + 1]);

    /* dn_qmodel_evaluate reads byte inputs (IDX pixels kept as bytes) as
     * the readers scale them: the accuracy of the same images as floats */
    char dir[64], path[128], lab[128];
    if (check_tmpdir(dir)) return;
    snprintf(path, sizeof path, "%s/img.idx", dir);
    snprintf(lab, sizeof lab, "%s/lab.idx", dir);
    FILE *fi = fopen(path, "wb"), *fl = fopen(lab, "wb");
    const unsigned char hi[16] = { 0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, 1, 0, 0, 0, 3 };
    const unsigned char hl[8] = { 0, 0, 8, 1, 0, 0, 0, N };
    fwrite(hi, 1, 16, fi);
    fwrite(hl, 1, 8, fl);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 3; j++) fputc((i * 3 + j) * 37 % 256, fi);
        fputc(i % 2, fl);
    }
    fclose(fi);
    fclose(fl);
    dn_data *bytes = NULL, *floats = NULL;
    dn_metrics m8, mf;
    CHECK(dn_idx_read_u8(path, lab, &bytes, &err) == DN_OK && !bytes->X &&
          dn_idx_read(path, lab, &floats, &err) == DN_OK, "%s", err.msg);
    CHECK(bytes && floats && dn_qmodel_evaluate(q, bytes, &m8, &err) == DN_OK &&
          dn_qmodel_evaluate(q, floats, &mf, &err) == DN_OK, "%s", err.msg);
    CHECK(m8.n == N && m8.accuracy == mf.accuracy && m8.accuracy > 0,
          "bytes %g, floats %g", m8.accuracy, mf.accuracy);
    dn_data_free(bytes);
    dn_data_free(floats);

    /* the file and its sizes: float arrays are the 32 parameters and the
     * mean and 1/std of 3 inputs, 4 bytes each */
    snprintf(path, sizeof path, "%s/m.h", dir);
    dn_c_sizes z;
    dn_c_opts o = { .name = "small" };
    CHECK(dn_model_export_c(m, &o, path, &z, &err) == DN_OK, "%s", err.msg);
    CHECK(z.weight_bytes == 4 * (32 + 6), "float arrays %zu bytes", z.weight_bytes);
    CHECK(z.scratch_bytes == 4 * (3 + 5), "float scratch %zu", z.scratch_bytes);
    o.q = q;
    CHECK(dn_model_export_c(m, &o, path, &z, &err) == DN_OK, "%s", err.msg);
    /* int8: W 15 + 10, biases and multipliers, the LUT, mean, k, zero
     * points; scratch: 3 inputs, 5 hidden, 2 int32 logits */
    CHECK(z.scratch_bytes == 3 + 5 + 8, "int8 scratch %zu", z.scratch_bytes);
    CHECK(z.weight_bytes == 15 + 5 * (4 + 4 + 1 + 4 + 1) + 256 +
                            10 + 2 * (4 + 4 + 1 + 8 + 8 + 8 + 4) + 3 * (4 + 4 + 1),
          "int8 arrays %zu bytes", z.weight_bytes);
    char *text = check_slurp(path, NULL);
    CHECK(text && strstr(text, "int small_predict(const float *x, float *out)") &&
          strstr(text, "static const int8_t small_lut0[256]") && !strstr(text, "dnq_"),
          "the int8 file's names");
    free(text);
    o.name = "bad-name";
    CHECK(dn_model_export_c(m, &o, path, &z, &err) == DN_EARG &&
          strstr(err.msg, "'bad-name'"), "%s", err.msg);
    o.name = NULL;
    CHECK(dn_model_export_c(other, &o, path, &z, &err) == DN_EARG &&
          strstr(err.msg, "another model"), "%s", err.msg);
    check_rmdir(dir);
    dn_qmodel_free(q);
    dn_model_free(m);
    dn_model_free(other);
}

/* A layer too wide for int32 sums of int8 products is refused, naming it. */
static void test_too_wide(void)
{
    dn_error err;
    dn_arch A = { .n_in = 50000, .n_layers = 0 };
    dn_arch_set_task(&A, DN_TASK_BINARY, 1, &err);
    dn_model *m = NULL;
    CHECK(dn_model_new(&A, &m, &err) == DN_OK, "%s", err.msg);
    float *X = calloc(50000, sizeof *X);
    dn_data d;
    memset(&d, 0, sizeof d);
    d.n = 1;
    d.d = 50000;
    d.X = X;
    dn_qmodel *q = NULL;
    CHECK(m && X && dn_quantize(m, &d, NULL, &q, &err) == DN_EARG &&
          strstr(err.msg, "layer 1") && strstr(err.msg, "50000 inputs") &&
          !q, "%s", err.msg);
    free(X);
    dn_model_free(m);
}

/* The largest gap between q's outputs and m's on n rows of X (two
 * outputs each); 1 if either cannot predict. */
static double int8_gap(const dn_model *m, const dn_qmodel *q, const float *X,
                       int n)
{
    static float pf[100], pq[100];
    dn_error err;
    if (!q || n > 50 || dn_predict(m, X, n, pf, &err) ||
        dn_qmodel_predict(q, X, n, pq, &err))
        return 1;
    double worst = 0;
    for (int i = 0; i < 2 * n; i++) worst = fmax(worst, fabs(pf[i] - pq[i]));
    return worst;
}

/* Extreme parameters: a NaN is refused; weights so small beside their
 * bias that the bias would pass 2^29 units of their scale keep the bias
 * whole (it was clamped, and every output moved by 0.11), so int8 gives
 * the float model's outputs; weights so
 * large that a multiplier would need more than 2^30 are refused, naming
 * the unit. */
static void test_extremes(void)
{
    dn_error err;
    enum { N = 50 };
    static float X[N * 3];
    for (int i = 0; i < N * 3; i++) X[i] = (float)(i % 7) - 3 + (float)(i % 3) * 4;
    dn_data d;
    memset(&d, 0, sizeof d);
    d.n = N;
    d.d = 3;
    d.X = X;
    dn_model *m = small_model();
    if (!m) { CHECK(0, "model"); return; }
    dn_qmodel *q = NULL;
    float *W1 = dn_model_W(m, 1);
    for (int i = 0; i < 10; i++) W1[i] *= 1e-30f;
    CHECK(dn_quantize(m, &d, NULL, &q, &err) == DN_OK && q, "%s", err.msg);
    double worst = int8_gap(m, q, X, N);
    CHECK(worst < 0.01, "tiny weights: int8 vs float %.3g", worst);
    dn_qmodel_free(q);
    q = NULL;
    /* a hidden unit of tiny weights and no bias: its multiplier's shift
     * passes 62 bits and it reads 0, as it nearly is */
    for (int i = 0; i < 10; i++) W1[i] *= 1e30f;
    float *W0 = dn_model_W(m, 0);
    for (int i = 0; i < 3; i++) W0[i] = 1e-30f;
    dn_model_b(m, 0)[0] = 0;
    CHECK(dn_quantize(m, &d, NULL, &q, &err) == DN_OK && q, "%s", err.msg);
    worst = int8_gap(m, q, X, N);
    CHECK(worst < 0.03, "a tiny hidden unit: int8 vs float %.3g", worst);
    dn_qmodel_free(q);
    q = NULL;
    W1[3] = 1e30f;
    dn_status st = dn_quantize(m, &d, NULL, &q, &err);
    CHECK(st == DN_EARG && !q &&
          strstr(err.msg, "cannot quantize layer 2, unit 1: the ratio of its "
                 "scales") && strstr(err.msg, "beyond what an int32 "
                 "multiplier holds"), "huge weight: %s", err.msg);
    dn_qmodel_free(q);
    q = NULL;
    dn_model_params(m)[2] = NAN;
    CHECK(dn_quantize(m, &d, NULL, &q, &err) == DN_EARG && !q &&
          strstr(err.msg, "cannot quantize: the model has non-finite "
                 "parameters"), "NaN: %s", err.msg);
    dn_model_free(m);
}

int main(void)
{
    test_runtime();
    test_api();
    test_too_wide();
    test_extremes();
    return check_done("test_quantize");
}
