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
#include "schema_internal.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---- arena --------------------------------------------------------------- */

struct hc__chunk {
    hc__chunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *hc__arena_alloc(hc__arena *a, size_t size)
{
    hc__chunk *c = a->head;
    size = (size + 15) & ~(size_t)15;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > 16384 ? size : 16384;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    {
        void *p = (char *)c->data + c->used;
        c->used += size;
        memset(p, 0, size);
        return p;
    }
}

char *hc__arena_strndup(hc__arena *a, const char *s, size_t len)
{
    char *p = hc__arena_alloc(a, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void hc__arena_free(hc__arena *a)
{
    hc__chunk *c = a->head;
    while (c) {
        hc__chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}

/* ---- registry ------------------------------------------------------------ */

hc_schema_registry *hc_schema_registry_new(void)
{
    hc_schema_registry *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->docs = json_object();
    if (!r->docs) {
        free(r);
        return NULL;
    }
    return r;
}

void hc_schema_registry_free(hc_schema_registry *reg)
{
    if (!reg)
        return;
    json_decref(reg->docs);
    free(reg);
}

int hc_schema_registry_add(hc_schema_registry *reg, const char *uri,
                           json_t *doc)
{
    if (!reg || !uri || !doc || strchr(uri, '#') ||
        !(json_is_object(doc) || json_is_boolean(doc)))
        return HC_EINVAL;
    if (json_object_get(reg->docs, uri))
        return HC_EEXIST;
    return json_object_set(reg->docs, uri, doc) == 0 ? 0 : HC_ENOMEM;
}

int hc_schema_registry_load(hc_schema_registry *reg, const char *uri,
                            const char *path, hc_error *err)
{
    json_t *doc, *id;
    int rc;
    hc_error_init(err);
    if (!reg || !path) {
        hc__error_set(err, HC_EINVAL, path, 0, 0, 0, "no registry or path");
        return HC_EINVAL;
    }
    doc = hc_parse_file(path, HC_FORMAT_AUTO, NULL, err);
    if (!doc)
        return err && err->code ? err->code : HC_EPARSE;
    id = json_object_get(doc, "$id");
    if (!uri) {
        if (json_is_string(id)) {
            uri = json_string_value(id);
        } else {
            const char *slash = strrchr(path, '/');
            uri = slash ? slash + 1 : path;
        }
    }
    rc = hc_schema_registry_add(reg, uri, doc);
    json_decref(doc);
    if (rc == HC_EEXIST)
        hc__error_set(err, rc, path, 0, 0, 0,
                      "a schema is already registered as \"%s\"", uri);
    else if (rc)
        hc__error_set(
            err, rc, path, 0, 0, 0, "cannot register the schema as \"%s\": %s",
            uri, rc == HC_EINVAL ? "not a schema or bad URI" : hc_strerror(rc));
    return rc;
}

/* ---- compiler state -------------------------------------------------------
 */

typedef struct pm_entry {
    const json_t *k;
    hc__node *v;
} pm_entry;

typedef struct doc_info {
    const char *source;   /* file name or URI, for errors */
    const hc_posmap *pos; /* positions (root document only) */
} doc_info;

typedef struct comp {
    hc_schema *s;
    hc_error *err;
    const hc_schema_options *o;
    doc_info docs[2];  /* [0] root, [1] any registered document */
    json_t *resources; /* uri -> index into res/res_json */
    hc__resource **res;
    const json_t **res_json;
    size_t nres, capres;
    json_t *anchors;     /* "uri#name" -> pointer (as integer) to node */
    json_t *dyn_anchors; /* "uri#name" -> 1 for $dynamicAnchor */
    pm_entry *pm;        /* json_t* -> node */
    size_t pmcap, pmn;
    hc__node **queue;
    size_t nq, capq;
    bool failed;
} comp;

static hc__node *pm_get(const comp *c, const json_t *k)
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

static bool pm_put(comp *c, const json_t *k, hc__node *v)
{
    size_t i;
    if ((c->pmn + 1) * 2 > c->pmcap) {
        size_t ncap = c->pmcap ? c->pmcap * 2 : 64;
        pm_entry *old = c->pm, *nt = calloc(ncap, sizeof *nt);
        size_t ocap = c->pmcap;
        if (!nt)
            return false;
        c->pm = nt;
        c->pmcap = ncap;
        c->pmn = 0;
        for (size_t j = 0; j < ocap; j++)
            if (old[j].k)
                pm_put(c, old[j].k, old[j].v);
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
static void HC__PRINTF(5, 6) cerr(comp *c, const hc__node *n, const char *kw,
                                  const char *sub, const char *fmt, ...)
{
    char ptr[HC_ERROR_POINTER_LENGTH], text[HC_ERROR_TEXT_LENGTH];
    const doc_info *d = &c->docs[n && n->doc ? 1 : 0];
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

static void oom(comp *c)
{
    c->failed = true;
    hc__error_set(c->err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
}

/* parent + "/" + escaped token, in the arena */
static char *ptr_join(comp *c, const char *parent, const char *tok,
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

static char *ptr_index(comp *c, const char *parent, size_t i)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%zu", i);
    return ptr_join(c, parent, buf, (size_t)n);
}

static hc__resource *add_resource(comp *c, const char *uri, const json_t *j,
                                  const hc__node *at)
{
    hc__resource *r;
    json_t *idx;
    if (json_object_get(c->resources, uri)) {
        cerr(c, at, "$id", NULL, "duplicate schema URI \"%s\"", uri);
        return NULL;
    }
    if (c->nres == c->capres) {
        size_t ncap = c->capres ? c->capres * 2 : 8;
        hc__resource **nr = realloc(c->res, ncap * sizeof *nr);
        const json_t **nj;
        if (!nr)
            return oom(c), NULL;
        c->res = nr;
        nj = realloc(c->res_json, ncap * sizeof *nj);
        if (!nj)
            return oom(c), NULL;
        c->res_json = nj;
        c->capres = ncap;
    }
    r = hc__arena_alloc(&c->s->arena, sizeof *r);
    if (!r || !(r->uri = hc__arena_strndup(&c->s->arena, uri, strlen(uri))))
        return oom(c), NULL;
    idx = json_integer((json_int_t)c->nres);
    if (!idx || json_object_set_new(c->resources, uri, idx) != 0)
        return oom(c), NULL;
    c->res[c->nres] = r;
    c->res_json[c->nres] = j;
    c->nres++;
    return r;
}

static bool anchor_name_ok(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static bool add_anchor(comp *c, hc__node *n, const char *kw, bool dynamic)
{
    const json_t *v = json_object_get(n->json, kw);
    char *key;
    size_t len;
    json_t *iv;
    if (!v)
        return true;
    if (!json_is_string(v) || !anchor_name_ok(json_string_value(v))) {
        cerr(c, n, kw, NULL,
             "%s must be a name: a letter or '_' followed by letters, "
             "digits, '-', '_' or '.'",
             kw);
        return false;
    }
    len = strlen(n->res->uri) + json_string_length(v) + 2;
    key = malloc(len);
    if (!key)
        return oom(c), false;
    snprintf(key, len, "%s#%s", n->res->uri, json_string_value(v));
    if (json_object_get(c->anchors, key)) {
        /* the same node may carry both $anchor and $dynamicAnchor */
        if ((hc__node *)(intptr_t)json_integer_value(
                json_object_get(c->anchors, key)) != n) {
            cerr(c, n, kw, NULL, "duplicate anchor \"%s\" in \"%s\"",
                 json_string_value(v), n->res->uri);
            free(key);
            return false;
        }
    }
    iv = json_integer((json_int_t)(intptr_t)n);
    if (!iv || json_object_set_new(c->anchors, key, iv) != 0) {
        free(key);
        return oom(c), false;
    }
    if (dynamic) {
        hc__resource *r = n->res;
        hc__dyn_anchor *nd;
        json_object_set_new(c->dyn_anchors, key, json_true());
        nd = hc__arena_alloc(&c->s->arena, (r->ndyn + 1) * sizeof *nd);
        if (!nd) {
            free(key);
            return oom(c), false;
        }
        if (r->ndyn)
            memcpy(nd, r->dyn, r->ndyn * sizeof *nd);
        nd[r->ndyn].name = json_string_value(v);
        nd[r->ndyn].node = n;
        r->dyn = nd;
        r->ndyn++;
    }
    free(key);
    return true;
}

/* Keywords whose value is one schema, an array of schemas, or an object
 * of schemas: the places where $id and anchors count. */
static const char *const kw_single[] = {"additionalProperties",
                                        "unevaluatedProperties",
                                        "unevaluatedItems",
                                        "items",
                                        "contains",
                                        "propertyNames",
                                        "not",
                                        "if",
                                        "then",
                                        "else",
                                        "contentSchema",
                                        NULL};
static const char *const kw_array[] = {"prefixItems", "allOf", "anyOf", "oneOf",
                                       NULL};
static const char *const kw_map[] = {"$defs", "properties", "patternProperties",
                                     "dependentSchemas", NULL};

static hc__node *index_schema(comp *c, const json_t *j, const char *base,
                              hc__resource *res, const char *rptr,
                              const char *dptr, int doc, int depth);

static bool index_child(comp *c, hc__node *parent, const json_t *v,
                        const char *rptr, const char *dptr, int depth,
                        const char *kw, const char *sub)
{
    if (!json_is_object(v) && !json_is_boolean(v)) {
        if (!strcmp(kw, "items") && json_is_array(v))
            cerr(c, parent, kw, sub,
                 "items must be a schema; draft 2020-12 writes a tuple "
                 "with prefixItems");
        else
            cerr(c, parent, kw, sub,
                 "must be a schema (an object or a boolean), not %s",
                 hc__type_name(v));
        return false;
    }
    return index_schema(c, v, parent->base, parent->res, rptr, dptr,
                        parent->doc, depth + 1) != NULL;
}

static hc__node *index_schema(comp *c, const json_t *j, const char *base,
                              hc__resource *res, const char *rptr,
                              const char *dptr, int doc, int depth)
{
    hc__node *n = pm_get(c, j);
    const json_t *id;
    if (n)
        return n; /* the same JSON reached twice (shared by the caller) */
    n = hc__arena_alloc(&c->s->arena, sizeof *n);
    if (!n)
        return oom(c), NULL;
    n->json = j;
    n->doc = doc;
    n->doc_ptr = dptr;
    n->base = base;
    n->res = res;
    if (!pm_put(c, j, n))
        return oom(c), NULL;
    if (depth > HC__SCHEMA_MAX_NESTING) {
        cerr(c, n, NULL, NULL, "schema nested deeper than %d levels",
             HC__SCHEMA_MAX_NESTING);
        return NULL;
    }
    id = json_is_object(j) ? json_object_get(j, "$id") : NULL;
    if (id) {
        char *uri;
        size_t ul;
        if (!json_is_string(id)) {
            cerr(c, n, "$id", NULL, "$id must be a string");
            return NULL;
        }
        uri = hc__uri_resolve(base, json_string_value(id));
        if (!uri)
            return oom(c), NULL;
        ul = strcspn(uri, "#");
        if (uri[ul] == '#' && uri[ul + 1]) {
            cerr(c, n, "$id", NULL,
                 "$id must not have a fragment (use $anchor): \"%s\"",
                 json_string_value(id));
            free(uri);
            return NULL;
        }
        uri[ul] = '\0';
        /* a registered document's own $id equal to its URI: one resource */
        if (!(depth == 0 && res && !strcmp(res->uri, uri))) {
            res = add_resource(c, uri, j, n);
            if (!res) {
                free(uri);
                return NULL;
            }
        }
        n->base = res->uri;
        n->res = res;
        rptr = "";
        free(uri);
    }
    n->loc =
        hc__arena_alloc(&c->s->arena, strlen(n->res->uri) + strlen(rptr) + 2);
    if (!n->loc)
        return oom(c), NULL;
    snprintf((char *)n->loc, strlen(n->res->uri) + strlen(rptr) + 2, "%s#%s",
             n->res->uri, rptr);
    if (!json_is_object(j))
        return n;
    if (!add_anchor(c, n, "$anchor", false) ||
        !add_anchor(c, n, "$dynamicAnchor", true))
        return NULL;

    for (int i = 0; kw_single[i]; i++) {
        const json_t *v = json_object_get(j, kw_single[i]);
        if (v &&
            !index_child(
                c, n, v, ptr_join(c, rptr, kw_single[i], strlen(kw_single[i])),
                ptr_join(c, n->doc_ptr, kw_single[i], strlen(kw_single[i])),
                depth, kw_single[i], NULL))
            return NULL;
    }
    for (int i = 0; kw_array[i]; i++) {
        const json_t *v = json_object_get(j, kw_array[i]);
        const char *kr, *kd;
        if (!v)
            continue;
        if (!json_is_array(v) || json_array_size(v) == 0) {
            cerr(c, n, kw_array[i], NULL,
                 "%s must be a non-empty array of schemas", kw_array[i]);
            return NULL;
        }
        kr = ptr_join(c, rptr, kw_array[i], strlen(kw_array[i]));
        kd = ptr_join(c, n->doc_ptr, kw_array[i], strlen(kw_array[i]));
        for (size_t k = 0; k < json_array_size(v); k++) {
            char sub[32];
            snprintf(sub, sizeof sub, "%zu", k);
            if (!index_child(c, n, json_array_get(v, k), ptr_index(c, kr, k),
                             ptr_index(c, kd, k), depth, kw_array[i], sub))
                return NULL;
        }
    }
    for (int i = 0; kw_map[i]; i++) {
        const json_t *v = json_object_get(j, kw_map[i]);
        const char *kr, *kd, *key;
        size_t kl;
        json_t *m;
        if (!v)
            continue;
        if (!json_is_object(v)) {
            cerr(c, n, kw_map[i], NULL,
                 "%s must be an object whose values are schemas", kw_map[i]);
            return NULL;
        }
        kr = ptr_join(c, rptr, kw_map[i], strlen(kw_map[i]));
        kd = ptr_join(c, n->doc_ptr, kw_map[i], strlen(kw_map[i]));
        json_object_keylen_foreach((json_t *)v, key, kl, m)
        {
            if (!index_child(c, n, m, ptr_join(c, kr, key, kl),
                             ptr_join(c, kd, key, kl), depth, kw_map[i], key))
                return NULL;
        }
    }
    return n;
}

static bool index_document(comp *c, const json_t *doc, const char *uri,
                           int docno)
{
    hc__resource *r;
    if (!json_is_object(doc) && !json_is_boolean(doc)) {
        hc__error_set(
            c->err, HC_ESCHEMA,
            docno ? uri : (c->docs[0].source ? c->docs[0].source : "<schema>"),
            0, 0, 0, "a schema must be an object or a boolean, not %s",
            hc__type_name(doc));
        c->failed = true;
        return false;
    }
    r = add_resource(c, uri, doc, NULL);
    if (!r)
        return false;
    return index_schema(c, doc, r->uri, r, "", "", docno, 0) != NULL;
}

/* ---- $ref resolution ------------------------------------------------------
 */

static void enqueue(comp *c, hc__node *n)
{
    if (n->compiled)
        return;
    n->compiled = 1; /* queued */
    if (c->nq == c->capq) {
        size_t ncap = c->capq ? c->capq * 2 : 64;
        hc__node **nq = realloc(c->queue, ncap * sizeof *nq);
        if (!nq) {
            oom(c);
            return;
        }
        c->queue = nq;
        c->capq = ncap;
    }
    c->queue[c->nq++] = n;
}

/* Walks a JSON pointer (already percent-decoded) from root. Returns the
 * target or NULL; *last is the deepest indexed schema on the way and
 * *rest the part of the pointer after it. */
static const json_t *walk_pointer(comp *c, const json_t *root, const char *p,
                                  hc__node **last, const char **rest)
{
    const json_t *cur = root;
    *last = pm_get(c, root);
    *rest = p;
    while (*p) {
        const char *end;
        char *tok;
        size_t tl = 0;
        if (*p != '/')
            return NULL;
        p++;
        end = p + strcspn(p, "/");
        tok = malloc((size_t)(end - p) + 1);
        if (!tok)
            return NULL;
        for (const char *q = p; q < end; q++) {
            if (*q == '~' && q + 1 < end && (q[1] == '0' || q[1] == '1')) {
                tok[tl++] = q[1] == '0' ? '~' : '/';
                q++;
            } else {
                tok[tl++] = *q;
            }
        }
        tok[tl] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, tok, tl);
        } else if (json_is_array(cur)) {
            char *e;
            unsigned long long idx = strtoull(tok, &e, 10);
            if (tl == 0 || *e || (tok[0] == '0' && tl > 1) || tok[0] == '-' ||
                tok[0] == '+')
                cur = NULL;
            else
                cur = json_array_get(cur, (size_t)idx);
        } else {
            cur = NULL;
        }
        free(tok);
        if (!cur)
            return NULL;
        p = end;
        {
            hc__node *n = pm_get(c, cur);
            if (n) {
                *last = n;
                *rest = p;
            }
        }
    }
    return cur;
}

/* Resolves ref (from keyword kw of node from). For $dynamicRef, *dyn gets
 * the anchor name when the initial target carries that $dynamicAnchor. */
static hc__node *resolve(comp *c, hc__node *from, const char *kw,
                         const char *ref, const char **dyn)
{
    char *full = hc__uri_resolve(from->base, ref);
    char *hash, *frag = NULL;
    hc__node *target = NULL;
    json_t *ri;
    if (!full)
        return oom(c), NULL;
    hash = strchr(full, '#');
    if (hash) {
        *hash = '\0';
        frag = hash + 1;
    }
    ri = json_object_get(c->resources, full);
    if (!frag || !*frag || *frag == '/') {
        size_t dlen;
        char *decoded;
        const json_t *tj;
        hc__node *last;
        const char *rest;
        if (!ri) {
            cerr(c, from, kw, NULL,
                 "cannot resolve \"%s\": no schema has the URI \"%s\" "
                 "(remote schemas are never fetched; register the "
                 "document with hc_schema_registry_add)",
                 ref, full);
            goto out;
        }
        decoded =
            hc__uri_unescape(frag ? frag : "", frag ? strlen(frag) : 0, &dlen);
        if (!decoded) {
            cerr(c, from, kw, NULL, "bad %%-escape in \"%s\"", ref);
            goto out;
        }
        tj = walk_pointer(c, c->res_json[json_integer_value(ri)], decoded,
                          &last, &rest);
        if (!tj) {
            cerr(c, from, kw, NULL,
                 "cannot resolve \"%s\": no value at \"#%s\" in \"%s\"", ref,
                 decoded, full);
            free(decoded);
            goto out;
        }
        target = pm_get(c, tj);
        if (!target) {
            /* inside an unknown keyword: index it with the base of the
             * nearest schema above it */
            if (!json_is_object(tj) && !json_is_boolean(tj)) {
                cerr(c, from, kw, NULL,
                     "\"%s\" points to %s, which is not a schema", ref,
                     hc__type_name(tj));
                free(decoded);
                goto out;
            }
            {
                const char *lr = strchr(last->loc, '#') + 1;
                char *rp = hc__arena_alloc(&c->s->arena,
                                           strlen(lr) + strlen(rest) + 1);
                char *dp = hc__arena_alloc(&c->s->arena, strlen(last->doc_ptr) +
                                                             strlen(rest) + 1);
                if (!rp || !dp) {
                    free(decoded);
                    oom(c);
                    goto out;
                }
                sprintf(rp, "%s%s", lr, rest);
                sprintf(dp, "%s%s", last->doc_ptr, rest);
                target = index_schema(c, tj, last->base, last->res, rp, dp,
                                      last->doc, 1);
            }
        }
        free(decoded);
    } else {
        char *key = malloc(strlen(full) + strlen(frag) + 2);
        json_t *a;
        if (!key) {
            oom(c);
            goto out;
        }
        sprintf(key, "%s#%s", full, frag);
        a = json_object_get(c->anchors, key);
        if (!a) {
            if (!ri)
                cerr(c, from, kw, NULL,
                     "cannot resolve \"%s\": no schema has the URI \"%s\" "
                     "(remote schemas are never fetched; register the "
                     "document with hc_schema_registry_add)",
                     ref, full);
            else
                cerr(c, from, kw, NULL,
                     "cannot resolve \"%s\": no $anchor \"%s\" in \"%s\"", ref,
                     frag, full);
            free(key);
            goto out;
        }
        target = (hc__node *)(intptr_t)json_integer_value(a);
        if (dyn && json_object_get(c->dyn_anchors, key))
            *dyn = json_string_value(
                json_object_get(target->json, "$dynamicAnchor"));
        free(key);
    }
out:
    free(full);
    return target;
}

/* ---- keyword compilation ---------------------------------------------------
 */

static hc__node *child_node(comp *c, hc__node *parent, const json_t *v)
{
    hc__node *n = pm_get(c, v);
    if (!n) {
        /* cannot happen for indexed keywords; be defensive */
        cerr(c, parent, NULL, NULL, "internal: unindexed subschema");
        return NULL;
    }
    enqueue(c, n);
    return n;
}

static bool get_count(comp *c, hc__node *n, const char *kw, const json_t *v,
                      size_t *out)
{
    double d;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uintmax_t)json_integer_value(v) > SIZE_MAX
                   ? SIZE_MAX
                   : (size_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && (d = json_real_value(v)) >= 0 && floor(d) == d) {
        *out = d >= 1.8e19 ? SIZE_MAX : (size_t)d;
        return true;
    }
    cerr(c, n, kw, NULL, "%s must be a non-negative integer", kw);
    return false;
}

static bool get_num(comp *c, hc__node *n, const char *kw, const json_t *v,
                    hc__num *out)
{
    if (!json_is_number(v)) {
        cerr(c, n, kw, NULL, "%s must be a number, not %s", kw,
             hc__type_name(v));
        return false;
    }
    out->json = v;
    out->is_int = json_is_integer(v);
    out->i = out->is_int ? json_integer_value(v) : 0;
    out->d = json_number_value(v);
    return true;
}

static bool get_names(comp *c, hc__node *n, const char *kw, const char *sub,
                      const json_t *v, hc__name **out, size_t *nout)
{
    hc__name *names;
    size_t cnt;
    if (!json_is_array(v)) {
        cerr(c, n, kw, sub, "must be an array of property names");
        return false;
    }
    cnt = json_array_size(v);
    names = hc__arena_alloc(&c->s->arena, (cnt + 1) * sizeof *names);
    if (!names)
        return oom(c), false;
    for (size_t i = 0; i < cnt; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            cerr(c, n, kw, sub, "must be an array of strings (item %zu is %s)",
                 i, hc__type_name(e));
            return false;
        }
        names[i].s = json_string_value(e);
        names[i].len = json_string_length(e);
        for (size_t k = 0; k < i; k++)
            if (names[k].len == names[i].len &&
                !memcmp(names[k].s, names[i].s, names[i].len)) {
                cerr(c, n, kw, sub, "lists \"%s\" twice", names[i].s);
                return false;
            }
    }
    *out = names;
    *nout = cnt;
    return true;
}

static bool add_regex(comp *c, hc__regex *re)
{
    hc_schema *s = c->s;
    if (s->nregex == s->capregex) {
        size_t ncap = s->capregex ? s->capregex * 2 : 8;
        hc__regex **nr = realloc(s->regexes, ncap * sizeof *nr);
        if (!nr)
            return oom(c), false;
        s->regexes = nr;
        s->capregex = ncap;
    }
    s->regexes[s->nregex++] = re;
    return true;
}

static bool compile_regex(comp *c, hc__node *n, const char *kw, const char *sub,
                          const char *pat, size_t len, hc__regex *re)
{
    char msg[200];
    size_t off;
    int rc = hc__regex_compile(re, pat, len, msg, sizeof msg, &off);
    if (rc == HC_ENOMEM)
        return oom(c), false;
    if (rc) {
        cerr(c, n, kw, sub,
             "invalid regular expression \"%s\" at offset %zu: %s", pat, off,
             msg);
        return false;
    }
    re->src = pat;
    return add_regex(c, re);
}

static const json_t *prop_default(comp *c, hc__node *n, const json_t *sub)
{
    const json_t *d, *ref;
    if (!json_is_object(sub))
        return NULL;
    d = json_object_get(sub, "default");
    if (d)
        return d;
    ref = json_object_get(sub, "$ref");
    if (json_is_string(ref)) {
        hc__node *sn = pm_get(c, sub);
        hc__node *t =
            sn ? resolve(c, sn, "$ref", json_string_value(ref), NULL) : NULL;
        if (t && json_is_object(t->json))
            return json_object_get(t->json, "default");
    }
    (void)n;
    return NULL;
}

/* Looks for a multiplier that maps the names' signatures to distinct
 * slots of a small table; names with equal signatures (same length and
 * first, middle and last bytes) keep the ordinary hash index. */
static bool perfect_hash(comp *c, hc__props *p)
{
    uint32_t seed = 0x9E3779B9u;
    uint16_t *t;
    if (p->n == 0 || p->n > 1024)
        return true;
    for (uint32_t bits = 1; bits <= 14; bits++) {
        size_t size = (size_t)1 << bits;
        if (size < p->n)
            continue;
        if (size > p->n * 16)
            break;
        t = hc__arena_alloc(&c->s->arena, size * sizeof *t);
        if (!t)
            return oom(c), false;
        for (int tries = 0; tries < 64; tries++) {
            size_t m;
            seed = seed * 1664525u + 1013904223u;
            seed |= 1;
            memset(t, 0, size * sizeof *t);
            for (m = 0; m < p->n; m++) {
                uint32_t h = hc__key_sig(p->v[m].name.s, p->v[m].name.len);
                uint32_t slot = (uint32_t)((h * seed) >> (32 - bits));
                if (t[slot])
                    break;
                t[slot] = (uint16_t)(m + 1);
            }
            if (m == p->n) {
                p->ph = t;
                p->ph_seed = seed;
                p->ph_shift = 32 - bits;
                return true;
            }
        }
    }
    return true;
}

/* Lets the properties scan check "required" (verdict-only runs) when
 * every required name is a declared property. */
static void fold_required(hc__kw *kws, size_t nk)
{
    hc__kw *props = NULL, *req = NULL;
    for (size_t i = 0; i < nk; i++) {
        if (kws[i].kind == HC__K_PROPS && kws[i].u.props.has_props)
            props = &kws[i];
        else if (kws[i].kind == HC__K_REQUIRED)
            req = &kws[i];
    }
    if (!props || !req || req->u.names.n == 0 || req->u.names.n > 64)
        return;
    for (size_t r = 0; r < req->u.names.n; r++) {
        const hc__name *nm = &req->u.names.v[r];
        size_t i;
        for (i = 0; i < props->u.props.n; i++) {
            const hc__name *pn = &props->u.props.v[i].name;
            if (pn->len == nm->len && !memcmp(pn->s, nm->s, nm->len))
                break;
        }
        if (i == props->u.props.n)
            return;
    }
    for (size_t r = 0; r < req->u.names.n; r++) {
        const hc__name *nm = &req->u.names.v[r];
        for (size_t i = 0; i < props->u.props.n; i++) {
            hc__prop *pr = &props->u.props.v[i];
            if (pr->name.len == nm->len && !memcmp(pr->name.s, nm->s, nm->len))
                pr->req_bit |= (uint64_t)1 << r;
        }
        props->u.props.req_mask |= (uint64_t)1 << r;
    }
    req->u.names.folded = true;
}

static bool compile_props(comp *c, hc__node *n, hc__kw *k)
{
    const json_t *j = n->json;
    const json_t *props = json_object_get(j, "properties");
    const json_t *pats = json_object_get(j, "patternProperties");
    const json_t *add = json_object_get(j, "additionalProperties");
    hc__props *p = &k->u.props;
    const char *key;
    size_t kl;
    json_t *v;

    k->kind = HC__K_PROPS;
    k->name = props  ? "properties"
              : pats ? "patternProperties"
                     : "additionalProperties";
    if (props) {
        size_t i = 0;
        p->has_props = true;
        p->n = json_object_size(props);
        p->v = hc__arena_alloc(&c->s->arena, (p->n + 1) * sizeof *p->v);
        if (!p->v)
            return oom(c), false;
        json_object_keylen_foreach((json_t *)props, key, kl, v)
        {
            hc__prop *pr = &p->v[i++];
            pr->name.s = key;
            pr->name.len = kl;
            pr->hash = XXH3_64bits(key, kl);
            if (!(pr->node = child_node(c, n, v)))
                return false;
            if (c->o->fill_defaults && (pr->def = prop_default(c, n, v)))
                p->has_defaults = true;
        }
        if (p->n > 8) {
            uint32_t cap = 16;
            while (cap < p->n * 2)
                cap *= 2;
            p->slots = hc__arena_alloc(&c->s->arena, cap * sizeof *p->slots);
            if (!p->slots)
                return oom(c), false;
            p->mask = cap - 1;
            for (size_t m = 0; m < p->n; m++) {
                uint32_t s = (uint32_t)p->v[m].hash & p->mask;
                while (p->slots[s])
                    s = (s + 1) & p->mask;
                p->slots[s] = (uint32_t)m + 1;
            }
        }
    }
    if (props && !perfect_hash(c, p))
        return false;
    if (pats) {
        size_t i = 0;
        p->npat = json_object_size(pats);
        p->pat = hc__arena_alloc(&c->s->arena, (p->npat + 1) * sizeof *p->pat);
        if (!p->pat)
            return oom(c), false;
        json_object_keylen_foreach((json_t *)pats, key, kl, v)
        {
            hc__pattern_prop *pp = &p->pat[i++];
            if (!compile_regex(c, n, "patternProperties", key, key, kl,
                               &pp->re))
                return false;
            if (!(pp->node = child_node(c, n, v)))
                return false;
        }
    }
    if (add && !(p->additional = child_node(c, n, add)))
        return false;
    return true;
}

static unsigned type_bit(const char *t)
{
    static const struct {
        const char *name;
        unsigned bit;
    } types[] = {{"null", HC__T_NULL},      {"boolean", HC__T_BOOLEAN},
                 {"object", HC__T_OBJECT},  {"array", HC__T_ARRAY},
                 {"number", HC__T_NUMBER},  {"string", HC__T_STRING},
                 {"integer", HC__T_INTEGER}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(t, types[i].name))
            return types[i].bit;
    return 0;
}

static bool compile_type(comp *c, hc__node *n, const json_t *v, hc__kw *k)
{
    k->kind = HC__K_TYPE;
    if (json_is_string(v)) {
        k->u.types = type_bit(json_string_value(v));
        if (!k->u.types) {
            cerr(c, n, "type", NULL,
                 "unknown type \"%s\" (expected null, boolean, object, "
                 "array, number, string or integer)",
                 json_string_value(v));
            return false;
        }
        return true;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            unsigned b = json_is_string(e) ? type_bit(json_string_value(e)) : 0;
            if (!b) {
                cerr(c, n, "type", NULL,
                     "item %zu is not a type name (null, boolean, object, "
                     "array, number, string or integer)",
                     i);
                return false;
            }
            if (k->u.types & b) {
                cerr(c, n, "type", NULL, "lists \"%s\" twice",
                     json_string_value(e));
                return false;
            }
            k->u.types |= b;
        }
        return true;
    }
    cerr(c, n, "type", NULL,
         "type must be a type name or an array of type names");
    return false;
}

static bool compile_list(comp *c, hc__node *n, const json_t *v, hc__kw *k)
{
    /* shape already checked while indexing */
    k->u.list.n = json_array_size(v);
    k->u.list.v =
        hc__arena_alloc(&c->s->arena, k->u.list.n * sizeof *k->u.list.v);
    if (!k->u.list.v)
        return oom(c), false;
    for (size_t i = 0; i < k->u.list.n; i++)
        if (!(k->u.list.v[i] = child_node(c, n, json_array_get(v, i))))
            return false;
    return true;
}

static int kw_order(const hc__kw *k)
{
    if (k->kind == HC__K_TYPE)
        return 0;
    if (k->kind == HC__K_UNEVAL_PROPS || k->kind == HC__K_UNEVAL_ITEMS)
        return 2;
    return 1;
}

/* The buckets (1 << HC__B_*) of instances keyword kind k can fail for. */
static unsigned kw_buckets(hc__kind k)
{
    switch (k) {
    case HC__K_MULTIPLE_OF:
    case HC__K_MAXIMUM:
    case HC__K_EXCL_MAXIMUM:
    case HC__K_MINIMUM:
    case HC__K_EXCL_MINIMUM: return 1u << HC__B_NUMBER;
    case HC__K_MAX_LENGTH:
    case HC__K_MIN_LENGTH:
    case HC__K_PATTERN:
    case HC__K_FORMAT: return 1u << HC__B_STRING;
    case HC__K_MAX_ITEMS:
    case HC__K_MIN_ITEMS:
    case HC__K_UNIQUE_ITEMS:
    case HC__K_CONTAINS:
    case HC__K_ITEMS:
    case HC__K_UNEVAL_ITEMS: return 1u << HC__B_ARRAY;
    case HC__K_MAX_PROPS:
    case HC__K_MIN_PROPS:
    case HC__K_REQUIRED:
    case HC__K_DEP_REQUIRED:
    case HC__K_PROPS:
    case HC__K_PROPERTY_NAMES:
    case HC__K_DEP_SCHEMAS:
    case HC__K_UNEVAL_PROPS: return 1u << HC__B_OBJECT;
    default: return (1u << HC__NBUCKETS) - 1;
    }
}

/* Keywords that only look at the instance itself. */
static bool kw_is_leaf(const hc__kw *k)
{
    switch (k->kind) {
    case HC__K_CONTAINS:
    case HC__K_PROPS:
    case HC__K_PROPERTY_NAMES:
    case HC__K_DEP_SCHEMAS:
    case HC__K_ITEMS:
    case HC__K_ALL_OF:
    case HC__K_ANY_OF:
    case HC__K_ONE_OF:
    case HC__K_NOT:
    case HC__K_IF:
    case HC__K_REF:
    case HC__K_DYNAMIC_REF:
    case HC__K_UNEVAL_PROPS:
    case HC__K_UNEVAL_ITEMS: return false;
    default: return !(k->kind == HC__K_REQUIRED && k->u.names.folded);
    }
}

/* The object bucket is "properties" and a "required" it checks, on a
 * node with nothing else to do (sets n->props). */
static bool only_props(hc__node *n)
{
    const hc__props *p = NULL;
    if (n->flags)
        return false;
    for (uint32_t i = n->boff[HC__B_OBJECT]; i < n->boff[HC__B_OBJECT + 1];
         i++) {
        const hc__kw *k = n->bkw[i];
        if (k->kind == HC__K_PROPS && !p)
            p = &k->u.props;
        else if (!(k->kind == HC__K_REQUIRED && k->u.names.folded))
            return false;
    }
    n->props = p;
    return p != NULL;
}

/* Fills n->bkw / n->boff / n->leaf / n->act from n->kw. */
static bool bucket_keywords(comp *c, hc__node *n)
{
    size_t total = 0, o = 0;
    for (uint32_t i = 0; i < n->nkw; i++)
        total += (size_t)__builtin_popcount(kw_buckets(n->kw[i].kind));
    n->bkw = hc__arena_alloc(&c->s->arena, (total + 1) * sizeof *n->bkw);
    if (!n->bkw)
        return oom(c), false;
    for (int b = 0; b < HC__NBUCKETS; b++) {
        bool leaf = true;
        n->boff[b] = (uint32_t)o;
        for (uint32_t i = 0; i < n->nkw; i++)
            if (kw_buckets(n->kw[i].kind) & (1u << b)) {
                n->bkw[o++] = &n->kw[i];
                leaf = leaf && kw_is_leaf(&n->kw[i]);
            }
        if (leaf && o > n->boff[b])
            n->leaf |= 1u << b;
    }
    n->boff[HC__NBUCKETS] = (uint32_t)o;
    for (int t = 0; t < 8; t++) {
        static const int bucket[8] = {
            [JSON_OBJECT] = HC__B_OBJECT, [JSON_ARRAY] = HC__B_ARRAY,
            [JSON_STRING] = HC__B_STRING, [JSON_INTEGER] = HC__B_NUMBER,
            [JSON_REAL] = HC__B_NUMBER,   [JSON_TRUE] = HC__B_BOOLEAN,
            [JSON_FALSE] = HC__B_BOOLEAN, [JSON_NULL] = HC__B_NULL};
        static const unsigned tbit[8] = {
            [JSON_OBJECT] = HC__T_OBJECT,
            [JSON_ARRAY] = HC__T_ARRAY,
            [JSON_STRING] = HC__T_STRING,
            [JSON_INTEGER] = HC__T_INTEGER | HC__T_NUMBER,
            [JSON_REAL] = HC__T_NUMBER,
            [JSON_TRUE] = HC__T_BOOLEAN,
            [JSON_FALSE] = HC__T_BOOLEAN,
            [JSON_NULL] = HC__T_NULL};
        int b = bucket[t];
        if (t > JSON_NULL)
            n->act[t] = HC__ACT_GENERIC;
        else if (n->types && !(n->types & tbit[t]))
            n->act[t] = t == JSON_REAL && (n->types & HC__T_INTEGER)
                            ? HC__ACT_GENERIC
                            : HC__ACT_TYPE;
        else if (n->nkw == 0)
            n->act[t] = (n->flags & HC__N_FALSE) ? HC__ACT_FALSE : HC__ACT_TRUE;
        else if (n->boff[b] == n->boff[b + 1])
            n->act[t] = HC__ACT_PASS;
        else if (t == JSON_STRING && n->boff[b + 1] - n->boff[b] == 1 &&
                 n->bkw[n->boff[b]]->kind == HC__K_PATTERN &&
                 n->bkw[n->boff[b]]->u.re.dfa) {
            n->act[t] = HC__ACT_DFA_STR;
            n->str_dfa = &n->bkw[n->boff[b]]->u.re;
        } else if ((n->leaf >> b) & 1)
            n->act[t] = t == JSON_STRING ? HC__ACT_LEAF_STR : HC__ACT_LEAF;
        else if (b == HC__B_OBJECT && only_props(n))
            n->act[t] = HC__ACT_PROPS;
        else
            n->act[t] = HC__ACT_NODE;
    }
    return true;
}

static void compile_node(comp *c, hc__node *n)
{
    const json_t *j = n->json;
    const char *key;
    json_t *v;
    hc__kw *kws;
    size_t nk = 0;
    bool did_props = false, did_items = false, did_contains = false,
         did_if = false;

    if (json_is_boolean(j)) {
        if (json_is_false(j))
            n->flags |= HC__N_FALSE;
        if (!bucket_keywords(c, n))
            c->failed = true;
        return;
    }
    kws =
        hc__arena_alloc(&c->s->arena, (json_object_size(j) + 1) * sizeof *kws);
    if (!kws)
        return oom(c);

    json_object_foreach((json_t *)j, key, v)
    {
        hc__kw *k = &kws[nk];
        bool ok = true, add = true;
        memset(k, 0, sizeof *k);
        k->name = key;
        if (!strcmp(key, "type")) {
            ok = compile_type(c, n, v, k);
        } else if (!strcmp(key, "enum")) {
            k->kind = HC__K_ENUM;
            k->u.en.value = v;
            if (!json_is_array(v)) {
                cerr(c, n, key, NULL, "enum must be an array");
                ok = false;
            } else {
                size_t cnt = json_array_size(v), i;
                for (i = 0; i < cnt; i++)
                    if (!json_is_string(json_array_get(v, i)))
                        break;
                if (i == cnt && cnt > 0) {
                    k->u.en.strs = hc__arena_alloc(&c->s->arena,
                                                   cnt * sizeof *k->u.en.strs);
                    if (!k->u.en.strs)
                        return oom(c);
                    for (i = 0; i < cnt; i++) {
                        k->u.en.strs[i].s =
                            json_string_value(json_array_get(v, i));
                        k->u.en.strs[i].len =
                            json_string_length(json_array_get(v, i));
                    }
                    k->u.en.nstrs = cnt;
                }
            }
        } else if (!strcmp(key, "const")) {
            k->kind = HC__K_CONST;
            k->u.en.value = v;
            if (json_is_string(v)) { /* compared as bytes to strings */
                k->u.en.strs =
                    hc__arena_alloc(&c->s->arena, sizeof *k->u.en.strs);
                if (!k->u.en.strs)
                    return oom(c);
                k->u.en.strs->s = json_string_value(v);
                k->u.en.strs->len = json_string_length(v);
                k->u.en.nstrs = 1;
            }
        } else if (!strcmp(key, "multipleOf")) {
            k->kind = HC__K_MULTIPLE_OF;
            ok = get_num(c, n, key, v, &k->u.num);
            if (ok && !(k->u.num.d > 0)) {
                cerr(c, n, key, NULL, "multipleOf must be greater than 0");
                ok = false;
            }
        } else if (!strcmp(key, "maximum")) {
            k->kind = HC__K_MAXIMUM;
            ok = get_num(c, n, key, v, &k->u.num);
        } else if (!strcmp(key, "exclusiveMaximum")) {
            k->kind = HC__K_EXCL_MAXIMUM;
            ok = get_num(c, n, key, v, &k->u.num);
        } else if (!strcmp(key, "minimum")) {
            k->kind = HC__K_MINIMUM;
            ok = get_num(c, n, key, v, &k->u.num);
        } else if (!strcmp(key, "exclusiveMinimum")) {
            k->kind = HC__K_EXCL_MINIMUM;
            ok = get_num(c, n, key, v, &k->u.num);
        } else if (!strcmp(key, "maxLength")) {
            k->kind = HC__K_MAX_LENGTH;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "minLength")) {
            k->kind = HC__K_MIN_LENGTH;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "maxItems")) {
            k->kind = HC__K_MAX_ITEMS;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "minItems")) {
            k->kind = HC__K_MIN_ITEMS;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "maxProperties")) {
            k->kind = HC__K_MAX_PROPS;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "minProperties")) {
            k->kind = HC__K_MIN_PROPS;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "pattern")) {
            k->kind = HC__K_PATTERN;
            if (!json_is_string(v)) {
                cerr(c, n, key, NULL, "pattern must be a string");
                ok = false;
            } else {
                ok = compile_regex(c, n, key, NULL, json_string_value(v),
                                   json_string_length(v), &k->u.re);
            }
        } else if (!strcmp(key, "format")) {
            k->kind = HC__K_FORMAT;
            if (!json_is_string(v)) {
                cerr(c, n, key, NULL, "format must be a string");
                ok = false;
            } else {
                k->u.format = hc__format_lookup(json_string_value(v));
                /* an annotation unless asked to assert a known format */
                add = c->o->format_assert && k->u.format != HC__FMT_UNKNOWN;
            }
        } else if (!strcmp(key, "uniqueItems")) {
            k->kind = HC__K_UNIQUE_ITEMS;
            if (!json_is_boolean(v)) {
                cerr(c, n, key, NULL, "uniqueItems must be a boolean");
                ok = false;
            }
            add = json_is_true(v);
        } else if (!strcmp(key, "required")) {
            k->kind = HC__K_REQUIRED;
            ok = get_names(c, n, key, NULL, v, &k->u.names.v, &k->u.names.n);
            add = ok && k->u.names.n > 0;
        } else if (!strcmp(key, "dependentRequired")) {
            const char *dk;
            size_t dkl, i = 0;
            json_t *dv;
            k->kind = HC__K_DEP_REQUIRED;
            if (!json_is_object(v)) {
                cerr(c, n, key, NULL,
                     "dependentRequired must be an object of arrays of "
                     "property names");
                ok = false;
            } else {
                k->u.dep_req.n = json_object_size(v);
                k->u.dep_req.v = hc__arena_alloc(
                    &c->s->arena, (k->u.dep_req.n + 1) * sizeof(hc__dep_req));
                if (!k->u.dep_req.v)
                    return oom(c);
                json_object_keylen_foreach(v, dk, dkl, dv)
                {
                    hc__dep_req *d = &k->u.dep_req.v[i++];
                    d->prop.s = dk;
                    d->prop.len = dkl;
                    if (!get_names(c, n, key, dk, dv, &d->req, &d->nreq)) {
                        ok = false;
                        break;
                    }
                }
            }
        } else if (!strcmp(key, "properties") ||
                   !strcmp(key, "patternProperties") ||
                   !strcmp(key, "additionalProperties")) {
            if (did_props)
                add = false;
            else
                ok = compile_props(c, n, k);
            did_props = true;
        } else if (!strcmp(key, "propertyNames")) {
            k->kind = HC__K_PROPERTY_NAMES;
            ok = (k->u.node = child_node(c, n, v)) != NULL;
        } else if (!strcmp(key, "dependentSchemas")) {
            const char *dk;
            size_t dkl, i = 0;
            json_t *dv;
            k->kind = HC__K_DEP_SCHEMAS;
            k->u.dep_schemas.n = json_object_size(v);
            k->u.dep_schemas.v =
                hc__arena_alloc(&c->s->arena, (k->u.dep_schemas.n + 1) *
                                                  sizeof(hc__dep_schema));
            if (!k->u.dep_schemas.v)
                return oom(c);
            json_object_keylen_foreach(v, dk, dkl, dv)
            {
                hc__dep_schema *d = &k->u.dep_schemas.v[i++];
                d->prop.s = dk;
                d->prop.len = dkl;
                if (!(d->node = child_node(c, n, dv))) {
                    ok = false;
                    break;
                }
            }
        } else if (!strcmp(key, "prefixItems") || !strcmp(key, "items")) {
            if (did_items) {
                add = false;
            } else {
                const json_t *pre = json_object_get(j, "prefixItems");
                const json_t *it = json_object_get(j, "items");
                k->kind = HC__K_ITEMS;
                k->name = pre ? "prefixItems" : "items";
                if (pre) {
                    hc__kw tmp;
                    ok = compile_list(c, n, pre, &tmp);
                    k->u.items.prefix = tmp.u.list.v;
                    k->u.items.nprefix = tmp.u.list.n;
                }
                if (ok && it)
                    ok = (k->u.items.items = child_node(c, n, it)) != NULL;
            }
            did_items = true;
        } else if (!strcmp(key, "contains") || !strcmp(key, "minContains") ||
                   !strcmp(key, "maxContains")) {
            const json_t *cs = json_object_get(j, "contains");
            const json_t *mn = json_object_get(j, "minContains");
            const json_t *mx = json_object_get(j, "maxContains");
            if (did_contains || !cs) {
                add = false;
                /* without contains they are ignored, but must be valid */
                if (!cs && !did_contains) {
                    size_t dummy;
                    ok = (!mn || get_count(c, n, "minContains", mn, &dummy)) &&
                         (!mx || get_count(c, n, "maxContains", mx, &dummy));
                }
            } else {
                k->kind = HC__K_CONTAINS;
                k->name = "contains";
                k->u.contains.min = 1;
                k->u.contains.max = SIZE_MAX;
                ok = (k->u.contains.node = child_node(c, n, cs)) != NULL;
                if (ok && mn) {
                    ok = get_count(c, n, "minContains", mn, &k->u.contains.min);
                    k->u.contains.has_min = true;
                }
                if (ok && mx) {
                    ok = get_count(c, n, "maxContains", mx, &k->u.contains.max);
                    k->u.contains.has_max = true;
                }
            }
            did_contains = true;
        } else if (!strcmp(key, "allOf") || !strcmp(key, "anyOf") ||
                   !strcmp(key, "oneOf")) {
            k->kind = key[0] == 'a'
                          ? (key[1] == 'l' ? HC__K_ALL_OF : HC__K_ANY_OF)
                          : HC__K_ONE_OF;
            ok = compile_list(c, n, v, k);
        } else if (!strcmp(key, "not")) {
            k->kind = HC__K_NOT;
            ok = (k->u.node = child_node(c, n, v)) != NULL;
        } else if (!strcmp(key, "if") || !strcmp(key, "then") ||
                   !strcmp(key, "else")) {
            const json_t *ifs = json_object_get(j, "if");
            const json_t *th = json_object_get(j, "then");
            const json_t *el = json_object_get(j, "else");
            if (did_if || !ifs) {
                add = false; /* then/else without if do nothing */
            } else {
                k->kind = HC__K_IF;
                k->name = "if";
                ok = (k->u.cond.if_ = child_node(c, n, ifs)) != NULL;
                if (ok && th)
                    ok = (k->u.cond.then_ = child_node(c, n, th)) != NULL;
                if (ok && el)
                    ok = (k->u.cond.else_ = child_node(c, n, el)) != NULL;
            }
            did_if = true;
        } else if (!strcmp(key, "$ref") || !strcmp(key, "$dynamicRef")) {
            bool dynamic = key[1] == 'd';
            k->kind = dynamic ? HC__K_DYNAMIC_REF : HC__K_REF;
            if (!json_is_string(v)) {
                cerr(c, n, key, NULL, "%s must be a string (a URI reference)",
                     key);
                ok = false;
            } else {
                k->u.ref.node = resolve(c, n, key, json_string_value(v),
                                        dynamic ? &k->u.ref.dynamic : NULL);
                ok = k->u.ref.node != NULL;
                if (ok)
                    enqueue(c, k->u.ref.node);
                if (ok && k->u.ref.dynamic)
                    c->s->has_dynamic = true;
            }
        } else if (!strcmp(key, "unevaluatedProperties") ||
                   !strcmp(key, "unevaluatedItems")) {
            k->kind = key[11] == 'P' ? HC__K_UNEVAL_PROPS : HC__K_UNEVAL_ITEMS;
            ok = (k->u.node = child_node(c, n, v)) != NULL;
            n->flags |= HC__N_UNEVAL;
        } else {
            add = false; /* annotations, $defs, $id, unknown keywords */
        }
        if (!ok || c->failed) {
            c->failed = true;
            return;
        }
        if (add) {
            if (k->kind == HC__K_PROPS && k->u.props.has_defaults)
                n->flags |= HC__N_DEFAULTS;
            nk++;
        }
    }
    /* type first (cheapest, and the clearest first error), unevaluated*
     * last (they need every other keyword's annotations); otherwise the
     * order of the schema. Insertion sort keeps it stable. */
    for (size_t i = 1; i < nk; i++) {
        hc__kw t = kws[i];
        size_t k = i;
        while (k > 0 && kw_order(&kws[k - 1]) > kw_order(&t)) {
            kws[k] = kws[k - 1];
            k--;
        }
        kws[k] = t;
    }
    /* "type" leaves the array: a mask test on entry, no dispatch */
    if (nk && kws[0].kind == HC__K_TYPE) {
        n->types = kws[0].u.types;
        memmove(kws, kws + 1, (nk - 1) * sizeof *kws);
        nk--;
    }
    n->kw = kws;
    n->nkw = (uint32_t)nk;
    fold_required(kws, nk);
    if (!bucket_keywords(c, n))
        c->failed = true;
}

/* ---- in-place cycle check -------------------------------------------------
 */

/* The k-th in-place subschema of n (same instance), or NULL past the end. */
static hc__node *inplace_edge(const hc__node *n, size_t k)
{
    for (uint32_t i = 0; i < n->nkw; i++) {
        const hc__kw *kw = &n->kw[i];
        switch (kw->kind) {
        case HC__K_REF:
        case HC__K_DYNAMIC_REF:
        case HC__K_NOT:
            if (k == 0)
                return kw->kind == HC__K_NOT ? kw->u.node : kw->u.ref.node;
            k--;
            break;
        case HC__K_ALL_OF:
        case HC__K_ANY_OF:
        case HC__K_ONE_OF:
            if (k < kw->u.list.n)
                return kw->u.list.v[k];
            k -= kw->u.list.n;
            break;
        case HC__K_DEP_SCHEMAS:
            if (k < kw->u.dep_schemas.n)
                return kw->u.dep_schemas.v[k].node;
            k -= kw->u.dep_schemas.n;
            break;
        case HC__K_IF: {
            hc__node *b[3] = {kw->u.cond.if_, kw->u.cond.then_,
                              kw->u.cond.else_};
            for (int m = 0; m < 3; m++) {
                if (!b[m])
                    continue;
                if (k == 0)
                    return b[m];
                k--;
            }
            break;
        }
        default: break;
        }
    }
    return NULL;
}

typedef struct dfs_frame {
    hc__node *n;
    size_t edge;
} dfs_frame;

static bool check_cycles(comp *c)
{
    dfs_frame *stack = NULL;
    size_t cap = 0;
    bool ok = true;
    for (size_t q = 0; q < c->nq && ok; q++) {
        size_t sp = 0;
        if (c->queue[q]->mark)
            continue;
        if (cap == 0) {
            cap = 64;
            stack = malloc(cap * sizeof *stack);
            if (!stack)
                return oom(c), false;
        }
        stack[sp++] = (dfs_frame){c->queue[q], 0};
        c->queue[q]->mark = 1;
        while (sp && ok) {
            dfs_frame *f = &stack[sp - 1];
            hc__node *next = inplace_edge(f->n, f->edge++);
            if (!next) {
                f->n->mark = 2;
                sp--;
                continue;
            }
            if (next->mark == 1) {
                cerr(c, f->n, NULL, NULL,
                     "reference cycle: this schema leads back to %s without "
                     "descending into the document, so validation could "
                     "never finish",
                     next->doc_ptr[0] ? next->doc_ptr : "the root");
                ok = false;
                break;
            }
            if (next->mark == 0) {
                if (sp == cap) {
                    dfs_frame *ns = realloc(stack, cap * 2 * sizeof *ns);
                    if (!ns) {
                        oom(c);
                        ok = false;
                        break;
                    }
                    stack = ns;
                    cap *= 2;
                }
                next->mark = 1;
                stack[sp++] = (dfs_frame){next, 0};
            }
        }
    }
    free(stack);
    return ok;
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
    comp c;
    hc_schema *s;
    const char *key;
    json_t *doc;

    if (!opts)
        opts = &defaults;
    hc_error_init(err);
    if (!schema) {
        hc__error_set(err, HC_EINVAL, source, 0, 0, 0, "no schema");
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
        oom(&c);
        goto done;
    }
    s->fill_defaults = opts->fill_defaults != 0;
    s->mctx = pcre2_match_context_create(NULL);
    if (!s->mctx) {
        oom(&c);
        goto done;
    }
    pcre2_set_match_limit(s->mctx, opts->regex_match_limit
                                       ? opts->regex_match_limit
                                       : HC_SCHEMA_DEFAULT_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, opts->regex_depth_limit
                                       ? opts->regex_depth_limit
                                       : HC_SCHEMA_DEFAULT_REGEX_DEPTH_LIMIT);
    json_array_append(s->docs, schema);

    if (!index_document(&c, schema, opts->base_uri ? opts->base_uri : "", 0))
        goto done;
    if (opts->registry) {
        json_object_foreach(opts->registry->docs, key, doc)
        {
            /* the root schema wins over a registered document */
            if (json_object_get(c.resources, key))
                continue;
            json_array_append(s->docs, doc);
            if (!index_document(&c, doc, key, 1))
                goto done;
        }
    }
    s->root = pm_get(&c, schema);
    enqueue(&c, s->root);
    /* a $dynamicRef may land on any $dynamicAnchor in the dynamic scope */
    for (size_t r = 0; r < c.nres; r++)
        for (size_t a = 0; a < c.res[r]->ndyn; a++)
            enqueue(&c, c.res[r]->dyn[a].node);
    for (size_t q = 0; q < c.nq && !c.failed; q++)
        compile_node(&c, c.queue[q]);
    if (!c.failed)
        check_cycles(&c);
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

hc_schema *hc_schema_load_ex(const char *path, const hc_schema_options *opts,
                             hc_error *err)
{
    hc_parse_options po = {0};
    hc_posmap *pos = hc_posmap_new();
    json_t *doc;
    hc_schema *s = NULL;
    hc_error_init(err);
    if (!pos) {
        hc__error_set(err, HC_ENOMEM, path, 0, 0, 0, "out of memory");
        return NULL;
    }
    po.positions = pos;
    doc = hc_parse_file(path, HC_FORMAT_AUTO, &po, err);
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
