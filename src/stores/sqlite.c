/*
 * sqlite.c - the persisted history store (SQLite, WAL).
 *
 * Why these choices:
 *   - WAL with synchronous=NORMAL: a commit is a write to the WAL, no fsync
 *     (fsync at checkpoint); a kill -9 loses nothing committed, a power cut
 *     at most the last commits, and readers (the CLI) never block the writer.
 *   - One writer thread per watcher: the engine's apply only queues; the
 *     thread drains the queue into one transaction, so a burst of changes
 *     costs one commit and an fsync never stalls an apply.
 *   - A failed write (SQLITE_FULL, READONLY, IOERR) is counted and logged
 *     once per failing stretch; the caller never sees it.
 *   - The version counter lives in configs.last_version, not MAX(version),
 *     so pruning can never make a number come back.
 */
#include "stores/sqlite.h"

#include "engine/engine_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Each entry upgrades the schema from version i to i + 1. Never edit one
 * that shipped: append a new one. */
static const char *const migrations[] = {
    "CREATE TABLE configs("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, format TEXT,"
    " created_ns INTEGER NOT NULL DEFAULT 0,"
    " last_version INTEGER NOT NULL DEFAULT 0,"
    " live_version INTEGER NOT NULL DEFAULT 0,"
    " live_since_ns INTEGER NOT NULL DEFAULT 0,"
    " watched INTEGER NOT NULL DEFAULT 0, schema TEXT);"
    "CREATE TABLE versions("
    " config_id INTEGER NOT NULL REFERENCES configs(id),"
    " version INTEGER NOT NULL, content BLOB NOT NULL, format TEXT,"
    " hash INTEGER NOT NULL, size INTEGER NOT NULL,"
    " applied_ns INTEGER NOT NULL, trigger TEXT NOT NULL, source_rev TEXT,"
    " changed INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(config_id, version)) WITHOUT ROWID;"
    "CREATE TABLE attempts("
    " id INTEGER PRIMARY KEY, config_id INTEGER NOT NULL REFERENCES "
    "configs(id),"
    " time_ns INTEGER NOT NULL, outcome TEXT NOT NULL, trigger TEXT,"
    " version INTEGER NOT NULL DEFAULT 0, error TEXT,"
    " latency_us INTEGER NOT NULL DEFAULT 0, changed TEXT);"
    "CREATE INDEX attempts_by_config ON attempts(config_id, id);"
    "CREATE TABLE counters("
    " config_id INTEGER PRIMARY KEY REFERENCES configs(id),"
    " loads INTEGER NOT NULL DEFAULT 0, reloads INTEGER NOT NULL DEFAULT 0,"
    " rollbacks INTEGER NOT NULL DEFAULT 0,"
    " failed_validations INTEGER NOT NULL DEFAULT 0,"
    " vetoed INTEGER NOT NULL DEFAULT 0, missing INTEGER NOT NULL DEFAULT 0,"
    " reverted INTEGER NOT NULL DEFAULT 0,"
    " unchanged INTEGER NOT NULL DEFAULT 0,"
    " lat_count INTEGER NOT NULL DEFAULT 0,"
    " lat_sum_us INTEGER NOT NULL DEFAULT 0,"
    " lat_max_us INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE pending_rollbacks("
    " config_id INTEGER PRIMARY KEY REFERENCES configs(id),"
    " hash INTEGER NOT NULL, from_version INTEGER NOT NULL,"
    " time_ns INTEGER NOT NULL);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum op_kind { OP_APPEND, OP_ATTEMPT, OP_SET_LIVE, OP_WATCHED };

typedef struct sq_op {
    struct sq_op *next;
    enum op_kind kind;
    char *config;
    char *format;
    char *schema;
    hc__sq_version v;
    hc__sq_attempt a;
    int on;
} sq_op;

struct hc__sq {
    char *dir, *dbpath;
    int flags;
    hc__sq_limits lim;
    hc_log_cb log;
    void *log_data;
    int lockfd;

    pthread_mutex_t dbmu; /* the connection */
    sqlite3 *db;

    /* the writer's queue (watcher only) */
    pthread_mutex_t qmu;
    pthread_cond_t qcv, idlecv;
    sq_op *qhead, *qtail;
    int busy, stop, thread_on, flushing;
    pthread_t thread;

    _Atomic uint64_t errors;
    int failing; /* logged the current failing stretch */
    unsigned attempts_since_prune;
};

static void sq_log(hc__sq *s, int level, const char *fmt, ...) HC__PRINTF(3, 4);
static void sq_log(hc__sq *s, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s && s->log)
        s->log(level, msg, s->log_data);
    else
        fprintf(stderr, "hotconf: %s\n", msg);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *dup_or_null(const char *p)
{
    return p ? strdup(p) : NULL;
}

char *hc__sq_key(const char *config)
{
    /* A URI (scheme://) names itself; a file is named by its absolute
     * clean path, as the watcher names it. */
    if (strstr(config, "://"))
        return strdup(config);
    return hc__path_absolute(config);
}

/* ---- statement helpers ------------------------------------------------- */
static int exec_sql(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static sqlite3_stmt *prep(hc__sq *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
    if (t)
        sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

/* Runs a statement that returns no rows. Returns the SQLite code. */
static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* The id of config (created when create and absent), 0 when none. */
static int64_t config_id(hc__sq *s, const char *config, const char *format,
                         int create)
{
    sqlite3_stmt *st;
    int64_t id = 0;
    if (create) {
        st = prep(s, "INSERT OR IGNORE INTO configs(name, format, created_ns)"
                     " VALUES(?1, ?2, ?3)");
        if (!st)
            return -1;
        bind_text(st, 1, config);
        bind_text(st, 2, format);
        sqlite3_bind_int64(st, 3, now_ns());
        if (step_done(st) != SQLITE_OK)
            return -1;
    }
    st = prep(s, "SELECT id FROM configs WHERE name = ?1");
    if (!st)
        return -1;
    bind_text(st, 1, config);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (create && id > 0) {
        st = prep(s, "INSERT OR IGNORE INTO counters(config_id) VALUES(?1)");
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, id);
        if (step_done(st) != SQLITE_OK)
            return -1;
        if (format) {
            st = prep(s, "UPDATE configs SET format = ?2 WHERE id = ?1"
                         " AND format IS NOT ?2");
            if (!st)
                return -1;
            sqlite3_bind_int64(st, 1, id);
            bind_text(st, 2, format);
            if (step_done(st) != SQLITE_OK)
                return -1;
        }
    }
    return id;
}

/* ---- the write operations (inside a transaction) ----------------------- */
static int run_append(hc__sq *s, sq_op *op)
{
    int64_t id = config_id(s, op->config, op->v.format, 1);
    uint64_t ver = op->v.version;
    sqlite3_stmt *st;
    int rc;
    if (id <= 0)
        return SQLITE_ERROR;
    if (ver == 0) {
        st = prep(s, "SELECT last_version FROM configs WHERE id = ?1");
        if (!st)
            return SQLITE_ERROR;
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW)
            ver = (uint64_t)sqlite3_column_int64(st, 0) + 1;
        sqlite3_finalize(st);
        op->v.version = ver;
    }
    st =
        prep(s, "INSERT OR REPLACE INTO versions(config_id, version, content,"
                " format, hash, size, applied_ns, trigger, source_rev, changed)"
                " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!st)
        return SQLITE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ver);
    sqlite3_bind_blob(st, 3, op->v.content ? op->v.content : "",
                      (int)op->v.size, SQLITE_STATIC);
    bind_text(st, 4, op->v.format);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)op->v.hash);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)op->v.size);
    sqlite3_bind_int64(st, 7, op->v.time_ns);
    bind_text(st, 8, op->v.trigger ? op->v.trigger : "modify");
    bind_text(st, 9, op->v.source_rev);
    sqlite3_bind_int(st, 10, op->v.changed);
    if ((rc = step_done(st)) != SQLITE_OK)
        return rc;
    st = prep(s, "UPDATE configs SET live_version = ?2, live_since_ns = ?3,"
                 " last_version = MAX(last_version, ?2) WHERE id = ?1");
    if (!st)
        return SQLITE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ver);
    sqlite3_bind_int64(st, 3, op->v.time_ns);
    if ((rc = step_done(st)) != SQLITE_OK)
        return rc;
    /* Retention: the newest keep_versions, and the live one whatever. */
    st = prep(s, "DELETE FROM versions WHERE config_id = ?1 AND version <"
                 " (SELECT MIN(version) FROM (SELECT version FROM versions"
                 "  WHERE config_id = ?1 ORDER BY version DESC LIMIT ?2))"
                 " AND version != (SELECT live_version FROM configs"
                 "  WHERE id = ?1)");
    if (!st)
        return SQLITE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, s->lim.keep_versions);
    return step_done(st);
}

static const char *counter_of(const hc__sq_attempt *a)
{
    const char *o = a->outcome ? a->outcome : "";
    const char *t = a->trigger ? a->trigger : "";
    if (!strcmp(o, "applied")) {
        if (!strcmp(t, "initial") || !strcmp(t, "last_known_good"))
            return "loads";
        if (!strcmp(t, "rollback"))
            return "rollbacks";
        return "reloads";
    }
    if (!strcmp(o, "rolled_back"))
        return "rollbacks";
    if (!strcmp(o, "rejected"))
        return "failed_validations";
    if (!strcmp(o, "vetoed"))
        return "vetoed";
    if (!strcmp(o, "missing"))
        return "missing";
    if (!strcmp(o, "reverted"))
        return "reverted";
    return NULL;
}

static int run_attempt(hc__sq *s, sq_op *op)
{
    int64_t id = config_id(s, op->config, op->format, 1);
    const char *counter = counter_of(&op->a);
    sqlite3_stmt *st;
    char sql[256];
    int rc;
    if (id <= 0)
        return SQLITE_ERROR;
    st = prep(s, "INSERT INTO attempts(config_id, time_ns, outcome, trigger,"
                 " version, error, latency_us, changed)"
                 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!st)
        return SQLITE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, op->a.time_ns);
    bind_text(st, 3, op->a.outcome);
    bind_text(st, 4, op->a.trigger);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)op->a.version);
    bind_text(st, 6, op->a.error);
    sqlite3_bind_int64(st, 7, op->a.latency_us);
    bind_text(st, 8, op->a.changed);
    if ((rc = step_done(st)) != SQLITE_OK)
        return rc;
    if (counter) {
        /* counter is one of our fixed names, never input */
        int reload = !strcmp(counter, "reloads");
        snprintf(sql, sizeof sql,
                 "UPDATE counters SET %s = %s + 1%s WHERE config_id = ?1",
                 counter, counter,
                 reload ? ", lat_count = lat_count + 1,"
                          " lat_sum_us = lat_sum_us + ?2,"
                          " lat_max_us = MAX(lat_max_us, ?2)"
                        : "");
        st = prep(s, sql);
        if (!st)
            return SQLITE_ERROR;
        sqlite3_bind_int64(st, 1, id);
        if (reload)
            sqlite3_bind_int64(st, 2, op->a.latency_us);
        if ((rc = step_done(st)) != SQLITE_OK)
            return rc;
    }
    /* Retention by count each time (cheap with the index), by age now
     * and then. */
    st = prep(s, "DELETE FROM attempts WHERE config_id = ?1 AND id <="
                 " (SELECT id FROM attempts WHERE config_id = ?1"
                 "  ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    if (!st)
        return SQLITE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, s->lim.keep_attempts);
    if ((rc = step_done(st)) != SQLITE_OK)
        return rc;
    if (++s->attempts_since_prune >= 256) {
        s->attempts_since_prune = 0;
        st = prep(s, "DELETE FROM attempts WHERE time_ns < ?1");
        if (!st)
            return SQLITE_ERROR;
        sqlite3_bind_int64(st, 1,
                           now_ns() - s->lim.attempt_age_s * 1000000000LL);
        return step_done(st);
    }
    return SQLITE_OK;
}

static int run_set_live(hc__sq *s, sq_op *op)
{
    int64_t id = config_id(s, op->config, NULL, 1);
    sqlite3_stmt *st;
    if (id <= 0)
        return SQLITE_ERROR;
    st = prep(s, "UPDATE configs SET live_version = ?2, live_since_ns = ?3"
                 " WHERE id = ?1");
    if (!st)
        return SQLITE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)op->v.version);
    sqlite3_bind_int64(st, 3, op->v.time_ns);
    return step_done(st);
}

static int run_watched(hc__sq *s, sq_op *op)
{
    int64_t id = config_id(s, op->config, op->format, 1);
    sqlite3_stmt *st;
    if (id <= 0)
        return SQLITE_ERROR;
    /* unwatching keeps the schema: a rollback with no watcher checks it */
    st = prep(s, "UPDATE configs SET watched = ?2,"
                 " schema = CASE WHEN ?2 THEN ?3 ELSE schema END"
                 " WHERE id = ?1");
    if (!st)
        return SQLITE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, op->on);
    bind_text(st, 3, op->schema);
    return step_done(st);
}

static void op_free(sq_op *op)
{
    free(op->config);
    free(op->format);
    free(op->schema);
    hc__sq_version_clear(&op->v);
    hc__sq_attempt_clear(&op->a);
    free(op);
}

/* Runs a list of operations in one transaction; frees them. Holds dbmu. */
static void run_ops(hc__sq *s, sq_op *list)
{
    int rc = SQLITE_OK;
    size_t n = 0;
    sq_op *op;
    if (!s->db)
        rc = SQLITE_CANTOPEN;
    else
        rc = exec_sql(s->db, "BEGIN IMMEDIATE");
    for (op = list; op && rc == SQLITE_OK; op = op->next) {
        switch (op->kind) {
        case OP_APPEND: rc = run_append(s, op); break;
        case OP_ATTEMPT: rc = run_attempt(s, op); break;
        case OP_SET_LIVE: rc = run_set_live(s, op); break;
        case OP_WATCHED: rc = run_watched(s, op); break;
        }
    }
    if (rc == SQLITE_OK)
        rc = exec_sql(s->db, "COMMIT");
    for (op = list; op; n++)
        op = op->next;
    if (rc != SQLITE_OK) {
        const char *why =
            s->db ? sqlite3_errmsg(s->db) : "the database could not be opened";
        if (s->db)
            exec_sql(s->db, "ROLLBACK");
        s->errors += n;
        if (!s->failing)
            sq_log(s, 1,
                   "state store %s: cannot write (%s); applies go on, "
                   "history is not recorded (%" PRIu64 " writes lost)",
                   s->dbpath, why, (uint64_t)s->errors);
        s->failing = 1;
    } else if (s->failing) {
        sq_log(s, 2, "state store %s: writing again (%" PRIu64 " writes lost)",
               s->dbpath, (uint64_t)s->errors);
        s->failing = 0;
    }
    while (list) {
        op = list->next;
        op_free(list);
        list = op;
    }
}

static void *writer_main(void *arg)
{
    hc__sq *s = arg;
    pthread_mutex_lock(&s->qmu);
    for (;;) {
        sq_op *list;
        while (!s->qhead && !s->stop)
            pthread_cond_wait(&s->qcv, &s->qmu);
        if (!s->qhead && s->stop)
            break;
        if (!s->stop && !s->flushing) {
            /* Group commit, a little later: the engine queues as it
             * publishes, and a commit that starts at once competes for the
             * CPU with the delivery of that very change. */
            pthread_mutex_unlock(&s->qmu);
            nanosleep(&(struct timespec){0, HC__SQ_COMMIT_DELAY_NS}, NULL);
            pthread_mutex_lock(&s->qmu);
        }
        list = s->qhead;
        s->qhead = s->qtail = NULL;
        s->busy = 1;
        pthread_mutex_unlock(&s->qmu);
        pthread_mutex_lock(&s->dbmu);
        run_ops(s, list);
        pthread_mutex_unlock(&s->dbmu);
        pthread_mutex_lock(&s->qmu);
        s->busy = 0;
        if (!s->qhead)
            pthread_cond_broadcast(&s->idlecv);
    }
    pthread_cond_broadcast(&s->idlecv);
    pthread_mutex_unlock(&s->qmu);
    return NULL;
}

/* Queues op (watcher) or runs it now (readers). */
static int submit(hc__sq *s, sq_op *op)
{
    if (!s->thread_on) {
        pthread_mutex_lock(&s->dbmu);
        run_ops(s, op);
        pthread_mutex_unlock(&s->dbmu);
        return 0;
    }
    pthread_mutex_lock(&s->qmu);
    if (s->qtail)
        s->qtail->next = op;
    else
        s->qhead = op;
    s->qtail = op;
    /* A version is followed by its attempt: waking the writer for the
     * attempt only keeps it off the CPU while the engine publishes (the
     * apply path queues the version before the swap). A flush or close
     * wakes it too. */
    if (op->kind != OP_APPEND)
        pthread_cond_signal(&s->qcv);
    pthread_mutex_unlock(&s->qmu);
    return 0;
}

uint64_t hc__sq_flush(hc__sq *s)
{
    if (!s)
        return 0;
    if (s->thread_on) {
        pthread_mutex_lock(&s->qmu);
        if (s->qhead)
            pthread_cond_signal(&s->qcv); /* a version queued alone */
        s->flushing++; /* no commit delay while someone waits */
        while (s->qhead || s->busy)
            pthread_cond_wait(&s->idlecv, &s->qmu);
        s->flushing--;
        pthread_mutex_unlock(&s->qmu);
    }
    return s->errors;
}

uint64_t hc__sq_errors(const hc__sq *s)
{
    return s ? s->errors : 0;
}

static sq_op *op_new(enum op_kind kind, const char *config)
{
    sq_op *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->kind = kind;
    op->config = hc__sq_key(config);
    if (!op->config) {
        free(op);
        return NULL;
    }
    return op;
}

static int lost(hc__sq *s)
{
    s->errors++;
    return HC_ENOMEM;
}

int hc__sq_append(hc__sq *s, const char *config, const hc__sq_version *v)
{
    sq_op *op = op_new(OP_APPEND, config);
    if (!op)
        return lost(s);
    op->v = *v;
    op->v.trigger = dup_or_null(v->trigger);
    op->v.format = dup_or_null(v->format);
    op->v.source_rev = dup_or_null(v->source_rev);
    op->v.content = malloc(v->size + 1);
    if (!op->v.content || (v->trigger && !op->v.trigger) ||
        (v->format && !op->v.format)) {
        op_free(op);
        return lost(s);
    }
    if (v->size)
        memcpy(op->v.content, v->content, v->size);
    op->v.content[v->size] = '\0';
    return submit(s, op);
}

int hc__sq_record(hc__sq *s, const char *config, const hc__sq_attempt *a)
{
    sq_op *op = op_new(OP_ATTEMPT, config);
    if (!op)
        return lost(s);
    op->a = *a;
    op->a.outcome = dup_or_null(a->outcome);
    op->a.trigger = dup_or_null(a->trigger);
    op->a.error = dup_or_null(a->error);
    op->a.changed = dup_or_null(a->changed);
    if (!op->a.outcome) {
        op_free(op);
        return lost(s);
    }
    return submit(s, op);
}

int hc__sq_set_live(hc__sq *s, const char *config, uint64_t version,
                    int64_t time_ns)
{
    sq_op *op = op_new(OP_SET_LIVE, config);
    if (!op)
        return lost(s);
    op->v.version = version;
    op->v.time_ns = time_ns;
    return submit(s, op);
}

int hc__sq_watched(hc__sq *s, const char *config, const char *format,
                   const char *schema, int on)
{
    sq_op *op = op_new(OP_WATCHED, config);
    if (!op)
        return lost(s);
    op->format = dup_or_null(format);
    op->schema = dup_or_null(schema);
    op->on = on;
    return submit(s, op);
}

/* ---- opening ------------------------------------------------------------ */
static int migrate(hc__sq *s, hc_error *err)
{
    sqlite3_stmt *st;
    int have = 0, rc;
    rc = exec_sql(s->db, "CREATE TABLE IF NOT EXISTS schema_version("
                         "version INTEGER NOT NULL)");
    if (rc != SQLITE_OK)
        return rc;
    st = prep(s, "SELECT MAX(version) FROM schema_version");
    if (!st)
        return sqlite3_errcode(s->db);
    if (sqlite3_step(st) == SQLITE_ROW)
        have = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (have > SCHEMA_VERSION) {
        hc__error_set(err, HC_ESTATE, s->dbpath, 0, 0, 0,
                      "database schema version %d is newer than this "
                      "hotconf's (%d)",
                      have, SCHEMA_VERSION);
        return SQLITE_MISMATCH;
    }
    if (have == SCHEMA_VERSION)
        return SQLITE_OK;
    if ((rc = exec_sql(s->db, "BEGIN IMMEDIATE")) != SQLITE_OK)
        return rc;
    for (int i = have; i < SCHEMA_VERSION && rc == SQLITE_OK; i++) {
        char sql[80];
        rc = exec_sql(s->db, migrations[i]);
        snprintf(sql, sizeof sql,
                 "DELETE FROM schema_version;"
                 "INSERT INTO schema_version VALUES(%d)",
                 i + 1);
        if (rc == SQLITE_OK)
            rc = exec_sql(s->db, sql);
    }
    if (rc == SQLITE_OK)
        rc = exec_sql(s->db, "COMMIT");
    else
        exec_sql(s->db, "ROLLBACK");
    return rc;
}

static int is_corruption(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

/* Opens and checks s->dbpath. Returns the SQLite code. */
static int open_db(hc__sq *s, hc_error *err)
{
    int rc, fd;
    sqlite3_stmt *st;
    if (!(s->flags & HC__SQ_NOCREATE)) {
        /* Created 0600 before SQLite sees it: SQLite gives the -wal and
         * -shm files the database's mode. */
        fd = open(s->dbpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EROFS && errno != EACCES)
            return SQLITE_CANTOPEN;
        if (fd >= 0)
            close(fd);
    } else if (access(s->dbpath, F_OK) != 0) {
        return SQLITE_NOTFOUND;
    }
    rc = sqlite3_open_v2(s->dbpath, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_busy_timeout(s->db, HC__SQ_BUSY_MS);
    rc = exec_sql(s->db, "PRAGMA journal_mode=WAL");
    if (rc == SQLITE_OK)
        rc = exec_sql(s->db, "PRAGMA synchronous=NORMAL");
    if (rc == SQLITE_OK)
        rc = exec_sql(s->db, "PRAGMA foreign_keys=ON");
    if (rc == SQLITE_OK && (s->flags & HC__SQ_WATCHER)) {
        st = prep(s, "PRAGMA quick_check");
        if (!st) {
            rc = sqlite3_errcode(s->db);
        } else {
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                const unsigned char *t = sqlite3_column_text(st, 0);
                rc = t && !strcmp((const char *)t, "ok") ? SQLITE_OK
                                                         : SQLITE_CORRUPT;
            }
            sqlite3_finalize(st);
        }
    }
    if (rc == SQLITE_OK)
        rc = migrate(s, err);
    return rc;
}

static void close_db(hc__sq *s)
{
    if (s->db)
        sqlite3_close_v2(s->db);
    s->db = NULL;
}

/* Moves a corrupt database (and its -wal, -shm) aside. */
static void move_aside(hc__sq *s)
{
    static const char *const sfx[] = {"", "-wal", "-shm"};
    char stamp[32], from[PATH_MAX], to[PATH_MAX];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(from, sizeof from, "%s%s", s->dbpath, sfx[i]);
        snprintf(to, sizeof to, "%s.corrupt-%s%s", s->dbpath, stamp, sfx[i]);
        if (rename(from, to) != 0 && errno != ENOENT)
            unlink(from);
    }
    snprintf(to, sizeof to, "%s.corrupt-%s", s->dbpath, stamp);
    sq_log(s, 1, "state store: %s is corrupt; moved to %s, starting afresh",
           s->dbpath, to);
}

static int take_lock(hc__sq *s, hc_error *err)
{
    char path[PATH_MAX], buf[32];
    int n;
    snprintf(path, sizeof path, "%s/%s", s->dir, HC__SQ_LOCK_NAME);
    s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lockfd < 0)
        return 0; /* read-only DIR: no lock, no store writes either */
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        pid_t pid = hc__sq_watcher_pid(s->dir);
        hc__error_set(err, HC_ESTATE, s->dir, 0, 0, 0,
                      "another watcher (pid %ld) uses this state directory; "
                      "give each watcher its own --state",
                      (long)pid);
        close(s->lockfd);
        s->lockfd = -1;
        return -1;
    }
    n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(s->lockfd, 0) != 0 ||
        pwrite(s->lockfd, buf, (size_t)n, 0) != n)
        sq_log(s, 1, "state store: cannot write %s", path);
    return 0;
}

pid_t hc__sq_watcher_pid(const char *dir)
{
    char path[PATH_MAX], buf[32];
    ssize_t n;
    pid_t pid = 0;
    int fd;
    snprintf(path, sizeof path, "%s/%s", dir, HC__SQ_LOCK_NAME);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        close(fd); /* nobody holds it: no watcher */
        return 0;
    }
    n = pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
        buf[n] = '\0';
        pid = (pid_t)strtol(buf, NULL, 10);
    }
    close(fd);
    return pid > 0 ? pid : -1;
}

static int mkdir_p(const char *dir)
{
    char p[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof p)
        return -1;
    memcpy(p, dir, n + 1);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
        *q = '/';
    }
    return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

hc__sq *hc__sq_open(const char *dir, int flags, const hc__sq_limits *lim,
                    hc_log_cb log, void *log_data, hc_error *err)
{
    hc__sq *s = calloc(1, sizeof *s);
    size_t n;
    int rc;
    if (!s) {
        hc__error_set(err, HC_ENOMEM, dir, 0, 0, 0, "out of memory");
        return NULL;
    }
    s->flags = flags;
    s->log = log;
    s->log_data = log_data;
    s->lockfd = -1;
    if (lim)
        s->lim = *lim;
    if (s->lim.keep_versions <= 0)
        s->lim.keep_versions = HC__SQ_KEEP_VERSIONS;
    if (s->lim.keep_attempts <= 0)
        s->lim.keep_attempts = HC__SQ_KEEP_ATTEMPTS;
    if (s->lim.attempt_age_s <= 0)
        s->lim.attempt_age_s = HC__SQ_ATTEMPT_AGE_S;
    pthread_mutex_init(&s->dbmu, NULL);
    pthread_mutex_init(&s->qmu, NULL);
    pthread_cond_init(&s->qcv, NULL);
    pthread_cond_init(&s->idlecv, NULL);
    s->dir = strdup(dir);
    n = strlen(dir) + sizeof HC__SQ_DB_NAME + 2;
    s->dbpath = malloc(n);
    if (!s->dir || !s->dbpath) {
        hc__error_set(err, HC_ENOMEM, dir, 0, 0, 0, "out of memory");
        goto fail;
    }
    snprintf(s->dbpath, n, "%s/%s", dir, HC__SQ_DB_NAME);
    if (!(flags & HC__SQ_NOCREATE) && mkdir_p(dir) != 0) {
        hc__error_set(err, HC_ESYS, dir, 0, 0, 0,
                      "cannot create the state directory: %s", strerror(errno));
        if (!(flags & HC__SQ_WATCHER))
            goto fail;
    }
    if ((flags & HC__SQ_WATCHER) && take_lock(s, err) != 0)
        goto fail;
    rc = open_db(s, err);
    if (rc != SQLITE_OK && (flags & HC__SQ_WATCHER) && is_corruption(rc)) {
        close_db(s);
        move_aside(s);
        rc = open_db(s, err);
    }
    if (rc != SQLITE_OK) {
        if (err && !err->code)
            hc__error_set(err, rc == SQLITE_NOTFOUND ? HC_ENOENT : HC_ESYS,
                          s->dbpath, 0, 0, 0, "%s",
                          rc == SQLITE_NOTFOUND ? "no state database here"
                          : s->db               ? sqlite3_errmsg(s->db)
                                                : sqlite3_errstr(rc));
        close_db(s);
        if (!(flags & HC__SQ_WATCHER))
            goto fail;
        /* A watcher carries on without history: applies never depend on
         * the store. Every write counts as an error. */
        sq_log(s, 1, "state store %s unusable (%s); watching without history",
               s->dbpath, err && err->code ? err->text : "error");
    }
    if (s->db && (flags & HC__SQ_WATCHER)) {
        /* marks left by a watcher that died */
        exec_sql(s->db, "UPDATE configs SET watched = 0 WHERE watched != 0");
    }
    if (flags & HC__SQ_WATCHER) {
        /* The writer takes no signals: a process-directed SIGTERM must
         * reach the thread that waits for it (a signalfd, a handler), not
         * kill the process through ours. */
        int prc = hc__thread_start(&s->thread, writer_main, s);
        if (prc != 0) {
            hc__error_set(err, HC_ESYS, dir, 0, 0, 0,
                          "cannot start the store thread");
            goto fail;
        }
        s->thread_on = 1;
    }
    if (err && s->db)
        hc_error_init(err);
    return s;
fail:
    hc__sq_close(s);
    return NULL;
}

void hc__sq_close(hc__sq *s)
{
    if (!s)
        return;
    if (s->thread_on) {
        pthread_mutex_lock(&s->qmu);
        s->stop = 1;
        pthread_cond_signal(&s->qcv);
        pthread_mutex_unlock(&s->qmu);
        pthread_join(s->thread, NULL);
    }
    if (s->db && (s->flags & HC__SQ_WATCHER))
        exec_sql(s->db, "UPDATE configs SET watched = 0 WHERE watched != 0");
    close_db(s);
    if (s->lockfd >= 0)
        close(s->lockfd);
    pthread_mutex_destroy(&s->dbmu);
    pthread_mutex_destroy(&s->qmu);
    pthread_cond_destroy(&s->qcv);
    pthread_cond_destroy(&s->idlecv);
    free(s->dir);
    free(s->dbpath);
    free(s);
}

/* ---- pending rollbacks ----------------------------------------------------
 */
int hc__sq_rollback_request(hc__sq *s, const char *config, uint64_t hash,
                            uint64_t from_version)
{
    char *key = hc__sq_key(config);
    int64_t id;
    sqlite3_stmt *st;
    int rc = HC_ESYS;
    if (!key)
        return HC_ENOMEM;
    hc__sq_flush(s);
    pthread_mutex_lock(&s->dbmu);
    if (s->db && (id = config_id(s, key, NULL, 0)) > 0 &&
        (st =
             prep(s, "INSERT OR REPLACE INTO pending_rollbacks(config_id,"
                     " hash, from_version, time_ns) VALUES(?1, ?2, ?3, ?4)"))) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)hash);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)from_version);
        sqlite3_bind_int64(st, 4, now_ns());
        rc = step_done(st) == SQLITE_OK ? 0 : HC_ESYS;
    }
    pthread_mutex_unlock(&s->dbmu);
    free(key);
    return rc;
}

int hc__sq_rollback_claim(hc__sq *s, const char *config, uint64_t hash)
{
    char *key = hc__sq_key(config);
    sqlite3_stmt *st;
    int found = 0;
    if (!key)
        return 0;
    pthread_mutex_lock(&s->dbmu);
    if (s->db &&
        (st = prep(s, "DELETE FROM pending_rollbacks WHERE config_id ="
                      " (SELECT id FROM configs WHERE name = ?1) AND hash = ?2"
                      " AND time_ns >= ?3 RETURNING 1"))) {
        bind_text(st, 1, key);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)hash);
        sqlite3_bind_int64(st, 3,
                           now_ns() - HC__SQ_PENDING_ROLLBACK_S * 1000000000LL);
        found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->dbmu);
    free(key);
    return found;
}

/* ---- reads ------------------------------------------------------------------
 */
/* Locks the connection for a read (after the queue). 0, or an error. */
static int read_begin(hc__sq *s, const char *config, char **key)
{
    hc__sq_flush(s);
    *key = NULL;
    if (config && !(*key = hc__sq_key(config)))
        return HC_ENOMEM;
    pthread_mutex_lock(&s->dbmu);
    if (!s->db) {
        pthread_mutex_unlock(&s->dbmu);
        free(*key);
        return HC_ESYS;
    }
    return 0;
}

static void read_end(hc__sq *s, char *key)
{
    pthread_mutex_unlock(&s->dbmu);
    free(key);
}

static void version_row(sqlite3_stmt *st, void *elem)
{
    hc__sq_version *v = elem;
    v->version = (uint64_t)sqlite3_column_int64(st, 0);
    v->time_ns = sqlite3_column_int64(st, 1);
    v->hash = (uint64_t)sqlite3_column_int64(st, 2);
    v->size = (size_t)sqlite3_column_int64(st, 3);
    v->trigger = col_text(st, 4);
    v->format = col_text(st, 5);
    v->source_rev = col_text(st, 6);
    v->changed = sqlite3_column_int(st, 7);
    v->live = sqlite3_column_int(st, 8);
}

static void version_content_row(sqlite3_stmt *st, void *elem)
{
    hc__sq_version *v = elem;
    const void *b = sqlite3_column_blob(st, 9);
    int n = sqlite3_column_bytes(st, 9);
    version_row(st, elem);
    v->content = malloc((size_t)n + 1);
    if (v->content) {
        if (n)
            memcpy(v->content, b, (size_t)n);
        v->content[n] = '\0';
    }
    v->size = (size_t)n;
}

static void attempt_row(sqlite3_stmt *st, void *elem)
{
    hc__sq_attempt *a = elem;
    a->time_ns = sqlite3_column_int64(st, 0);
    a->outcome = col_text(st, 1);
    a->trigger = col_text(st, 2);
    a->version = (uint64_t)sqlite3_column_int64(st, 3);
    a->error = col_text(st, 4);
    a->latency_us = sqlite3_column_int64(st, 5);
    a->changed = col_text(st, 6);
}

static void config_row(sqlite3_stmt *st, void *elem)
{
    hc__sq_config *c = elem;
    c->config = col_text(st, 0);
    c->format = col_text(st, 1);
    c->live_version = (uint64_t)sqlite3_column_int64(st, 2);
    c->live_since_ns = sqlite3_column_int64(st, 3);
    c->watched = sqlite3_column_int(st, 4);
    c->schema = col_text(st, 5);
}

static void version_clear_any(void *elem)
{
    hc__sq_version_clear(elem);
}

static void attempt_clear_any(void *elem)
{
    hc__sq_attempt_clear(elem);
}

static void config_clear_any(void *elem)
{
    hc__sq_config *c = elem;
    free(c->config);
    free(c->format);
    free(c->schema);
}

/* The parameters of a read: ?1 is always the config's key (NULL: all). */
typedef struct qargs {
    int64_t i2;
    const char *t3;
} qargs;

/* Runs a read and collects its rows, each filled by row() into an element
 * of elsize bytes (zeroed first), into *out (malloc'd; NULL when none). */
static int query_rows(hc__sq *s, const char *config, const char *sql,
                      const qargs *qa, size_t elsize,
                      void (*row)(sqlite3_stmt *, void *),
                      void (*clear)(void *), void **out, size_t *n)
{
    char *key, *arr = NULL;
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = read_begin(s, config, &key);
    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    if (!(st = prep(s, sql))) {
        read_end(s, key);
        return HC_ESYS;
    }
    bind_text(st, 1, key);
    if (qa) {
        sqlite3_bind_int64(st, 2, qa->i2);
        bind_text(st, 3, qa->t3);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            char *na = realloc(arr, (cap = cap ? cap * 2 : 16) * elsize);
            if (!na) {
                rc = SQLITE_NOMEM;
                break;
            }
            arr = na;
        }
        memset(arr + *n * elsize, 0, elsize);
        row(st, arr + (*n)++ * elsize);
    }
    sqlite3_finalize(st);
    read_end(s, key);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < *n; i++)
            clear(arr + i * elsize);
        free(arr);
        *n = 0;
        return rc == SQLITE_NOMEM ? HC_ENOMEM : HC_ESYS;
    }
    *out = arr;
    return 0;
}

/* The first row of a read into *elem; notfound when there is none. */
static int query_one(hc__sq *s, const char *config, const char *sql,
                     const qargs *qa, size_t elsize,
                     void (*row)(sqlite3_stmt *, void *), void (*clear)(void *),
                     void *elem, int notfound)
{
    void *arr;
    size_t n;
    int rc = query_rows(s, config, sql, qa, elsize, row, clear, &arr, &n);
    memset(elem, 0, elsize);
    if (rc)
        return rc;
    if (n)
        memcpy(elem, arr, elsize);
    for (size_t i = 1; i < n; i++)
        clear((char *)arr + i * elsize);
    free(arr);
    return n ? 0 : notfound;
}

#define VERSION_SQL(extra)                                                     \
    "SELECT v.version, v.applied_ns, v.hash, v.size, v.trigger, v.format,"     \
    " v.source_rev, v.changed, v.version = c.live_version" extra               \
    " FROM versions v JOIN configs c ON c.id = v.config_id"                    \
    " WHERE c.name = ?1"

int hc__sq_list(hc__sq *s, const char *config, hc__sq_version **out, size_t *n)
{
    return query_rows(s, config, VERSION_SQL("") " ORDER BY v.version DESC",
                      NULL, sizeof **out, version_row, version_clear_any,
                      (void **)out, n);
}

int hc__sq_get(hc__sq *s, const char *config, uint64_t version,
               hc__sq_version *out)
{
    qargs qa = {(int64_t)version, NULL};
    int rc = query_one(s, config,
                       VERSION_SQL(", v.content") " AND (?2 = 0 OR v.version"
                                                  " = ?2) ORDER BY v.version"
                                                  " DESC LIMIT 1",
                       &qa, sizeof *out, version_content_row, version_clear_any,
                       out, HC_EHISTORY);
    if (rc == 0 && !out->content) {
        hc__sq_version_clear(out);
        return HC_ENOMEM;
    }
    return rc;
}

#define ATTEMPT_SQL                                                            \
    "SELECT a.time_ns, a.outcome, a.trigger, a.version, a.error,"              \
    " a.latency_us, a.changed FROM attempts a JOIN configs c"                  \
    " ON c.id = a.config_id WHERE c.name = ?1"

int hc__sq_attempts(hc__sq *s, const char *config, int64_t since_ns,
                    const char *outcome, hc__sq_attempt **out, size_t *n)
{
    qargs qa = {since_ns, outcome};
    return query_rows(s, config,
                      ATTEMPT_SQL " AND a.time_ns >= ?2 AND (?3 IS NULL OR"
                                  " a.outcome = ?3) ORDER BY a.id DESC",
                      &qa, sizeof **out, attempt_row, attempt_clear_any,
                      (void **)out, n);
}

int hc__sq_last_attempt(hc__sq *s, const char *config, hc__sq_attempt *out)
{
    return query_one(s, config, ATTEMPT_SQL " ORDER BY a.id DESC LIMIT 1", NULL,
                     sizeof *out, attempt_row, attempt_clear_any, out,
                     HC_ENOENT);
}

int hc__sq_configs(hc__sq *s, const char *config, hc__sq_config **out,
                   size_t *n)
{
    return query_rows(s, config,
                      "SELECT name, format, live_version, live_since_ns,"
                      " watched, schema FROM configs"
                      " WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
                      NULL, sizeof **out, config_row, config_clear_any,
                      (void **)out, n);
}

int hc__sq_counters_get(hc__sq *s, const char *config, hc__sq_counters *out)
{
    char *key;
    sqlite3_stmt *st;
    int rc = read_begin(s, config, &key), i = 0;
    memset(out, 0, sizeof *out);
    if (rc)
        return rc;
#define HC__SQ_SUM(n) "SUM(k." #n "),"
    st = prep(
        s,
        "SELECT " HC__SQ_COUNTERS(
            HC__SQ_SUM) " MAX(k.lat_max_us)"
                        " FROM counters k JOIN configs c ON c.id = k.config_id"
                        " WHERE ?1 IS NULL OR c.name = ?1");
#undef HC__SQ_SUM
    if (!st) {
        read_end(s, key);
        return HC_ESYS;
    }
    bind_text(st, 1, key);
    if (sqlite3_step(st) == SQLITE_ROW) {
#define HC__SQ_GET(n) out->n = (uint64_t)sqlite3_column_int64(st, i++);
        HC__SQ_COUNTERS(HC__SQ_GET)
#undef HC__SQ_GET
        out->lat_max_us = (uint64_t)sqlite3_column_int64(st, i);
    }
    sqlite3_finalize(st);
    read_end(s, key);
    return 0;
}

int64_t hc__sq_latency_pct(hc__sq *s, const char *config, int p)
{
    char *key;
    sqlite3_stmt *st;
    int64_t v = 0, count = 0;
    if (read_begin(s, config, &key))
        return 0;
    st = prep(s, "SELECT COUNT(*) FROM attempts a JOIN configs c"
                 " ON c.id = a.config_id WHERE (?1 IS NULL OR c.name = ?1)"
                 " AND a.outcome = 'applied' AND a.latency_us > 0");
    if (st) {
        bind_text(st, 1, key);
        if (sqlite3_step(st) == SQLITE_ROW)
            count = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if (count > 0 &&
        (st = prep(s, "SELECT a.latency_us FROM attempts a JOIN configs c"
                      " ON c.id = a.config_id WHERE (?1 IS NULL OR c.name = ?1)"
                      " AND a.outcome = 'applied' AND a.latency_us > 0"
                      " ORDER BY a.latency_us LIMIT 1 OFFSET ?2"))) {
        /* nearest rank */
        int64_t rank = (count * p + 99) / 100;
        bind_text(st, 1, key);
        sqlite3_bind_int64(st, 2, rank > 0 ? rank - 1 : 0);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    read_end(s, key);
    return v;
}

/* ---- freeing ----------------------------------------------------------------
 */
void hc__sq_version_clear(hc__sq_version *v)
{
    free(v->trigger);
    free(v->format);
    free(v->source_rev);
    free(v->content);
    memset(v, 0, sizeof *v);
}

void hc__sq_versions_free(hc__sq_version *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hc__sq_version_clear(&v[i]);
    free(v);
}

void hc__sq_attempt_clear(hc__sq_attempt *a)
{
    free(a->outcome);
    free(a->trigger);
    free(a->error);
    free(a->changed);
    memset(a, 0, sizeof *a);
}

void hc__sq_attempts_free(hc__sq_attempt *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hc__sq_attempt_clear(&a[i]);
    free(a);
}

void hc__sq_configs_free(hc__sq_config *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        config_clear_any(&c[i]);
    free(c);
}
