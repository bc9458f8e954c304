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
    { .name = "a" }, { .name = "b", .n_cats = 3, .cats = with_cats_b }, { .name = "c" }
};

static char *with_cats_kind[] = { "flat", "house" };
static dn_column with_cols_b[] = {
    { .name = "kind", .n_cats = 2, .cats = with_cats_kind }, { .name = "x" }
};

static char *with_cls_c[] = { "no", "yes" };
static dn_column with_cols_c[] = { { .name = "p" }, { .name = "q" } };

static const dn_schema with_schemas[3] = {
    { .n_cols = 3, .col = with_cols_a, .n_in = 5, .target = "label", .task = DN_TASK_MULTICLASS, .n_classes = 3, .classes = with_cls_a },
    { .n_cols = 2, .col = with_cols_b, .n_in = 3, .target = "price", .task = DN_TASK_REGRESSION },
    { .n_cols = 2, .col = with_cols_c, .n_in = 2, .target = "t", .task = DN_TASK_BINARY, .n_classes = 2, .classes = with_cls_c },
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
