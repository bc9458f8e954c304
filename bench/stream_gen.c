/* stream_gen.c — synthetic MNIST-shaped IDX files for bench/stream.sh:
 * N images of 28 × 28 bytes and their labels (10 classes), written
 * uncompressed so that `descent train --memory` can stream them.  Class
 * c lights pixels 78c .. 78c + 77 over a dimmer noise, so that a small
 * network learns something; the same N and seed give the same bytes,
 * and the first M rows of a larger file are the rows of a file of M.
 *
 *   cc -O2 bench/stream_gen.c -o build/stream_gen
 *   build/stream_gen images labels N [seed]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t next(uint64_t *s)
{
    /* splitmix64: one state word, every output a full 64 bits */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void be32(unsigned char *p, uint32_t v)
{
    for (int j = 0; j < 4; j++) p[j] = (unsigned char)(v >> (24 - 8 * j));
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: stream_gen IMAGES LABELS N [SEED]\n");
        return 2;
    }
    long n = atol(argv[3]);
    uint64_t s = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
    FILE *fi = fopen(argv[1], "wb"), *fl = fopen(argv[2], "wb");
    if (!fi || !fl || n < 1) {
        perror("stream_gen");
        return 1;
    }
    unsigned char h[16];
    be32(h, 0x803); be32(h + 4, (uint32_t)n); be32(h + 8, 28); be32(h + 12, 28);
    fwrite(h, 1, 16, fi);
    be32(h, 0x801);
    fwrite(h, 1, 8, fl);
    enum { D = 784, CHUNK = 4096 };
    static unsigned char rows[CHUNK][D], lab[CHUNK];
    for (long r0 = 0; r0 < n; r0 += CHUNK) {
        int m = n - r0 < CHUNK ? (int)(n - r0) : CHUNK;
        for (int i = 0; i < m; i++) {
            int c = (int)(next(&s) % 10);
            lab[i] = (unsigned char)c;
            for (int j = 0; j < D; j += 8) {
                uint64_t w = next(&s);
                for (int b = 0; b < 8; b++) {
                    unsigned v = (unsigned)(w >> (8 * b)) & 0xFF;
                    int on = j + b >= 78 * c && j + b < 78 * c + 78;
                    rows[i][j + b] = (unsigned char)(on ? 200 + v % 56 : v / 3);
                }
            }
        }
        if (fwrite(rows, D, (size_t)m, fi) != (size_t)m ||
            fwrite(lab, 1, (size_t)m, fl) != (size_t)m) {
            perror("stream_gen: write");
            return 1;
        }
    }
    if (fclose(fi) || fclose(fl)) {
        perror("stream_gen: close");
        return 1;
    }
    return 0;
}
