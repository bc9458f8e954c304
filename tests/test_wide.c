/* test_wide.c — the hot loops' vector paths give the plain loops' bits:
 * input rows as the network takes them (src/rows.c) and the gradient's
 * norm (src/regularize.c).
 *
 * The wide path replaces b / 255.0f by two fused multiply-adds; that is
 * only right if the result is the correctly rounded quotient for every
 * one of the 256 bytes, and if the standardization that follows keeps
 * the plain loop's order (a subtraction, then a product).  Both are
 * checked here value by value against the plain C expressions, on row
 * lengths that exercise the vector body and the tails, and then again in
 * a child with DESCENT_GEMM=portable (the plain loops): the same bits
 * on every path.
 *
 * dn_norm2 sums the squares in double in 32 running sums (sum j takes
 * the terms i ≡ j mod 32 in order, the last partial block's included),
 * combined pairwise: its bits are fixed by n alone.  The reference below does exactly that
 * in plain C; every path must match it to the bit, and the long double
 * sum to 1e-14 (a term left out would be 1e-4).
 *
 * The softmax's wide path computes e^t with its own polynomial: every
 * probability within 2.5e-7 relative of the float64 softmax (4 float
 * ulps; measured 1.6e-7, and 1.5e-7 through libm's expf), log Σ e^z
 * within 1e-6, over rows of 1 to 40 logits spread from 0 to 100 apart (so that e^{z − max} runs down into the subnormals),
 * and NaN logits must give a NaN log-sum-exp, not a number.
 *
 * The ReLU epilogues (z += b, a = z > 0 ? z : 0; d ⊙= mask, d = z > 0 ?
 * d : 0) on blocks with tails and a row stride, NaN and −0 among the z:
 * every output bit as the plain expressions give it; and the bias
 * gradient's column sums, every bit as the plain loop's.
 *
 * The update rules that have vector paths (SGD and Adam's fused step,
 * src/optim/optim.c) and L2's gW += λ W (src/nn/regularize.c), over
 * lengths with tails: every bit as PyTorch's expressions, each product
 * and sum rounded on its own, give it.
 */
#include "check.h"
#include "train/train.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { D = 256 + 37 };

static double norm_ref(const float *g, size_t n)
{
    double s[32] = { 0 };
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int j = 0; j < 32; j++) {
            volatile double sq = (double)g[i + j] * g[i + j];
            s[j] += sq;
        }
    for (int j = 0; i + j < n; j++) {
        volatile double sq = (double)g[i + j] * g[i + j];
        s[j] += sq;
    }
    for (int w = 16; w > 0; w /= 2)
        for (int j = 0; j < w; j++) s[j] += s[j + w];
    return sqrt(s[0]);
}

static void check_norms(void)
{
    enum { N = 12906 };
    static float g[N];
    uint64_t st = 7;
    for (int i = 0; i < N; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        g[i] = (float)((double)(st >> 40) / (1 << 24) - 0.5) * (i % 7 + 1);
    }
    const size_t ns[] = { 0, 1, 31, 32, 33, 100, 1000, N };
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        const size_t n = ns[t];
        double got = dn_norm2(g, n), want = norm_ref(g, n);
        long double exact = 0;
        for (size_t i = 0; i < n; i++) exact += (long double)g[i] * g[i];
        CHECK(memcmp(&got, &want, sizeof got) == 0, "%s: norm of %zu = "
              "%.17g, the 32-sum order gives %.17g", dn_isa(), n, got,
              want);
        CHECK_REL(got, sqrtl(exact), 1e-14, 1e-300);
    }
}

static void check_softmax(void)
{
    enum { K = 40 };
    static float z[K], a[K];
    double worst_a = 0, worst_l = 0;
    uint64_t st = 11;
    for (int t = 0; t < 3000; t++) {
        const int k = 1 + t % K;
        const double spread = (t % 5) * 25.0;   /* 0, 25, .., 100 */
        for (int j = 0; j < k; j++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            z[j] = (float)(((double)(st >> 40) / (1 << 24) - 0.5) * spread
                           + (t % 7) * 10.0 - 30.0);
        }
        double lse;
        dn_softmax_rows(z, a, &lse, 1, k);
        /* The shift z − max is a float, as in the library: its rounding
         * (up to |z − max|·2⁻²⁴ in the exponent) is the method's, not the
         * exponential's. */
        float mx = z[0];
        double sum = 0;
        for (int j = 1; j < k; j++) if (z[j] > mx) mx = z[j];
        for (int j = 0; j < k; j++) sum += exp((double)(z[j] - mx));
        for (int j = 0; j < k; j++) {
            double p = exp((double)(z[j] - mx)) / sum;
            /* Below the smallest normal float, absolute error. */
            double e = fabs(a[j] - p) / fmax(p, 1e-30);
            if (p > 0x1p-126 && e > worst_a) worst_a = e;
            if (p <= 0x1p-126 && fabs(a[j] - p) > 1e-37) worst_a = 1;
        }
        double el = fabs(lse - (log(sum) + mx)) / fmax(fabs(log(sum) + mx), 1);
        if (el > worst_l) worst_l = el;
    }
    CHECK(worst_a <= 2.5e-7, "%s: softmax probabilities %.3g relative from "
          "float64's", dn_isa(), worst_a);
    CHECK(worst_l <= 1e-6, "%s: log-sum-exp %.3g relative from float64's",
          dn_isa(), worst_l);
    z[0] = 1; z[1] = NAN; z[2] = 3;
    double lse = 0;
    dn_softmax_rows(z, a, &lse, 1, 3);
    CHECK(isnan(lse), "%s: a NaN logit gives log-sum-exp %g", dn_isa(),
          lse);
}

static void check_relu(void)
{
    enum { R = 5, C = 37, LD = 40 };
    static float z[R * LD], z0[R * LD], a[R * LD], b[C], d[R * LD],
        d0[R * LD], mask[R * LD];
    uint64_t st = 3;
    for (int i = 0; i < R * LD; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        float u = (float)((double)(st >> 40) / (1 << 24) - 0.5);
        z0[i] = i % 11 == 0 ? NAN : i % 13 == 0 ? -0.0f : i % 17 == 0 ? 0.0f : u;
        d0[i] = u * 3;
        mask[i] = i % 3 ? 1.25f : 0.0f;
        a[i] = 7;
    }
    for (int j = 0; j < C; j++) b[j] = j % 4 ? 0.1f * (float)(j - 18) : -0.0f;
    const dn_layer L = { .units = C, .act = DN_ACT_RELU };
    memcpy(z, z0, sizeof z);
    dn_act_forward_block(&L, NULL, b, z, a, LD, R, C);
    long bad = 0;
    for (int r = 0; r < R; r++)
        for (int j = 0; j < C; j++) {
            volatile float zz = z0[r * LD + j] + b[j];
            float want = zz > 0 ? zz : 0.0f;
            bad += memcmp(&z[r * LD + j], (const float *)&zz, 4) != 0 ||
                   memcmp(&a[r * LD + j], &want, 4) != 0;
        }
    CHECK(bad == 0 && a[C] == 7, "%s: %ld ReLU forward elements differ "
          "from the plain expressions (or the stride's gap was written)",
          dn_isa(), bad);
    memcpy(d, d0, sizeof d);
    dn_act_backward_block(&L, z0, a, mask, d, LD, R, C);
    bad = 0;
    for (int r = 0; r < R; r++)
        for (int j = 0; j < C; j++) {
            int i = r * LD + j;
            volatile float dm = d0[i] * mask[i];
            float want = z0[i] > 0 ? dm : 0.0f;
            bad += memcmp(&d[i], &want, 4) != 0;
        }
    CHECK(bad == 0 && d[C] == d0[C], "%s: %ld ReLU backward elements differ "
          "from the plain expressions", dn_isa(), bad);
}

/* db = Σ_rows delta, column by column in row order (row stride ld, the
 * gap not read): sixteen columns at a time on the wide path, the plain
 * loop otherwise, the same bits as the plain sum here. */
static void check_col_sums(void)
{
    enum { R = 7, C = 37, LD = 41 };
    static float d[R * LD], out[C + 1];
    for (int i = 0; i < R * LD; i++)
        d[i] = i % LD >= C ? NAN : 0.3f * (float)(i % 23) - 2.9f + 1e-3f * (float)i;
    out[C] = 5;
    dn_col_sums(d, R, C, LD, out);
    long bad = 0;
    for (int j = 0; j < C; j++) {
        volatile float s = 0;
        for (int r = 0; r < R; r++) s += d[r * LD + j];
        bad += memcmp(&out[j], (const float *)&s, 4) != 0;
    }
    CHECK(bad == 0 && out[C] == 5, "%s: %ld of %d column sums differ from "
          "the plain sums (or the stride's gap was read)", dn_isa(), bad, C);
}

/* Three Adam steps and one SGD step on n = 1037 parameters (the vector
 * bodies and a tail), against the same steps written out in floats with
 * every operation rounded, as torch.optim does them; then L2's decay. */
static void check_updates(void)
{
    enum { N = 1037, T = 3 };
    static float theta[N], g[N], m[N], v[N], want[N];
    for (int i = 0; i < N; i++) {
        theta[i] = want[i] = 0.01f * (float)(i % 97) - 0.4f;
        m[i] = v[i] = 0;
    }
    dn_opt_conf c;
    dn_opt_defaults(&c, DN_OPT_ADAM);
    dn_opt *o = NULL;
    dn_error err;
    CHECK(dn_opt_new(&c, N, NULL, &o, &err) == DN_OK, "adam: %s", err.msg);
    const double eta = 0.003;
    long bad = 0;
    for (int t = 1; t <= T && o; t++) {
        for (int i = 0; i < N; i++)
            g[i] = 0.05f * (float)((i * 7 + t * 13) % 41) - 1.0f;
        dn_opt_step(o, theta, g, eta);
        const float b1 = (float)c.beta1, c1 = (float)(1 - c.beta1);
        const float b2 = (float)c.beta2, c2 = (float)(1 - c.beta2);
        const float step = (float)(eta / (1 - pow(c.beta1, t)));
        const float bc2 = (float)sqrt(1 - pow(c.beta2, t));
        const float eps = (float)c.eps;
        for (int i = 0; i < N; i++) {
            volatile float x = m[i] * b1, y = c1 * g[i];
            m[i] = x + y;
            volatile float p = v[i] * b2, q = c2 * g[i];
            volatile float q2 = q * g[i];
            v[i] = p + q2;
            volatile float r = sqrtf(v[i]), den = r / bc2;
            volatile float den2 = den + eps, num = step * m[i];
            volatile float u = num / den2;
            want[i] -= u;
        }
    }
    for (int i = 0; i < N; i++) bad += memcmp(&theta[i], &want[i], 4) != 0;
    CHECK(bad == 0, "%s: %ld of %d parameters after %d Adam steps differ "
          "from PyTorch's expressions", dn_isa(), bad, N, T);
    dn_opt_free(o);

    dn_sgd_step(theta, g, N, 0.25f);
    bad = 0;
    for (int i = 0; i < N; i++) {
        volatile float u = 0.25f * g[i];
        want[i] -= u;
        bad += memcmp(&theta[i], &want[i], 4) != 0;
    }
    CHECK(bad == 0, "%s: %ld of %d parameters after an SGD step differ",
          dn_isa(), bad, N);
}

/* gW += λ W over a 3-37-5 network's weights (biases untouched), and the
 * penalty λ/2 ΣW² it returns. */
static void check_decay(void)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = 3;
    a.n_layers = 2;
    a.layer[0].units = 37;
    a.layer[0].act = DN_ACT_RELU;
    a.layer[1].units = 5;
    a.layer[1].act = DN_ACT_IDENTITY;
    a.loss = DN_LOSS_MSE;
    dn_model *m = NULL;
    dn_error err;
    CHECK(dn_model_new(&a, &m, &err) == DN_OK, "model: %s", err.msg);
    if (!m) return;
    dn_model_init(m, DN_INIT_DEFAULT, 0, 7);
    const size_t P = dn_model_n_params(m);
    float *g = malloc(P * sizeof *g), *want = malloc(P * sizeof *want);
    const float *th = dn_model_params(m);
    const unsigned char *mask = dn_weight_mask(m);
    for (size_t i = 0; i < P && g && want; i++)
        g[i] = want[i] = 0.001f * (float)(i % 13) - 0.005f;
    const float lambda = 0.07f;
    if (g && want && mask) {
        dn_l2_add(m, g, lambda);
        long bad = 0;
        for (size_t i = 0; i < P; i++) {
            if (mask[i]) {
                volatile float u = lambda * th[i];
                want[i] += u;
            }
            bad += memcmp(&g[i], &want[i], 4) != 0;
        }
        CHECK(bad == 0, "%s: %ld of %zu gradient entries after L2's decay "
              "differ from g + lambda W (biases untouched)", dn_isa(), bad, P);
    }
    free(g);
    free(want);
    free((void *)mask);
    dn_model_free(m);
}

static void run_all(void)
{
    check_relu();
    check_col_sums();
    check_updates();
    check_decay();
    check_norms();
    check_softmax();
    static uint8_t x8[D];
    static float x[D], mean[D], inv[D], o[D];
    for (int j = 0; j < D; j++) {
        x8[j] = (uint8_t)(j * 7 + 3);   /* 7 is odd: every byte appears */
        x[j] = (float)j * 0.37f - 20.0f;
        mean[j] = 0.1f + 0.003f * (float)j;
        inv[j] = 1.0f / (0.2f + 0.01f * (float)j);
    }
    const int lens[] = { 1, 3, 15, 16, 17, 31, 33, 255, 256, D };
    for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++) {
        const int d = lens[t];
        int bad = 0, bad_s = 0, bad_f = 0;
        dn_row_u8(x8, NULL, NULL, o, d);
        for (int j = 0; j < d; j++) {
            volatile float q = x8[j] / 255.0f;
            bad += memcmp(&o[j], (const float *)&q, sizeof q) != 0;
        }
        dn_row_u8(x8, mean, inv, o, d);
        for (int j = 0; j < d; j++) {
            volatile float q = x8[j] / 255.0f;
            volatile float s = q - mean[j];
            volatile float v = s * inv[j];
            bad_s += memcmp(&o[j], (const float *)&v, sizeof v) != 0;
        }
        dn_row_f32(x, mean, inv, o, d);
        for (int j = 0; j < d; j++) {
            volatile float s = x[j] - mean[j];
            volatile float v = s * inv[j];
            bad_f += memcmp(&o[j], (const float *)&v, sizeof v) != 0;
        }
        CHECK(bad == 0, "%s: %d of %d bytes are not b / 255.0f", dn_isa(),
              bad, d);
        CHECK(bad_s == 0, "%s: %d of %d standardized bytes differ from "
              "(b / 255 - mean) * inv", dn_isa(), bad_s, d);
        CHECK(bad_f == 0, "%s: %d of %d standardized floats differ from "
              "(x - mean) * inv", dn_isa(), bad_f, d);
        dn_row_f32(x, NULL, NULL, o, d);
        CHECK(memcmp(o, x, (size_t)d * sizeof *o) == 0,
              "without scaling a float row is copied as it is");
    }
}

int main(void)
{
    /* The other paths in children, forked before any thread exists. */
    static const char *const paths[] = { "avx2", "portable" };
    for (int k = 0; k < 2 && !getenv("DESCENT_GEMM"); k++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            setenv("DESCENT_GEMM", paths[k], 1);
            run_all();
            printf("  %s path: %d passed, %d failed\n", dn_isa(),
                   check_passed, check_failed);
            fflush(stdout);
            exit(check_failed != 0);  /* not _exit: a coverage build
                                         * writes its counts at exit */
        }
        int status = 1;
        if (pid > 0) waitpid(pid, &status, 0);
        CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the DESCENT_GEMM=%s run failed (status %d)", paths[k], status);
    }
    run_all();
    return check_done("test_wide");
}
