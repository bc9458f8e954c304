/* test_tune.c — the products' tuning to the CPU (src/kernels/cache.c,
 * tune.c, the variants of gemm.c): what it may choose never changes a
 * bit, and what it reads of the CPU is read right.
 *
 * - The caches: Linux's sysfs and the CPU's own CPUID leaf agree on the
 *   L1 data and L2 sizes (where both answer: they describe one CPU), the
 *   sizes are ones a CPU has, and the blocking taken from them keeps a
 *   packed slice of B within half of L2.
 * - Every variant, forced, gives the same bits as variant 0 on one
 *   thread, on 1, 2 and 3 threads, for the three products, on shapes
 *   that take each path (A read in place and copied, whole and partial
 *   tiles, several K blocks, rows 4 KiB apart).
 * - A short training run (Adam, a 128-unit layer, so that its products
 *   take the copied and tiled paths, on 2 threads) ends in the same
 *   weights under every variant.
 * - dn_gemm_force and the calibration: the calibration answers a variant
 *   that exists and leaves what was forced forced; DESCENT_GEMM_VARIANT
 *   in a fresh process forces the variant it names.
 * All of it also under DESCENT_GEMM=avx2 and =portable.
 * Nothing here is timed: which variant the calibration picks is the
 * machine's business, only that it cannot matter is tested.
 */
#include "check.h"
#include "kernels/gemm.h"
#include "train/train.h"
#include "data/data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t seed = 7;

static float *randv(size_t n)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        v[i] = (float)((double)(seed >> 40) / 16777216.0 - 0.5);
    }
    return v;
}

static void test_caches(void)
{
    long s1 = 0, s2 = 0, c1 = 0, c2 = 0, l1, l2;
    int sys = dn_cache_read(DN_CACHE_SYSFS, &s1, &s2);
    int cpu = dn_cache_read(DN_CACHE_CPUID, &c1, &c2);
    if (sys && cpu)
        CHECK(s1 == c1 && s2 == c2, "sysfs says L1d %ld, L2 %ld bytes; "
              "CPUID %ld, %ld", s1, s2, c1, c2);
    CHECK(sys || cpu, "neither sysfs nor CPUID gave the cache sizes");
    dn_cache_sizes(&l1, &l2);
    CHECK(l1 >= 8 << 10 && l1 <= 1 << 20 && l2 > l1 && l2 <= 64 << 20,
          "cache sizes L1d %ld, L2 %ld bytes", l1, l2);
    CHECK(l1 == (sys ? s1 : c1) && l2 == (sys ? s2 : c2),
          "dn_cache_sizes %ld %ld is not the first source's answer", l1, l2);
    int nc, mc;
    dn_gemm_blocking(&nc, &mc);
    CHECK(nc % 32 == 0 && nc >= 128 && (nc == 128 ||
          (long)nc * 256 * 4 <= l2 / 2), "nc %d for an L2 of %ld", nc, l2);
    CHECK(mc % 48 == 0 && mc >= 48, "mc %d", mc);
}

typedef void gemm_fn(dn_pool *, int, int, int, const float *, int,
                     const float *, int, float *, int, int);
static gemm_fn *const kinds[3] = { dn_gemm_nt, dn_gemm_nn, dn_gemm_tn };
static const char *const kind_names[3] = { "nt", "nn", "tn" };

static void test_products(dn_pool **pools)
{
    static const int shapes[][3] = {
        {300, 700, 1024},  /* A's rows 4 KiB apart, four K blocks */
        {171, 1100, 600},  /* partial tiles and column blocks */
        {60, 140, 300},    /* a few tiles */
        {2048, 96, 256},   /* tall */
    };
    const int nv = dn_gemm_variants();
    for (int s = 0; s < 4; s++)
        for (int q = 0; q < 3; q++) {
            const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
            /* A is M×K (K×M for tn), B N×K for nt, else K×N. */
            const int lda = q == 2 ? M : K, ldb = q == 0 ? K : N;
            float *A = randv((size_t)M * K), *B = randv((size_t)N * K);
            float *C0 = randv((size_t)M * N);
            float *ref = malloc((size_t)M * N * sizeof *ref);
            float *C = malloc((size_t)M * N * sizeof *C);
            for (int acc = 0; acc < 2; acc++) {
                dn_gemm_force(0);
                memcpy(ref, C0, (size_t)M * N * sizeof *C);
                kinds[q](NULL, M, N, K, A, lda, B, ldb, ref, N, acc);
                for (int v = 0; v < nv; v++)
                    for (int p = 0; p < 4; p++) {
                        dn_gemm_force(v);
                        memcpy(C, C0, (size_t)M * N * sizeof *C);
                        kinds[q](p ? pools[p - 1] : NULL, M, N, K, A, lda,
                                 B, ldb, C, N, acc);
                        CHECK(memcmp(C, ref, (size_t)M * N * sizeof *C) == 0,
                              "%s %dx%dx%d acc=%d: variant %s on %d threads "
                              "differs from variant %s alone", kind_names[q],
                              M, N, K, acc, dn_gemm_variant_name(v),
                              p ? dn_pool_threads(pools[p - 1]) : 1,
                              dn_gemm_variant_name(0));
                    }
            }
            free(A); free(B); free(C0); free(ref); free(C);
        }
    dn_gemm_force(-1);
}

enum { ROWS = 512, IN = 200, UNITS = 128 };

static void test_training(void)
{
    dn_data *d = NULL;
    if (dn_data_alloc_u8(ROWS, IN, 1, &d, NULL)) {
        CHECK(0, "no data");
        return;
    }
    uint64_t s = 11;
    for (size_t i = 0; i < (size_t)ROWS * IN; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        dn_data_x8(d)[i] = (uint8_t)(s >> 56);
    }
    for (int i = 0; i < ROWS; i++)
        d->Y[i] = (float)(dn_data_x8(d)[(size_t)i * IN + 3] % 4);
    const int nv = dn_gemm_variants();
    float *first = NULL;
    size_t n = 0;
    dn_train_opts o;   /* three epochs of Adam, 4 steps each, 2 threads */
    dn_train_defaults(&o);
    dn_opt_defaults(&o.opt, DN_OPT_ADAM);
    o.batch = 128;
    o.threads = 2;
    o.epochs = 3;
    for (int v = 0; v < nv; v++) {
        dn_gemm_force(v);
        dn_arch a;
        memset(&a, 0, sizeof a);
        a.n_in = IN;
        a.n_layers = 2;
        a.layer[0] = (dn_layer){ .units = UNITS, .act = DN_ACT_RELU };
        a.layer[1] = (dn_layer){ .units = 4, .act = DN_ACT_IDENTITY };
        dn_model *m = NULL;
        dn_error err;
        if (dn_arch_set_task(&a, DN_TASK_MULTICLASS, 4, &err) ||
            dn_model_new(&a, &m, &err) || dn_model_fit_scaling(m, d, &err) ||
            dn_train(m, d, NULL, &o, NULL, &err) != DN_OK) {
            CHECK(0, "variant %s: %s", dn_gemm_variant_name(v), err.msg);
            dn_model_free(m);
            continue;
        }
        n = dn_model_n_params(m);
        if (!first) {
            first = malloc(n * sizeof *first);
            if (first) memcpy(first, dn_model_params(m), n * sizeof *first);
        } else {
            CHECK(memcmp(first, dn_model_params(m), n * sizeof *first) == 0,
                  "training under variant %s ended in other weights than "
                  "under %s", dn_gemm_variant_name(v),
                  dn_gemm_variant_name(0));
        }
        dn_model_free(m);
    }
    free(first);
    dn_data_free(d);
    dn_gemm_force(-1);
}

static void test_force(void)
{
    const int nv = dn_gemm_variants();
    CHECK(nv >= 2 && nv <= 4, "%d variants", nv);
    for (int v = 0; v < nv; v++)
        for (int w = v + 1; w < nv; w++)
            CHECK(strcmp(dn_gemm_variant_name(v), dn_gemm_variant_name(w)),
                  "variants %d and %d share the name %s", v, w,
                  dn_gemm_variant_name(v));
    CHECK(dn_gemm_variant_name(nv) == NULL && dn_gemm_variant_name(-1) ==
          NULL, "a name for a variant out of range");
    dn_gemm_force(-1);
    CHECK(dn_gemm_force(nv - 1) == -1 && dn_gemm_variant() == nv - 1,
          "forcing %d: now %d", nv - 1, dn_gemm_variant());
    int best = dn_gemm_calibrate();
    CHECK(best >= 0 && best < nv, "the calibration chose %d of %d", best,
          nv);
    CHECK(dn_gemm_force(nv + 3) == nv - 1 && dn_gemm_variant() != nv + 3,
          "the calibration released the forced variant, or an out of "
          "range one was taken");
    dn_gemm_force(-1);
}

/* A fresh process with DESCENT_GEMM_VARIANT set prints the variant in
 * use (argv[1] = "child"). */
static void test_env(const char *self)
{
    const int nv = dn_gemm_variants();
    for (int v = 0; v < nv; v++) {
        int fd[2];
        if (pipe(fd) != 0) return;
        pid_t pid = fork();
        if (pid == 0) {
            dup2(fd[1], 1);
            close(fd[0]);
            setenv("DESCENT_GEMM_VARIANT", dn_gemm_variant_name(v), 1);
            execl(self, self, "child", (char *)NULL);
            _exit(127);
        }
        close(fd[1]);
        char buf[16] = "";
        ssize_t r = read(fd[0], buf, sizeof buf - 1);
        close(fd[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(r > 0 && atoi(buf) == v && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0, "DESCENT_GEMM_VARIANT=\"%s\": the "
              "child ran variant %s (status %d)", dn_gemm_variant_name(v),
              r > 0 ? buf : "?", status);
    }
}

/* The whole test again under the lesser kernel sets (their variants
 * differ only in copying A), in fresh processes. */
static void test_isas(const char *self)
{
    static const char *const isas[2] = { "avx2", "portable" };
    for (int i = 0; i < 2; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            setenv("DESCENT_GEMM", isas[i], 1);
            execl(self, self, (char *)NULL);
            _exit(127);
        }
        int status = -1;
        if (pid > 0) waitpid(pid, &status, 0);
        CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the DESCENT_GEMM=%s run failed (status %d)", isas[i], status);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        /* A product big enough to calibrate, unless forced. */
        float *A = calloc(512 * 512, sizeof *A), *C = calloc(512 * 512, 4);
        if (A && C) dn_gemm_nn(NULL, 512, 512, 512, A, 512, A, 512, C, 512, 0);
        printf("%d\n", dn_gemm_variant());
        free(A);
        free(C);
        return 0;
    }
    if (!getenv("DESCENT_GEMM")) test_isas(argv[0]);
    else printf("  %s kernels\n", getenv("DESCENT_GEMM"));
    test_env(argv[0]);
    test_caches();
    test_force();
    dn_pool *pools[3] = { dn_pool_new(1), dn_pool_new(2), dn_pool_new(3) };
    CHECK(pools[0] && pools[1] && pools[2], "dn_pool_new failed");
    if (pools[0] && pools[1] && pools[2]) test_products(pools);
    for (int p = 0; p < 3; p++) dn_pool_free(pools[p]);
    test_training();
    return check_done("test_tune");
}
