/*
 * snapshot.c - the live snapshots and how readers reach them without a
 * lock.
 *
 * A snapshot is immutable (document, version, hash). Each config holds an
 * atomic pointer to its live one; a commit swaps it and retires the old
 * one (hazard.c frees it once no reader holds it). hc_config_get finds the
 * config in an open-addressing index that is never modified in a way a
 * reader could see half-done: a slot goes from empty to a pointer to an
 * immutable key node exactly once (release store), an unwatched config
 * stays in place with its live pointer cleared, and growing or compacting
 * builds a new table, publishes it and retires the old one, taking the
 * dead configs with it. So a reader protects the table (hazard slot 0),
 * probes, protects the snapshot (slot 1), takes a document reference and
 * drops both: a few atomic operations, no waiting, never a torn config.
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

json_t *hc_doc_retain(json_t *doc)
{
    /* (size_t)-1 marks jansson's static true/false/null. */
    if (doc && __atomic_load_n(&doc->refcount, __ATOMIC_RELAXED) != (size_t)-1)
        __atomic_add_fetch(&doc->refcount, 1, __ATOMIC_RELAXED);
    return doc;
}

void hc_doc_release(json_t *doc)
{
    /* acq_rel: the thread that frees sees every other thread's last use
     * (jansson's own decrement is release only). */
    if (doc &&
        __atomic_load_n(&doc->refcount, __ATOMIC_RELAXED) != (size_t)-1 &&
        __atomic_sub_fetch(&doc->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        json_delete(doc);
}

static void snapshot_destroy(void *p)
{
    hc__snapshot *s = p;
    hc_doc_release(s->doc);
    free(s);
}

hc__snapshot *hc__snapshot_new(json_t *doc, uint64_t version, uint64_t hash)
{
    hc__snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->doc = doc;
    s->version = version;
    s->hash = hash;
    return s;
}

void hc__snapshot_publish(hc_engine *e, hc__config *c, hc__snapshot *s)
{
    hc__snapshot *old = atomic_exchange(&c->live, s);
    if (old)
        hc__retire(&e->retired, &old->retire, old, snapshot_destroy);
}

/* ---- the index ----------------------------------------------------------- */

static void index_destroy(void *p)
{
    hc__index *t = p;
    for (size_t i = 0; i < t->ndead; i++)
        hc__config_destroy(t->dead[i]);
    free(t->dead);
    free(t);
}

static hc__index *index_alloc(size_t cap)
{
    hc__index *t = calloc(1, sizeof *t + cap * sizeof t->slots[0]);
    if (!t)
        return NULL;
    t->mask = cap - 1;
    for (size_t i = 0; i < cap; i++)
        atomic_init(&t->slots[i], NULL);
    return t;
}

static void index_place(hc__index *t, hc__inode *n)
{
    size_t i = n->hash & t->mask;
    while (atomic_load_explicit(&t->slots[i], memory_order_relaxed))
        i = (i + 1) & t->mask;
    /* Release: a reader that sees the node sees its fields and config. */
    atomic_store_explicit(&t->slots[i], n, memory_order_release);
    t->used++;
}

/* Builds a table holding the configs still needed plus room for extra
 * keys, publishes it and retires the old one with the dropped configs. */
static int index_rebuild(hc_engine *e, size_t extra)
{
    hc__index *old = atomic_load_explicit(&e->index, memory_order_relaxed);
    hc__index *t;
    size_t keep = extra, cap = 16, ndead = 0;
    hc__config **dead = NULL;

    if (old) {
        for (size_t i = 0; i <= old->mask; i++) {
            hc__inode *n =
                atomic_load_explicit(&old->slots[i], memory_order_relaxed);
            if (!n)
                continue;
            if (!n->config->dead || n->config->refs > 0)
                keep++;
            else if (n == &n->config->keys[0])
                ndead++;
        }
    }
    while (cap < keep * 4)
        cap *= 2;
    t = index_alloc(cap);
    if (!t)
        return -1;
    if (ndead && !(dead = malloc(ndead * sizeof *dead))) {
        free(t);
        return -1;
    }
    ndead = 0;
    if (old) {
        for (size_t i = 0; i <= old->mask; i++) {
            hc__inode *n =
                atomic_load_explicit(&old->slots[i], memory_order_relaxed);
            if (!n)
                continue;
            if (!n->config->dead || n->config->refs > 0)
                index_place(t, n);
            else if (n == &n->config->keys[0])
                dead[ndead++] = n->config;
        }
    }
    atomic_store_explicit(&e->index, t, memory_order_release);
    if (old) {
        old->dead = dead;
        old->ndead = ndead;
        hc__retire(&e->retired, &old->retire, old, index_destroy);
    }
    return 0;
}

int hc__index_insert(hc_engine *e, hc__config *c)
{
    hc__index *t = atomic_load_explicit(&e->index, memory_order_relaxed);
    if (!t || (t->used + (size_t)c->nkeys) * 2 > t->mask + 1) {
        if (index_rebuild(e, (size_t)c->nkeys) != 0)
            return -1;
        t = atomic_load_explicit(&e->index, memory_order_relaxed);
    }
    for (int i = 0; i < c->nkeys; i++)
        index_place(t, &c->keys[i]);
    return 0;
}

hc__config *hc__index_find(hc_engine *e, const char *path)
{
    hc__index *t = atomic_load_explicit(&e->index, memory_order_relaxed);
    uint64_t h;
    if (!t)
        return NULL;
    h = hc__hash_str(path);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        hc__inode *n = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
        if (!n)
            return NULL;
        if (n->hash == h && !n->config->dead && strcmp(n->key, path) == 0)
            return n->config;
    }
}

void hc__index_free_all(hc_engine *e)
{
    hc__index *t = atomic_exchange(&e->index, NULL);
    hc__config **list;
    size_t n = 0;
    if (!t)
        return;
    /* Collect first: a config holds both of its key nodes. */
    list = malloc((t->mask + 1) * sizeof *list);
    for (size_t i = 0; list && i <= t->mask; i++) {
        hc__inode *node = atomic_load(&t->slots[i]);
        if (node && node == &node->config->keys[0])
            list[n++] = node->config;
    }
    for (size_t i = 0; i < n; i++)
        hc__config_destroy(list[i]);
    free(list);
    free(t);
}

/* ---- readers --------------------------------------------------------------
 */

/* The hazard-pointer protect step, written once: read src, publish it in
 * slot, read src again; only when it has not changed may var be used (a
 * writer that retired it after our publication sees the hazard and defers
 * the free). A macro so that var and src keep their own pointer types. */
#define PROTECT(var, slot, src)                                                \
    do {                                                                       \
        (var) = atomic_load(src);                                              \
        for (;;) {                                                             \
            atomic_store((slot), (void *)(var));                               \
            if (atomic_load(src) == (var))                                     \
                break;                                                         \
            (var) = atomic_load(src);                                          \
        }                                                                      \
    } while (0)

static json_t *lookup(hc_engine *e, hc__hprec *r, const char *path,
                      uint64_t *version)
{
    hc__index *t;
    json_t *doc = NULL;
    uint64_t h;

    PROTECT(t, &r->hp[0], &e->index);
    if (!t)
        goto out;
    h = hc__hash_str(path);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        hc__inode *n = atomic_load_explicit(&t->slots[i], memory_order_acquire);
        hc__config *c;
        hc__snapshot *s;
        if (!n)
            break;
        if (n->hash != h || strcmp(n->key, path) != 0)
            continue;
        c = n->config;
        PROTECT(s, &r->hp[1], &c->live);
        if (!s)
            continue; /* unwatched, or never valid: a later key may match */
        doc = hc_doc_retain(s->doc);
        if (version)
            *version = s->version;
        break;
    }
out:
    atomic_store_explicit(&r->hp[1], NULL, memory_order_release);
    atomic_store_explicit(&r->hp[0], NULL, memory_order_release);
    return doc;
}

json_t *hc_config_snapshot(hc_engine *e, const char *path, uint64_t *version)
{
    hc__hprec *r;
    json_t *doc;
    char *abs;

    if (version)
        *version = 0;
    if (!e || !path || !(r = hc__hp_self()))
        return NULL;
    doc = lookup(e, r, path, version);
    if (doc)
        return doc;
    /* Not found as given: try the absolute, clean form (a getcwd call;
     * only for paths not spelled the way they were watched). */
    abs = hc__path_absolute(path);
    if (abs && strcmp(abs, path) != 0)
        doc = lookup(e, r, abs, version);
    free(abs);
    return doc;
}

json_t *hc_config_get(hc_engine *e, const char *path)
{
    return hc_config_snapshot(e, path, NULL);
}
