/* test_rows.c — input rows as the network takes them (src/rows.c).
 *
 * The wide path replaces b / 255.0f by two fused multiply-adds; that is
 * only right if the result is the correctly rounded quotient for every
 * one of the 256 bytes, and if the standardization that follows keeps
 * the plain loop's order (a subtraction, then a product).  Both are
 * checked here value by value against the plain C expressions, on row
 * lengths that exercise the vector body and the tails, and then again in
 * a child with DESCENT_GEMM=portable (the plain loops): the same bits
 * on every path.
 */
#include "check.h"
#include "internal.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { D = 256 + 37 };

static void run_all(void)
{
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
        CHECK(bad == 0, "%s: %d of %d bytes are not b / 255.0f", dn_gemm_isa(),
              bad, d);
        CHECK(bad_s == 0, "%s: %d of %d standardized bytes differ from "
              "(b / 255 - mean) * inv", dn_gemm_isa(), bad_s, d);
        CHECK(bad_f == 0, "%s: %d of %d standardized floats differ from "
              "(x - mean) * inv", dn_gemm_isa(), bad_f, d);
        dn_row_f32(x, NULL, NULL, o, d);
        CHECK(memcmp(o, x, (size_t)d * sizeof *o) == 0,
              "without scaling a float row is copied as it is");
    }
}

int main(void)
{
    if (!getenv("DESCENT_GEMM")) {
        pid_t pid = fork();
        if (pid == 0) {
            setenv("DESCENT_GEMM", "portable", 1);
            run_all();
            printf("  %s path: %d passed, %d failed\n", dn_gemm_isa(),
                   check_passed, check_failed);
            fflush(stdout);
            _exit(check_failed != 0);
        }
        int status = 1;
        if (pid > 0) waitpid(pid, &status, 0);
        CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the DESCENT_GEMM=portable run failed (status %d)", status);
    }
    run_all();
    return check_done("test_rows");
}
