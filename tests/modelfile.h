/* modelfile.h — what the test_modelfile_* programs share: a scratch
 * directory and its files, and a model with weights, biases and slopes
 * off their defaults. */
#ifndef MODELFILE_H
#define MODELFILE_H
#include "check.h"
#include "descent.h"
#include "train/train.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];   /* a fresh temporary directory for every file */

static inline const char *tmp_path(const char *name)
{
    static char p[2][256];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static inline void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    if (n && fwrite(b, 1, n, f) != n) { perror(path); exit(2); }
    fclose(f);
}

static inline unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static inline int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static inline dn_model *make_model(int n_in, const dn_layer *layers,
                                   int n_layers, dn_loss loss, uint64_t seed)
{
    dn_arch A;
    memset(&A, 0, sizeof A);
    A.n_in = n_in;
    A.n_layers = n_layers;
    for (int l = 0; l < n_layers; l++) A.layer[l] = layers[l];
    A.loss = loss;
    dn_model *m;
    dn_error err;
    if (dn_model_new(&A, &m, &err)) {
        CHECK(0, "dn_model_new: %s", err.msg);
        return NULL;
    }
    dn_model_init(m, DN_INIT_GLOROT_NORMAL, 0, seed);
    /* Biases and slopes off their defaults, so a mix-up would show. */
    dn_rng r;
    dn_rng_seed(&r, seed + 1);
    for (int l = 0; l < n_layers; l++) {
        float *b = dn_model_b(m, l), *s = dn_model_slope(m, l);
        for (int j = 0; j < layers[l].units; j++) {
            b[j] = (float)dn_rng_normal(&r);
            if (s) s[j] = (float)(0.5 * dn_rng_uniform(&r));
        }
    }
    return m;
}

#endif
