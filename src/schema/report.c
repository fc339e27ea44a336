/*
 * report.c - the error list of one validation. Errors are only built on
 * the failure path: the instance and keyword paths are rendered from the
 * validator's linked stack frames into JSON pointers, strings go into an
 * arena that is dropped when the report is reused, and file positions are
 * looked up in the caller's posmap only for failing values.
 */
#include "schema_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUL_TERMINATED ((size_t)-1)

typedef struct rerr {
    hc_schema_error pub;
    int depth; /* instance pointer tokens */
} rerr;

struct hc_schema_report {
    rerr *errs;
    size_t n, cap;
    const char **filled;
    size_t nfilled, capfilled;
    hc__arena strings;
    char *source;
    const hc_posmap *pos;
    size_t max;
};

hc_schema_report *hc_schema_report_new(void)
{
    return calloc(1, sizeof(hc_schema_report));
}

void hc_schema_report_free(hc_schema_report *r)
{
    if (!r)
        return;
    hc__arena_free(&r->strings);
    free(r->errs);
    free(r->filled);
    free(r->source);
    free(r);
}

void hc_schema_report_clear(hc_schema_report *r)
{
    if (!r)
        return;
    hc__arena_free(&r->strings);
    r->n = 0;
    r->nfilled = 0;
}

void hc__report_reset(hc_schema_report *r)
{
    hc_schema_report_clear(r);
}

void hc_schema_report_set_source(hc_schema_report *r, const char *source,
                                 const hc_posmap *positions)
{
    if (!r)
        return;
    free(r->source);
    r->source = source ? strdup(source) : NULL;
    r->pos = positions;
}

void hc_schema_report_set_max_errors(hc_schema_report *r, size_t max)
{
    if (r)
        r->max = max;
}

size_t hc_schema_report_count(const hc_schema_report *r)
{
    return r ? r->n : 0;
}

const hc_schema_error *hc_schema_report_at(const hc_schema_report *r, size_t i)
{
    return r && i < r->n ? &r->errs[i].pub : NULL;
}

size_t hc_schema_report_filled_count(const hc_schema_report *r)
{
    return r ? r->nfilled : 0;
}

const char *hc_schema_report_filled_at(const hc_schema_report *r, size_t i)
{
    return r && i < r->nfilled ? r->filled[i] : NULL;
}

int hc_schema_report_error(const hc_schema_report *r, size_t i, hc_error *err)
{
    const hc_schema_error *e = hc_schema_report_at(r, i);
    hc_error_init(err);
    if (!e)
        return HC_ENOTFOUND;
    if (err) {
        hc__error_set(err, HC_EVALIDATE, r->source, e->line, e->column, 0,
                      "%s: %s",
                      e->instance_location[0] ? e->instance_location : "(root)",
                      e->message);
        snprintf(err->pointer, sizeof err->pointer, "%s", e->instance_location);
    }
    return 0;
}

size_t hc__report_mark(const hc_schema_report *r)
{
    return r->n;
}

bool hc__report_full(const hc_schema_report *r)
{
    return r->max && r->n >= r->max;
}

int hc__report_depth(const hc_schema_report *r, size_t i)
{
    return r->errs[i].depth;
}

void hc__report_keep(hc_schema_report *r, size_t mark, size_t from, size_t to)
{
    size_t keep = to > from ? to - from : 0;
    if (keep && from != mark)
        memmove(&r->errs[mark], &r->errs[from], keep * sizeof *r->errs);
    r->n = mark + keep;
}

/* ---- rendering
 * ------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 128;
        char *np;
        while (ncap < b->n + n + 1)
            ncap *= 2;
        np = realloc(b->p, ncap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_token(sbuf *b, const char *s, size_t n)
{
    sb_put(b, "/", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~')
            sb_put(b, "~0", 2);
        else if (s[i] == '/')
            sb_put(b, "~1", 2);
        else
            sb_put(b, s + i, 1);
    }
}

/* Appends the segments of a linked path, outermost first. Returns the
 * number of segments. */
static int sb_path(sbuf *b, const hc__seg *s)
{
    const hc__seg *stack[64], **all = stack;
    int n = 0, cap = 64;
    for (const hc__seg *p = s; p; p = p->up)
        n++;
    if (n > cap) {
        all = malloc((size_t)n * sizeof *all);
        if (!all) {
            b->oom = true;
            return n;
        }
    }
    {
        int i = n;
        for (const hc__seg *p = s; p; p = p->up)
            all[--i] = p;
    }
    for (int i = 0; i < n; i++) {
        const hc__seg *p = all[i];
        if (p->key) {
            sb_token(b, p->key, p->n == NUL_TERMINATED ? strlen(p->key) : p->n);
        } else {
            char num[32];
            int l = snprintf(num, sizeof num, "/%zu", p->n);
            sb_put(b, num, (size_t)l);
        }
    }
    if (all != stack)
        free(all);
    return n;
}

static const char *arena_copy(hc_schema_report *r, const sbuf *b)
{
    return hc__arena_strndup(&r->strings, b->p ? b->p : "", b->n);
}

static bool is_container_kw(const char *k)
{
    static const char *const list[] = {
        "properties", "patternProperties", "prefixItems", "allOf", "anyOf",
        "oneOf",      "dependentSchemas",  NULL};
    for (int i = 0; list[i]; i++)
        if (!strcmp(k, list[i]))
            return true;
    return false;
}

/* The keyword a boolean false schema sits under. */
static const char *false_keyword(const hc__seg *k)
{
    if (!k)
        return "false";
    if (k->up && k->up->key && is_container_kw(k->up->key))
        return k->up->key;
    return k->key ? k->key : "false";
}

static void HC__PRINTF(4, 0)
    add_error(hc__vctx *c, const char *kw, const hc__seg *ikey, const char *fmt,
              va_list ap)
{
    hc_schema_report *r = c->rep;
    sbuf b = {0};
    char msg[1024];
    rerr *e;
    hc__seg ik;
    const hc__seg *ipath = c->ipath;

    if (r->max && r->n >= r->max) {
        c->stopped = true;
        return;
    }
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 16;
        rerr *ne = realloc(r->errs, ncap * sizeof *ne);
        if (!ne) {
            c->nomem = true;
            return;
        }
        r->errs = ne;
        r->cap = ncap;
    }
    if (ikey) {
        ik = *ikey;
        ik.up = c->ipath;
        ipath = &ik;
    }
    e = &r->errs[r->n];
    memset(e, 0, sizeof *e);
    vsnprintf(msg, sizeof msg, fmt, ap);

    e->depth = sb_path(&b, ipath);
    e->pub.instance_location = arena_copy(r, &b);
    b.n = 0;
    sb_path(&b, c->kpath);
    if (kw)
        sb_token(&b, kw, strlen(kw));
    e->pub.keyword_location = arena_copy(r, &b);
    b.n = 0;
    if (c->node && c->node->loc)
        sb_put(&b, c->node->loc, strlen(c->node->loc));
    if (kw)
        sb_token(&b, kw, strlen(kw));
    e->pub.absolute_location = arena_copy(r, &b);
    e->pub.keyword = kw ? kw : false_keyword(c->kpath);
    e->pub.message = hc__arena_strndup(&r->strings, msg, strlen(msg));
    if (r->pos && e->pub.instance_location) {
        /* the value itself, else the nearest enclosing value in the file */
        b.n = 0;
        sb_put(&b, e->pub.instance_location, strlen(e->pub.instance_location));
        while (!b.oom && hc_posmap_lookup(r->pos, b.p ? b.p : "", &e->pub.line,
                                          &e->pub.column) != 0) {
            char *slash = b.p ? strrchr(b.p, '/') : NULL;
            if (!slash) {
                e->pub.line = e->pub.column = 0;
                break;
            }
            *slash = '\0';
            b.n = (size_t)(slash - b.p);
        }
    }
    free(b.p);
    if (b.oom || !e->pub.instance_location || !e->pub.keyword_location ||
        !e->pub.absolute_location || !e->pub.message) {
        c->nomem = true;
        return;
    }
    r->n++;
    if (r->max && r->n >= r->max)
        c->stopped = true;
}

void hc__report_add(hc__vctx *c, const char *kw, const hc__seg *ikey,
                    const char *fmt, ...)
{
    va_list ap;
    if (!c->rep)
        return;
    va_start(ap, fmt);
    add_error(c, kw, ikey, fmt, ap);
    va_end(ap);
}

void hc__report_force(hc__vctx *c, const char *kw, const char *fmt, ...)
{
    va_list ap;
    if (!c->rep)
        return;
    va_start(ap, fmt);
    add_error(c, kw, NULL, fmt, ap);
    va_end(ap);
}

void hc__report_filled(hc__vctx *c, const char *key, size_t len)
{
    hc_schema_report *r = c->rep;
    hc__seg ik = {c->ipath, key, len};
    sbuf b = {0};
    const char *s;
    if (r->nfilled == r->capfilled) {
        size_t ncap = r->capfilled ? r->capfilled * 2 : 8;
        const char **nf = realloc(r->filled, ncap * sizeof *nf);
        if (!nf) {
            c->nomem = true;
            return;
        }
        r->filled = nf;
        r->capfilled = ncap;
    }
    sb_path(&b, &ik);
    s = b.oom ? NULL : arena_copy(r, &b);
    free(b.p);
    if (!s) {
        c->nomem = true;
        return;
    }
    r->filled[r->nfilled++] = s;
}

json_t *hc_schema_report_to_json(const hc_schema_report *r)
{
    json_t *out = json_object(), *errs = json_array();
    if (!out || !errs || !r) {
        json_decref(out);
        json_decref(errs);
        return NULL;
    }
    for (size_t i = 0; i < r->n; i++) {
        const hc_schema_error *e = &r->errs[i].pub;
        json_t *o = json_pack(
            "{s:s,s:s,s:s,s:s,s:s}", "instanceLocation", e->instance_location,
            "keywordLocation", e->keyword_location, "absoluteKeywordLocation",
            e->absolute_location, "keyword", e->keyword, "error", e->message);
        if (!o || json_array_append_new(errs, o)) {
            json_decref(out);
            json_decref(errs);
            return NULL;
        }
        if (e->line) {
            json_object_set_new(o, "line", json_integer(e->line));
            json_object_set_new(o, "column", json_integer(e->column));
        }
    }
    json_object_set_new(out, "valid", json_boolean(r->n == 0));
    json_object_set_new(out, "errors", errs);
    return out;
}
