/* fuzz_model.c — dn_model_load on any bytes, as `descent eval`,
 * `predict`, `summary` and `train --warm-start` read a model file.
 *
 * A success must give a model that keeps the promises of the format
 * (docs/model-format.md): an architecture dn_arch_check accepts, as many
 * finite parameters as it implies, positive finite scaling, a schema
 * that fits the network, no empty or reserved metadata keys.  The model
 * must then run (dn_predict on two rows) and survive a save and a load
 * with the same bits: descent never writes a file it would refuse to
 * read. */
#include "fuzz.h"

static size_t model_params_of(const dn_arch *A)
{
    size_t n = 0;
    int in = A->n_in;
    for (int l = 0; l < A->n_layers; l++) {
        size_t out = (size_t)A->layer[l].units;
        n += out * (size_t)in + out;
        if (A->layer[l].act == DN_ACT_PRELU) n += out;
        in = A->layer[l].units;
    }
    return n;
}

static int model_all_finite(const float *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

static int model_positive(const float *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (!(v[i] > 0)) return 0;
    return 1;
}

static void model_check(const dn_model *m)
{
    const dn_arch *A = dn_model_arch(m);
    dn_error e;
    FUZZ_CHECK(dn_arch_check(A, &e) == DN_OK, "loaded an architecture "
               "dn_arch_check refuses: %s", e.msg);
    size_t n = dn_model_n_params(m);
    FUZZ_CHECK(n == model_params_of(A), "%zu parameters, the architecture "
               "implies %zu", n, model_params_of(A));
    FUZZ_CHECK(model_all_finite(dn_model_params_const(m), n),
               "non-finite parameters");
    size_t n_in = (size_t)A->n_in, n_out = (size_t)dn_model_n_out(m);
    FUZZ_CHECK((dn_model_mean(m) == NULL) == (dn_model_std(m) == NULL),
               "half a scaling");
    FUZZ_CHECK(model_all_finite(dn_model_mean(m), n_in) &&
               model_all_finite(dn_model_std(m), n_in) &&
               model_positive(dn_model_std(m), n_in), "bad input scaling");
    FUZZ_CHECK(model_all_finite(dn_model_target_mean(m), n_out) &&
               model_all_finite(dn_model_target_std(m), n_out) &&
               model_positive(dn_model_target_std(m), n_out),
               "bad target scaling");
    FUZZ_CHECK(!dn_model_target_mean(m) || A->loss == DN_LOSS_MSE,
               "target scaling on a %s model", dn_loss_name(A->loss));
    const dn_schema *s = dn_model_schema(m);
    if (s) {
        FUZZ_CHECK(s->n_in == A->n_in, "schema n_in %d, model %d", s->n_in,
                   A->n_in);
        FUZZ_CHECK((unsigned)s->task <= DN_TASK_MULTICLASS, "task %d",
                   s->task);
        if (s->task == DN_TASK_MULTICLASS)
            FUZZ_CHECK(s->n_classes == (int)n_out, "%d classes, %zu outputs",
                       s->n_classes, n_out);
        /* A classifier's outputs are named by its classes (the CLI
         * indexes them): a regression schema only on an MSE network. */
        if (A->loss != DN_LOSS_MSE)
            FUZZ_CHECK(s->task != DN_TASK_REGRESSION && s->n_classes >= 2 &&
                       s->classes, "a %s network with a %s schema of %d "
                       "classes", dn_loss_name(A->loss),
                       dn_task_name(s->task), s->n_classes);
    }
    for (int i = 0; i < dn_model_meta_count(m); i++) {
        const char *k = dn_model_meta_key(m, i);
        FUZZ_CHECK(k && *k && strcmp(k, "format") != 0 &&
                   strcmp(k, "descent.arch") != 0 &&
                   dn_model_meta_get(m, k) != NULL,
                   "metadata key %d is empty or reserved", i);
    }
}

/* The same network, parameters, scaling and metadata. */
static int model_same(const dn_model *a, const dn_model *b)
{
    const dn_arch *x = dn_model_arch(a), *y = dn_model_arch(b);
    if (x->n_in != y->n_in || x->n_layers != y->n_layers ||
        x->loss != y->loss)
        return 0;
    for (int l = 0; l < x->n_layers; l++)
        if (x->layer[l].units != y->layer[l].units ||
            x->layer[l].act != y->layer[l].act ||
            x->layer[l].alpha != y->layer[l].alpha)
            return 0;
    size_t n = dn_model_n_params(a);
    if (n != dn_model_n_params(b) ||
        memcmp(dn_model_params_const(a), dn_model_params_const(b),
               n * sizeof(float)))
        return 0;
    if ((dn_model_mean(a) == NULL) != (dn_model_mean(b) == NULL) ||
        (dn_model_schema(a) == NULL) != (dn_model_schema(b) == NULL) ||
        dn_model_meta_count(a) != dn_model_meta_count(b))
        return 0;
    if (dn_model_mean(a) &&
        (memcmp(dn_model_mean(a), dn_model_mean(b), x->n_in * sizeof(float)) ||
         memcmp(dn_model_std(a), dn_model_std(b), x->n_in * sizeof(float))))
        return 0;
    for (int i = 0; i < dn_model_meta_count(a); i++) {
        const char *k = dn_model_meta_key(a, i);
        const char *v = dn_model_meta_get(b, k);
        if (!v || strcmp(v, dn_model_meta_get(a, k)) != 0) return 0;
    }
    return 1;
}

FUZZ_ENTRY(model)(const uint8_t *data, size_t size)
{
    static const dn_status fails[] = { DN_EFORMAT };
    const char *path = fuzz_write("model.safetensors", data, size);
    dn_model *m = (dn_model *)1;
    dn_error e;
    memset(&e, 0, sizeof e);
    dn_status st = dn_model_load(path, &m, &e);
    fuzz_loaded_ = st == DN_OK;
    if (st) {
        fuzz_check_failure(st, &e, m, path, 1, fails);
        return 0;
    }
    model_check(m);

    /* It runs: two rows of zeros through the network. */
    int n_in = dn_model_n_in(m), n_out = dn_model_n_out(m);
    if ((size_t)n_in * n_out <= (1u << 22)) {
        float *X = calloc(2 * (size_t)n_in, sizeof *X);
        float *Y = malloc(2 * (size_t)n_out * sizeof *Y);
        if (X && Y)
            FUZZ_CHECK(dn_predict(m, X, 2, Y, &e) == DN_OK,
                       "a loaded model does not predict: %s", e.msg);
        free(X);
        free(Y);
    }

    /* What was loaded saves, and loads back the same. */
    const char *copy = fuzz_path("copy.safetensors");
    char copy_path[300];
    snprintf(copy_path, sizeof copy_path, "%s", copy);
    st = dn_model_save(m, copy_path, &e);
    FUZZ_CHECK(st == DN_OK, "a loaded model does not save: %s", e.msg);
    if (!st) {
        dn_model *m2 = NULL;
        st = dn_model_load(copy_path, &m2, &e);
        FUZZ_CHECK(st == DN_OK, "a saved model does not load: %s", e.msg);
        if (!st) {
            FUZZ_CHECK(model_same(m, m2), "the model changed in a save and "
                       "a load");
            dn_model_free(m2);
        }
        remove(copy_path);
    }
    dn_model_free(m);
    return 0;
}
