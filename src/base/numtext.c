/* numtext.c — numbers as text in the C locale, whatever the host's.
 *
 * descent runs inside other people's programs, and many of them call
 * setlocale(LC_ALL, ""): under de_DE or fr_FR the printf family writes
 * "0,5" and strtod stops at the '.' of "0.5".  A history CSV, an SVG, a
 * model's JSON header must not depend on that, so every number descent
 * writes goes through the writers here and every number it reads through
 * dn_parse_double.
 *
 * The writers run the ordinary printf for this one call in POSIX's "C"
 * locale object (uselocale), which is per thread: the bytes are exactly
 * what the C locale gives, and neither other threads nor the host's own
 * locale see the switch.  Replacing the locale's decimal point after the
 * fact would need localeconv(), which is not thread-safe. */
#include "base/base.h"
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t c_locale;
static pthread_once_t c_once = PTHREAD_ONCE_INIT;

/* Made once and kept: glibc and musl hand out a static "C" object, other
 * libcs a small allocation that lives as long as the process. */
static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Puts this thread in the C locale and returns the locale to restore,
 * or (locale_t)0 if there is no C locale object (newlocale out of
 * memory), in which case nothing changed. */
static locale_t enter_c(void)
{
    pthread_once(&c_once, make_c_locale);
    return c_locale ? uselocale(c_locale) : (locale_t)0;
}

int dn_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
    locale_t old = enter_c();
    if (!old) {
        if (len) buf[0] = '\0';
        return -1;
    }
    int n = vsnprintf(buf, len, fmt, ap);
    uselocale(old);
    return n;
}

int dn_snprintf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = dn_vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n;
}

int dn_fprintf(FILE *f, const char *fmt, ...)
{
    locale_t old = enter_c();
    if (!old) return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    uselocale(old);
    return n;
}

/* ---- reading ---- */

static int digit(char c) { return c >= '0' && c <= '9'; }

/* The correctly rounded value of s[0..n), a checked decimal number, by
 * strtod in the C locale; it needs a NUL-terminated copy because s may
 * end where a buffer does (a JSON header).  -1 if out of memory. */
static int convert(const char *s, size_t n, double *out)
{
    char small[128], *b = n < sizeof small ? small : malloc(n + 1);
    if (!b) return -1;
    memcpy(b, s, n);
    b[n] = '\0';
    locale_t old = enter_c();
    if (old) {
        *out = strtod(b, NULL);
        uselocale(old);
    }
    if (b != small) free(b);
    return old ? 1 : -1;
}

int dn_parse_double(const char *s, size_t n, double *out)
{
    static const double p10[] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    int neg = i < n && s[i] == '-';
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    /* m: the first 19 significant digits; e: the power of ten they need */
    uint64_t m = 0;
    long e = 0, digits = 0;
    for (; i < n && digit(s[i]); i++, digits++) {
        if (m < 1000000000000000000ULL) m = m * 10 + (uint64_t)(s[i] - '0');
        else e++;
    }
    if (i < n && s[i] == '.')
        for (i++; i < n && digit(s[i]); i++, digits++)
            if (m < 1000000000000000000ULL) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                e--;
            }
    if (!digits) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = i < n && s[i] == '-';
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        if (i == n || !digit(s[i])) return 0;
        long x = 0;
        for (; i < n && digit(s[i]); i++)
            if (x < 100000) x = x * 10 + (s[i] - '0');
        e += eneg ? -x : x;
    }
    if (i != n) return 0;
    /* Clinger's fast path: m and 10^|e| are exact doubles, so one
     * division or product rounds once, as strtod would.  It covers the
     * short numbers that fill data files, without strtod's cost. */
    if (m < (1ULL << 53) && e >= -22 && e <= 22) {
        double v = m == 0 ? 0 : e < 0 ? (double)m / p10[-e] : (double)m * p10[e];
        *out = neg ? -v : v;
        return 1;
    }
    return convert(s, n, out);
}
