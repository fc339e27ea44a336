/*
 * source.c - the source registry and what the engine offers a source
 * (see source.h): the table of compiled-in sources, the one place that
 * picks a config's source and falls back, the per-config source deadline,
 * accessors, queuing work and reporting content that cannot be had.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

/* Tried in this order: the first that claims an id and attaches it. */
static const hc__source_ops *const table[] = {
    &hc__source_inotify,
    &hc__source_poll,
#ifdef HC_WITH_ETCD
    &hc__source_etcd,
#endif
};
_Static_assert(sizeof table / sizeof table[0] <= HC__MAX_SOURCES,
               "HC__MAX_SOURCES");

int hc__sources_init(hc_engine *e)
{
    e->nsources = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        hc__source *s = &e->sources[e->nsources];
        struct epoll_event ev;
        memset(s, 0, sizeof *s);
        s->ops = table[i];
        s->engine = e;
        s->fd = -1;
        if (s->ops->init(s) != 0)
            continue; /* not here (no inotify, force_poll): never tried */
        s->fd = s->ops->fd(s);
        e->nsources++;
        if (s->fd < 0)
            continue;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN;
        ev.data.fd = s->fd;
        if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, s->fd, &ev) != 0)
            return -1;
    }
    return 0;
}

void hc__sources_free(hc_engine *e)
{
    for (size_t i = 0; i < e->nsources; i++)
        e->sources[i].ops->free(&e->sources[i]);
    e->nsources = 0;
}

hc__source *hc__source_find(hc_engine *e, const hc__source_ops *ops)
{
    for (size_t i = 0; i < e->nsources; i++)
        if (e->sources[i].ops == ops)
            return &e->sources[i];
    return NULL;
}

/* Candidate n of c, in the order they are tried (after skip, which
 * already failed), or NULL. HC_WATCH_POLL: the polling sources first. */
static hc__source *candidate(hc__config *c, size_t n)
{
    hc_engine *e = c->engine;
    int poll_first = c->mode_req == HC_WATCH_POLL;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < e->nsources; i++) {
            hc__source *s = &e->sources[i];
            int polls = (s->ops->flags & HC__SOURCE_POLLS) != 0;
            if (poll_first && polls != (pass == 0))
                continue;
            if (!poll_first && pass == 1)
                continue;
            if (s->ops->claims(c->path) && n-- == 0)
                return s;
        }
    return NULL;
}

static void describe(const hc__source *s, const hc__config *c, char *buf,
                     size_t size)
{
    if (s->ops->describe)
        s->ops->describe(s, c, buf, size);
    else
        snprintf(buf, size, "the %s source", s->ops->name);
}

/* Attaches c to the first candidate from n on that takes it; from is
 * the source that gave c up (logged), or NULL. */
static int attach_from(hc__config *c, size_t n, const hc__source *from,
                       hc_error *err)
{
    hc_engine *e = c->engine;
    int rc = HC_ENOTSUP;
    for (hc__source *s; (s = candidate(c, n)) != NULL; n++) {
        if (s == from)
            continue;
        rc = s->ops->attach(s, c);
        if (rc == 0) {
            if (from) {
                char how[96];
                describe(s, c, how, sizeof how);
                hc__log(e, HC_LOG_WARN, "%s: %s instead", c->path, how);
            }
            pthread_mutex_lock(&e->lock);
            c->src = s;
            pthread_mutex_unlock(&e->lock);
            return 0;
        }
        if (rc != HC_ENOTSUP)
            break;
        from = s;
    }
    if (err && !err->code)
        hc__error_set(err, rc, c->path, 0, 0, 0, "%s",
                      rc == HC_ENOTSUP ? "no source can follow it"
                                       : hc_strerror(rc));
    return rc;
}

int hc__source_attach(hc__config *c, hc_error *err)
{
    return attach_from(c, 0, NULL, err);
}

void hc__source_detach_locked(hc__config *c)
{
    hc__source *s = c->src;
    if (!s)
        return;
    s->ops->detach(s, c);
    c->src = NULL;
    hc__source_deadline_locked(c, 0);
}

/* c's source gave it up: the candidates after it take over. */
static int fall_back(hc__config *c)
{
    hc_engine *e = c->engine;
    hc__source *from = c->src;
    size_t n = 0;
    while (candidate(c, n) && candidate(c, n) != from)
        n++;
    pthread_mutex_lock(&e->lock);
    hc__source_detach_locked(c);
    pthread_mutex_unlock(&e->lock);
    return attach_from(c, n + 1, from, NULL);
}

void hc__source_run(hc__config *c, unsigned flags, hc_trigger trigger,
                    int64_t detect_ns)
{
    /* At most one fallback per source: a chain that gives up everywhere
     * ends detached (logged), not in a loop. */
    for (size_t tries = 0; c->src && tries < HC__MAX_SOURCES; tries++) {
        hc__source *s = c->src;
        if (s->ops->refresh(s, c, flags, trigger, detect_ns) != HC_ENOTSUP)
            return;
        if (fall_back(c) != 0) {
            hc__log(c->engine, HC_LOG_WARN, "%s: no source can follow it",
                    c->path);
            return;
        }
    }
}

int hc__source_write_back(hc__config *c, const char *bytes, size_t len,
                          hc_error *err)
{
    hc__source *s = c->src;
    if (!s || !s->ops->write_back)
        return HC_ENOTSUP;
    return s->ops->write_back(s, c, bytes, len, err);
}

const char *hc__source_name(const hc__config *c)
{
    return c->src ? c->src->ops->name : "none";
}

int hc__source_polls(const hc__config *c)
{
    return c->src && (c->src->ops->flags & HC__SOURCE_POLLS);
}

void hc__source_deadline_locked(hc__config *c, int64_t at_ns)
{
    if (c->source_at == at_ns)
        return;
    c->source_at = at_ns;
    hc__timer_changed(c->engine, c);
    /* A dispatch round rearms for the earliest deadline once, at the end
     * of its batch (hc__process_work): spare a timerfd call per event. */
    if (!c->engine->batching ||
        !pthread_equal(c->engine->runner, pthread_self()))
        hc__timer_soon(c->engine, at_ns);
}

void hc__source_rescan_all(hc_engine *e)
{
    atomic_store(&e->overflow_pending, 1);
    hc__wake(e);
}

/* ---- accessors ----------------------------------------------------------- */

hc_engine *hc__config_engine(const hc__config *c)
{
    return c->engine;
}

const char *hc__config_id(const hc__config *c)
{
    return c->path;
}

const char *hc__config_abspath(const hc__config *c)
{
    return c->abspath;
}

void **hc__config_source_slot(hc__config *c)
{
    return &c->source_slot;
}

size_t hc__config_max_size(const hc__config *c)
{
    return c->max_size;
}

int hc__config_settle_ms(const hc__config *c)
{
    return c->engine->opts.settle_ms;
}

int hc__config_poll_ms(const hc__config *c)
{
    return c->poll_ms;
}

hc_watch_mode hc__config_mode(const hc__config *c)
{
    return c->mode_req;
}

/* ---- work and reports ---------------------------------------------------- */

void hc__source_work_locked(hc__config *c, unsigned flags, hc_trigger trigger,
                            int64_t detect_ns)
{
    hc_engine *e = c->engine;
    hc__work_add(e, c, flags, trigger, detect_ns);
    /* The round in progress runs it (events, timers); anyone else must
     * wake the dispatcher. */
    if (!e->in_run || !pthread_equal(e->runner, pthread_self()))
        hc__wake(e);
}

void hc__source_report(hc__config *c, hc__report_kind kind, const hc_error *err,
                       hc_trigger trigger)
{
    hc_engine *e = c->engine;
    int reported = 0;
    pthread_mutex_lock(&e->lock);
    if (!c->dead) {
        if (kind == HC__REPORT_MISSING) {
            if (!c->missing_reported) {
                c->missing_reported = 1;
                hc__config_error(e, c, err, trigger, HC__C_MISSING);
                reported = 1;
            }
        } else if (!c->last_error || c->last_error->code != err->code ||
                   strcmp(c->last_error->text, err->text) != 0) {
            c->have_seen = 0;
            hc__config_error(e, c, err, trigger,
                             kind == HC__REPORT_TOO_LARGE ? HC__C_PARSE
                                                          : HC__C_READ);
            reported = 1;
        }
    }
    pthread_mutex_unlock(&e->lock);
    if (reported)
        hc__apply_attempt(c, HC__OUTCOME_MISSING, trigger, 0, err, 0, NULL);
}
