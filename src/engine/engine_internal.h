/*
 * engine_internal.h - what the engine's files share (src/engine/).
 *
 * Locks, in the only order they are ever taken:
 *   c->apply_lock (one per config: serialises its apply pipeline, rollback
 *                  and re-resolution; held across file I/O and parsing)
 *   -> e->lock    (the engine: registry, dir watches, timers, queue,
 *                  history, stats; held only for short bookkeeping)
 * Readers (hc_config_get) take neither: they find the config in a
 * lock-free index and the snapshot through hazard pointers (hazard.c).
 * Callbacks run with no lock held (delivery.c delivers a queue of records).
 */
#ifndef HC_ENGINE_INTERNAL_H
#define HC_ENGINE_INTERNAL_H

#include "internal.h"
#include "sources/source.h"
#include "stores/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#define HC__DEFAULT_SETTLE_MS 50
#define HC__DEFAULT_POLL_MS   1000
#define HC__MIN_POLL_MS       100
#define HC__DEFAULT_HISTORY   10
#define HC__MAX_HISTORY       100000
#define HC__MAX_SYMLINK_HOPS  40
#define HC__MAX_WORKERS       64 /* delivery workers (slow subscribers) */

typedef struct hc__config hc__config;

int64_t hc__now_ns(void);      /* CLOCK_MONOTONIC */
int64_t hc__realtime_ns(void); /* CLOCK_REALTIME */

/* ---- map.c: chained hash table, string or integer keys ---------------
 * Values are void *; duplicate keys are allowed (hc__map_next walks them).
 * Not thread-safe (callers hold e->lock). */
typedef struct hc__map_node {
    struct hc__map_node *next;
    uint64_t hash;
    const char *skey; /* borrowed: the value owns the key string */
    intptr_t ikey;
    void *value;
} hc__map_node;

typedef struct hc__map {
    hc__map_node **buckets;
    size_t nbuckets, count;
} hc__map;

uint64_t hc__hash_str(const char *s);
int hc__map_put_str(hc__map *m, const char *key, void *value);
int hc__map_put_int(hc__map *m, intptr_t key, void *value);
/* First value with key, or NULL; *it continues with hc__map_next. */
void *hc__map_get_str(const hc__map *m, const char *key, hc__map_node **it);
void *hc__map_next_str(hc__map_node **it, const char *key);
void *hc__map_get_int(const hc__map *m, intptr_t key);
/* Removes the entry with this key and value. Returns 1 when found. */
int hc__map_del_str(hc__map *m, const char *key, const void *value);
int hc__map_del_int(hc__map *m, intptr_t key);
void hc__map_free(hc__map *m);

/* ---- hazard.c: hazard pointers and deferred reclamation --------------- */
#define HC__HP_SLOTS 2
/* One per thread, alone on its cache line: readers on different threads
 * store to their own slots without bouncing a shared line. */
typedef struct hc__hprec {
    _Alignas(64) _Atomic(void *) hp[HC__HP_SLOTS];
    atomic_int active;
    struct hc__hprec *next;
} hc__hprec;

/* This thread's record (allocated on first use, recycled at thread exit);
 * NULL only when out of memory. */
hc__hprec *hc__hp_self(void);

typedef struct hc__retired {
    struct hc__retired *next;
    void *ptr;
    void (*destroy)(void *ptr);
} hc__retired;

/* Queues ptr for destroy() once no hazard pointer holds it, and reclaims
 * what it can. node is preallocated by the caller (usually inside *ptr),
 * so retiring never fails. Caller holds e->lock. */
void hc__retire(hc__retired **list, hc__retired *node, void *ptr,
                void (*destroy)(void *));
/* Destroys the retired pointers no hazard holds; wait: spin until all. */
void hc__reclaim(hc__retired **list, int wait);

/* ---- snapshot.c: live snapshots and the lock-free path index ----------- */
typedef struct hc__snapshot {
    json_t *doc; /* one reference */
    uint64_t version;
    uint64_t hash;
    hc__retired retire; /* preallocated, so retiring never fails */
} hc__snapshot;

hc__snapshot *hc__snapshot_new(json_t *doc, uint64_t version, uint64_t hash);
/* Swaps c's live snapshot (NULL to clear it) and retires the old one.
 * Caller holds e->lock. */
void hc__snapshot_publish(hc_engine *e, hc__config *c, hc__snapshot *s);

typedef struct hc__inode {
    const char *key; /* c->path or c->abspath */
    uint64_t hash;
    hc__config *config;
} hc__inode;

typedef struct hc__index {
    size_t mask; /* capacity - 1 */
    size_t used; /* slots filled (live + dead configs); writer only */
    hc__retired retire;
    hc__config **dead; /* dead configs dropped by the rebuild that */
    size_t ndead;      /* retired this table: freed with it */
    _Atomic(hc__inode *) slots[];
} hc__index;

/* Under e->lock. */
int hc__index_insert(hc_engine *e, hc__config *c);
/* The config for path (given or absolute form), dead ones skipped.
 * Writer side, under e->lock. */
hc__config *hc__index_find(hc_engine *e, const char *path);
void hc__index_free_all(hc_engine *e);

/* ---- fspath.c ---------------------------------------------------------- */
/* Absolute, lexically clean path (//, /./, /../ folded); malloc'd. */
char *hc__path_absolute(const char *path);
/* Lexically clean an absolute path in place. */
void hc__path_clean(char *p);
/* Directory and base name of an absolute path; malloc'd. */
char *hc__path_dirname(const char *abspath);
const char *hc__path_basename(const char *abspath);
char *hc__path_join(const char *dir, const char *name);

/* ---- stats.c -------------------------------------------------------------
 * Counters are updated and read under e->lock. */
/* The one list of counters: (hc_stats field, enum name). The internal
 * struct, the enum, counting, the export into hc_stats and the JSON
 * keys all come from it; a new counter is one line here plus its public
 * hc_stats field. */
#define HC__COUNTERS(X)                                                        \
    X(loads, LOADS)                                                            \
    X(reloads, RELOADS)                                                        \
    X(rollbacks, ROLLBACKS)                                                    \
    X(unchanged, UNCHANGED)                                                    \
    X(parse_failures, PARSE)                                                   \
    X(validation_failures, VALIDATE)                                           \
    X(read_failures, READ)                                                     \
    X(missing, MISSING)                                                        \
    X(subscriber_failures, SUBSCRIBER)                                         \
    X(rescans, RESCANS)                                                        \
    X(vetoes, VETOES)                                                          \
    X(reverts, REVERTS)

typedef struct hc__counters {
#define HC__COUNTER_FIELD(field, name) uint64_t field;
    HC__COUNTERS(HC__COUNTER_FIELD)
#undef HC__COUNTER_FIELD
    uint64_t lat_count, lat_last, lat_max, lat_sum;
    uint64_t lat_hist[HC_STATS_BUCKETS];
} hc__counters;

enum hc__counter {
#define HC__COUNTER_ENUM(field, name) HC__C_##name,
    HC__COUNTERS(HC__COUNTER_ENUM)
#undef HC__COUNTER_ENUM
};

/* Counts on c (may be NULL) and on the engine total. Under e->lock. */
void hc__stats_count(hc_engine *e, hc__config *c, enum hc__counter which);
void hc__stats_latency(hc_engine *e, hc__config *c, int64_t ns);

/* ---- the config ---------------------------------------------------------- */
typedef struct hc__sub {
    struct hc__sub *next;
    int id;
    hc_change_cb cb;
    void *user_data;
} hc__sub;

struct hc__config {
    /* Immutable from creation to destruction; readers use these. */
    hc_engine *engine;
    char *path;    /* as given */
    char *abspath; /* absolute, clean */
    hc__inode keys[2];
    int nkeys;
    _Atomic(hc__snapshot *) live;

    /* Set at creation, read-only after. */
    hc_format format;
    hc_parse_options popts;
    char *env_nest;
    hc_validate_cb validate;
    void *validate_data;
    const hc_schema *schema; /* borrowed from the watch options */
    int (*prepare)(const hc_change_record *rec, hc_error *err, void *ud);
    void *prepare_data;
    int on_failure; /* HC_ON_FAILURE_* */
    int allow_empty;
    hc_error_cb on_error;
    void *on_error_data;
    hc_watch_mode mode_req;
    int poll_ms;
    size_t max_size;

    pthread_mutex_t apply_lock;
    /* Under apply_lock: the live version's parse, which the next one
     * shares unchanged subtrees with (src/format/reuse.h); NULL when none
     * is kept. no_reuse: the schema fills in defaults, which modifies the
     * document, so nothing may be shared. */
    struct hc__reuse *reuse;
    int no_reuse;

    /* Under e->lock. */
    int dead;
    int refs; /* dispatcher work items and queued records */
    size_t all_idx;
    hc__sub *subs;
    uint64_t version;
    uint64_t seen_hash; /* last content applied, rejected or written */
    int have_seen;
    int missing_reported;
    hc_error *last_error; /* NULL while healthy (most configs: saves ~1 KB) */
    void *store_cfg;      /* the history store's handle for this config */
    /* A persistent store's live version at attach: a first load of the
     * same content takes its number instead of making a new version
     * (under c->apply_lock). */
    uint64_t resume_hash;
    int resume;
    hc__source *src;   /* the source following c (source.c), NULL: none */
    void *source_slot; /* the source's own per-config state */
    int depth;         /* versions kept besides the live one */
    hc__counters stats;

    /* the source's deadline (source.c, timer.c; under e->lock) */
    int64_t source_at; /* 0: none */
    ssize_t timed_idx; /* in e->timed, -1 when no deadline */

    /* delivery (under e->lock) */
    int cb_running; /* a callback of c runs on cb_thread */
    pthread_t cb_thread;
    struct hc__record *lane_head, *lane_tail; /* waiting for a worker */
    enum { HC__LANE_IDLE, HC__LANE_READY, HC__LANE_DRAINING } lane_state;
    hc__config *ready_next;

    /* dispatcher scratch, one batch (under e->lock) */
    unsigned pend; /* HC__WORK_* */
    hc_trigger pend_trigger;
    int64_t pend_detect;
};

typedef struct hc__esub {
    struct hc__esub *next;
    int id;
    hc_event_cb cb;
    void *user_data;
} hc__esub;

/* ---- queued notifications ------------------------------------------------ */
typedef struct hc__record {
    struct hc__record *next;
    hc__config *config; /* holds a ref */
    int is_error;
    int is_removal; /* the config was unwatched: engine-wide events only */
    int only_sub;   /* deliver to this subscriber id only (0: all) */
    int max_sub;    /* else to ids below this: those subscribed before */
    hc_change_record rec;
    json_t *old_doc, *new_doc;
    hc_changeset *changes;
    hc_error error;
    uint64_t live_version;
} hc__record;

/* ---- the engine ------------------------------------------------------------
 */
struct hc_engine {
    hc_engine_options opts; /* defaults filled in */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* delivery finished */

    int epfd, evfd, tfd;
    hc__store store; /* the history store (stores/store.h) */

    _Atomic(hc__index *) index;
    hc__retired *retired;

    hc__config **all;
    size_t nall, capall;

    /* the sources available here (source.c) */
    hc__source sources[HC__MAX_SOURCES];
    size_t nsources;

    /* timers */
    hc__config **timed;
    size_t ntimed, captimed;
    int64_t timer_at; /* what the timerfd is armed for, 0 none */

    /* the dispatcher's work list for one batch */
    hc__config **work;
    size_t nwork, capwork;

    /* notification queue */
    hc__record *qhead, *qtail;
    size_t qlen;

    /* threads */
    int started;
    int stopping; /* hc_engine_stop is joining the monitor */
    pthread_t thread;
    atomic_int stop;
    int dispatching;
    int in_run;       /* a dispatch round is running on runner */
    int batching;     /* ... and has not run its batch yet: a deadline set
                         meanwhile is armed by the batch's end */
    pthread_t runner; /* (it delivers what it enqueues: no wake needed) */
    /* delivery lanes (delivery.c; under e->lock) */
    hc__config *ready_head, *ready_tail; /* lanes waiting for a worker */
    pthread_cond_t pool_cond;            /* a lane is ready, or stop */
    pthread_t workers[HC__MAX_WORKERS];
    hc_engine *worker_slot[HC__MAX_WORKERS]; /* thread arg: index by address */
    uint64_t worker_round[HC__MAX_WORKERS];  /* round its record began, 0 */
    uint64_t round;                          /* dispatch rounds run */
    size_t nworkers;
    int idle_workers;
    int pool_stop;
    int next_sub_id;
    struct hc__esub *esubs; /* engine-wide subscribers (hc_engine_subscribe) */
    int cb_active;          /* callbacks running, on any thread */

    hc_error last_error;
    hc__counters total;

    atomic_int overflow_pending; /* hc__source_rescan_all */
};

/* registry.c: hc_watch and lifecycle.c: hc_engine_new with full-size
 * options (api.c copies the caller's shorter struct into a zeroed full
 * one first). */
int hc__watch(hc_engine *e, const char *path, const hc_watch_options *opts);
hc_engine *hc__engine_new(const hc_engine_options *opts);

/* ---- errors.c ------------------------------------------------------------ */
/* Sets the per-call error target of this thread (api.c); returns the old. */
hc_error *hc__call_error_swap(hc_error *err);
/* Records an API error on e (and returns code). Caller does not hold
 * e->lock; _locked: it does. */
int hc__engine_fail(hc_engine *e, int code, const char *fmt, ...)
    HC__PRINTF(3, 4);
int hc__fail_locked(hc_engine *e, int code, const char *fmt, ...)
    HC__PRINTF(3, 4);
/* Under e->lock: err becomes the shared last error and this call's. */
void hc__set_error_locked(hc_engine *e, const hc_error *err);
void hc__log(hc_engine *e, int level, const char *fmt, ...) HC__PRINTF(3, 4);

/* ---- registry.c ---------------------------------------------------------- */
int hc__engine_subscribe(hc_engine *e, hc_event_cb cb, void *user_data);
void hc__config_unref(hc_engine *e, hc__config *c); /* under e->lock */
/* The config named path (as given or absolute), or NULL. Under e->lock. */
hc__config *hc__config_lookup(hc_engine *e, const char *path);
void hc__config_destroy(void *config);
/* replay: also deliver the live version (if any) to this subscriber. */
int hc__subscribe(hc_engine *e, const char *path, hc_change_cb cb,
                  void *user_data, int replay);
/* Subscribers of path, or HC_ENOTWATCHED. */
int hc__subscriber_count(hc_engine *e, const char *path);

/* ---- delivery.c ---------------------------------------------------------- */
/* Appends a record (takes it) and wakes the dispatcher. Under e->lock. */
void hc__enqueue(hc_engine *e, hc__record *r);
void hc__record_free(hc__record *r);
void hc__wake(hc_engine *e);
/* Adds c to the batch work list with pending bits (ref taken once).
 * Under e->lock. */
void hc__work_add(hc_engine *e, hc__config *c, unsigned pend,
                  hc_trigger trigger, int64_t detect_ns);
/* Runs the batch; called with e->lock held, returns with it held. */
void hc__process_work(hc_engine *e);
/* c's work now (c->apply_lock taken here, no lock held by the caller). */
void hc__refresh(hc_engine *e, hc__config *c, unsigned pend, hc_trigger trigger,
                 int64_t detect);
/* Delivers the queue (or hands it to the lanes); no lock held. Returns
 * the callbacks run on this thread. */
int hc__deliver(hc_engine *e);
/* Joins the delivery workers once they drained every lane; no lock. */
void hc__pool_stop(hc_engine *e);
/* Under e->lock: waits for c's callback running on another thread. */
void hc__wait_delivery(hc_engine *e, hc__config *c);
/* Is this thread inside one of e's callbacks? */
int hc__in_callback_of(const hc_engine *e);

/* apply.c: records a reload attempt in the history store; no engine
 * lock held. */
void hc__apply_attempt(hc__config *c, hc__outcome outcome, hc_trigger trigger,
                       uint64_t version, const hc_error *err, int64_t detect_ns,
                       const hc_changeset *changes);

/* apply.c: the revert policy: rec (delivered, a subscriber failed) is
 * still c's newest version, so its previous one goes live again (trigger
 * revert). Takes c->apply_lock; no lock held by the caller. */
/* After a failed first load: the store's newest version goes live with
 * trigger HC_TRIGGER_LAST_KNOWN_GOOD. c->apply_lock held. */
void hc__apply_last_known_good(hc__config *c);
void hc__apply_revert(hc_engine *e, hc__config *c, const hc_change_record *rec);

/* The config's last error: set (copied), cleared, read. Under e->lock. */
void hc__config_set_error(hc__config *c, const hc_error *err);
void hc__config_clear_error(hc__config *c);
int hc__config_error_code(const hc__config *c);

/* Records a config error: last error, counter, queued error record.
 * Under e->lock. */
void hc__config_error(hc_engine *e, hc__config *c, const hc_error *err,
                      hc_trigger trigger, enum hc__counter counter);

/* timer.c (under e->lock) */
void hc__timer_changed(hc_engine *e, hc__config *c);
void hc__timer_rearm(hc_engine *e);
/* Arms the timer for at if it is not armed for earlier (a deadline set
 * outside a dispatch round, whose end rearms for the earliest anyway). */
void hc__timer_soon(hc_engine *e, int64_t at);
void hc__timer_expire(hc_engine *e, int64_t now);
void hc__timer_remove(hc_engine *e, hc__config *c);

/* test hooks (tests only) */
void hc__engine_inject_overflow(hc_engine *e);
void hc__engine_drop_events(hc_engine *e, int on);
/* Every later inotify_add_watch fails with err (0: stop). */
void hc__engine_refuse_watches(hc_engine *e, int err);
int hc__engine_watch_count(hc_engine *e);
/* inotify: fn(data) runs after each walk of a config's path and before
 * the watches it found are added, on the thread resolving it, no lock
 * held (a test changes the tree in that window). NULL: none. Set it
 * while nothing dispatches. */
void hc__engine_after_walk(hc_engine *e, void (*fn)(void *), void *data);
/* inotify: 1 while a writer of path's file is at work (IN_MODIFY seen,
 * no IN_CLOSE_WRITE yet), 0 when none, -1 when inotify does not follow
 * path. */
int hc__engine_writer_count(hc_engine *e, const char *path);

#endif /* HC_ENGINE_INTERNAL_H */
