/*
 * path.c - path expressions (service.port, servers[2].host,
 * labels["app.kubernetes.io/name"]) and the typed getters built on them.
 * Lookups walk the document without allocating, so a reader's get on the
 * hot path costs a few string compares per segment.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes a bracketed JSON string key starting at p (on the quote) into
 * key (bounded by cap). Returns the position after the closing quote or
 * NULL when malformed. */
static const char *read_quoted(const char *p, char *key, size_t cap,
                               size_t *klen)
{
    size_t n = 0;
    p++; /* opening quote */
    while (*p && *p != '"') {
        char c = *p++;
        if (c == '\\') {
            c = *p++;
            switch (c) {
            case '"':
            case '\\':
            case '/': break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                char hex[5] = {0};
                unsigned cp;
                for (int i = 0; i < 4; i++) {
                    if (!p[i])
                        return NULL;
                    hex[i] = p[i];
                }
                cp = (unsigned)strtoul(hex, NULL, 16);
                p += 4;
                if (cp >= 0x80)
                    return NULL; /* non-ASCII is written as raw UTF-8 */
                c = (char)cp;
                break;
            }
            default: return NULL;
            }
        }
        if (n + 1 >= cap)
            return NULL;
        key[n++] = c;
    }
    if (*p != '"')
        return NULL;
    key[n] = '\0';
    *klen = n;
    return p + 1;
}

static int parse_index(const char *s, size_t len, size_t *out)
{
    size_t v = 0;
    if (len == 0 || len > 18)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* One object step; on arrays a plain all-digits key works as an index. */
static json_t *step_key(json_t *cur, const char *key, size_t klen)
{
    if (json_is_object(cur))
        return json_object_getn(cur, key, klen);
    if (json_is_array(cur)) {
        size_t idx;
        if (parse_index(key, klen, &idx) == 0)
            return json_array_get(cur, idx);
    }
    return NULL;
}

/*
 * Reads the segment of path starting at *pp into key (cap bytes, which
 * must be more than strlen(path)): sets *klen, *is_index (a bracketed
 * [N], its value in *idx) and advances *pp. Returns 0, or HC_EPATH when
 * the path is malformed there. Shared by lookups and hc__path_pointer so
 * that both read one syntax.
 */
static int next_segment(const char *path, const char **pp, char *key,
                        size_t cap, size_t *klen, int *is_index, size_t *idx)
{
    const char *p = *pp;
    *is_index = 0;
    if (*p == '[') {
        p++;
        if (*p == '"') {
            p = read_quoted(p, key, cap, klen);
            if (!p || *p != ']')
                return HC_EPATH;
            *pp = p + 1;
            return 0;
        }
        const char *end = strchr(p, ']');
        if (!end || parse_index(p, (size_t)(end - p), idx) != 0)
            return HC_EPATH;
        *is_index = 1;
        *klen = 0;
        *pp = end + 1;
        return 0;
    }
    size_t n = 0;
    if (*p == '.') {
        if (p == path)
            return HC_EPATH;
        p++;
        if (*p == '[') { /* a.["x.y"] is accepted like a["x.y"] */
            *pp = p;
            return next_segment(path, pp, key, cap, klen, is_index, idx);
        }
    }
    while (*p && *p != '.' && *p != '[') {
        if (*p == '\\' && p[1]) /* a\.b: a key holding a dot */
            p++;
        key[n++] = *p++;
    }
    if (n == 0)
        return HC_EPATH;
    key[n] = '\0';
    *klen = n;
    *pp = p;
    return 0;
}

int hc_lookup(const json_t *doc, const char *path, json_t **out)
{
    json_t *cur = (json_t *)doc;
    const char *p = path;
    char small[256];
    char *key = small;
    size_t cap = sizeof small;
    int rc = 0;

    if (out)
        *out = NULL;
    if (!doc || !path)
        return HC_EINVAL;
    if (strlen(path) >= cap) {
        cap = strlen(path) + 1;
        key = malloc(cap);
        if (!key)
            return HC_ENOMEM;
    }
    while (*p) {
        size_t klen, idx;
        int is_index;
        rc = next_segment(path, &p, key, cap, &klen, &is_index, &idx);
        if (rc != 0)
            goto done;
        if (is_index)
            cur = json_is_array(cur) ? json_array_get(cur, idx) : NULL;
        else
            cur = step_key(cur, key, klen);
        /* a missing step leaves cur NULL; the rest is still parsed so a
         * malformed path is always HC_EPATH, whatever the document */
    }
    if (!cur)
        rc = HC_ENOTFOUND;
    else if (out)
        *out = cur;
done:
    if (key != small)
        free(key);
    return rc;
}

int hc__path_segments(const char *path, hc__path_seg_cb cb, void *data)
{
    const char *p = path;
    size_t cap = strlen(path) + 1;
    char *key = malloc(cap);
    int rc = 0;
    if (!key)
        return HC_ENOMEM;
    while (*p && rc == 0) {
        size_t klen, idx;
        int is_index;
        rc = next_segment(path, &p, key, cap, &klen, &is_index, &idx);
        if (rc == 0)
            rc = cb(data, is_index ? NULL : key, klen, idx);
    }
    free(key);
    return rc;
}

json_t *hc_get(const json_t *doc, const char *path)
{
    json_t *v = NULL;
    if (hc_lookup(doc, path, &v) != 0)
        return NULL;
    return v;
}

static json_t *typed_lookup(const json_t *doc, const char *path, int *status)
{
    json_t *v = NULL;
    int rc = hc_lookup(doc, path, &v);
    if (rc == HC_EINVAL)
        rc = HC_ENOTFOUND;
    if (status)
        *status = rc;
    return rc == 0 ? v : NULL;
}

json_int_t hc_get_int(const json_t *doc, const char *path, json_int_t def,
                      int *status)
{
    json_t *v = typed_lookup(doc, path, status);
    if (!v)
        return def;
    if (!json_is_integer(v)) {
        if (status)
            *status = HC_ETYPE;
        return def;
    }
    return json_integer_value(v);
}

double hc_get_double(const json_t *doc, const char *path, double def,
                     int *status)
{
    json_t *v = typed_lookup(doc, path, status);
    if (!v)
        return def;
    if (!json_is_number(v)) {
        if (status)
            *status = HC_ETYPE;
        return def;
    }
    return json_number_value(v);
}

int hc_get_bool(const json_t *doc, const char *path, int def, int *status)
{
    json_t *v = typed_lookup(doc, path, status);
    if (!v)
        return def;
    if (!json_is_boolean(v)) {
        if (status)
            *status = HC_ETYPE;
        return def;
    }
    return json_is_true(v);
}

const char *hc_get_string(const json_t *doc, const char *path, const char *def,
                          int *status)
{
    json_t *v = typed_lookup(doc, path, status);
    if (!v)
        return def;
    if (!json_is_string(v)) {
        if (status)
            *status = HC_ETYPE;
        return def;
    }
    return json_string_value(v);
}

/* ---- building paths ---------------------------------------------------- */

static int needs_quoting(const char *key)
{
    if (!*key)
        return 1;
    for (const char *p = key; *p; p++)
        if (*p == '.' || *p == '[' || *p == ']' || *p == '"' || *p == '\\' ||
            (unsigned char)*p < 0x20)
            return 1;
    return 0;
}

int hc_path_append_key(char *buf, size_t size, size_t len, const char *key)
{
    size_t o = len;
#define PUT(c)                                                                 \
    do {                                                                       \
        if (o + 1 >= size)                                                     \
            return -1;                                                         \
        buf[o++] = (c);                                                        \
    } while (0)
    if (!buf || !key)
        return -1;
    if (!needs_quoting(key)) {
        if (len > 0)
            PUT('.');
        for (const char *p = key; *p; p++)
            PUT(*p);
    } else {
        PUT('[');
        PUT('"');
        for (const char *p = key; *p; p++) {
            unsigned char c = (unsigned char)*p;
            if (c == '"' || c == '\\') {
                PUT('\\');
                PUT((char)c);
            } else if (c < 0x20) {
                char esc[8];
                snprintf(esc, sizeof esc, "\\u%04x", c);
                for (char *e = esc; *e; e++)
                    PUT(*e);
            } else {
                PUT((char)c);
            }
        }
        PUT('"');
        PUT(']');
    }
#undef PUT
    buf[o] = '\0';
    return (int)o;
}

int hc_path_append_index(char *buf, size_t size, size_t len, size_t index)
{
    int n;
    if (!buf || len >= size)
        return -1;
    n = snprintf(buf + len, size - len, "[%zu]", index);
    if (n < 0 || (size_t)n >= size - len)
        return -1;
    return (int)(len + (size_t)n);
}
