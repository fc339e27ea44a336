/*
 * test_engine_common.h - shared by the engine tests: a recorder that
 * subscribers and on-error callbacks append to, waiting for a condition
 * (dispatching when the engine is not started), the save patterns the
 * engine must see, and config content in every format.
 */
#ifndef HC_TEST_ENGINE_COMMON_H
#define HC_TEST_ENGINE_COMMON_H

#include "hotconf.h"

#include <pthread.h>
#include <stdint.h>

/* Bounds waiting for an event; never an assertion about speed. */
#define TE_TIMEOUT_MS 10000

typedef struct te_entry {
    int is_error;
    char path[512];
    uint64_t version;
    hc_trigger trigger;
    json_t *doc; /* new_doc (changes) */
    size_t nchanges;
    int code; /* errors */
    int line, column;
    char text[512];
    uint64_t live_version;
} te_entry;

typedef struct te_recorder {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    te_entry *v;
    size_t n, cap;
    int fail_rc; /* returned by te_on_change */
} te_recorder;

void te_rec_init(te_recorder *r);
void te_rec_free(te_recorder *r);
size_t te_rec_count(te_recorder *r);
/* Copy of entry i (doc borrowed from the recorder). */
te_entry te_rec_at(te_recorder *r, size_t i);
size_t te_rec_count_errors(te_recorder *r, int code);
size_t te_rec_count_changes(te_recorder *r);

int te_on_change(const hc_change_record *rec, void *ud);
void te_on_error(const hc_error_record *rec, void *ud);

/* Waits until pred(arg) is true: dispatching e (when threaded == 0) or
 * sleeping on the recorder (threaded). Returns 1, or 0 on timeout. */
int te_wait(hc_engine *e, int threaded, te_recorder *r, int (*pred)(void *),
            void *arg, int timeout_ms);
/* Dispatches (or sleeps) for ms, for "nothing else happens" checks. */
void te_idle(hc_engine *e, int threaded, int ms);

/* The "v" value of the live document of path, -1 when none. */
long long te_live_v(hc_engine *e, const char *path);
/* Waits until the live "v" is want and the recorder saw it applied;
 * gives up early (returns 0) when a rejection is recorded meanwhile. */
int te_wait_v(hc_engine *e, int threaded, te_recorder *r, const char *path,
              long long want);
/* Same, without giving up on rejections. */
int te_wait_v_any(hc_engine *e, int threaded, te_recorder *r, const char *path,
                  long long want);

/* Config text for version v in format f: {"v": v, "name": "hotconf"}. */
const char *te_ext(hc_format f);
char *te_content(hc_format f, long long v);
/* Broken text in format f (a parse error on line 2). */
const char *te_broken(hc_format f);

/* The save patterns. setup prepares path (and its directory) with data;
 * save replaces the content the pattern's way. */
typedef enum te_pattern {
    TE_INPLACE,
    TE_RENAME,
    TE_DELETE_RECREATE,
    TE_MOVE_AWAY_BACK,
    TE_SYMLINK_SWAP,
    TE_DIR_RECREATE,
    TE_KEEP_OPEN
} te_pattern;
const char *te_pattern_name(te_pattern p);
void te_setup(te_pattern p, const char *path, const char *data);
/* For TE_KEEP_OPEN returns an fd the caller closes after the apply;
 * otherwise -1. */
int te_save(te_pattern p, const char *path, const char *data);

void te_write_inplace(const char *path, const char *data);
void te_write_rename(const char *path, const char *data);

#endif
