/* error.c — errors are values: a status and a message for the caller. */
#include "base/base.h"
#include <stdio.h>

const char *dn_status_name(dn_status s)
{
    switch (s) {
    case DN_OK:       return "ok";
    case DN_EARG:     return "invalid argument";
    case DN_EIO:      return "i/o error";
    case DN_EFORMAT:  return "format error";
    case DN_ENOMEM:   return "out of memory";
    case DN_ENUMERIC: return "numeric error";
    }
    return "unknown error";
}

dn_status dn_fail(dn_error *err, dn_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        dn_vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

dn_status dn_null(dn_error *err, const char *fn, const char *arg)
{
    return dn_fail(err, DN_EARG, "%s: %s is NULL; pass a valid pointer (see "
                   "descent.h)", fn, arg);
}
