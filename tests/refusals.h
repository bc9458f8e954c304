/* refusals.h — what the test_refusals_* programs share: a scratch
 * directory, REFUSE (a call must fail with a status and a message), the
 * small model and data they refuse things with. */
#ifndef REFUSALS_H
#define REFUSALS_H
#include "check.h"
#include "descent.h"
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static inline const char *at(const char *name)
{
    return check_path(dir, name);
}

static inline void put(const char *name, const void *p, size_t n)
{
    check_write(dir, name, p, n);
}

static dn_error err;

/* The call must fail with status `code` and a message holding `want`. */
#define REFUSE(call, code, want) do { \
    err.msg[0] = 0; \
    dn_status s_ = (call); \
    CHECK(s_ == (code) && strstr(err.msg, (want)), "%s: status %d, '%s'; " \
          "want %d and '%s'", #call, (int)s_, err.msg, (int)(code), (want)); \
} while (0)

/* A model 2 → 3 (PReLU) → out. */
static inline dn_model *small_model(dn_task task, int n_out)
{
    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = 2;
    a.n_layers = 1;
    a.layer[0] = (dn_layer){ .units = 3, .act = DN_ACT_PRELU };
    dn_model *m = NULL;
    if (dn_arch_set_task(&a, task, n_out, &err) || dn_model_new(&a, &m, &err)) {
        fprintf(stderr, "small_model: %s\n", err.msg);
        exit(2);
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 5);
    return m;
}

/* 8 rows of y = x1 - 2 x2 */
static float RX[16], RY[8];
static inline dn_data rdata(void)
{
    for (int i = 0; i < 8; i++) {
        RX[2 * i] = (float)(i % 3);
        RX[2 * i + 1] = (float)(i % 4) * 0.5f;
        RY[i] = RX[2 * i] - 2 * RX[2 * i + 1];
    }
    return dn_data_view(8, 2, 1, RX, RY);
}

#endif
