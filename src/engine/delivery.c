/*
 * delivery.c - the batch of work and the notification queue: the
 * dispatcher's work list (hc__work_add, coalesced per config; each
 * config's work done by its source), the queue every commit appends to
 * (hc__enqueue), and its delivery: in the dispatch round without a
 * monitor thread, else through per-config lanes drained by a pool of
 * workers, so that one slow subscriber cannot stall another config.
 * Callbacks run with no lock held, so they may call back into the engine.
 */
#include "engine_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void hc__work_add(hc_engine *e, hc__config *c, unsigned pend,
                  hc_trigger trigger, int64_t detect_ns)
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

void hc__record_free(hc__record *r)
{
    /* The changeset holds references into the documents: drop it first,
     * so whichever thread frees a document last sees those drops too. */
    hc_changeset_free(r->changes);
    hc_doc_release(r->old_doc);
    hc_doc_release(r->new_doc);
    free(r);
}

/* One config's work from a batch: c->apply_lock serialises it with
 * rollbacks and rescans on other threads; the source does the work. */
void hc__refresh(hc_engine *e, hc__config *c, unsigned pend, hc_trigger trigger,
                 int64_t detect)
{
    int dead;
    pthread_mutex_lock(&c->apply_lock);
    pthread_mutex_lock(&e->lock);
    dead = c->dead;
    pthread_mutex_unlock(&e->lock);
    if (!dead)
        hc__source_run(c, pend, trigger, detect);
    pthread_mutex_unlock(&c->apply_lock);
}

typedef struct work_item {
    hc__config *c;
    unsigned pend;
    hc_trigger trigger;
    int64_t detect;
} work_item;

/* Runs the batch; called with e->lock held, returns with it held. */
void hc__process_work(hc_engine *e)
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
            hc__refresh(e, items[i].c, items[i].pend, items[i].trigger,
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

int hc__in_callback_of(const hc_engine *e)
{
    return in_callback == e;
}

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
    } evs[HC_ENGINE_SUBSCRIBERS_MAX];
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
            continue; /* subscribed after this record was made */
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
    hc__record_free(r);
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
        e->worker_round[e->nworkers] = 0;
        if (hc__thread_start(&e->workers[e->nworkers], worker_main,
                             &e->worker_slot[e->nworkers]) == 0)
            e->nworkers++;
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
void hc__pool_stop(hc_engine *e)
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
int hc__deliver(hc_engine *e)
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
void hc__wait_delivery(hc_engine *e, hc__config *c)
{
    while (c->cb_running && !pthread_equal(c->cb_thread, pthread_self()))
        pthread_cond_wait(&e->cond, &e->lock);
}
