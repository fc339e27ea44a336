/*
 * reuse.h - parsing a config's next version against its live one, sharing
 * the subtrees whose text did not change (structural sharing).
 *
 * Why: a reload usually changes a few values of a large file, and most of
 * what a full parse costs is building jansson's tree (a malloc per value),
 * then freeing the tree it replaces and diffing the two. A subtree whose
 * text is byte for byte the text it had in the live version is the same
 * value, so the new document takes the live one's json_t (one reference
 * more) instead of building it again: no build, and later no free, and
 * hc_diff and json_equal skip it by pointer.
 *
 * Contract: the document returned is exactly what hc_parse would return
 * for the same bytes (the tests hold each format's reusing parse to a full
 * parse on every edit they make); a format parser that cannot prove that
 * for a splice parses in full. Documents are never modified once parsed
 * (hotconf.h), which is what makes sharing their subtrees safe; a schema
 * that fills in defaults modifies them, so the engine does not reuse for
 * a config validated by one.
 *
 * Ownership and threads: an hc__reuse belongs to one config and is used
 * under that config's apply lock only. It holds one reference to its doc
 * and its own copy of the text.
 */
#ifndef HC_FORMAT_REUSE_H
#define HC_FORMAT_REUSE_H

#include "../internal.h"

typedef struct hc__reuse {
    hc_format format;
    hc__limits lim; /* the limits the kept parse ran with */
    char *src;      /* the text the spans point into (a copy) */
    size_t len;
    json_t *doc; /* one reference */
    void *spans; /* the format's own record of where values are */
    void (*spans_free)(void *spans);
    /* The schema verdicts doc earned (hc__schema_check_memo), which the
     * next version's shared values keep; NULL when none. */
    void *vmemo;
} hc__reuse;

/* Below this size a full parse costs a few microseconds: nothing is kept.
 * hc__reuse_min_size starts at it; the tests and the fuzzer set it to 0 so
 * that small texts take the reusing paths too (set it before any parse). */
#define HC__REUSE_MIN_SIZE 2048
extern size_t hc__reuse_min_size;

/*
 * Parses buf like hc_parse, sharing prev's unchanged subtrees when prev is
 * non-NULL (it must be the record of a parse of the same config with the
 * same options). When next is non-NULL, *next receives the record of this
 * parse for the version after (NULL when the format keeps none, the text
 * is small, or the parse failed). opts->positions must be NULL.
 */
json_t *hc__parse_reusing(const char *buf, size_t len, hc_format format,
                          const char *source, const hc_parse_options *opts,
                          const hc__reuse *prev, hc__reuse **next,
                          hc_error *err);
void hc__reuse_free(hc__reuse *r);

/* For the format parsers: a record of doc parsed from src (copied; a
 * reference to doc taken), or NULL when out of memory (spans are then
 * freed with spans_free). */
hc__reuse *hc__reuse_new(hc_format format, const hc__limits *lim,
                         const char *src, size_t len, json_t *doc, void *spans,
                         void (*spans_free)(void *spans));
/* Whether prev may serve a parse with these limits and format. */
int hc__reuse_fits(const hc__reuse *prev, hc_format format,
                   const hc__limits *lim);

/* ---- the formats' reusing parsers (called after hc_parse's shared checks:
 * size and NUL bytes; opts non-NULL) ---- */
json_t *hc__json_parse_reusing(const char *buf, size_t len, const char *source,
                               const hc_parse_options *opts, int jsonc,
                               const hc__reuse *prev, hc__reuse **next,
                               hc_error *err);
json_t *hc__yaml_parse_reusing(const char *buf, size_t len, const char *source,
                               const hc_parse_options *opts,
                               const hc__reuse *prev, hc__reuse **next,
                               hc_error *err);

#endif
