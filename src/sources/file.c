/*
 * file.c - what the two file sources (inotify.c, poll.c) share: fetching
 * a file's content for the apply entry, with the rules that belong to
 * files, and writing a rollback back to the file.
 *
 * Rules of files, kept here rather than in the pipeline:
 *  - settle: a file found empty right after it was created is most likely
 *    not written yet; it is looked at again after the settle time unless
 *    the caller knows it is complete (closed, renamed in, confirmed);
 *  - missing: a file that cannot be found is reported once, after the
 *    settle time (an editor's delete + recreate is not "missing"), unless
 *    the caller says the settle time already passed;
 *  - unreadable or too large: each new reason is reported once.
 * Everything else is hc__apply()'s.
 */
#include "engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int same_error(const hc_error *a, const hc_error *b)
{
    return a->code == b->code && a->line == b->line && a->column == b->column &&
           strcmp(a->text, b->text) == 0;
}

/* The file could not be read. A missing file is reported once, after the
 * settle time (an editor's delete + recreate is not "missing"), unless
 * confirm says the settle time already passed. */
static int read_failed(hc_engine *e, hc__config *c, hc_error *err,
                       hc_trigger trigger, int confirm)
{
    int missing = err->code == HC_ENOENT, reported = 0;
    pthread_mutex_lock(&e->lock);
    if (c->dead)
        goto out;
    if (missing) {
        if (c->missing_reported)
            goto out;
        if (!confirm) {
            if (!c->confirm_at) {
                c->confirm_at =
                    hc__now_ns() + (int64_t)e->opts.settle_ms * 1000000;
                hc__timer_changed(e, c);
                hc__timer_rearm(e);
            }
            goto out;
        }
        c->missing_reported = 1;
        c->confirm_at = 0;
        hc__timer_changed(e, c);
        hc_error_init(err);
        if (atomic_load(&c->live))
            hc__error_set(err, HC_ENOENT, c->path, 0, 0, 0,
                          "file is missing; version %llu stays live",
                          (unsigned long long)c->version);
        else
            hc__error_set(err, HC_ENOENT, c->path, 0, 0, 0, "file is missing");
        hc__config_error(e, c, err, trigger, HC__C_MISSING);
        reported = 1;
        goto out;
    }
    /* Unreadable or over the size limit: report each new reason once. */
    snprintf(err->source, sizeof err->source, "%s", c->path);
    if (c->last_error && same_error(err, c->last_error))
        goto out;
    c->have_seen = 0;
    hc__config_error(e, c, err, trigger,
                     err->code == HC_ELIMIT ? HC__C_PARSE : HC__C_READ);
    reported = 1;
out:
    pthread_mutex_unlock(&e->lock);
    return reported;
}

void hc__file_fetch(hc_engine *e, hc__config *c, hc_trigger trigger,
                    int64_t detect_ns, int flags)
{
    hc_error err;
    size_t len = 0;
    char *buf;

    hc_error_init(&err);
    buf = hc_read_file(c->abspath, c->max_size, &len, &err);
    if (!buf) {
        if (read_failed(e, c, &err, trigger, flags & HC__CHECK_CONFIRM))
            hc__apply_attempt(c, HC__OUTCOME_MISSING, trigger, 0, &err,
                              detect_ns, NULL);
        return;
    }
    if (len == 0 && !(flags & HC__CHECK_COMPLETE)) {
        /* Most likely created and not written yet (found by a directory
         * event): look again once the writer had the settle time. */
        pthread_mutex_lock(&e->lock);
        if (!c->dead && !c->settle_at) {
            c->settle_at = hc__now_ns() + (int64_t)e->opts.settle_ms * 1000000;
            c->settle_detect = detect_ns;
            c->settle_trigger = trigger;
            hc__timer_changed(e, c);
            hc__timer_rearm(e);
        }
        pthread_mutex_unlock(&e->lock);
        free(buf);
        return;
    }
    hc__apply(c, buf, len, NULL, trigger, detect_ns, NULL);
    free(buf);
}

int hc__file_write_back(hc__config *c, const char *bytes, size_t len,
                        hc_error *err)
{
    hc_error werr;
    /* Through a symlink (a ConfigMap key) the target is rewritten:
     * replacing the link with a file would break the chain. The error
     * names the config as the user gave it, not its absolute path. */
    hc_error_init(&werr);
    if (hc__write_atomic(c->abspath, bytes, len, 0644, 1, &werr) != 0) {
        hc__error_set(err, HC_ESYS, c->path, 0, 0, 0, "%s", werr.text);
        return HC_ESYS;
    }
    return 0;
}
