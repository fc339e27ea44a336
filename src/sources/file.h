/*
 * file.h - what the two file sources (inotify.c, poll.c) share: the
 * per-config slot with the file rules' deadlines, and the fetch step.
 * Nothing outside src/sources/ includes it.
 */
#ifndef HC_SOURCES_FILE_H
#define HC_SOURCES_FILE_H

#include "engine/engine_internal.h"

#include <sys/types.h>

typedef struct hc__interest hc__interest;

/* A file config's source slot (hc__config_source_slot). The deadlines
 * and the writer state are under e->lock; the poll signature is the
 * apply path's (c->apply_lock). */
typedef struct hc__file_slot {
    int64_t settle_at;  /* apply when no close comes; 0: not armed */
    int64_t confirm_at; /* report missing when still missing */
    int64_t poll_at;    /* next poll */
    int64_t settle_detect;
    hc_trigger settle_trigger;
    int settle_held; /* settle_at moved on: a writer still had it open */
    /* inotify: IN_MODIFY seen since the last IN_CLOSE_WRITE, i.e. a
     * writer is at work. Readers (cat, tail -f) never set it: the watch
     * does not even ask for their opens and closes. */
    int writing;
    hc__interest *interests; /* inotify: the directory entries watched */
    /* poll: the last stat signature */
    int poll_have;
    dev_t poll_dev;
    ino_t poll_ino;
    off_t poll_size;
    int64_t poll_mtime, poll_ctime;
} hc__file_slot;

/* c's slot (NULL before attach). */
static inline hc__file_slot *hc__file_slot_of(hc__config *c)
{
    return *hc__config_source_slot(c);
}

/* Allocates c's slot if it has none. NULL when out of memory. */
hc__file_slot *hc__file_slot_attach(hc__config *c);
/* Clears the deadlines, sets c's source deadline to none and frees the
 * slot. Under e->lock. */
void hc__file_slot_detach(hc__config *c);
/* Sets c's source deadline to the earliest of the slot's. Under e->lock. */
void hc__file_deadline_locked(hc__config *c);

/* The longest a settle waits for a file a writer still holds open (a
 * writer that keeps it open for good must still be applied): 5 settle
 * times, at least half a second. */
int64_t hc__file_hold_open_ns(const hc__config *c);

/* The file sources' timer: settle, missing confirmation and poll
 * deadlines into work. Under e->lock. */
void hc__file_on_timer(hc__source *s, hc__config *c, int64_t now);

/*
 * The file sources' refresh after their own step (re-resolution, the
 * stat of a poll): the CREATED rule (a new regular file waits for its
 * writer), the held rule (a check asked by a close waits when a writer
 * opened it again in the same batch), then hc__file_fetch. c->apply_lock
 * held, e->lock not.
 */
void hc__file_refresh(hc__config *c, unsigned flags, hc_trigger trigger,
                      int64_t detect_ns);

/* Reads c's file (size limit), applies the settle rule for an empty,
 * just created file and the missing rule (reported after the settle
 * time unless flags has HC__WORK_CONFIRM), then hands the bytes to
 * hc__apply(). c->apply_lock held, e->lock not. */
void hc__file_fetch(hc__config *c, unsigned flags, hc_trigger trigger,
                    int64_t detect_ns);

/* The file sources' write_back: temp file in the same directory, fsync,
 * rename, mode and owner kept; through a symlink the target. */
int hc__file_write_back(hc__source *s, hc__config *c, const char *bytes,
                        size_t len, hc_error *err);

/* Does a file source serve id? Every id but a URI ("scheme://"). */
int hc__file_claims(const char *id);

#endif /* HC_SOURCES_FILE_H */
