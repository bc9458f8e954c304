/* fuzz_csv_with.c — dn_csv_read_with on any bytes against a fixed
 * schema, as `descent eval` and `descent predict` read new rows for a
 * trained model.  The input's length picks one of three schemas
 * (multiclass with integer class names, regression with a text column,
 * binary with text classes) and whether the target is required.
 *
 * A success must give rows the schema describes (fuzz_check_data) with
 * targets when they were required; a failure must be a clean format
 * error naming the file. */
#include "fuzz.h"

static char *with_cats_b[] = { "x", "y", "z" };
static char *with_cls_a[] = { "1", "2", "10" };
static dn_column with_cols_a[] = {
    { "a", 0, NULL, 0, 0, 0 }, { "b", 3, with_cats_b, 0, 0, 0 }, { "c", 0, NULL, 0, 0, 0 }
};

static char *with_cats_kind[] = { "flat", "house" };
static dn_column with_cols_b[] = {
    { "kind", 2, with_cats_kind, 0, 0, 0 }, { "x", 0, NULL, 0, 0, 0 }
};

static char *with_cls_c[] = { "no", "yes" };
static dn_column with_cols_c[] = { { "p", 0, NULL, 0, 0, 0 }, { "q", 0, NULL, 0, 0, 0 } };

static const dn_schema with_schemas[3] = {
    { 3, with_cols_a, 5, 0, 0, "label", DN_TASK_MULTICLASS, 3, with_cls_a },
    { 2, with_cols_b, 3, 0, 0, "price", DN_TASK_REGRESSION, 0, NULL },
    { 2, with_cols_c, 2, 0, 0, "t", DN_TASK_BINARY, 2, with_cls_c },
};

FUZZ_ENTRY(csv_with)(const uint8_t *data, size_t size)
{
    static const dn_status fails[] = { DN_EFORMAT };
    const dn_schema *s = &with_schemas[size % 3];
    int need_target = (int)(size / 3 % 2);
    const char *path = fuzz_write("rows.csv", data, size);
    dn_data *d = (dn_data *)1;
    dn_error e;
    memset(&e, 0, sizeof e);
    dn_status st = dn_csv_read_with(path, s, need_target, &d, &e);
    fuzz_loaded_ = st == DN_OK;
    if (st) {
        fuzz_check_failure(st, &e, d, path, 1, fails);
        return 0;
    }
    fuzz_check_data(d, 1);
    FUZZ_CHECK(d->d == s->n_in && d->schema->n_in == s->n_in &&
               d->schema->n_cols == s->n_cols &&
               d->schema->task == s->task &&
               d->schema->n_classes == s->n_classes,
               "the data's schema is not the one given");
    if (need_target)
        FUZZ_CHECK(d->Y != NULL && d->k == 1, "targets required, k %d", d->k);
    dn_data_free(d);
    return 0;
}
