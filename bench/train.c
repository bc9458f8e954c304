/* train.c — descent's side of `make bench`: one training workload on
 * Fashion-MNIST through the public API alone, as a user would write it,
 * and one line of results on stdout.
 *
 *   train W1|W2|W3 DATA_DIR [threads] [seed] [epochs] [u8|f32]
 *
 *   W1  784-16-16-10 ReLU, softmax + CE, SGD eta 0.1, batch 32, 1 epoch
 *   W2  784-1024-1024-10 ReLU, Adam 1e-3, batch 256, 1 epoch
 *   W3  784-256-128-10 ReLU, Adam 1e-3, batch 64, 10 epochs
 *
 * The pixels are read as bytes (dn_idx_read_u8, as the CLI does; f32:
 * as floats, dn_idx_read) and converted in the batch gathers.
 * Inputs are standardized by the model (dn_model_fit_scaling), descent's
 * default path: the timed training pays for it on every batch.  The timer
 * spans dn_train alone (workspace, shuffles, gathers, every step); the
 * data loading and the test evaluation are outside it.  Output:
 *
 *   descent W1 seconds=0.0213 samples_per_s=2816901 test_acc=0.8210 rss_kb=250000 cpu_seconds=0.04
 *
 * (cpu_seconds: the process's user + system time over the training, for
 * seeing through a busy machine's noise; rss_kb: peak resident memory.)
 */
#include <descent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
    const char *name;
    int hidden[2];
    dn_opt_kind opt;
    double eta;
    int batch, epochs;
} workload;

static const workload loads[] = {
    { "W1", {16, 16},     DN_OPT_SGD,  0.1,  32,  1 },
    { "W2", {1024, 1024}, DN_OPT_ADAM, 1e-3, 256, 1 },
    { "W3", {256, 128},   DN_OPT_ADAM, 1e-3, 64,  10 },
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int fail(const char *what, const dn_error *err)
{
    fprintf(stderr, "bench/train: %s: %s\n", what, err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s W1|W2|W3 DATA_DIR [threads] [seed] "
                "[epochs] [u8|f32]\n",
                argv[0]);
        return 2;
    }
    const workload *w = NULL;
    for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++)
        if (strcmp(argv[1], loads[i].name) == 0) w = &loads[i];
    if (!w) {
        fprintf(stderr, "bench/train: unknown workload %s\n", argv[1]);
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    unsigned long seed = argc > 4 ? strtoul(argv[4], NULL, 10) : 1;
    /* More epochs than the workload's: for profiling the steady state. */
    int epochs = argc > 5 ? atoi(argv[5]) : w->epochs;
    int floats = argc > 6 && strcmp(argv[6], "f32") == 0;
    dn_status (*read)(const char *, const char *, dn_data **, dn_error *) =
        floats ? dn_idx_read : dn_idx_read_u8;

    char img[4096], lab[4096], timg[4096], tlab[4096];
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", argv[2]);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", argv[2]);
    snprintf(timg, sizeof timg, "%s/t10k-images-idx3-ubyte.gz", argv[2]);
    snprintf(tlab, sizeof tlab, "%s/t10k-labels-idx1-ubyte.gz", argv[2]);

    dn_error err;
    dn_data *train, *test;
    if (read(img, lab, &train, &err)) return fail("training set", &err);
    if (read(timg, tlab, &test, &err)) return fail("test set", &err);

    dn_arch a;
    memset(&a, 0, sizeof a);
    a.n_in = train->d;
    a.n_layers = 2;
    a.layer[0] = (dn_layer){ .units = w->hidden[0], .act = DN_ACT_RELU };
    a.layer[1] = (dn_layer){ .units = w->hidden[1], .act = DN_ACT_RELU };
    dn_model *m;
    if (dn_arch_set_task(&a, DN_TASK_MULTICLASS, 10, &err) ||
        dn_model_new(&a, &m, &err))
        return fail("model", &err);
    dn_model_init(m, DN_INIT_DEFAULT, 0, seed);
    if (dn_model_fit_scaling(m, train, &err)) return fail("scaling", &err);

    dn_train_opts o;
    dn_train_defaults(&o);
    o.epochs = epochs;
    o.batch = w->batch;
    o.eta = w->eta;
    dn_opt_defaults(&o.opt, w->opt);
    o.seed = seed;
    o.threads = threads;

    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = now();
    if (dn_train(m, train, NULL, &o, NULL, &err)) return fail("training", &err);
    double sec = now() - t0;
    getrusage(RUSAGE_SELF, &r1);
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
                 1e-6 * (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) +
                 (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                 1e-6 * (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);

    dn_metrics mt;
    if (dn_evaluate(m, test, &mt, &err)) return fail("evaluation", &err);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("descent %s seconds=%.6f samples_per_s=%.0f test_acc=%.4f "
           "rss_kb=%ld cpu_seconds=%.6f\n", w->name, sec,
           (double)train->n * epochs / sec, mt.accuracy, ru.ru_maxrss, cpu);
    dn_model_free(m);
    dn_data_free(train);
    dn_data_free(test);
    return 0;
}
