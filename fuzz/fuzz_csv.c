/* fuzz_csv.c — dn_csv_read on any bytes, as `descent train DATA` reads
 * them: with the default options, then with options chosen by the
 * input's length (a target by number or name, a forced task, a small
 * class limit), so each input always runs the same way.
 *
 * A success must give consistent data (fuzz_check_data), honour a forced
 * task, explain itself in `why`, and read back bit for bit through
 * dn_csv_read_with and its own schema: the file a model was trained on
 * encodes the same way when the model is used. */
#include "fuzz.h"

static void csv_opts_for(size_t size, dn_csv_opts *o)
{
    static const char *const targets[8] = {
        NULL, "1", "-1", NULL, "y", NULL, NULL, "2"
    };
    memset(o, 0, sizeof *o);
    unsigned v = (unsigned)(size % 8);
    o->target = targets[v];
    if (v == 2) o->max_classes = 2;
    if (v == 6) o->max_classes = 1;
    if (v == 3 || v == 4 || v == 5 || v == 7) {
        o->task_set = 1;
        o->task = v == 3 ? DN_TASK_BINARY
                : v == 5 ? DN_TASK_REGRESSION : DN_TASK_MULTICLASS;
    }
}

/* Reads path with options o; 1 if it loaded. */
static int csv_one(const char *path, const dn_csv_opts *o)
{
    static const dn_status fails[] = { DN_EFORMAT, DN_EARG };
    dn_data *d = (dn_data *)1;
    dn_error e;
    char why[512];
    memset(&e, 0, sizeof e);
    dn_status st = dn_csv_read(path, o, &d, why, sizeof why, &e);
    if (st) {
        /* DN_EARG only names a target column the file does not have. */
        fuzz_check_failure(st, &e, d, path, o && o->target ? 2 : 1, fails);
        FUZZ_CHECK(why[0] == 0, "why is set after a failure: %s", why);
        return 0;
    }
    fuzz_check_data(d, 0);
    const dn_schema *s = d->schema;
    FUZZ_CHECK(d->Y != NULL && d->k == 1, "no targets (k %d)", d->k);
    FUZZ_CHECK(s->target != NULL, "no target name");
    FUZZ_CHECK(why[0] != 0, "no explanation of the task");
    if (o && o->task_set)
        FUZZ_CHECK(s->task == o->task, "task %d, forced %d", s->task,
                   o->task);
    dn_data *again = NULL;
    st = dn_csv_read_with(path, s, 1, &again, &e);
    FUZZ_CHECK(st == DN_OK, "the file does not read with its own schema: "
               "%s", e.msg);
    if (!st) {
        FUZZ_CHECK(fuzz_same_data(d, again), "reading with the inferred "
                   "schema encodes the rows differently");
        dn_data_free(again);
    }
    dn_data_free(d);
    return 1;
}

FUZZ_ENTRY(csv)(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("in.csv", data, size);
    dn_csv_opts o;
    fuzz_loaded_ = csv_one(path, NULL);
    csv_opts_for(size, &o);
    csv_one(path, &o);
    return 0;
}
