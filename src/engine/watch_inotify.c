/*
 * watch_inotify.c - the inotify backend: watch directories, not files.
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
 */
#include "engine_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* IN_OPEN and both closes count the file's open descriptors (a writer
 * still holding it is not done: see writers_hold); IN_ATTRIB catches a
 * chmod that makes an unreadable file readable. */
#define WATCH_MASK                                                             \
    (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN | IN_ATTRIB | IN_MODIFY |     \
     IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF |    \
     IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

enum { I_FILE, I_LINK, I_ANCESTOR };

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
    /* I_FILE: opens seen minus closes seen. inotify does not say whether
     * an open is for writing, so readers count too (the engine's own
     * reads balance out); 0 also when a writer opened it before the
     * watch, whose close then finds nothing to take off. */
    int opens;
};

int hc__inotify_init(hc_engine *e)
{
    e->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (e->ifd < 0) {
        hc__log(e, HC_LOG_WARN,
                "inotify unavailable (%s): every watch will poll",
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Network and user-space filesystems: inotify sees local writes only. */
int hc__fs_needs_polling(const char *dir)
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

/* ---- directory watches (under e->lock) --------------------------------- */

static void dw_forget(hc_engine *e, hc__dirwatch *dw)
{
    if (dw->wd >= 0)
        hc__map_del_int(&e->dw_by_wd, dw->wd);
    hc__map_del_str(&e->dw_by_path, dw->path, dw);
}

static void dw_release(hc_engine *e, hc__dirwatch *dw)
{
    if (dw->ninterests)
        return;
    if (dw->wd >= 0)
        inotify_rm_watch(e->ifd, dw->wd);
    dw_forget(e, dw);
    hc__map_free(&dw->names);
    free(dw->path);
    free(dw);
}

/* The shared watch on dir; NULL with errno set when inotify refuses. */
static hc__dirwatch *dw_get(hc_engine *e, const char *dir)
{
    hc__dirwatch *dw;
    int wd, refuse = atomic_load(&e->refuse_watches);
    if (refuse) {
        errno = refuse;
        return NULL;
    }
    wd = inotify_add_watch(e->ifd, dir, WATCH_MASK);
    if (wd < 0)
        return NULL;
    dw = hc__map_get_int(&e->dw_by_wd, wd);
    if (dw)
        return dw; /* same directory (maybe by another path) */
    /* A watch for this path with another wd is stale: the directory was
     * replaced and its IN_IGNORED is still queued. */
    dw = hc__map_get_str(&e->dw_by_path, dir, NULL);
    if (dw)
        hc__map_del_str(&e->dw_by_path, dw->path, dw);
    dw = calloc(1, sizeof *dw);
    if (!dw || !(dw->path = strdup(dir))) {
        free(dw);
        inotify_rm_watch(e->ifd, wd);
        errno = ENOMEM;
        return NULL;
    }
    dw->wd = wd;
    if (hc__map_put_int(&e->dw_by_wd, wd, dw) != 0 ||
        hc__map_put_str(&e->dw_by_path, dw->path, dw) != 0) {
        hc__map_del_int(&e->dw_by_wd, wd);
        inotify_rm_watch(e->ifd, wd);
        free(dw->path);
        free(dw);
        errno = ENOMEM;
        return NULL;
    }
    return dw;
}

static void drop_interests(hc_engine *e, hc__interest *list)
{
    hc__interest *i, *next;
    for (i = list; i; i = next) {
        next = i->next;
        hc__map_del_str(&i->dw->names, i->name, i);
        i->dw->ninterests--;
        dw_release(e, i->dw);
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
static int same_interests(const hc__config *c, const specs *s)
{
    const hc__interest *i = c->interests;
    for (int k = s->n - 1; k >= 0; k--, i = i->next) {
        /* installed in reverse order (prepended) */
        if (!i || i->dw->wd < 0 || i->kind != s->v[k].kind ||
            strcmp(i->name, s->v[k].name) != 0 ||
            strcmp(i->dw->path, s->v[k].dir) != 0)
            return 0;
    }
    return i == NULL;
}

/* Installs specs as c's interests (under e->lock). -1: inotify refused. */
static int install(hc_engine *e, hc__config *c, const specs *s, int *err)
{
    hc__interest *list = NULL;
    for (int k = 0; k < s->n; k++) {
        hc__dirwatch *dw = dw_get(e, s->v[k].dir);
        hc__interest *i;
        if (!dw) {
            *err = errno;
            drop_interests(e, list);
            return -1;
        }
        i = calloc(1, sizeof *i);
        if (!i || !(i->name = strdup(s->v[k].name)) ||
            hc__map_put_str(&dw->names, i->name, i) != 0) {
            if (i)
                free(i->name);
            free(i);
            dw_release(e, dw);
            *err = ENOMEM;
            drop_interests(e, list);
            return -1;
        }
        i->config = c;
        i->dw = dw;
        i->kind = s->v[k].kind;
        dw->ninterests++;
        i->next = list;
        list = i;
    }
    drop_interests(e, c->interests);
    c->interests = list;
    return 0;
}

static int resolve(hc_engine *e, hc__config *c)
{
    specs s = {NULL, 0, 0};
    int rc = 0, err = 0;

    /* A directory can vanish between the walk and inotify_add_watch
     * (ENOENT, ENOTDIR): walk again. Any other refusal (the watch limit,
     * permissions) means this path cannot be watched: poll it. */
    for (int attempt = 0; attempt < 5; attempt++) {
        specs_free(&s);
        if (compute_specs(c->abspath, &s) != 0) {
            specs_free(&s);
            return 0; /* out of memory: keep the old interests */
        }
        pthread_mutex_lock(&e->lock);
        rc = (c->dead || same_interests(c, &s)) ? 0 : install(e, c, &s, &err);
        pthread_mutex_unlock(&e->lock);
        if (rc == 0 || (err != ENOENT && err != ENOTDIR))
            break;
    }
    if (rc != 0)
        hc__log(e, HC_LOG_WARN, "%s: inotify cannot watch %s (%s)", c->path,
                s.n ? s.v[0].dir : "?", strerror(err));
    specs_free(&s);
    return rc;
}

static int attach(hc_engine *e, hc__config *c)
{
    char *dir;
    if (e->ifd < 0)
        return -1;
    if (c->mode_req == HC_WATCH_AUTO) {
        dir = hc__path_dirname(c->abspath);
        if (dir && hc__fs_needs_polling(dir)) {
            hc__log(e, HC_LOG_INFO,
                    "%s: network or FUSE filesystem, polling it", c->path);
            free(dir);
            return -1;
        }
        free(dir);
    }
    pthread_mutex_lock(&e->lock);
    c->mode = HC__MODE_INOTIFY;
    pthread_mutex_unlock(&e->lock);
    return resolve(e, c);
}

static void detach(hc_engine *e, hc__config *c)
{
    drop_interests(e, c->interests);
    c->interests = NULL;
}

const hc__backend hc__backend_inotify = {"inotify", attach, detach, resolve,
                                         hc__file_write_back};

/* ---- events -------------------------------------------------------------- */

static void settle(hc_engine *e, hc__config *c, hc_trigger trigger, int64_t now)
{
    if (!c->settle_at) {
        c->settle_detect = now;
        c->settle_trigger = trigger;
    }
    c->settle_at = now + (int64_t)e->opts.settle_ms * 1000000;
    hc__timer_changed(e, c);
}

int hc__inotify_held_open(const hc__config *c)
{
    for (const hc__interest *i = c->interests; i; i = i->next)
        if (i->kind == I_FILE && i->opens > 0)
            return 1;
    return 0;
}

static void on_name_event(hc_engine *e, hc__interest *i, uint32_t mask,
                          int64_t now)
{
    hc__config *c = i->config;
    if (c->dead)
        return;
    if (i->kind != I_FILE) {
        if (mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM))
            hc__work_add(
                e, c, HC__P_RESOLVE | HC__P_CHECK,
                i->kind == I_LINK ? HC_TRIGGER_LINK : HC_TRIGGER_CREATE, now);
        return;
    }
    if (mask & IN_OPEN)
        i->opens++;
    if ((mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) && i->opens > 0)
        i->opens--;
    if (mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO))
        i->opens = 0; /* another inode under this name from now on */
    if (mask & IN_MODIFY)
        settle(e, c, HC_TRIGGER_MODIFY, now);
    if ((mask & IN_ATTRIB) && !c->settle_at) {
        /* A chmod may have made it readable: look again (a truncate's
         * IN_ATTRIB comes with its IN_MODIFY, which settles first). */
        if (i->opens > 0)
            settle(e, c, HC_TRIGGER_MODIFY, now);
        else
            hc__work_add(e, c, HC__P_CHECK | HC__P_CLOSED, HC_TRIGGER_MODIFY,
                         now);
    }
    if (mask & IN_CREATE) {
        settle(e, c, HC_TRIGGER_CREATE, now);
        hc__work_add(e, c, HC__P_RESOLVE | HC__P_CREATED, HC_TRIGGER_CREATE,
                     now);
    }
    if (mask & (IN_DELETE | IN_MOVED_FROM)) {
        /* Whatever comes next under this name is a new file. */
        c->settle_at = 0;
        hc__work_add(e, c, HC__P_RESOLVE | HC__P_CHECK, HC_TRIGGER_CREATE, now);
    }
    if (mask & IN_MOVED_TO) {
        c->settle_at = 0;
        hc__work_add(e, c, HC__P_RESOLVE | HC__P_CHECK | HC__P_CLOSED,
                     HC_TRIGGER_RENAME, now);
    }
    if ((mask & IN_CLOSE_WRITE) && i->opens > 0) {
        /* Another descriptor is still open, maybe a second writer: let
         * the settle timer (held while it stays open) decide. */
        settle(e, c, c->settle_at ? c->settle_trigger : HC_TRIGGER_MODIFY, now);
    } else if ((mask & IN_CLOSE_WRITE) ||
               ((mask & IN_CLOSE_NOWRITE) && c->settle_held && !i->opens)) {
        /* The last close of a file whose apply waited for it. */
        int64_t detect = c->settle_at ? c->settle_detect : now;
        hc_trigger t = c->settle_at ? c->settle_trigger : HC_TRIGGER_MODIFY;
        c->settle_at = 0;
        hc__work_add(e, c, HC__P_CHECK | HC__P_CLOSED, t, detect);
    }
    if (!c->settle_at)
        hc__timer_changed(e, c);
}

/* The watched directory itself went away (deleted, moved, unmounted). */
static void on_dir_gone(hc_engine *e, hc__dirwatch *dw, uint32_t mask,
                        int64_t now)
{
    hc__map_node *it;
    for (size_t b = 0; b < dw->names.nbuckets; b++)
        for (it = dw->names.buckets[b]; it; it = it->next)
            hc__work_add(e, ((hc__interest *)it->value)->config,
                         HC__P_RESOLVE | HC__P_CHECK, HC_TRIGGER_RESCAN, now);
    /* The wd is (or must become) dead: nothing it reports is about the
     * path any more. Forget it now, so the re-resolution just queued
     * cannot mistake it for a live watch of a recreated directory. */
    if (mask & IN_MOVE_SELF)
        inotify_rm_watch(e->ifd, dw->wd);
    dw_forget(e, dw);
    dw->wd = -1;
    if (!dw->ninterests) {
        hc__map_free(&dw->names);
        free(dw->path);
        free(dw);
    }
}

void hc__inotify_read(hc_engine *e, int64_t now)
{
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    int overflow = 0;

    for (;;) {
        ssize_t n = read(e->ifd, buf, sizeof buf);
        if (n <= 0)
            break; /* EAGAIN: drained */
        if (atomic_load(&e->drop_events))
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
            dw = hc__map_get_int(&e->dw_by_wd, ev->wd);
            if (!dw)
                continue;
            if (ev->mask &
                (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
                on_dir_gone(e, dw, ev->mask, now);
                continue;
            }
            if (ev->len) {
                hc__map_node *it;
                hc__interest *i = hc__map_get_str(&dw->names, ev->name, &it);
                for (; i; i = hc__map_next_str(&it, ev->name))
                    on_name_event(e, i, ev->mask, now);
            }
        }
        pthread_mutex_unlock(&e->lock);
        /* Room left for the largest event: the queue was drained, spare
         * the read that would only say EAGAIN. */
        if ((size_t)n + sizeof(struct inotify_event) + NAME_MAX + 1 <=
            sizeof buf)
            break;
    }
    if (overflow) {
        hc__log(e, HC_LOG_WARN, "inotify queue overflowed: rescanning");
        atomic_store(&e->overflow_pending, 1);
    }
}

void hc__inotify_free(hc_engine *e)
{
    /* Interests are gone (every config detached); only dead-wd watches
     * with no interests could remain, and those are freed as they empty. */
    hc__map_free(&e->dw_by_wd);
    hc__map_free(&e->dw_by_path);
    if (e->ifd >= 0)
        close(e->ifd);
    e->ifd = -1;
}
