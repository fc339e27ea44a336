/*
 * source.h - where a config's content comes from: the source interface.
 *
 * The engine knows sources only through this ops table, the way redis's
 * ae.c knows ae_epoll.c and ae_kqueue.c. A source turns the outside world
 * (inotify events, a stat every poll interval, an etcd watch stream) into
 * bytes and hands them to the one apply entry, hc__apply(); the engine
 * never calls a source by name and never opens a file itself.
 *
 * One hc__source instance exists per engine and per source kind; it keeps
 * whatever it needs in its private state (s->state) and, per config, in
 * the config's source slot (hc__config_source_slot). Registered sources
 * are listed in one table in src/sources/source.c: adding a source (etcd)
 * is one line there plus the module.
 *
 * Which source follows a config, and the fallback when it cannot (inotify
 * -> polling), is decided in one place: hc__source_attach().
 *
 * Threads and locks (lock order: c->apply_lock -> e->lock, see
 * engine_internal.h):
 *  - init, fd, free: the thread calling hc_engine_new / hc_engine_free.
 *  - on_readable: the dispatch thread, no lock held.
 *  - attach, refresh, write_back: c->apply_lock held, e->lock not held;
 *    on the dispatch thread or the thread in hc_watch, hc_engine_rescan or
 *    hc_config_rollback. They may block on I/O (that is what the apply
 *    lock is for: it serialises one config only).
 *  - detach: e->lock held (must not block, must not call back into the
 *    engine except the *_locked helpers below).
 */
#ifndef HC_SOURCE_H
#define HC_SOURCE_H

#include "internal.h"

#include <stdint.h>

typedef struct hc__config hc__config;
typedef struct hc__source hc__source;

/*
 * Work flags: the one vocabulary of pending work for a config, used by
 * sources to queue work (hc__source_work_locked) and given back to them in
 * refresh(). Several events on one config in one dispatch batch are
 * coalesced: their flags are or'ed, the strongest trigger wins and the
 * earliest detection time is kept.
 */
enum {
    HC__WORK_CHECK = 1u << 0,   /* fetch the content and apply it */
    HC__WORK_RESOLVE = 1u << 1, /* re-resolve where the config lives
                                   (directories, symlinks) first */
    HC__WORK_CREATED = 1u << 2, /* it was created: complete only once the
                                   writer is done (close or settle time) */
    HC__WORK_CONFIRM = 1u << 3, /* the settle time passed: missing is
                                   missing, empty is empty */
    HC__WORK_POLL = 1u << 4,    /* a poll is due */
    HC__WORK_CLOSED = 1u << 5   /* the writer is done (close, rename in):
                                   the content is complete, even if empty */
};

/* hc__source_ops.flags */
#define HC__SOURCE_POLLS                                                       \
    1u /* polls: what HC_WATCH_POLL asks for, and                              \
          what hc_stats.files_polled counts */

typedef struct hc__source_ops {
    const char *name; /* "inotify", "poll", "etcd": stats "mode" */
    unsigned flags;   /* HC__SOURCE_* */

    /* Does this source serve config identity id ("/etc/app.yaml",
     * "etcd://h:2379/k")? The first source in the table that claims an id
     * and attaches it follows the config. */
    int (*claims)(const char *id);

    /* Once per engine: allocate s->state, open fds. Returns 0, or a
     * negative code (HC_ENOTSUP: unavailable here, e.g. no inotify); a
     * source that failed init is never attached and never freed. */
    int (*init)(hc__source *s);

    /* The fd the dispatcher waits on for this source, or -1 when it has
     * none (driven by timers and work items only). Constant after init. */
    int (*fd)(const hc__source *s);

    /* The fd is readable: read it and queue work (hc__source_work_locked
     * under e->lock). Dispatch thread, no lock held. */
    void (*on_readable)(hc__source *s, int64_t now_ns);

    /* Start following c (allocate its slot). Returns 0; HC_ENOTSUP when
     * this source cannot follow c (hc__source_attach then tries the next
     * one, and logs the fallback); another negative code on failure. */
    int (*attach)(hc__source *s, hc__config *c);

    /* Stop following c and free its slot. Under e->lock. */
    void (*detach)(hc__source *s, hc__config *c);

    /* Do c's pending work (flags HC__WORK_*): fetch the content and call
     * hc__apply(), or hc__source_report() when it cannot be had. Returns
     * 0, or HC_ENOTSUP when the source can no longer follow c (the engine
     * falls back to the next source, as for attach). */
    int (*refresh)(hc__source *s, hc__config *c, unsigned flags,
                   hc_trigger trigger, int64_t detect_ns);

    /* Make bytes the content at the origin (a rollback), atomically, so
     * that the source's next event sees content already applied. Returns
     * 0, HC_ENOTSUP when the origin is read-only for us, or a negative
     * code with err filled. May be NULL (same as HC_ENOTSUP). */
    int (*write_back)(hc__source *s, hc__config *c, const char *bytes,
                      size_t len, hc_error *err);

    /* c's source deadline (hc__source_deadline_locked) is due: turn it
     * into work (hc__source_work_locked) and set the next one, if any.
     * Under e->lock, on the dispatch thread. May be NULL (no deadlines). */
    void (*on_timer)(hc__source *s, hc__config *c, int64_t now_ns);

    /* How this source follows c, for the log line of a fallback
     * ("polling every 1000 ms"). May be NULL (the name is used). */
    void (*describe)(const hc__source *s, const hc__config *c, char *buf,
                     size_t size);

    /* Free s->state and close fds; every config was detached before.
     * Threads the source started are joined here. */
    void (*free)(hc__source *s);
} hc__source_ops;

struct hc__source {
    const hc__source_ops *ops;
    hc_engine *engine;
    void *state; /* private to the source */
    int fd;      /* ops->fd() cached after init, -1 none */
};

/* ---- the registry (source.c) -------------------------------------------
 * The compiled-in sources, in the order they are tried: inotify, poll,
 * etcd (HC_WITH_ETCD). Adding a source is one line in source.c's table. */
extern const hc__source_ops hc__source_inotify;
extern const hc__source_ops hc__source_poll;
#ifdef HC_WITH_ETCD
extern const hc__source_ops hc__source_etcd;
#endif
#define HC__MAX_SOURCES 4

/* Initialises every compiled-in source for e (one that answers
 * HC_ENOTSUP stays out) and adds its fd to e's epoll set. Returns 0 or
 * -1 (out of fds or memory). hc_engine_new's thread. */
int hc__sources_init(hc_engine *e);
/* Frees them (every config detached before); hc_engine_free's thread. */
void hc__sources_free(hc_engine *e);
/* e's instance of ops, NULL when it is not available here (test hooks
 * and a source's own entry points find their state this way). */
hc__source *hc__source_find(hc_engine *e, const hc__source_ops *ops);

/*
 * The one place that picks c's source: the first available source that
 * claims c's id and attaches it; HC_WATCH_POLL tries the polling sources
 * first. A source answering HC_ENOTSUP passes c to the next one, and the
 * fallback is logged. c->apply_lock held, e->lock not. Returns 0, or the
 * negative code of the last refusal (err filled when it is given).
 */
int hc__source_attach(hc__config *c, hc_error *err);
/* Stops c's source following it. Under e->lock. */
void hc__source_detach_locked(hc__config *c);
/* Does flags' work on c through its source; a source answering
 * HC_ENOTSUP is replaced by the next one (hc__source_attach's rule),
 * which then does the work. c->apply_lock held, e->lock not. */
void hc__source_run(hc__config *c, unsigned flags, hc_trigger trigger,
                    int64_t detect_ns);
/* c's source's write_back (HC_ENOTSUP when it has none). */
int hc__source_write_back(hc__config *c, const char *bytes, size_t len,
                          hc_error *err);
/* c's source name ("inotify", "poll", "etcd"; "none" once detached) and
 * whether it polls. Under e->lock. */
const char *hc__source_name(const hc__config *c);
int hc__source_polls(const hc__config *c);

/* c's source deadline (CLOCK_MONOTONIC ns, 0: none): the engine's one
 * timer calls the source's on_timer when it is due. Sources keep as many
 * deadlines of their own as they like and set the earliest here. Under
 * e->lock. */
void hc__source_deadline_locked(hc__config *c, int64_t at_ns);
/* Every config is re-resolved and re-read on the next dispatch round (an
 * inotify queue overflow: events were lost). Any thread, no lock. */
void hc__source_rescan_all(hc_engine *e);

/* ---- what a source may call on the engine ------------------------------ */

/*
 * The one apply entry. Hash -> (same as last seen: stop) -> parse ->
 * validate (callback, schema) -> prepare callbacks (may veto) -> diff ->
 * record in the history store -> publish the snapshot -> queue the
 * notification for delivery. bytes are borrowed (the history store copies
 * what it keeps). revision names the content at its origin (a file's
 * "inode:mtime", an etcd mod_revision; NULL when the source has none) and
 * is recorded with the version. trigger says why (HC_TRIGGER_ROLLBACK
 * writes the content back through the source's write_back between the
 * validation and the publication, so a failed write changes nothing).
 * detect_ns (CLOCK_MONOTONIC, 0: now) is when the change was first seen,
 * for the latency figures.
 * Caller holds c->apply_lock, not e->lock. Nothing in it opens a file.
 * Returns HC_OK when a new version went live, HC__APPLY_UNCHANGED when the
 * content or the document is the live one, or the negative reason it was
 * refused (HC_EPARSE, HC_EVALIDATE, HC_EVETO for a veto, HC_ENOMEM,
 * HC_ENOTWATCHED when c was unwatched meanwhile, HC_ESYS when the
 * write-back failed); every refusal is also the config's last error, a
 * counter, a reload attempt in the store and an error record. err (may be
 * NULL) receives the refusal's error.
 */
#define HC__APPLY_UNCHANGED 1
int hc__apply(hc__config *c, const char *bytes, size_t len,
              const char *revision, hc_trigger trigger, int64_t detect_ns,
              hc_error *err);

/* Outcome kinds a source reports when it has no content to apply. */
typedef enum hc__report_kind {
    HC__REPORT_MISSING,    /* gone at the origin (after its settle rule) */
    HC__REPORT_UNREADABLE, /* there, but cannot be read (err says why) */
    HC__REPORT_TOO_LARGE   /* over the size limit */
} hc__report_kind;

/* Records that c's content cannot be had: last error, counter, error
 * record, reload attempt. A MISSING report is made once until content
 * comes back; the same unreadable reason twice is reported once. Caller
 * holds c->apply_lock, not e->lock. */
void hc__source_report(hc__config *c, hc__report_kind kind, const hc_error *err,
                       hc_trigger trigger);

/* Queues work for c in the dispatcher's batch (coalesced, see the
 * HC__WORK_* flags) and wakes it (unless this is the dispatch thread in
 * its round: events and timers are run by the round that saw them).
 * Under e->lock. */
void hc__source_work_locked(hc__config *c, unsigned flags, hc_trigger trigger,
                            int64_t detect_ns);

/* Accessors, so a source needs nothing else of the engine's internals. */
hc_engine *hc__config_engine(const hc__config *c);
const char *hc__config_id(const hc__config *c);      /* identity, as given */
const char *hc__config_abspath(const hc__config *c); /* files: absolute */
void **hc__config_source_slot(hc__config *c);        /* the source's own */
size_t hc__config_max_size(const hc__config *c);
int hc__config_settle_ms(const hc__config *c);
int hc__config_poll_ms(const hc__config *c);
hc_watch_mode hc__config_mode(const hc__config *c); /* as requested */

#endif /* HC_SOURCE_H */
