/*
 * reuse.c - the reusing parse's entry point (see reuse.h): the checks
 * every format shares, then the format's own reusing parser where it has
 * one, and a plain parse where it has not.
 */
#include "reuse.h"

#include <stdlib.h>
#include <string.h>

size_t hc__reuse_min_size = HC__REUSE_MIN_SIZE;

hc__reuse *hc__reuse_new(hc_format format, const hc__limits *lim,
                         const char *src, size_t len, json_t *doc, void *spans,
                         void (*spans_free)(void *spans))
{
    hc__reuse *r = calloc(1, sizeof *r);
    char *copy = malloc(len + 1);
    if (!r || !copy) {
        free(r);
        free(copy);
        if (spans_free)
            spans_free(spans);
        return NULL;
    }
    memcpy(copy, src, len);
    copy[len] = '\0';
    r->format = format;
    r->lim = *lim;
    r->src = copy;
    r->len = len;
    r->doc = json_incref(doc);
    r->spans = spans;
    r->spans_free = spans_free;
    return r;
}

void hc__reuse_free(hc__reuse *r)
{
    if (!r)
        return;
    if (r->spans_free)
        r->spans_free(r->spans);
    hc__schema_memo_free(r->vmemo);
    json_decref(r->doc);
    free(r->src);
    free(r);
}

int hc__reuse_fits(const hc__reuse *prev, hc_format format,
                   const hc__limits *lim)
{
    return prev && prev->format == format &&
           prev->lim.max_depth == lim->max_depth &&
           prev->lim.max_alias_nodes == lim->max_alias_nodes;
}

json_t *hc__parse_reusing(const char *buf, size_t len, hc_format format,
                          const char *source, const hc_parse_options *opts,
                          const hc__reuse *prev, hc__reuse **next,
                          hc_error *err)
{
    hc__reuse *ignored = NULL;
    json_t *doc;
    if (!next)
        next = &ignored;
    *next = NULL;
    if (opts && opts->positions)
        return hc_parse(buf, len, format, source, opts, err);
    if (hc__parse_check(buf, len, &format, &source, &opts, err) != 0)
        return NULL;
    switch (format) {
    case HC_FORMAT_JSON:
    case HC_FORMAT_JSONC:
        doc = hc__json_parse_reusing(
            buf, len, source, opts,
            format == HC_FORMAT_JSONC || opts->json_comments, prev, next, err);
        break;
    case HC_FORMAT_YAML:
        doc = hc__yaml_parse_reusing(buf, len, source, opts, prev, next, err);
        break;
    default: doc = hc_parse(buf, len, format, source, opts, err); break;
    }
    hc__reuse_free(ignored);
    return doc;
}
