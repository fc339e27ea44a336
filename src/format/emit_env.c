/*
 * emit_env.c - hc__dump_env: a document as a .env file in the dialect
 * parse_env.c reads. Each value is written in the plainest form that reads
 * back as the same JSON value: bare, then '...', then "..." with escapes.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_key(const char *k)
{
    if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_'))
        return 0;
    for (k++; *k; k++) {
        char c = *k;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* Bare only when nothing in it means anything to the parser and it would
 * not come back typed. */
static int can_be_bare(const char *s, size_t n)
{
    json_t *typed;
    int is_string;
    if (n == 0)
        return 1; /* "KEY=" reads back as "" */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c >= 0x80 || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || strchr("_./:@%+,=-", c)))
            return 0;
    }
    typed = hc__scalar_typed(s, n);
    is_string = typed && json_is_string(typed);
    json_decref(typed);
    return is_string;
}

static void put_string(hc__sbuf *out, const char *s, size_t n)
{
    if (can_be_bare(s, n)) {
        hc__sbuf_append(out, s, n);
    } else if (!memchr(s, '\'', n) && !memchr(s, '\n', n) &&
               !memchr(s, '\r', n)) {
        hc__sbuf_putc(out, '\'');
        hc__sbuf_append(out, s, n);
        hc__sbuf_putc(out, '\'');
    } else {
        hc__sbuf_putc(out, '"');
        for (size_t i = 0; i < n; i++) {
            switch (s[i]) {
            case '\\': hc__sbuf_append(out, "\\\\", 2); break;
            case '"': hc__sbuf_append(out, "\\\"", 2); break;
            case '$': hc__sbuf_append(out, "\\$", 2); break;
            case '\n': hc__sbuf_append(out, "\\n", 2); break;
            case '\r': hc__sbuf_append(out, "\\r", 2); break;
            default: hc__sbuf_putc(out, s[i]); break;
            }
        }
        hc__sbuf_putc(out, '"');
    }
}

/*
 * .env holds one object of scalars with names matching
 * [A-Za-z_][A-Za-z0-9_.-]*. Anything else (nested objects, arrays, null, a
 * name .env cannot hold, a string with a NUL byte) is an HC_EFORMAT error
 * naming the key. Numbers and booleans are written bare; strings bare when
 * safe, else quoted, so that hc_parse(HC_FORMAT_ENV) of the output gives
 * back the same document exactly, types included ("8080" as a string is
 * written '8080').
 */
char *hc__dump_env(const json_t *doc, hc_error *err)
{
    hc__sbuf out = {0};
    const char *key;
    json_t *v;
    char num[64];
    int n;

    if (!json_is_object(doc)) {
        hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                      ".env holds an object of names and values, not %s",
                      json_is_array(doc) ? "an array" : "a single value");
        return NULL;
    }
    json_object_foreach((json_t *)doc, key, v)
    {
        if (!is_key(key)) {
            hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                          "'%s' cannot be a .env name (names match "
                          "[A-Za-z_][A-Za-z0-9_.-]*)",
                          key);
            goto fail;
        }
        switch (json_typeof(v)) {
        case JSON_STRING:
            if (memchr(json_string_value(v), '\0', json_string_length(v))) {
                hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                              "the string at '%s' holds a NUL byte, which "
                              ".env cannot hold",
                              key);
                goto fail;
            }
            if (memmem(json_string_value(v), json_string_length(v), HC__BOM,
                       3)) {
                /* the parser takes a BOM only at the start of the file */
                hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                              "the string at '%s' holds U+FEFF (a byte "
                              "order mark), which .env refuses",
                              key);
                goto fail;
            }
            break;
        case JSON_INTEGER:
        case JSON_REAL:
        case JSON_TRUE:
        case JSON_FALSE: break;
        case JSON_NULL:
            hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                          "null at '%s' cannot be expressed in .env (no null "
                          "value)",
                          key);
            goto fail;
        case JSON_ARRAY:
        case JSON_OBJECT:
        default:
            hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                          "the %s at '%s' cannot be expressed in .env (only "
                          "top-level values)",
                          json_is_array(v) ? "array" : "object", key);
            goto fail;
        }
        hc__sbuf_puts(&out, key);
        hc__sbuf_putc(&out, '=');
        switch (json_typeof(v)) {
        case JSON_STRING:
            put_string(&out, json_string_value(v), json_string_length(v));
            break;
        case JSON_INTEGER:
            n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
            hc__sbuf_append(&out, num, (size_t)n);
            break;
        case JSON_REAL:
            n = hc__real_text(json_real_value(v), num, sizeof num);
            if (n < 0) {
                hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                              "the number at '%s' is not finite", key);
                goto fail;
            }
            hc__sbuf_append(&out, num, (size_t)n);
            break;
        case JSON_TRUE: hc__sbuf_puts(&out, "true"); break;
        default: hc__sbuf_puts(&out, "false"); break;
        }
        hc__sbuf_putc(&out, '\n');
    }
    return hc__sbuf_result(&out, err);
fail:
    hc__sbuf_free(&out);
    return NULL;
}
