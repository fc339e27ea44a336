/*
 * diff.c - structural diff of two documents into a list of changes with
 * hc_get-style paths. Objects are compared key by key (old's key order,
 * then keys only in new), arrays index by index; a type change is a single
 * "changed". The changeset keeps references to the values so the caller
 * may drop the documents before reading it.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct change_item {
    hc_change pub;
    char *path;
} change_item;

struct hc_changeset {
    change_item *items;
    size_t count, cap;
    int failed; /* ENOMEM while building */
};

/* The path to the value being compared, kept as segments and written out
 * as text only when a change is recorded: most values of a reload are
 * equal, and formatting every path was most of the diff's cost. */
typedef struct seg {
    const char *key; /* NULL: an array index */
    size_t index;
} seg;

typedef struct pathbuf {
    char *s; /* the text, for add() */
    size_t cap, len;
    seg *segs;
    size_t nsegs, segs_cap;
} pathbuf;

static int pb_grow(pathbuf *pb)
{
    size_t ncap = pb->cap ? pb->cap * 2 : 256;
    char *n = realloc(pb->s, ncap);
    if (!n)
        return -1;
    pb->s = n;
    pb->cap = ncap;
    return 0;
}

static int pb_push(pathbuf *pb, const char *key, size_t index)
{
    if (pb->nsegs == pb->segs_cap) {
        size_t ncap = pb->segs_cap ? pb->segs_cap * 2 : 16;
        seg *ns = realloc(pb->segs, ncap * sizeof *ns);
        if (!ns)
            return -1;
        pb->segs = ns;
        pb->segs_cap = ncap;
    }
    pb->segs[pb->nsegs].key = key;
    pb->segs[pb->nsegs].index = index;
    pb->nsegs++;
    return 0;
}

/* Writes the segments out as hc_get-style text into pb->s. */
static int pb_text(pathbuf *pb)
{
    pb->len = 0;
    if (!pb->s && pb_grow(pb) != 0)
        return -1;
    pb->s[0] = '\0';
    for (size_t i = 0; i < pb->nsegs; i++) {
        int n;
        while ((n = pb->segs[i].key
                        ? hc_path_append_key(pb->s, pb->cap, pb->len,
                                             pb->segs[i].key)
                        : hc_path_append_index(pb->s, pb->cap, pb->len,
                                               pb->segs[i].index)) < 0)
            if (pb_grow(pb) != 0)
                return -1;
        pb->len = (size_t)n;
    }
    return 0;
}

static void add(hc_changeset *cs, hc_change_op op, pathbuf *pb, const json_t *o,
                const json_t *n)
{
    change_item *it;
    if (cs->failed)
        return;
    if (pb_text(pb) != 0) {
        cs->failed = 1;
        return;
    }
    if (cs->count == cs->cap) {
        size_t ncap = cs->cap ? cs->cap * 2 : 8;
        change_item *ni = realloc(cs->items, ncap * sizeof *ni);
        if (!ni) {
            cs->failed = 1;
            return;
        }
        cs->items = ni;
        cs->cap = ncap;
    }
    it = &cs->items[cs->count];
    it->path = strdup(pb->s);
    if (!it->path) {
        cs->failed = 1;
        return;
    }
    it->pub.op = op;
    it->pub.path = it->path;
    /* Atomic loads too (hc_doc_retain): the engine diffs a live document
     * on one thread while a delivery worker frees an older changeset that
     * holds the same values on another. */
    it->pub.old_value = hc_doc_retain((json_t *)o);
    it->pub.new_value = hc_doc_retain((json_t *)n);
    cs->count++;
}

static void diff_value(hc_changeset *cs, pathbuf *pb, const json_t *o,
                       const json_t *n);

/* A path segment is written only where a change is recorded or a
 * container is entered: most values of a reload are equal scalars, and
 * formatting their paths was most of the diff's cost. */
static int scalar_differs(const json_t *o, const json_t *n)
{
    if (o == n)
        return 0;
    if (json_typeof(o) != json_typeof(n))
        return 1;
    switch (json_typeof(o)) {
    case JSON_STRING:
        return json_string_length(o) != json_string_length(n) ||
               memcmp(json_string_value(o), json_string_value(n),
                      json_string_length(o)) != 0;
    case JSON_INTEGER: return json_integer_value(o) != json_integer_value(n);
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL: return 0;
    default: return !json_equal(o, n);
    }
}

static int is_container(const json_t *v)
{
    return json_is_object(v) || json_is_array(v);
}

static void diff_object(hc_changeset *cs, pathbuf *pb, const json_t *o,
                        const json_t *n)
{
    size_t base = pb->nsegs, found = 0;
    const char *k;
    json_t *ov, *nv;
    /* Both objects usually hold the same keys in the same order (jansson
     * keeps insertion order): walk n alongside o and look a key up only
     * where the orders part. */
    void *in = json_object_iter((json_t *)n);
    json_object_foreach((json_t *)o, k, ov)
    {
        size_t klen = json_object_iter_key_len(
            json_object_key_to_iter(k)); /* o's key: no lookup */
        if (in && json_object_iter_key_len(in) == klen &&
            memcmp(json_object_iter_key(in), k, klen) == 0) {
            nv = json_object_iter_value(in);
            in = json_object_iter_next((json_t *)n, in);
        } else {
            in = NULL;
            nv = json_object_getn(n, k, klen);
        }
        if (nv) {
            found++;
            if (ov == nv ||
                (!(is_container(ov) && json_typeof(ov) == json_typeof(nv)) &&
                 !scalar_differs(ov, nv)))
                continue;
        }
        if (pb_push(pb, k, 0) != 0) {
            cs->failed = 1;
            return;
        }
        if (!nv)
            add(cs, HC_CHANGE_REMOVED, pb, ov, NULL);
        else
            diff_value(cs, pb, ov, nv);
        pb->nsegs = base;
    }
    /* every key of n was found in o: none was added (keys are unique) */
    if (found == json_object_size(n))
        return;
    json_object_foreach((json_t *)n, k, nv)
    {
        if (json_object_get(o, k))
            continue;
        if (pb_push(pb, k, 0) != 0) {
            cs->failed = 1;
            return;
        }
        add(cs, HC_CHANGE_ADDED, pb, NULL, nv);
        pb->nsegs = base;
    }
}

static void diff_array(hc_changeset *cs, pathbuf *pb, const json_t *o,
                       const json_t *n)
{
    size_t base = pb->nsegs;
    size_t no = json_array_size(o), nn = json_array_size(n);
    size_t max = no > nn ? no : nn;
    for (size_t i = 0; i < max && !cs->failed; i++) {
        const json_t *ov = json_array_get(o, i), *nv = json_array_get(n, i);
        if (ov && nv &&
            (ov == nv ||
             (!(is_container(ov) && json_typeof(ov) == json_typeof(nv)) &&
              !scalar_differs(ov, nv))))
            continue;
        if (pb_push(pb, NULL, i) != 0) {
            cs->failed = 1;
            return;
        }
        if (i >= nn)
            add(cs, HC_CHANGE_REMOVED, pb, ov, NULL);
        else if (i >= no)
            add(cs, HC_CHANGE_ADDED, pb, NULL, nv);
        else
            diff_value(cs, pb, ov, nv);
        pb->nsegs = base;
    }
}

static void diff_value(hc_changeset *cs, pathbuf *pb, const json_t *o,
                       const json_t *n)
{
    if (o == n)
        return;
    if (json_is_object(o) && json_is_object(n))
        diff_object(cs, pb, o, n);
    else if (json_is_array(o) && json_is_array(n))
        diff_array(cs, pb, o, n);
    else if (scalar_differs(o, n))
        add(cs, HC_CHANGE_CHANGED, pb, o, n);
}

hc_changeset *hc_diff(const json_t *old_doc, const json_t *new_doc)
{
    hc_changeset *cs = calloc(1, sizeof *cs);
    pathbuf pb = {NULL, 0, 0, NULL, 0, 0};
    json_t *empty = NULL;
    if (!cs)
        return NULL;
    /* "no document" against an object is an empty object, so a first load
     * lists its top-level keys as added */
    if (!old_doc && json_is_object(new_doc))
        old_doc = empty = json_object();
    else if (!new_doc && json_is_object(old_doc))
        new_doc = empty = json_object();
    if (!old_doc && new_doc)
        add(cs, HC_CHANGE_ADDED, &pb, NULL, new_doc);
    else if (old_doc && !new_doc)
        add(cs, HC_CHANGE_REMOVED, &pb, old_doc, NULL);
    else if (old_doc && new_doc)
        diff_value(cs, &pb, old_doc, new_doc);
    free(pb.s);
    free(pb.segs);
    json_decref(empty);
    if (cs->failed) {
        hc_changeset_free(cs);
        return NULL;
    }
    return cs;
}

size_t hc_changeset_count(const hc_changeset *cs)
{
    return cs ? cs->count : 0;
}

const hc_change *hc_changeset_at(const hc_changeset *cs, size_t i)
{
    if (!cs || i >= cs->count)
        return NULL;
    return &cs->items[i].pub;
}

void hc_changeset_free(hc_changeset *cs)
{
    if (!cs)
        return;
    for (size_t i = 0; i < cs->count; i++) {
        free(cs->items[i].path);
        hc_doc_release((json_t *)cs->items[i].pub.old_value);
        hc_doc_release((json_t *)cs->items[i].pub.new_value);
    }
    free(cs->items);
    free(cs);
}

const char *hc_change_op_name(hc_change_op op)
{
    switch (op) {
    case HC_CHANGE_ADDED: return "added";
    case HC_CHANGE_REMOVED: return "removed";
    case HC_CHANGE_CHANGED:
    default: return "changed";
    }
}

json_t *hc_changeset_to_json(const hc_changeset *cs)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; cs && i < cs->count; i++) {
        const hc_change *c = &cs->items[i].pub;
        json_t *o = json_object();
        if (!o)
            goto fail;
        json_object_set_new(o, "path", json_string(c->path));
        json_object_set_new(o, "op", json_string(hc_change_op_name(c->op)));
        if (c->old_value)
            json_object_set(o, "old", (json_t *)c->old_value);
        if (c->new_value)
            json_object_set(o, "new", (json_t *)c->new_value);
        if (json_array_append_new(arr, o) != 0)
            goto fail;
    }
    return arr;
fail:
    json_decref(arr);
    return NULL;
}

/*
 * Where path stands against prefix, segment by segment: 0 unrelated, 1 path
 * is prefix or under it, 2 path is an ancestor of prefix (*rest is then the
 * rest of prefix, relative to path). Paths compare in hc_get syntax, so a
 * segment ends at '.', '[' or the end: "database" is an ancestor of
 * "database.host" and of "database[0]", never of "databases".
 */
static int path_relation(const char *path, const char *prefix,
                         const char **rest)
{
    size_t lp = strlen(path), lx = strlen(prefix);
    if (lx == 0)
        return 1;
    if (lp >= lx && memcmp(path, prefix, lx) == 0)
        return (path[lx] == '\0' || path[lx] == '.' || path[lx] == '[') ? 1 : 0;
    if (lp == 0 || (lp < lx && memcmp(path, prefix, lp) == 0 &&
                    (prefix[lp] == '.' || prefix[lp] == '['))) {
        *rest = prefix + lp + (lp > 0 && prefix[lp] == '.');
        return 2;
    }
    return 0;
}

int hc_changeset_touches(const hc_changeset *cs, const char *prefix)
{
    if (!prefix)
        prefix = "";
    for (size_t i = 0; cs && i < cs->count; i++) {
        const hc_change *c = &cs->items[i].pub;
        const char *rest = NULL;
        switch (path_relation(c->path, prefix, &rest)) {
        case 1: return 1;
        case 2: {
            /* A whole parent was added, removed or replaced: the prefix is
             * touched when the value under it differs. */
            const json_t *o = c->old_value ? hc_get(c->old_value, rest) : NULL;
            const json_t *n = c->new_value ? hc_get(c->new_value, rest) : NULL;
            if ((o || n) && !(o && n && json_equal(o, n)))
                return 1;
            break;
        }
        default: break;
        }
    }
    return 0;
}
