/* test_modelfile_json.c — the JSON reader behind the model files:
 * what it refuses (with the message), its edge cases, what it accepts,
 * and the writer's escapes read back. */
#include "check.h"
#include "descent.h"
#include "formats/json.h"
#include <string.h>

/* ------------------------------------------------------------------ */
/* The JSON reader                                                     */
/* ------------------------------------------------------------------ */

static const dn_json_limits LIM = { 8, 1000, 1 << 20 };

static int parses(const char *s)
{
    dn_json j;
    char msg[256];
    int rc = dn_json_parse(s, strlen(s), &LIM, &j, msg, sizeof msg);
    dn_json_free(&j);
    return rc == 0;
}

static void test_json_reject(void)
{
    static const char *bad[] = {
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}",
        "{1:2}", "01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN",
        "Infinity", "tru", "nul", "[1]x", "{} {}", "\"abc", "\"a\\qb\"",
        "\"\\u12\"", "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"",
        "\"\\u0000\"", "\"a\tb\"", "\"\xC0\x80\"", "\"\xED\xA0\x80\"",
        "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"", "\"\xFF\"",
        "{\"a\":1,\"a\":2}", "{\"k\":1,\"b\":2,\"k\":3}",
        "{\"a\":1,\"\\u0061\":2}", "9223372036854775808",
        "-9223372036854775809", "1e999", "-1e400", "[[[[[[[[[1]]]]]]]]]",
        "[1,2,3", "'a'", "[1,,2]", "\xEF\xBB\xBF{}", "/**/1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!parses(bad[i]), "accepted invalid JSON: %s", bad[i]);
    /* A message says what and where. */
    dn_json j;
    char msg[256] = "";
    dn_json_parse("{\"a\":[1,2}", 10, &LIM, &j, msg, sizeof msg);
    CHECK(strstr(msg, "expected ',' or ']'") && strstr(msg, "byte 9"),
          "message: %s", msg);
    dn_json_parse("{\"a\":1,\"a\":2}", 13, &LIM, &j, msg, sizeof msg);
    CHECK(strstr(msg, "duplicate key \"a\""), "message: %s", msg);
    /* Limits: node count and length. */
    dn_json_limits few = { 8, 3, 100 };
    CHECK(dn_json_parse("[1,2,3]", 7, &few, &j, msg, sizeof msg) != 0 &&
          strstr(msg, "more than 3 values"), "message: %s", msg);
    dn_json_limits shortl = { 8, 100, 4 };
    CHECK(dn_json_parse("[1,2]", 5, &shortl, &j, msg, sizeof msg) != 0,
          "text longer than max_len accepted");
    dn_json_limits none = { 0, 100, 100 };
    CHECK(dn_json_parse("[1]", 3, &none, &j, msg, sizeof msg) != 0 &&
          strstr(msg, "invalid limits"), "message: %s", msg);
    CHECK(dn_json_parse("\"ab\\", 4, &LIM, &j, msg, sizeof msg) != 0 &&
          strstr(msg, "unterminated escape"), "message: %s", msg);
    /* A \u escape of three UTF-8 bytes reads as them. */
    CHECK(dn_json_parse("\"\\u20ac\"", 8, &LIM, &j, msg, sizeof msg) == 0 &&
          j.node[0].type == DN_JSON_STRING &&
          !strcmp(j.node[0].str, "\xE2\x82\xAC"), "message: %s", msg);
    dn_json_free(&j);
    /* A deep hostile nesting fails at the bound, not on the C stack. */
    size_t deep = 200000;
    char *s = malloc(deep * 2);
    memset(s, '[', deep);
    memset(s + deep, ']', deep);
    dn_json_limits big = { 64, 1 << 20, 1 << 20 };
    CHECK(dn_json_parse(s, deep * 2, &big, &j, msg, sizeof msg) != 0 &&
          strstr(msg, "deeper than 64"), "message: %s", msg);
    free(s);
}

/* The message of a rejected text of n bytes ("" when it is accepted). */
static const char *reject_msg(const char *s, size_t n)
{
    static char msg[256];
    dn_json j;
    msg[0] = 0;
    if (dn_json_parse(s, n, &LIM, &j, msg, sizeof msg) == 0) {
        dn_json_free(&j);
        msg[0] = 0;
    }
    return msg;
}
#define REJECTS(lit, what) do { \
    const char *m_ = reject_msg(lit, sizeof lit - 1); \
    CHECK(strstr(m_, what) != NULL, "%s: message '%s', want '%s'", #lit, \
          m_, what); \
} while (0)

/* The decoded string of a one-string text, or NULL if it is rejected. */
static int decodes_to(const char *s, const char *want)
{
    dn_json j;
    char msg[256];
    if (dn_json_parse(s, strlen(s), &LIM, &j, msg, sizeof msg) != 0)
        return 0;
    int ok = j.node[0].type == DN_JSON_STRING && !strcmp(j.node[0].str, want);
    dn_json_free(&j);
    return ok;
}

/* Each rule of the reader at its edges: which byte ends which token, each
 * UTF-8 lead byte's range, surrogates, escapes, and where each message
 * points. */
static void test_json_edges(void)
{
    /* UTF-8: the second byte's range after E0 and F0 (no overlongs),
     * continuation bytes, a sequence cut by the end of the text */
    CHECK(decodes_to("\"\xE0\xA0\x80\"", "\xE0\xA0\x80"), "U+0800 read");
    CHECK(decodes_to("\"\xF0\x90\x80\x80\"", "\xF0\x90\x80\x80"),
          "U+10000 read");
    REJECTS("\"\xE0\x80\x80\"", "invalid UTF-8 in a string at byte 1");
    REJECTS("\"\xF0\x80\x80\x80\"", "invalid UTF-8 in a string at byte 1");
    REJECTS("\"\xE2\x82\x41\"", "invalid UTF-8 in a string at byte 1");
    REJECTS("\"a\xE2\x82", "invalid UTF-8 in a string at byte 2");
    REJECTS("\"\xC1\xBF\"", "invalid UTF-8");
    /* \u: upper-case hex, a code point above the surrogates, bad digits,
     * a high surrogate followed by something else */
    CHECK(decodes_to("\"\\u00E9\\uE000\"", "\xC3\xA9\xEE\x80\x80"),
          "\\u00E9\\uE000 read as U+00E9 U+E000");
    REJECTS("\"\\u00G0\"", "\\u must be followed by 4 hex digits at byte 1");
    REJECTS("\"\\uD800\\n\"", "high surrogate \\uD800 without a low");
    REJECTS("\"\\uD800x\"", "high surrogate \\uD800 without a low");
    REJECTS("\"\\uD800", "high surrogate \\uD800 without a low");
    REJECTS("\"\\uD800\\uE000\"", "must be followed by a low surrogate");
    REJECTS("\"\\uDFFF\"", "lone low surrogate \\uDFFF");
    REJECTS("\"\\x\"", "invalid escape '\\x' in a string at byte 1");
    REJECTS("\"\\\x01\"", "invalid escape in a string at byte 1");
    REJECTS("\"\\\0\"", "invalid escape in a string at byte 1");
    /* numbers */
    REJECTS("-a", "a number needs digits after '-' at byte 0");
    REJECTS("[1.e5]", "a number needs digits after '.' at byte 1");
    REJECTS("[1.5e+x]", "a number needs digits in its exponent at byte 1");
    REJECTS("[-01]", "leading zeros at byte 1");
    CHECK(parses("0") && parses("[0,-0.5E-2,1e+2]") && parses("-0"),
          "0, -0.5E-2, 1e+2 and -0 read");
    /* literals, keys, the end of the text inside a container */
    REJECTS("[trux]", "unknown word (only true, false and null are JSON "
            "literals) at byte 1");
    REJECTS("[fals", "unknown word");
    REJECTS("{\"a\"", "expected ':' after an object key at byte 4");
    REJECTS("{\"a\"}", "expected ':' after an object key at byte 4");
    REJECTS("{\"a\":1,", "expected a string key in an object at byte 7");
    REJECTS("{\"a\":1 ", "unexpected end of text inside an object at byte 7");
    REJECTS("[\x01]", "unexpected byte 0x01 where a value was expected");
    /* every kind of white space, between and around values */
    CHECK(parses("\t\r\n [ 1 ,\r\n\t2 ] \r\n\t"), "white space around values");
    REJECTS("[1\f]", "expected ',' or ']' at byte 2");
    /* a duplicate key too long to show whole ends in "..." */
    char dup[200];
    snprintf(dup, sizeof dup, "{\"%070d\":1,\"%070d\":2}", 0, 0);
    const char *m = reject_msg(dup, strlen(dup));
    CHECK(strstr(m, "duplicate key \"0000") && strstr(m, "0\"...") &&
          strstr(m, "at byte 149"), "message: %s", m);
    /* limits: no nodes at all is invalid, as is no depth */
    dn_json j;
    char msg[64];
    dn_json_limits none = { 8, 0, 100 };
    CHECK(dn_json_parse("1", 1, &none, &j, msg, sizeof msg) == -1 &&
          strstr(msg, "invalid limits"), "message: %s", msg);
    /* lookups outside the document or in a non-object find nothing; every
     * type has a name */
    CHECK(dn_json_parse("[{\"a\":1}]", 9, &LIM, &j, msg, sizeof msg) == 0,
          "[{\"a\":1}]: %s", msg);
    CHECK(dn_json_get(&j, 1, "a") == 2 && dn_json_get(&j, 0, "a") == -1 &&
          dn_json_get(&j, -1, "a") == -1 && dn_json_get(&j, 3, "a") == -1,
          "lookups: %d %d", dn_json_get(&j, 1, "a"), dn_json_get(&j, 0, "a"));
    dn_json_free(&j);
    dn_json_free(NULL);
    CHECK(!strcmp(dn_json_type_name(DN_JSON_FALSE), "a boolean") &&
          !strcmp(dn_json_type_name((dn_json_type)99), "?"),
          "type names: %s", dn_json_type_name((dn_json_type)99));
}

static void test_json_accept(void)
{
    const char *t = " {\"a\": [1, -2, 3.5e2, true, false, null, \"x\\n\\u00e9"
                    "\\uD83D\\uDE00\\/\"], \"b\": {}, \"c\": [], \"\": -0,"
                    " \"big\": 9223372036854775807, \"neg\": "
                    "-9223372036854775808, \"f\": 0.1} ";
    dn_json j;
    char msg[256];
    int rc = dn_json_parse(t, strlen(t), &LIM, &j, msg, sizeof msg);
    CHECK(rc == 0, "valid JSON rejected: %s", msg);
    if (rc) return;
    CHECK(j.node[0].type == DN_JSON_OBJECT && j.node[0].n == 7,
          "root has %d members", j.node[0].n);
    int a = dn_json_get(&j, 0, "a");
    CHECK(a >= 0 && j.node[a].type == DN_JSON_ARRAY && j.node[a].n == 7,
          "a has %d items", a >= 0 ? j.node[a].n : -1);
    if (a >= 0) {
        const dn_json_node *e = &j.node[a + 1];
        CHECK(e[0].is_int && e[0].i == 1, "a[0]");
        CHECK(e[1].is_int && e[1].i == -2, "a[1]");
        CHECK(!e[2].is_int && e[2].num == 350.0, "a[2] = %g", e[2].num);
        CHECK(e[3].type == DN_JSON_TRUE && e[4].type == DN_JSON_FALSE &&
              e[5].type == DN_JSON_NULL, "literals");
        CHECK(e[6].type == DN_JSON_STRING &&
              strcmp(e[6].str, "x\n\xC3\xA9\xF0\x9F\x98\x80/") == 0 &&
              e[6].len == 9, "decoded string '%s'", e[6].str);
        CHECK(j.node[a].next == a + 8, "next skips the array");
    }
    int b = dn_json_get(&j, 0, "big"), n = dn_json_get(&j, 0, "neg");
    CHECK(b >= 0 && j.node[b].i == INT64_MAX, "int64 max");
    CHECK(n >= 0 && j.node[n].i == INT64_MIN, "int64 min");
    int f = dn_json_get(&j, 0, "f");
    CHECK(f >= 0 && j.node[f].num == 0.1, "0.1");
    CHECK(dn_json_get(&j, 0, "") >= 0 && dn_json_get(&j, 0, "zz") < 0,
          "lookup");
    dn_json_free(&j);
}

/* Writer output reads back as the same string, and floats as the same
 * bits. */
static void test_json_write(void)
{
    const char *s = "q\"b\\s/\n\t\x01\x1f caf\xC3\xA9 \xF0\x9F\x98\x80";
    dn_jbuf b = { 0 };
    dn_jb_puts(&b, "[");
    dn_jb_str(&b, s);
    dn_rng r;
    dn_rng_seed(&r, 7);
    float v[200];
    for (int i = 0; i < 200; i++) {
        double x = (dn_rng_uniform(&r) - 0.5) * pow(10, (int)(dn_rng_below(&r,
                    60)) - 30);
        v[i] = i == 0 ? 3.4028235e38f : i == 1 ? 1.4e-45f : i == 2
             ? -0.0f : (float)x;
        dn_jb_puts(&b, ",");
        dn_jb_float(&b, v[i]);
    }
    dn_jb_puts(&b, "]");
    dn_json j;
    char msg[256];
    int rc = dn_json_parse(b.p, b.len, &LIM, &j, msg, sizeof msg);
    CHECK(rc == 0, "writer output rejected: %s", msg);
    if (!rc) {
        CHECK(strcmp(j.node[1].str, s) == 0, "string round trip");
        int same = 1;
        for (int i = 0; i < 200; i++) {
            float g = (float)j.node[2 + i].num;
            same &= memcmp(&g, &v[i], 4) == 0;
        }
        CHECK(same, "floats round trip bitwise through %%.9g");
        dn_json_free(&j);
    }
    /* non-finite floats and a NULL string are null; \r and the other
     * control characters are escapes; a printf longer than its 512-byte
     * buffer is cut at 511 bytes, an empty one adds nothing */
    dn_jbuf e = { 0 };
    dn_jb_float(&e, NAN);
    dn_jb_puts(&e, ",");
    dn_jb_float(&e, -INFINITY);
    dn_jb_puts(&e, ",");
    dn_jb_str(&e, NULL);
    dn_jb_puts(&e, ",");
    dn_jb_str(&e, "a\rb\bc\f");
    CHECK(!e.failed && !strcmp(e.p, "null,null,null,\"a\\rb\\u0008c\\u000c\""),
          "wrote %s", e.p);
    size_t before = e.len;
    dn_jb_printf(&e, "%s", "");
    dn_jb_printf(&e, "%0600d", 7);
    CHECK(e.len == before + 511 && e.p[e.len - 1] == '0',
          "printf of 600 bytes added %zu", e.len - before);
    dn_jb_free(&e);
    dn_jbuf bad = { 0 };
    dn_jb_str(&bad, "x\xFFy");
    CHECK(bad.failed == 2, "invalid UTF-8 not flagged");
    dn_jb_free(&bad);
    dn_jb_free(&b);
}

CHECK_MAIN("test_modelfile_json", NULL,
           CHECK_CASE(test_json_reject), CHECK_CASE(test_json_accept),
           CHECK_CASE(test_json_edges), CHECK_CASE(test_json_write))
