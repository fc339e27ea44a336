/*
 * inotify.c - the inotify file source: watch directories, not files.
 *
 * A file's inode dies with every rename-over or delete + recreate, so each
 * config is watched through the directory entries on its path: the entry
 * of the file itself (FILE), every symlink met while resolving the path
 * (LINK: a ConfigMap's "app.yaml -> ..data/app.yaml" and "..data -> ..2024_x"
 * are both watched, in their directories, as is the final target), and,
 * when a directory on the path is missing, the entry for it in its nearest
 * existing ancestor (ANCESTOR), so the watch re-arms when it comes back.
 * One inotify watch per directory is shared by every config in it; a map
 * from file name to interests finds the configs an event concerns. Any
 * structural event (rename, create, delete, a watched directory gone)
 * re-resolves the path; IN_Q_OVERFLOW rescans every config.
 *
 * Readers cost nothing: the watch does not ask for IN_OPEN or
 * IN_CLOSE_NOWRITE, so a `cat` or a `tail -f` of the config never wakes
 * the dispatcher and never holds an apply back. A writer is known by its
 * IN_MODIFY (an O_TRUNC open reports one too) until its IN_CLOSE_WRITE.
 */
#include "sources/file.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* IN_MODIFY .. IN_CLOSE_WRITE brackets a writer at work (a writer still
 * at work is not done: see hc__file_on_timer); IN_ATTRIB catches a chmod
 * that makes an unreadable file readable. No IN_OPEN, no
 * IN_CLOSE_NOWRITE: every reader of the file would wake us. */
#define WATCH_MASK                                                             \
    (IN_CLOSE_WRITE | IN_ATTRIB | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM |    \
     IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |      \
     IN_EXCL_UNLINK)

enum { I_FILE, I_LINK, I_ANCESTOR };

typedef struct hc__dirwatch hc__dirwatch;

/* The source's private state (s->state). */
typedef struct ino_state {
    int ifd;
    hc__map dw_by_wd, dw_by_path; /* under st->lock */
    /* test hooks */
    atomic_int drop_events;
    atomic_int refuse_watches;  /* inotify_add_watch fails with this errno */
    void (*after_walk)(void *); /* hc__engine_after_walk */
    void *after_walk_data;
} ino_state;

struct hc__dirwatch {
    int wd; /* -1 once the kernel dropped it */
    char *path;
    hc__map names; /* file name -> hc__interest */
    size_t ninterests;
};

struct hc__interest {
    hc__interest *next; /* in the config's list */
    hc__config *config;
    hc__dirwatch *dw;
    int kind;
    char *name;
};

/* Network and user-space filesystems: inotify sees local writes only. */
static int fs_needs_polling(const char *dir)
{
    struct statfs sf;
    if (statfs(dir, &sf) != 0)
        return 0;
    switch ((unsigned long)sf.f_type) {
    case 0x6969UL:     /* NFS */
    case 0x517BUL:     /* SMB */
    case 0xFF534D42UL: /* CIFS */
    case 0xFE534D42UL: /* SMB2 */
    case 0x65735546UL: /* FUSE */
    case 0x00C36400UL: /* Ceph */
    case 0x01021997UL: /* 9p */
    case 0x47504653UL: /* GPFS */
    case 0x0BD00BD0UL: /* Lustre */ return 1;
    default: return 0;
    }
}

/* ---- directory watches (under st->lock) --------------------------------- */

static void dw_forget(ino_state *st, hc__dirwatch *dw)
{
    if (dw->wd >= 0)
        hc__map_del_int(&st->dw_by_wd, dw->wd);
    hc__map_del_str(&st->dw_by_path, dw->path, dw);
}

static void dw_release(ino_state *st, hc__dirwatch *dw)
{
    if (dw->ninterests)
        return;
    if (dw->wd >= 0)
        inotify_rm_watch(st->ifd, dw->wd);
    dw_forget(st, dw);
    hc__map_free(&dw->names);
    free(dw->path);
    free(dw);
}

/* The shared watch on dir; NULL with errno set when inotify refuses. */
static hc__dirwatch *dw_get(ino_state *st, const char *dir)
{
    hc__dirwatch *dw;
    int wd, refuse = atomic_load(&st->refuse_watches);
    if (refuse) {
        errno = refuse;
        return NULL;
    }
    wd = inotify_add_watch(st->ifd, dir, WATCH_MASK);
    if (wd < 0)
        return NULL;
    dw = hc__map_get_int(&st->dw_by_wd, wd);
    if (dw)
        return dw; /* same directory (maybe by another path) */
    /* A watch for this path with another wd is stale: the directory was
     * replaced and its IN_IGNORED is still queued. */
    dw = hc__map_get_str(&st->dw_by_path, dir, NULL);
    if (dw)
        hc__map_del_str(&st->dw_by_path, dw->path, dw);
    dw = calloc(1, sizeof *dw);
    if (!dw || !(dw->path = strdup(dir))) {
        free(dw);
        inotify_rm_watch(st->ifd, wd);
        errno = ENOMEM;
        return NULL;
    }
    dw->wd = wd;
    if (hc__map_put_int(&st->dw_by_wd, wd, dw) != 0 ||
        hc__map_put_str(&st->dw_by_path, dw->path, dw) != 0) {
        hc__map_del_int(&st->dw_by_wd, wd);
        inotify_rm_watch(st->ifd, wd);
        free(dw->path);
        free(dw);
        errno = ENOMEM;
        return NULL;
    }
    return dw;
}

static void drop_interests(ino_state *st, hc__interest *list)
{
    hc__interest *i, *next;
    for (i = list; i; i = next) {
        next = i->next;
        hc__map_del_str(&i->dw->names, i->name, i);
        i->dw->ninterests--;
        dw_release(st, i->dw);
        free(i->name);
        free(i);
    }
}

/* ---- resolving a path into interests ----------------------------------- */

typedef struct spec {
    char *dir;
    char *name;
    int kind;
} spec;

typedef struct specs {
    spec *v;
    int n, cap;
} specs;

static void specs_free(specs *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->v[i].dir);
        free(s->v[i].name);
    }
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int specs_add(specs *s, const char *dir, const char *name, size_t nlen,
                     int kind)
{
    spec *sp;
    for (int i = 0; i < s->n; i++)
        if (s->v[i].kind == kind && strcmp(s->v[i].dir, dir) == 0 &&
            strlen(s->v[i].name) == nlen &&
            memcmp(s->v[i].name, name, nlen) == 0)
            return 0;
    if (s->n == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 4;
        spec *nv = realloc(s->v, (size_t)ncap * sizeof *nv);
        if (!nv)
            return -1;
        s->v = nv;
        s->cap = ncap;
    }
    sp = &s->v[s->n];
    sp->dir = strdup(dir);
    sp->name = strndup(name, nlen);
    sp->kind = kind;
    if (!sp->dir || !sp->name) {
        free(sp->dir);
        free(sp->name);
        return -1;
    }
    s->n++;
    return 0;
}

/*
 * Walks abspath from the root with lstat, following symlinks by hand to
 * record each one. Returns 0 (specs filled) or -1 on out of memory.
 */
static int compute_specs(const char *abspath, specs *out)
{
    char *path = strdup(abspath), *cur = NULL;
    int hops = 0, rc = -1;

    if (!path)
        return -1;
restart:
    free(cur);
    cur = strdup("/");
    if (!cur)
        goto done;
    for (size_t pos = 1; path[pos];) {
        const char *comp = path + pos;
        const char *slash = strchr(comp, '/');
        size_t clen = slash ? (size_t)(slash - comp) : strlen(comp);
        int last = !slash || !slash[1];
        char *next = malloc(strlen(cur) + clen + 2);
        struct stat st;
        if (!next)
            goto done;
        {
            size_t cl = strlen(cur);
            memcpy(next, cur, cl);
            if (strcmp(cur, "/") != 0)
                next[cl++] = '/';
            memcpy(next + cl, comp, clen);
            next[cl + clen] = '\0';
        }
        if (lstat(next, &st) != 0) {
            free(next);
            if (specs_add(out, cur, comp, clen, last ? I_FILE : I_ANCESTOR))
                goto done;
            rc = 0;
            goto done;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t tl;
            const char *rest = last ? "" : slash + 1;
            char *np;
            size_t npsize;
            if (specs_add(out, cur, comp, clen, I_LINK)) {
                free(next);
                goto done;
            }
            tl = readlink(next, target, sizeof target - 1);
            free(next);
            if (tl < 0 || ++hops > HC__MAX_SYMLINK_HOPS) {
                rc = 0; /* the read reports the loop or the error */
                goto done;
            }
            target[tl] = '\0';
            npsize = strlen(cur) + (size_t)tl + strlen(rest) + 3;
            np = malloc(npsize);
            if (!np)
                goto done;
            if (target[0] == '/')
                snprintf(np, npsize, "%s/%s", target, rest);
            else
                snprintf(np, npsize, "%s/%s/%s", cur, target, rest);
            hc__path_clean(np);
            free(path);
            path = np;
            goto restart;
        }
        if (last || !S_ISDIR(st.st_mode)) {
            free(next);
            if (specs_add(out, cur, comp, clen, last ? I_FILE : I_ANCESTOR))
                goto done;
            rc = 0;
            goto done;
        }
        free(cur);
        cur = next;
        pos += clen + 1;
    }
    rc = 0; /* "/" itself: nothing to watch */
done:
    free(cur);
    free(path);
    return rc;
}

/* Same interests as now? Then nothing needs to change. */
static int same_interests(const hc__file_slot *fs, const specs *s)
{
    const hc__interest *i = fs->interests;
    for (int k = s->n - 1; k >= 0; k--, i = i->next) {
        /* installed in reverse order (prepended) */
        if (!i || i->dw->wd < 0 || i->kind != s->v[k].kind ||
            strcmp(i->name, s->v[k].name) != 0 ||
            strcmp(i->dw->path, s->v[k].dir) != 0)
            return 0;
    }
    return i == NULL;
}

/* Installs specs as c's interests (under st->lock). -1: inotify refused. */
static int install(ino_state *st, hc__config *c, hc__file_slot *fs,
                   const specs *s, int *err)
{
    hc__interest *list = NULL;
    for (int k = 0; k < s->n; k++) {
        hc__dirwatch *dw = dw_get(st, s->v[k].dir);
        hc__interest *i;
        if (!dw) {
            *err = errno;
            drop_interests(st, list);
            return -1;
        }
        i = calloc(1, sizeof *i);
        if (!i || !(i->name = strdup(s->v[k].name)) ||
            hc__map_put_str(&dw->names, i->name, i) != 0) {
            if (i)
                free(i->name);
            free(i);
            dw_release(st, dw);
            *err = ENOMEM;
            drop_interests(st, list);
            return -1;
        }
        i->config = c;
        i->dw = dw;
        i->kind = s->v[k].kind;
        dw->ninterests++;
        i->next = list;
        list = i;
    }
    drop_interests(st, fs->interests);
    fs->interests = list;
    return 0;
}

static int resolve(hc__source *src, hc__config *c)
{
    hc_engine *e = src->engine;
    ino_state *st = src->state;
    specs s = {NULL, 0, 0};
    int rc = 0, err = 0;

    /* The walk and the watches it asks for are not atomic: an entry can
     * change between its lstat and the inotify_add_watch on its
     * directory, and that event is lost. A directory recreated there
     * (mkdir just before the watch on its parent) leaves an ANCESTOR
     * interest on an entry that exists, and nothing reports the file
     * written in it: the check waited for the confirm time (issue 15's
     * 50 ms). So every install is followed by another walk, until a walk
     * finds what is installed: that walk ran with every watch in place,
     * so whatever changes after it is reported.
     *
     * A directory can also vanish before its inotify_add_watch (ENOENT,
     * ENOTDIR): walk again. Any other refusal (the watch limit,
     * permissions) means this path cannot be watched: poll it. */
    for (int attempt = 0; attempt < 8; attempt++) {
        int stable;
        specs_free(&s);
        if (compute_specs(hc__config_abspath(c), &s) != 0) {
            specs_free(&s);
            return 0; /* out of memory: keep the old interests */
        }
        if (st->after_walk)
            st->after_walk(st->after_walk_data);
        pthread_mutex_lock(&e->lock);
        {
            hc__file_slot *fs = hc__file_slot_of(c);
            stable = c->dead || !fs || same_interests(fs, &s);
            rc = stable ? 0 : install(st, c, fs, &s, &err);
        }
        pthread_mutex_unlock(&e->lock);
        if (stable || (rc != 0 && err != ENOENT && err != ENOTDIR))
            break;
    }
    if (rc != 0)
        hc__log(e, HC_LOG_WARN, "%s: inotify cannot watch %s (%s)",
                hc__config_id(c), s.n ? s.v[0].dir : "?", strerror(err));
    specs_free(&s);
    return rc;
}

static int i_init(hc__source *s)
{
    ino_state *st;
    /* force_poll: every watch polls, so inotify is not even opened. */
    if (s->engine->opts.force_poll)
        return HC_ENOTSUP;
    st = calloc(1, sizeof *st);
    if (!st)
        return HC_ENOMEM;
    st->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (st->ifd < 0) {
        hc__log(s->engine, HC_LOG_WARN,
                "inotify unavailable (%s): every watch will poll",
                strerror(errno));
        free(st);
        return HC_ENOTSUP;
    }
    atomic_init(&st->drop_events, 0);
    atomic_init(&st->refuse_watches, 0);
    s->state = st;
    return 0;
}

static int i_fd(const hc__source *s)
{
    return ((const ino_state *)s->state)->ifd;
}

static int i_attach(hc__source *s, hc__config *c)
{
    if (hc__config_mode(c) == HC_WATCH_AUTO) {
        char *dir = hc__path_dirname(hc__config_abspath(c));
        int remote = dir && fs_needs_polling(dir);
        free(dir);
        if (remote) {
            hc__log(s->engine, HC_LOG_INFO,
                    "%s: network or FUSE filesystem, polling it",
                    hc__config_id(c));
            return HC_ENOTSUP;
        }
    }
    if (!hc__file_slot_attach(c))
        return HC_ENOMEM;
    return resolve(s, c) == 0 ? 0 : HC_ENOTSUP;
}

static void i_detach(hc__source *s, hc__config *c)
{
    hc__file_slot *fs = hc__file_slot_of(c);
    if (fs)
        drop_interests(s->state, fs->interests);
    hc__file_slot_detach(c);
}

static int i_refresh(hc__source *s, hc__config *c, unsigned flags,
                     hc_trigger trigger, int64_t detect_ns)
{
    if ((flags & HC__WORK_RESOLVE) && resolve(s, c) != 0)
        return HC_ENOTSUP; /* cannot watch it any more: the next source */
    hc__file_refresh(c, flags, trigger, detect_ns);
    return 0;
}

/* ---- events (under e->lock) ---------------------------------------------- */

static void settle(hc__config *c, hc__file_slot *fs, hc_trigger trigger,
                   int64_t now)
{
    if (!fs->settle_at) {
        fs->settle_detect = now;
        fs->settle_trigger = trigger;
    }
    fs->settle_at = now + (int64_t)hc__config_settle_ms(c) * 1000000;
}

static void on_name_event(hc__interest *i, uint32_t mask, int64_t now)
{
    hc__config *c = i->config;
    hc__file_slot *fs = hc__file_slot_of(c);
    if (c->dead || !fs)
        return;
    if (i->kind != I_FILE) {
        if (mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM))
            hc__source_work_locked(
                c, HC__WORK_RESOLVE | HC__WORK_CHECK,
                i->kind == I_LINK ? HC_TRIGGER_LINK : HC_TRIGGER_CREATE, now);
        return;
    }
    if (mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO))
        fs->writing = 0; /* another inode under this name from now on */
    if (mask & IN_MODIFY) {
        fs->writing = 1;
        settle(c, fs, HC_TRIGGER_MODIFY, now);
    }
    if ((mask & IN_ATTRIB) && !fs->settle_at) {
        /* A chmod may have made it readable: look again (a truncate's
         * IN_ATTRIB comes with its IN_MODIFY, which settles first). */
        if (fs->writing)
            settle(c, fs, HC_TRIGGER_MODIFY, now);
        else
            hc__source_work_locked(c, HC__WORK_CHECK | HC__WORK_CLOSED,
                                   HC_TRIGGER_MODIFY, now);
    }
    if (mask & IN_CREATE) {
        settle(c, fs, HC_TRIGGER_CREATE, now);
        hc__source_work_locked(c, HC__WORK_RESOLVE | HC__WORK_CREATED,
                               HC_TRIGGER_CREATE, now);
    }
    if (mask & (IN_DELETE | IN_MOVED_FROM)) {
        /* Whatever comes next under this name is a new file. */
        fs->settle_at = 0;
        hc__source_work_locked(c, HC__WORK_RESOLVE | HC__WORK_CHECK,
                               HC_TRIGGER_CREATE, now);
    }
    if (mask & IN_MOVED_TO) {
        fs->settle_at = 0;
        hc__source_work_locked(
            c, HC__WORK_RESOLVE | HC__WORK_CHECK | HC__WORK_CLOSED,
            HC_TRIGGER_RENAME, now);
    }
    if (mask & IN_CLOSE_WRITE) {
        /* The writer is done (a reader's close is not even reported). */
        int64_t detect = fs->settle_at ? fs->settle_detect : now;
        hc_trigger t = fs->settle_at ? fs->settle_trigger : HC_TRIGGER_MODIFY;
        fs->writing = 0;
        fs->settle_at = 0;
        hc__source_work_locked(c, HC__WORK_CHECK | HC__WORK_CLOSED, t, detect);
    }
    hc__file_deadline_locked(c);
}

/* The watched directory itself went away (deleted, moved, unmounted). */
static void on_dir_gone(ino_state *st, hc__dirwatch *dw, uint32_t mask,
                        int64_t now)
{
    hc__map_node *it;
    for (size_t b = 0; b < dw->names.nbuckets; b++)
        for (it = dw->names.buckets[b]; it; it = it->next)
            hc__source_work_locked(((hc__interest *)it->value)->config,
                                   HC__WORK_RESOLVE | HC__WORK_CHECK,
                                   HC_TRIGGER_RESCAN, now);
    /* The wd is (or must become) dead: nothing it reports is about the
     * path any more. Forget it now, so the re-resolution just queued
     * cannot mistake it for a live watch of a recreated directory. */
    if (mask & IN_MOVE_SELF)
        inotify_rm_watch(st->ifd, dw->wd);
    dw_forget(st, dw);
    dw->wd = -1;
    if (!dw->ninterests) {
        hc__map_free(&dw->names);
        free(dw->path);
        free(dw);
    }
}

/* Events were lost: whatever a writer did, its close may be among them.
 * Forget every writer and its settle, or each later event of its file
 * would wait the hold-open time for a close that never comes. Under
 * e->lock. */
static void forget_writers(ino_state *st)
{
    for (size_t b = 0; b < st->dw_by_wd.nbuckets; b++)
        for (hc__map_node *d = st->dw_by_wd.buckets[b]; d; d = d->next) {
            hc__dirwatch *dw = d->value;
            for (size_t k = 0; k < dw->names.nbuckets; k++)
                for (hc__map_node *n = dw->names.buckets[k]; n; n = n->next) {
                    hc__interest *i = n->value;
                    hc__file_slot *fs = hc__file_slot_of(i->config);
                    if (i->kind != I_FILE || !fs)
                        continue;
                    /* The rescan reads it: a settle pending from before
                     * is superseded. */
                    fs->writing = 0;
                    fs->settle_at = 0;
                    fs->settle_held = 0;
                    hc__file_deadline_locked(i->config);
                }
        }
}

static void i_on_readable(hc__source *s, int64_t now)
{
    hc_engine *e = s->engine;
    ino_state *st = s->state;
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    int overflow = 0;

    for (;;) {
        ssize_t n = read(st->ifd, buf, sizeof buf);
        if (n <= 0)
            break; /* EAGAIN: drained */
        if (atomic_load(&st->drop_events))
            continue; /* test hook: behave as if the queue overflowed */
        pthread_mutex_lock(&e->lock);
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            hc__dirwatch *dw;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                overflow = 1;
                continue;
            }
            dw = hc__map_get_int(&st->dw_by_wd, ev->wd);
            if (!dw)
                continue;
            if (ev->mask &
                (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
                on_dir_gone(st, dw, ev->mask, now);
                continue;
            }
            if (ev->len) {
                hc__map_node *it;
                hc__interest *i = hc__map_get_str(&dw->names, ev->name, &it);
                for (; i; i = hc__map_next_str(&it, ev->name))
                    on_name_event(i, ev->mask, now);
            }
        }
        if (overflow)
            forget_writers(st);
        pthread_mutex_unlock(&e->lock);
        /* Room left for the largest event: the queue was drained, spare
         * the read that would only say EAGAIN. */
        if ((size_t)n + sizeof(struct inotify_event) + NAME_MAX + 1 <=
            sizeof buf)
            break;
    }
    if (overflow) {
        hc__log(e, HC_LOG_WARN, "inotify queue overflowed: rescanning");
        hc__source_rescan_all(e);
    }
}

static void i_free(hc__source *s)
{
    ino_state *st = s->state;
    /* Interests are gone (every config detached); only dead-wd watches
     * with no interests could remain, and those are freed as they empty. */
    hc__map_free(&st->dw_by_wd);
    hc__map_free(&st->dw_by_path);
    close(st->ifd);
    free(st);
    s->state = NULL;
}

const hc__source_ops hc__source_inotify = {
    .name = "inotify",
    .flags = 0,
    .claims = hc__file_claims,
    .init = i_init,
    .fd = i_fd,
    .on_readable = i_on_readable,
    .attach = i_attach,
    .detach = i_detach,
    .refresh = i_refresh,
    .write_back = hc__file_write_back,
    .on_timer = hc__file_on_timer,
    .describe = NULL,
    .free = i_free,
};

/* ---- test hooks (engine_internal.h) -------------------------------------- */

static ino_state *state_of(hc_engine *e)
{
    hc__source *s = hc__source_find(e, &hc__source_inotify);
    return s ? s->state : NULL;
}

void hc__engine_inject_overflow(hc_engine *e)
{
    ino_state *st = state_of(e);
    if (st) {
        pthread_mutex_lock(&e->lock);
        forget_writers(st);
        pthread_mutex_unlock(&e->lock);
    }
    hc__source_rescan_all(e);
}

void hc__engine_drop_events(hc_engine *e, int on)
{
    ino_state *st = state_of(e);
    if (st)
        atomic_store(&st->drop_events, on);
}

void hc__engine_refuse_watches(hc_engine *e, int err)
{
    ino_state *st = state_of(e);
    if (st)
        atomic_store(&st->refuse_watches, err);
}

void hc__engine_after_walk(hc_engine *e, void (*fn)(void *), void *data)
{
    ino_state *st = state_of(e);
    if (st) {
        st->after_walk = fn;
        st->after_walk_data = data;
    }
}

int hc__engine_watch_count(hc_engine *e)
{
    ino_state *st = state_of(e);
    int n;
    if (!st)
        return 0;
    pthread_mutex_lock(&e->lock);
    n = (int)st->dw_by_wd.count;
    pthread_mutex_unlock(&e->lock);
    return n;
}

int hc__engine_writer_count(hc_engine *e, const char *path)
{
    hc__config *c;
    int n = -1;
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, path);
    if (c && c->src && c->src->ops == &hc__source_inotify &&
        hc__file_slot_of(c))
        n = hc__file_slot_of(c)->writing;
    pthread_mutex_unlock(&e->lock);
    return n;
}
