/*
 * service.c - the convenience layer: named services (a name, a config
 * path, a callback that receives the new document) and the process-wide
 * default engine behind hc_watch_config(). Everything here is built on the
 * public engine API; a short mutex guards the service table.
 *
 * The _opts variants are not silent: a binding holds what their watch
 * refers to while it lives (the compiled schema, the error and log
 * callbacks, the change callback with its record) and turns the engine's
 * callbacks into the service's, plus a log line for each.
 */
#include "engine_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct binding {
    struct binding *next; /* in loose (hc_watch_config_opts) */
    char *label;          /* the service's name, or the path */
    hc_engine *engine;
    char *path;
    hc_schema *schema;
    hc_service_options opts;  /* schema_path not kept */
    hc_service_change_cb scb; /* services */
    hc_change_cb ccb;         /* hc_watch_config_opts */
    void *cb_data;
} binding;

typedef struct service {
    struct service *next;
    char *name;
    char *path;
    hc_engine *engine;
    int sub_id;
    int owns_watch;
    hc_service_cb cb;
    void *user_data;
    binding *b; /* _opts services: their watch's */
} service;

static pthread_mutex_t svc_lock = PTHREAD_MUTEX_INITIALIZER;
static hc_engine *default_engine;
static service *services;
static binding *loose; /* hc_watch_config_opts's, until shutdown */

static hc_engine *default_locked(void)
{
    if (!default_engine) {
        hc_engine *e = hc_engine_new(NULL);
        if (e && hc_engine_start(e) != 0) {
            hc_engine_free(e);
            e = NULL;
        }
        default_engine = e;
    }
    return default_engine;
}

hc_engine *hc_default_engine(void)
{
    hc_engine *e;
    pthread_mutex_lock(&svc_lock);
    e = default_locked();
    pthread_mutex_unlock(&svc_lock);
    return e;
}

/* Watches path (HC_EEXIST is fine: then we only subscribe). Returns 1 when
 * this call created the watch, 0 when it existed, or an error. */
static int watch_or_share(hc_engine *e, const char *path)
{
    int rc = hc_watch(e, path, NULL);
    if (rc == HC_EEXIST)
        return 0;
    return rc < 0 ? rc : 1;
}

int hc_watch_config(const char *path, hc_change_cb cb, void *user_data)
{
    hc_engine *e = hc_default_engine();
    int rc;
    if (!e)
        return HC_ENOMEM;
    if (!path || !cb)
        return HC_EINVAL;
    rc = watch_or_share(e, path);
    if (rc < 0)
        return rc;
    return hc__subscribe(e, path, cb, user_data, 1);
}

static int service_cb(const hc_change_record *rec, void *user_data)
{
    service *s = user_data;
    return s->cb(s->name, rec->new_doc, s->user_data);
}

static service *find(const char *name)
{
    for (service *s = services; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static void binding_free(binding *b)
{
    if (!b)
        return;
    hc_schema_free(b->schema);
    free(b->label);
    free(b->path);
    free(b);
}

static void service_free(service *s)
{
    binding_free(s->b);
    free(s->name);
    free(s->path);
    free(s);
}

void hc_service_options_init(hc_service_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

static void binding_log(const binding *b, int level, const char *fmt, ...)
    HC__PRINTF(3, 4);
static void binding_log(const binding *b, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    if (!b->opts.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    b->opts.log(level, msg, b->opts.user_data);
}

static void binding_on_error(const hc_error_record *rec, void *ud)
{
    binding *b = ud;
    char text[1024];
    if (b->opts.on_error)
        b->opts.on_error(rec, b->opts.user_data);
    if (b->opts.log)
        binding_log(b, HC_LOG_WARN, "%s: %s", b->label,
                    hc_error_format(rec->error, text, sizeof text));
}

static int binding_on_change(const hc_change_record *rec, void *ud)
{
    binding *b = ud;
    int rc =
        b->scb ? b->scb(b->label, rec, b->cb_data) : b->ccb(rec, b->cb_data);
    binding_log(b, HC_LOG_INFO, "%s: version %llu live (%s, %zu changes)%s",
                b->label, (unsigned long long)rec->version,
                hc_trigger_name(rec->trigger), hc_changeset_count(rec->changes),
                rc ? "; the callback failed" : "");
    return rc;
}

/* A binding for path with opts (NULL: defaults; copied by its size), its
 * schema loaded. NULL with err filled. */
static binding *binding_new(hc_engine *e, const char *label, const char *path,
                            const hc_service_options *opts, hc_error *err)
{
    binding *b = calloc(1, sizeof *b);
    if (!b || !(b->label = strdup(label)) || !(b->path = strdup(path))) {
        binding_free(b);
        hc__error_set(err, HC_ENOMEM, "hotconf", 0, 0, 0, "out of memory");
        return NULL;
    }
    b->engine = e;
    if (opts) {
        size_t n = opts->size < sizeof b->opts ? opts->size : sizeof b->opts;
        if (n < sizeof(size_t)) {
            binding_free(b);
            hc__error_set(err, HC_EINVAL, "hotconf", 0, 0, 0,
                          "hc_service_options.size is not set (use "
                          "hc_service_options_init)");
            return NULL;
        }
        memcpy(&b->opts, opts, n);
    }
    b->opts.size = sizeof b->opts;
    if (b->opts.schema_path &&
        !(b->schema = hc_schema_load(b->opts.schema_path, err))) {
        binding_free(b);
        return NULL;
    }
    b->opts.schema_path = NULL; /* the caller's string: not kept */
    return b;
}

/* Watches b->path with b's schema, format and error callback, and
 * subscribes its change callback (the live version replayed). Returns
 * the subscription id, or a negative code with err filled (and no watch
 * left behind). */
static int binding_start(binding *b, hc_error *err)
{
    hc_watch_options wo;
    int rc;
    hc_watch_options_init(&wo);
    wo.format = b->opts.format;
    wo.schema = b->schema;
    wo.on_error = binding_on_error;
    wo.on_error_data = b;
    rc = hc_engine_watch(b->engine, b->path, &wo, err);
    if (rc == HC_EEXIST)
        hc__error_set(err, HC_EEXIST, b->path, 0, 0, 0,
                      "already watched: a service with options needs a "
                      "watch of its own");
    if (rc < 0)
        return rc;
    rc = hc__subscribe(b->engine, b->path, binding_on_change, b, 1);
    if (rc < 0) {
        hc__error_set(err, rc, b->path, 0, 0, 0, "%s", hc_strerror(rc));
        hc_unwatch(b->engine, b->path);
    }
    return rc;
}

/* A new service named name for path on *e (NULL: the default engine),
 * with svc_lock taken; NULL (lock not held) with err filled. */
static service *service_begin(hc_engine **e, const char *name, const char *path,
                              hc_error *err)
{
    service *s;
    pthread_mutex_lock(&svc_lock);
    if (find(name)) {
        pthread_mutex_unlock(&svc_lock);
        hc__error_set(err, HC_EEXIST, name, 0, 0, 0,
                      "a service of that name is registered");
        return NULL;
    }
    if (!*e && !(*e = default_locked())) {
        pthread_mutex_unlock(&svc_lock);
        hc__error_set(err, HC_ENOMEM, "hotconf", 0, 0, 0,
                      "cannot start the default engine");
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name)) || !(s->path = strdup(path))) {
        if (s)
            service_free(s);
        pthread_mutex_unlock(&svc_lock);
        hc__error_set(err, HC_ENOMEM, "hotconf", 0, 0, 0, "out of memory");
        return NULL;
    }
    s->engine = *e;
    return s;
}

/* Ends service_begin: rc is the subscription id (s is listed) or the
 * refusal (s is freed); svc_lock released. */
static int service_end(service *s, int rc)
{
    if (rc < 0) {
        service_free(s);
    } else {
        s->sub_id = rc;
        s->next = services;
        services = s;
        rc = 0;
    }
    pthread_mutex_unlock(&svc_lock);
    return rc;
}

int hc_service_register(hc_engine *e, const char *name, const char *path,
                        hc_service_cb cb, void *user_data)
{
    service *s;
    hc_error err;
    int rc;
    if (!name || !*name || !path || !cb)
        return HC_EINVAL;
    hc_error_init(&err);
    if (!(s = service_begin(&e, name, path, &err)))
        return err.code;
    s->cb = cb;
    s->user_data = user_data;
    rc = watch_or_share(e, path);
    if (rc >= 0) {
        s->owns_watch = rc;
        rc = hc__subscribe(e, path, service_cb, s, 1);
        if (rc < 0 && s->owns_watch)
            hc_unwatch(e, path);
    }
    return service_end(s, rc);
}

/* err, or local when the caller gave none; cleared. */
static hc_error *error_out(hc_error *err, hc_error *local)
{
    if (!err)
        err = local;
    hc_error_init(err);
    return err;
}

int hc_service_register_opts(hc_engine *e, const char *name, const char *path,
                             hc_service_change_cb cb, void *user_data,
                             const hc_service_options *opts, hc_error *err)
{
    service *s;
    hc_error local;
    err = error_out(err, &local);
    if (!name || !*name || !path || !cb) {
        hc__error_set(err, HC_EINVAL, "hotconf", 0, 0, 0,
                      "no name, path or callback");
        return HC_EINVAL;
    }
    if (!(s = service_begin(&e, name, path, err)))
        return err->code;
    if (!(s->b = binding_new(e, name, path, opts, err)))
        return service_end(s, err->code);
    s->b->scb = cb;
    s->b->cb_data = user_data;
    s->owns_watch = 1;
    return service_end(s, binding_start(s->b, err));
}

int hc_watch_config_opts(const char *path, hc_change_cb cb, void *user_data,
                         const hc_service_options *opts, hc_error *err)
{
    hc_engine *e = hc_default_engine();
    binding *b;
    hc_error local;
    int rc;
    err = error_out(err, &local);
    if (!e) {
        hc__error_set(err, HC_ENOMEM, "hotconf", 0, 0, 0,
                      "cannot start the default engine");
        return HC_ENOMEM;
    }
    if (!path || !cb) {
        hc__error_set(err, HC_EINVAL, "hotconf", 0, 0, 0,
                      "no path or callback");
        return HC_EINVAL;
    }
    if (!(b = binding_new(e, path, path, opts, err)))
        return err->code;
    b->ccb = cb;
    b->cb_data = user_data;
    pthread_mutex_lock(&svc_lock);
    rc = binding_start(b, err);
    if (rc < 0) {
        pthread_mutex_unlock(&svc_lock);
        binding_free(b);
        return rc;
    }
    b->next = loose;
    loose = b;
    pthread_mutex_unlock(&svc_lock);
    return rc;
}

json_t *hc_service_config(const char *name)
{
    json_t *doc = NULL;
    service *s;
    if (!name)
        return NULL;
    pthread_mutex_lock(&svc_lock);
    s = find(name);
    if (s)
        doc = hc_config_get(s->engine, s->path);
    pthread_mutex_unlock(&svc_lock);
    return doc;
}

int hc_service_unregister(const char *name)
{
    service **pp, *s = NULL;
    if (!name)
        return HC_EINVAL;
    pthread_mutex_lock(&svc_lock);
    for (pp = &services; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) == 0) {
            s = *pp;
            *pp = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&svc_lock);
    if (!s)
        return HC_ENOTWATCHED;
    hc_unsubscribe(s->engine, s->sub_id);
    /* A binding's watch refers to it (schema, on_error): it ends here,
     * before the binding is freed (hc_unwatch waits for its callbacks). */
    if (s->owns_watch &&
        (s->b || hc__subscriber_count(s->engine, s->path) == 0))
        hc_unwatch(s->engine, s->path);
    service_free(s);
    return 0;
}

void hc_default_engine_shutdown(void)
{
    service **pp, *mine = NULL;
    binding **bp, *bmine = NULL;
    hc_engine *e;
    pthread_mutex_lock(&svc_lock);
    e = default_engine;
    default_engine = NULL;
    for (bp = &loose; *bp;) {
        binding *b = *bp;
        if (b->engine == e) {
            *bp = b->next;
            b->next = bmine;
            bmine = b;
        } else {
            bp = &b->next;
        }
    }
    for (pp = &services; *pp;) {
        service *s = *pp;
        if (s->engine == e) {
            *pp = s->next;
            s->next = mine;
            mine = s;
        } else {
            pp = &s->next;
        }
    }
    pthread_mutex_unlock(&svc_lock);
    /* The engine first: its watches refer to the bindings. */
    hc_engine_free(e);
    while (mine) {
        service *s = mine;
        mine = s->next;
        service_free(s);
    }
    while (bmine) {
        binding *b = bmine;
        bmine = b->next;
        binding_free(b);
    }
}
