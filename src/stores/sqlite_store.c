/*
 * sqlite_store.c - the SQLite database of sqlite.c as an engine history
 * store (store.h), chosen when hc_engine_options.state_dir is set.
 *
 * The engine opens it as the watcher (HC__SQ_WATCHER): the directory's
 * lock is this engine's, and append / record_attempt only queue for
 * sqlite.c's writer thread, so an apply never waits for an fsync. Reads
 * (list, get) flush that queue first, so they see every version the
 * engine made. Retention is sqlite.c's (keep_versions per config, from
 * the engine's history depth), so prune has nothing left to do.
 *
 * Configs are stored under hc__sq_key(id): the absolute path for files,
 * the key `hotconf history FILE` and the other verbs look up.
 *
 * Rollbacks asked from the CLI (`hotconf rollback FILE` while this
 * engine watches FILE) leave a pending row with the content's hash; the
 * engine asks pending_rollback about each change it reads, and applies
 * the one that brings that content as trigger rollback (so its change
 * record, its stats and the stored version and attempt all say so). Only
 * content equal to a version stored here can be one, so the database is
 * asked only then: an ordinary change costs no query on the apply path.
 *
 * Recorded error texts are masked (src/mask.h): a secret value the
 * message quotes never reaches `hotconf log` or `status`.
 */
#include "engine/engine_internal.h"
#include "mask.h"
#include "stores/sqlite.h"
#include "stores/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hashes of the stored versions kept in memory per config: a ring as
 * long as the retention (an older version is pruned from the database
 * anyway), up to this many. */
#define SQ_HASHES_MAX 4096

typedef struct sq_cfg {
    char *key;
    hc_format format;
    /* apply path only (append and record run under the config's apply
     * lock): */
    uint64_t *hashes;
    unsigned nhashes, caphashes;
    /* the changed paths (JSON) of the version last appended, for its
     * attempt */
    uint64_t appended;
    char *appended_changed;
    /* the schema document, for writeOnly marks in errors; set from the
     * thread in hc__sq_engine_schema, read on the apply path */
    pthread_mutex_t mu;
    json_t *schema;
} sq_cfg;

/* A schema told before its config is watched (hc__sq_engine_schema). */
typedef struct sq_pend {
    struct sq_pend *next;
    char *key, *path; /* path NULL: none */
} sq_pend;

typedef struct sq_store {
    hc__sq *db;
    int keep;           /* versions per config */
    pthread_mutex_t mu; /* pend, schema */
    sq_pend *pend;
    char *schema; /* for every config without one of its own, NULL: none */
} sq_store;

#define DB(s) (((sq_store *)(s)->state)->db)

static hc_trigger trigger_of(const char *name)
{
    for (int t = HC_TRIGGER_INITIAL; t <= HC_TRIGGER_UPDATE; t++)
        if (name && strcmp(name, hc_trigger_name((hc_trigger)t)) == 0)
            return (hc_trigger)t;
    return HC_TRIGGER_UPDATE;
}

static hc_format format_of(const char *name, hc_format dflt)
{
    hc_format f;
    return name && hc_format_parse(name, &f) == 0 && f != HC_FORMAT_AUTO ? f
                                                                         : dflt;
}

static int sq_open(hc__store *s, const hc_engine_options *opts)
{
    hc__sq_limits lim = {0, 0, 0};
    sq_store *st;
    hc_error err;
    if (!opts->state_dir || !opts->state_dir[0])
        return HC_ENOTSUP;
    /* history_depth versions besides the live one */
    lim.keep_versions =
        (opts->history_depth > 0 ? opts->history_depth : HC__SQ_KEEP_VERSIONS) +
        1;
    hc_error_init(&err);
    st = calloc(1, sizeof *st);
    if (st)
        st->db = hc__sq_open(opts->state_dir, HC__SQ_WATCHER, &lim, s->log,
                             s->log_data, &err);
    else
        hc__error_set(&err, HC_ENOMEM, opts->state_dir, 0, 0, 0,
                      "out of memory");
    if (!st || !st->db) {
        free(st);
        /* Persistence is an extra: the engine still watches, with history
         * in memory, and says why. */
        char msg[1200];
        snprintf(msg, sizeof msg,
                 "state %s: %s; history is kept in memory only",
                 opts->state_dir, err.text);
        if (s->log)
            s->log(HC_LOG_WARN, msg, s->log_data);
        return HC_ENOTSUP;
    }
    pthread_mutex_init(&st->mu, NULL);
    st->keep = lim.keep_versions;
    s->state = st;
    return 0;
}

static void remember_hash(sq_cfg *c, uint64_t hash)
{
    if (c->caphashes)
        c->hashes[c->nhashes++ % c->caphashes] = hash;
}

static int stored_hash(const sq_cfg *c, uint64_t hash)
{
    unsigned n = c->nhashes < c->caphashes ? c->nhashes : c->caphashes;
    for (unsigned i = 0; i < n; i++)
        if (c->hashes[i] == hash)
            return 1;
    return 0;
}

/* The schema told for key before its watch, else the one for every
 * config (malloc'd), NULL: none. */
static char *pending_schema(sq_store *st, const char *key)
{
    const char *found;
    char *path;
    pthread_mutex_lock(&st->mu);
    found = st->schema;
    for (sq_pend *p = st->pend; p; p = p->next)
        if (!strcmp(p->key, key))
            found = p->path;
    path = found ? strdup(found) : NULL;
    pthread_mutex_unlock(&st->mu);
    return path;
}

static int sq_attach(hc__store *s, const char *id, hc_format format, int depth,
                     void **cfg, uint64_t *last_version)
{
    sq_cfg *c = calloc(1, sizeof *c);
    hc__sq_version *vs;
    char *schema;
    size_t n;
    (void)depth;
    if (!c || !(c->key = hc__sq_key(id))) {
        free(c);
        return HC_ENOMEM;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->format = format;
    c->caphashes = ((sq_store *)s->state)->keep < SQ_HASHES_MAX
                       ? (unsigned)((sq_store *)s->state)->keep
                       : SQ_HASHES_MAX;
    /* without it no rollback is claimed: history still works */
    if (!(c->hashes = calloc(c->caphashes, sizeof *c->hashes)))
        c->caphashes = 0;
    *last_version = 0;
    if (hc__sq_list(DB(s), c->key, &vs, &n) == 0) {
        if (n)
            *last_version = vs[0].version; /* numbering continues */
        for (size_t i = n; i-- > 0;) /* oldest first: the ring keeps new */
            remember_hash(c, vs[i].hash);
        hc__sq_versions_free(vs, n);
    }
    schema = pending_schema(s->state, c->key);
    if (schema) {
        hc_error err;
        hc_error_init(&err);
        c->schema = hc_parse_file(schema, HC_FORMAT_AUTO, NULL, &err);
    }
    hc__sq_watched(DB(s), c->key, hc_format_name(format), schema, 1);
    free(schema);
    *cfg = c;
    return 0;
}

/* A change that brings back a stored version's content: was it a
 * rollback the CLI asked for? */
static int sq_pending_rollback(hc__store *s, void *cfg, uint64_t hash)
{
    sq_cfg *c = cfg;
    return stored_hash(c, hash) && hc__sq_rollback_claim(DB(s), c->key, hash);
}

static char *changed_json(const hc_changeset *cs)
{
    json_t *arr;
    char *out;
    if (!cs)
        return NULL;
    arr = json_array();
    for (size_t i = 0; arr && i < hc_changeset_count(cs); i++)
        json_array_append_new(arr, json_string(hc_changeset_at(cs, i)->path));
    out = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return out;
}

static int sq_append(hc__store *s, void *cfg, const hc__store_version *v)
{
    sq_cfg *c = cfg;
    hc__sq_version sv;
    memset(&sv, 0, sizeof sv);
    sv.version = v->version;
    sv.time_ns = v->applied_ns;
    sv.hash = v->hash;
    sv.size = v->size;
    sv.changed = v->trigger == HC_TRIGGER_INITIAL ? 0 : (int)v->changed;
    sv.trigger = (char *)hc_trigger_name(v->trigger);
    remember_hash(c, v->hash);
    free(c->appended_changed);
    c->appended = v->version;
    c->appended_changed =
        v->trigger == HC_TRIGGER_INITIAL ? NULL : changed_json(v->changes);
    sv.format = (char *)hc_format_name(v->format);
    sv.source_rev = (char *)v->revision;
    sv.content = (char *)v->content;
    return hc__sq_append(DB(s), c->key, &sv);
}

static int sq_record(hc__store *s, void *cfg, const hc__store_attempt *a)
{
    sq_cfg *c = cfg;
    hc__sq_attempt sa;
    char msg[1024];
    int rc;
    memset(&sa, 0, sizeof sa);
    sa.time_ns = a->time_ns;
    sa.outcome = (char *)hc__outcome_name(a->outcome);
    sa.trigger = (char *)hc_trigger_name(a->trigger);
    sa.version = a->version;
    if (a->error && a->error->code) {
        pthread_mutex_lock(&c->mu);
        sa.error =
            hc__mask_error_format(a->error, NULL, c->schema, msg, sizeof msg);
        pthread_mutex_unlock(&c->mu);
    }
    sa.latency_us = a->latency_ns / 1000;
    if (a->changes) {
        sa.changed = changed_json(a->changes);
    } else if (a->version && a->version == c->appended) {
        sa.changed = c->appended_changed; /* made by the append */
        c->appended_changed = NULL;
    }
    rc = hc__sq_record(DB(s), c->key, &sa);
    free(sa.changed);
    return rc;
}

static void info_of(const hc__sq_version *v, hc_version_info *out)
{
    out->version = v->version;
    out->time_ns = v->time_ns;
    out->hash = v->hash;
    out->size = v->size;
    out->trigger = trigger_of(v->trigger);
}

static int sq_list(hc__store *s, void *cfg, hc_version_info *out, int max)
{
    sq_cfg *c = cfg;
    hc__sq_version *vs;
    size_t n;
    int rc = hc__sq_list(DB(s), c->key, &vs, &n);
    if (rc != 0)
        return rc;
    for (size_t i = 0; out && i < n && i < (size_t)max; i++)
        info_of(&vs[i], &out[i]);
    hc__sq_versions_free(vs, n);
    return (int)n;
}

static int sq_get(hc__store *s, void *cfg, uint64_t version, int back,
                  hc__store_got *out)
{
    sq_cfg *c = cfg;
    hc__sq_version v;
    int rc;
    memset(out, 0, sizeof *out);
    if (!version && back > 0) {
        hc__sq_version *vs;
        size_t n;
        if ((rc = hc__sq_list(DB(s), c->key, &vs, &n)) != 0)
            return rc;
        version = (size_t)back < n ? vs[back].version : 0;
        hc__sq_versions_free(vs, n);
        if (!version)
            return HC_EHISTORY;
    }
    memset(&v, 0, sizeof v);
    if ((rc = hc__sq_get(DB(s), c->key, version, &v)) != 0)
        return rc;
    info_of(&v, &out->info);
    out->format = format_of(v.format, c->format);
    out->content = v.content; /* ownership moves to out */
    out->revision = v.source_rev;
    v.content = NULL;
    v.source_rev = NULL;
    hc__sq_version_clear(&v);
    return 0;
}

static int sq_prune(hc__store *s, void *cfg, int keep)
{
    (void)s;
    (void)cfg;
    (void)keep;
    return 0; /* sqlite.c's writer applies keep_versions */
}

static int sq_live(hc__store *s, void *cfg, uint64_t *version, uint64_t *hash)
{
    sq_cfg *c = cfg;
    hc__sq_version *vs;
    size_t n;
    int found = 0;
    if (hc__sq_list(DB(s), c->key, &vs, &n) != 0)
        return HC_ENOENT;
    if (n > 0 && vs[0].live) {
        *version = vs[0].version;
        *hash = vs[0].hash;
        found = 1;
    }
    hc__sq_versions_free(vs, n);
    return found ? 0 : HC_ENOENT;
}

static void sq_detach(hc__store *s, void *cfg, int forget)
{
    sq_cfg *c = cfg;
    (void)forget; /* history outlives the watch: that is the point */
    if (!c)
        return;
    /* the schema stays recorded: a rollback with no watcher checks it */
    hc__sq_watched(DB(s), c->key, hc_format_name(c->format), NULL, 0);
    json_decref(c->schema);
    free(c->appended_changed);
    free(c->hashes);
    pthread_mutex_destroy(&c->mu);
    free(c->key);
    free(c);
}

static void sq_close(hc__store *s)
{
    sq_store *st = s->state;
    hc__sq_close(st->db);
    while (st->pend) {
        sq_pend *p = st->pend;
        st->pend = p->next;
        free(p->key);
        free(p->path);
        free(p);
    }
    pthread_mutex_destroy(&st->mu);
    free(st->schema);
    free(st);
    s->state = NULL;
}

/* The persisted attempt log (earlier runs' included), newest first: each
 * row's strings move into out, its outcome maps to the static name. */
static int sq_list_attempts(hc__store *s, void *cfg, hc_attempt_info *out,
                            int max)
{
    static const hc__outcome outcomes[] = {
        HC__OUTCOME_APPLIED, HC__OUTCOME_REJECTED, HC__OUTCOME_VETOED,
        HC__OUTCOME_MISSING, HC__OUTCOME_REVERTED, HC__OUTCOME_ROLLED_BACK};
    sq_cfg *c = cfg;
    sq_store *st = s->state;
    hc__sq_attempt *as;
    size_t n;
    int rc = hc__sq_attempts(st->db, c->key, 0, NULL, &as, &n);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n && i < (size_t)max && rc == 0; i++) {
        hc_attempt_info *o = &out[i];
        json_t *ch = as[i].changed ? json_loads(as[i].changed, 0, NULL) : NULL;
        memset(o, 0, sizeof *o);
        o->time_ns = as[i].time_ns;
        o->outcome = "unknown";
        for (size_t k = 0; k < sizeof outcomes / sizeof outcomes[0]; k++)
            if (as[i].outcome &&
                !strcmp(as[i].outcome, hc__outcome_name(outcomes[k])))
                o->outcome = hc__outcome_name(outcomes[k]);
        o->trigger = trigger_of(as[i].trigger);
        o->version = as[i].version;
        o->error = as[i].error; /* ownership moves to out */
        as[i].error = NULL;
        o->latency_us = as[i].latency_us;
        if (json_array_size(ch) &&
            !(o->changed = calloc(json_array_size(ch), sizeof(char *))))
            rc = HC_ENOMEM;
        for (size_t k = 0; o->changed && k < json_array_size(ch); k++) {
            const char *p = json_string_value(json_array_get(ch, k));
            if (p && !(o->changed[o->nchanged++] = strdup(p)))
                rc = HC_ENOMEM;
        }
        json_decref(ch);
        if (rc != 0)
            hc_attempt_info_free(out, (int)i + 1);
    }
    hc__sq_attempts_free(as, n);
    return rc != 0 ? rc : (int)n;
}

const hc__store_ops hc__store_sqlite = {
    "sqlite",
    sq_open,
    sq_attach,
    sq_append,
    sq_record,
    sq_list,
    sq_get,
    sq_prune,
    sq_detach,
    sq_close,
    sq_live,
    sq_list_attempts,
    sq_pending_rollback,
};

/* ---- for the CLI watcher (sqlite.h) ------------------------------------- */

hc__sq *hc__sq_of_engine(hc_engine *e)
{
    return e && e->store.ops == &hc__store_sqlite
               ? ((sq_store *)e->store.state)->db
               : NULL;
}

/* Remembers key's schema for its attach. 0 or HC_ENOMEM. */
static int remember_schema(sq_store *st, const char *key, const char *path)
{
    char *np = path ? strdup(path) : NULL;
    sq_pend *p;
    int rc = 0;
    if (path && !np)
        return HC_ENOMEM;
    pthread_mutex_lock(&st->mu);
    for (p = st->pend; p && strcmp(p->key, key) != 0; p = p->next)
        ;
    if (!p && (p = calloc(1, sizeof *p)) != NULL) {
        if (!(p->key = strdup(key))) {
            free(p);
            p = NULL;
        } else {
            p->next = st->pend;
            st->pend = p;
        }
    }
    if (p) {
        free(p->path);
        p->path = np;
        np = NULL;
    } else {
        rc = HC_ENOMEM;
    }
    pthread_mutex_unlock(&st->mu);
    free(np);
    return rc;
}

int hc__sq_engine_schema(hc_engine *e, const char *config,
                         const char *schema_path)
{
    hc__sq *db = hc__sq_of_engine(e);
    hc__config *c;
    sq_cfg *cfg = NULL;
    char *key = NULL, *abs = NULL;
    json_t *doc = NULL, *old;
    int rc;
    if (!db)
        return HC_ENOTSUP;
    if (schema_path && !(abs = hc__sq_key(schema_path)))
        return HC_ENOMEM;
    if (!config) {
        /* every config watched from now on (a folder's files too) */
        sq_store *st = e->store.state;
        pthread_mutex_lock(&st->mu);
        free(st->schema);
        st->schema = abs;
        pthread_mutex_unlock(&st->mu);
        return 0;
    }
    if (!(key = hc__sq_key(config))) {
        free(abs);
        return HC_ENOMEM;
    }
    /* for a watch still to come (and its restarts) */
    rc = remember_schema(e->store.state, key, abs);
    if (abs) {
        hc_error err;
        hc_error_init(&err);
        doc = hc_parse_file(abs, HC_FORMAT_AUTO, NULL, &err);
    }
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, config);
    if (c && !c->dead && c->store_cfg) {
        /* the handle lives as long as the config, which only the thread
         * in hc_unwatch / hc_engine_free ends */
        cfg = c->store_cfg;
        pthread_mutex_lock(&cfg->mu);
        old = cfg->schema;
        cfg->schema = doc;
        doc = old;
        pthread_mutex_unlock(&cfg->mu);
    }
    pthread_mutex_unlock(&e->lock);
    json_decref(doc);
    if (cfg && rc == 0)
        rc = hc__sq_watched(db, key, NULL, abs, 1);
    free(key);
    free(abs);
    return rc;
}
