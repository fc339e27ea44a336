/*
 * etcd.c - the etcd config source ("etcd://HOST:PORT[,...]/KEY"): follows
 * one etcd key per config on a thread of its own, so the engine's
 * dispatch never waits on the network.
 *
 * Per config: the first refresh (hc_engine_watch's initial load) reads
 * the key on the watching thread, so hc_engine_watch returns with the
 * first version live (or the reason it is not: a missing key, etcd
 * unreachable); then the follower thread watches from the read's revision
 * + 1. Every event's value goes through hc__apply() with the event's
 * mod_revision as the version's source revision (trigger "update"); a
 * rejected value never goes live; a deleted key is reported missing
 * (hc__source_report) and the live version stays. On a failure the
 * follower moves to the next endpoint and resumes from the last revision
 * seen + 1, so no revision is lost and none is applied twice. A watch
 * canceled by a compaction is re-read and watched again from the read's
 * revision + 1. A rollback is written back with a compare-and-swap on the
 * live version's mod_revision: someone else's newer write wins.
 *
 * Threads: the follower calls hc__apply with c->apply_lock held and
 * e->lock not held, as source.h asks. detach (under e->lock) only asks it
 * to stop; it is joined by the source's free (hc_engine_free) or reaped
 * by a later attach. It holds a reference on its config meanwhile.
 */
#include "engine/engine_internal.h"
#include "etcd/etcd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct follower {
    struct follower *next;
    hc_engine *engine;
    hc__config *c;
    hc__etcd_target t; /* the follower thread's once started */
    pthread_t thread;
    atomic_int started; /* the thread runs (or ran and is not joined) */
    atomic_int stop;
    int64_t next_rev;         /* the first revision not yet seen */
    int loaded;               /* the initial read was applied */
    atomic_llong applied_rev; /* mod_revision of the live version */
} follower;

typedef struct etcd_state {
    pthread_mutex_t lock; /* the list; taken before e->lock, never under */
    follower *list;
} etcd_state;

static void apply_value(follower *f, const char *v, size_t len, int64_t rev,
                        hc_trigger trigger, int have_lock)
{
    char revision[32];
    hc_error err;
    int rc;
    snprintf(revision, sizeof revision, "%lld", (long long)rev);
    if (!have_lock)
        pthread_mutex_lock(&f->c->apply_lock);
    rc = hc__apply(f->c, v, len, revision, trigger, 0, &err);
    hc__etcd_status_note(f->engine, hc__config_id(f->c), rev, v, len, rc, &err);
    switch (rc) {
    case HC_OK: atomic_store(&f->applied_rev, rev); break;
    case HC_ENOTWATCHED: atomic_store(&f->stop, 1); break;
    default: /* refused: the live version stays, the engine reported it */
        break;
    }
    if (!have_lock)
        pthread_mutex_unlock(&f->c->apply_lock);
}

static void report_missing(follower *f, int64_t rev, int have_lock)
{
    hc_error err;
    hc_error_init(&err);
    if (rev)
        hc__error_set(&err, HC_ENOENT, hc__config_id(f->c), 0, 0, 0,
                      "key deleted in etcd at revision %lld; the live "
                      "version stays",
                      (long long)rev);
    else
        hc__error_set(&err, HC_ENOENT, hc__config_id(f->c), 0, 0, 0,
                      "no such key in etcd");
    if (!have_lock)
        pthread_mutex_lock(&f->c->apply_lock);
    hc__source_report(f->c, HC__REPORT_MISSING, &err,
                      rev ? HC_TRIGGER_UPDATE : HC_TRIGGER_INITIAL);
    if (!have_lock)
        pthread_mutex_unlock(&f->c->apply_lock);
}

static int on_event(void *data, const char *v, size_t len, int64_t rev)
{
    follower *f = data;
    if (rev < f->next_rev) /* replayed after a resume: applied already */
        return 0;
    f->next_rev = rev + 1;
    if (v)
        apply_value(f, v, len, rev, HC_TRIGGER_UPDATE, 0);
    else
        report_missing(f, rev, 0);
    return atomic_load(&f->stop);
}

/* Sleeps up to ms, waking early when asked to stop. */
static void nap(follower *f, int ms)
{
    struct timespec ts = {0, 50 * 1000000L};
    for (int i = 0; i < ms / 50 && !atomic_load(&f->stop); i++)
        nanosleep(&ts, NULL);
}

/* Reads the key and applies it when it is newer than what was seen.
 * Returns 0, or HC_EIO with err filled. */
static int reread(follower *f, int have_lock, hc_error *err)
{
    char *v;
    size_t len;
    int64_t mod, hdr;
    hc_error_init(err);
    if (hc__etcd_get(&f->t, &v, &len, &mod, &hdr, err) != 0)
        return HC_EIO;
    if (v && mod >= f->next_rev - (f->loaded ? 0 : 1))
        apply_value(f, v, len, mod,
                    f->loaded ? HC_TRIGGER_UPDATE : HC_TRIGGER_INITIAL,
                    have_lock);
    else if (!v && !f->loaded)
        report_missing(f, 0, have_lock);
    free(v);
    f->loaded = 1;
    f->next_rev = hdr + 1;
    return 0;
}

/* After a failure: the next endpoint, after a pause that doubles up to 2 s. */
static void try_next(follower *f, int *backoff)
{
    hc__etcd_next_endpoint(&f->t);
    nap(f, *backoff);
    *backoff = *backoff < 2000 ? *backoff * 2 : 2000;
}

static void *follow_main(void *arg)
{
    follower *f = arg;
    int need_read = !f->loaded, backoff = 100;
    while (!atomic_load(&f->stop)) {
        int64_t compact = 0;
        hc_error err;
        int rc;
        hc_error_init(&err);
        if (need_read) {
            if (reread(f, 0, &err) != 0) {
                hc__log(f->engine, HC_LOG_WARN, "%s: %s", hc__config_id(f->c),
                        err.text);
                if (err.code == HC_ENOTSUP)
                    break; /* no libcurl here: retrying cannot help */
                try_next(f, &backoff);
                continue;
            }
            need_read = 0;
        }
        rc = hc__etcd_watch(&f->t, f->next_rev, on_event, f, &f->stop, &compact,
                            &err);
        if (rc == 0)
            break;
        if (rc == HC__ETCD_COMPACTED) {
            hc__log(f->engine, HC_LOG_INFO,
                    "%s: revisions up to %lld were compacted; reading again",
                    hc__config_id(f->c), (long long)compact);
            need_read = 1;
            continue;
        }
        hc__log(f->engine, HC_LOG_WARN, "%s: %s; resuming from revision %lld",
                hc__config_id(f->c), err.text, (long long)f->next_rev);
        try_next(f, &backoff);
    }
    return NULL;
}

/* Joins f (stopped), drops its reference on its config and frees it. */
static void follower_free(follower *f)
{
    hc_engine *e = f->engine;
    if (atomic_load(&f->started))
        pthread_join(f->thread, NULL);
    pthread_mutex_lock(&e->lock);
    hc__config_unref(e, f->c);
    pthread_mutex_unlock(&e->lock);
    hc__etcd_target_free(&f->t);
    free(f);
}

/* Frees the followers of unwatched configs whose thread has ended. */
static void reap(etcd_state *st)
{
    follower **pp, *done = NULL;
    pthread_mutex_lock(&st->lock);
    for (pp = &st->list; *pp;) {
        follower *f = *pp;
        if (atomic_load(&f->stop) &&
            (!atomic_load(&f->started) ||
             pthread_tryjoin_np(f->thread, NULL) == 0)) {
            atomic_store(&f->started, 0); /* joined */
            *pp = f->next;
            f->next = done;
            done = f;
        } else {
            pp = &f->next;
        }
    }
    pthread_mutex_unlock(&st->lock);
    while (done) {
        follower *f = done;
        done = f->next;
        follower_free(f);
    }
}

static int e_init(hc__source *s)
{
    etcd_state *st = calloc(1, sizeof *st);
    if (!st)
        return HC_ENOMEM;
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        return HC_ENOMEM;
    }
    s->state = st;
    return 0;
}

static int e_fd(const hc__source *s)
{
    (void)s;
    return -1; /* its threads apply; the dispatcher has nothing to read */
}

static int e_attach(hc__source *s, hc__config *c)
{
    etcd_state *st = s->state;
    hc_engine *e = s->engine;
    follower *f;
    hc_error err;
    reap(st);
    if (!(f = calloc(1, sizeof *f)))
        return HC_ENOMEM;
    hc_error_init(&err);
    if (hc__etcd_target_parse(&f->t, hc__config_id(c), &err) != 0) {
        hc__log(e, HC_LOG_WARN, "%s: %s", hc__config_id(c), err.text);
        free(f);
        return HC_EINVAL;
    }
    f->engine = e;
    f->c = c;
    atomic_init(&f->stop, 0);
    atomic_init(&f->started, 0);
    atomic_init(&f->applied_rev, 0);
    pthread_mutex_lock(&e->lock);
    c->refs++; /* the struct outlives an unwatch until we let go */
    *hc__config_source_slot(c) = f;
    pthread_mutex_unlock(&e->lock);
    pthread_mutex_lock(&st->lock);
    f->next = st->list;
    st->list = f;
    pthread_mutex_unlock(&st->lock);
    return 0;
}

static void e_detach(hc__source *s, hc__config *c)
{
    void **slot = hc__config_source_slot(c);
    follower *f = *slot;
    (void)s;
    if (f)
        atomic_store(&f->stop, 1); /* joined later: we may not block here */
    *slot = NULL;
}

static int e_refresh(hc__source *s, hc__config *c, unsigned flags,
                     hc_trigger trigger, int64_t detect_ns)
{
    follower *f = *hc__config_source_slot(c);
    hc_error err;
    (void)s;
    (void)flags;
    (void)trigger;
    (void)detect_ns;
    /* Once the follower runs, it alone talks to etcd for c: a rescan has
     * nothing to add to a live watch. */
    if (!f || atomic_load(&f->started))
        return 0;
    hc_error_init(&err);
    for (int i = 0; i < f->t.nendpoints; i++) {
        if (reread(f, 1, &err) == 0)
            break;
        hc__etcd_next_endpoint(&f->t);
    }
    if (!f->loaded)
        hc__source_report(c, HC__REPORT_UNREADABLE, &err, HC_TRIGGER_INITIAL);
    if (hc__thread_start(&f->thread, follow_main, f) != 0) {
        hc__log(s->engine, HC_LOG_WARN, "%s: cannot start a thread",
                hc__config_id(c));
        return 0;
    }
    atomic_store(&f->started, 1);
    return 0;
}

static int e_write_back(hc__source *s, hc__config *c, const char *bytes,
                        size_t len, hc_error *err)
{
    follower *f = *hc__config_source_slot(c);
    long long live = f ? atomic_load(&f->applied_rev) : 0;
    int64_t rev = 0;
    int rc;
    (void)s;
    /* Only over the version we made live: a newer write by someone else
     * is not overwritten (HC_ESTATE, err says what is there now). */
    rc = hc_etcd_write(hc__config_id(c), bytes, len, live > 0 ? live : -1, &rev,
                       err);
    if (rc == 0 && f)
        atomic_store(&f->applied_rev, rev);
    return rc;
}

static void e_free(hc__source *s)
{
    etcd_state *st = s->state;
    while (st->list) {
        follower *f = st->list;
        st->list = f->next;
        atomic_store(&f->stop, 1);
        follower_free(f);
    }
    pthread_mutex_destroy(&st->lock);
    free(st);
    s->state = NULL;
}

const hc__source_ops hc__source_etcd = {
    .name = "etcd",
    .flags = 0,
    .claims = hc__etcd_claims,
    .init = e_init,
    .fd = e_fd,
    .on_readable = NULL,
    .attach = e_attach,
    .detach = e_detach,
    .refresh = e_refresh,
    .write_back = e_write_back,
    .on_timer = NULL,
    .describe = NULL,
    .free = e_free,
};

/* ---- the older entry points (etcd.h) ------------------------------------- */

/* hc_engine_watch follows an etcd:// config by itself now: this only
 * checks that id is followed, for callers written before the registry. */
int hc__etcd_follow(hc_engine *e, const char *id, hc_error *err)
{
    hc__config *c;
    int followed;
    if (!hc__etcd_claims(id)) {
        hc__error_set(err, HC_EINVAL, id, 0, 0, 0, "not an etcd:// name");
        return HC_EINVAL;
    }
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, id);
    followed = c && c->src && c->src->ops == &hc__source_etcd;
    pthread_mutex_unlock(&e->lock);
    if (!followed) {
        hc__error_set(err, HC_ENOTWATCHED, id, 0, 0, 0, "not watched");
        return HC_ENOTWATCHED;
    }
    return 0;
}

long long hc__etcd_live_revision(hc_engine *e, const char *id)
{
    hc__source *s = hc__source_find(e, &hc__source_etcd);
    etcd_state *st = s ? s->state : NULL;
    long long rev = -1;
    if (!st)
        return -1;
    pthread_mutex_lock(&st->lock);
    for (follower *f = st->list; f; f = f->next)
        if (!atomic_load(&f->stop) && strcmp(hc__config_id(f->c), id) == 0)
            rev = atomic_load(&f->applied_rev);
    pthread_mutex_unlock(&st->lock);
    return rev;
}
