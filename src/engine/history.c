/*
 * history.c - the last N applied versions of each config (content, hash,
 * version, time, trigger, document) and rollback.
 *
 * A rollback is a new version whose content is an older one's, so it can
 * itself be undone. It rewrites the file first (temp file in the same
 * directory, fsync, rename, mode and owner kept, directory fsync'd) and
 * commits only when that worked, so disk and memory never disagree; the
 * committed hash is the file's, so the watcher sees its own write as "no
 * change" and does not flip back. The ring grows on demand up to its depth
 * (most configs never change: one entry, not ten).
 */
#include "engine_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void version_clear(hc__version *v)
{
    free(v->content);
    hc_doc_release(v->doc);
    memset(v, 0, sizeof *v);
}

/* Reallocates the ring to ncap entries, oldest first. */
static int ring_grow(hc__history *h, int ncap)
{
    hc__version *nr = calloc((size_t)ncap, sizeof *nr);
    if (!nr)
        return -1;
    for (int i = 0; i < h->count; i++)
        nr[i] = h->ring[(h->head - (h->count - 1) + i + h->cap) % h->cap];
    free(h->ring);
    h->ring = nr;
    h->cap = ncap;
    h->head = h->count - 1;
    return 0;
}

int hc__history_push(hc__history *h, const hc__version *v)
{
    if (h->depth <= 0)
        return -1;
    if (h->count == h->depth) {
        /* Full: the slot after the newest holds the oldest. */
        int oldest = (h->head + 1) % h->cap;
        version_clear(&h->ring[oldest]);
        h->ring[oldest] = *v;
        h->head = oldest;
        return 0;
    }
    if (h->count == h->cap) {
        int ncap = h->cap ? h->cap * 2 : 1;
        if (ncap > h->depth)
            ncap = h->depth;
        if (ring_grow(h, ncap) != 0)
            return -1;
    }
    h->head = h->count == 0 ? 0 : (h->head + 1) % h->cap;
    h->ring[h->head] = *v;
    h->count++;
    return 0;
}

const hc__version *hc__history_at(const hc__history *h, int n)
{
    if (n < 0 || n >= h->count)
        return NULL;
    return &h->ring[(h->head - n + h->cap) % h->cap];
}

const hc__version *hc__history_find(const hc__history *h, uint64_t version)
{
    for (int i = 0; i < h->count; i++) {
        const hc__version *v = hc__history_at(h, i);
        if (v->version == version)
            return v;
    }
    return NULL;
}

void hc__history_free(hc__history *h)
{
    for (int i = 0; i < h->count; i++)
        version_clear((hc__version *)hc__history_at(h, i));
    free(h->ring);
    h->ring = NULL;
    h->cap = h->count = h->head = 0;
}

/* ---- public access ------------------------------------------------------ */

int hc_history(hc_engine *e, const char *path, hc_version_info *out, int max)
{
    hc__config *c;
    int n;
    if (!e || !path || max < 0 || (max > 0 && !out))
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, path);
    if (!c) {
        pthread_mutex_unlock(&e->lock);
        return HC_ENOTWATCHED;
    }
    n = c->hist.count;
    for (int i = 0; i < n && i < max; i++) {
        const hc__version *v = hc__history_at(&c->hist, i);
        out[i].version = v->version;
        out[i].time_ns = v->time_ns;
        out[i].hash = v->hash;
        out[i].size = v->len;
        out[i].trigger = v->trigger;
    }
    pthread_mutex_unlock(&e->lock);
    return n;
}

int hc_history_get(hc_engine *e, const char *path, uint64_t version,
                   char **content, size_t *len, json_t **doc)
{
    hc__config *c;
    const hc__version *v;
    int rc = 0;
    if (content)
        *content = NULL;
    if (doc)
        *doc = NULL;
    if (!e || !path)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, path);
    if (!c) {
        rc = HC_ENOTWATCHED;
    } else if (!(v = hc__history_find(&c->hist, version))) {
        rc = HC_EHISTORY;
    } else {
        if (content) {
            *content = malloc(v->len + 1);
            if (!*content) {
                rc = HC_ENOMEM;
            } else {
                memcpy(*content, v->content, v->len);
                (*content)[v->len] = '\0';
            }
        }
        if (len)
            *len = v->len;
        if (doc && rc == 0)
            *doc = hc_doc_retain(v->doc);
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}

/* ---- rollback --------------------------------------------------------------
 */

/* Writes path atomically; on failure returns -1 with msg filled. */
static int write_atomic(const char *path, const char *data, size_t len,
                        char *msg, size_t msgsize)
{
    char *dir = hc__path_dirname(path);
    const char *base = hc__path_basename(path);
    char *tmp = NULL;
    struct stat st;
    int fd = -1, dfd, created = 0;
    size_t off = 0, tmpsize;

    if (!dir)
        goto nomem;
    tmpsize = strlen(dir) + strlen(base) + 32;
    tmp = malloc(tmpsize);
    if (!tmp)
        goto nomem;
    snprintf(tmp, tmpsize, "%s/.%s.hotconf-XXXXXX", strcmp(dir, "/") ? dir : "",
             base);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, msgsize, "cannot create a temp file in %s: %s", dir,
                 strerror(errno));
        goto fail;
    }
    created = 1;
    if (stat(path, &st) == 0) {
        /* Same mode and owner as the file it replaces. */
        if (fchmod(fd, st.st_mode & 07777) != 0) {
            snprintf(msg, msgsize, "chmod %s: %s", tmp, strerror(errno));
            goto fail;
        }
        if (fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) {
            snprintf(msg, msgsize, "chown %s: %s", tmp, strerror(errno));
            goto fail;
        }
    } else if (fchmod(fd, 0644) != 0) {
        snprintf(msg, msgsize, "chmod %s: %s", tmp, strerror(errno));
        goto fail;
    }
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(msg, msgsize, "write %s: %s", tmp, strerror(errno));
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        snprintf(msg, msgsize, "fsync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(msg, msgsize, "close %s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(msg, msgsize, "rename %s -> %s: %s", tmp, path,
                 strerror(errno));
        goto fail;
    }
    /* The rename itself is durable once the directory is. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) {
            /* The new content is in place; durability is best effort. */
        }
        close(dfd);
    }
    free(tmp);
    free(dir);
    return 0;
nomem:
    snprintf(msg, msgsize, "out of memory");
fail:
    if (fd >= 0)
        close(fd);
    if (created)
        unlink(tmp);
    free(tmp);
    free(dir);
    return -1;
}

int hc_rollback(hc_engine *e, const char *path, int versions_back)
{
    hc__config *c;
    const hc__version *v;
    char *content = NULL, *target;
    char msg[HC_ERROR_TEXT_LENGTH];
    size_t len = 0;
    uint64_t hash = 0;
    json_t *doc = NULL;
    int rc = 0;

    if (!e || !path)
        return HC_EINVAL;
    if (versions_back < 1)
        return hc__engine_fail(e, HC_EINVAL,
                               "%s: rollback needs versions_back >= 1", path);
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, path);
    if (!c) {
        pthread_mutex_unlock(&e->lock);
        return hc__engine_fail(e, HC_ENOTWATCHED, "%s: not watched", path);
    }
    c->refs++;
    pthread_mutex_unlock(&e->lock);

    pthread_mutex_lock(&c->apply_lock);
    pthread_mutex_lock(&e->lock);
    if (c->dead) {
        rc = HC_ENOTWATCHED;
        snprintf(msg, sizeof msg, "%s: not watched", path);
    } else if (!(v = hc__history_at(&c->hist, versions_back))) {
        int kept = c->hist.count ? c->hist.count - 1 : 0;
        rc = HC_EHISTORY;
        snprintf(msg, sizeof msg,
                 "%s: cannot roll back %d version%s: %d earlier version%s "
                 "kept (history depth %d)",
                 path, versions_back, versions_back == 1 ? "" : "s", kept,
                 kept == 1 ? "" : "s", c->hist.depth);
    } else if (!(content = malloc(v->len + 1))) {
        rc = HC_ENOMEM;
        snprintf(msg, sizeof msg, "out of memory");
    } else {
        memcpy(content, v->content, v->len);
        content[v->len] = '\0';
        len = v->len;
        hash = v->hash;
        doc = hc_doc_retain(v->doc);
    }
    pthread_mutex_unlock(&e->lock);

    if (rc == 0) {
        /* Through a symlink (a ConfigMap key), rewrite the target: replacing
         * the link with a file would break the chain. */
        target = realpath(c->abspath, NULL);
        if (write_atomic(target ? target : c->abspath, content, len, msg,
                         sizeof msg) != 0) {
            rc = HC_ESYS;
            free(content);
            hc_doc_release(doc);
        } else if (hc__apply_commit(e, c, doc, content, len, hash,
                                    HC_TRIGGER_ROLLBACK, hc__now_ns()) == 0) {
            rc = HC_ENOTWATCHED;
            snprintf(msg, sizeof msg, "%s: unwatched during the rollback",
                     path);
        }
        free(target);
    }
    pthread_mutex_unlock(&c->apply_lock);

    pthread_mutex_lock(&e->lock);
    hc__config_unref(e, c);
    pthread_mutex_unlock(&e->lock);
    if (rc != 0)
        return hc__engine_fail(e, rc, "%s", msg);
    return 0;
}
