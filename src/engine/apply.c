/*
 * apply.c - the one apply entry, hc__apply(): bytes from any source ->
 * XXH3 hash (the same content as last time stops here) -> parse ->
 * validate -> diff -> record the version in the history store -> publish
 * the snapshot -> queue the notification. Nothing in it opens a file: the
 * file sources (src/sources/file.c) read the file and call it, and so
 * does rollback with a version read back from the store. Nothing that
 * fails to parse or validate becomes live; the failure becomes the
 * config's last error, is counted, recorded as a reload attempt and
 * queued for the on-error callbacks. The caller holds c->apply_lock, so
 * one config's pipeline never runs twice at once; e->lock is taken only
 * for the bookkeeping, never across parsing, a store write or a callback.
 */
#include "engine_internal.h"
#include "../format/reuse.h"

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

/* Records a reload attempt in the store (no engine lock held). */
void hc__apply_attempt(hc__config *c, hc__outcome outcome, hc_trigger trigger,
                       uint64_t version, const hc_error *err, int64_t detect_ns,
                       const hc_changeset *changes)
{
    hc__store *st = &c->engine->store;
    hc__store_attempt a;
    if (!st->ops->record_attempt || !c->store_cfg)
        return;
    a.time_ns = hc__realtime_ns();
    a.outcome = outcome;
    a.trigger = trigger;
    a.version = version;
    a.error = err;
    a.latency_ns = detect_ns ? hc__now_ns() - detect_ns : 0;
    a.changes = changes;
    if (st->ops->record_attempt(st, c->store_cfg, &a) != 0)
        hc__log(c->engine, HC_LOG_WARN,
                "%s: the %s store could not record a reload attempt", c->path,
                st->ops->name);
}

static int rejected(hc_engine *e, hc__config *c, const hc_error *err,
                    uint64_t hash, hc_trigger trigger, enum hc__counter counter,
                    int64_t detect_ns)
{
    pthread_mutex_lock(&e->lock);
    if (!c->dead) {
        c->seen_hash = hash;
        c->have_seen = 1;
        hc__config_error(e, c, err, trigger, counter);
    }
    pthread_mutex_unlock(&e->lock);
    hc__apply_attempt(
        c, err->code == HC_EVETO ? HC__OUTCOME_VETOED : HC__OUTCOME_REJECTED,
        trigger, 0, err, detect_ns, NULL);
    return err->code ? err->code : HC_EVALIDATE;
}

/*
 * Runs the validators: the callback, then the schema (with the memo of
 * prev's verdicts, keeping this one's in next). Positions are not
 * tracked on the way (that would cost every reload a pointer table); when
 * a version fails, locate() re-parses it once with positions to name the
 * line of the offending value.
 */
static int validate_doc(hc__config *c, json_t *doc, const hc__reuse *prev,
                        hc__reuse *next, hc_error *err)
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
        /* the verdicts of the live version's shared values are kept
         * with its record (src/schema/memo.c) */
        int rc = hc__schema_check_memo(c->schema, doc, c->path,
                                       prev ? prev->vmemo : NULL,
                                       next ? &next->vmemo : NULL, err);
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

static uint64_t commit(hc_engine *e, hc__config *c, json_t *doc,
                       const char *bytes, size_t len, uint64_t hash,
                       const char *revision, hc_trigger trigger, int write_back,
                       int64_t detect_ns, hc_error *err);

/* Only blank lines and comments (and no JSON: there an empty text is a
 * parse error already)? */
static int content_is_empty(const char *b, size_t len, hc_format f)
{
    int ini = f == HC_FORMAT_INI;
    size_t i = hc__bom_len(b, len);
    if (f == HC_FORMAT_JSON || f == HC_FORMAT_JSONC)
        return 0;
    while (i < len) {
        while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' ||
                           b[i] == '\n' || b[i] == '\f' || b[i] == '\v'))
            i++;
        if (i == len)
            break;
        if (b[i] != '#' && !(ini && b[i] == ';'))
            return 0;
        while (i < len && b[i] != '\n')
            i++;
    }
    return 1;
}

static int doc_is_empty(const json_t *doc)
{
    return !doc || json_is_null(doc) ||
           (json_is_object(doc) && json_object_size(doc) == 0);
}

int hc__apply(hc__config *c, const char *bytes, size_t len,
              const char *revision, hc_trigger trigger, int64_t detect_ns,
              hc_error *errp)
{
    hc_engine *e = c->engine;
    hc_error local, *err;
    uint64_t h;
    hc__snapshot *live;
    json_t *doc;
    const hc__reuse *prev;
    hc__reuse *next = NULL;
    /* A rollback or revert makes an older version live on purpose: the
     * "same as last seen" shortcuts do not apply. */
    int was_missing, claimed = 0,
                     rollback = trigger == HC_TRIGGER_ROLLBACK ||
                                trigger == HC_TRIGGER_REVERT ||
                                trigger == HC_TRIGGER_LAST_KNOWN_GOOD;

    hc_error_init(&local);
    err = errp ? errp : &local;
    hc_error_init(err);
    if (!detect_ns)
        detect_ns = hc__now_ns();
    h = XXH3_64bits(bytes, len);
    live = atomic_load(&c->live); /* stable: we hold c->apply_lock */

    pthread_mutex_lock(&e->lock);
    if (c->dead) {
        pthread_mutex_unlock(&e->lock);
        hc__error_set(err, HC_ENOTWATCHED, c->path, 0, 0, 0,
                      "unwatched while being applied");
        return HC_ENOTWATCHED;
    }
    was_missing = c->missing_reported;
    if (!rollback) {
        c->missing_reported = 0;
        if (c->have_seen && h == c->seen_hash) {
            /* touch, or the same bytes written again: no reload. The
             * origin may also have come back to the live content (a
             * missing file restored). */
            if (live && live->hash == h)
                hc__config_clear_error(c);
            hc__stats_count(e, c, HC__C_UNCHANGED);
            pthread_mutex_unlock(&e->lock);
            return HC__APPLY_UNCHANGED;
        }
    }
    pthread_mutex_unlock(&e->lock);

    if (was_missing && trigger == HC_TRIGGER_MODIFY)
        trigger = HC_TRIGGER_CREATE;
    /* A rollback someone else wrote to the origin (the CLI's, while we
     * watch): applied as one, so subscribers, stats and the store all see
     * trigger rollback; the origin holds it already, so no write-back. */
    if (!rollback && trigger != HC_TRIGGER_INITIAL && c->store_cfg &&
        e->store.ops->pending_rollback &&
        e->store.ops->pending_rollback(&e->store, c->store_cfg, h) == 1) {
        trigger = HC_TRIGGER_ROLLBACK;
        rollback = claimed = 1;
    }
    if (!rollback && !c->allow_empty && live && !doc_is_empty(live->doc) &&
        content_is_empty(bytes, len, c->format)) {
        /* Most likely a writer between its truncate and its write. */
        hc__error_set(err, HC_EPARSE, c->path, 0, 0, 0, "file is empty");
        return rejected(e, c, err, h, trigger, HC__C_PARSE, detect_ns);
    }
    /* The kept parse is the live version's, unless something else made
     * another document live since (then it is of no use). */
    prev = c->reuse && live && c->reuse->doc == live->doc ? c->reuse : NULL;
    doc = hc__parse_reusing(bytes, len, c->format, c->path, &c->popts, prev,
                            c->no_reuse ? NULL : &next, err);
    if (!doc)
        return rejected(e, c, err, h, trigger,
                        err->code == HC_ENOMEM ? HC__C_READ : HC__C_PARSE,
                        detect_ns);
    if (validate_doc(c, doc, prev, next, err) != 0) {
        hc__reuse_free(next);
        locate(c, bytes, len, err);
        json_decref(doc);
        return rejected(e, c, err, h, trigger, HC__C_VALIDATE, detect_ns);
    }
    if (!rollback && live && json_equal(live->doc, doc)) {
        hc__reuse_free(next);
        /* New bytes, same document (a comment, key order, spacing): the
         * live config is unchanged, so there is no new version. */
        pthread_mutex_lock(&e->lock);
        c->seen_hash = h;
        c->have_seen = 1;
        hc__config_clear_error(c);
        hc__stats_count(e, c, HC__C_UNCHANGED);
        pthread_mutex_unlock(&e->lock);
        json_decref(doc);
        return HC__APPLY_UNCHANGED;
    }
    if (commit(e, c, doc, bytes, len, h, revision, trigger, !claimed, detect_ns,
               err) == 0) {
        hc__reuse_free(next);
        return err->code ? err->code : HC_ENOTWATCHED;
    }
    hc__reuse_free(c->reuse);
    c->reuse = next;
    return HC_OK;
}

/* Asks the prepare callback about the version about to go live; 1 when
 * it vetoed (err filled: HC_EVETO and its reason). */
static int veto(hc__config *c, const hc__snapshot *old, json_t *doc,
                const hc_changeset *cs, uint64_t hash, hc_trigger trigger,
                int64_t detect_ns, hc_error *err)
{
    hc_change_record rec;
    hc_error verr;
    memset(&rec, 0, sizeof rec);
    rec.path = c->path;
    rec.version = c->version + 1;
    rec.old_version = old ? old->version : 0;
    rec.old_doc = old ? old->doc : NULL;
    rec.new_doc = doc;
    rec.changes = cs;
    rec.trigger = trigger;
    rec.hash = hash;
    rec.detected_ns = detect_ns;
    hc_error_init(&verr);
    if (c->prepare(&rec, &verr, c->prepare_data) == 0)
        return 0;
    verr.code = HC_EVETO;
    if (!verr.text[0])
        snprintf(verr.text, sizeof verr.text, "vetoed by the prepare callback");
    if (!verr.source[0] || strcmp(verr.source, "<string>") == 0)
        snprintf(verr.source, sizeof verr.source, "%s", c->path);
    *err = verr;
    return 1;
}

/* Publishes doc (one reference taken) as c's next version; a rollback is
 * written back to the origin first when write_back. Returns the version,
 * or 0 with err filled. */
static uint64_t commit(hc_engine *e, hc__config *c, json_t *doc,
                       const char *bytes, size_t len, uint64_t hash,
                       const char *revision, hc_trigger trigger, int write_back,
                       int64_t detect_ns, hc_error *err)
{
    hc__snapshot *old = atomic_load(&c->live), *snap;
    hc_changeset *cs = hc_diff(old ? old->doc : NULL, doc);
    hc__record *r = calloc(1, sizeof *r);
    hc__store *st = &e->store;
    hc__store_version sv;
    uint64_t version;
    int64_t now;
    int resume;

    snap = hc__snapshot_new(doc, 0, hash);
    if (!snap || !r || !cs) {
        hc__error_set(err, HC_ENOMEM, c->path, 0, 0, 0,
                      "out of memory applying a new version");
        goto fail;
    }
    if (c->prepare && veto(c, old, doc, cs, hash, trigger, detect_ns, err)) {
        free(snap);
        free(r);
        hc_changeset_free(cs);
        json_decref(doc);
        rejected(e, c, err, hash, trigger, HC__C_VETOES, detect_ns);
        return 0;
    }
    if (trigger == HC_TRIGGER_ROLLBACK && write_back) {
        /* Written back before anything goes live: a failed write leaves
         * origin and memory as they were. */
        int rc = hc__source_write_back(c, bytes, len, err);
        if (rc != 0) {
            if (!err->code)
                hc__error_set(err, rc, c->path, 0, 0, 0,
                              "the %s source cannot write back",
                              hc__source_name(c));
            goto fail;
        }
    }

    /* Only the apply path (under c->apply_lock, which we hold) moves
     * c->version, so it is stable here without e->lock. */
    /* A start on the stored live content (or on the last known good one)
     * is that stored version again, not a new one. */
    resume = c->resume && !old && c->resume_hash == hash &&
             (trigger == HC_TRIGGER_INITIAL ||
              trigger == HC_TRIGGER_LAST_KNOWN_GOOD);
    c->resume = 0;
    version = resume ? c->version : c->version + 1;
    sv.version = version;
    sv.content = bytes;
    sv.size = len;
    sv.format = c->format;
    sv.hash = hash;
    sv.applied_ns = hc__realtime_ns();
    sv.trigger = trigger;
    sv.revision = revision;
    sv.changed = hc_changeset_count(cs);
    sv.doc = doc;
    sv.changes = cs;
    /* Into the store before it goes live, outside e->lock: a store that
     * fsyncs stalls this config's pipeline only. */
    if (!resume && c->store_cfg &&
        (st->ops->append(st, c->store_cfg, &sv) != 0 ||
         (st->ops->prune &&
          st->ops->prune(st, c->store_cfg, c->depth + 1) != 0)))
        hc__log(e, HC_LOG_WARN, "%s: the %s store could not keep version %llu",
                c->path, st->ops->name, (unsigned long long)version);
    /* The attempt too, with its changed paths: cs belongs to the record
     * once it is queued (a delivery worker frees it), and a subscriber
     * reading the attempt log on the change finds this attempt there. */
    hc__apply_attempt(c,
                      trigger == HC_TRIGGER_ROLLBACK ? HC__OUTCOME_ROLLED_BACK
                      : trigger == HC_TRIGGER_REVERT ? HC__OUTCOME_REVERTED
                                                     : HC__OUTCOME_APPLIED,
                      trigger, version, NULL, detect_ns, cs);

    pthread_mutex_lock(&e->lock);
    if (c->dead) {
        pthread_mutex_unlock(&e->lock);
        hc__error_set(err, HC_ENOTWATCHED, c->path, 0, 0, 0,
                      "unwatched while being applied");
        json_decref(snap->doc);
        free(snap);
        free(r);
        hc_changeset_free(cs);
        return 0;
    }
    now = hc__now_ns();
    c->version = version;
    snap->version = version;

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
    if (trigger == HC_TRIGGER_INITIAL ||
        trigger == HC_TRIGGER_LAST_KNOWN_GOOD) {
        hc__stats_count(e, c, HC__C_LOADS);
    } else if (trigger == HC_TRIGGER_ROLLBACK) {
        hc__stats_count(e, c, HC__C_ROLLBACKS);
    } else if (trigger == HC_TRIGGER_REVERT) {
        hc__stats_count(e, c, HC__C_REVERTS);
    } else {
        hc__stats_count(e, c, HC__C_RELOADS);
        hc__stats_latency(e, c, now - r->rec.detected_ns);
    }
    hc__enqueue(e, r);
    pthread_mutex_unlock(&e->lock);
    return version;
fail:
    free(snap);
    free(r);
    hc_changeset_free(cs);
    json_decref(doc);
    pthread_mutex_lock(&e->lock);
    if (!c->dead && err->code == HC_ENOMEM)
        hc__config_error(e, c, err, trigger, HC__C_READ);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

void hc__apply_last_known_good(hc__config *c)
{
    hc_engine *e = c->engine;
    hc__store_got got;
    hc_error first;
    uint64_t seen;
    int missing;
    pthread_mutex_lock(&e->lock);
    hc_error_init(&first);
    if (c->last_error)
        first = *c->last_error;
    seen = c->seen_hash;
    missing = c->missing_reported;
    pthread_mutex_unlock(&e->lock);
    if (!c->store_cfg || !c->version ||
        e->store.ops->get(&e->store, c->store_cfg, 0, 0, &got) != 0)
        return;
    if (hc__apply(c, got.content, got.info.size, got.revision,
                  HC_TRIGGER_LAST_KNOWN_GOOD, hc__now_ns(), NULL) == HC_OK) {
        hc__log(e, HC_LOG_WARN,
                "%s: the file cannot be loaded; last known good version "
                "%llu is live",
                c->path, (unsigned long long)got.info.version);
        /* The origin still holds what failed: it stays the last error,
         * and only a new change is applied again. */
        pthread_mutex_lock(&e->lock);
        c->seen_hash = seen;
        c->missing_reported = missing;
        if (first.code)
            hc__config_set_error(c, &first);
        pthread_mutex_unlock(&e->lock);
    }
    hc__store_got_clear(&got);
}

void hc__apply_revert(hc_engine *e, hc__config *c, const hc_change_record *rec)
{
    hc__store_got got;
    int dead;
    pthread_mutex_lock(&c->apply_lock);
    pthread_mutex_lock(&e->lock);
    /* Only the newest version is reverted: a later one superseded it. */
    dead = c->dead || c->version != rec->version;
    pthread_mutex_unlock(&e->lock);
    if (!dead && e->store.ops->get(&e->store, c->store_cfg, rec->old_version, 0,
                                   &got) == 0) {
        hc__log(e, HC_LOG_WARN,
                "%s: a subscriber failed on version %llu; reverting to %llu",
                c->path, (unsigned long long)rec->version,
                (unsigned long long)rec->old_version);
        if (hc__apply(c, got.content, got.info.size, got.revision,
                      HC_TRIGGER_REVERT, hc__now_ns(), NULL) == HC_OK) {
            /* The origin still holds the failed content: only a new
             * change is applied again. */
            pthread_mutex_lock(&e->lock);
            c->seen_hash = rec->hash;
            pthread_mutex_unlock(&e->lock);
        }
        hc__store_got_clear(&got);
    }
    pthread_mutex_unlock(&c->apply_lock);
}
