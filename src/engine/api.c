/*
 * api.c - the public API's growth seams: the hc_noun_verb names with a
 * per-call hc_error, option structs passed with the caller's size, and
 * the 0.1.0 names as aliases of them.
 *
 * Size rule: a struct of an older header is a prefix of today's (fields
 * are only ever appended), so the caller's bytes are copied into a zeroed
 * struct of today's size; fields it did not know read as 0, their
 * default. The 0.1.0 entry points pass the 0.1.0 sizes.
 */
#include "engine_internal.h"

#include <stddef.h>
#include <string.h>

/* Sizes of the option structs in 0.1.0. */
#define WATCH_OPTIONS_V0_SIZE  offsetof(hc_watch_options, prepare)
#define ENGINE_OPTIONS_V0_SIZE offsetof(hc_engine_options, state_dir)

void hc_watch_options_init(hc_watch_options *o)
{
    if (o)
        memset(o, 0, sizeof *o);
}

void hc_engine_options_init(hc_engine_options *o)
{
    if (o)
        memset(o, 0, sizeof *o);
}

hc_engine *hc_engine_new_sized(const hc_engine_options *opts, size_t size)
{
    hc_engine_options full;
    if (!opts)
        return hc__engine_new(NULL);
    memset(&full, 0, sizeof full);
    memcpy(&full, opts, size < sizeof full ? size : sizeof full);
    return hc__engine_new(&full);
}

hc_engine *hc_engine_new(const hc_engine_options *opts)
{
    return hc_engine_new_sized(opts, ENGINE_OPTIONS_V0_SIZE);
}

/* Runs one call with err as this thread's per-call error: the engine's
 * failure paths fill it (errors.c), and a failure that named no reason
 * still gets its code's text. */
#define WITH_ERROR(err, call)                                                  \
    do {                                                                       \
        hc_error *saved_;                                                      \
        if (err)                                                               \
            hc_error_init(err);                                                \
        saved_ = hc__call_error_swap(err);                                     \
        rc = (call);                                                           \
        hc__call_error_swap(saved_);                                           \
        if (rc < 0 && (err) && (err)->code == 0)                               \
            hc__error_set((err), rc, "hotconf", 0, 0, 0, "%s",                 \
                          hc_strerror(rc));                                    \
    } while (0)

int hc_engine_watch_sized(hc_engine *e, const char *id,
                          const hc_watch_options *opts, size_t size,
                          hc_error *err)
{
    hc_watch_options full;
    int rc;
    memset(&full, 0, sizeof full);
    if (opts)
        memcpy(&full, opts, size < sizeof full ? size : sizeof full);
    WITH_ERROR(err, hc__watch(e, id, &full));
    return rc;
}

int hc_watch(hc_engine *e, const char *path, const hc_watch_options *opts)
{
    return hc_engine_watch_sized(e, path, opts, WATCH_OPTIONS_V0_SIZE, NULL);
}

int hc_engine_unwatch(hc_engine *e, const char *id, hc_error *err)
{
    int rc;
    WITH_ERROR(err, hc_unwatch(e, id));
    return rc;
}

int hc_config_subscribe(hc_engine *e, const char *id, hc_change_cb cb,
                        void *user_data, hc_error *err)
{
    int rc;
    WITH_ERROR(err, hc_subscribe(e, id, cb, user_data));
    return rc;
}

int hc_engine_unsubscribe(hc_engine *e, int subscription, hc_error *err)
{
    int rc;
    WITH_ERROR(err, hc_unsubscribe(e, subscription));
    return rc;
}

int hc_config_rollback(hc_engine *e, const char *id, int versions_back,
                       hc_error *err)
{
    int rc;
    WITH_ERROR(err, hc_rollback(e, id, versions_back));
    return rc;
}

int hc_config_history(hc_engine *e, const char *id, hc_version_info *out,
                      int max, hc_error *err)
{
    int rc;
    WITH_ERROR(err, hc_history(e, id, out, max));
    return rc;
}

int hc_config_history_get(hc_engine *e, const char *id, uint64_t version,
                          char **content, size_t *len, json_t **doc,
                          hc_error *err)
{
    int rc;
    WITH_ERROR(err, hc_history_get(e, id, version, content, len, doc));
    return rc;
}

int hc_config_rescan(hc_engine *e, const char *id, hc_error *err)
{
    int rc;
    WITH_ERROR(err, hc_engine_rescan(e, id));
    return rc;
}

int hc_engine_subscribe(hc_engine *e, hc_event_cb cb, void *user_data,
                        hc_error *err)
{
    int rc;
    WITH_ERROR(err, hc__engine_subscribe(e, cb, user_data));
    return rc;
}
