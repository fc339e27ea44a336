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
 */
#include "stores/sqlite.h"
#include "stores/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sq_cfg {
    char *key;
    hc_format format;
} sq_cfg;

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
    hc_error err;
    if (!opts->state_dir || !opts->state_dir[0])
        return HC_ENOTSUP;
    /* history_depth versions besides the live one */
    lim.keep_versions = opts->history_depth > 0 ? opts->history_depth + 1 : 0;
    hc_error_init(&err);
    s->state = hc__sq_open(opts->state_dir, HC__SQ_WATCHER, &lim, s->log,
                           s->log_data, &err);
    if (!s->state) {
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
    return 0;
}

static int sq_attach(hc__store *s, const char *id, hc_format format, int depth,
                     void **cfg, uint64_t *last_version)
{
    sq_cfg *c = calloc(1, sizeof *c);
    hc__sq_version v;
    (void)depth;
    if (!c || !(c->key = hc__sq_key(id))) {
        free(c);
        return HC_ENOMEM;
    }
    c->format = format;
    *last_version = 0;
    memset(&v, 0, sizeof v);
    if (hc__sq_get(s->state, c->key, 0, &v) == 0)
        *last_version = v.version; /* numbering continues */
    hc__sq_version_clear(&v);
    hc__sq_watched(s->state, c->key, hc_format_name(format), NULL, 1);
    *cfg = c;
    return 0;
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
    sv.format = (char *)hc_format_name(v->format);
    sv.source_rev = (char *)v->revision;
    sv.content = (char *)v->content;
    return hc__sq_append(s->state, c->key, &sv);
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
    if (a->error && a->error->code)
        sa.error = hc_error_format(a->error, msg, sizeof msg);
    sa.latency_us = a->latency_ns / 1000;
    sa.changed = changed_json(a->changes);
    rc = hc__sq_record(s->state, c->key, &sa);
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
    int rc = hc__sq_list(s->state, c->key, &vs, &n);
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
        if ((rc = hc__sq_list(s->state, c->key, &vs, &n)) != 0)
            return rc;
        version = (size_t)back < n ? vs[back].version : 0;
        hc__sq_versions_free(vs, n);
        if (!version)
            return HC_EHISTORY;
    }
    memset(&v, 0, sizeof v);
    if ((rc = hc__sq_get(s->state, c->key, version, &v)) != 0)
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
    if (hc__sq_list(s->state, c->key, &vs, &n) != 0)
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
    hc__sq_watched(s->state, c->key, hc_format_name(c->format), NULL, 0);
    free(c->key);
    free(c);
}

static void sq_close(hc__store *s)
{
    hc__sq_close(s->state);
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
    hc__sq_attempt *as;
    size_t n;
    int rc = hc__sq_attempts(s->state, c->key, 0, NULL, &as, &n);
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
    "sqlite", sq_open,  sq_attach, sq_append, sq_record, sq_list,
    sq_get,   sq_prune, sq_detach, sq_close,  sq_live,   sq_list_attempts,
};
