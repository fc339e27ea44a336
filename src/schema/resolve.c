/*
 * resolve.c - where every schema location is (base URIs from $id, the
 * $anchor and $dynamicAnchor tables) and what a $ref points to.
 */
#include "compile_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hc__resource *add_resource(hc__comp *c, const char *uri, const json_t *j,
                                  const hc__node *at)
{
    hc__resource *r;
    json_t *idx;
    if (json_object_get(c->resources, uri)) {
        hc__schema_cerr(c, at, "$id", NULL, "duplicate schema URI \"%s\"", uri);
        return NULL;
    }
    if (c->nres == c->capres) {
        size_t ncap = c->capres ? c->capres * 2 : 8;
        hc__resource **nr = realloc(c->res, ncap * sizeof *nr);
        const json_t **nj;
        if (!nr)
            return hc__schema_oom(c), NULL;
        c->res = nr;
        nj = realloc(c->res_json, ncap * sizeof *nj);
        if (!nj)
            return hc__schema_oom(c), NULL;
        c->res_json = nj;
        c->capres = ncap;
    }
    r = hc__arena_alloc(&c->s->arena, sizeof *r);
    if (!r || !(r->uri = hc__arena_strndup(&c->s->arena, uri, strlen(uri))))
        return hc__schema_oom(c), NULL;
    idx = json_integer((json_int_t)c->nres);
    if (!idx || json_object_set_new(c->resources, uri, idx) != 0)
        return hc__schema_oom(c), NULL;
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

/* Names node n "res-uri#name" (for $ref), and for a dynamic anchor also in
 * its resource's dynamic anchor list. kw is for errors. */
static bool add_anchor_name(hc__comp *c, hc__node *n, const char *kw,
                            const char *name, bool dynamic)
{
    char *key;
    size_t len;
    json_t *iv;
    len = strlen(n->res->uri) + strlen(name) + 2;
    key = malloc(len);
    if (!key)
        return hc__schema_oom(c), false;
    snprintf(key, len, "%s#%s", n->res->uri, name);
    if (json_object_get(c->anchors, key)) {
        /* the same node may carry both $anchor and $dynamicAnchor */
        if ((hc__node *)(intptr_t)json_integer_value(
                json_object_get(c->anchors, key)) != n) {
            hc__schema_cerr(c, n, kw, NULL, "duplicate anchor \"%s\" in \"%s\"",
                            name, n->res->uri);
            free(key);
            return false;
        }
    }
    iv = json_integer((json_int_t)(intptr_t)n);
    if (!iv || json_object_set_new(c->anchors, key, iv) != 0) {
        free(key);
        return hc__schema_oom(c), false;
    }
    if (dynamic) {
        hc__resource *r = n->res;
        hc__dyn_anchor *nd;
        json_object_set_new(c->dyn_anchors, key, json_true());
        nd = hc__arena_alloc(&c->s->arena, (r->ndyn + 1) * sizeof *nd);
        if (!nd) {
            free(key);
            return hc__schema_oom(c), false;
        }
        if (r->ndyn)
            memcpy(nd, r->dyn, r->ndyn * sizeof *nd);
        nd[r->ndyn].name = name;
        nd[r->ndyn].node = n;
        r->dyn = nd;
        r->ndyn++;
        /* a dynamic reference may land on it from anywhere in the scope */
        hc__schema_enqueue(c, n);
    }
    free(key);
    return true;
}

static bool add_anchor(hc__comp *c, hc__node *n, const char *kw, bool dynamic)
{
    const json_t *v = json_object_get(n->json, kw);
    if (!v)
        return true;
    if (!json_is_string(v) || !anchor_name_ok(json_string_value(v))) {
        hc__schema_cerr(
            c, n, kw, NULL,
            "%s must be a name: a letter or '_' followed by letters, "
            "digits, '-', '_' or '.'",
            kw);
        return false;
    }
    return add_anchor_name(c, n, kw, json_string_value(v), dynamic);
}

/* The draft a "$schema" URI names (4, 6, 7, 2019, 2020), 0 if none. */
static int draft_of_uri(const char *u)
{
    static const struct {
        const char *uri;
        int draft;
    } drafts[] = {{"json-schema.org/draft-04/schema", 4},
                  {"json-schema.org/draft-06/schema", 6},
                  {"json-schema.org/draft-07/schema", 7},
                  {"json-schema.org/draft/2019-09/schema", 2019},
                  {"json-schema.org/draft/2020-12/schema", 2020}};
    size_t len;
    if (!strncmp(u, "http://", 7))
        u += 7;
    else if (!strncmp(u, "https://", 8))
        u += 8;
    else
        return 0;
    len = strlen(u);
    if (len && u[len - 1] == '#')
        len--;
    for (size_t i = 0; i < sizeof drafts / sizeof drafts[0]; i++)
        if (strlen(drafts[i].uri) == len && !strncmp(u, drafts[i].uri, len))
            return drafts[i].draft;
    return 0;
}

/* Reads resource r's "$schema" (value v) into r->draft: a draft's URI, or
 * a registered meta-schema, whose own "$schema" gives the draft and whose
 * "$vocabulary" may leave out validation. */
static bool read_schema_uri(hc__comp *c, hc__node *n, const json_t *v,
                            hc__resource *r)
{
    const char *u;
    int d, hops = 0;
    if (!json_is_string(v)) {
        hc__schema_cerr(c, n, "$schema", NULL,
                        "$schema must be a string (a meta-schema URI)");
        return false;
    }
    u = json_string_value(v);
    while (!(d = draft_of_uri(u))) {
        const json_t *meta = NULL, *voc;
        size_t ul = strcspn(u, "#");
        if (c->o->registry) {
            char *key = hc__arena_strndup(&c->s->arena, u, ul);
            meta = key ? json_object_get(c->o->registry->docs, key) : NULL;
        }
        if (!meta || ++hops > 8 || !json_is_object(meta) ||
            !json_is_string(json_object_get(meta, "$schema"))) {
            hc__schema_cerr(c, n, "$schema", NULL,
                            "unknown $schema \"%s\": hotconf reads draft-04, "
                            "draft-06, draft-07, 2019-09 and 2020-12 (a custom "
                            "meta-schema must be registered)",
                            json_string_value(v));
            return false;
        }
        voc = json_object_get(meta, "$vocabulary");
        if (json_is_object(voc) && hops == 1)
            r->no_validation =
                !json_object_get(voc,
                                 "https://json-schema.org/draft/2020-12/vocab/"
                                 "validation") &&
                !json_object_get(voc,
                                 "https://json-schema.org/draft/2019-09/vocab/"
                                 "validation");
        u = json_string_value(json_object_get(meta, "$schema"));
    }
    r->draft = d;
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
                                        "additionalItems",
                                        NULL};
static const char *const kw_array[] = {"prefixItems", "allOf", "anyOf",
                                       "oneOf",       "items", NULL};
static const char *const kw_map[] = {"$defs",
                                     "properties",
                                     "patternProperties",
                                     "dependentSchemas",
                                     "definitions",
                                     "dependencies",
                                     NULL};

/* Whether keyword kw (of the lists above, value v) holds subschemas in
 * draft d: the tuple "items" and "additionalItems" up to 2019-09,
 * "prefixItems" from 2020-12, "definitions" before "$defs" and
 * "dependencies" before it split in two. */
static bool kw_in_draft(const char *kw, const json_t *v, int d)
{
    if (!strcmp(kw, "items")) /* a 2020-12 tuple is refused (not a schema) */
        return !json_is_array(v) || d >= 2020;
    if (!strcmp(kw, "additionalItems") || !strcmp(kw, "definitions"))
        return d <= 2019;
    if (!strcmp(kw, "dependencies"))
        return d <= 7;
    return true;
}

static bool kw_array_in_draft(const char *kw, const json_t *v, int d)
{
    if (!strcmp(kw, "items"))
        return json_is_array(v) && d <= 2019;
    if (!strcmp(kw, "prefixItems"))
        return d >= 2020;
    return true;
}

static bool index_child(hc__comp *c, hc__node *parent, const json_t *v,
                        const char *rptr, const char *dptr, int depth,
                        const char *kw, const char *sub)
{
    if (!json_is_object(v) && !json_is_boolean(v)) {
        if (!strcmp(kw, "items") && json_is_array(v))
            hc__schema_cerr(
                c, parent, kw, sub,
                "items must be a schema; draft 2020-12 writes a tuple "
                "with prefixItems");
        else
            hc__schema_cerr(c, parent, kw, sub,
                            "must be a schema (an object or a boolean), not %s",
                            hc__type_name(v));
        return false;
    }
    return hc__index_schema(c, v, parent->base, parent->res, rptr, dptr,
                            parent->doc, depth + 1) != NULL;
}

hc__node *hc__index_schema(hc__comp *c, const json_t *j, const char *base,
                           hc__resource *res, const char *rptr,
                           const char *dptr, int doc, int depth)
{
    hc__node *n = hc__pm_get(c, j);
    const json_t *id, *sch;
    const char *idkw, *anchor = NULL;
    int draft;
    if (n)
        return n; /* the same JSON reached twice (shared by the caller) */
    n = hc__arena_alloc(&c->s->arena, sizeof *n);
    if (!n)
        return hc__schema_oom(c), NULL;
    n->json = j;
    n->doc = doc;
    n->doc_ptr = dptr;
    n->base = base;
    n->res = res;
    if (!hc__pm_put(c, j, n))
        return hc__schema_oom(c), NULL;
    if (depth > HC__SCHEMA_MAX_NESTING) {
        hc__schema_cerr(c, n, NULL, NULL, "schema nested deeper than %d levels",
                        HC__SCHEMA_MAX_NESTING);
        return NULL;
    }
    sch = json_is_object(j) ? json_object_get(j, "$schema") : NULL;
    if (sch && depth == 0 && !read_schema_uri(c, n, sch, res))
        return NULL;
    draft = res->draft;
    idkw = draft == 4 ? "id" : "$id";
    id = json_is_object(j) ? json_object_get(j, idkw) : NULL;
    /* up to draft-07, "$ref" makes its siblings ($id too) be ignored */
    if (draft <= 7 && json_object_get(j, "$ref"))
        id = NULL;
    if (id && !json_is_string(id)) {
        hc__schema_cerr(c, n, idkw, NULL, "%s must be a string", idkw);
        return NULL;
    }
    if (id && draft <= 7 && json_string_value(id)[0] == '#') {
        /* "#name" names this location in the draft-06/07 style */
        const char *a = json_string_value(id) + 1;
        if (*a && !anchor_name_ok(a)) {
            hc__schema_cerr(c, n, idkw, NULL,
                            "%s \"#%s\" must be a name: a letter or '_' "
                            "followed by letters, digits, '-', '_' or '.'",
                            idkw, a);
            return NULL;
        }
        anchor = *a ? a : NULL;
        id = NULL;
    }
    if (id) {
        char *uri;
        size_t ul;
        uri = hc__uri_resolve(base, json_string_value(id));
        if (!uri)
            return hc__schema_oom(c), NULL;
        ul = strcspn(uri, "#");
        if (uri[ul] == '#' && uri[ul + 1]) {
            if (draft > 7) {
                hc__schema_cerr(
                    c, n, idkw, NULL,
                    "$id must not have a fragment (use $anchor): \"%s\"",
                    json_string_value(id));
                free(uri);
                return NULL;
            }
            anchor =
                json_string_value(id) + strcspn(json_string_value(id), "#") + 1;
        }
        uri[ul] = '\0';
        /* a registered document's own $id equal to its URI: one resource */
        if (!(depth == 0 && !strcmp(res->uri, uri))) {
            int pd = res->draft;
            bool pnv = res->no_validation;
            res = add_resource(c, uri, j, n);
            if (!res) {
                free(uri);
                return NULL;
            }
            res->draft = pd;
            res->no_validation = pnv;
            if (sch && !read_schema_uri(c, n, sch, res)) {
                free(uri);
                return NULL;
            }
            draft = res->draft;
        }
        n->base = res->uri;
        n->res = res;
        rptr = "";
        free(uri);
    }
    n->loc =
        hc__arena_alloc(&c->s->arena, strlen(n->res->uri) + strlen(rptr) + 2);
    if (!n->loc)
        return hc__schema_oom(c), NULL;
    snprintf((char *)n->loc, strlen(n->res->uri) + strlen(rptr) + 2, "%s#%s",
             n->res->uri, rptr);
    if (!json_is_object(j))
        return n;
    if (anchor && !add_anchor_name(c, n, idkw, anchor, false))
        return NULL;
    if (draft >= 2019 && !add_anchor(c, n, "$anchor", false))
        return NULL;
    if (draft >= 2020 && !add_anchor(c, n, "$dynamicAnchor", true))
        return NULL;
    if (draft == 2019 && json_is_true(json_object_get(j, "$recursiveAnchor")) &&
        !add_anchor_name(c, n, "$recursiveAnchor", HC__RECURSIVE_ANCHOR, true))
        return NULL;

    for (int i = 0; kw_single[i]; i++) {
        const json_t *v = json_object_get(j, kw_single[i]);
        if (v && kw_in_draft(kw_single[i], v, draft) &&
            !index_child(
                c, n, v,
                hc__ptr_join(c, rptr, kw_single[i], strlen(kw_single[i])),
                hc__ptr_join(c, n->doc_ptr, kw_single[i], strlen(kw_single[i])),
                depth, kw_single[i], NULL))
            return NULL;
    }
    for (int i = 0; kw_array[i]; i++) {
        const char *kw = kw_array[i];
        const json_t *v = json_object_get(j, kw);
        const char *kr, *kd;
        if (!v || !kw_array_in_draft(kw, v, draft))
            continue;
        /* (a tuple of items may be empty) */
        if (!json_is_array(v) ||
            (json_array_size(v) == 0 && strcmp(kw, "items"))) {
            hc__schema_cerr(c, n, kw, NULL,
                            "%s must be a non-empty array of schemas", kw);
            return NULL;
        }
        kr = hc__ptr_join(c, rptr, kw, strlen(kw));
        kd = hc__ptr_join(c, n->doc_ptr, kw, strlen(kw));
        for (size_t k = 0; k < json_array_size(v); k++) {
            char sub[32];
            snprintf(sub, sizeof sub, "%zu", k);
            if (!index_child(c, n, json_array_get(v, k),
                             hc__ptr_index(c, kr, k), hc__ptr_index(c, kd, k),
                             depth, kw, sub))
                return NULL;
        }
    }
    for (int i = 0; kw_map[i]; i++) {
        const json_t *v = json_object_get(j, kw_map[i]);
        const char *kr, *kd, *key;
        size_t kl;
        json_t *m;
        bool deps = !strcmp(kw_map[i], "dependencies");
        if (!v || !kw_in_draft(kw_map[i], v, draft))
            continue;
        if (!json_is_object(v)) {
            hc__schema_cerr(c, n, kw_map[i], NULL,
                            "%s must be an object whose values are schemas",
                            kw_map[i]);
            return NULL;
        }
        kr = hc__ptr_join(c, rptr, kw_map[i], strlen(kw_map[i]));
        kd = hc__ptr_join(c, n->doc_ptr, kw_map[i], strlen(kw_map[i]));
        json_object_keylen_foreach((json_t *)v, key, kl, m)
        {
            if (deps && json_is_array(m))
                continue; /* property names, not a schema */
            if (!index_child(c, n, m, hc__ptr_join(c, kr, key, kl),
                             hc__ptr_join(c, kd, key, kl), depth, kw_map[i],
                             key))
                return NULL;
        }
    }
    return n;
}

bool hc__index_document(hc__comp *c, const json_t *doc, const char *uri,
                        int docno, int draft)
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
    r->draft = draft;
    return hc__index_schema(c, doc, r->uri, r, "", "", docno, 0) != NULL;
}

void hc__schema_enqueue(hc__comp *c, hc__node *n)
{
    if (n->compiled)
        return;
    n->compiled = 1; /* queued */
    if (c->nq == c->capq) {
        size_t ncap = c->capq ? c->capq * 2 : 64;
        hc__node **nq = realloc(c->queue, ncap * sizeof *nq);
        if (!nq) {
            hc__schema_oom(c);
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
static const json_t *walk_pointer(hc__comp *c, const json_t *root,
                                  const char *p, hc__node **last,
                                  const char **rest)
{
    const json_t *cur = root;
    *last = hc__pm_get(c, root);
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
            hc__node *n = hc__pm_get(c, cur);
            if (n) {
                *last = n;
                *rest = p;
            }
        }
    }
    return cur;
}

/* Indexes registered document doc as uri (its draft, if it has no
 * "$schema", that of the schema referring to it). */
static bool load_registered(hc__comp *c, const char *uri, json_t *doc,
                            int draft)
{
    if (!doc || json_array_append_new(c->s->docs, doc) != 0)
        return hc__schema_oom(c), false;
    return hc__index_document(c, doc, uri, 1, draft);
}

/* The resource index of uri, indexing a registered document when it is
 * first referred to (so one that is never used cannot fail the compile). */
static json_t *find_resource(hc__comp *c, const hc__node *from, const char *uri)
{
    json_t *ri = json_object_get(c->resources, uri), *doc;
    const json_t *meta;
    const char *key;
    if (ri)
        return ri;
    doc = c->o->registry ? json_object_get(c->o->registry->docs, uri) : NULL;
    meta = doc ? NULL : hc__metaschema(uri);
    if (doc || meta)
        /* the compiled schema keeps its own copy of what it points into */
        return load_registered(c, uri,
                               doc ? json_incref(doc) : json_deep_copy(meta),
                               from->res->draft)
                   ? json_object_get(c->resources, uri)
                   : NULL;
    if (!c->o->registry)
        return NULL;
    /* maybe an "$id" inside a registered document: index them all */
    json_object_foreach(c->o->registry->docs, key, doc)
    {
        if (!json_object_get(c->resources, key) &&
            !load_registered(c, key, json_incref(doc), from->res->draft))
            return NULL;
    }
    return json_object_get(c->resources, uri);
}

/* Resolves ref (from keyword kw of node from). For $dynamicRef, *dyn gets
 * the anchor name when the initial target carries that $dynamicAnchor. */
hc__node *hc__ref_resolve(hc__comp *c, hc__node *from, const char *kw,
                          const char *ref, const char **dyn)
{
    char *full = hc__uri_resolve(from->base, ref);
    char *hash, *frag = NULL;
    hc__node *target = NULL;
    json_t *ri;
    if (!full)
        return hc__schema_oom(c), NULL;
    hash = strchr(full, '#');
    if (hash) {
        *hash = '\0';
        frag = hash + 1;
    }
    ri = find_resource(c, from, full);
    if (c->failed)
        goto out;
    if (!frag || !*frag || *frag == '/') {
        size_t dlen;
        char *decoded;
        const json_t *tj;
        hc__node *last;
        const char *rest;
        if (!ri) {
            hc__schema_cerr(
                c, from, kw, NULL,
                "cannot resolve \"%s\": no schema has the URI \"%s\" "
                "(remote schemas are never fetched; register the "
                "document with hc_schema_registry_add)",
                ref, full);
            goto out;
        }
        decoded =
            hc__uri_unescape(frag ? frag : "", frag ? strlen(frag) : 0, &dlen);
        if (!decoded) {
            hc__schema_cerr(c, from, kw, NULL, "bad %%-escape in \"%s\"", ref);
            goto out;
        }
        tj = walk_pointer(c, c->res_json[json_integer_value(ri)], decoded,
                          &last, &rest);
        if (!tj) {
            hc__schema_cerr(
                c, from, kw, NULL,
                "cannot resolve \"%s\": no value at \"#%s\" in \"%s\"", ref,
                decoded, full);
            free(decoded);
            goto out;
        }
        target = hc__pm_get(c, tj);
        if (!target) {
            /* inside an unknown keyword: index it with the base of the
             * nearest schema above it */
            if (!json_is_object(tj) && !json_is_boolean(tj)) {
                hc__schema_cerr(c, from, kw, NULL,
                                "\"%s\" points to %s, which is not a schema",
                                ref, hc__type_name(tj));
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
                    hc__schema_oom(c);
                    goto out;
                }
                sprintf(rp, "%s%s", lr, rest);
                sprintf(dp, "%s%s", last->doc_ptr, rest);
                target = hc__index_schema(c, tj, last->base, last->res, rp, dp,
                                          last->doc, 1);
            }
        }
        free(decoded);
    } else {
        char *key = malloc(strlen(full) + strlen(frag) + 2);
        json_t *a;
        if (!key) {
            hc__schema_oom(c);
            goto out;
        }
        sprintf(key, "%s#%s", full, frag);
        a = json_object_get(c->anchors, key);
        if (!a) {
            if (!ri)
                hc__schema_cerr(
                    c, from, kw, NULL,
                    "cannot resolve \"%s\": no schema has the URI "
                    "\"%s\" "
                    "(remote schemas are never fetched; register the "
                    "document with hc_schema_registry_add)",
                    ref, full);
            else
                hc__schema_cerr(c, from, kw, NULL,
                                "cannot resolve \"%s\": no $anchor "
                                "\"%s\" in \"%s\"",
                                ref, frag, full);
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
