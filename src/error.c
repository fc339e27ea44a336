/*
 * error.c - error codes and the hc_error struct.
 * Codes come from one X-macro table (HC_ERRNO_MAP in hotconf.h) so names,
 * numbers and texts cannot drift apart.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char *hc_version(void)
{
    return HC_VERSION_STRING;
}

const char *hc_strerror(int code)
{
    switch (code) {
    case HC_OK: return "success";
#define HC__ERRNO_TEXT(name, value, text)                                      \
    case HC_##name: return text;
        HC_ERRNO_MAP(HC__ERRNO_TEXT)
#undef HC__ERRNO_TEXT
    default: return "unknown error";
    }
}

const char *hc_err_name(int code)
{
    switch (code) {
    case HC_OK: return "HC_OK";
#define HC__ERRNO_NAME(name, value, text)                                      \
    case HC_##name: return "HC_" #name;
        HC_ERRNO_MAP(HC__ERRNO_NAME)
#undef HC__ERRNO_NAME
    default: return "HC_UNKNOWN";
    }
}

void hc_error_init(hc_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

/* Keeps the tail of a long source: the file name matters more than the
 * leading directories (jansson does the same). */
static void set_source(hc_error *err, const char *source)
{
    size_t n;
    if (!source)
        source = "<string>";
    n = strlen(source);
    if (n < sizeof err->source) {
        memcpy(err->source, source, n + 1);
    } else {
        size_t keep = sizeof err->source - 4;
        memcpy(err->source, "...", 3);
        memcpy(err->source + 3, source + n - keep, keep + 1);
    }
}

static void error_vset(hc_error *err, int code, const char *source, int line,
                       int column, size_t position, const char *fmt, va_list ap)
    HC__PRINTF(7, 0);

static void error_vset(hc_error *err, int code, const char *source, int line,
                       int column, size_t position, const char *fmt, va_list ap)
{
    if (!err || err->code != 0)
        return;
    err->code = code;
    err->line = line;
    err->column = column;
    err->position = position;
    set_source(err, source);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
}

void hc__error_set(hc_error *err, int code, const char *source, int line,
                   int column, size_t position, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, source, line, column, position, fmt, ap);
    va_end(ap);
}

void hc__line_col(const char *buf, size_t len, size_t offset, int *line,
                  int *column)
{
    int l = 1;
    size_t line_start = 0;
    if (offset > len)
        offset = len;
    /* a leading UTF-8 BOM is not a character anyone sees: columns on the
     * first line count from after it */
    if (offset >= 3)
        line_start = hc__bom_len(buf, len);
    for (size_t i = 0; i < offset; i++) {
        if (buf[i] == '\n') {
            l++;
            line_start = i + 1;
        } else if (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n')) {
            l++; /* a lone CR ends a line too */
            line_start = i + 1;
        }
    }
    *line = l;
    *column = (int)(offset - line_start) + 1;
}

void hc__error_vat(hc_error *err, int code, const char *source, const char *buf,
                   size_t len, size_t offset, const char *fmt, va_list ap)
{
    int line = 0, column = 0;
    if (!err || err->code != 0)
        return;
    if (buf)
        hc__line_col(buf, len, offset, &line, &column);
    error_vset(err, code, source, line, column, offset, fmt, ap);
}

void hc__error_at(hc_error *err, int code, const char *source, const char *buf,
                  size_t len, size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hc__error_vat(err, code, source, buf, len, offset, fmt, ap);
    va_end(ap);
}

char *hc_error_format(const hc_error *err, char *buf, size_t size)
{
    if (!buf || size == 0)
        return buf;
    if (!err) {
        buf[0] = '\0';
        return buf;
    }
    if (err->line > 0 && err->column > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->source, err->line, err->column,
                 err->text);
    else if (err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->source, err->line, err->text);
    else
        snprintf(buf, size, "%s: %s", err->source, err->text);
    return buf;
}
