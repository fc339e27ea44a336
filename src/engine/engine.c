/*
 * engine.c - the engine's registry, lifecycle, dispatch loop and delivery
 * lanes. docs/engine.md traces a change from a source event to a callback,
 * naming the file of each step.
 *
 * One epoll fd holds the inotify fd, a timerfd and an eventfd; it is
 * hc_engine_fd(), so the engine runs either on its own monitor thread
 * (hc_engine_start) or inside the application's loop (hc_engine_dispatch).
 * A dispatch round reads the file events into a batch of work (coalesced:
 * one check per config per batch), runs the apply pipeline for each, then
 * delivers the notification queue. Commits on any thread only enqueue
 * records; the dispatcher calls the subscribers with no lock held, so a
 * callback may call back into the engine (see engine_internal.h for the
 * lock order).
 */
#include "engine_internal.h"
#ifdef HC_WITH_ETCD
#include "etcd/etcd.h" /* hc__etcd_unfollow_all */
#endif

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int64_t hc__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t hc__realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *hc_trigger_name(hc_trigger trigger)
{
    switch (trigger) {
    case HC_TRIGGER_INITIAL: return "initial";
    case HC_TRIGGER_MODIFY: return "modify";
    case HC_TRIGGER_RENAME: return "rename";
    case HC_TRIGGER_CREATE: return "create";
    case HC_TRIGGER_LINK: return "link";
    case HC_TRIGGER_RESCAN: return "rescan";
    case HC_TRIGGER_POLL: return "poll";
    case HC_TRIGGER_ROLLBACK: return "rollback";
    case HC_TRIGGER_REVERT: return "revert";
    case HC_TRIGGER_LAST_KNOWN_GOOD: return "last_known_good";
    case HC_TRIGGER_UPDATE: return "update";
    default: return "unknown";
    }
}

/* ====================================================================== */
/* Errors and logging                                                      */
/* ====================================================================== */

static int vfail(hc_engine *e, int code, const char *fmt, va_list ap)
    HC__PRINTF(3, 0);

/* The hc_error of the hc_noun_verb call running on this thread (api.c),
 * NULL for the old names: each failing call fills its caller's error, so
 * threads never see each other's. */
static _Thread_local hc_error *call_error;

hc_error *hc__call_error_swap(hc_error *err)
{
    hc_error *old = call_error;
    call_error = err;
    return old;
}

/* Under e->lock: the shared last error and this call's. */
static void set_error_locked(hc_engine *e, const hc_error *err)
{
    e->last_error = *err;
    if (call_error && call_error->code == 0)
        *call_error = *err;
}

static int vfail(hc_engine *e, int code, const char *fmt, va_list ap)
{
    hc_error err;
    hc_error_init(&err);
    err.code = code;
    snprintf(err.source, sizeof err.source, "hotconf");
    vsnprintf(err.text, sizeof err.text, fmt, ap);
    set_error_locked(e, &err);
    return code;
}

/* Caller does not hold e->lock. */
int hc__engine_fail(hc_engine *e, int code, const char *fmt, ...)
{
    va_list ap;
    if (!e)
        return code;
    pthread_mutex_lock(&e->lock);
    va_start(ap, fmt);
    vfail(e, code, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&e->lock);
    return code;
}

static int fail_locked(hc_engine *e, int code, const char *fmt, ...)
    HC__PRINTF(3, 4);
static int fail_locked(hc_engine *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, fmt, ap);
    va_end(ap);
    return code;
}

int hc_engine_last_error(hc_engine *e, hc_error *out)
{
    int code;
    if (!e)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    code = e->last_error.code;
    if (out)
        *out = e->last_error;
    pthread_mutex_unlock(&e->lock);
    return code;
}

void hc__log(hc_engine *e, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!e->opts.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e->opts.log(level, msg, e->opts.log_data);
}

/* ====================================================================== */
/* Configs                                                                  */
/* ====================================================================== */

void hc__config_destroy(void *p)
{
    hc__config *c = p;
    hc__snapshot *s;
    hc__sub *sub, *next;
    if (!c)
        return;
    s = atomic_load(&c->live);
    if (s) {
        hc_doc_release(s->doc);
        free(s);
    }
    for (sub = c->subs; sub; sub = next) {
        next = sub->next;
        free(sub);
    }
    if (c->store_cfg)
        c->engine->store.ops->detach(&c->engine->store, c->store_cfg, 0);
    free(c->last_error);
    pthread_mutex_destroy(&c->apply_lock);
    free(c->path);
    free(c->abspath);
    free(c->env_nest);
    free(c);
}

void hc__config_unref(hc_engine *e, hc__config *c)
{
    (void)e;
    c->refs--;
}

static hc__config *config_new(hc_engine *e, const char *path, char *abspath,
                              const hc_watch_options *o)
{
    hc__config *c = calloc(1, sizeof *c);
    if (!c) {
        free(abspath);
        return NULL;
    }
    c->engine = e;
    c->abspath = abspath;
    c->path = strdup(path);
    if (!c->path || pthread_mutex_init(&c->apply_lock, NULL) != 0) {
        free(c->path);
        free(c->abspath);
        free(c);
        return NULL;
    }
    atomic_init(&c->live, NULL);
    c->timed_idx = -1;
    /* Resolved once: errors then name the file as the user wrote it. */
    c->format = o->format ? o->format : hc_format_from_name(path);
    if (o->parse) {
        c->popts = *o->parse;
        c->popts.positions = NULL;
        if (o->parse->env_nest && !(c->env_nest = strdup(o->parse->env_nest)))
            goto fail;
        c->popts.env_nest = c->env_nest;
    }
    c->max_size = c->popts.max_size ? c->popts.max_size : e->opts.max_size;
    c->popts.max_size = c->max_size;
    c->validate = o->validate;
    c->validate_data = o->validate_data;
    c->schema = o->schema;
    c->prepare = o->prepare;
    c->prepare_data = o->prepare_data;
    c->on_failure = o->on_failure;
    c->allow_empty = o->allow_empty;
    c->on_error = o->on_error;
    c->on_error_data = o->on_error_data;
    c->mode_req = e->opts.force_poll ? HC_WATCH_POLL : o->mode;
    c->poll_ms = o->poll_interval_ms > 0 ? o->poll_interval_ms
                                         : e->opts.poll_interval_ms;
    if (c->poll_ms < HC__MIN_POLL_MS)
        c->poll_ms = HC__MIN_POLL_MS;
    c->depth = o->history_depth > 0 ? o->history_depth : e->opts.history_depth;
    if (c->depth > HC__MAX_HISTORY)
        c->depth = HC__MAX_HISTORY;
    if (e->store.ops->attach(&e->store, c->path, c->format, c->depth,
                             &c->store_cfg, &c->version) != 0)
        goto fail;
    if (c->version && e->store.ops->live)
        c->resume = e->store.ops->live(&e->store, c->store_cfg, &c->version,
                                       &c->resume_hash) == 0;
    c->keys[0].key = c->path;
    c->keys[0].hash = hc__hash_str(c->path);
    c->keys[0].config = c;
    c->nkeys = 1;
    if (strcmp(c->path, c->abspath) != 0) {
        c->keys[1].key = c->abspath;
        c->keys[1].hash = hc__hash_str(c->abspath);
        c->keys[1].config = c;
        c->nkeys = 2;
    }
    return c;
fail:
    hc__config_destroy(c);
    return NULL;
}

/* Under e->lock. */
static hc__config *lookup_locked(hc_engine *e, const char *path)
{
    hc__config *c = hc__index_find(e, path);
    char *abs;
    if (c)
        return c;
    abs = hc__path_absolute(path);
    if (abs)
        c = hc__index_find(e, abs);
    free(abs);
    return c;
}

hc__config *hc__config_lookup(hc_engine *e, const char *path)
{
    return lookup_locked(e, path);
}

const hc__backend *hc__backend_of(const hc__config *c)
{
    return c->mode == HC__MODE_POLL ? &hc__backend_poll : &hc__backend_inotify;
}

/* ====================================================================== */
/* Work list and notification queue                                        */
/* ====================================================================== */

static int trigger_rank(hc_trigger t)
{
    switch (t) {
    case HC_TRIGGER_LINK: return 6;
    case HC_TRIGGER_RENAME: return 5;
    case HC_TRIGGER_CREATE: return 4;
    case HC_TRIGGER_MODIFY: return 3;
    case HC_TRIGGER_POLL: return 2;
    case HC_TRIGGER_RESCAN: return 1;
    default: return 0;
    }
}

void hc__work_add(hc_engine *e, hc__config *c, int pend, hc_trigger trigger,
                  int64_t detect_ns)
{
    if (c->dead)
        return;
    if (!c->pend) {
        if (e->nwork == e->capwork) {
            size_t n = e->capwork ? e->capwork * 2 : 16;
            hc__config **nw = realloc(e->work, n * sizeof *nw);
            if (!nw)
                return; /* the next event or rescan catches up */
            e->work = nw;
            e->capwork = n;
        }
        e->work[e->nwork++] = c;
        c->refs++;
        c->pend_trigger = trigger;
        c->pend_detect = detect_ns;
    } else {
        if (trigger_rank(trigger) > trigger_rank(c->pend_trigger))
            c->pend_trigger = trigger;
        if (detect_ns && (!c->pend_detect || detect_ns < c->pend_detect))
            c->pend_detect = detect_ns;
    }
    c->pend |= pend;
}

void hc__wake(hc_engine *e)
{
    uint64_t one = 1;
    ssize_t r = write(e->evfd, &one, sizeof one);
    (void)r; /* EAGAIN: the counter is already non-zero, it will wake */
}

void hc__enqueue(hc_engine *e, hc__record *r)
{
    r->next = NULL;
    r->max_sub = e->next_sub_id;
    r->config->refs++;
    if (e->qtail)
        e->qtail->next = r;
    else
        e->qhead = r;
    e->qtail = r;
    e->qlen++;
    /* The round in progress delivers it; anyone else must wake it. */
    if (!e->in_run || !pthread_equal(e->runner, pthread_self()))
        hc__wake(e);
}

static void record_free(hc__record *r)
{
    /* The changeset holds references into the documents: drop it first,
     * so whichever thread frees a document last sees those drops too. */
    hc_changeset_free(r->changes);
    hc_doc_release(r->old_doc);
    hc_doc_release(r->new_doc);
    free(r);
}

/* One config's work from a batch: c->apply_lock serialises it with
 * rollbacks and rescans on other threads. */
static void refresh(hc_engine *e, hc__config *c, int pend, hc_trigger trigger,
                    int64_t detect)
{
    int dead;
    pthread_mutex_lock(&c->apply_lock);
    pthread_mutex_lock(&e->lock);
    dead = c->dead;
    pthread_mutex_unlock(&e->lock);
    if (dead)
        goto out;
    if ((pend & HC__P_RESOLVE) && hc__backend_of(c)->resolve(e, c) != 0) {
        hc__log(e, HC_LOG_WARN, "%s: falling back to polling", c->path);
        hc__backend_poll.attach(e, c);
    }
    if ((pend & HC__P_POLL) && !(pend & HC__P_CHECK)) {
        /* A due check (a settle or missing confirmation) in the same batch
         * reads the file anyway, with its own flags. */
        hc__poll_check(e, c, hc__now_ns());
        goto out;
    }
    if ((pend & HC__P_CREATED) && !(pend & HC__P_CLOSED)) {
        /* A new regular file is being written: its close (or the settle
         * timer) applies it, even when a delete in the same batch asked
         * for a check. A symlink (or a file gone again) is complete now. */
        struct stat st;
        if (lstat(c->abspath, &st) == 0 && S_ISREG(st.st_mode))
            goto out;
        pthread_mutex_lock(&e->lock);
        c->settle_at = 0;
        hc__timer_changed(e, c);
        pthread_mutex_unlock(&e->lock);
        pend |= HC__P_CHECK | HC__P_CLOSED;
    }
    if ((pend & HC__P_CHECK) && !(pend & HC__P_CONFIRM)) {
        /* A close asked for this check, but in the same batch a writer
         * opened the file again and started writing: its settle (held
         * while it stays open) reads it, not this half-written state. */
        int held;
        pthread_mutex_lock(&e->lock);
        held = c->settle_at && hc__inotify_held_open(c);
        pthread_mutex_unlock(&e->lock);
        if (held)
            goto out;
    }
    if (pend & HC__P_CHECK)
        hc__file_fetch(e, c, trigger, detect,
                       ((pend & HC__P_CONFIRM)
                            ? HC__CHECK_CONFIRM | HC__CHECK_COMPLETE
                            : 0) |
                           ((pend & HC__P_CLOSED) ? HC__CHECK_COMPLETE : 0));
out:
    pthread_mutex_unlock(&c->apply_lock);
}

typedef struct work_item {
    hc__config *c;
    int pend;
    hc_trigger trigger;
    int64_t detect;
} work_item;

/* Runs the batch; called with e->lock held, returns with it held. */
static void process_work(hc_engine *e)
{
    while (e->nwork) {
        size_t n = e->nwork;
        work_item *items = malloc(n * sizeof *items);
        if (!items) {
            /* Drop the batch; the configs stay watched. */
            for (size_t i = 0; i < n; i++) {
                e->work[i]->pend = 0;
                hc__config_unref(e, e->work[i]);
            }
            e->nwork = 0;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            hc__config *c = e->work[i];
            items[i].c = c;
            items[i].pend = c->pend;
            items[i].trigger = c->pend_trigger;
            items[i].detect = c->pend_detect;
            c->pend = 0;
        }
        e->nwork = 0;
        pthread_mutex_unlock(&e->lock);
        for (size_t i = 0; i < n; i++)
            refresh(e, items[i].c, items[i].pend, items[i].trigger,
                    items[i].detect);
        pthread_mutex_lock(&e->lock);
        for (size_t i = 0; i < n; i++)
            hc__config_unref(e, items[i].c);
        free(items);
    }
    hc__timer_rearm(e);
}

/* Under e->lock: is subscriber id of c still there? */
static int subscribed(const hc__config *c, int id)
{
    if (c->dead)
        return 0;
    for (const hc__sub *s = c->subs; s; s = s->next)
        if (s->id == id)
            return 1;
    return 0;
}

static void call_error_cbs(hc_engine *e, hc__config *c, hc_error_cb own,
                           void *own_data, const hc_error_record *er)
{
    int alive;
    if (own) {
        pthread_mutex_lock(&e->lock);
        alive = !c->dead;
        pthread_mutex_unlock(&e->lock);
        if (alive)
            own(er, own_data);
    }
    if (e->opts.on_error)
        e->opts.on_error(er, e->opts.on_error_data);
}

static void subscriber_failed(hc_engine *e, hc__config *c, const hc__record *r,
                              int id, int rc)
{
    hc_error err;
    hc_error_record er;
    hc_error_init(&err);
    hc__error_set(&err, HC_ECALLBACK, c->path, 0, 0, 0,
                  "subscriber %d returned %d for version %llu", id, rc,
                  (unsigned long long)r->rec.version);
    pthread_mutex_lock(&e->lock);
    hc__stats_count(e, c, HC__C_SUBSCRIBER);
    pthread_mutex_unlock(&e->lock);
    hc__log(e, HC_LOG_WARN, "%s: %s", err.source, err.text);
    er.path = c->path;
    er.error = &err;
    er.live_version = r->rec.version;
    er.trigger = r->rec.trigger;
    call_error_cbs(e, c, c->on_error, c->on_error_data, &er);
}

typedef struct sub_copy {
    int id;
    hc_change_cb cb;
    void *ud;
} sub_copy;

/* The engine whose callback this thread is running (hc_engine_free from
 * a callback aborts; waits skip the caller's own callback). */
static _Thread_local hc_engine *in_callback;

/* Delivers one record: under e->lock on entry and on return (dropped
 * around the callbacks). Returns the callbacks run. */
static int deliver_record_locked(hc_engine *e, hc__record *r)
{
    hc__config *c = r->config;
    sub_copy local[8], *subs = local;
    size_t nsubs = 0, cap = 8, nev = 0;
    int calls = 0;
    hc_engine *outer;
    struct {
        int id;
        hc_event_cb cb;
        void *ud;
    } evs[8];
    hc_event ev;
    hc_error_record er;

    if (!c->dead && !r->is_error) {
        for (hc__sub *s = c->subs; s; s = s->next) {
            if (r->only_sub ? s->id != r->only_sub : s->id >= r->max_sub)
                continue;
            if (nsubs == cap) {
                sub_copy *ns = malloc(cap * 2 * sizeof *ns);
                if (!ns)
                    break;
                memcpy(ns, subs, nsubs * sizeof *ns);
                if (subs != local)
                    free(subs);
                subs = ns;
                cap *= 2;
            }
            subs[nsubs].id = s->id;
            subs[nsubs].cb = s->cb;
            subs[nsubs].ud = s->user_data;
            nsubs++;
        }
    }
    for (hc__esub *x = e->esubs; x; x = x->next) {
        if (x->id >= r->max_sub || nev == sizeof evs / sizeof evs[0])
            continue; /* later subscribers; more than 8: the first 8 */
        evs[nev].id = x->id;
        evs[nev].cb = x->cb;
        evs[nev].ud = x->user_data;
        nev++;
    }
    c->cb_running = 1;
    c->cb_thread = pthread_self();
    e->cb_active++;
    pthread_mutex_unlock(&e->lock);
    outer = in_callback;
    in_callback = e;

    memset(&ev, 0, sizeof ev);
    ev.id = c->path;
    if (r->is_removal) {
        ev.kind = HC_EVENT_REMOVAL;
    } else if (r->is_error) {
        er.path = c->path;
        er.error = &r->error;
        er.live_version = r->live_version;
        er.trigger = r->rec.trigger;
        call_error_cbs(e, c, c->on_error, c->on_error_data, &er);
        calls++;
        ev.kind = HC_EVENT_REJECTION;
        ev.error = &er;
    } else {
        int failed = 0;
        ev.kind = HC_EVENT_CHANGE;
        ev.change = &r->rec;
        for (size_t i = 0; i < nsubs; i++) {
            int ok, rc;
            pthread_mutex_lock(&e->lock);
            ok = subscribed(c, subs[i].id);
            pthread_mutex_unlock(&e->lock);
            if (!ok)
                continue;
            rc = subs[i].cb(&r->rec, subs[i].ud);
            calls++;
            if (rc != 0) {
                subscriber_failed(e, c, r, subs[i].id, rc);
                failed = 1;
            }
        }
        /* A revert that fails too is kept: reverting it would only go
         * round in circles. */
        if (failed && c->on_failure == HC_ON_FAILURE_REVERT &&
            r->rec.old_version && r->rec.trigger != HC_TRIGGER_REVERT)
            hc__apply_revert(e, c, &r->rec);
    }
    for (size_t i = 0; i < nev; i++) {
        int ok = 0;
        pthread_mutex_lock(&e->lock);
        for (hc__esub *x = e->esubs; x && !ok; x = x->next)
            ok = x->id == evs[i].id;
        pthread_mutex_unlock(&e->lock);
        if (ok) {
            evs[i].cb(&ev, evs[i].ud);
            calls++;
        }
    }
    if (subs != local)
        free(subs);
    record_free(r);
    in_callback = outer;

    pthread_mutex_lock(&e->lock);
    e->cb_active--;
    c->cb_running = 0;
    hc__config_unref(e, c);
    pthread_cond_broadcast(&e->cond);
    return calls;
}

/* ---- delivery lanes: one slow subscriber cannot stall another config ----
 * With the monitor thread running, the dispatcher does not call
 * subscribers itself: it appends each record to its config's lane and a
 * pool of delivery workers drains the lanes. A lane is drained by one
 * worker at a time, so one config's callbacks run one at a time and in
 * order; different configs run in parallel. When every worker is busy
 * (slow callbacks) and a lane is waiting, one more worker is started, up
 * to HC__MAX_WORKERS; idle workers stay for the next burst and are
 * joined by hc_engine_stop / hc_engine_free. */

static void *worker_main(void *arg);

/* Under e->lock: is every worker inside a record it began in an earlier
 * dispatch round? Then a callback is slow (or blocked) and a waiting lane
 * gets a worker of its own. A burst of records in one round (1,000
 * initial loads) is left to the workers there are: their callbacks are
 * quick, and a thread per config would cost memory for nothing. */
static int all_stuck(const hc_engine *e)
{
    for (size_t i = 0; i < e->nworkers; i++)
        if (e->worker_round[i] == 0 || e->worker_round[i] >= e->round)
            return 0;
    return 1;
}

/* Under e->lock. */
static void lane_push(hc_engine *e, hc__record *r)
{
    hc__config *c = r->config;
    r->next = NULL;
    if (c->lane_tail)
        c->lane_tail->next = r;
    else
        c->lane_head = r;
    c->lane_tail = r;
    if (c->lane_state != HC__LANE_IDLE)
        return; /* queued, or a worker is draining it: it sees r */
    c->lane_state = HC__LANE_READY;
    c->ready_next = NULL;
    if (e->ready_tail)
        e->ready_tail->ready_next = c;
    else
        e->ready_head = c;
    e->ready_tail = c;
    if (e->idle_workers > 0) {
        pthread_cond_signal(&e->pool_cond);
    } else if (e->nworkers < HC__MAX_WORKERS && all_stuck(e)) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        e->worker_round[e->nworkers] = 0;
        if (pthread_create(&e->workers[e->nworkers], NULL, worker_main,
                           &e->worker_slot[e->nworkers]) == 0)
            e->nworkers++;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
}

static void *worker_main(void *arg)
{
    hc_engine **slot = arg, *e = *slot;
    size_t me = (size_t)(slot - e->worker_slot);
    pthread_mutex_lock(&e->lock);
    for (;;) {
        hc__config *c;
        while (!e->ready_head && !e->pool_stop) {
            e->idle_workers++;
            pthread_cond_wait(&e->pool_cond, &e->lock);
            e->idle_workers--;
        }
        if (!e->ready_head)
            break; /* stopping, and every lane is drained */
        c = e->ready_head;
        e->ready_head = c->ready_next;
        if (!e->ready_head)
            e->ready_tail = NULL;
        c->lane_state = HC__LANE_DRAINING;
        while (c->lane_head) {
            hc__record *r = c->lane_head;
            c->lane_head = r->next;
            if (!c->lane_head)
                c->lane_tail = NULL;
            e->worker_round[me] = e->round;
            deliver_record_locked(e, r);
            e->worker_round[me] = 0;
        }
        c->lane_state = HC__LANE_IDLE;
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

/* Joins the delivery workers once they drained every lane. Not under
 * e->lock. */
static void pool_stop(hc_engine *e)
{
    size_t n;
    pthread_mutex_lock(&e->lock);
    e->pool_stop = 1;
    pthread_cond_broadcast(&e->pool_cond);
    n = e->nworkers;
    pthread_mutex_unlock(&e->lock);
    for (size_t i = 0; i < n; i++)
        pthread_join(e->workers[i], NULL);
    pthread_mutex_lock(&e->lock);
    e->nworkers = 0;
    e->pool_stop = 0;
    pthread_mutex_unlock(&e->lock);
}

/* Delivers the queue (or, with the monitor running, hands it to the
 * lanes); called without e->lock. Returns callbacks run here. */
static int deliver(hc_engine *e)
{
    int calls = 0;
    pthread_mutex_lock(&e->lock);
    while (e->qhead) {
        hc__record *r = e->qhead;
        e->qhead = r->next;
        if (!e->qhead)
            e->qtail = NULL;
        e->qlen--;
        if (e->started)
            lane_push(e, r);
        else
            calls += deliver_record_locked(e, r);
    }
    e->in_run = 0;
    pthread_mutex_unlock(&e->lock);
    return calls;
}

/* Under e->lock: a caller on another thread waits for c's callback in
 * progress, so that after hc_unwatch/hc_unsubscribe none runs. */
static void wait_delivery(hc_engine *e, hc__config *c)
{
    while (c->cb_running && !pthread_equal(c->cb_thread, pthread_self()))
        pthread_cond_wait(&e->cond, &e->lock);
}

/* ====================================================================== */
/* The dispatch loop                                                       */
/* ====================================================================== */

static void rescan_all_locked(hc_engine *e, int64_t now)
{
    for (size_t i = 0; i < e->nall; i++) {
        hc__stats_count(e, e->all[i], HC__C_RESCANS);
        hc__work_add(e, e->all[i], HC__P_RESOLVE | HC__P_CHECK,
                     HC_TRIGGER_RESCAN, now);
    }
}

static int run_once(hc_engine *e, int timeout_ms)
{
    struct epoll_event evs[4];
    int n = epoll_wait(e->epfd, evs, 4, timeout_ms);
    uint64_t u;

    if (n < 0) {
        if (errno != EINTR)
            return HC_ESYS;
        n = 0;
    }
    pthread_mutex_lock(&e->lock);
    e->runner = pthread_self();
    e->in_run = 1;
    e->round++;
    pthread_mutex_unlock(&e->lock);
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == e->ifd) {
            hc__inotify_read(e, hc__now_ns());
        } else if (fd == e->tfd) {
            ssize_t r = read(e->tfd, &u, sizeof u);
            (void)r;
            /* Count the opens and closes queued meanwhile before a settle
             * decides whether the file is still held open. */
            if (e->ifd >= 0)
                hc__inotify_read(e, hc__now_ns());
            pthread_mutex_lock(&e->lock);
            e->timer_at = 0; /* fired: rearm computes afresh */
            hc__timer_expire(e, hc__now_ns());
            pthread_mutex_unlock(&e->lock);
        } else if (fd == e->evfd) {
            ssize_t r = read(e->evfd, &u, sizeof u);
            (void)r;
        }
    }
    pthread_mutex_lock(&e->lock);
    if (atomic_exchange(&e->overflow_pending, 0))
        rescan_all_locked(e, hc__now_ns());
    process_work(e);
    pthread_mutex_unlock(&e->lock);
    n = deliver(e); /* clears in_run, under the lock, once the queue is empty */
    return n;
}

static void *monitor_main(void *arg)
{
    hc_engine *e = arg;
    while (!atomic_load(&e->stop))
        if (run_once(e, -1) == HC_ESYS) {
            hc__log(e, HC_LOG_WARN, "epoll_wait failed: %s; monitor stops",
                    strerror(errno));
            break;
        }
    return NULL;
}

int hc_engine_dispatch(hc_engine *e, int timeout_ms)
{
    int r;
    if (!e)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    if (e->started || e->dispatching) {
        pthread_mutex_unlock(&e->lock);
        return HC_ESTATE;
    }
    e->dispatching = 1;
    pthread_mutex_unlock(&e->lock);
    r = run_once(e, timeout_ms);
    pthread_mutex_lock(&e->lock);
    e->dispatching = 0;
    pthread_mutex_unlock(&e->lock);
    if (r == HC_ESYS)
        hc__engine_fail(e, HC_ESYS, "epoll_wait: %s", strerror(errno));
    return r;
}

int hc_engine_stop(hc_engine *e)
{
    pthread_t t;
    if (!e)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    if (!e->started || e->stopping) {
        pthread_mutex_unlock(&e->lock);
        return hc__engine_fail(e, HC_ESTATE, "engine not started");
    }
    if (pthread_equal(e->thread, pthread_self())) {
        pthread_mutex_unlock(&e->lock);
        return hc__engine_fail(e, HC_ESTATE,
                               "hc_engine_stop from the monitor thread");
    }
    e->stopping = 1;
    t = e->thread;
    pthread_mutex_unlock(&e->lock);
    atomic_store(&e->stop, 1);
    hc__wake(e);
    pthread_join(t, NULL);
    pool_stop(e);
    pthread_mutex_lock(&e->lock);
    atomic_store(&e->stop, 0);
    e->started = 0;
    e->stopping = 0;
    pthread_mutex_unlock(&e->lock);
    /* Whatever the monitor did not get to waits in the fds: wake the next
     * dispatcher so that it looks. */
    hc__wake(e);
    return 0;
}

int hc_engine_fd(hc_engine *e)
{
    return e ? e->epfd : HC_EINVAL;
}

int hc_engine_start(hc_engine *e)
{
    sigset_t all, old;
    int rc;
    if (!e)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    if (e->started || e->dispatching) {
        pthread_mutex_unlock(&e->lock);
        return hc__engine_fail(e, HC_ESTATE, "engine already running");
    }
    /* The monitor takes no signals: they belong to the application. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&e->thread, NULL, monitor_main, e);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        e->started = 1;
    pthread_mutex_unlock(&e->lock);
    if (rc != 0)
        return hc__engine_fail(e, HC_ESYS, "pthread_create: %s", strerror(rc));
    return 0;
}

/* ====================================================================== */
/* Lifecycle                                                               */
/* ====================================================================== */

static int epoll_add(int epfd, int fd)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

hc_engine *hc__engine_new(const hc_engine_options *opts)
{
    hc_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (opts)
        e->opts = *opts;
    if (e->opts.settle_ms <= 0)
        e->opts.settle_ms = HC__DEFAULT_SETTLE_MS;
    if (e->opts.poll_interval_ms <= 0)
        e->opts.poll_interval_ms = HC__DEFAULT_POLL_MS;
    if (e->opts.poll_interval_ms < HC__MIN_POLL_MS)
        e->opts.poll_interval_ms = HC__MIN_POLL_MS;
    if (e->opts.history_depth <= 0)
        e->opts.history_depth = HC__DEFAULT_HISTORY;
    if (!e->opts.max_size)
        e->opts.max_size = HC_DEFAULT_MAX_SIZE;
    e->epfd = e->evfd = e->tfd = e->ifd = -1;
    atomic_init(&e->index, NULL);
    atomic_init(&e->stop, 0);
    atomic_init(&e->drop_events, 0);
    atomic_init(&e->overflow_pending, 0);
    atomic_init(&e->refuse_watches, 0);
    e->next_sub_id = 1;
    e->round = 1;
    for (size_t i = 0; i < HC__MAX_WORKERS; i++)
        e->worker_slot[i] = e;
    if (pthread_mutex_init(&e->lock, NULL) != 0) {
        free(e);
        return NULL;
    }
    if (pthread_cond_init(&e->cond, NULL) != 0) {
        pthread_mutex_destroy(&e->lock);
        free(e);
        return NULL;
    }
    if (pthread_cond_init(&e->pool_cond, NULL) != 0) {
        pthread_cond_destroy(&e->cond);
        pthread_mutex_destroy(&e->lock);
        free(e);
        return NULL;
    }
    if (hc__store_open(&e->store, &e->opts) != 0) {
        pthread_cond_destroy(&e->pool_cond);
        pthread_cond_destroy(&e->cond);
        pthread_mutex_destroy(&e->lock);
        free(e);
        return NULL;
    }
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (e->epfd < 0 || e->evfd < 0 || e->tfd < 0 ||
        epoll_add(e->epfd, e->evfd) != 0 || epoll_add(e->epfd, e->tfd) != 0)
        goto fail;
    if (!e->opts.force_poll && hc__inotify_init(e) == 0 &&
        epoll_add(e->epfd, e->ifd) != 0)
        goto fail;
    return e;
fail:
    hc_engine_free(e);
    return NULL;
}

void hc_engine_free(hc_engine *e)
{
    hc__record *r, *next;
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    if (in_callback == e) {
        fprintf(stderr, "hotconf: hc_engine_free called from an engine "
                        "callback; aborting\n");
        abort();
    }
    pthread_mutex_unlock(&e->lock);
#ifdef HC_WITH_ETCD
    hc__etcd_unfollow_all(e); /* they apply into e; then their reporter */
#endif
    if (e->started) {
        atomic_store(&e->stop, 1);
        hc__wake(e);
        pthread_join(e->thread, NULL);
        pool_stop(e);
        e->started = 0;
    }
    /* From here on we are alone. */
    for (r = e->qhead; r; r = next) {
        next = r->next;
        r->config->refs--;
        record_free(r);
    }
    e->qhead = e->qtail = NULL;
    for (size_t i = 0; i < e->nall; i++) {
        hc__config *c = e->all[i];
        hc__backend_of(c)->detach(e, c);
    }
    hc__inotify_free(e);
    hc__reclaim(&e->retired, 1);
    hc__index_free_all(e);
    if (e->epfd >= 0)
        close(e->epfd);
    if (e->evfd >= 0)
        close(e->evfd);
    if (e->tfd >= 0)
        close(e->tfd);
    hc__store_close(&e->store);
    while (e->esubs) {
        hc__esub *x = e->esubs;
        e->esubs = x->next;
        free(x);
    }
    free(e->all);
    free(e->timed);
    free(e->work);
    pthread_cond_destroy(&e->pool_cond);
    pthread_cond_destroy(&e->cond);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

/* ====================================================================== */
/* Watching                                                                */
/* ====================================================================== */

static int add_sub_locked(hc_engine *e, hc__config *c, hc_change_cb cb,
                          void *ud)
{
    hc__sub *s = calloc(1, sizeof *s), **pp;
    if (!s)
        return HC_ENOMEM;
    s->id = e->next_sub_id++;
    if (e->next_sub_id <= 0)
        e->next_sub_id = 1;
    s->cb = cb;
    s->user_data = ud;
    /* Appended: subscribers are called in the order they subscribed. */
    for (pp = &c->subs; *pp; pp = &(*pp)->next)
        ;
    *pp = s;
    return s->id;
}

static int all_add(hc_engine *e, hc__config *c)
{
    if (e->nall == e->capall) {
        size_t n = e->capall ? e->capall * 2 : 16;
        hc__config **na = realloc(e->all, n * sizeof *na);
        if (!na)
            return -1;
        e->all = na;
        e->capall = n;
    }
    c->all_idx = e->nall;
    e->all[e->nall++] = c;
    return 0;
}

static void all_remove(hc_engine *e, hc__config *c)
{
    e->all[c->all_idx] = e->all[--e->nall];
    e->all[c->all_idx]->all_idx = c->all_idx;
}

/* Under e->lock: takes c out of service (readers, backend, timers,
 * subscribers); the struct itself goes with a later index rebuild. */
static void kill_locked(hc_engine *e, hc__config *c)
{
    hc__sub *s, *next;
    c->dead = 1;
    hc__backend_of(c)->detach(e, c);
    c->settle_at = c->confirm_at = c->poll_at = 0;
    hc__timer_remove(e, c);
    all_remove(e, c);
    for (s = c->subs; s; s = next) {
        next = s->next;
        free(s);
    }
    c->subs = NULL;
    /* The store handle goes with the struct (hc__config_destroy), once no
     * reader of the history holds c. */
    hc__snapshot_publish(e, c, NULL);
}

/* Under e->lock: drops c's undelivered records. */
static void purge_locked(hc_engine *e, hc__config *c)
{
    hc__record **pp = &e->qhead, *last = NULL;
    while (*pp) {
        hc__record *r = *pp;
        if (r->config == c) {
            *pp = r->next;
            e->qlen--;
            hc__config_unref(e, c);
            record_free(r);
        } else {
            last = r;
            pp = &r->next;
        }
    }
    e->qtail = last;
}

static const hc_watch_options default_watch;

int hc__watch(hc_engine *e, const char *path, const hc_watch_options *opts)
{
    hc__config *c;
    char *abs;
    int rc = 0;

    if (!e)
        return HC_EINVAL;
    if (!path || !*path)
        return hc__engine_fail(e, HC_EINVAL, "no path to watch");
    if (!opts)
        opts = &default_watch;
    if (opts->history_depth < 0 || opts->poll_interval_ms < 0 ||
        opts->mode > HC_WATCH_POLL || opts->format > HC__FORMAT_LAST ||
        opts->on_failure < HC_ON_FAILURE_KEEP ||
        opts->on_failure > HC_ON_FAILURE_REVERT)
        return hc__engine_fail(e, HC_EINVAL, "%s: invalid watch options", path);
    if ((opts->format == HC_FORMAT_AUTO &&
         hc_format_from_name(path) == HC_FORMAT_AUTO))
        return hc__engine_fail(e, HC_EINVAL,
                               "%s: cannot tell the format from the file "
                               "name; name it .json, .yaml, .ini or .env, "
                               "or set the format",
                               path);
    abs = hc__path_absolute(path);
    if (!abs)
        return hc__engine_fail(e, HC_EINVAL, "%s: cannot make it absolute",
                               path);
    c = config_new(e, path, abs, opts);
    if (!c)
        return hc__engine_fail(e, HC_ENOMEM, "out of memory");

    /* Held from before anyone can see c until the first load is done, so
     * that the first version is this one (trigger "initial"). */
    pthread_mutex_lock(&c->apply_lock);
    pthread_mutex_lock(&e->lock);
    if (lookup_locked(e, c->path) || hc__index_find(e, c->abspath)) {
        rc = fail_locked(e, HC_EEXIST, "%s: already watched", path);
    } else if (opts->on_change && (rc = add_sub_locked(e, c, opts->on_change,
                                                       opts->user_data)) < 0) {
        fail_locked(e, rc, "out of memory");
    } else if (all_add(e, c) != 0) {
        rc = fail_locked(e, HC_ENOMEM, "out of memory");
    } else if (hc__index_insert(e, c) != 0) {
        all_remove(e, c);
        rc = fail_locked(e, HC_ENOMEM, "out of memory");
    } else {
        rc = 0;
    }
    pthread_mutex_unlock(&e->lock);
    if (rc < 0) {
        pthread_mutex_unlock(&c->apply_lock);
        hc__config_destroy(c);
        return rc;
    }

    if (c->mode_req == HC_WATCH_POLL) {
        hc__backend_poll.attach(e, c);
    } else if (hc__backend_inotify.attach(e, c) != 0) {
        if (e->ifd >= 0)
            hc__log(e, HC_LOG_WARN, "%s: polling every %d ms instead", path,
                    c->poll_ms);
        hc__backend_poll.attach(e, c);
    }
    hc__file_fetch(e, c, HC_TRIGGER_INITIAL, hc__now_ns(),
                   HC__CHECK_CONFIRM | HC__CHECK_COMPLETE);
    if (!atomic_load(&c->live))
        hc__apply_last_known_good(c);

    if ((opts->flags & HC_WATCH_REQUIRE) && !atomic_load(&c->live)) {
        hc_error first;
        pthread_mutex_lock(&e->lock);
        hc_error_init(&first);
        if (c->last_error)
            first = *c->last_error;
        if (first.code != 0) {
            /* The caller gets the error from hc_watch; the error record the
             * first load queued must not reach on_error as well, for a
             * path that was never watched. */
            purge_locked(e, c);
            kill_locked(e, c);
            set_error_locked(e, &first);
        }
        pthread_mutex_unlock(&e->lock);
        rc = first.code;
    }
    pthread_mutex_unlock(&c->apply_lock);
    return rc;
}

int hc_unwatch(hc_engine *e, const char *path)
{
    hc__config *c;
    if (!e || !path)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = lookup_locked(e, path);
    if (!c) {
        int rc = fail_locked(e, HC_ENOTWATCHED, "%s: not watched", path);
        pthread_mutex_unlock(&e->lock);
        return rc;
    }
    kill_locked(e, c);
    if (e->esubs) {
        hc__record *r = calloc(1, sizeof *r);
        if (r) {
            r->config = c;
            r->is_removal = 1;
            hc__enqueue(e, r);
        }
    }
    wait_delivery(e, c);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int hc__subscribe(hc_engine *e, const char *path, hc_change_cb cb,
                  void *user_data, int replay)
{
    hc__config *c;
    int id;
    if (!e || !path || !cb)
        return e ? hc__engine_fail(e, HC_EINVAL, "no path or callback")
                 : HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = lookup_locked(e, path);
    if (!c) {
        id = fail_locked(e, HC_ENOTWATCHED, "%s: not watched", path);
    } else if ((id = add_sub_locked(e, c, cb, user_data)) < 0) {
        fail_locked(e, id, "out of memory");
    } else if (replay) {
        /* The current version, to this subscriber only. */
        hc__snapshot *live = atomic_load(&c->live);
        hc__record *r = live ? calloc(1, sizeof *r) : NULL;
        if (r) {
            r->config = c;
            r->only_sub = id;
            r->new_doc = hc_doc_retain(live->doc);
            r->changes = hc_diff(NULL, live->doc);
            r->rec.path = c->path;
            r->rec.version = live->version;
            r->rec.new_doc = r->new_doc;
            r->rec.changes = r->changes;
            r->rec.trigger = HC_TRIGGER_INITIAL;
            r->rec.hash = live->hash;
            r->rec.detected_ns = r->rec.applied_ns = hc__now_ns();
            hc__enqueue(e, r);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return id;
}

int hc_subscribe(hc_engine *e, const char *path, hc_change_cb cb,
                 void *user_data)
{
    return hc__subscribe(e, path, cb, user_data, 0);
}

int hc_unsubscribe(hc_engine *e, int id)
{
    if (!e || id <= 0)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->nall; i++) {
        hc__sub **pp;
        for (pp = &e->all[i]->subs; *pp; pp = &(*pp)->next) {
            if ((*pp)->id == id) {
                hc__sub *s = *pp;
                *pp = s->next;
                free(s);
                wait_delivery(e, e->all[i]);
                pthread_mutex_unlock(&e->lock);
                return 0;
            }
        }
    }
    for (hc__esub **xp = &e->esubs; *xp; xp = &(*xp)->next) {
        if ((*xp)->id == id) {
            hc__esub *x = *xp;
            *xp = x->next;
            free(x);
            /* None of its calls runs after this returns (but ours). */
            while (e->cb_active > (in_callback == e ? 1 : 0))
                pthread_cond_wait(&e->cond, &e->lock);
            pthread_mutex_unlock(&e->lock);
            return 0;
        }
    }
    fail_locked(e, HC_ENOTWATCHED, "no subscriber %d", id);
    pthread_mutex_unlock(&e->lock);
    return HC_ENOTWATCHED;
}

int hc__engine_subscribe(hc_engine *e, hc_event_cb cb, void *user_data)
{
    hc__esub *x, **xp;
    int id;
    if (!e || !cb)
        return e ? hc__engine_fail(e, HC_EINVAL, "no callback") : HC_EINVAL;
    if (!(x = calloc(1, sizeof *x)))
        return hc__engine_fail(e, HC_ENOMEM, "out of memory");
    pthread_mutex_lock(&e->lock);
    id = x->id = e->next_sub_id++;
    if (e->next_sub_id <= 0)
        e->next_sub_id = 1;
    x->cb = cb;
    x->user_data = user_data;
    for (xp = &e->esubs; *xp; xp = &(*xp)->next)
        ;
    *xp = x;
    pthread_mutex_unlock(&e->lock);
    return id;
}

int hc__subscriber_count(hc_engine *e, const char *path)
{
    hc__config *c;
    int n = 0;
    pthread_mutex_lock(&e->lock);
    c = lookup_locked(e, path);
    if (c)
        for (hc__sub *s = c->subs; s; s = s->next)
            n++;
    pthread_mutex_unlock(&e->lock);
    return c ? n : HC_ENOTWATCHED;
}

int hc_config_last_error(hc_engine *e, const char *path, hc_error *out)
{
    hc__config *c;
    int code;
    if (!e || !path)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = lookup_locked(e, path);
    if (!c) {
        pthread_mutex_unlock(&e->lock);
        /* The header's rule: a failing call fills the hc_error it is
         * given. */
        if (out) {
            hc_error_init(out);
            hc__error_set(out, HC_ENOTWATCHED, path, 0, 0, 0, "not watched");
        }
        return HC_ENOTWATCHED;
    }
    code = hc__config_error_code(c);
    if (out) {
        if (c->last_error)
            *out = *c->last_error;
        else
            hc_error_init(out);
    }
    pthread_mutex_unlock(&e->lock);
    return code;
}

int hc_engine_rescan(hc_engine *e, const char *path)
{
    hc__config **list = NULL;
    size_t n = 0;
    int64_t now = hc__now_ns();
    if (!e)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    if (path) {
        hc__config *c = lookup_locked(e, path);
        if (!c) {
            int rc = fail_locked(e, HC_ENOTWATCHED, "%s: not watched", path);
            pthread_mutex_unlock(&e->lock);
            return rc;
        }
        list = malloc(sizeof *list);
        if (list)
            list[n++] = c;
    } else if (e->nall) {
        list = malloc(e->nall * sizeof *list);
        if (list)
            for (size_t i = 0; i < e->nall; i++)
                list[n++] = e->all[i];
    }
    for (size_t i = 0; i < n; i++) {
        list[i]->refs++;
        hc__stats_count(e, list[i], HC__C_RESCANS);
    }
    pthread_mutex_unlock(&e->lock);
    for (size_t i = 0; i < n; i++)
        refresh(e, list[i], HC__P_RESOLVE | HC__P_CHECK, HC_TRIGGER_RESCAN,
                now);
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < n; i++)
        hc__config_unref(e, list[i]);
    hc__timer_rearm(e);
    pthread_mutex_unlock(&e->lock);
    free(list);
    return 0;
}

/* ====================================================================== */
/* Test hooks                                                              */
/* ====================================================================== */

void hc__engine_inject_overflow(hc_engine *e)
{
    atomic_store(&e->overflow_pending, 1);
    hc__wake(e);
}

void hc__engine_drop_events(hc_engine *e, int on)
{
    atomic_store(&e->drop_events, on);
}

void hc__engine_refuse_watches(hc_engine *e, int err)
{
    atomic_store(&e->refuse_watches, err);
}

int hc__engine_watch_count(hc_engine *e)
{
    int n;
    pthread_mutex_lock(&e->lock);
    n = (int)e->dw_by_wd.count;
    pthread_mutex_unlock(&e->lock);
    return n;
}
