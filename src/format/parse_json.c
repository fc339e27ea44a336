/*
 * parse_json.c - JSON through jansson. jansson does the parsing; this layer
 * maps its error into hc_error, rejects duplicate keys, enforces our depth
 * limit (jansson's own is a compile-time 2048) and, on request, records the
 * position of every value by a light re-scan of the (already valid) text.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Offset of the bracket that opens nesting level limit+1 (outside
 * strings), or SIZE_MAX when the text stays within the limit. A linear
 * byte scan: on large documents it costs a few percent of the parse, where
 * walking the built tree (pointer chasing) cost three times more. */
static size_t find_too_deep(const char *buf, size_t len, int limit)
{
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '"') {
            for (i++; i < len && buf[i] != '"'; i++)
                if (buf[i] == '\\')
                    i++;
        } else if (c == '{' || c == '[') {
            if (++depth > limit)
                return i;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return SIZE_MAX;
}

/* ---- position scan ------------------------------------------------------
 * Runs only when positions are wanted, on text jansson already accepted,
 * so it can skip validation and just follow the structure. */

typedef struct frame {
    int is_object;
    size_t index;    /* arrays: next element index */
    size_t base_len; /* pointer length of the container itself */
} frame;

typedef struct scan {
    const char *buf;
    size_t len, pos;
    int line, col_start; /* col = pos - col_start + 1 */
    char *ptr;
    size_t ptr_cap, ptr_len;
    hc_posmap *map;
} scan;

static void scan_ws(scan *s)
{
    while (s->pos < s->len) {
        char c = s->buf[s->pos];
        if (c == '\n') {
            s->line++;
            s->col_start = (int)s->pos + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        s->pos++;
    }
}

static void scan_record(scan *s)
{
    hc__posmap_add(s->map, s->ptr ? s->ptr : "", s->line,
                   (int)s->pos - s->col_start + 1);
}

/* Four hex digits (jansson already checked them). */
static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v = v * 16 + (unsigned)(c <= '9'   ? c - '0'
                                : c >= 'a' ? c - 'a' + 10
                                           : c - 'A' + 10);
    }
    return v;
}

/* Decodes the string at s->pos (on the opening quote) into out. */
static char *scan_string(scan *s, size_t *out_len)
{
    size_t start = s->pos + 1, end = start;
    char *out;
    size_t o = 0;
    while (end < s->len && s->buf[end] != '"')
        end += (s->buf[end] == '\\') ? 2 : 1;
    out = malloc(end - start + 1);
    if (!out)
        return NULL;
    for (size_t i = start; i < end; i++) {
        char c = s->buf[i];
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        c = s->buf[++i];
        switch (c) {
        case 'n': out[o++] = '\n'; break;
        case 't': out[o++] = '\t'; break;
        case 'r': out[o++] = '\r'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'u': {
            unsigned cp = hex4(s->buf + i + 1);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < end + 1 &&
                s->buf[i + 1] == '\\' && s->buf[i + 2] == 'u') {
                unsigned lo = hex4(s->buf + i + 3);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | (cp >> 6));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xE0 | (cp >> 12));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xF0 | (cp >> 18));
                out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: out[o++] = c; break;
        }
    }
    out[o] = '\0';
    *out_len = o;
    s->pos = end + 1;
    return out;
}

static void scan_positions(const char *buf, size_t len, hc_posmap *map)
{
    frame *stack = NULL;
    size_t depth = 0, cap = 0;
    scan s = {buf, len, 0, 1, 0, NULL, 0, 0, map};
    int expect_value = 1;

    while (s.pos < s.len) {
        char c;
        scan_ws(&s);
        if (s.pos >= s.len)
            break;
        c = buf[s.pos];
        if (depth && stack[depth - 1].is_object && !expect_value && c == '"') {
            /* a key: the next value's pointer is container + key */
            size_t klen;
            char *key = scan_string(&s, &klen);
            if (!key)
                break;
            s.ptr_len = hc__pointer_push(&s.ptr, &s.ptr_cap,
                                         stack[depth - 1].base_len, key, klen);
            free(key);
            scan_ws(&s);
            s.pos++; /* ':' */
            expect_value = 1;
            continue;
        }
        if (c == ',') {
            s.pos++;
            if (depth && !stack[depth - 1].is_object) {
                char idx[24];
                int n =
                    snprintf(idx, sizeof idx, "%zu", ++stack[depth - 1].index);
                s.ptr_len =
                    hc__pointer_push(&s.ptr, &s.ptr_cap,
                                     stack[depth - 1].base_len, idx, (size_t)n);
                expect_value = 1;
            } else {
                expect_value = 0;
            }
            continue;
        }
        if (c == '}' || c == ']') {
            s.pos++;
            depth--;
            s.ptr_len = depth ? stack[depth].base_len : 0;
            if (s.ptr)
                s.ptr[s.ptr_len] = '\0';
            expect_value = 0;
            if (depth == 0)
                break;
            continue;
        }
        /* a value */
        scan_record(&s);
        if (c == '{' || c == '[') {
            if (depth == cap) {
                cap = cap ? cap * 2 : 16;
                frame *ns = realloc(stack, cap * sizeof *stack);
                if (!ns)
                    break;
                stack = ns;
            }
            stack[depth].is_object = (c == '{');
            stack[depth].index = 0;
            stack[depth].base_len = s.ptr_len;
            depth++;
            s.pos++;
            if (c == '[') {
                scan_ws(&s);
                if (s.pos < s.len && buf[s.pos] != ']') {
                    s.ptr_len =
                        hc__pointer_push(&s.ptr, &s.ptr_cap, s.ptr_len, "0", 1);
                    expect_value = 1;
                } else {
                    expect_value = 0;
                }
            } else {
                expect_value = 0;
            }
            continue;
        }
        if (c == '"') {
            size_t l;
            free(scan_string(&s, &l));
        } else {
            while (s.pos < s.len && !strchr(",]} \t\r\n", buf[s.pos]))
                s.pos++;
        }
        expect_value = 0;
        if (depth == 0)
            break;
    }
    free(stack);
    free(s.ptr);
}

/* ---- JSONC ---------------------------------------------------------------
 * JSON with // and block comments and trailing commas (VS Code's dialect).
 * jansson reads strict JSON only, so a copy of the text has every comment
 * byte and every trailing comma replaced by a space (line breaks kept):
 * byte offsets and lines stay those of the original, and the strict parser
 * and the position scan run unchanged on the copy. */

/* Offset just past the string starting at buf[i] (the opening quote). */
static size_t skip_string(const char *buf, size_t len, size_t i)
{
    for (i++; i < len && buf[i] != '"'; i++)
        if (buf[i] == '\\')
            i++;
    return i < len ? i + 1 : len;
}

/* Offset of the first comment outside strings, or SIZE_MAX. */
static size_t find_comment(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '"')
            i = skip_string(buf, len, i) - 1;
        else if (buf[i] == '/' && i + 1 < len &&
                 (buf[i + 1] == '/' || buf[i + 1] == '*'))
            return i;
    }
    return SIZE_MAX;
}

/* The blanked copy (malloc'd, len bytes), or NULL with err filled: an
 * unterminated block comment is an error at its opening. */
static char *jsonc_blank(const char *buf, size_t len, const char *source,
                         hc_error *err)
{
    char *out = malloc(len ? len : 1);
    size_t last_comma = SIZE_MAX; /* a ',' seen with only blanks after it */
    char prev = 0; /* the last significant character outside comments */
    if (!out) {
        hc__error_set(err, HC_ENOMEM, source, 0, 0, 0, "out of memory");
        return NULL;
    }
    memcpy(out, buf, len);
    for (size_t i = 0; i < len; i++) {
        char c = out[i];
        if (c == '"') {
            i = skip_string(out, len, i) - 1;
            last_comma = SIZE_MAX;
            prev = c;
        } else if (c == '/' && i + 1 < len && out[i + 1] == '/') {
            while (i < len && out[i] != '\n' && out[i] != '\r')
                out[i++] = ' ';
            i--;
        } else if (c == '/' && i + 1 < len && out[i + 1] == '*') {
            size_t start = i;
            out[i++] = ' ';
            out[i++] = ' ';
            while (i + 1 < len && !(out[i] == '*' && out[i + 1] == '/')) {
                if (out[i] != '\n' && out[i] != '\r')
                    out[i] = ' ';
                i++;
            }
            if (i + 1 >= len) {
                hc__error_at(err, HC_EPARSE, source, buf, len, start,
                             "unterminated comment (opened here)");
                free(out);
                return NULL;
            }
            out[i++] = ' ';
            out[i] = ' ';
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            /* only a comma after a value may trail: "[,]" and "[1,,]"
             * stay errors */
            if ((c == ']' || c == '}') && last_comma != SIZE_MAX)
                out[last_comma] = ' ';
            last_comma = (c == ',' && prev != ',' && prev != '[' &&
                          prev != '{' && prev != ':' && prev != 0)
                             ? i
                             : SIZE_MAX;
            prev = c;
        }
    }
    return out;
}

/* jansson counts columns in characters (UTF-8 lead bytes) up to its
 * position; count the same in the original text, so that a comment with
 * non-ASCII text before the error on its line does not shift it. */
static int char_column(const char *buf, size_t pos)
{
    size_t ls = pos;
    int col = 0;
    while (ls > 0 && buf[ls - 1] != '\n' && buf[ls - 1] != '\r')
        ls--;
    for (size_t i = ls; i < pos; i++)
        if (((unsigned char)buf[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/* An error at off in buf, the text after a leading BOM of bom bytes: the
 * line and column are the same in the whole text, the position counts the
 * BOM. */
static void json_error_at(hc_error *err, int code, const char *source,
                          const char *buf, size_t len, size_t bom, size_t off,
                          const char *fmt, ...) HC__PRINTF(8, 9);
static void json_error_at(hc_error *err, int code, const char *source,
                          const char *buf, size_t len, size_t bom, size_t off,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hc__error_vat(err, code, source, buf, len, off, fmt, ap);
    va_end(ap);
    if (err)
        err->position += bom;
}

/* The depth error at the first bracket past max_depth (at, or SIZE_MAX
 * when find_too_deep has not been run or found none). */
static void depth_error(hc_error *err, const char *source, const char *buf,
                        size_t len, size_t bom, size_t at, int max_depth)
{
    if (at == SIZE_MAX)
        at = find_too_deep(buf, len, max_depth);
    json_error_at(
        err, HC_ELIMIT, source, buf, len, bom, at == SIZE_MAX ? 0 : at,
        "nesting depth exceeds the limit (max_depth) of %d", max_depth);
}

json_t *hc__parse_json(const char *buf, size_t len, const char *source,
                       const hc_parse_options *opts, int jsonc, hc_error *err)
{
    hc__limits lim = hc__limits_from(opts);
    json_error_t jerr;
    json_t *doc;
    /* A UTF-8 BOM at the start is skipped (RFC 8259 lets a parser ignore
     * it), as for INI and .env; columns on line 1 do not count it. */
    size_t bom = hc__bom_len(buf, len);
    const char *orig = buf + bom;
    char *blanked = NULL;

    buf = orig;
    len -= bom;
    if (jsonc) {
        blanked = jsonc_blank(buf, len, source, err);
        if (!blanked)
            return NULL;
        buf = blanked;
    }
    doc = json_loadb(buf, len,
                     JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
                     &jerr);
    if (!doc) {
        size_t at = jerr.position > 0 ? (size_t)jerr.position : 0;
        size_t comment = jsonc ? SIZE_MAX : find_comment(buf, len);
        if (comment != SIZE_MAX && comment < at)
            /* the first error jansson met is (at or after) a comment */
            json_error_at(err, HC_EPARSE, source, buf, len, bom, comment,
                          "comments are not allowed in strict JSON; read the "
                          "file as JSONC (--format jsonc, the .jsonc "
                          "extension, or the parse option json_comments)");
        else if (json_error_code(&jerr) == json_error_stack_overflow)
            depth_error(err, source, buf, len, bom, SIZE_MAX, lim.max_depth);
        else
            /* jansson's line/column are 1-based; its column counts
             * characters, which for JSONC the original text must give. An
             * error at end of input has column 0 on some versions. */
            hc__error_set(err, HC_EPARSE, source, jerr.line > 0 ? jerr.line : 1,
                          jsonc ? (at ? char_column(orig, at) : 1)
                                : (jerr.column > 0 ? jerr.column : 1),
                          at + bom, "%s", jerr.text);
        free(blanked);
        return NULL;
    }
    if (json_is_object(doc) || json_is_array(doc)) {
        size_t at = find_too_deep(buf, len, lim.max_depth);
        if (at != SIZE_MAX) {
            json_decref(doc);
            depth_error(err, source, buf, len, bom, at, lim.max_depth);
            free(blanked);
            return NULL;
        }
    }
    if (opts && opts->positions)
        scan_positions(buf, len, opts->positions);
    free(blanked);
    return doc;
}
