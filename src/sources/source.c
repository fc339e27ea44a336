/*
 * source.c - what the engine offers a source (see source.h): accessors,
 * queuing work and reporting content that cannot be had. The file
 * watchers still reach the engine through hc__backend (engine_internal.h)
 * until they move onto hc__source_ops; a new source (etcd) uses these.
 */
#include "engine/engine_internal.h"

#include <string.h>

hc_engine *hc__config_engine(const hc__config *c)
{
    return c->engine;
}

const char *hc__config_id(const hc__config *c)
{
    return c->path;
}

const char *hc__config_abspath(const hc__config *c)
{
    return c->abspath;
}

void **hc__config_source_slot(hc__config *c)
{
    return &c->source_slot;
}

size_t hc__config_max_size(const hc__config *c)
{
    return c->max_size;
}

int hc__config_settle_ms(const hc__config *c)
{
    return c->engine->opts.settle_ms;
}

int hc__config_poll_ms(const hc__config *c)
{
    return c->poll_ms;
}

hc_watch_mode hc__config_mode(const hc__config *c)
{
    return c->mode_req;
}

/* The HC__WORK_* flags are the dispatcher's HC__P_* bits (one set). */
_Static_assert((int)HC__WORK_CHECK == (int)HC__P_CHECK &&
                   (int)HC__WORK_RESOLVE == (int)HC__P_RESOLVE &&
                   (int)HC__WORK_CREATED == (int)HC__P_CREATED &&
                   (int)HC__WORK_CONFIRM == (int)HC__P_CONFIRM &&
                   (int)HC__WORK_POLL == (int)HC__P_POLL &&
                   (int)HC__WORK_CLOSED == (int)HC__P_CLOSED,
               "one vocabulary of work flags");

void hc__source_work_locked(hc__config *c, unsigned flags, hc_trigger trigger,
                            int64_t detect_ns)
{
    hc__work_add(c->engine, c, (int)flags, trigger, detect_ns);
    hc__wake(c->engine);
}

void hc__source_work(hc__config *c, unsigned flags, hc_trigger trigger,
                     int64_t detect_ns)
{
    pthread_mutex_lock(&c->engine->lock);
    hc__source_work_locked(c, flags, trigger, detect_ns);
    pthread_mutex_unlock(&c->engine->lock);
}

void hc__source_report(hc__config *c, hc__report_kind kind, const hc_error *err,
                       hc_trigger trigger)
{
    hc_engine *e = c->engine;
    int reported = 0;
    pthread_mutex_lock(&e->lock);
    if (!c->dead) {
        if (kind == HC__REPORT_MISSING) {
            if (!c->missing_reported) {
                c->missing_reported = 1;
                hc__config_error(e, c, err, trigger, HC__C_MISSING);
                reported = 1;
            }
        } else if (!c->last_error || c->last_error->code != err->code ||
                   strcmp(c->last_error->text, err->text) != 0) {
            c->have_seen = 0;
            hc__config_error(e, c, err, trigger,
                             kind == HC__REPORT_TOO_LARGE ? HC__C_PARSE
                                                          : HC__C_READ);
            reported = 1;
        }
    }
    pthread_mutex_unlock(&e->lock);
    if (reported)
        hc__apply_attempt(c, HC__OUTCOME_MISSING, trigger, 0, err, 0, NULL);
}
