/*
 * status.c - fleet rollout status: every node following an etcd config
 * reports what it made of it under KEY/.status/NODE (layout and fields:
 * hc_etcd_report_status in hotconf.h, docs in README "etcd"), bound to a
 * lease so a node that dies stops being counted after the lease's TTL.
 *
 * Who knows what: the follower knows which etcd revision it tried and
 * what hc__apply said (hc__etcd_status_note, on its thread, never
 * blocking); the engine's subscription (hc_engine_subscribe) tells about
 * removals. Both only update a config's entry and wake the reporter
 * thread, which does every network call (put, lease grant, keepalive,
 * revoke): a slow or dead etcd never delays an apply or a callback.
 */
#include "etcd/etcd.h"
#include "sources/source.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

typedef struct entry {
    struct entry *next;
    char *id;           /* the config id (etcd://...) */
    hc__etcd_target t;  /* reporter thread only, after creation */
    char *status_key;   /* KEY/.status/NODE */
    int64_t lease;      /* reporter thread only; 0: none yet */
    int64_t live_rev;   /* etcd revision live on this node, 0: none */
    uint64_t live_hash; /* XXH3 of the live content */
    int64_t attempted;  /* the last revision tried */
    int rejected;       /* ... and it was refused */
    char error[512];    /* why */
    int dirty;          /* a report is due */
    int gone;           /* unwatched: delete the report */
    int64_t retry_ns;   /* after a failed put: not before */
} entry;

typedef struct reporter {
    struct reporter *next;
    hc_engine *e;
    char node[129];
    int ttl;
    int sub; /* hc_engine_subscribe id */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    entry *entries;
} reporter;

static pthread_mutex_t reporters_lock = PTHREAD_MUTEX_INITIALIZER;
static reporter *reporters;

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static reporter *reporter_of(hc_engine *e)
{
    reporter *r;
    for (r = reporters; r && r->e != e; r = r->next)
        ;
    return r;
}

/* r->lock held. Finds or makes id's entry (NULL on ENOMEM or bad id). */
static entry *entry_of(reporter *r, const char *id)
{
    entry *en;
    hc_error err;
    size_t n;
    for (en = r->entries; en; en = en->next)
        if (strcmp(en->id, id) == 0)
            return en;
    if (!(en = calloc(1, sizeof *en)))
        return NULL;
    hc_error_init(&err);
    if (hc__etcd_target_parse(&en->t, id, &err) != 0) {
        free(en);
        return NULL;
    }
    n = strlen(en->t.key) + sizeof HC__ETCD_STATUS_DIR + strlen(r->node);
    en->id = strdup(id);
    en->status_key = malloc(n);
    if (!en->id || !en->status_key) {
        hc__etcd_target_free(&en->t);
        free(en->id);
        free(en->status_key);
        free(en);
        return NULL;
    }
    snprintf(en->status_key, n, "%s" HC__ETCD_STATUS_DIR "%s", en->t.key,
             r->node);
    en->next = r->entries;
    r->entries = en;
    return en;
}

void hc__etcd_status_note(hc_engine *e, const char *id, int64_t rev,
                          const char *bytes, size_t len, int rc,
                          const hc_error *err)
{
    reporter *r;
    entry *en;
    hc_error last;
    int live_matches = 0;
    if (rc == HC_ENOTWATCHED)
        return;
    if (rc == HC__APPLY_UNCHANGED)
        /* Same document as the live one (a rollback to it, a comment),
         * or the same bytes as a version already refused: the config's
         * last error tells which. */
        live_matches = hc_config_last_error(e, id, &last) == 0;
    pthread_mutex_lock(&reporters_lock);
    r = reporter_of(e);
    if (r) {
        pthread_mutex_lock(&r->lock);
        if ((en = entry_of(r, id))) {
            if (rc == HC_OK || live_matches) {
                en->live_rev = rev;
                if (rc == HC_OK)
                    en->live_hash = XXH3_64bits(bytes, len);
                en->rejected = 0;
                en->error[0] = 0;
            } else if (rc != HC__APPLY_UNCHANGED) {
                en->rejected = 1;
                snprintf(en->error, sizeof en->error, "%s",
                         err && err->text[0] ? err->text : hc_strerror(rc));
            }
            en->attempted = rev;
            en->dirty = 1;
            en->gone = 0;
            pthread_cond_signal(&r->cond);
        }
        pthread_mutex_unlock(&r->lock);
    }
    pthread_mutex_unlock(&reporters_lock);
}

/* The engine's events: a removal takes the report away. Runs where the
 * config's callbacks run; only marks and wakes. */
static void on_event(const hc_event *ev, void *data)
{
    reporter *r = data;
    entry *en;
    if (!hc__etcd_claims(ev->id))
        return;
    pthread_mutex_lock(&r->lock);
    for (en = r->entries; en; en = en->next)
        if (strcmp(en->id, ev->id) == 0) {
            if (ev->kind == HC_EVENT_REMOVAL)
                en->gone = 1;
            en->dirty = 1;
            if (ev->kind == HC_EVENT_CHANGE && ev->change)
                en->live_hash = ev->change->hash;
        }
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static char *report_text(const reporter *r, const entry *en)
{
    char h[20], t[HC__TIME_TEXT];
    struct timespec now;
    json_t *o;
    char *s;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(h, sizeof h, "%016llx", (unsigned long long)en->live_hash);
    o = json_pack(
        "{s:s,s:I,s:s,s:s,s:I,s:s?,s:s?}", "node", r->node, "revision",
        (json_int_t)en->live_rev, "hash", en->live_rev ? h : "", "outcome",
        en->rejected ? "rejected" : "applied", "attempted",
        (json_int_t)en->attempted, "error", en->rejected ? en->error : NULL,
        "time",
        hc__time_text((int64_t)now.tv_sec * 1000000000 + now.tv_nsec, t));
    if (!o)
        return NULL;
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

/* Writes en's report (a lease first when it has none). Unlocked. */
static int put_report(reporter *r, entry *en, const char *text)
{
    hc_error err;
    int rc;
    hc_error_init(&err);
    if (!en->lease &&
        hc__etcd_lease_grant(&en->t, r->ttl, &en->lease, &err) != 0)
        goto failed;
    rc = hc__etcd_put_key(&en->t, en->status_key, text, strlen(text), en->lease,
                          &err);
    if (rc == 0)
        return 0;
    if (strstr(err.text, "lease not found"))
        en->lease = 0; /* expired while we could not reach etcd */
failed:
    hc__etcd_next_endpoint(&en->t);
    return -1;
}

static void keepalive(reporter *r, entry *en)
{
    hc_error err;
    int64_t ttl = 0;
    hc_error_init(&err);
    if (hc__etcd_lease_keepalive(&en->t, en->lease, &ttl, &err) != 0) {
        hc__etcd_next_endpoint(&en->t);
        return;
    }
    if (ttl <= 0) { /* gone (we were away longer than the TTL): again */
        pthread_mutex_lock(&r->lock);
        en->lease = 0;
        en->dirty = 1;
        pthread_mutex_unlock(&r->lock);
    }
}

static void *report_main(void *arg)
{
    reporter *r = arg;
    int64_t period = (int64_t)r->ttl * 1000000000 / 3, next_ka = 0;
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        int64_t now = mono_ns(), wake = next_ka;
        struct timespec ts;
        for (entry *en = r->entries; en && !r->stop; en = en->next) {
            char *text;
            int gone;
            if (!en->dirty || en->retry_ns > now)
                continue;
            en->dirty = 0;
            gone = en->gone;
            text = gone ? NULL : report_text(r, en);
            pthread_mutex_unlock(&r->lock);
            if (gone) {
                hc_error err;
                hc_error_init(&err);
                if (en->lease)
                    hc__etcd_lease_revoke(&en->t, en->lease, &err);
                en->lease = 0;
            } else if (text && put_report(r, en, text) != 0) {
                pthread_mutex_lock(&r->lock);
                en->dirty = 1;
                en->retry_ns = mono_ns() + 500000000;
                pthread_mutex_unlock(&r->lock);
            }
            free(text);
            pthread_mutex_lock(&r->lock);
        }
        now = mono_ns();
        if (now >= next_ka) {
            for (entry *en = r->entries; en && !r->stop; en = en->next) {
                if (!en->lease || en->gone)
                    continue;
                pthread_mutex_unlock(&r->lock);
                keepalive(r, en);
                pthread_mutex_lock(&r->lock);
            }
            next_ka = mono_ns() + period;
            continue;
        }
        wake = next_ka;
        for (entry *en = r->entries; en; en = en->next)
            if (en->dirty && en->retry_ns < wake)
                wake = en->retry_ns;
        if (wake <= now)
            continue;
        clock_gettime(CLOCK_REALTIME, &ts);
        wake -= now;
        ts.tv_sec += (time_t)(wake / 1000000000);
        ts.tv_nsec += (long)(wake % 1000000000);
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&r->cond, &r->lock, &ts);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static int node_ok(const char *n)
{
    size_t len = strlen(n);
    if (!len || len > 128 || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
        return 0;
    return strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._-") == len;
}

int hc_etcd_report_status(hc_engine *e, const char *node, int ttl_s,
                          hc_error *err)
{
    reporter *r;
    char host[256];
    int rc;
    if (!e || ttl_s < 0) {
        hc__error_set(err, HC_EINVAL, "etcd", 0, 0, 0, "bad arguments");
        return HC_EINVAL;
    }
    if (!node) {
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "localhost");
        host[sizeof host - 1] = 0;
        node = host;
    }
    if (!node_ok(node)) {
        hc__error_set(err, HC_EINVAL, node, 0, 0, 0,
                      "a node name is 1 to 128 of A-Z a-z 0-9 . _ -");
        return HC_EINVAL;
    }
    if (!(r = calloc(1, sizeof *r)))
        return HC_ENOMEM;
    memcpy(r->node, node, strlen(node) + 1); /* node_ok: <= 128 */
    r->e = e;
    r->ttl = ttl_s ? ttl_s : 10;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    /* Subscribed first: without the removals, a node would go on
     * reporting configs it no longer watches, so no subscription (the
     * engine's subscribers are bounded, HC_ELIMIT) means no reporter. An
     * event before the thread runs only updates an entry. */
    rc = hc_engine_subscribe(e, on_event, r, err);
    if (rc < 0)
        goto fail;
    r->sub = rc;
    pthread_mutex_lock(&reporters_lock);
    if (reporter_of(e)) {
        pthread_mutex_unlock(&reporters_lock);
        hc__error_set(err, HC_EEXIST, "etcd", 0, 0, 0,
                      "status reports are on already");
        rc = HC_EEXIST;
        goto fail;
    }
    if (hc__thread_start(&r->thread, report_main, r) != 0) {
        pthread_mutex_unlock(&reporters_lock);
        hc__error_set(err, HC_ESYS, "etcd", 0, 0, 0, "cannot start a thread");
        rc = HC_ESYS;
        goto fail;
    }
    r->next = reporters;
    reporters = r;
    pthread_mutex_unlock(&reporters_lock);
    return 0;
fail:
    if (r->sub > 0)
        hc_engine_unsubscribe(e, r->sub, NULL);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return rc;
}

void hc__etcd_status_stop(hc_engine *e)
{
    reporter **pp, *r = NULL;
    pthread_mutex_lock(&reporters_lock);
    for (pp = &reporters; *pp; pp = &(*pp)->next)
        if ((*pp)->e == e) {
            r = *pp;
            *pp = r->next;
            break;
        }
    pthread_mutex_unlock(&reporters_lock);
    if (!r)
        return;
    if (r->sub > 0)
        hc_engine_unsubscribe(e, r->sub, NULL);
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    while (r->entries) {
        entry *en = r->entries;
        hc_error err;
        hc_error_init(&err);
        r->entries = en->next;
        /* A clean stop takes the report away now, not after the TTL. */
        if (en->lease)
            hc__etcd_lease_revoke(&en->t, en->lease, &err);
        hc__etcd_target_free(&en->t);
        free(en->id);
        free(en->status_key);
        free(en);
    }
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
