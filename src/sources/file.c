/*
 * file.c - what the two file sources (inotify.c, poll.c) share: fetching
 * a file's content for the apply entry, with the rules that belong to
 * files, their deadlines, and writing a rollback back to the file.
 *
 * Rules of files, kept here rather than in the pipeline:
 *  - settle: a file found empty right after it was created is most likely
 *    not written yet; it is looked at again after the settle time unless
 *    the caller knows it is complete (closed, renamed in, confirmed);
 *  - missing: a file that cannot be found is reported once, after the
 *    settle time (an editor's delete + recreate is not "missing"), unless
 *    the caller says the settle time already passed;
 *  - held open: a settle that finds a writer still at work waits for its
 *    close, up to hc__file_hold_open_ns;
 *  - unreadable or too large: each new reason is reported once.
 * Everything else is hc__apply()'s.
 */
#include "sources/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int hc__file_claims(const char *id)
{
    return id && !strstr(id, "://");
}

hc__file_slot *hc__file_slot_attach(hc__config *c)
{
    void **slot = hc__config_source_slot(c);
    if (!*slot)
        *slot = calloc(1, sizeof(hc__file_slot));
    return *slot;
}

void hc__file_slot_detach(hc__config *c)
{
    void **slot = hc__config_source_slot(c);
    hc__source_deadline_locked(c, 0);
    free(*slot);
    *slot = NULL;
}

static int64_t earliest(int64_t a, int64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

void hc__file_deadline_locked(hc__config *c)
{
    hc__file_slot *fs = hc__file_slot_of(c);
    if (fs)
        hc__source_deadline_locked(
            c, earliest(earliest(fs->settle_at, fs->confirm_at), fs->poll_at));
}

static int64_t settle_ns(const hc__config *c)
{
    return (int64_t)hc__config_settle_ms(c) * 1000000;
}

int64_t hc__file_hold_open_ns(const hc__config *c)
{
    int64_t five = 5 * settle_ns(c), half = (int64_t)500 * 1000000;
    return five > half ? five : half;
}

void hc__file_on_timer(hc__source *s, hc__config *c, int64_t now)
{
    hc__file_slot *fs = hc__file_slot_of(c);
    (void)s;
    if (!fs)
        return;
    if (fs->settle_at && fs->settle_at <= now) {
        int64_t hold = fs->settle_detect + hc__file_hold_open_ns(c);
        if (now < hold && fs->writing) {
            /* A writer is still at work: its content may be half
             * written. Its close applies it; a writer that never closes
             * is applied once the hold time passed. */
            fs->settle_at = hold;
            fs->settle_held = 1;
        } else {
            hc__source_work_locked(c, HC__WORK_CHECK | HC__WORK_CONFIRM,
                                   fs->settle_trigger, fs->settle_detect);
            fs->settle_at = 0;
        }
    }
    if (!fs->settle_at)
        fs->settle_held = 0;
    if (fs->confirm_at && fs->confirm_at <= now) {
        hc__source_work_locked(c, HC__WORK_CHECK | HC__WORK_CONFIRM,
                               HC_TRIGGER_CREATE, now);
        fs->confirm_at = 0;
    }
    if (fs->poll_at && fs->poll_at <= now) {
        hc__source_work_locked(c, HC__WORK_POLL, HC_TRIGGER_POLL, now);
        fs->poll_at = now + (int64_t)hc__config_poll_ms(c) * 1000000;
    }
    hc__file_deadline_locked(c);
}

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
    hc__file_slot *fs = hc__file_slot_of(c);
    int missing = err->code == HC_ENOENT, reported = 0;
    pthread_mutex_lock(&e->lock);
    if (c->dead)
        goto out;
    if (missing) {
        if (c->missing_reported)
            goto out;
        if (!confirm) {
            if (fs && !fs->confirm_at) {
                fs->confirm_at = hc__now_ns() + settle_ns(c);
                hc__file_deadline_locked(c);
            }
            goto out;
        }
        c->missing_reported = 1;
        if (fs) {
            fs->confirm_at = 0;
            hc__file_deadline_locked(c);
        }
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

void hc__file_fetch(hc__config *c, unsigned flags, hc_trigger trigger,
                    int64_t detect_ns)
{
    hc_engine *e = hc__config_engine(c);
    hc__file_slot *fs = hc__file_slot_of(c);
    hc_error err;
    size_t len = 0;
    char *buf;

    hc_error_init(&err);
    buf =
        hc_read_file(hc__config_abspath(c), hc__config_max_size(c), &len, &err);
    if (!buf) {
        if (read_failed(e, c, &err, trigger, flags & HC__WORK_CONFIRM))
            hc__apply_attempt(c, HC__OUTCOME_MISSING, trigger, 0, &err,
                              detect_ns, NULL);
        return;
    }
    pthread_mutex_lock(&e->lock);
    if (fs && fs->confirm_at) {
        fs->confirm_at = 0; /* it is back: nothing is missing */
        hc__file_deadline_locked(c);
    }
    if (len == 0 && !(flags & (HC__WORK_CONFIRM | HC__WORK_CLOSED))) {
        /* Most likely created and not written yet (found by a directory
         * event): look again once the writer had the settle time. */
        if (!c->dead && fs && !fs->settle_at) {
            fs->settle_at = hc__now_ns() + settle_ns(c);
            fs->settle_detect = detect_ns;
            fs->settle_trigger = trigger;
            hc__file_deadline_locked(c);
        }
        pthread_mutex_unlock(&e->lock);
        free(buf);
        return;
    }
    pthread_mutex_unlock(&e->lock);
    hc__apply(c, buf, len, NULL, trigger, detect_ns, NULL);
    free(buf);
}

void hc__file_refresh(hc__config *c, unsigned flags, hc_trigger trigger,
                      int64_t detect_ns)
{
    hc_engine *e = hc__config_engine(c);
    hc__file_slot *fs = hc__file_slot_of(c);
    if ((flags & HC__WORK_CREATED) && !(flags & HC__WORK_CLOSED)) {
        /* A new regular file is being written: its close (or the settle
         * timer) applies it, even when a delete in the same batch asked
         * for a check. A symlink (or a file gone again) is complete now. */
        struct stat st;
        if (lstat(hc__config_abspath(c), &st) == 0 && S_ISREG(st.st_mode))
            return;
        pthread_mutex_lock(&e->lock);
        if (fs) {
            fs->settle_at = 0;
            hc__file_deadline_locked(c);
        }
        pthread_mutex_unlock(&e->lock);
        flags |= HC__WORK_CHECK | HC__WORK_CLOSED;
    }
    if ((flags & HC__WORK_CHECK) && !(flags & HC__WORK_CONFIRM)) {
        /* A close asked for this check, but in the same batch a writer
         * opened the file again and started writing: its settle (held
         * while it writes) reads it, not this half-written state. */
        int held;
        pthread_mutex_lock(&e->lock);
        held = fs && fs->settle_at && fs->writing;
        pthread_mutex_unlock(&e->lock);
        if (held)
            return;
    }
    if (flags & HC__WORK_CHECK)
        hc__file_fetch(c, flags, trigger, detect_ns);
}

int hc__file_write_back(hc__source *s, hc__config *c, const char *bytes,
                        size_t len, hc_error *err)
{
    hc_error werr;
    (void)s;
    /* Through a symlink (a ConfigMap key) the target is rewritten:
     * replacing the link with a file would break the chain. The error
     * names the config as the user gave it, not its absolute path. */
    hc_error_init(&werr);
    if (hc__write_atomic(hc__config_abspath(c), bytes, len, 0644, 1, &werr) !=
        0) {
        hc__error_set(err, HC_ESYS, hc__config_id(c), 0, 0, 0, "%s", werr.text);
        return HC_ESYS;
    }
    return 0;
}
