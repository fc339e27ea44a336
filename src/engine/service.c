/*
 * service.c - the convenience layer: named services (a name, a config
 * path, a callback that receives the new document) and the process-wide
 * default engine behind hc_watch_config(). Everything here is built on the
 * public engine API; a short mutex guards the service table.
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct service {
    struct service *next;
    char *name;
    char *path;
    hc_engine *engine;
    int sub_id;
    int owns_watch;
    hc_service_cb cb;
    void *user_data;
} service;

static pthread_mutex_t svc_lock = PTHREAD_MUTEX_INITIALIZER;
static hc_engine *default_engine;
static service *services;

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

static void service_free(service *s)
{
    free(s->name);
    free(s->path);
    free(s);
}

int hc_service_register(hc_engine *e, const char *name, const char *path,
                        hc_service_cb cb, void *user_data)
{
    service *s;
    int rc;
    if (!name || !*name || !path || !cb)
        return HC_EINVAL;
    pthread_mutex_lock(&svc_lock);
    if (find(name)) {
        pthread_mutex_unlock(&svc_lock);
        return HC_EEXIST;
    }
    if (!e && !(e = default_locked())) {
        pthread_mutex_unlock(&svc_lock);
        return HC_ENOMEM;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name)) || !(s->path = strdup(path))) {
        if (s)
            service_free(s);
        pthread_mutex_unlock(&svc_lock);
        return HC_ENOMEM;
    }
    s->engine = e;
    s->cb = cb;
    s->user_data = user_data;
    rc = watch_or_share(e, path);
    if (rc >= 0) {
        s->owns_watch = rc;
        rc = hc__subscribe(e, path, service_cb, s, 1);
    }
    if (rc < 0) {
        if (s->owns_watch)
            hc_unwatch(e, path);
        service_free(s);
        pthread_mutex_unlock(&svc_lock);
        return rc;
    }
    s->sub_id = rc;
    s->next = services;
    services = s;
    pthread_mutex_unlock(&svc_lock);
    return 0;
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
    if (s->owns_watch && hc__subscriber_count(s->engine, s->path) == 0)
        hc_unwatch(s->engine, s->path);
    service_free(s);
    return 0;
}

void hc_default_engine_shutdown(void)
{
    service **pp;
    hc_engine *e;
    pthread_mutex_lock(&svc_lock);
    e = default_engine;
    default_engine = NULL;
    for (pp = &services; *pp;) {
        service *s = *pp;
        if (s->engine == e) {
            *pp = s->next;
            service_free(s);
        } else {
            pp = &s->next;
        }
    }
    pthread_mutex_unlock(&svc_lock);
    hc_engine_free(e);
}
