/* train_same.c — whether two `descent train` command lines describe the
 * same run, option by option.  A resume is accepted only when every
 * option that shapes the result agrees with the checkpoint's; the first
 * that does not is named, with both values.
 *
 * The table below lists every option of the parser that is not numeric
 * (the numeric ones come from train_args.c's own table), so an option
 * added to the parser and forgotten here fails tests/test_resume_args.sh,
 * which tries each option of `descent train --help`. */
#include "train.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Kinds: 'p' path, 's' text, 'i' int, 'b' on/off, 'u' u64, 'l' long,
 * 'r' dropout rates, and the enums 'A' activation, 'L' loss, 'T' task,
 * 'I' init, 'O' optimizer, 'S' schedule, 'V' solver, 'C' cg beta,
 * 'M' monitor. */
typedef struct { const char *name; size_t off; char kind; } field;

#define F(name, member, kind) { name, offsetof(train_cfg, member), kind }
static const field fields[] = {
    F("DATA", data, 'p'), F("labels", labels, 'p'),
    F("val-data", val_data, 'p'), F("val-labels", val_labels, 'p'),
    F("warm-start", warm, 'p'), F("output", out, 'p'),
    F("checkpoint", checkpoint, 'p'), F("history", history, 'p'),
    F("tensorboard", tensorboard, 'p'), F("plot", plot, 'p'),
    F("boundary", boundary, 'p'),
    F("target", target, 's'), F("layers", layers, 's'),
    F("sep", sep, 's'), F("na", na, 's'), F("missing", missing, 's'),
    F("categorical", categorical, 's'), F("drop", drop, 's'),
    F("class-weight", class_weight, 's'),
    F("sample-weight", sample_weight, 's'),
    F("task", task_set, 'b'), F("task", task, 'T'),
    F("loss", loss_set, 'b'), F("loss", loss, 'L'), F("act", act, 'A'),
    F("init", init_set, 'b'), F("init", init, 'I'),
    F("opt", opt, 'O'), F("opt", solver_set, 'b'), F("opt", solver.kind, 'V'),
    F("nesterov", opt, 'O'), F("schedule", sched, 'S'),
    F("batch", t.batch, 'i'), F("batch", batch_set, 'b'),
    F("cg-beta", solver.cg_beta, 'C'), F("seed", t.seed, 'u'),
    F("lm-rule", solver.lm_rule, 'R'),
    F("dropout", t.dropout, 'r'), F("dropout", dropout_n, 'i'),
    F("threshold-mode", t.sched.threshold_abs, 'b'),
    F("monitor", t.monitor, 'M'), F("centered", t.opt.centered, 'b'),
    F("amsgrad", t.opt.amsgrad, 'b'),
    F("no-restore-best", t.restore_best, 'b'),
    F("no-standardize", standardize, 'b'),
    F("memory", memory, 'u'),
};
#undef F

/* What may change between the first run and its resume: nothing that
 * changes a bit of the result. */
static const char *free_to_change[] = {
    "epochs", "threads", "quiet", "verbose", "dry-run", "plot-log",
    "no-health",
    "checkpoint-every", "resume", "accept-outputs", NULL
};

int train_free_option(const char *name)
{
    for (int i = 0; free_to_change[i]; i++)
        if (!strcmp(name, free_to_change[i])) return 1;
    return 0;
}

static void show(const train_cfg *c, size_t off, char kind, char *buf,
                 size_t len)
{
    const void *p = (const char *)c + off;
    switch (kind) {
    case 'p': case 's': {
        const char *s = *(const char *const *)p;
        snprintf(buf, len, "%s", s ? s : "(not given)");
        break;
    }
    case 'b': snprintf(buf, len, "%s", *(const int *)p ? "on" : "off"); break;
    case 'i': snprintf(buf, len, "%d", *(const int *)p); break;
    case 'l': snprintf(buf, len, "%ld", *(const long *)p); break;
    case 'z': snprintf(buf, len, "%zu", *(const size_t *)p); break;
    case 'u': snprintf(buf, len, "%llu", *(const unsigned long long *)p); break;
    case 'd': dn_snprintf(buf, len, "%.15g", *(const double *)p); break;
    case 'r': {
        const float *r = p;
        size_t o = 0;
        for (int l = 0; l < DN_MAX_LAYERS && o < len; l++)
            if (r[l] != 0)
                o += (size_t)dn_snprintf(buf + o, len - o, "%slayer %d: %.9g",
                                      o ? ", " : "", l + 1, r[l]);
        if (!o) snprintf(buf, len, "none");
        break;
    }
    case 'A': snprintf(buf, len, "%s", dn_act_name(*(const dn_act *)p)); break;
    case 'L': snprintf(buf, len, "%s", dn_loss_name(*(const dn_loss *)p)); break;
    case 'T': snprintf(buf, len, "%s", dn_task_name(*(const dn_task *)p)); break;
    case 'I': snprintf(buf, len, "%s", dn_init_name(*(const dn_init *)p)); break;
    case 'O': snprintf(buf, len, "%s", dn_opt_name(*(const dn_opt_kind *)p)); break;
    case 'S': snprintf(buf, len, "%s", dn_sched_name(*(const dn_sched_kind *)p)); break;
    case 'V': snprintf(buf, len, "%s", dn_solver_name(*(const dn_solver_kind *)p)); break;
    case 'C': snprintf(buf, len, "%s", dn_cg_beta_name(*(const dn_cg_beta *)p)); break;
    case 'R': snprintf(buf, len, "%s", dn_lm_rule_name(*(const dn_lm_rule *)p)); break;
    default:
        snprintf(buf, len, "%s", *(const dn_monitor *)p == DN_MONITOR_VAL_ACC
                 ? "val_acc" : *(const dn_monitor *)p == DN_MONITOR_TRAIN_LOSS
                 ? "train_loss" : "val_loss");
    }
}

static size_t width(char kind)
{
    switch (kind) {
    case 'p': case 's': return sizeof(const char *);
    case 'l': return sizeof(long);
    case 'z': return sizeof(size_t);
    case 'u': return sizeof(unsigned long long);
    case 'd': return sizeof(double);
    case 'r': return DN_MAX_LAYERS * sizeof(float);
    default:  return sizeof(int);
    }
}

static int differs(const train_cfg *a, const train_cfg *b, size_t off,
                   char kind)
{
    const char *pa = (const char *)a + off, *pb = (const char *)b + off;
    if (kind == 'p')
        return !cli_same_file(*(const char *const *)pa, *(const char *const *)pb);
    if (kind == 's') {
        const char *x = *(const char *const *)pa, *y = *(const char *const *)pb;
        return x || y ? !x || !y || strcmp(x, y) : 0;
    }
    return memcmp(pa, pb, width(kind)) != 0;
}

/* The first numeric option that differs; with given_only, only those
 * typed on either command line (so --weight-decay is named, not the l2
 * it sets). */
static int diff_nums(const train_cfg *a, const train_cfg *b, int given_only,
                     char *name, size_t name_len, char *va, char *vb,
                     size_t len)
{
    size_t n_num;
    const train_num *nums = train_nums(&n_num);
    for (size_t i = 0; i < n_num; i++) {
        if (train_free_option(nums[i].name)) continue;
        if (given_only && !((a->given | b->given) >> i & 1)) continue;
        if (differs(a, b, nums[i].off, nums[i].type)) {
            snprintf(name, name_len, "--%s", nums[i].name);
            show(a, nums[i].off, nums[i].type, va, len);
            show(b, nums[i].off, nums[i].type, vb, len);
            return 1;
        }
    }
    return 0;
}

int train_cfg_diff(const train_cfg *a, const train_cfg *b, char *name,
                   size_t name_len, char *va, char *vb, size_t len)
{
    /* Kinds and paths first: an optimizer or schedule brings its own
     * defaults, which would otherwise be named instead of it. */
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const field *f = &fields[i];
        if (!differs(a, b, f->off, f->kind)) continue;
        snprintf(name, name_len, "%s%s", strcmp(f->name, "DATA") ? "--" : "",
                 f->name);
        show(a, f->off, f->kind, va, len);
        show(b, f->off, f->kind, vb, len);
        return 1;
    }
    return diff_nums(a, b, 1, name, name_len, va, vb, len) ||
           diff_nums(a, b, 0, name, name_len, va, vb, len);
}
