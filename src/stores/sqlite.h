/*
 * sqlite.h - the persisted history store: versions and reload attempts of
 * every config in one SQLite database, DIR/state.db (see sqlite.c).
 *
 * Two kinds of users open it:
 *   - the watcher (HC__SQ_WATCHER): takes DIR/watcher.lock (flock, pid
 *     inside) so a second watcher on the same DIR refuses, and writes from
 *     a thread of its own: hc__sq_append / hc__sq_attempt only queue, so
 *     an fsync never stalls an apply or a reader.
 *   - readers (the operator CLI): no lock, no thread, synchronous.
 * A store error (full disk, read-only DIR) never fails the caller's apply:
 * it is counted (hc__sq_errors) and reported through the log callback.
 * Thread-safety: every function may be called from any thread.
 */
#ifndef HC_STORES_SQLITE_H
#define HC_STORES_SQLITE_H

#include "internal.h"

#include <stdint.h>
#include <sys/types.h>

#define HC__SQ_DB_NAME            "state.db"
#define HC__SQ_LOCK_NAME          "watcher.lock"
#define HC__SQ_KEEP_VERSIONS      10   /* per config */
#define HC__SQ_KEEP_ATTEMPTS      1000 /* per config */
#define HC__SQ_ATTEMPT_AGE_S      (30 * 86400)
#define HC__SQ_BUSY_MS            1000
#define HC__SQ_PENDING_ROLLBACK_S 60 /* a CLI rollback the watcher claims */
#define HC__SQ_COMMIT_DELAY_NS    1000000 /* the writer waits, then commits */

typedef struct hc__sq hc__sq;

typedef struct hc__sq_limits {
    int keep_versions;     /* 0: HC__SQ_KEEP_VERSIONS */
    int keep_attempts;     /* 0: HC__SQ_KEEP_ATTEMPTS */
    int64_t attempt_age_s; /* 0: HC__SQ_ATTEMPT_AGE_S */
} hc__sq_limits;

enum {
    HC__SQ_WATCHER = 1, /* the writer: lock, writer thread */
    HC__SQ_NOCREATE = 2 /* readers: a missing database is HC_ENOENT */
};

/* One stored version. Strings are owned by the struct (hc__sq_version_clear)
 * when returned by the store; borrowed when passed in. */
typedef struct hc__sq_version {
    uint64_t version; /* 0 on append: the next number */
    int64_t time_ns;  /* CLOCK_REALTIME */
    uint64_t hash;    /* xxh64 of the content */
    size_t size;
    int changed; /* keys changed against the previous version */
    int live;    /* returned: this is the live version */
    char *trigger;
    char *format;
    char *source_rev; /* may be NULL */
    char *content;    /* NULL in hc__sq_list results */
} hc__sq_version;

/* One reload attempt. Outcomes: applied, rejected, vetoed, missing,
 * reverted, rolled_back. */
typedef struct hc__sq_attempt {
    int64_t time_ns;
    char *outcome;
    char *trigger;
    uint64_t version; /* 0: none made */
    char *error;      /* "file:line:col: msg" or "/pointer: msg"; NULL */
    int64_t latency_us;
    char *changed; /* JSON array of the changed paths, NULL: none */
} hc__sq_attempt;

typedef struct hc__sq_config {
    char *config;
    char *format;
    uint64_t live_version;
    int64_t live_since_ns;
    int watched;  /* by the watcher holding the lock */
    char *schema; /* the watcher's schema file, NULL: none */
} hc__sq_config;

/* Counters kept per config; the stats verb sums them. */
/* clang-format off */
#define HC__SQ_COUNTERS(X)                                                     \
    X(loads) X(reloads) X(rollbacks) X(failed_validations) X(vetoed)           \
    X(missing) X(reverted) X(unchanged) X(lat_count) X(lat_sum_us)             \
    X(lat_max_us)
/* clang-format on */

typedef struct hc__sq_counters {
#define HC__SQ_FIELD(n) uint64_t n;
    HC__SQ_COUNTERS(HC__SQ_FIELD)
#undef HC__SQ_FIELD
} hc__sq_counters;

/*
 * Opens (creating DIR 0700 and the database 0600 unless HC__SQ_NOCREATE)
 * DIR's store. A corrupt database is renamed to state.db.corrupt-TIME with
 * a warning (log) and a fresh one is created. Returns NULL with err filled
 * when DIR cannot be used or (watcher) another watcher holds the lock
 * (HC_ESTATE). log may be NULL (warnings then go to stderr).
 */
hc__sq *hc__sq_open(const char *dir, int flags, const hc__sq_limits *lim,
                    hc_log_cb log, void *log_data, hc_error *err);
/* Flushes the queue, clears this watcher's marks, closes. NULL is fine. */
void hc__sq_close(hc__sq *s);

/* The key a config is stored under: an absolute clean path for files
 * (as the watcher names them), anything else unchanged. malloc'd. */
char *hc__sq_key(const char *config);

/* ---- writes (queued for the writer thread when watching) ---------------- */
/* The version becomes the config's live one. Copies v. A version number
 * of 0 takes the next one (readers only; the watcher knows its numbers). */
int hc__sq_append(hc__sq *s, const char *config, const hc__sq_version *v);
/* Records an attempt and counts it (outcome and trigger choose the
 * counter: applied+initial is a load, applied+rollback a rollback). */
int hc__sq_record(hc__sq *s, const char *config, const hc__sq_attempt *a);
/* Makes an already stored version live again (revert). */
int hc__sq_set_live(hc__sq *s, const char *config, uint64_t version,
                    int64_t time_ns);
/* Marks config as watched (by this watcher) or not; schema: the path of
 * the schema it is validated against (NULL: none), which a CLI rollback
 * checks the stored version against. Unwatching (on 0) keeps the
 * recorded schema. */
int hc__sq_watched(hc__sq *s, const char *config, const char *format,
                   const char *schema, int on);
/* Waits until everything queued is written. Returns the error count. */
uint64_t hc__sq_flush(hc__sq *s);
/* Store errors so far (writes that failed: disk full, read-only...). */
uint64_t hc__sq_errors(const hc__sq *s);

/* ---- pending rollbacks: the CLI asks a running watcher --------------------
 */
int hc__sq_rollback_request(hc__sq *s, const char *config, uint64_t hash,
                            uint64_t from_version);
/* 1 when a request for this content is pending (and removes it), else 0. */
int hc__sq_rollback_claim(hc__sq *s, const char *config, uint64_t hash);

/* ---- reads (synchronous; a watcher's queue is flushed first) ------------ */
/* Versions newest first (no content). *out malloc'd: hc__sq_versions_free. */
int hc__sq_list(hc__sq *s, const char *config, hc__sq_version **out, size_t *n);
/* One version with content (version 0: the newest). HC_EHISTORY if gone. */
int hc__sq_get(hc__sq *s, const char *config, uint64_t version,
               hc__sq_version *out);
/* Attempts newest first, since since_ns (0: all), outcome NULL: any. */
int hc__sq_attempts(hc__sq *s, const char *config, int64_t since_ns,
                    const char *outcome, hc__sq_attempt **out, size_t *n);
/* Configs (config NULL: all). */
int hc__sq_configs(hc__sq *s, const char *config, hc__sq_config **out,
                   size_t *n);
int hc__sq_counters_get(hc__sq *s, const char *config, hc__sq_counters *out);
/* Latency percentiles (p in 0..100) over the kept applied attempts. */
int64_t hc__sq_latency_pct(hc__sq *s, const char *config, int p);
/* The last attempt of config; HC_ENOENT when none. */
int hc__sq_last_attempt(hc__sq *s, const char *config, hc__sq_attempt *out);

/* The pid of the watcher holding DIR's lock, 0 when none. */
pid_t hc__sq_watcher_pid(const char *dir);

/* ---- the engine's store (sqlite_store.c) ---------------------------------
 * An engine created with hc_engine_options.state_dir holds the directory's
 * watcher lock and writes through its own hc__sq. */
/* That hc__sq (to flush, count errors), or NULL when the engine keeps
 * history in memory (no state_dir, or another watcher holds the lock). */
hc__sq *hc__sq_of_engine(hc_engine *e);
/* Records the schema file config is validated against (schema_path NULL:
 * none), for a CLI rollback's check; its writeOnly marks also mask
 * recorded errors. Before hc_watch(config) it is recorded when the watch
 * attaches (its first load included); after, at once. config NULL: for
 * every config watched from now on that was told none of its own (the
 * files a folder watch adds too). From the thread that watches. 0,
 * HC_ENOTSUP (no SQLite store), HC_ENOMEM. */
int hc__sq_engine_schema(hc_engine *e, const char *config,
                         const char *schema_path);

void hc__sq_version_clear(hc__sq_version *v);
void hc__sq_versions_free(hc__sq_version *v, size_t n);
void hc__sq_attempt_clear(hc__sq_attempt *a);
void hc__sq_attempts_free(hc__sq_attempt *a, size_t n);
void hc__sq_configs_free(hc__sq_config *c, size_t n);

#endif
