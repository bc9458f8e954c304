/* fuzz_json.c — the strict JSON reader behind model files
 * (src/json.h), on its own: much faster than through dn_model_load, so
 * the fuzzer reaches deep into strings, escapes and numbers.
 *
 * A success must give a well-formed node tree: node[0] spans the whole
 * array, every container's children chain through `next` to its end in
 * exactly n steps, object members have keys and array items none, and
 * every string is valid UTF-8 without a NUL.  A failure must say where
 * ("at byte N") and free everything. */
#include "fuzz.h"
#include "formats/json.h"

static void json_check_tree(const dn_json *j)
{
    FUZZ_CHECK(j->n_nodes >= 1 && j->node[0].next == j->n_nodes,
               "root spans %d of %d nodes", j->node[0].next, j->n_nodes);
    FUZZ_CHECK(j->node[0].key == NULL, "the root has a key");
    for (int i = 0; i < j->n_nodes; i++) {
        const dn_json_node *d = &j->node[i];
        FUZZ_CHECK(d->next > i && d->next <= j->n_nodes, "node %d: next %d",
                   i, d->next);
        if (d->type == DN_JSON_STRING)
            FUZZ_CHECK(d->str && strlen(d->str) == d->len &&
                       dn_utf8_valid(d->str, d->len),
                       "node %d: string of %zu bytes", i, d->len);
        if (d->key)
            FUZZ_CHECK(dn_utf8_valid(d->key, strlen(d->key)),
                       "node %d: key not UTF-8", i);
        if (d->type == DN_JSON_NUMBER)
            FUZZ_CHECK(isfinite(d->num) &&
                       (!d->is_int || d->num == (double)d->i),
                       "node %d: number %g", i, d->num);
        if (d->type != DN_JSON_ARRAY && d->type != DN_JSON_OBJECT) {
            FUZZ_CHECK(d->next == i + 1 && d->n == 0, "node %d: a scalar "
                       "with children", i);
            continue;
        }
        int k = 0, c = i + 1;
        for (; c < d->next && k <= d->n; c = j->node[c].next, k++)
            FUZZ_CHECK((j->node[c].key != NULL) ==
                       (d->type == DN_JSON_OBJECT),
                       "node %d: child %d key", i, c);
        FUZZ_CHECK(k == d->n && c == d->next, "node %d: %d children "
                   "reached, %d declared", i, k, d->n);
    }
}

FUZZ_ENTRY(json)(const uint8_t *data, size_t size)
{
    static const dn_json_limits lim = { 16, 1 << 14, 1 << 20 };
    dn_json j;
    char msg[256];
    msg[0] = 0;
    fuzz_loaded_ = 0;
    if (dn_json_parse((const char *)data, size, &lim, &j, msg,
                      sizeof msg)) {
        FUZZ_CHECK(strstr(msg, " at byte ") != NULL, "message '%s'", msg);
        FUZZ_CHECK(j.node == NULL && j.strs == NULL, "a failure kept "
                   "memory");
        return 0;
    }
    fuzz_loaded_ = 1;
    json_check_tree(&j);
    int ok = dn_json_get(&j, 0, "__metadata__");
    FUZZ_CHECK(ok >= -1 && ok < j.n_nodes, "dn_json_get gave %d", ok);
    dn_json_free(&j);
    return 0;
}
