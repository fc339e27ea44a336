/*
 * store.h - the history store interface: where applied versions and
 * reload attempts are kept.
 *
 * The engine keeps no history of its own: hc__apply() appends each new
 * version to the engine's store and records each reload attempt there;
 * hc_history / hc_history_get read it back (list, get) and rollback is
 * get -> hc__apply(trigger rollback) -> the source's write_back (a
 * rollback written to the origin by someone else is told by
 * pending_rollback, and applied without the write-back). The
 * memory store (src/stores/memory.c: a ring per config that grows on
 * demand up to its depth) is the default; a persistent store (SQLite,
 * src/stores/sqlite.c) plugs in beside it.
 *
 * Selecting a store. src/stores/store.c holds the one table of stores
 * compiled in, tried in order by hc__store_open() when the engine is
 * created: the first whose open() answers 0 (not HC_ENOTSUP) is the
 * engine's store. The memory store is last and always accepts. A store
 * decides from the engine options whether it applies (a state directory
 * set, say), so adding one is one line in that table plus its module.
 *
 * Depth. A config's depth N (hc_watch_options.history_depth, else the
 * engine's) counts the versions kept besides the live one: with N = 10,
 * a rollback 10 versions back works. prune(keep) is called with N + 1.
 *
 * Threads and locks. Every op is called with no engine lock held (a store
 * that fsyncs must not stall readers or the dispatcher):
 *  - append, record_attempt, prune: with the config's apply lock held, so
 *    for one config they never run concurrently with each other;
 *  - list, get: from any thread, concurrently with the above and with
 *    each other; attach / detach: the thread in hc_watch / hc_unwatch /
 *    hc_engine_free.
 * A store therefore locks its own structures. Ops return 0 or a negative
 * HC_E* code; a failing append or record_attempt never fails the apply
 * (the engine reports it through the log callback).
 */
#ifndef HC_STORE_H
#define HC_STORE_H

#include "internal.h"

#include <stdint.h>

/* One applied version, as appended. Pointers are borrowed for the call:
 * a store copies what it keeps (the memory store takes a reference to
 * doc, a persistent store may ignore it). */
typedef struct hc__store_version {
    uint64_t version;     /* 1, 2, ...: per config, increasing */
    const char *content;  /* the exact bytes applied */
    size_t size;          /* content bytes */
    hc_format format;     /* how content parses */
    uint64_t hash;        /* XXH3_64bits(content) */
    int64_t applied_ns;   /* CLOCK_REALTIME when it went live */
    hc_trigger trigger;   /* what made it live */
    const char *revision; /* at the source (NULL when none) */
    size_t changed;       /* paths changed from the previous version */
    json_t *doc;          /* the parsed document (may be NULL) */
    /* the changes from the previous version (may be NULL); alive for the
     * call only, so a store that records the changed paths with the
     * attempt (record_attempt gets none for an applied version) copies
     * them here */
    const hc_changeset *changes;
} hc__store_version;

/* What became of one reload attempt. */
typedef enum hc__outcome {
    HC__OUTCOME_APPLIED = 0, /* a new version went live */
    HC__OUTCOME_REJECTED,    /* parse or validation error */
    HC__OUTCOME_VETOED,      /* a prepare callback refused it */
    HC__OUTCOME_MISSING,     /* the content was gone or unreadable */
    HC__OUTCOME_REVERTED,    /* went live, a subscriber failed, the previous
                                version went live again (trigger revert) */
    HC__OUTCOME_ROLLED_BACK  /* a rollback made an older version live */
} hc__outcome;

/* "applied", "rejected", "vetoed", "missing", "reverted", "rolled_back"
 * (the names the CLI prints and `--outcome` takes). */
const char *hc__outcome_name(hc__outcome o);

/* One reload attempt, as recorded. Borrowed for the call. */
typedef struct hc__store_attempt {
    int64_t time_ns;             /* CLOCK_REALTIME when it was decided */
    hc__outcome outcome;         /* see above */
    hc_trigger trigger;          /* what was being applied */
    uint64_t version;            /* the version made (0 when none) */
    const hc_error *error;       /* NULL when applied; else code, text and
                                    file:line:col or JSON pointer */
    int64_t latency_ns;          /* detection -> decision */
    const hc_changeset *changes; /* the changed paths (NULL: none) */
} hc__store_attempt;

/* A version read back: content is malloc'd (NUL-terminated, size without
 * the NUL) and freed by the caller with free(); doc is a new reference or
 * NULL when the store does not keep documents (the engine then parses
 * content); revision is malloc'd or NULL. */
typedef struct hc__store_got {
    hc_version_info info; /* version, time_ns, hash, size, trigger */
    hc_format format;
    char *content;
    json_t *doc;
    char *revision;
} hc__store_got;

void hc__store_got_clear(hc__store_got *g);

typedef struct hc__store hc__store;

typedef struct hc__store_ops {
    const char *name; /* "memory", "sqlite" */

    /* Opens the engine's store: decides from opts whether it applies
     * (HC_ENOTSUP: not configured, try the next store), allocates
     * s->state. log (may be NULL) reports trouble. */
    int (*open)(hc__store *s, const hc_engine_options *opts);

    /* A config starts being watched: per-config handle in *cfg. depth is
     * N as above. *last_version receives the highest version the store
     * already holds for id (0: none) so numbering continues across
     * restarts. */
    int (*attach)(hc__store *s, const char *id, hc_format format, int depth,
                  void **cfg, uint64_t *last_version);

    int (*append)(hc__store *s, void *cfg, const hc__store_version *v);

    /* Reload attempts, for the log (the memory store keeps the last
     * HC__MEM_ATTEMPTS per config). May be NULL. */
    int (*record_attempt)(hc__store *s, void *cfg, const hc__store_attempt *a);

    /* Versions newest first into out[0..max): returns how many are kept
     * (may exceed max: only max are written). */
    int (*list)(hc__store *s, void *cfg, hc_version_info *out, int max);

    /* The version `version` (HC_EHISTORY when not kept); or, when version
     * is 0, the one `back` steps behind the newest (0: the newest). */
    int (*get)(hc__store *s, void *cfg, uint64_t version, int back,
               hc__store_got *out);

    /* Keep the newest `keep` versions, drop the rest. */
    int (*prune)(hc__store *s, void *cfg, int keep);

    /* The config is no longer watched: free the handle. forget non-zero
     * also drops its data (the memory store always does; a persistent
     * store keeps it unless forget). */
    void (*detach)(hc__store *s, void *cfg, int forget);

    void (*close)(hc__store *s);

    /* The live stored version, when it is also the newest (its number and
     * hash), so that a start on the same content makes no new version
     * (the engine adopts that number instead). May be NULL; non-zero when
     * there is none. */
    int (*live)(hc__store *s, void *cfg, uint64_t *version, uint64_t *hash);

    /* Reload attempts newest first into out[0..max) (each entry's strings
     * are the caller's: hc_attempt_info_free); returns how many are kept
     * (may exceed max: only max are written) or a negative HC_E* code.
     * May be NULL (no attempts kept). Any thread, like list. */
    int (*list_attempts)(hc__store *s, void *cfg, hc_attempt_info *out,
                         int max);

    /* Is content with this hash, just read from the origin, a rollback
     * asked from outside the engine (`hotconf rollback FILE` while the
     * engine watches FILE)? 1 claims it: the engine applies it with
     * trigger rollback and no write-back (the origin already holds it),
     * and a second call for the same request answers 0. Called on every
     * change that reaches parsing, so a store answers an ordinary change
     * without I/O. May be NULL (never). Apply path (under the config's
     * apply lock). */
    int (*pending_rollback)(hc__store *s, void *cfg, uint64_t hash);
} hc__store_ops;

struct hc__store {
    const hc__store_ops *ops;
    void *state;   /* private to the store */
    hc_log_cb log; /* from the engine options (may be NULL) */
    void *log_data;
};

/* ---- the registry (src/stores/store.c) ---------------------------------- */
extern const hc__store_ops hc__store_memory; /* src/stores/memory.c */
/* src/stores/sqlite_store.c: hc_engine_options.state_dir set */
extern const hc__store_ops hc__store_sqlite;

/* Opens the first registered store that accepts opts into s (the memory
 * store always does). Returns 0 or HC_ENOMEM. */
int hc__store_open(hc__store *s, const hc_engine_options *opts);
void hc__store_close(hc__store *s);

#endif /* HC_STORE_H */
