/*
 * memory.c - the memory history store: per config, a ring of the last
 * N + 1 versions (the live one and N to roll back to), content and
 * parsed document kept, nothing persisted; and a ring of the last
 * HC__MEM_ATTEMPTS reload attempts (the dashboard's attempt log without a
 * state store), each with at most HC__MEM_ATTEMPT_PATHS changed paths so
 * that a first load of a large document costs a bounded copy, its error
 * text masked as the SQLite store's is (src/mask.h). Both rings
 * grow on demand up to their size (most configs never change: one entry,
 * not eleven). One mutex for the store, since list and get may run
 * on any thread while an applying thread appends: every op under it is a
 * few copies, and a mutex per config would cost 40 bytes each.
 */
#include "mask.h"
#include "stores/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_version {
    hc_version_info info;
    char *content;
    json_t *doc;
} mem_version;

#define HC__MEM_ATTEMPTS      100
#define HC__MEM_ATTEMPT_PATHS 32

typedef struct mem_ring {
    hc_format format;
    mem_version *ring;
    int cap;  /* allocated entries, grows up to size */
    int size; /* versions kept: depth + 1 */
    int count;
    int head; /* index of the newest */
    /* the attempt log, the same way (size HC__MEM_ATTEMPTS) */
    hc_attempt_info *att;
    int att_cap, att_count, att_head;
} mem_ring;

static void version_clear(mem_version *v)
{
    free(v->content);
    hc_doc_release(v->doc);
    memset(v, 0, sizeof *v);
}

typedef struct mem_store {
    pthread_mutex_t lock;
} mem_store;

#define LOCK(s)   pthread_mutex_lock(&((mem_store *)(s)->state)->lock)
#define UNLOCK(s) pthread_mutex_unlock(&((mem_store *)(s)->state)->lock)

static int mem_open(hc__store *s, const hc_engine_options *opts)
{
    mem_store *m = calloc(1, sizeof *m);
    (void)opts;
    if (!m)
        return HC_ENOMEM;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return HC_ENOMEM;
    }
    s->state = m;
    return 0;
}

static int mem_attach(hc__store *s, const char *id, hc_format format, int depth,
                      void **cfg, uint64_t *last_version)
{
    mem_ring *r = calloc(1, sizeof *r);
    (void)s;
    (void)id;
    if (!r)
        return HC_ENOMEM;
    r->format = format;
    r->size = depth + 1;
    *cfg = r;
    *last_version = 0;
    return 0;
}

/* Reallocates the ring to ncap entries, oldest first. */
static int ring_grow(mem_ring *r, int ncap)
{
    mem_version *nr = calloc((size_t)ncap, sizeof *nr);
    if (!nr)
        return HC_ENOMEM;
    for (int i = 0; i < r->count; i++)
        nr[i] = r->ring[(r->head - (r->count - 1) + i + r->cap) % r->cap];
    free(r->ring);
    r->ring = nr;
    r->cap = ncap;
    r->head = r->count - 1;
    return 0;
}

static mem_version *at(mem_ring *r, int n)
{
    if (n < 0 || n >= r->count)
        return NULL;
    return &r->ring[(r->head - n + r->cap) % r->cap];
}

static int push(mem_ring *r, const mem_version *v)
{
    if (r->count == r->size) {
        /* Full: the slot after the newest holds the oldest. */
        int oldest = (r->head + 1) % r->cap;
        version_clear(&r->ring[oldest]);
        r->ring[oldest] = *v;
        r->head = oldest;
        return 0;
    }
    if (r->count == r->cap) {
        int ncap = r->cap ? r->cap * 2 : 1;
        if (ncap > r->size)
            ncap = r->size;
        if (ring_grow(r, ncap) != 0)
            return HC_ENOMEM;
    }
    r->head = r->count == 0 ? 0 : (r->head + 1) % r->cap;
    r->ring[r->head] = *v;
    r->count++;
    return 0;
}

static int mem_append(hc__store *s, void *cfg, const hc__store_version *v)
{
    mem_ring *r = cfg;
    mem_version mv;
    int rc;
    (void)s;
    mv.content = malloc(v->size + 1);
    if (!mv.content)
        return HC_ENOMEM;
    memcpy(mv.content, v->content, v->size);
    mv.content[v->size] = '\0';
    mv.info.version = v->version;
    mv.info.time_ns = v->applied_ns;
    mv.info.hash = v->hash;
    mv.info.size = v->size;
    mv.info.trigger = v->trigger;
    mv.doc = hc_doc_retain(v->doc);
    LOCK(s);
    rc = push(r, &mv);
    UNLOCK(s);
    if (rc != 0)
        version_clear(&mv);
    return rc;
}

static int mem_list(hc__store *s, void *cfg, hc_version_info *out, int max)
{
    mem_ring *r = cfg;
    int n;
    (void)s;
    LOCK(s);
    n = r->count;
    for (int i = 0; i < n && i < max; i++)
        out[i] = at(r, i)->info;
    UNLOCK(s);
    return n;
}

static int mem_get(hc__store *s, void *cfg, uint64_t version, int back,
                   hc__store_got *out)
{
    mem_ring *r = cfg;
    mem_version *v = NULL;
    int rc = 0;
    (void)s;
    memset(out, 0, sizeof *out);
    LOCK(s);
    if (version) {
        for (int i = 0; i < r->count && !v; i++)
            if (at(r, i)->info.version == version)
                v = at(r, i);
    } else {
        v = at(r, back);
    }
    if (!v) {
        rc = HC_EHISTORY;
    } else if (!(out->content = malloc(v->info.size + 1))) {
        rc = HC_ENOMEM;
    } else {
        memcpy(out->content, v->content, v->info.size + 1);
        out->info = v->info;
        out->format = r->format;
        out->doc = hc_doc_retain(v->doc);
    }
    UNLOCK(s);
    return rc;
}

static int mem_prune(hc__store *s, void *cfg, int keep)
{
    mem_ring *r = cfg;
    (void)s;
    LOCK(s);
    while (r->count > keep && r->count > 0) {
        version_clear(at(r, r->count - 1));
        r->count--;
    }
    UNLOCK(s);
    return 0;
}

static void mem_detach(hc__store *s, void *cfg, int forget)
{
    mem_ring *r = cfg;
    (void)s;
    (void)forget; /* nothing outlives the process anyway */
    if (!r)
        return;
    for (int i = 0; i < r->count; i++)
        version_clear(at(r, i));
    free(r->ring);
    hc_attempt_info_free(r->att, r->att_cap);
    free(r->att);
    free(r);
}

static void mem_close(hc__store *s)
{
    mem_store *m = s->state;
    if (m) {
        pthread_mutex_destroy(&m->lock);
        free(m);
    }
    s->state = NULL;
}

/* ---- the attempt log ------------------------------------------------- */

static int att_push(mem_ring *r, const hc_attempt_info *a)
{
    if (r->att_count == HC__MEM_ATTEMPTS) {
        /* Full: the slot after the newest holds the oldest. */
        int oldest = (r->att_head + 1) % r->att_cap;
        hc_attempt_info_free(&r->att[oldest], 1);
        r->att[oldest] = *a;
        r->att_head = oldest;
        return 0;
    }
    if (r->att_count == r->att_cap) {
        int ncap = r->att_cap ? r->att_cap * 2 : 2;
        hc_attempt_info *na;
        if (ncap > HC__MEM_ATTEMPTS)
            ncap = HC__MEM_ATTEMPTS;
        if (!(na = calloc((size_t)ncap, sizeof *na)))
            return HC_ENOMEM;
        for (int i = 0; i < r->att_count; i++) /* oldest first */
            na[i] = r->att[(r->att_head - (r->att_count - 1) + i + r->att_cap) %
                           r->att_cap];
        free(r->att);
        r->att = na;
        r->att_cap = ncap;
        r->att_head = r->att_count - 1;
    }
    r->att_head = r->att_count == 0 ? 0 : (r->att_head + 1) % r->att_cap;
    r->att[r->att_head] = *a;
    r->att_count++;
    return 0;
}

static int mem_record(hc__store *s, void *cfg, const hc__store_attempt *a)
{
    mem_ring *r = cfg;
    hc_attempt_info ai;
    char msg[HC_ERROR_TEXT_LENGTH + HC_ERROR_SOURCE_LENGTH + 32];
    size_t n = a->changes ? hc_changeset_count(a->changes) : 0;
    int rc = HC_ENOMEM;
    memset(&ai, 0, sizeof ai);
    ai.time_ns = a->time_ns;
    ai.outcome = hc__outcome_name(a->outcome);
    ai.trigger = a->trigger;
    ai.version = a->version;
    ai.latency_us = a->latency_ns / 1000;
    if (a->error && a->error->code &&
        !(ai.error = strdup(
              hc__mask_error_format(a->error, NULL, NULL, msg, sizeof msg))))
        goto out;
    if (n > HC__MEM_ATTEMPT_PATHS)
        n = HC__MEM_ATTEMPT_PATHS;
    if (n && !(ai.changed = calloc(n, sizeof *ai.changed)))
        goto out;
    for (; ai.nchanged < n; ai.nchanged++)
        if (!(ai.changed[ai.nchanged] =
                  strdup(hc_changeset_at(a->changes, ai.nchanged)->path)))
            goto out;
    LOCK(s);
    rc = att_push(r, &ai);
    UNLOCK(s);
out:
    if (rc != 0)
        hc_attempt_info_free(&ai, 1);
    return rc;
}

/* A deep copy of a into *out (zeroed first). */
static int attempt_dup(hc_attempt_info *out, const hc_attempt_info *a)
{
    *out = *a;
    out->error = NULL;
    out->changed = NULL;
    out->nchanged = 0;
    if (a->error && !(out->error = strdup(a->error)))
        return HC_ENOMEM;
    if (a->nchanged && !(out->changed = calloc(a->nchanged, sizeof(char *))))
        return HC_ENOMEM;
    for (; out->nchanged < a->nchanged; out->nchanged++)
        if (!(out->changed[out->nchanged] = strdup(a->changed[out->nchanged])))
            return HC_ENOMEM;
    return 0;
}

static int mem_list_attempts(hc__store *s, void *cfg, hc_attempt_info *out,
                             int max)
{
    mem_ring *r = cfg;
    int n, rc = 0, i;
    LOCK(s);
    n = r->att_count;
    for (i = 0; i < n && i < max && rc == 0; i++)
        rc = attempt_dup(&out[i],
                         &r->att[(r->att_head - i + r->att_cap) % r->att_cap]);
    UNLOCK(s);
    if (rc != 0) {
        hc_attempt_info_free(out, i);
        return rc;
    }
    return n;
}

const hc__store_ops hc__store_memory = {
    "memory", mem_open,          mem_attach, mem_append, mem_record,
    mem_list, mem_get,           mem_prune,  mem_detach, mem_close,
    NULL,     mem_list_attempts, NULL,
};
