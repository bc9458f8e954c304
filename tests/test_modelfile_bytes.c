/* test_modelfile_bytes.c — every prefix of a valid model file, and a
 * corruption of every byte: each fails with a message, or loads a model
 * that a check accepts. */
#include "modelfile.h"

/* ------------------------------------------------------------------ */
/* Every prefix, every byte                                            */
/* ------------------------------------------------------------------ */

static unsigned char *small_valid(size_t *n)
{
    dn_layer L[2] = { { .units = 2, .act = DN_ACT_PRELU }, { .units = 2,
                        .act = DN_ACT_SOFTMAX } };
    dn_model *m = make_model(2, L, 2, DN_LOSS_CE, 4);
    dn_error err;
    float mean[2] = { 1, 2 }, sd[2] = { 3, 4 };
    static dn_column col[2] = { { .name = "x" }, { .name = "y" } };
    static char *cls[2] = { "no", "yes" };
    dn_schema s = { .n_cols = 2, .col = col, .n_in = 2, .target = "t",
                    .task = DN_TASK_MULTICLASS, .n_classes = 2,
                    .classes = cls };
    dn_model_set_scaling(m, mean, sd, &err);
    dn_model_set_schema(m, &s, &err);
    dn_model_meta_set(m, "k", "v", &err);
    const char *p = tmp_path("small.safetensors");
    CHECK(dn_model_save(m, p, &err) == DN_OK, "%s", err.msg);
    dn_model_free(m);
    return read_bytes(p, n);
}

static void test_prefixes_and_bytes(void)
{
    size_t n;
    unsigned char *f = small_valid(&n);
    if (!f) { CHECK(0, "no small file"); return; }
    const char *p = tmp_path("cut.safetensors");
    int wrong = 0;
    for (size_t k = 0; k < n; k++) {
        write_bytes(p, f, k);
        dn_model *m = NULL;
        dn_error err;
        err.msg[0] = 0;
        dn_status st = dn_model_load(p, &m, &err);
        if (st != DN_EFORMAT || m || !strstr(err.msg, p)) {
            if (!wrong++)
                fprintf(stderr, "prefix %zu: %s: %s\n", k,
                        dn_status_name(st), err.msg);
            dn_model_free(m);
        }
    }
    CHECK(wrong == 0, "%d of %zu prefixes were not a clean format error",
          wrong, n);

    /* Three corruptions of every byte: flip the low bit, set all bits,
     * and a quote (which breaks JSON structure most).  Each must load or
     * fail cleanly; ASan/valgrind runs see the rest. */
    static const unsigned char how[3] = { 0x01, 0xFF, '"' };
    int loaded = 0, failed = 0, odd = 0;
    unsigned char *g = malloc(n);
    for (size_t k = 0; k < n; k++)
        for (int h = 0; h < 3; h++) {
            memcpy(g, f, n);
            g[k] = h == 0 ? g[k] ^ 1 : how[h];
            if (g[k] == f[k]) continue;
            write_bytes(p, g, n);
            dn_model *m = NULL;
            dn_error err;
            err.msg[0] = 0;
            dn_status st = dn_model_load(p, &m, &err);
            if (st == DN_OK && m) loaded++;
            else if (st == DN_EFORMAT && !m && err.msg[0]) failed++;
            else if (!odd++)
                fprintf(stderr, "corrupt byte %zu (%d): %s: %s\n", k, h,
                        dn_status_name(st), err.msg);
            dn_model_free(m);
        }
    CHECK(odd == 0, "%d corruptions gave neither a model nor a format error",
          odd);
    CHECK(failed > 0 && loaded > 0, "loaded %d, failed %d", loaded, failed);
    free(g);
    free(f);
}

CHECK_MAIN("test_modelfile_bytes", dir, CHECK_CASE(test_prefixes_and_bytes))
