/*
 * compile_internal.h - the compiler's state, shared by the files of the
 * schema compiler: compile.c (passes and public API), resolve.c (indexing
 * and $ref resolution), keywords.c (keyword compilation) and cycles.c.
 */
#ifndef HC_COMPILE_INTERNAL_H
#define HC_COMPILE_INTERNAL_H

#include "schema_internal.h"

typedef struct hc__pm_entry {
    const json_t *k;
    hc__node *v;
} hc__pm_entry;

typedef struct hc__doc_info {
    const char *source;   /* file name or URI, for errors */
    const hc_posmap *pos; /* positions (root document only) */
} hc__doc_info;

typedef struct hc__comp {
    hc_schema *s;
    hc_error *err;
    const hc_schema_options *o;
    hc__doc_info docs[2]; /* [0] root, [1] any registered document */
    json_t *resources;    /* uri -> index into res/res_json */
    hc__resource **res;
    const json_t **res_json;
    size_t nres, capres;
    json_t *anchors;     /* "uri#name" -> pointer (as integer) to node */
    json_t *dyn_anchors; /* "uri#name" -> 1 for $dynamicAnchor */
    hc__pm_entry *pm;    /* json_t* -> node */
    size_t pmcap, pmn;
    hc__node **queue;
    size_t nq, capq;
    bool failed;
} hc__comp;

/* json_t* -> node, for the JSON of every indexed schema location */
hc__node *hc__pm_get(const hc__comp *c, const json_t *k);
bool hc__pm_put(hc__comp *c, const json_t *k, hc__node *v);

/* Records a compile error at node n (+ "/" + kw + "/" + sub when given). */
void hc__schema_cerr(hc__comp *c, const hc__node *n, const char *kw,
                     const char *sub, const char *fmt, ...) HC__PRINTF(5, 6);
void hc__schema_oom(hc__comp *c);
/* parent + "/" + escaped token, in the arena */
char *hc__ptr_join(hc__comp *c, const char *parent, const char *tok,
                   size_t toklen);
char *hc__ptr_index(hc__comp *c, const char *parent, size_t i);

/* resolve.c */
hc__node *hc__index_schema(hc__comp *c, const json_t *j, const char *base,
                           hc__resource *res, const char *rptr,
                           const char *dptr, int doc, int depth);
/* draft: the one to read it as when it has no "$schema" */
bool hc__index_document(hc__comp *c, const json_t *doc, const char *uri,
                        int docno, int draft);
/* Queues n for keyword compilation (once). */
void hc__schema_enqueue(hc__comp *c, hc__node *n);
/* Resolves ref (from keyword kw of node from). For $dynamicRef, *dyn gets
 * the anchor name when the initial target carries that $dynamicAnchor. */
hc__node *hc__ref_resolve(hc__comp *c, hc__node *from, const char *kw,
                          const char *ref, const char **dyn);

/* meta.c: the built-in meta-schema with this URI ('#' and after ignored),
 * or NULL; and the meta-schema URI of a draft (4, 6, 7, 2019, 2020). */
const json_t *hc__metaschema(const char *uri);
const char *hc__draft_uri(int draft);

/* keywords.c */
void hc__compile_node(hc__comp *c, hc__node *n);
/* Sets max_hops of n's properties and items keywords, once every alias
 * is known. */
void hc__loop_hops(hc__node *n);

/* cycles.c */
bool hc__check_cycles(hc__comp *c);

#endif /* HC_COMPILE_INTERNAL_H */
