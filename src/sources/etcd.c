/*
 * etcd.c - the etcd config source: follows one etcd key per config on a
 * thread of its own, so the engine's dispatch never waits on the network.
 *
 * Per config: read the key (range), apply it, then watch from the read's
 * revision + 1. Every event's value goes through hc__apply() with the
 * event's mod_revision as the version's source revision (trigger
 * "update"); a rejected value never goes live. On a failure the follower
 * moves to the next endpoint and resumes from the last revision seen + 1,
 * so no revision is lost and none is applied twice. A watch canceled by a
 * compaction is re-read and watched again from the read's revision + 1.
 *
 * Until the engine's source registry (src/sources/source.c, see
 * source.h) exists, a config is watched with hc_engine_watch() as usual
 * and then followed with hc__etcd_follow(); hc__etcd_unfollow_all() must
 * run before hc_engine_free(). The follower thread calls hc__apply with
 * c->apply_lock held and e->lock not held, as source.h asks.
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
    hc__etcd_target t;
    pthread_t thread;
    atomic_int stop;
    int64_t next_rev;         /* the first revision not yet seen */
    int loaded;               /* the initial read was applied */
    atomic_llong applied_rev; /* mod_revision of the live version */
} follower;

static pthread_mutex_t followers_lock = PTHREAD_MUTEX_INITIALIZER;
static follower *followers;

static void apply_value(follower *f, const char *v, size_t len, int64_t rev,
                        hc_trigger trigger)
{
    char revision[32];
    hc_error err;
    int rc;
    snprintf(revision, sizeof revision, "%lld", (long long)rev);
    pthread_mutex_lock(&f->c->apply_lock);
    rc = hc__apply(f->c, v, len, revision, trigger, 0, &err);
    hc__etcd_status_note(f->engine, hc__config_id(f->c), rev, v, len, rc, &err);
    switch (rc) {
    case HC_OK: atomic_store(&f->applied_rev, rev); break;
    case HC_ENOTWATCHED: atomic_store(&f->stop, 1); break;
    default: /* refused: the live version stays, the engine reported it */
        break;
    }
    pthread_mutex_unlock(&f->c->apply_lock);
}

static int on_event(void *data, const char *v, size_t len, int64_t rev)
{
    follower *f = data;
    if (rev < f->next_rev) /* replayed after a resume: applied already */
        return 0;
    f->next_rev = rev + 1;
    if (v)
        apply_value(f, v, len, rev, HC_TRIGGER_UPDATE);
    else
        hc__log(f->engine, HC_LOG_WARN,
                "%s: deleted in etcd at revision %lld; the live version "
                "stays",
                hc__config_id(f->c), (long long)rev);
    return atomic_load(&f->stop);
}

/* Sleeps up to ms, waking early when asked to stop. */
static void nap(follower *f, int ms)
{
    struct timespec ts = {0, 50 * 1000000L};
    for (int i = 0; i < ms / 50 && !atomic_load(&f->stop); i++)
        nanosleep(&ts, NULL);
}

static int reread(follower *f)
{
    char *v;
    size_t len;
    int64_t mod, hdr;
    hc_error err;
    hc_error_init(&err);
    if (hc__etcd_get(&f->t, &v, &len, &mod, &hdr, &err) != 0) {
        hc__log(f->engine, HC_LOG_WARN, "%s: %s", hc__config_id(f->c),
                err.text);
        return -1;
    }
    if (v && mod >= f->next_rev - (f->loaded ? 0 : 1))
        apply_value(f, v, len, mod,
                    f->loaded ? HC_TRIGGER_UPDATE : HC_TRIGGER_INITIAL);
    else if (!v && !f->loaded)
        hc__log(f->engine, HC_LOG_WARN, "%s: no such key in etcd yet",
                hc__config_id(f->c));
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
    int need_read = 1, backoff = 100;
    while (!atomic_load(&f->stop)) {
        int64_t compact = 0;
        hc_error err;
        int rc;
        hc_error_init(&err);
        if (need_read) {
            if (reread(f) != 0) {
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

int hc__etcd_follow(hc_engine *e, const char *id, hc_error *err)
{
    follower *f = calloc(1, sizeof *f);
    hc__config *c;
    if (!f)
        return HC_ENOMEM;
    if (hc__etcd_target_parse(&f->t, id, err) != 0) {
        free(f);
        return HC_EINVAL;
    }
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, id);
    if (c)
        c->refs++; /* the struct outlives an unwatch until we let go */
    pthread_mutex_unlock(&e->lock);
    if (!c) {
        hc__etcd_target_free(&f->t);
        free(f);
        hc__error_set(err, HC_ENOTWATCHED, id, 0, 0, 0, "not watched");
        return HC_ENOTWATCHED;
    }
    f->engine = e;
    f->c = c;
    atomic_init(&f->stop, 0);
    atomic_init(&f->applied_rev, 0);
    if (pthread_create(&f->thread, NULL, follow_main, f) != 0) {
        pthread_mutex_lock(&e->lock);
        hc__config_unref(e, c);
        pthread_mutex_unlock(&e->lock);
        hc__etcd_target_free(&f->t);
        free(f);
        hc__error_set(err, HC_ESYS, id, 0, 0, 0, "cannot start a thread");
        return HC_ESYS;
    }
    pthread_mutex_lock(&followers_lock);
    f->next = followers;
    followers = f;
    pthread_mutex_unlock(&followers_lock);
    return 0;
}

long long hc__etcd_live_revision(hc_engine *e, const char *id)
{
    long long rev = -1;
    pthread_mutex_lock(&followers_lock);
    for (follower *f = followers; f; f = f->next)
        if (f->engine == e && strcmp(hc__config_id(f->c), id) == 0)
            rev = atomic_load(&f->applied_rev);
    pthread_mutex_unlock(&followers_lock);
    return rev;
}

void hc__etcd_unfollow_all(hc_engine *e)
{
    follower **pp, *mine = NULL;
    pthread_mutex_lock(&followers_lock);
    for (pp = &followers; *pp;) {
        follower *f = *pp;
        if (f->engine == e) {
            *pp = f->next;
            f->next = mine;
            mine = f;
        } else {
            pp = &f->next;
        }
    }
    pthread_mutex_unlock(&followers_lock);
    while (mine) {
        follower *f = mine;
        mine = f->next;
        atomic_store(&f->stop, 1);
        pthread_join(f->thread, NULL);
        pthread_mutex_lock(&e->lock);
        hc__config_unref(e, f->c);
        pthread_mutex_unlock(&e->lock);
        hc__etcd_target_free(&f->t);
        free(f);
    }
    hc__etcd_status_stop(e);
}
