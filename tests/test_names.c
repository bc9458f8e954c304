/* test_names.c — the words for statuses, stop reasons and every option
 * kind (src/names.c, src/error.c): each value's name parses back to the
 * value (in any case, and through its aliases), names are distinct, an
 * out-of-range value is "?", and an unknown word is DN_EARG with a message
 * that shows the word (control bytes replaced, long ones cut) and lists
 * every choice. */
#include "check.h"
#include "descent.h"
#include "train/train.h" /* dn_strdup */

#include <ctype.h>
#include <string.h>

/* Each kind seen through int, so that one loop checks them all. */
typedef struct {
    const char *what;       /* as the error message names the kind */
    int n;                  /* values 0..n-1 */
    const char *(*name)(int);
    dn_status (*parse)(const char *, int *, dn_error *);
    const char *alias;      /* one alias and the value it stands for */
    int alias_value;
} kind;

#define ADAPT(T, NAME, PARSE)                                              \
    static const char *NAME##_i(int v) { return NAME((T)v); }             \
    static dn_status PARSE##_i(const char *s, int *out, dn_error *e)      \
    {                                                                      \
        T x = (T)0;                                                        \
        dn_status st = PARSE(s, &x, e);                                    \
        if (st == DN_OK) *out = (int)x;                                    \
        return st;                                                         \
    }
ADAPT(dn_act, dn_act_name, dn_act_parse)
ADAPT(dn_loss, dn_loss_name, dn_loss_parse)
ADAPT(dn_task, dn_task_name, dn_task_parse)
ADAPT(dn_init, dn_init_name, dn_init_parse)
ADAPT(dn_opt_kind, dn_opt_name, dn_opt_parse)
ADAPT(dn_sched_kind, dn_sched_name, dn_sched_parse)
ADAPT(dn_solver_kind, dn_solver_name, dn_solver_parse)
ADAPT(dn_cg_beta, dn_cg_beta_name, dn_cg_beta_parse)

static const kind kinds[] = {
    { "activation", DN_ACT_COUNT, dn_act_name_i, dn_act_parse_i,
      "leaky-relu", DN_ACT_LEAKY_RELU },
    { "loss", DN_LOSS_COUNT, dn_loss_name_i, dn_loss_parse_i,
      "categorical_crossentropy", DN_LOSS_CE },
    { "task", 3, dn_task_name_i, dn_task_parse_i,
      "classification", DN_TASK_MULTICLASS },
    { "initialization", DN_INIT_COUNT, dn_init_name_i, dn_init_parse_i,
      "kaiming_normal", DN_INIT_HE_NORMAL },
    { "optimizer", DN_OPT_COUNT, dn_opt_name_i, dn_opt_parse_i,
      "nag", DN_OPT_NESTEROV },
    { "schedule", DN_SCHED_COUNT, dn_sched_name_i, dn_sched_parse_i,
      "reduce-on-plateau", DN_SCHED_PLATEAU },
    { "solver", DN_SOLVER_COUNT, dn_solver_name_i, dn_solver_parse_i,
      "levenberg-marquardt", DN_SOLVER_LM },
    { "conjugate-gradient beta", 2, dn_cg_beta_name_i, dn_cg_beta_parse_i,
      "fletcher-reeves", DN_CG_FR },
};

static void upper(char *dst, const char *s, size_t len)
{
    size_t i = 0;
    for (; s[i] && i + 1 < len; i++) dst[i] = (char)toupper((unsigned char)s[i]);
    dst[i] = 0;
}

static void test_kind(const kind *k)
{
    int back = 0, distinct = 1;
    for (int v = 0; v < k->n; v++) {
        const char *s = k->name(v);
        char up[64];
        int got = -1, got_up = -1;
        upper(up, s, sizeof up);
        if (k->parse(s, &got, NULL) == DN_OK && got == v &&
            k->parse(up, &got_up, NULL) == DN_OK && got_up == v)
            back++;
        else
            CHECK(0, "%s %d: '%s' parses to %d ('%s' to %d)", k->what, v, s,
                  got, up, got_up);
        for (int w = 0; w < v; w++)
            distinct &= strcmp(s, k->name(w)) != 0;
    }
    CHECK(back == k->n, "%s: %d of %d names parse back", k->what, back, k->n);
    CHECK(distinct, "%s: two values share a name", k->what);
    CHECK(strcmp(k->name(k->n), "?") == 0 && strcmp(k->name(-1), "?") == 0,
          "%s: out of range is '%s' and '%s'", k->what, k->name(k->n),
          k->name(-1));

    int got = -1;
    CHECK(k->parse(k->alias, &got, NULL) == DN_OK && got == k->alias_value,
          "%s: alias '%s' gives %d, want %d", k->what, k->alias, got,
          k->alias_value);

    /* An unknown word: the kind, the word with its control byte shown as
     * \x01 (dn_show), every choice; *out untouched. */
    dn_error e = { DN_OK, "" };
    got = 12345;
    dn_status st = k->parse("bogus\x01word", &got, &e);
    CHECK(st == DN_EARG && e.code == DN_EARG, "%s: status %d, code %d",
          k->what, st, e.code);
    CHECK(got == 12345, "%s: a failed parse wrote %d", k->what, got);
    char want[96];
    snprintf(want, sizeof want, "unknown %s 'bogus\\x01word'", k->what);
    CHECK(strstr(e.msg, want) != NULL, "'%s' not in '%s'", want, e.msg);
    int listed = 0;
    for (int v = 0; v < k->n; v++) listed += strstr(e.msg, k->name(v)) != NULL;
    CHECK(listed == k->n, "%s: %d of %d choices in '%s'", k->what, listed,
          k->n, e.msg);
    CHECK(k->parse(NULL, &got, &e) == DN_EARG && strstr(e.msg, "''"),
          "%s: NULL is an empty unknown word: '%s'", k->what, e.msg);
    CHECK(k->parse("", &got, NULL) == DN_EARG, "%s: '' parses", k->what);
}

/* A word longer than the message shows is cut to DN_SHOW_MAX (40) bytes
 * and "...". */
static void test_long_word(void)
{
    char w[200];
    memset(w, 'x', sizeof w - 1);
    w[sizeof w - 1] = 0;
    dn_act a;
    dn_error e;
    CHECK(dn_act_parse(w, &a, &e) == DN_EARG, "a long word parsed");
    char cut[80];
    memset(cut, 'x', 40);
    strcpy(cut + 40, "...'");
    CHECK(strstr(e.msg, cut) != NULL, "no 40 x and '...' in '%s'", e.msg);
    memset(cut, 'x', 41);
    cut[41] = 0;
    CHECK(strstr(e.msg, cut) == NULL, "more than 40 bytes shown: '%s'", e.msg);
}

static void test_status_names(void)
{
    static const char *const want[] = { "ok", "invalid argument",
        "i/o error", "format error", "out of memory", "numeric error" };
    for (int s = DN_OK; s <= DN_ENUMERIC; s++)
        CHECK(strcmp(dn_status_name((dn_status)s), want[s]) == 0,
              "status %d is '%s', want '%s'", s, dn_status_name((dn_status)s),
              want[s]);
    CHECK(strcmp(dn_status_name((dn_status)99), "unknown error") == 0,
          "status 99 is '%s'", dn_status_name((dn_status)99));
}

/* Each stop reason a sentence of its own, with its distinguishing word. */
static void test_stop_names(void)
{
    static const struct { dn_stop s; const char *word; } w[] = {
        { DN_STOP_EPOCHS, "epoch limit" }, { DN_STOP_CALLBACK, "callback" },
        { DN_STOP_NONFINITE, "non-finite" }, { DN_STOP_CONVERGED, "tol" },
        { DN_STOP_EARLY, "early stopping" }, { DN_STOP_INTERRUPTED, "interrupted" },
        { DN_STOP_GRADIENT, "gtol" }, { DN_STOP_FTOL, "ftol" },
        { DN_STOP_EVALS, "evaluation limit" }, { DN_STOP_LINESEARCH, "line search" },
        { DN_STOP_MU_MAX, "mu_max" },
    };
    const int n = (int)(sizeof w / sizeof w[0]);
    int distinct = 1;
    for (int i = 0; i < n; i++) {
        const char *s = dn_stop_name(w[i].s);
        CHECK(strstr(s, w[i].word) != NULL, "stop %d: '%s' lacks '%s'",
              (int)w[i].s, s, w[i].word);
        for (int j = 0; j < i; j++) distinct &= strcmp(s, dn_stop_name(w[j].s)) != 0;
    }
    CHECK(distinct, "two stop reasons share a sentence");
    CHECK(strcmp(dn_stop_name((dn_stop)99), "?") == 0, "stop 99 is '%s'",
          dn_stop_name((dn_stop)99));
}

/* dn_fail fills the error when there is one, returns the code either way;
 * dn_strdup copies, and NULL stays NULL. */
static void test_error(void)
{
    dn_error e = { DN_OK, "" };
    CHECK(dn_fail(&e, DN_EIO, "file %s, line %d", "a.csv", 7) == DN_EIO &&
          e.code == DN_EIO && strcmp(e.msg, "file a.csv, line 7") == 0,
          "dn_fail gave code %d, '%s'", e.code, e.msg);
    CHECK(dn_fail(NULL, DN_EFORMAT, "x") == DN_EFORMAT, "no error: wrong code");
    char *c = dn_strdup("words");
    CHECK(c && strcmp(c, "words") == 0, "dn_strdup gave '%s'", c ? c : "NULL");
    free(c);
    CHECK(dn_strdup(NULL) == NULL, "dn_strdup(NULL) is not NULL");
}

int main(void)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        test_kind(&kinds[i]);
    RUN(test_long_word);
    RUN(test_status_names);
    RUN(test_stop_names);
    RUN(test_error);
    return check_done("test_names");
}
