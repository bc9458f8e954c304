/* fn_expr.h — a cost written as text, C(w) = "(w-3)^2", for `descent
 * trace --fn`: parsed once into a small tree, then evaluated with its
 * exact derivative (forward-mode: every node carries its value and its
 * derivative in w, so C'(w) needs no formula typed in and no finite
 * difference). */
#ifndef CLI_FN_EXPR_H
#define CLI_FN_EXPR_H

#include <stddef.h>

#define FN_MAX_NODES 256

typedef struct {
    unsigned char op;     /* a number, w, + - * / ^, negation, a function */
    int a, b;             /* operands (node indexes), -1 if none */
    double num;           /* the number, for a number */
} fn_node;

typedef struct {
    fn_node node[FN_MAX_NODES];
    int n, root;
} fn_expr;

/* Parses text into e.  Grammar (the usual precedence; ^ binds tighter
 * than unary minus and groups to the right, so -w^2 = -(w^2) and
 * 2^3^2 = 2^9):
 *   expr    = term { (+|-) term }
 *   term    = unary { (*|/) unary }      also 2w, 3(w-1): a number or a
 *                                        ')' followed by w, a name or '('
 *                                        multiplies
 *   unary   = (-|+) unary | power
 *   power   = primary [ ^ unary ]
 *   primary = number | w | pi | e | name ( expr ) | ( expr )
 * Names: sin cos tan exp log (natural; ln too) sqrt abs tanh sigmoid.
 * 0, or -1 with a message naming the column and what was expected in
 * msg (of size len). */
int fn_parse(const char *text, fn_expr *e, char *msg, size_t len);

/* C(w) and C'(w).  Outside a function's domain (log of a negative, 0/0)
 * the values are NaN or infinite, as the C library gives them. */
void fn_eval(const fn_expr *e, double w, double *c, double *dc);

#endif
