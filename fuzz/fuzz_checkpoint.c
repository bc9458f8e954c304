/* fuzz_checkpoint.c — checkpoints on any bytes, as `descent train
 * --resume FILE` reads them: dn_checkpoint_read_info, then dn_train
 * resuming a small fixed run (12 rows, a 3-unit hidden layer, Adam, a
 * step schedule, early stopping so that best weights are kept) from the
 * file.
 *
 * A checkpoint carries a CRC-32 of its body, which almost every mutation
 * breaks; so for inputs of even length the target first writes the true
 * length and CRC into the header, and the fuzzer reaches the fields
 * behind them.  Odd lengths go in as they are (the CRC check itself).
 *
 * A failure must be clean (a damaged file: DN_EFORMAT; one written for
 * another run: DN_EARG; both naming the file; a restored state that
 * makes the loss non-finite: DN_ENUMERIC).  Seeds: FUZZ_WRITE_SEEDS=DIR
 * makes the first call write checkpoints of the fixed run into DIR (see
 * fuzz/make_corpus.py). */
#include "fuzz.h"

static dn_data *ckpt_data;

/* The fixed run's data, read once. */
static const dn_data *ckpt_rows(void)
{
    if (ckpt_data) return ckpt_data;
    static const char csv[] =
        "a,b,c,y\n1,2,0.5,x\n2,1,0.25,y\n3,0,1,z\n0,3,2,x\n1,1,1,y\n"
        "2,2,0,z\n3,3,3,x\n0,0,0.5,y\n1,3,1.5,z\n2,0,2.5,x\n3,1,0,y\n"
        "0,2,1,z\n";
    dn_error e;
    const char *path = fuzz_write("ckpt_rows.csv", csv, sizeof csv - 1);
    if (dn_csv_read(path, NULL, &ckpt_data, NULL, 0, &e)) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", e.msg);
        exit(2);
    }
    return ckpt_data;
}

static dn_model *ckpt_model(const dn_data *d)
{
    dn_arch a;
    dn_error e;
    dn_model *m = NULL;
    memset(&a, 0, sizeof a);
    a.n_in = d->d;
    a.n_layers = 1;
    a.layer[0] = (dn_layer){ .units = 3, .act = DN_ACT_RELU };
    if (dn_arch_set_task(&a, DN_TASK_MULTICLASS, 3, &e) ||
        dn_model_new(&a, &m, &e)) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", e.msg);
        exit(2);
    }
    dn_model_init(m, DN_INIT_DEFAULT, 0, 5);
    return m;
}

static void ckpt_opts(dn_train_opts *o, int epochs)
{
    dn_train_defaults(o);
    o->epochs = epochs;
    o->batch = 4;
    o->threads = 1;
    o->eta = 0.05;
    dn_opt_defaults(&o->opt, DN_OPT_ADAM);
    dn_sched_defaults(&o->sched, DN_SCHED_STEP);
    o->sched.step_size = 1;
    o->patience = 2;
    o->monitor = DN_MONITOR_TRAIN_LOSS;
    o->note = "fuzz";
}

static volatile sig_atomic_t ckpt_stop;

static int ckpt_stop_next(const dn_epoch *e, void *user)
{
    (void)e;
    (void)user;
    ckpt_stop = 1;   /* stop in the middle of the next epoch */
    return 0;
}

/* Writes checkpoints of the fixed run into dir: after 1 and 2 epochs,
 * and in the middle of the second. */
static void ckpt_write_seeds(const char *dir)
{
    const dn_data *d = ckpt_rows();
    for (int k = 0; k < 3; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/good_%s", dir,
                 k == 0 ? "epoch1" : k == 1 ? "epoch2" : "mid_epoch2");
        dn_model *m = ckpt_model(d);
        dn_train_opts o;
        dn_error e;
        ckpt_opts(&o, k == 1 ? 2 : 1 + (k == 2));
        o.checkpoint = path;
        o.checkpoint_every = 1;
        ckpt_stop = 0;
        if (k == 2) {
            o.on_epoch = ckpt_stop_next;
            o.interrupt = &ckpt_stop;
        }
        dn_status st = dn_train(m, d, NULL, &o, NULL, &e);
        if (st) fprintf(stderr, "%s: %s\n", path, e.msg);
        dn_model_free(m);
    }
}

/* Length and CRC-32 of the body written into the 24-byte header. */
static void ckpt_fix_header(unsigned char *b, size_t n)
{
    uint64_t len = n - 24;
    uint32_t crc = (uint32_t)crc32(0L, b + 24, (uInt)(n - 24));
    for (int i = 0; i < 4; i++) b[12 + i] = (unsigned char)(crc >> (8 * i));
    for (int i = 0; i < 8; i++) b[16 + i] = (unsigned char)(len >> (8 * i));
}

FUZZ_ENTRY(checkpoint)(const uint8_t *data, size_t size)
{
    static int seeded;
    if (!seeded++ && getenv("FUZZ_WRITE_SEEDS"))
        ckpt_write_seeds(getenv("FUZZ_WRITE_SEEDS"));
    const dn_data *d = ckpt_rows();
    unsigned char *b = malloc(size ? size : 1);
    if (!b) return 0;
    memcpy(b, data, size);
    if (size >= 24 && size % 2 == 0) ckpt_fix_header(b, size);
    const char *path = fuzz_write("state.ckpt", b, size);
    free(b);

    static const dn_status bad_file[] = { DN_EFORMAT };
    dn_checkpoint_info info;
    dn_error e;
    memset(&e, 0, sizeof e);
    dn_status st = dn_checkpoint_read_info(path, &info, &e);
    fuzz_loaded_ = st == DN_OK;
    if (st) {
        fuzz_check_failure(st, &e, NULL, path, 1, bad_file);
        dn_checkpoint_info_free(&info);
    } else {
        FUZZ_CHECK(info.note != NULL && info.rows >= 1 && info.epoch >= 0 &&
                   info.position >= 0 && info.position < info.rows &&
                   info.steps >= 0, "info: epoch %d, position %d of %d",
                   info.epoch, info.position, info.rows);
        dn_checkpoint_info_free(&info);
    }

    /* Resume the fixed run from it, whatever read_info said: the two
     * must agree on what is damaged. */
    dn_model *m = ckpt_model(d);
    dn_train_opts o;
    dn_result res;
    ckpt_opts(&o, 3);
    o.resume = path;
    memset(&e, 0, sizeof e);
    dn_status rs = dn_train(m, d, NULL, &o, &res, &e);
    if (st)
        FUZZ_CHECK(rs == st, "read_info says %s, resuming says %s: %s",
                   dn_status_name(st), dn_status_name(rs), e.msg);
    if (rs == DN_EFORMAT || rs == DN_EARG) {
        static const dn_status bad_run[] = { DN_EFORMAT, DN_EARG };
        fuzz_check_failure(rs, &e, NULL, path, 2, bad_run);
    } else {
        FUZZ_CHECK(rs == DN_OK || rs == DN_ENUMERIC, "resume: %s: %s",
                   dn_status_name(rs), e.msg);
    }
    dn_model_free(m);
    return 0;
}
