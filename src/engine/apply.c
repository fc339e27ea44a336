/*
 * apply.c - the apply pipeline: read (size limit) -> XXH3 hash (the same
 * content as last time stops here) -> parse -> validate -> diff -> commit
 * (swap the snapshot, push the history, bump the version) -> queue the
 * notification. Nothing that fails to read, parse or validate becomes
 * live; the failure becomes the config's last error, is counted and is
 * queued for the on-error callbacks. The caller holds c->apply_lock, so one
 * config's pipeline never runs twice at once; e->lock is taken only for
 * the bookkeeping, never across I/O, parsing or a callback.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void hc__config_set_error(hc__config *c, const hc_error *err)
{
    if (!c->last_error && !(c->last_error = malloc(sizeof *c->last_error)))
        return; /* out of memory: the counter and callback still tell */
    *c->last_error = *err;
}

void hc__config_clear_error(hc__config *c)
{
    free(c->last_error);
    c->last_error = NULL;
}

int hc__config_error_code(const hc__config *c)
{
    return c->last_error ? c->last_error->code : 0;
}

/* Under e->lock. */
void hc__config_error(hc_engine *e, hc__config *c, const hc_error *err,
                      hc_trigger trigger, enum hc__counter counter)
{
    hc__record *r;
    hc__config_set_error(c, err);
    hc__stats_count(e, c, counter);
    r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->config = c;
    r->is_error = 1;
    r->error = *err;
    r->live_version = atomic_load(&c->live) ? c->version : 0;
    r->rec.path = c->path;
    r->rec.trigger = trigger;
    hc__enqueue(e, r);
}

static int same_error(const hc_error *a, const hc_error *b)
{
    return a->code == b->code && a->line == b->line && a->column == b->column &&
           strcmp(a->text, b->text) == 0;
}

/* The file could not be read. A missing file is reported once, after the
 * settle time (an editor's delete + recreate is not "missing"), unless
 * confirm says the settle time already passed. */
static void read_failed(hc_engine *e, hc__config *c, hc_error *err,
                        hc_trigger trigger, int confirm)
{
    int missing = err->code == HC_ENOENT;
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
        goto out;
    }
    /* Unreadable or over the size limit: report each new reason once. */
    snprintf(err->source, sizeof err->source, "%s", c->path);
    if (c->last_error && same_error(err, c->last_error))
        goto out;
    c->have_seen = 0;
    hc__config_error(e, c, err, trigger,
                     err->code == HC_ELIMIT ? HC__C_PARSE : HC__C_READ);
out:
    pthread_mutex_unlock(&e->lock);
}

static void rejected(hc_engine *e, hc__config *c, const hc_error *err,
                     uint64_t hash, hc_trigger trigger,
                     enum hc__counter counter)
{
    pthread_mutex_lock(&e->lock);
    if (!c->dead) {
        c->seen_hash = hash;
        c->have_seen = 1;
        hc__config_error(e, c, err, trigger, counter);
    }
    pthread_mutex_unlock(&e->lock);
}

/*
 * Runs the validators: the callback, then the schema. Positions are not
 * tracked on the way (that would cost every reload a pointer table); when
 * a version fails, locate() re-parses it once with positions to name the
 * line of the offending value.
 */
static int validate_doc(hc__config *c, json_t *doc, hc_error *err)
{
    if (c->validate && c->validate(doc, err, c->validate_data) != 0) {
        if (err->code == 0)
            err->code = HC_EVALIDATE;
        if (!err->text[0])
            snprintf(err->text, sizeof err->text, "rejected by the validator");
        if (!err->source[0] || strcmp(err->source, "<string>") == 0)
            snprintf(err->source, sizeof err->source, "%s", c->path);
        return -1;
    }
    if (c->schema) {
        int rc = hc_schema_check(c->schema, doc, c->path, NULL, err);
        if (rc != 0) {
            if (err->code == 0)
                err->code = rc;
            return -1;
        }
    }
    return 0;
}

/* Fills err's line and column from its JSON pointer, by parsing the
 * rejected content again with a position map (failures only). */
static void locate(hc__config *c, const char *buf, size_t len, hc_error *err)
{
    hc_parse_options po = c->popts;
    hc_error perr;
    json_t *again;
    if (err->line != 0 || !err->pointer[0])
        return;
    po.positions = hc_posmap_new();
    if (!po.positions)
        return;
    again = hc_parse(buf, len, c->format, c->path, &po, &perr);
    if (again)
        hc_posmap_lookup(po.positions, err->pointer, &err->line, &err->column);
    json_decref(again);
    hc_posmap_free(po.positions);
}

void hc__apply_check(hc_engine *e, hc__config *c, hc_trigger trigger,
                     int64_t detect_ns, int flags)
{
    hc_error err;
    size_t len = 0;
    char *buf;
    uint64_t h;
    hc__snapshot *live;
    json_t *doc;
    int was_missing;

    hc_error_init(&err);
    buf = hc_read_file(c->abspath, c->max_size, &len, &err);
    if (!buf) {
        read_failed(e, c, &err, trigger, flags & HC__CHECK_CONFIRM);
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
    h = XXH3_64bits(buf, len);
    live = atomic_load(&c->live); /* stable: we hold c->apply_lock */

    pthread_mutex_lock(&e->lock);
    if (c->dead) {
        pthread_mutex_unlock(&e->lock);
        free(buf);
        return;
    }
    if (c->confirm_at) {
        c->confirm_at = 0;
        hc__timer_changed(e, c);
    }
    was_missing = c->missing_reported;
    c->missing_reported = 0;
    if (c->have_seen && h == c->seen_hash) {
        /* touch, or the same bytes written again: no reload. The disk may
         * also have come back to the live content (a missing file
         * restored). */
        if (live && live->hash == h)
            hc__config_clear_error(c);
        hc__stats_count(e, c, HC__C_UNCHANGED);
        pthread_mutex_unlock(&e->lock);
        free(buf);
        return;
    }
    pthread_mutex_unlock(&e->lock);

    if (was_missing && trigger == HC_TRIGGER_MODIFY)
        trigger = HC_TRIGGER_CREATE;
    doc = hc_parse(buf, len, c->format, c->path, &c->popts, &err);
    if (!doc) {
        rejected(e, c, &err, h, trigger,
                 err.code == HC_ENOMEM ? HC__C_READ : HC__C_PARSE);
        goto out;
    }
    if (validate_doc(c, doc, &err) != 0) {
        locate(c, buf, len, &err);
        rejected(e, c, &err, h, trigger, HC__C_VALIDATE);
        json_decref(doc);
        goto out;
    }
    if (live && json_equal(live->doc, doc)) {
        /* New bytes, same document (a comment, key order, spacing): the
         * live config is unchanged, so there is no new version. */
        pthread_mutex_lock(&e->lock);
        c->seen_hash = h;
        c->have_seen = 1;
        hc__config_clear_error(c);
        hc__stats_count(e, c, HC__C_UNCHANGED);
        pthread_mutex_unlock(&e->lock);
        json_decref(doc);
        goto out;
    }
    hc__apply_commit(e, c, doc, buf, len, h, trigger, detect_ns);
    buf = NULL;
out:
    free(buf);
}

uint64_t hc__apply_commit(hc_engine *e, hc__config *c, json_t *doc,
                          char *content, size_t len, uint64_t hash,
                          hc_trigger trigger, int64_t detect_ns)
{
    hc__snapshot *old = atomic_load(&c->live), *snap;
    hc_changeset *cs = hc_diff(old ? old->doc : NULL, doc);
    hc__record *r = calloc(1, sizeof *r);
    hc__version v;
    uint64_t version = 0;
    int64_t now;

    snap = hc__snapshot_new(doc, 0, hash);
    if (!snap || !r || !cs) {
        hc_error err;
        hc_error_init(&err);
        hc__error_set(&err, HC_ENOMEM, c->path, 0, 0, 0,
                      "out of memory applying a new version");
        free(snap);
        free(r);
        hc_changeset_free(cs);
        json_decref(doc);
        free(content);
        pthread_mutex_lock(&e->lock);
        if (!c->dead)
            hc__config_error(e, c, &err, trigger, HC__C_READ);
        pthread_mutex_unlock(&e->lock);
        return 0;
    }

    pthread_mutex_lock(&e->lock);
    if (c->dead) {
        pthread_mutex_unlock(&e->lock);
        json_decref(snap->doc);
        free(snap);
        free(r);
        hc_changeset_free(cs);
        free(content);
        return 0;
    }
    now = hc__now_ns();
    version = ++c->version;
    snap->version = version;

    v.version = version;
    v.time_ns = hc__realtime_ns();
    v.hash = hash;
    v.trigger = trigger;
    v.content = content;
    v.len = len;
    v.doc = hc_doc_retain(doc);
    if (hc__history_push(&c->hist, &v) != 0) {
        hc_doc_release(v.doc);
        free(content);
    }

    r->config = c;
    r->old_doc = old ? hc_doc_retain(old->doc) : NULL;
    r->new_doc = hc_doc_retain(doc);
    r->changes = cs;
    r->rec.path = c->path;
    r->rec.version = version;
    r->rec.old_version = old ? old->version : 0;
    r->rec.old_doc = r->old_doc;
    r->rec.new_doc = r->new_doc;
    r->rec.changes = cs;
    r->rec.trigger = trigger;
    r->rec.hash = hash;
    r->rec.detected_ns = detect_ns ? detect_ns : now;
    r->rec.applied_ns = now;

    hc__snapshot_publish(e, c, snap); /* the swap readers see */

    c->seen_hash = hash;
    c->have_seen = 1;
    c->missing_reported = 0;
    hc__config_clear_error(c);
    if (trigger == HC_TRIGGER_INITIAL) {
        hc__stats_count(e, c, HC__C_LOADS);
    } else if (trigger == HC_TRIGGER_ROLLBACK) {
        hc__stats_count(e, c, HC__C_ROLLBACKS);
    } else {
        hc__stats_count(e, c, HC__C_RELOADS);
        hc__stats_latency(e, c, now - r->rec.detected_ns);
    }
    hc__enqueue(e, r);
    pthread_mutex_unlock(&e->lock);
    return version;
}
