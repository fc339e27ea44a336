/*
 * registry.c - the engine's configs: hc_engine_watch / hc_unwatch (a
 * config is created, its source attached and its first version loaded;
 * taken out of service), subscriptions (per config and engine-wide),
 * lookup, the per-config last error and hc_engine_rescan. Configs are
 * found by readers through the lock-free index (snapshot.c); everything
 * here runs under e->lock, with c->apply_lock around a first load.
 */
#include "engine_internal.h"
#include "../format/reuse.h"

#include <stdlib.h>
#include <string.h>

/* ====================================================================== */
/* Configs                                                                  */
/* ====================================================================== */

void hc__config_destroy(void *p)
{
    hc__config *c = p;
    hc__snapshot *s;
    hc__sub *sub, *next;
    if (!c)
        return;
    s = atomic_load(&c->live);
    if (s) {
        hc_doc_release(s->doc);
        free(s);
    }
    for (sub = c->subs; sub; sub = next) {
        next = sub->next;
        free(sub);
    }
    if (c->store_cfg)
        c->engine->store.ops->detach(&c->engine->store, c->store_cfg, 0);
    free(c->last_error);
    hc__reuse_free(c->reuse);
    pthread_mutex_destroy(&c->apply_lock);
    free(c->path);
    free(c->abspath);
    free(c->env_nest);
    free(c);
}

void hc__config_unref(hc_engine *e, hc__config *c)
{
    (void)e;
    c->refs--;
}

static hc__config *config_new(hc_engine *e, const char *path, char *abspath,
                              const hc_watch_options *o)
{
    hc__config *c = calloc(1, sizeof *c);
    if (!c) {
        free(abspath);
        return NULL;
    }
    c->engine = e;
    c->abspath = abspath;
    c->path = strdup(path);
    if (!c->path || pthread_mutex_init(&c->apply_lock, NULL) != 0) {
        free(c->path);
        free(c->abspath);
        free(c);
        return NULL;
    }
    atomic_init(&c->live, NULL);
    c->timed_idx = -1;
    /* Resolved once: errors then name the file as the user wrote it. */
    c->format = o->format ? o->format : hc_format_from_name(path);
    if (o->parse) {
        c->popts = *o->parse;
        c->popts.positions = NULL;
        if (o->parse->env_nest && !(c->env_nest = strdup(o->parse->env_nest)))
            goto fail;
        c->popts.env_nest = c->env_nest;
    }
    c->max_size = c->popts.max_size ? c->popts.max_size : e->opts.max_size;
    c->popts.max_size = c->max_size;
    c->validate = o->validate;
    c->validate_data = o->validate_data;
    c->schema = o->schema;
    c->no_reuse = hc__schema_fills_defaults(o->schema);
    c->prepare = o->prepare;
    c->prepare_data = o->prepare_data;
    c->on_failure = o->on_failure;
    c->allow_empty = o->allow_empty;
    c->on_error = o->on_error;
    c->on_error_data = o->on_error_data;
    c->mode_req = e->opts.force_poll ? HC_WATCH_POLL : o->mode;
    c->poll_ms = o->poll_interval_ms > 0 ? o->poll_interval_ms
                                         : e->opts.poll_interval_ms;
    if (c->poll_ms < HC__MIN_POLL_MS)
        c->poll_ms = HC__MIN_POLL_MS;
    c->depth = o->history_depth > 0 ? o->history_depth : e->opts.history_depth;
    if (c->depth > HC__MAX_HISTORY)
        c->depth = HC__MAX_HISTORY;
    if (e->store.ops->attach(&e->store, c->path, c->format, c->depth,
                             &c->store_cfg, &c->version) != 0)
        goto fail;
    if (c->version && e->store.ops->live)
        c->resume = e->store.ops->live(&e->store, c->store_cfg, &c->version,
                                       &c->resume_hash) == 0;
    c->keys[0].key = c->path;
    c->keys[0].hash = hc__hash_str(c->path);
    c->keys[0].config = c;
    c->nkeys = 1;
    if (strcmp(c->path, c->abspath) != 0) {
        c->keys[1].key = c->abspath;
        c->keys[1].hash = hc__hash_str(c->abspath);
        c->keys[1].config = c;
        c->nkeys = 2;
    }
    return c;
fail:
    hc__config_destroy(c);
    return NULL;
}

/* Under e->lock. */
static hc__config *lookup_locked(hc_engine *e, const char *path)
{
    hc__config *c = hc__index_find(e, path);
    char *abs;
    if (c)
        return c;
    abs = hc__path_absolute(path);
    if (abs)
        c = hc__index_find(e, abs);
    free(abs);
    return c;
}

hc__config *hc__config_lookup(hc_engine *e, const char *path)
{
    return lookup_locked(e, path);
}

/* ====================================================================== */
/* Watching                                                                */
/* ====================================================================== */

static int add_sub_locked(hc_engine *e, hc__config *c, hc_change_cb cb,
                          void *ud)
{
    hc__sub *s = calloc(1, sizeof *s), **pp;
    if (!s)
        return HC_ENOMEM;
    s->id = e->next_sub_id++;
    if (e->next_sub_id <= 0)
        e->next_sub_id = 1;
    s->cb = cb;
    s->user_data = ud;
    /* Appended: subscribers are called in the order they subscribed. */
    for (pp = &c->subs; *pp; pp = &(*pp)->next)
        ;
    *pp = s;
    return s->id;
}

static int all_add(hc_engine *e, hc__config *c)
{
    if (e->nall == e->capall) {
        size_t n = e->capall ? e->capall * 2 : 16;
        hc__config **na = realloc(e->all, n * sizeof *na);
        if (!na)
            return -1;
        e->all = na;
        e->capall = n;
    }
    c->all_idx = e->nall;
    e->all[e->nall++] = c;
    return 0;
}

static void all_remove(hc_engine *e, hc__config *c)
{
    e->all[c->all_idx] = e->all[--e->nall];
    e->all[c->all_idx]->all_idx = c->all_idx;
}

/* Under e->lock: takes c out of service (readers, backend, timers,
 * subscribers); the struct itself goes with a later index rebuild. */
static void kill_locked(hc_engine *e, hc__config *c)
{
    hc__sub *s, *next;
    c->dead = 1;
    hc__source_detach_locked(c);
    hc__timer_remove(e, c);
    all_remove(e, c);
    for (s = c->subs; s; s = next) {
        next = s->next;
        free(s);
    }
    c->subs = NULL;
    /* The store handle goes with the struct (hc__config_destroy), once no
     * reader of the history holds c. */
    hc__snapshot_publish(e, c, NULL);
}

/* Under e->lock: drops c's undelivered records. */
static void purge_locked(hc_engine *e, hc__config *c)
{
    hc__record **pp = &e->qhead, *last = NULL;
    while (*pp) {
        hc__record *r = *pp;
        if (r->config == c) {
            *pp = r->next;
            e->qlen--;
            hc__config_unref(e, c);
            hc__record_free(r);
        } else {
            last = r;
            pp = &r->next;
        }
    }
    e->qtail = last;
}

static const hc_watch_options default_watch;

int hc__watch(hc_engine *e, const char *path, const hc_watch_options *opts)
{
    hc__config *c;
    char *abs;
    int rc = 0;

    if (!e)
        return HC_EINVAL;
    if (!path || !*path)
        return hc__engine_fail(e, HC_EINVAL, "no path to watch");
    if (!opts)
        opts = &default_watch;
    if (opts->history_depth < 0 || opts->poll_interval_ms < 0 ||
        opts->mode > HC_WATCH_POLL || opts->format > HC__FORMAT_LAST ||
        opts->on_failure < HC_ON_FAILURE_KEEP ||
        opts->on_failure > HC_ON_FAILURE_REVERT)
        return hc__engine_fail(e, HC_EINVAL, "%s: invalid watch options", path);
    if ((opts->format == HC_FORMAT_AUTO &&
         hc_format_from_name(path) == HC_FORMAT_AUTO))
        return hc__engine_fail(e, HC_EINVAL,
                               "%s: cannot tell the format from the file "
                               "name; name it .json, .yaml, .ini or .env, "
                               "or set the format",
                               path);
    /* A URI (etcd://...) is its own absolute name. */
    abs = strstr(path, "://") ? strdup(path) : hc__path_absolute(path);
    if (!abs)
        return hc__engine_fail(e, HC_EINVAL, "%s: cannot make it absolute",
                               path);
    c = config_new(e, path, abs, opts);
    if (!c)
        return hc__engine_fail(e, HC_ENOMEM, "out of memory");

    /* Held from before anyone can see c until the first load is done, so
     * that the first version is this one (trigger "initial"). */
    pthread_mutex_lock(&c->apply_lock);
    pthread_mutex_lock(&e->lock);
    if (lookup_locked(e, c->path) || hc__index_find(e, c->abspath)) {
        rc = hc__fail_locked(e, HC_EEXIST, "%s: already watched", path);
    } else if (opts->on_change && (rc = add_sub_locked(e, c, opts->on_change,
                                                       opts->user_data)) < 0) {
        hc__fail_locked(e, rc, "out of memory");
    } else if (all_add(e, c) != 0) {
        rc = hc__fail_locked(e, HC_ENOMEM, "out of memory");
    } else if (hc__index_insert(e, c) != 0) {
        all_remove(e, c);
        rc = hc__fail_locked(e, HC_ENOMEM, "out of memory");
    } else {
        rc = 0;
    }
    pthread_mutex_unlock(&e->lock);
    if (rc < 0) {
        pthread_mutex_unlock(&c->apply_lock);
        hc__config_destroy(c);
        return rc;
    }

    {
        hc_error aerr;
        hc_error_init(&aerr);
        if ((rc = hc__source_attach(c, &aerr)) != 0) {
            pthread_mutex_lock(&e->lock);
            purge_locked(e, c);
            kill_locked(e, c);
            hc__set_error_locked(e, &aerr);
            pthread_mutex_unlock(&e->lock);
            pthread_mutex_unlock(&c->apply_lock);
            return rc;
        }
    }
    hc__source_run(c, HC__WORK_CHECK | HC__WORK_CONFIRM | HC__WORK_CLOSED,
                   HC_TRIGGER_INITIAL, hc__now_ns());
    if (!atomic_load(&c->live))
        hc__apply_last_known_good(c);

    if ((opts->flags & HC_WATCH_REQUIRE) && !atomic_load(&c->live)) {
        hc_error first;
        pthread_mutex_lock(&e->lock);
        hc_error_init(&first);
        if (c->last_error)
            first = *c->last_error;
        if (first.code != 0) {
            /* The caller gets the error from hc_watch; the error record the
             * first load queued must not reach on_error as well, for a
             * path that was never watched. */
            purge_locked(e, c);
            kill_locked(e, c);
            hc__set_error_locked(e, &first);
        }
        pthread_mutex_unlock(&e->lock);
        rc = first.code;
    }
    pthread_mutex_unlock(&c->apply_lock);
    return rc;
}

int hc_unwatch(hc_engine *e, const char *path)
{
    hc__config *c;
    if (!e || !path)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = lookup_locked(e, path);
    if (!c) {
        int rc = hc__fail_locked(e, HC_ENOTWATCHED, "%s: not watched", path);
        pthread_mutex_unlock(&e->lock);
        return rc;
    }
    kill_locked(e, c);
    if (e->esubs) {
        hc__record *r = calloc(1, sizeof *r);
        if (r) {
            r->config = c;
            r->is_removal = 1;
            hc__enqueue(e, r);
        }
    }
    hc__wait_delivery(e, c);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int hc__subscribe(hc_engine *e, const char *path, hc_change_cb cb,
                  void *user_data, int replay)
{
    hc__config *c;
    int id;
    if (!e || !path || !cb)
        return e ? hc__engine_fail(e, HC_EINVAL, "no path or callback")
                 : HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = lookup_locked(e, path);
    if (!c) {
        id = hc__fail_locked(e, HC_ENOTWATCHED, "%s: not watched", path);
    } else if ((id = add_sub_locked(e, c, cb, user_data)) < 0) {
        hc__fail_locked(e, id, "out of memory");
    } else if (replay) {
        /* The current version, to this subscriber only. */
        hc__snapshot *live = atomic_load(&c->live);
        hc__record *r = live ? calloc(1, sizeof *r) : NULL;
        if (r) {
            r->config = c;
            r->only_sub = id;
            r->new_doc = hc_doc_retain(live->doc);
            r->changes = hc_diff(NULL, live->doc);
            r->rec.path = c->path;
            r->rec.version = live->version;
            r->rec.new_doc = r->new_doc;
            r->rec.changes = r->changes;
            r->rec.trigger = HC_TRIGGER_INITIAL;
            r->rec.hash = live->hash;
            r->rec.detected_ns = r->rec.applied_ns = hc__now_ns();
            hc__enqueue(e, r);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return id;
}

int hc_subscribe(hc_engine *e, const char *path, hc_change_cb cb,
                 void *user_data)
{
    return hc__subscribe(e, path, cb, user_data, 0);
}

int hc_unsubscribe(hc_engine *e, int id)
{
    if (!e || id <= 0)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->nall; i++) {
        hc__sub **pp;
        for (pp = &e->all[i]->subs; *pp; pp = &(*pp)->next) {
            if ((*pp)->id == id) {
                hc__sub *s = *pp;
                *pp = s->next;
                free(s);
                hc__wait_delivery(e, e->all[i]);
                pthread_mutex_unlock(&e->lock);
                return 0;
            }
        }
    }
    for (hc__esub **xp = &e->esubs; *xp; xp = &(*xp)->next) {
        if ((*xp)->id == id) {
            hc__esub *x = *xp;
            *xp = x->next;
            free(x);
            /* None of its calls runs after this returns (but ours). */
            while (e->cb_active > (hc__in_callback_of(e) ? 1 : 0))
                pthread_cond_wait(&e->cond, &e->lock);
            pthread_mutex_unlock(&e->lock);
            return 0;
        }
    }
    hc__fail_locked(e, HC_ENOTWATCHED, "no subscriber %d", id);
    pthread_mutex_unlock(&e->lock);
    return HC_ENOTWATCHED;
}

int hc__engine_subscribe(hc_engine *e, hc_event_cb cb, void *user_data)
{
    hc__esub *x, **xp;
    int id;
    if (!e || !cb)
        return e ? hc__engine_fail(e, HC_EINVAL, "no callback") : HC_EINVAL;
    if (!(x = calloc(1, sizeof *x)))
        return hc__engine_fail(e, HC_ENOMEM, "out of memory");
    pthread_mutex_lock(&e->lock);
    {
        int n = 0;
        for (xp = &e->esubs; *xp; xp = &(*xp)->next)
            n++;
        if (n >= HC_ENGINE_SUBSCRIBERS_MAX) {
            /* delivery calls at most this many (a fixed array per
             * record): a further one would silently get nothing */
            pthread_mutex_unlock(&e->lock);
            free(x);
            return hc__engine_fail(e, HC_ELIMIT,
                                   "at most %d engine-wide subscribers",
                                   HC_ENGINE_SUBSCRIBERS_MAX);
        }
    }
    id = x->id = e->next_sub_id++;
    if (e->next_sub_id <= 0)
        e->next_sub_id = 1;
    x->cb = cb;
    x->user_data = user_data;
    *xp = x;
    pthread_mutex_unlock(&e->lock);
    return id;
}

int hc__subscriber_count(hc_engine *e, const char *path)
{
    hc__config *c;
    int n = 0;
    pthread_mutex_lock(&e->lock);
    c = lookup_locked(e, path);
    if (c)
        for (hc__sub *s = c->subs; s; s = s->next)
            n++;
    pthread_mutex_unlock(&e->lock);
    return c ? n : HC_ENOTWATCHED;
}

int hc_config_last_error(hc_engine *e, const char *path, hc_error *out)
{
    hc__config *c;
    int code;
    if (!e || !path)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = lookup_locked(e, path);
    if (!c) {
        pthread_mutex_unlock(&e->lock);
        /* The header's rule: a failing call fills the hc_error it is
         * given. */
        if (out) {
            hc_error_init(out);
            hc__error_set(out, HC_ENOTWATCHED, path, 0, 0, 0, "not watched");
        }
        return HC_ENOTWATCHED;
    }
    code = hc__config_error_code(c);
    if (out) {
        if (c->last_error)
            *out = *c->last_error;
        else
            hc_error_init(out);
    }
    pthread_mutex_unlock(&e->lock);
    return code;
}

int hc_engine_rescan(hc_engine *e, const char *path)
{
    hc__config **list = NULL;
    size_t n = 0;
    int64_t now = hc__now_ns();
    if (!e)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    if (path) {
        hc__config *c = lookup_locked(e, path);
        if (!c) {
            int rc =
                hc__fail_locked(e, HC_ENOTWATCHED, "%s: not watched", path);
            pthread_mutex_unlock(&e->lock);
            return rc;
        }
        list = malloc(sizeof *list);
        if (list)
            list[n++] = c;
    } else if (e->nall) {
        list = malloc(e->nall * sizeof *list);
        if (list)
            for (size_t i = 0; i < e->nall; i++)
                list[n++] = e->all[i];
    }
    for (size_t i = 0; i < n; i++) {
        list[i]->refs++;
        hc__stats_count(e, list[i], HC__C_RESCANS);
    }
    pthread_mutex_unlock(&e->lock);
    for (size_t i = 0; i < n; i++)
        hc__refresh(e, list[i], HC__WORK_RESOLVE | HC__WORK_CHECK,
                    HC_TRIGGER_RESCAN, now);
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < n; i++)
        hc__config_unref(e, list[i]);
    hc__timer_rearm(e);
    pthread_mutex_unlock(&e->lock);
    free(list);
    return 0;
}
