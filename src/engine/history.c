/*
 * history.c - history and rollback on top of the engine's history store
 * (src/stores/store.h).
 *
 * A rollback is a new version whose content is an older one's, so it can
 * itself be undone: the store gives the old content back, the one apply
 * entry applies it with trigger rollback (parse, validate, diff), and the
 * config's source writes it back to the origin before it goes live (for
 * files: temp file in the same directory, fsync, rename, mode and owner
 * kept, directory fsync'd), so origin and memory never disagree and the
 * source sees its own write as "no change". The store is read with no
 * engine lock held; a reference on the config keeps its store handle.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The config for path with a reference taken (NULL: not watched). */
static hc__config *hold(hc_engine *e, const char *path)
{
    hc__config *c;
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, path);
    if (c)
        c->refs++;
    pthread_mutex_unlock(&e->lock);
    return c;
}

static void release(hc_engine *e, hc__config *c)
{
    pthread_mutex_lock(&e->lock);
    hc__config_unref(e, c);
    pthread_mutex_unlock(&e->lock);
}

int hc_history(hc_engine *e, const char *path, hc_version_info *out, int max)
{
    hc__config *c;
    int n;
    if (!e || !path || max < 0 || (max > 0 && !out))
        return HC_EINVAL;
    if (!(c = hold(e, path)))
        return HC_ENOTWATCHED;
    n = e->store.ops->list(&e->store, c->store_cfg, out, max);
    release(e, c);
    return n;
}

int hc_history_get(hc_engine *e, const char *path, uint64_t version,
                   char **content, size_t *len, json_t **doc)
{
    hc__config *c;
    hc__store_got got;
    int rc;
    memset(&got, 0, sizeof got);
    if (content)
        *content = NULL;
    if (doc)
        *doc = NULL;
    if (!e || !path)
        return HC_EINVAL;
    if (!(c = hold(e, path)))
        return HC_ENOTWATCHED;
    rc = version ? e->store.ops->get(&e->store, c->store_cfg, version, 0, &got)
                 : HC_EHISTORY;
    if (rc == 0) {
        if (doc && !got.doc) /* a store that keeps content only */
            got.doc = hc_parse(got.content, got.info.size, c->format, c->path,
                               &c->popts, NULL);
        if (doc && !got.doc)
            rc = HC_ENOMEM;
    }
    if (rc == 0) {
        if (len)
            *len = got.info.size;
        if (content) {
            *content = got.content;
            got.content = NULL;
        }
        if (doc) {
            *doc = got.doc;
            got.doc = NULL;
        }
    }
    hc__store_got_clear(&got);
    release(e, c);
    return rc;
}

int hc_rollback(hc_engine *e, const char *path, int versions_back)
{
    hc__config *c;
    hc__store_got got;
    hc_error err;
    char msg[HC_ERROR_TEXT_LENGTH];
    int rc = 0;

    if (!e || !path)
        return HC_EINVAL;
    if (versions_back < 1)
        return hc__engine_fail(e, HC_EINVAL,
                               "%s: rollback needs versions_back >= 1", path);
    if (!(c = hold(e, path)))
        return hc__engine_fail(e, HC_ENOTWATCHED, "%s: not watched", path);

    pthread_mutex_lock(&c->apply_lock);
    rc = e->store.ops->get(&e->store, c->store_cfg, 0, versions_back, &got);
    if (rc == HC_EHISTORY) {
        int kept = e->store.ops->list(&e->store, c->store_cfg, NULL, 0);
        kept = kept > 0 ? kept - 1 : 0;
        snprintf(msg, sizeof msg,
                 "%s: cannot roll back %d version%s: %d earlier version%s "
                 "kept (history depth %d)",
                 path, versions_back, versions_back == 1 ? "" : "s", kept,
                 kept == 1 ? "" : "s", c->depth);
    } else if (rc != 0) {
        snprintf(msg, sizeof msg, "%s: %s", path, hc_strerror(rc));
    } else {
        rc = hc__apply(c, got.content, got.info.size, got.revision,
                       HC_TRIGGER_ROLLBACK, hc__now_ns(), &err);
        if (rc == HC_ENOTWATCHED)
            snprintf(msg, sizeof msg, "%s: unwatched during the rollback",
                     path);
        else if (rc != 0)
            snprintf(msg, sizeof msg, "%s", err.text);
        hc__store_got_clear(&got);
    }
    pthread_mutex_unlock(&c->apply_lock);
    release(e, c);
    if (rc != 0)
        return hc__engine_fail(e, rc, "%s", msg);
    return 0;
}
