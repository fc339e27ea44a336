/*
 * poll.c - the polling file source, for filesystems where inotify sees
 * nothing (NFS, SMB, most FUSE), for paths inotify cannot watch, and for
 * HC_WATCH_POLL. Every poll_ms the file is stat'ed (following symlinks);
 * the content is read and hashed only when the stat signature changed,
 * or while the mtime is too recent to trust (a second write within the
 * same timestamp tick keeps size and mtime). The apply pipeline's hash
 * then decides. Polling is the one thing that wakes an otherwise idle
 * engine: its deadline is the config's source deadline.
 */
#include "sources/file.h"

#include <stdio.h>
#include <sys/stat.h>

/* mtime this close to now cannot rule out a same-tick second write. */
#define RECENT_NS ((int64_t)2 * 1000000000)

static int64_t ts_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void record(hc__file_slot *fs, const struct stat *st)
{
    fs->poll_have = 1;
    fs->poll_dev = st->st_dev;
    fs->poll_ino = st->st_ino;
    fs->poll_size = st->st_size;
    fs->poll_mtime = ts_ns(&st->st_mtim);
    fs->poll_ctime = ts_ns(&st->st_ctim);
}

/* stat, then check when the file looks changed (or its mtime is too
 * recent to trust). */
static void poll_check(hc__config *c, hc__file_slot *fs, int64_t now)
{
    struct stat st;
    int changed;
    if (stat(hc__config_abspath(c), &st) != 0) {
        fs->poll_have = 0;
        hc__file_fetch(c, 0, HC_TRIGGER_POLL, now);
        return;
    }
    changed = !fs->poll_have || fs->poll_dev != st.st_dev ||
              fs->poll_ino != st.st_ino || fs->poll_size != st.st_size ||
              fs->poll_mtime != ts_ns(&st.st_mtim) ||
              fs->poll_ctime != ts_ns(&st.st_ctim);
    record(fs, &st);
    if (changed || hc__realtime_ns() - ts_ns(&st.st_mtim) < RECENT_NS)
        hc__file_fetch(c, 0, HC_TRIGGER_POLL, now);
}

static int p_init(hc__source *s)
{
    (void)s;
    return 0;
}

static int p_fd(const hc__source *s)
{
    (void)s;
    return -1;
}

static int p_attach(hc__source *s, hc__config *c)
{
    hc_engine *e = s->engine;
    hc__file_slot *fs = hc__file_slot_attach(c);
    struct stat st;
    if (!fs)
        return HC_ENOMEM;
    if (stat(hc__config_abspath(c), &st) == 0)
        record(fs, &st);
    pthread_mutex_lock(&e->lock);
    if (!c->dead) {
        fs->poll_at = hc__now_ns() + (int64_t)hc__config_poll_ms(c) * 1000000;
        hc__file_deadline_locked(c);
    }
    pthread_mutex_unlock(&e->lock);
    return 0;
}

static void p_detach(hc__source *s, hc__config *c)
{
    (void)s;
    hc__file_slot_detach(c);
}

static int p_refresh(hc__source *s, hc__config *c, unsigned flags,
                     hc_trigger trigger, int64_t detect_ns)
{
    hc__file_slot *fs = hc__file_slot_of(c);
    (void)s;
    if (!fs)
        return 0;
    /* stat follows the path afresh every time: nothing to re-resolve. A
     * due check (a settle or missing confirmation) in the same batch
     * reads the file anyway, with its own flags. */
    if ((flags & HC__WORK_POLL) && !(flags & HC__WORK_CHECK))
        poll_check(c, fs, hc__now_ns());
    else
        hc__file_refresh(c, flags, trigger, detect_ns);
    return 0;
}

static void p_describe(const hc__source *s, const hc__config *c, char *buf,
                       size_t size)
{
    (void)s;
    snprintf(buf, size, "polling every %d ms", hc__config_poll_ms(c));
}

static void p_free(hc__source *s)
{
    (void)s;
}

const hc__source_ops hc__source_poll = {
    .name = "poll",
    .flags = HC__SOURCE_POLLS,
    .claims = hc__file_claims,
    .init = p_init,
    .fd = p_fd,
    .on_readable = NULL,
    .attach = p_attach,
    .detach = p_detach,
    .refresh = p_refresh,
    .write_back = hc__file_write_back,
    .on_timer = hc__file_on_timer,
    .describe = p_describe,
    .free = p_free,
};
