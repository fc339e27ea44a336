/*
 * emit_ini.c - hc__dump_ini: a document as INI, in the dialect parse_ini.c
 * reads. Top-level scalars first (INI has no way back to the top level
 * once a section opened), then one "[section]" per object member.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

/* "a.b" (hc_get syntax) for messages; sub may be NULL. */
static const char *path_of(char *buf, size_t size, const char *key,
                           const char *sub)
{
    int n = hc_path_append_key(buf, size, 0, key);
    if (n >= 0 && sub)
        n = hc_path_append_key(buf, size, (size_t)n, sub);
    if (n < 0)
        snprintf(buf, size, "%s", key);
    return buf;
}

/* the INI parser reads a BOM only at the start of the file */
#define BOM_WHY "it holds U+FEFF (a byte order mark), which INI refuses"

/* Why text cannot be a name (a key when !section) or NULL when it can. */
static const char *bad_name(const char *s, size_t n, int section)
{
    if (n == 0)
        return "it is empty";
    if (is_blank(s[0]) || is_blank(s[n - 1]))
        return "it starts or ends with whitespace, which INI trims";
    if (!section && (s[0] == '[' || s[0] == ';' || s[0] == '#'))
        return "it starts with '[', ';' or '#'";
    if (memmem(s, n, HC__BOM, 3))
        return BOM_WHY;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || s[i] == '\r')
            return "it holds a line break";
        if (s[i] == ';' && i > 0 && is_blank(s[i - 1]))
            return "it holds ' ;', which starts an INI comment";
        if (section ? s[i] == ']' : (s[i] == '=' || s[i] == ':'))
            return section ? "it holds ']'" : "it holds '=' or ':'";
    }
    return NULL;
}

/* Why a string value cannot be written so that it reads back as the same
 * text, or NULL. Lines after the first become continuation lines. */
static const char *bad_value(const char *s, size_t n)
{
    size_t start = 0;
    int first = 1;
    if (n == 0)
        return NULL;
    if (memchr(s, '\0', n))
        return "it holds a NUL byte";
    if (memmem(s, n, HC__BOM, 3))
        return BOM_WHY;
    if (s[0] == ';')
        return "it starts with ';', which would read as a comment";
    while (start <= n) {
        const char *nl = memchr(s + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - s) : n;
        size_t len = end - start;
        const char *l = s + start;
        if (memchr(l, '\r', len))
            return "it holds a carriage return";
        if (len == 0 && !first)
            return "it holds an empty line, which INI skips";
        if (len > 0 && (is_blank(l[0]) || is_blank(l[len - 1])))
            return "a line starts or ends with whitespace, which INI trims";
        if (!first && len > 0 && (l[0] == ';' || l[0] == '#'))
            return "a line starts with ';' or '#', which would read as a "
                   "comment";
        for (size_t i = 1; i < len; i++)
            if (l[i] == ';' && is_blank(l[i - 1]))
                return "it holds ' ;', which starts an INI comment";
        first = 0;
        if (!nl)
            break;
        start = end + 1;
    }
    return NULL;
}

static int put_value(hc__sbuf *out, const json_t *v, const char *path,
                     hc_error *err)
{
    char num[64];
    int n;
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        const char *why = bad_value(s, len);
        if (why) {
            hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                          "the string at '%s' cannot be written as INI: %s",
                          path, why);
            return -1;
        }
        for (size_t i = 0; i < len; i++) {
            hc__sbuf_putc(out, s[i]);
            if (s[i] == '\n')
                hc__sbuf_append(out, "  ", 2);
        }
        return 0;
    }
    case JSON_INTEGER:
        n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        hc__sbuf_append(out, num, (size_t)n);
        return 0;
    case JSON_REAL:
        n = hc__real_text(json_real_value(v), num, sizeof num);
        if (n < 0) {
            hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                          "the number at '%s' is not finite", path);
            return -1;
        }
        hc__sbuf_append(out, num, (size_t)n);
        return 0;
    case JSON_TRUE: hc__sbuf_puts(out, "true"); return 0;
    case JSON_FALSE: hc__sbuf_puts(out, "false"); return 0;
    case JSON_NULL:
        hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                      "null at '%s' cannot be expressed in INI (no null "
                      "value)",
                      path);
        return -1;
    case JSON_ARRAY:
        hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                      "the array at '%s' cannot be expressed in INI", path);
        return -1;
    case JSON_OBJECT:
    default:
        hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                      "the object at '%s' cannot be expressed in INI (only "
                      "one level of sections)",
                      path);
        return -1;
    }
}

static int put_pair(hc__sbuf *out, const char *key, const json_t *v,
                    const char *path, hc_error *err)
{
    const char *why = bad_name(key, strlen(key), 0);
    if (why) {
        hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                      "the key at '%s' cannot be an INI name: %s", path, why);
        return -1;
    }
    hc__sbuf_puts(out, key);
    hc__sbuf_append(out, " =", 2);
    if (!json_is_string(v) || json_string_length(v) > 0) {
        /* "key =" + "\n  b" reads back as "\nb": no space when the first
         * line is empty */
        if (!json_is_string(v) || json_string_value(v)[0] != '\n')
            hc__sbuf_putc(out, ' ');
    }
    if (put_value(out, v, path, err) != 0)
        return -1;
    hc__sbuf_putc(out, '\n');
    return 0;
}

/*
 * INI holds an object whose members are scalars (written first, before any
 * section) or objects of scalars (one "[section]" each). Arrays, deeper
 * objects and null are HC_EFORMAT errors naming the path.
 *
 * Round trip: parsing the output with hc_parse(HC_FORMAT_INI) gives the
 * same document, with one exception taken on purpose (best effort): a
 * string that looks like a number or a boolean ("8080", "true") is written
 * as is and comes back typed, since INI has no quotes to mark it. Its text
 * is kept exactly, and a parse with no_typing returns it unchanged.
 * Anything whose text INI would change is refused with HC_EFORMAT and the
 * reason: leading or trailing whitespace (trimmed), " ;" (a comment), a
 * carriage return, empty lines or lines starting with ';'/'#' inside a
 * multi-line string (its lines after the first become indented
 * continuation lines), and names holding '=', ':', ']' or line breaks.
 */
char *hc__dump_ini(const json_t *doc, hc_error *err)
{
    hc__sbuf out = {0};
    const char *key;
    json_t *v;
    char path[512];
    int sections = 0, top = 0;

    if (!json_is_object(doc)) {
        hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                      "INI holds an object of keys and sections, not %s",
                      json_is_array(doc) ? "an array" : "a single value");
        return NULL;
    }
    json_object_foreach((json_t *)doc, key, v)
    {
        if (json_is_object(v))
            continue;
        if (put_pair(&out, key, v, path_of(path, sizeof path, key, NULL),
                     err) != 0)
            goto fail;
        top = 1;
    }
    json_object_foreach((json_t *)doc, key, v)
    {
        const char *k2, *why;
        json_t *v2;
        if (!json_is_object(v))
            continue;
        why = bad_name(key, strlen(key), 1);
        if (why) {
            hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                          "the key at '%s' cannot be an INI section name: %s",
                          path_of(path, sizeof path, key, NULL), why);
            goto fail;
        }
        if (top || sections)
            hc__sbuf_putc(&out, '\n');
        hc__sbuf_putc(&out, '[');
        hc__sbuf_puts(&out, key);
        hc__sbuf_append(&out, "]\n", 2);
        sections = 1;
        json_object_foreach(v, k2, v2)
        {
            if (put_pair(&out, k2, v2, path_of(path, sizeof path, key, k2),
                         err) != 0)
                goto fail;
        }
    }
    return hc__sbuf_result(&out, err);
fail:
    hc__sbuf_free(&out);
    return NULL;
}
