/*
 * lifecycle.c - the engine's lifecycle and dispatch loop: hc_engine_new /
 * hc_engine_free, hc_engine_start / hc_engine_stop (the monitor thread),
 * hc_engine_dispatch and hc_engine_fd. docs/engine.md traces a change
 * from a source event to a callback, naming the file of each step.
 *
 * One epoll fd holds a timerfd, an eventfd and the fd of each source that
 * has one (inotify); it is hc_engine_fd(), so the engine runs either on
 * its own monitor thread (hc_engine_start) or inside the application's
 * loop (hc_engine_dispatch). A dispatch round lets the sources read their
 * events into a batch of work (coalesced: one check per config per
 * batch), hands due deadlines to their sources (timer.c), runs the batch
 * (delivery.c, each config's work done by its source) and delivers the
 * notification queue (delivery.c).
 */
#include "engine_internal.h"
#ifdef HC_WITH_ETCD
#include "etcd/etcd.h" /* hc__etcd_status_stop */
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
/* The dispatch loop                                                       */
/* ====================================================================== */

static void rescan_all_locked(hc_engine *e, int64_t now)
{
    for (size_t i = 0; i < e->nall; i++) {
        hc__stats_count(e, e->all[i], HC__C_RESCANS);
        hc__work_add(e, e->all[i], HC__WORK_RESOLVE | HC__WORK_CHECK,
                     HC_TRIGGER_RESCAN, now);
    }
}

/* on_readable of the source whose fd is fd (-1: of every source). */
static void read_sources(hc_engine *e, int fd)
{
    for (size_t i = 0; i < e->nsources; i++) {
        hc__source *s = &e->sources[i];
        if (s->fd >= 0 && s->ops->on_readable && (fd < 0 || s->fd == fd))
            s->ops->on_readable(s, hc__now_ns());
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
    e->batching = 1;
    e->round++;
    pthread_mutex_unlock(&e->lock);
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        if (fd == e->tfd) {
            ssize_t r = read(e->tfd, &u, sizeof u);
            (void)r;
            /* Read the events queued meanwhile (a writer's close) before
             * a settle decides whether the file is still being written. */
            read_sources(e, -1);
            pthread_mutex_lock(&e->lock);
            e->timer_at = 0; /* fired: rearm computes afresh */
            hc__timer_expire(e, hc__now_ns());
            pthread_mutex_unlock(&e->lock);
        } else if (fd == e->evfd) {
            ssize_t r = read(e->evfd, &u, sizeof u);
            (void)r;
        } else {
            read_sources(e, fd);
        }
    }
    pthread_mutex_lock(&e->lock);
    if (atomic_exchange(&e->overflow_pending, 0))
        rescan_all_locked(e, hc__now_ns());
    hc__process_work(e); /* ends with the timer rearmed */
    e->batching = 0;
    pthread_mutex_unlock(&e->lock);
    /* clears in_run, under the lock, once the queue is empty */
    n = hc__deliver(e);
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
    hc__pool_stop(e);
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
    int rc;
    if (!e)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    if (e->started || e->dispatching) {
        pthread_mutex_unlock(&e->lock);
        return hc__engine_fail(e, HC_ESTATE, "engine already running");
    }
    rc = hc__thread_start(&e->thread, monitor_main, e); /* no signals */
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
    e->epfd = e->evfd = e->tfd = -1;
    atomic_init(&e->index, NULL);
    atomic_init(&e->stop, 0);
    atomic_init(&e->overflow_pending, 0);
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
    if (hc__sources_init(e) != 0)
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
    if (hc__in_callback_of(e)) {
        fprintf(stderr, "hotconf: hc_engine_free called from an engine "
                        "callback; aborting\n");
        abort();
    }
    pthread_mutex_unlock(&e->lock);
#ifdef HC_WITH_ETCD
    /* the fleet reporter first (it unsubscribes and revokes its lease);
     * the followers stop with their source below, and a note they make
     * meanwhile finds no reporter */
    hc__etcd_status_stop(e);
#endif
    if (e->started) {
        atomic_store(&e->stop, 1);
        hc__wake(e);
        pthread_join(e->thread, NULL);
        hc__pool_stop(e);
        e->started = 0;
    }
    /* The sources first: a source's thread (etcd) may still apply and
     * queue records until its free joins it. */
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->nall; i++)
        hc__source_detach_locked(e->all[i]);
    pthread_mutex_unlock(&e->lock);
    hc__sources_free(e);
    /* From here on we are alone. */
    for (r = e->qhead; r; r = next) {
        next = r->next;
        r->config->refs--;
        hc__record_free(r);
    }
    e->qhead = e->qtail = NULL;
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
