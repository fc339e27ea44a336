/*
 * watch_poll.c - the polling backend, for filesystems where inotify sees
 * nothing (NFS, SMB, most FUSE) and for directories inotify cannot watch.
 * Every poll_ms the file is stat'ed (following symlinks); the content is
 * read and hashed only when the stat signature changed, or while the mtime
 * is too recent to trust (a second write within the same timestamp tick
 * keeps size and mtime). The apply pipeline's hash then decides. Polling
 * is the one thing that wakes an otherwise idle engine.
 */
#include "engine_internal.h"

#include <sys/stat.h>

/* mtime this close to now cannot rule out a same-tick second write. */
#define RECENT_NS ((int64_t)2 * 1000000000)

static int64_t ts_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void record(hc__config *c, const struct stat *st)
{
    c->poll_have = 1;
    c->poll_dev = st->st_dev;
    c->poll_ino = st->st_ino;
    c->poll_size = st->st_size;
    c->poll_mtime = ts_ns(&st->st_mtim);
    c->poll_ctime = ts_ns(&st->st_ctim);
}

void hc__poll_check(hc_engine *e, hc__config *c, int64_t now)
{
    struct stat st;
    int changed;
    if (stat(c->abspath, &st) != 0) {
        c->poll_have = 0;
        hc__file_fetch(e, c, HC_TRIGGER_POLL, now, 0);
        return;
    }
    changed = !c->poll_have || c->poll_dev != st.st_dev ||
              c->poll_ino != st.st_ino || c->poll_size != st.st_size ||
              c->poll_mtime != ts_ns(&st.st_mtim) ||
              c->poll_ctime != ts_ns(&st.st_ctim);
    record(c, &st);
    if (changed || hc__realtime_ns() - ts_ns(&st.st_mtim) < RECENT_NS)
        hc__file_fetch(e, c, HC_TRIGGER_POLL, now, 0);
}

static int attach(hc_engine *e, hc__config *c)
{
    struct stat st;
    if (stat(c->abspath, &st) == 0)
        record(c, &st);
    pthread_mutex_lock(&e->lock);
    if (c->mode == HC__MODE_INOTIFY)
        hc__backend_inotify.detach(e, c);
    c->mode = HC__MODE_POLL;
    if (!c->dead) {
        c->poll_at = hc__now_ns() + (int64_t)c->poll_ms * 1000000;
        hc__timer_changed(e, c);
        hc__timer_rearm(e);
    }
    pthread_mutex_unlock(&e->lock);
    return 0;
}

static void detach(hc_engine *e, hc__config *c)
{
    (void)e;
    c->poll_at = 0;
}

static int resolve(hc_engine *e, hc__config *c)
{
    (void)e;
    (void)c;
    return 0; /* stat follows the path afresh every time */
}

const hc__backend hc__backend_poll = {"poll", attach, detach, resolve,
                                      hc__file_write_back};
