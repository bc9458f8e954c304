/* fn_expr.c — C(w) from text (see fn_expr.h): a recursive-descent parser
 * into a node array, and an evaluator that carries (value, derivative)
 * pairs through the tree, the chain rule applied node by node. */
#include "fn_expr.h"
#include "descent.h"
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { NUM, VAR, ADD, SUB, MUL, DIV, POW, NEG, FN_FIRST };

/* The functions, in the order of their op codes after FN_FIRST. */
static const char *fn_names[] = {
    "sin", "cos", "tan", "exp", "log", "ln", "sqrt", "abs", "tanh",
    "sigmoid"
};
#define N_FNS ((int)(sizeof fn_names / sizeof *fn_names))

typedef struct {
    const char *s, *p;   /* the text, the next character */
    fn_expr *e;
    char *msg;
    size_t len;
    int failed;
} parser;

static int col(const parser *P, const char *at) { return (int)(at - P->s) + 1; }

/* The first error wins: later ones are its consequences. */
static int fail(parser *P, const char *at, const char *fmt, ...)
{
    if (P->failed) return -1;
    P->failed = 1;
    int n = snprintf(P->msg, P->len, "column %d: ", col(P, at));
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < P->len)
        vsnprintf(P->msg + n, P->len - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip(parser *P)
{
    while (*P->p == ' ' || *P->p == '\t') P->p++;
}

static int node(parser *P, int op, int a, int b, double num)
{
    if (P->failed) return -1;
    if (P->e->n == FN_MAX_NODES)
        return fail(P, P->p, "the expression is too long (at most %d "
                    "numbers, operators and functions)", FN_MAX_NODES);
    fn_node *q = &P->e->node[P->e->n];
    q->op = (unsigned char)op;
    q->a = a;
    q->b = b;
    q->num = num;
    return P->e->n++;
}

/* What stands at p, for messages: "end of the expression" or 'x'. */
static const char *what(const char *p, char *buf, size_t n)
{
    if (!*p) return "the end of the expression";
    snprintf(buf, n, "'%c'", *p);
    return buf;
}

static int expr(parser *P);
static int unary(parser *P);

/* Can a factor start here (for implicit multiplication: 2w, 3(w+1))? */
static int starts_factor(const parser *P)
{
    return *P->p == '(' || isalpha((unsigned char)*P->p);
}

/* The expression inside parentheses, P->p just past the '(' at `open`,
 * up to and past its ')'. */
static int parenthesized(parser *P, const char *open)
{
    char buf[8];
    int a = expr(P);
    skip(P);
    if (*P->p != ')')
        return fail(P, P->p, "expected ')' to close the '(' at column %d, "
                    "found %s", col(P, open), what(P->p, buf, sizeof buf));
    P->p++;
    return a;
}

static int primary(parser *P)
{
    skip(P);
    const char *at = P->p;
    char buf[8];
    if (isdigit((unsigned char)*at) || (*at == '.' &&
                                        isdigit((unsigned char)at[1]))) {
        size_t n = strspn(at, "0123456789.");
        /* an exponent: 1e-3, 2.5E+4 */
        if ((at[n] == 'e' || at[n] == 'E') &&
            (isdigit((unsigned char)at[n + 1]) ||
             ((at[n + 1] == '-' || at[n + 1] == '+') &&
              isdigit((unsigned char)at[n + 2]))))
            n += 2 + strspn(at + n + 2, "0123456789");
        double v;
        if (dn_parse_double(at, n, &v) != 1)
            return fail(P, at, "'%.*s' is not a number", (int)n, at);
        if (!isfinite(v))
            return fail(P, at, "%.*s is beyond the largest double (about "
                        "1.8e308)", (int)n, at);
        P->p += n;
        return node(P, NUM, -1, -1, v);
    }
    if (isalpha((unsigned char)*at)) {
        size_t n = 0;
        while (isalnum((unsigned char)at[n]) || at[n] == '_') n++;
        P->p += n;
        if (n == 1 && *at == 'w') return node(P, VAR, -1, -1, 0);
        if (n == 2 && !strncmp(at, "pi", 2))
            return node(P, NUM, -1, -1, 3.14159265358979323846);
        if (n == 1 && *at == 'e') return node(P, NUM, -1, -1, exp(1.0));
        for (int f = 0; f < N_FNS; f++) {
            if (strlen(fn_names[f]) != n || strncmp(at, fn_names[f], n))
                continue;
            skip(P);
            if (*P->p != '(')
                return fail(P, P->p, "%s needs its argument in parentheses, "
                            "as in %s(w)", fn_names[f], fn_names[f]);
            const char *open = P->p++;
            int a = parenthesized(P, open);
            return node(P, FN_FIRST + f, a, -1, 0);
        }
        return fail(P, at, "unknown name '%.*s': the variable is w; "
                    "constants pi, e; functions sin cos tan exp log ln sqrt "
                    "abs tanh sigmoid", (int)n, at);
    }
    if (*at == '(') {
        P->p++;
        return parenthesized(P, at);
    }
    return fail(P, at, "expected a number, w, a function or '(', found %s",
                what(at, buf, sizeof buf));
}

static int power(parser *P)
{
    int a = primary(P);
    skip(P);
    if (*P->p != '^') return a;
    P->p++;
    int b = unary(P);   /* right-grouping, and 2^-1 is allowed */
    return node(P, POW, a, b, 0);
}

static int unary(parser *P)
{
    skip(P);
    if (*P->p == '-' || *P->p == '+') {
        int neg = *P->p == '-';
        P->p++;
        int a = unary(P);
        return neg ? node(P, NEG, a, -1, 0) : a;
    }
    return power(P);
}

static int term(parser *P)
{
    int a = unary(P);
    for (;;) {
        skip(P);
        int op;
        if (*P->p == '*') op = MUL, P->p++;
        else if (*P->p == '/') op = DIV, P->p++;
        else if (starts_factor(P)) op = MUL;   /* 2w, (w-1)(w+1) */
        else return a;
        int b = unary(P);
        a = node(P, op, a, b, 0);
        if (P->failed) return -1;
    }
}

static int expr(parser *P)
{
    int a = term(P);
    for (;;) {
        skip(P);
        if (*P->p != '+' && *P->p != '-') return a;
        int op = *P->p++ == '+' ? ADD : SUB;
        int b = term(P);
        a = node(P, op, a, b, 0);
        if (P->failed) return -1;
    }
}

int fn_parse(const char *text, fn_expr *e, char *msg, size_t len)
{
    parser P = { text, text, e, msg, len, 0 };
    e->n = 0;
    skip(&P);
    if (!*P.p) {
        snprintf(msg, len, "the expression is empty; write a function of "
                 "w, e.g. \"(w-3)^2\"");
        return -1;
    }
    e->root = expr(&P);
    skip(&P);
    if (!P.failed && *P.p) {
        char buf[8];
        fail(&P, P.p, *P.p == ')' ? "a ')' without its '('"
                      : "expected an operator (+ - * / ^), found %s",
             what(P.p, buf, sizeof buf));
    }
    return P.failed ? -1 : 0;
}

/* (value, derivative) of node i at w. */
static void eval(const fn_expr *e, int i, double w, double *v, double *d)
{
    const fn_node *q = &e->node[i];
    double x = 0, dx = 0, y = 0, dy = 0;
    if (q->a >= 0) eval(e, q->a, w, &x, &dx);
    if (q->b >= 0) eval(e, q->b, w, &y, &dy);
    switch (q->op) {
    case NUM: *v = q->num; *d = 0; return;
    case VAR: *v = w; *d = 1; return;
    case ADD: *v = x + y; *d = dx + dy; return;
    case SUB: *v = x - y; *d = dx - dy; return;
    case MUL: *v = x * y; *d = dx * y + x * dy; return;
    case DIV: *v = x / y; *d = (dx * y - x * dy) / (y * y); return;
    case NEG: *v = -x; *d = -dx; return;
    case POW:
        *v = pow(x, y);
        /* A constant exponent: d(x^c) = c x^(c−1) dx, which also holds
         * for x ≤ 0 (where the general form's log x does not). */
        if (dy == 0) *d = dx == 0 ? 0 : y * pow(x, y - 1) * dx;
        else *d = *v * (dy * log(x) + (dx == 0 ? 0 : y * dx / x));
        return;
    default: break;
    }
    switch (q->op - FN_FIRST) {
    case 0: *v = sin(x); *d = cos(x) * dx; return;
    case 1: *v = cos(x); *d = -sin(x) * dx; return;
    case 2: *v = tan(x); *d = dx / (cos(x) * cos(x)); return;
    case 3: *v = exp(x); *d = *v * dx; return;
    case 4:
    case 5: *v = log(x); *d = dx / x; return;
    case 6: *v = sqrt(x); *d = dx / (2 * *v); return;
    case 7: *v = fabs(x); *d = x > 0 ? dx : x < 0 ? -dx : 0; return;
    case 8: *v = tanh(x); *d = (1 - *v * *v) * dx; return;
    default: *v = 1 / (1 + exp(-x)); *d = *v * (1 - *v) * dx; return;
    }
}

void fn_eval(const fn_expr *e, double w, double *c, double *dc)
{
    eval(e, e->root, w, c, dc);
}
