/*
 * yaml_rec.h - what the YAML parser records for the reusing parse
 * (yaml_reuse.c): the top-level keys of a document whose entries can each
 * be read on their own, and whether the document is such a one.
 */
#ifndef HC_FORMAT_YAML_REC_H
#define HC_FORMAT_YAML_REC_H

#include "../internal.h"

typedef struct hc__yaml_key {
    size_t off; /* byte offset of the key: column 0 of its line */
    size_t len; /* its text is the input's bytes off..off+len */
} hc__yaml_key;

typedef struct hc__yaml_rec {
    /* Nonzero when some entry's meaning may depend on text outside it: a
     * directive, a document marker, an anchor, alias, tag or merge key, a
     * BOM, a root that is no block mapping, or a top-level key that is
     * not a one-line plain scalar starting a line with [A-Za-z0-9_]. */
    int bad;
    size_t n, cap;
    hc__yaml_key *keys; /* the top-level keys in document order */
} hc__yaml_rec;

/* hc__parse_yaml, filling rec (zeroed by the caller; its keys are the
 * caller's to free) when rec is non-NULL. */
json_t *hc__parse_yaml_rec(const char *buf, size_t len, const char *source,
                           const hc_parse_options *opts, hc__yaml_rec *rec,
                           hc_error *err);

#endif
