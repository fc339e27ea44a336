/*
 * attempts.c - hc_config_attempts: the engine store's attempt log, read
 * back for the dashboard (and any program). The store is read with no
 * engine lock held, as hc_config_history does: a reference on the config
 * keeps its store handle alive meanwhile.
 */
#include "engine/engine_internal.h"

#include <stdlib.h>
#include <string.h>

void hc_attempt_info_free(hc_attempt_info *out, int n)
{
    for (int i = 0; out && i < n; i++) {
        free(out[i].error);
        for (size_t k = 0; k < out[i].nchanged; k++)
            free(out[i].changed[k]);
        free(out[i].changed);
        memset(&out[i], 0, sizeof out[i]);
    }
}

static int attempts(hc_engine *e, const char *id, hc_attempt_info *out, int max)
{
    hc__config *c;
    int n;
    if (!e || !id || max < 0 || (max > 0 && !out))
        return e ? hc__engine_fail(e, HC_EINVAL, "hc_config_attempts: NULL")
                 : HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, id);
    if (c)
        c->refs++;
    pthread_mutex_unlock(&e->lock);
    if (!c)
        return hc__engine_fail(e, HC_ENOTWATCHED, "%s: not watched", id);
    n = e->store.ops->list_attempts && c->store_cfg
            ? e->store.ops->list_attempts(&e->store, c->store_cfg, out, max)
            : 0;
    pthread_mutex_lock(&e->lock);
    hc__config_unref(e, c);
    pthread_mutex_unlock(&e->lock);
    if (n < 0)
        return hc__engine_fail(e, n, "%s: cannot read the attempt log: %s", id,
                               hc_strerror(n));
    return n;
}

int hc_config_attempts(hc_engine *e, const char *id, hc_attempt_info *out,
                       int max, hc_error *err)
{
    hc_error *saved;
    int rc;
    if (err)
        hc_error_init(err);
    saved = hc__call_error_swap(err);
    rc = attempts(e, id, out, max);
    hc__call_error_swap(saved);
    if (rc < 0 && err && err->code == 0)
        hc__error_set(err, rc, "hotconf", 0, 0, 0, "%s", hc_strerror(rc));
    return rc;
}
