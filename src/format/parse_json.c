/*
 * parse_json.c - JSON into jansson's json_t. A valid document is parsed in
 * one pass by our own parser (fast_parse below: depth limit, duplicate
 * keys and, on request, positions on the way); anything else goes to
 * jansson's loader, whose verdict and error text are the answer, and this
 * layer maps its error into hc_error and enforces our depth limit
 * (jansson's own is a compile-time 2048).
 */
#include "internal.h"
#include "reuse.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
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

/* ---- one-pass parser -------------------------------------------------------
 * jansson's loader reads a byte at a time through a stream callback and
 * copies every token into a buffer before building the value: 10 KB of
 * config cost about 2.3 M instructions in json_loadb, and the depth check
 * (find_too_deep) and, on request, the position scan each made another
 * pass. This parser builds the same json_t tree straight from the bytes,
 * in one pass that also checks depth, duplicate keys and, on request,
 * records positions. It accepts a subset of what jansson accepts, never
 * more: on anything unusual (any syntax error, a duplicate key, a NUL in
 * a key, an integer or real out of range, too deep) it gives up and
 * hc__parse_json runs jansson's loader, whose result and error message are
 * then the answer. So a valid document is parsed once, and every error
 * text stays jansson's. */

typedef struct fast {
    const char *p, *end, *buf;
    int depth, max_depth;
    char *scratch; /* decoded string values */
    size_t scratch_cap;
    /* positions (map non-NULL only when asked) */
    hc_posmap *map;
    char *ptr;
    size_t ptr_cap, ptr_len;
    const char *line_at; /* lines counted up to here */
    int line;
    const char *line_start;
    /* reuse (reuse.h): the live version's text and container spans, and
     * the spans of this parse being recorded (each NULL when not used) */
    const struct jspans *old_sp;
    const char *old_src;
    struct jspans *rec;
} fast;

/* ---- container spans, for the reusing parse ------------------------------
 * Where each object and array of a document lies in its text: a subtree
 * of the next version is the live one's when the bytes at its place are
 * its span's bytes (a JSON value's text determines the value, and its
 * extent ends at its closing bracket). Keyed by node, open addressing. */
typedef struct jspan {
    const json_t *node;
    uint32_t off, len;
    /* Spans are added as containers end, so a subtree's containers are
     * the ndesc entries just before its own: copied as one run. */
    uint32_t ndesc;
} jspan;

typedef struct jspans {
    jspan *v;
    size_t n, cap;
    uint32_t *slot; /* index + 1; 0: empty */
    size_t mask;
} jspans;

static void jspans_free(void *p)
{
    jspans *sp = p;
    if (!sp)
        return;
    free(sp->v);
    free(sp->slot);
    free(sp);
}

static size_t jspans_hash(const json_t *node, size_t mask)
{
    return (size_t)(((uintptr_t)node >> 4) * UINT64_C(0x9E3779B97F4A7C15) >>
                    32) &
           mask;
}

static int jspans_reserve(jspans *sp, size_t more)
{
    size_t ncap = sp->cap ? sp->cap : 64;
    jspan *nv;
    if (sp->n + more <= sp->cap)
        return 0;
    while (ncap < sp->n + more)
        ncap *= 2;
    if (!(nv = realloc(sp->v, ncap * sizeof *nv)))
        return -1;
    sp->v = nv;
    sp->cap = ncap;
    return 0;
}

/* The container that began at off, whose own containers were added from
 * entry first on. */
static int jspans_add(jspans *sp, const json_t *node, size_t off, size_t len,
                      size_t first)
{
    if (off > UINT32_MAX || len > UINT32_MAX || jspans_reserve(sp, 1) != 0)
        return -1;
    sp->v[sp->n].node = node;
    sp->v[sp->n].off = (uint32_t)off;
    sp->v[sp->n].len = (uint32_t)len;
    sp->v[sp->n].ndesc = (uint32_t)(sp->n - first);
    sp->n++;
    return 0;
}

/* Builds the index once the parse is done (spans are added bottom-up,
 * so a table grown on the way would be rehashed for nothing). */
static int jspans_index(jspans *sp)
{
    size_t size = 16;
    while (size < sp->n * 2)
        size *= 2;
    sp->slot = calloc(size, sizeof *sp->slot);
    if (!sp->slot)
        return -1;
    sp->mask = size - 1;
    for (size_t i = 0; i < sp->n; i++) {
        size_t h = jspans_hash(sp->v[i].node, sp->mask);
        while (sp->slot[h])
            h = (h + 1) & sp->mask;
        sp->slot[h] = (uint32_t)(i + 1);
    }
    return 0;
}

static const jspan *jspans_find(const jspans *sp, const json_t *node)
{
    size_t h = jspans_hash(node, sp->mask);
    while (sp->slot[h]) {
        const jspan *s = &sp->v[sp->slot[h] - 1];
        if (s->node == node)
            return s;
        h = (h + 1) & sp->mask;
    }
    return NULL;
}

/* A reused subtree's containers lie in the new text where they lay in the
 * old one, moved by the subtree's shift: recorded for the version after,
 * so that a later change deeper inside still shares the rest. */
static int jspans_copy(jspans *rec, const jspan *s, size_t new_off)
{
    size_t n = (size_t)s->ndesc + 1;
    const jspan *from = s - s->ndesc;
    jspan *to;
    /* offsets fit: nothing is recorded for a text past 4 GiB */
    if (jspans_reserve(rec, n) != 0)
        return -1;
    to = rec->v + rec->n;
    for (size_t i = 0; i < n; i++) {
        to[i] = from[i];
        to[i].off = (uint32_t)((size_t)from[i].off - s->off + new_off);
    }
    rec->n += n;
    return 0;
}

static json_t *fast_value(fast *f, const json_t *old);

/* The live version's counterpart of a member or element about to be
 * parsed, when it is a container (scalars are cheaper parsed again). */
static int fast_at_container(const fast *f)
{
    return f->old_sp && f->p < f->end && (*f->p == '{' || *f->p == '[');
}

static void fast_ws(fast *f)
{
    while (f->p < f->end &&
           (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
        f->p++;
}

/* Records the position of the value at f->p under the current pointer
 * (columns in bytes, as scan_positions counts them). */
static void fast_record(fast *f)
{
    for (const char *q = f->line_at; q < f->p; q++)
        if (*q == '\n') {
            f->line++;
            f->line_start = q + 1;
        }
    f->line_at = f->p;
    hc__posmap_add(f->map, f->ptr ? f->ptr : "", f->line,
                   (int)(f->p - f->line_start) + 1);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static long fast_hex4(const char *p, const char *end)
{
    long v = 0;
    if (end - p < 4)
        return -1;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* The string at f->p (on its opening quote): *out points into the input
 * when it has no escape, else into f->scratch. 0 on success. */
static int fast_string(fast *f, const char **out, size_t *out_len)
{
    const char *p = f->p + 1, *start = p;
    int high = 0; /* bytes >= 0x80 seen: UTF-8 to check */
    size_t o = 0;
    while (p < f->end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            if (high && !hc__utf8_valid(start, (size_t)(p - start), NULL))
                return -1;
            *out = start;
            *out_len = (size_t)(p - start);
            f->p = p + 1;
            return 0;
        }
        if (c == '\\')
            break;
        if (c < 0x20)
            return -1;
        high |= c >= 0x80;
        p++;
    }
    if (p >= f->end)
        return -1;
    if (high && !hc__utf8_valid(start, (size_t)(p - start), NULL))
        return -1;
    /* escapes: decode into scratch (at most as long as the text) */
    {
        const char *q = p;
        while (q < f->end && *q != '"')
            q += (*q == '\\') ? 2 : 1;
        if (q >= f->end)
            return -1;
        if ((size_t)(q - start) + 1 > f->scratch_cap) {
            size_t ncap = (size_t)(q - start) + 64;
            char *ns = realloc(f->scratch, ncap);
            if (!ns)
                return -1;
            f->scratch = ns;
            f->scratch_cap = ncap;
        }
    }
    memcpy(f->scratch, start, (size_t)(p - start));
    o = (size_t)(p - start);
    while (p < f->end && *p != '"') {
        unsigned char c = (unsigned char)*p;
        const char *run = p;
        if (c != '\\') {
            if (c < 0x20)
                return -1;
            while (p < f->end && *p != '"' && *p != '\\' &&
                   (unsigned char)*p >= 0x20)
                p++;
            if (!hc__utf8_valid(run, (size_t)(p - run), NULL))
                return -1;
            memcpy(f->scratch + o, run, (size_t)(p - run));
            o += (size_t)(p - run);
            continue;
        }
        if (++p >= f->end)
            return -1;
        switch (*p++) {
        case '"': f->scratch[o++] = '"'; break;
        case '\\': f->scratch[o++] = '\\'; break;
        case '/': f->scratch[o++] = '/'; break;
        case 'b': f->scratch[o++] = '\b'; break;
        case 'f': f->scratch[o++] = '\f'; break;
        case 'n': f->scratch[o++] = '\n'; break;
        case 'r': f->scratch[o++] = '\r'; break;
        case 't': f->scratch[o++] = '\t'; break;
        case 'u': {
            long cp = fast_hex4(p, f->end);
            if (cp < 0)
                return -1;
            p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return -1; /* a lone low surrogate */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo;
                if (f->end - p < 6 || p[0] != '\\' || p[1] != 'u')
                    return -1;
                lo = fast_hex4(p + 2, f->end);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            /* "\uXXXX" is 6 bytes, its UTF-8 at most 3 (4 for a pair of
             * 12): the scratch sized for the text is enough */
            if (cp < 0x80) {
                f->scratch[o++] = (char)cp;
            } else if (cp < 0x800) {
                f->scratch[o++] = (char)(0xC0 | (cp >> 6));
                f->scratch[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                f->scratch[o++] = (char)(0xE0 | (cp >> 12));
                f->scratch[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                f->scratch[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                f->scratch[o++] = (char)(0xF0 | (cp >> 18));
                f->scratch[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                f->scratch[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                f->scratch[o++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: return -1;
        }
    }
    if (p >= f->end)
        return -1;
    f->p = p + 1;
    *out = f->scratch;
    *out_len = o;
    return 0;
}

static json_t *fast_number(fast *f)
{
    const char *p = f->p, *start = p;
    int neg = 0, is_real = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (p >= f->end)
        return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < f->end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return NULL;
    }
    if (p < f->end && *p == '.') {
        is_real = 1;
        if (++p >= f->end || *p < '0' || *p > '9')
            return NULL;
        while (p < f->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < f->end && (*p == 'e' || *p == 'E')) {
        is_real = 1;
        if (++p < f->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= f->end || *p < '0' || *p > '9')
            return NULL;
        while (p < f->end && *p >= '0' && *p <= '9')
            p++;
    }
    f->p = p;
    if (!is_real) {
        /* accumulate negatively: -9223372036854775808 fits */
        json_int_t v = 0;
        for (const char *q = start + neg; q < p; q++) {
            int d = *q - '0';
            if (v < (INT64_MIN + d) / 10)
                return NULL; /* jansson: "too big integer" */
            v = v * 10 - d;
        }
        if (!neg) {
            if (v == INT64_MIN)
                return NULL;
            v = -v;
        }
        return json_integer(v);
    }
    {
        /* hc__strtod_c reads most config numbers without strtod */
        double d;
        size_t used;
        if (hc__strtod_c(start, (size_t)(p - start), &d, &used) != 0 ||
            used != (size_t)(p - start) || isinf(d))
            return NULL; /* overflow: jansson's error */
        return json_real(d);
    }
}

static int fast_lit(fast *f, const char *word, size_t n)
{
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
        return -1;
    f->p += n;
    return 0;
}

/* After a member or element: 1 on ',' (another follows), 0 on the
 * closing bracket (consumed), -1 on anything else. */
static int fast_next(fast *f, char close)
{
    fast_ws(f);
    if (f->p < f->end && *f->p == ',') {
        f->p++;
        fast_ws(f);
        return 1;
    }
    if (f->p < f->end && *f->p == close) {
        f->p++;
        return 0;
    }
    return -1;
}

/* Back to the container's own pointer once its members are done. */
static void fast_ptr_reset(fast *f, size_t base)
{
    if (f->map) {
        f->ptr_len = base;
        if (f->ptr)
            f->ptr[base] = '\0';
    }
}

static json_t *fast_object(fast *f, const json_t *old)
{
    json_t *obj = json_object();
    size_t base = f->ptr_len;
    if (!obj)
        return NULL;
    f->p++; /* '{' */
    fast_ws(f);
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        return obj;
    }
    for (;;) {
        const char *k;
        size_t klen, before;
        int more;
        char *kcopy = NULL;
        json_t *v;
        if (f->p >= f->end || *f->p != '"' || fast_string(f, &k, &klen) != 0)
            goto fail;
        if (k == f->scratch) {
            /* the value may reuse the scratch: keep the key apart */
            if (memchr(k, '\0', klen) || !(kcopy = malloc(klen + 1)))
                goto fail;
            memcpy(kcopy, k, klen);
            k = kcopy;
        }
        fast_ws(f);
        if (f->p >= f->end || *f->p != ':') {
            free(kcopy);
            goto fail;
        }
        f->p++;
        fast_ws(f);
        if (f->map)
            f->ptr_len = hc__pointer_push(&f->ptr, &f->ptr_cap, base, k, klen);
        v = fast_value(f, old && fast_at_container(f)
                              ? json_object_getn(old, k, klen)
                              : NULL);
        if (!v) {
            free(kcopy);
            goto fail;
        }
        before = json_object_size(obj);
        /* a duplicate replaces the value without growing the object:
         * one hash lookup instead of a get then a set */
        if (json_object_setn_new_nocheck(obj, k, klen, v) != 0 ||
            json_object_size(obj) == before) {
            free(kcopy);
            goto fail;
        }
        free(kcopy);
        more = fast_next(f, '}');
        if (more < 0)
            goto fail;
        if (!more)
            break;
    }
    fast_ptr_reset(f, base);
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

static json_t *fast_array(fast *f, const json_t *old)
{
    json_t *arr = json_array();
    size_t base = f->ptr_len, i = 0;
    if (!arr)
        return NULL;
    f->p++; /* '[' */
    fast_ws(f);
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        return arr;
    }
    for (;; i++) {
        json_t *v;
        int more;
        if (f->map) {
            char idx[24];
            int n = snprintf(idx, sizeof idx, "%zu", i);
            f->ptr_len =
                hc__pointer_push(&f->ptr, &f->ptr_cap, base, idx, (size_t)n);
        }
        v = fast_value(f, old && fast_at_container(f) ? json_array_get(old, i)
                                                      : NULL);
        if (!v || json_array_append_new(arr, v) != 0)
            goto fail;
        more = fast_next(f, ']');
        if (more < 0)
            goto fail;
        if (!more)
            break;
    }
    fast_ptr_reset(f, base);
    return arr;
fail:
    json_decref(arr);
    return NULL;
}

/* The live version's container old, taken again when the text at f->p is
 * its text; NULL when it is not. */
static json_t *fast_reuse(fast *f, const json_t *old)
{
    const jspan *s;
    size_t at = (size_t)(f->p - f->buf);
    if (json_typeof(old) != (*f->p == '{' ? JSON_OBJECT : JSON_ARRAY) ||
        !(s = jspans_find(f->old_sp, old)) ||
        (size_t)(f->end - f->p) < s->len ||
        memcmp(f->p, f->old_src + s->off, s->len) != 0)
        return NULL;
    if (f->rec && jspans_copy(f->rec, s, at) != 0)
        return NULL;
    f->p += s->len;
    return json_incref((json_t *)old);
}

/* The value at f->p (whitespace skipped), or NULL: give up. old: its
 * counterpart in the live version, or NULL. */
static json_t *fast_value(fast *f, const json_t *old)
{
    const char *s;
    size_t n, at, first;
    json_t *v;
    if (f->p >= f->end)
        return NULL;
    if (f->map)
        fast_record(f);
    switch (*f->p) {
    case '{':
    case '[':
        if (old && (v = fast_reuse(f, old)) != NULL)
            return v;
        if (++f->depth > f->max_depth)
            return NULL;
        at = (size_t)(f->p - f->buf);
        first = f->rec ? f->rec->n : 0;
        v = *f->p == '{' ? fast_object(f, json_is_object(old) ? old : NULL)
                         : fast_array(f, json_is_array(old) ? old : NULL);
        f->depth--;
        if (v && f->rec &&
            jspans_add(f->rec, v, at, (size_t)(f->p - f->buf) - at, first) !=
                0) {
            json_decref(v);
            return NULL;
        }
        return v;
    case '"':
        if (fast_string(f, &s, &n) != 0)
            return NULL;
        return json_stringn_nocheck(s, n);
    case 't': return fast_lit(f, "true", 4) == 0 ? json_true() : NULL;
    case 'f': return fast_lit(f, "false", 5) == 0 ? json_false() : NULL;
    case 'n': return fast_lit(f, "null", 4) == 0 ? json_null() : NULL;
    default: return fast_number(f);
    }
}

static json_t *fast_parse(const char *buf, size_t len, int max_depth,
                          hc_posmap *map, const hc__reuse *prev, jspans *rec)
{
    fast f;
    json_t *doc;
    memset(&f, 0, sizeof f);
    if (prev && prev->spans) {
        f.old_sp = prev->spans;
        f.old_src = prev->src;
    }
    f.rec = rec;
    f.p = f.buf = buf;
    f.end = buf + len;
    /* jansson's own limit: beyond it, its loader reports the error */
    f.max_depth =
        max_depth < JSON_PARSER_MAX_DEPTH ? max_depth : JSON_PARSER_MAX_DEPTH;
    f.map = map;
    f.line = 1;
    f.line_at = f.line_start = buf;
    fast_ws(&f);
    doc = fast_value(&f, f.old_sp ? prev->doc : NULL);
    if (doc) {
        fast_ws(&f);
        if (f.p != f.end) {
            json_decref(doc);
            doc = NULL;
        }
    }
    free(f.scratch);
    free(f.ptr);
    if (!doc && map)
        hc_posmap_clear(map); /* the slow path records them again */
    return doc;
}

json_t *hc__parse_json_fast(const char *buf, size_t len, int max_depth,
                            hc_posmap *map)
{
    return fast_parse(buf, len, max_depth, map, NULL, NULL);
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
    doc = hc__parse_json_fast(buf, len, lim.max_depth,
                              opts ? opts->positions : NULL);
    if (doc) {
        free(blanked);
        return doc;
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

json_t *hc__json_parse_reusing(const char *buf, size_t len, const char *source,
                               const hc_parse_options *opts, int jsonc,
                               const hc__reuse *prev, hc__reuse **next,
                               hc_error *err)
{
    hc__limits lim = hc__limits_from(opts);
    hc_format fmt = jsonc ? HC_FORMAT_JSONC : HC_FORMAT_JSON;
    size_t bom = hc__bom_len(buf, len);
    const char *text = buf + bom;
    size_t tlen = len - bom;
    char *blanked = NULL;
    jspans *rec = NULL;
    json_t *doc;

    *next = NULL;
    if (!hc__reuse_fits(prev, fmt, &lim))
        prev = NULL;
    if (!prev && tlen < hc__reuse_min_size)
        return hc__parse_json(buf, len, source, opts, jsonc, err);
    if (jsonc) {
        /* spans index the blanked text, which is what is parsed */
        if (!(blanked = jsonc_blank(text, tlen, source, err)))
            return NULL;
        text = blanked;
    }
    /* spans hold 32-bit offsets: nothing is kept past 4 GiB */
    if (tlen >= hc__reuse_min_size && tlen <= UINT32_MAX)
        rec = calloc(1, sizeof *rec);
    doc = fast_parse(text, tlen, lim.max_depth, NULL, prev, rec);
    if (!doc) {
        /* anything unusual: the full parse decides, and names the error */
        jspans_free(rec);
        free(blanked);
        return hc__parse_json(buf, len, source, opts, jsonc, err);
    }
    if (rec && jspans_index(rec) == 0)
        *next = hc__reuse_new(fmt, &lim, text, tlen, doc, rec, jspans_free);
    else
        jspans_free(rec);
    free(blanked);
    return doc;
}
