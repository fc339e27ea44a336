/*
 * compile.c - turns schema JSON into the node graph of schema_internal.h.
 * Three passes: index every schema location of the root and registered
 * documents (base URIs from $id, $anchor and $dynamicAnchor tables), then
 * compile the nodes reachable from the root from a work queue (so long
 * $ref chains never deepen the C stack; a node is created before its
 * children, so $ref cycles just become graph cycles), then reject in-place
 * cycles ($ref/allOf/... back to a node without entering the instance),
 * which could never finish validating.
 */
#include "compile_internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hc__node *hc__pm_get(const hc__comp *c, const json_t *k)
{
    size_t i;
    if (!c->pmcap)
        return NULL;
    i = ((uintptr_t)k >> 4) * 0x9E3779B97F4A7C15ULL & (c->pmcap - 1);
    while (c->pm[i].k) {
        if (c->pm[i].k == k)
            return c->pm[i].v;
        i = (i + 1) & (c->pmcap - 1);
    }
    return NULL;
}

bool hc__pm_put(hc__comp *c, const json_t *k, hc__node *v)
{
    size_t i;
    if ((c->pmn + 1) * 2 > c->pmcap) {
        size_t ncap = c->pmcap ? c->pmcap * 2 : 64;
        hc__pm_entry *old = c->pm, *nt = calloc(ncap, sizeof *nt);
        size_t ocap = c->pmcap;
        if (!nt)
            return false;
        c->pm = nt;
        c->pmcap = ncap;
        c->pmn = 0;
        for (size_t j = 0; j < ocap; j++)
            if (old[j].k)
                hc__pm_put(c, old[j].k, old[j].v);
        free(old);
    }
    i = ((uintptr_t)k >> 4) * 0x9E3779B97F4A7C15ULL & (c->pmcap - 1);
    while (c->pm[i].k)
        i = (i + 1) & (c->pmcap - 1);
    c->pm[i].k = k;
    c->pm[i].v = v;
    c->pmn++;
    return true;
}

/* Records a compile error at node n (+ "/" + kw + "/" + sub when given). */
void hc__schema_cerr(hc__comp *c, const hc__node *n, const char *kw,
                     const char *sub, const char *fmt, ...)
{
    char ptr[HC_ERROR_POINTER_LENGTH], text[HC_ERROR_TEXT_LENGTH];
    const hc__doc_info *d = &c->docs[n && n->doc ? 1 : 0];
    int line = 0, col = 0;
    va_list ap;
    c->failed = true;
    if (!c->err || c->err->code)
        return;
    snprintf(ptr, sizeof ptr, "%s%s%s%s%s", n ? n->doc_ptr : "", kw ? "/" : "",
             kw ? kw : "", sub ? "/" : "", sub ? sub : "");
    if (d->pos) {
        /* the keyword's value, else the nearest enclosing value */
        char probe[HC_ERROR_POINTER_LENGTH];
        snprintf(probe, sizeof probe, "%s", ptr);
        while (hc_posmap_lookup(d->pos, probe, &line, &col) != 0) {
            char *slash = strrchr(probe, '/');
            if (!slash) {
                line = col = 0;
                break;
            }
            *slash = '\0';
        }
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hc__error_set(
        c->err, HC_ESCHEMA,
        n && n->doc ? n->res->uri : (d->source ? d->source : "<schema>"), line,
        col, 0, "%s%s%s", ptr[0] ? ptr : "", ptr[0] ? ": " : "", text);
    snprintf(c->err->pointer, sizeof c->err->pointer, "%s", ptr);
}

void hc__schema_oom(hc__comp *c)
{
    c->failed = true;
    hc__error_set(c->err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

/* parent + "/" + escaped token, in the arena */
char *hc__ptr_join(hc__comp *c, const char *parent, const char *tok,
                   size_t toklen)
{
    size_t pl = strlen(parent), o;
    char *p = hc__arena_alloc(&c->s->arena, pl + 2 * toklen + 2);
    if (!p)
        return NULL;
    memcpy(p, parent, pl);
    o = pl;
    p[o++] = '/';
    for (size_t i = 0; i < toklen; i++) {
        if (tok[i] == '~') {
            p[o++] = '~';
            p[o++] = '0';
        } else if (tok[i] == '/') {
            p[o++] = '~';
            p[o++] = '1';
        } else {
            p[o++] = tok[i];
        }
    }
    p[o] = '\0';
    return p;
}

char *hc__ptr_index(hc__comp *c, const char *parent, size_t i)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%zu", i);
    return hc__ptr_join(c, parent, buf, (size_t)n);
}

/* ---- public API ------------------------------------------------------------
 */

void hc_schema_free(hc_schema *schema)
{
    if (!schema)
        return;
    for (size_t i = 0; i < schema->nregex; i++)
        hc__regex_free(schema->regexes[i]);
    free(schema->regexes);
    pcre2_match_context_free(schema->mctx);
    json_decref(schema->docs);
    hc__arena_free(&schema->arena);
    free(schema);
}

static hc_schema *compile_doc(json_t *schema, const hc_schema_options *opts,
                              const char *source, const hc_posmap *pos,
                              hc_error *err)
{
    static const hc_schema_options defaults;
    hc__comp c;
    hc_schema *s;

    if (!opts)
        opts = &defaults;
    hc_error_init(err);
    if (!schema) {
        hc__error_set(err, HC_EINVAL, source, 0, 0, 0, "no schema");
        return NULL;
    }
    if (opts->default_draft != HC_SCHEMA_DRAFT_DEFAULT &&
        opts->default_draft != HC_SCHEMA_DRAFT_04 &&
        opts->default_draft != HC_SCHEMA_DRAFT_06 &&
        opts->default_draft != HC_SCHEMA_DRAFT_07 &&
        opts->default_draft != HC_SCHEMA_DRAFT_2019_09 &&
        opts->default_draft != HC_SCHEMA_DRAFT_2020_12) {
        hc__error_set(err, HC_EINVAL, source, 0, 0, 0,
                      "unknown default_draft %d", (int)opts->default_draft);
        return NULL;
    }
    memset(&c, 0, sizeof c);
    s = calloc(1, sizeof *s);
    c.s = s;
    c.err = err;
    c.o = opts;
    c.docs[0].source = source;
    c.docs[0].pos = pos;
    c.resources = json_object();
    c.anchors = json_object();
    c.dyn_anchors = json_object();
    if (!s || !c.resources || !c.anchors || !c.dyn_anchors ||
        !(s->docs = json_array())) {
        hc__schema_oom(&c);
        goto done;
    }
    s->fill_defaults = opts->fill_defaults != 0;
    s->max_evaluations = opts->max_evaluations
                             ? opts->max_evaluations
                             : HC_SCHEMA_DEFAULT_MAX_EVALUATIONS;
    s->mctx = pcre2_match_context_create(NULL);
    if (!s->mctx) {
        hc__schema_oom(&c);
        goto done;
    }
    pcre2_set_match_limit(s->mctx, opts->regex_match_limit
                                       ? opts->regex_match_limit
                                       : HC_SCHEMA_DEFAULT_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, opts->regex_depth_limit
                                       ? opts->regex_depth_limit
                                       : HC_SCHEMA_DEFAULT_REGEX_DEPTH_LIMIT);
    json_array_append(s->docs, schema);

    /* registered documents are indexed when first referred to */
    if (!hc__index_document(&c, schema, opts->base_uri ? opts->base_uri : "", 0,
                            opts->default_draft ? (int)opts->default_draft
                                                : HC_SCHEMA_DRAFT_2020_12))
        goto done;
    s->root = hc__pm_get(&c, schema);
    hc__schema_enqueue(&c, s->root);
    for (size_t q = 0; q < c.nq && !c.failed; q++)
        hc__compile_node(&c, c.queue[q]);
    if (!c.failed)
        hc__check_cycles(&c);
    /* a node that is only a $ref can be skipped when nothing tracks paths
     * or the dynamic scope (cycles of such nodes were rejected above) */
    for (size_t q = 0; q < c.nq && !c.failed && !s->has_dynamic; q++) {
        hc__node *n = c.queue[q];
        if (n->nkw == 1 && n->kw[0].kind == HC__K_REF && !n->types && !n->flags)
            n->alias = n->kw[0].u.ref.node;
    }
    for (size_t q = 0; q < c.nq && !c.failed; q++) {
        hc__node *n = c.queue[q];
        const hc__node *t = n->alias;
        int hops = 1;
        if (!t)
            continue;
        while (t->alias) {
            t = t->alias;
            hops++;
        }
        n->target = t;
        n->hops = hops;
    }
    for (size_t q = 0; q < c.nq && !c.failed; q++)
        hc__loop_hops(c.queue[q]);
done:
    free(c.res);
    free(c.res_json);
    free(c.pm);
    free(c.queue);
    json_decref(c.resources);
    json_decref(c.anchors);
    json_decref(c.dyn_anchors);
    if (c.failed || !s || !s->root) {
        if (!c.failed)
            hc__error_set(err, HC_ENOMEM, source, 0, 0, 0, "out of memory");
        hc_schema_free(s);
        return NULL;
    }
    return s;
}

hc_schema *hc_schema_compile_ex(json_t *schema, const hc_schema_options *opts,
                                hc_error *err)
{
    return compile_doc(schema, opts, NULL, NULL, err);
}

hc_schema *hc_schema_compile(json_t *schema, hc_error *err)
{
    return compile_doc(schema, NULL, NULL, NULL, err);
}

json_t *hc__schema_parse_file(const char *path, hc_posmap *pos, hc_error *err)
{
    hc_parse_options po = {0};
    json_t *doc;
    po.positions = pos;
    doc = hc_parse_file(path, HC_FORMAT_AUTO, &po, err);
    if (!doc && err && strstr(err->text, "too big integer") &&
        hc_format_from_name(path) != HC_FORMAT_YAML) {
        /* an integer beyond 64 bits ("maximum": 18446744073709551615):
         * jansson holds none, so this schema's numbers are read as reals
         * (compared as such), without positions, instead of refused */
        size_t len;
        char *buf = hc_read_file(path, 0, &len, err);
        json_error_t je;
        if (!buf)
            return NULL;
        doc = json_loadb(buf, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
                         &je);
        free(buf);
        if (doc)
            hc_error_init(err);
        else
            hc__error_set(err, HC_EPARSE, path, je.line, je.column, 0, "%s",
                          je.text);
    }
    return doc;
}

hc_schema *hc_schema_load_ex(const char *path, const hc_schema_options *opts,
                             hc_error *err)
{
    hc_posmap *pos = hc_posmap_new();
    json_t *doc;
    hc_schema *s = NULL;
    hc_error_init(err);
    if (!pos) {
        hc__error_set(err, HC_ENOMEM, path, 0, 0, 0, "out of memory");
        return NULL;
    }
    doc = hc__schema_parse_file(path, pos, err);
    if (doc)
        s = compile_doc(doc, opts, path, pos, err);
    json_decref(doc);
    hc_posmap_free(pos);
    return s;
}

hc_schema *hc_schema_load(const char *path, hc_error *err)
{
    return hc_schema_load_ex(path, NULL, err);
}
