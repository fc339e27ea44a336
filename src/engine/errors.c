/*
 * errors.c - the engine's API errors (the per-call hc_error of the
 * hc_noun_verb names, the engine-wide last error of the old ones) and its
 * log callback.
 */
#include "engine_internal.h"

#include <stdarg.h>
#include <stdio.h>

/* ====================================================================== */
/* Errors and logging                                                      */
/* ====================================================================== */

static int vfail(hc_engine *e, int code, const char *fmt, va_list ap)
    HC__PRINTF(3, 0);

/* The hc_error of the hc_noun_verb call running on this thread (api.c),
 * NULL for the old names: each failing call fills its caller's error, so
 * threads never see each other's. */
static _Thread_local hc_error *call_error;

hc_error *hc__call_error_swap(hc_error *err)
{
    hc_error *old = call_error;
    call_error = err;
    return old;
}

/* Under e->lock: the shared last error and this call's. */
void hc__set_error_locked(hc_engine *e, const hc_error *err)
{
    e->last_error = *err;
    if (call_error && call_error->code == 0)
        *call_error = *err;
}

static int vfail(hc_engine *e, int code, const char *fmt, va_list ap)
{
    hc_error err;
    hc_error_init(&err);
    err.code = code;
    snprintf(err.source, sizeof err.source, "hotconf");
    vsnprintf(err.text, sizeof err.text, fmt, ap);
    hc__set_error_locked(e, &err);
    return code;
}

/* Caller does not hold e->lock. */
int hc__engine_fail(hc_engine *e, int code, const char *fmt, ...)
{
    va_list ap;
    if (!e)
        return code;
    pthread_mutex_lock(&e->lock);
    va_start(ap, fmt);
    vfail(e, code, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&e->lock);
    return code;
}

int hc__fail_locked(hc_engine *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, fmt, ap);
    va_end(ap);
    return code;
}

int hc_engine_last_error(hc_engine *e, hc_error *out)
{
    int code;
    if (!e)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    code = e->last_error.code;
    if (out)
        *out = e->last_error;
    pthread_mutex_unlock(&e->lock);
    return code;
}

void hc__log(hc_engine *e, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!e->opts.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->opts.log(level, msg, e->opts.log_data);
}
