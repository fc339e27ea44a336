/*
 * group.c - folders, globs and layers as watch targets (hotconf.h,
 * "Folders, globs and layers as watch targets").
 *
 * Built on the public engine API only: the group has an inotify fd of its
 * own on the folders, for arrivals and departures (and, merged, for
 * changes of the layers); each file (per file) or the merged document
 * (merged) is an ordinary engine watch. The merged document reaches the
 * engine as a file the group writes atomically, so history, rollback,
 * stats and the dashboard need nothing new from the engine; the engine's
 * source registry may later give it an in-memory source instead.
 *
 * Which thread runs what: everything here except on_merged_change runs on
 * the dispatching thread (hc_group_dispatch's caller, or the group's
 * thread). on_merged_change runs on the engine's delivery thread and only
 * reads the cause table, under g->lock.
 */
#include "compose/compose.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define GROUP_MASK                                                             \
    (IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |    \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define CAUSES 32

typedef struct gtarget {
    char *prefix;      /* prepended to a name: "conf.d/" */
    char *pattern;     /* fnmatch on names; NULL: names that tell a format */
    char *exact;       /* a file layer: its base name */
    const char *cause; /* "defaults" for a defaults file, else NULL */
    char *dir;         /* the folder watched, to watch again when it is back */
    int wd;            /* -1: the folder is gone (polled for) */
} gtarget;

typedef struct entry {
    char *path;
    int64_t gone_ns; /* deleted or moved away at; 0: there */
} entry;

typedef struct cause {
    uint64_t hash;
    char name[HC_ERROR_SOURCE_LENGTH];
} cause;

struct hc_group {
    hc_engine *e;
    hc_watch_options wo;
    char **ignore;
    int merge, settle_ms;
    hc_group_cb cb;
    void *ud;
    int ifd;
    gtarget *t;
    size_t nt;
    entry *f; /* per file: the files watched */
    size_t nf, fcap;
    /* merged */
    hc_layers *layers;
    char *id;
    int own_file; /* the default merged file: removed by hc_group_free */
    char *last;   /* the content last written */
    int watching; /* the engine watches id */
    int64_t merge_due_ns;
    char pending[HC_ERROR_SOURCE_LENGTH]; /* cause of the pending merge */
    /* a watched folder went away: when to look for it again (0: none) */
    int64_t rewatch_due_ns;
    pthread_mutex_t lock; /* causes */
    cause causes[CAUSES];
    size_t ncause;
    /* dispatch */
    pthread_t thread;
    int started, stopfd;
    atomic_int busy;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void hc_group_options_init(hc_group_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

static int gfail(hc_error *err, int code, const char *src, const char *msg)
{
    hc__error_set(err, code, src, 0, 0, 0, "%s", msg);
    return code;
}

static void emit(hc_group *g, hc_group_event_kind kind, const char *id,
                 const char *layer, const hc_change_record *rec,
                 const hc_error *error)
{
    hc_group_event ev = {kind, id, layer, rec, error};
    if (g->cb)
        g->cb(&ev, g->ud);
}

/* ---- targets ---------------------------------------------------------- */

/* Splits a target into the folder to watch and the name filter. */
static int add_target(hc_group *g, hc__layer_kind kind, const char *path,
                      int flags, hc_error *err)
{
    gtarget *nt = realloc(g->t, (g->nt + 1) * sizeof *nt), *t;
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    char *dir;
    if (!nt)
        return gfail(err, HC_ENOMEM, NULL, "out of memory");
    g->t = nt;
    t = &g->t[g->nt];
    memset(t, 0, sizeof *t);
    t->wd = -1;
    if (kind == HC__LAYER_DIR) {
        size_t n = strlen(path);
        dir = strdup(path);
        t->prefix = malloc(n + 2);
        if (t->prefix)
            snprintf(t->prefix, n + 2, "%s%s", path,
                     n && path[n - 1] == '/' ? "" : "/");
    } else {
        dir = slash ? strndup(path, dlen ? dlen : 1) : strdup(".");
        t->prefix = slash ? strndup(path, dlen + 1) : strdup("");
        if (kind == HC__LAYER_GLOB)
            t->pattern = strdup(slash ? slash + 1 : path);
        else
            t->exact = strdup(slash ? slash + 1 : path);
        if (dir && strpbrk(dir, "*?[")) {
            free(dir);
            free(t->prefix);
            free(t->pattern);
            free(t->exact);
            return gfail(err, HC_EINVAL, path,
                         "only the last part of a pattern may hold "
                         "wildcards");
        }
    }
    if (!dir || !t->prefix || (kind == HC__LAYER_GLOB && !t->pattern) ||
        (kind == HC__LAYER_FILE && !t->exact)) {
        free(dir);
        free(t->prefix);
        free(t->pattern);
        free(t->exact);
        return gfail(err, HC_ENOMEM, NULL, "out of memory");
    }
    if (flags & HC_LAYER_DEFAULTS)
        t->cause = "defaults";
    g->nt++;
    t->wd = inotify_add_watch(g->ifd, dir, GROUP_MASK);
    if (t->wd < 0) {
        int missing = errno == ENOENT || errno == ENOTDIR;
        hc__error_set(err, missing ? HC_ENOENT : HC_ESYS, dir, 0, 0, 0,
                      "cannot watch the folder: %s", strerror(errno));
        free(dir);
        return missing ? HC_ENOENT : HC_ESYS;
    }
    t->dir = dir;
    return 0;
}

static int target_match(const hc_group *g, const gtarget *t, const char *name)
{
    if (t->exact)
        return strcmp(t->exact, name) == 0;
    if (hc__compose_ignored((const char *const *)g->ignore, name))
        return 0;
    if (t->pattern)
        return fnmatch(t->pattern, name, FNM_PERIOD) == 0;
    return hc_format_from_name(name) != HC_FORMAT_AUTO;
}

/* ---- per file --------------------------------------------------------- */

static entry *find_entry(hc_group *g, const char *path)
{
    for (size_t i = 0; i < g->nf; i++)
        if (!strcmp(g->f[i].path, path))
            return &g->f[i];
    return NULL;
}

static int add_file(hc_group *g, const char *path, const char *why)
{
    hc_error err;
    char *copy;
    int rc;
    if (find_entry(g, path))
        return 0;
    if (g->nf == g->fcap) {
        size_t ncap = g->fcap ? 2 * g->fcap : 16;
        entry *nf = realloc(g->f, ncap * sizeof *nf);
        if (!nf)
            return HC_ENOMEM;
        g->f = nf;
        g->fcap = ncap;
    }
    if (!(copy = strdup(path)))
        return HC_ENOMEM;
    rc = hc_engine_watch(g->e, path, &g->wo, &err);
    if (rc != 0 && rc != HC_EEXIST) {
        free(copy);
        return rc;
    }
    g->f[g->nf].path = copy;
    g->f[g->nf].gone_ns = 0;
    g->nf++;
    emit(g, HC_GROUP_ADDED, copy, why, NULL, NULL);
    return 0;
}

static void remove_file(hc_group *g, size_t i)
{
    char *path = g->f[i].path;
    hc_engine_unwatch(g->e, path, NULL);
    g->f[i] = g->f[--g->nf];
    emit(g, HC_GROUP_REMOVED, path, path, NULL, NULL);
    free(path);
}

/* Watches what the target lists now and marks what it no longer does. */
static void reconcile(hc_group *g, const char *target_path, hc__layer_kind kind,
                      int64_t now)
{
    char **files = NULL;
    size_t n = 0;
    if (hc__compose_list(kind, target_path, (const char *const *)g->ignore,
                         &files, &n) != 0)
        n = 0;
    for (size_t i = 0; i < g->nf; i++) {
        int there = 0;
        for (size_t k = 0; k < n && !there; k++)
            there = !strcmp(files[k], g->f[i].path);
        if (!there && !g->f[i].gone_ns)
            g->f[i].gone_ns = now;
    }
    for (size_t k = 0; k < n; k++)
        add_file(g, files[k], "rescan");
    hc__compose_list_free(files, n);
}

/* ---- merged ----------------------------------------------------------- */

static void remember_cause(hc_group *g, uint64_t hash, const char *name)
{
    pthread_mutex_lock(&g->lock);
    cause *c = &g->causes[g->ncause++ % CAUSES];
    c->hash = hash;
    snprintf(c->name, sizeof c->name, "%s", name);
    pthread_mutex_unlock(&g->lock);
}

static int on_merged_change(const hc_change_record *rec, void *ud)
{
    hc_group *g = ud;
    char name[HC_ERROR_SOURCE_LENGTH] = "";
    int rc = 0;
    pthread_mutex_lock(&g->lock);
    for (size_t i = g->ncause; i > 0 && i + CAUSES > g->ncause; i--) {
        const cause *c = &g->causes[(i - 1) % CAUSES];
        if (c->hash == rec->hash) {
            memcpy(name, c->name, sizeof name);
            break;
        }
    }
    pthread_mutex_unlock(&g->lock);
    /* a rollback or a revert brings back older content: its own cause */
    emit(g, HC_GROUP_CHANGED, rec->path,
         name[0] ? name : hc_trigger_name(rec->trigger), rec, NULL);
    if (g->wo.on_change)
        rc = g->wo.on_change(rec, g->wo.user_data);
    return rc;
}

/* Puts the position of the value at err->pointer, in the layer that gave
 * it, into err. */
static void locate(const hc_group *g, hc_error *err)
{
    hc_layer_origin o;
    if (!err->pointer[0] && err->line)
        return;
    if (hc_layers_origin_at(g->layers, err->pointer, &o) != 0)
        return;
    snprintf(err->source, sizeof err->source, "%s", o.file ? o.file : o.name);
    err->line = o.line;
    err->column = o.column;
}

static void reject(hc_group *g, hc_error *err, const char *why)
{
    uint64_t live = 0;
    json_t *doc = g->watching ? hc_config_snapshot(g->e, g->id, &live) : NULL;
    hc_error_record rec = {g->id, err, live, HC_TRIGGER_MODIFY};
    hc_doc_release(doc);
    emit(g, HC_GROUP_REJECTED, g->id, why, NULL, err);
    if (g->wo.on_error)
        g->wo.on_error(&rec, g->wo.on_error_data);
}

/*
 * Replaces the merged file atomically (temp file, rename) without fsync:
 * it is derived, made again from the layers at every start, so a crash
 * may lose it but never tear it, and each reload skips two disk flushes.
 */
static int write_merged(const char *path, const char *text, hc_error *err)
{
    size_t n = strlen(path), len = strlen(text);
    char *tmp = malloc(n + 16);
    int fd, rc = 0;
    if (!tmp)
        return gfail(err, HC_ENOMEM, NULL, "out of memory");
    snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
    fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0 ||
        rename(tmp, path) != 0) {
        hc__error_set(err, HC_ESYS, path, 0, 0, 0,
                      "cannot write the merged document: %s", strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        rc = HC_ESYS;
    }
    free(tmp);
    return rc;
}

/* Loads, validates and publishes the layers; 0 or the refusal's code. */
static int merge_now(hc_group *g, const char *why, hc_error *out)
{
    hc_error err;
    json_t *doc = hc_layers_load(g->layers, &err);
    char *text;
    int rc = 0;
    if (!doc) {
        reject(g, &err, why);
        if (out)
            *out = err;
        return err.code ? err.code : HC_EIO;
    }
    text = hc_dump(doc, HC_FORMAT_JSON, &err);
    hc_error_init(&err);
    if (!text) {
        rc = HC_ENOMEM;
    } else if (g->wo.validate &&
               (rc = g->wo.validate(doc, &err, g->wo.validate_data))) {
        rc = err.code ? err.code : HC_EVALIDATE;
        err.code = rc;
    } else if (g->wo.schema) {
        rc = hc_schema_check(g->wo.schema, doc, g->id, NULL, &err);
    }
    json_decref(doc);
    if (rc != 0) {
        if (!err.code)
            hc__error_set(&err, rc, g->id, 0, 0, 0, "%s", hc_strerror(rc));
        locate(g, &err);
        reject(g, &err, why);
        free(text);
        if (out)
            *out = err;
        return rc;
    }
    if (g->last && !strcmp(g->last, text)) { /* nothing new merged */
        free(text);
        return 0;
    }
    remember_cause(g, XXH3_64bits(text, strlen(text)), why);
    if ((rc = write_merged(g->id, text, &err))) {
        reject(g, &err, why);
        free(text);
        if (out)
            *out = err;
        return rc;
    }
    free(g->last);
    g->last = text;
    if (!g->watching) {
        hc_watch_options wo = g->wo;
        wo.on_change = on_merged_change;
        wo.user_data = g;
        rc = hc_engine_watch(g->e, g->id, &wo, &err);
        if (rc != 0) {
            if (out)
                *out = err;
            return rc;
        }
        g->watching = 1;
    }
    return 0;
}

/* ---- events ----------------------------------------------------------- */

static int complete(const char *path, uint32_t mask)
{
    struct stat st;
    if (mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
        return 1;
    /* a symlink or a hard link is complete when it appears; a new file is
     * complete when its writer closes it (IN_CLOSE_WRITE follows) */
    return (mask & IN_CREATE) && lstat(path, &st) == 0 &&
           (S_ISLNK(st.st_mode) || st.st_nlink > 1);
}

static void on_name(hc_group *g, const gtarget *t, const char *name,
                    uint32_t mask, int64_t now)
{
    size_t plen = strlen(t->prefix);
    char *full = malloc(plen + strlen(name) + 1);
    if (!full)
        return;
    memcpy(full, t->prefix, plen);
    memcpy(full + plen, name, strlen(name) + 1);
    if (!g->merge) {
        entry *en = find_entry(g, full);
        if (mask & (IN_DELETE | IN_MOVED_FROM)) {
            if (en && !en->gone_ns)
                en->gone_ns = now;
        } else if (complete(full, mask)) {
            if (en)
                en->gone_ns = 0; /* back: the engine follows its content */
            else
                add_file(g, full, full);
        }
    } else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
        /* wait: an editor saving by rename brings it back at once */
        if (!g->merge_due_ns) {
            g->merge_due_ns = now + (int64_t)g->settle_ms * 1000000;
            snprintf(g->pending, sizeof g->pending, "%s",
                     t->cause ? t->cause : full);
        }
    } else if (complete(full, mask)) {
        g->merge_due_ns = now;
        snprintf(g->pending, sizeof g->pending, "%s",
                 t->cause ? t->cause : full);
    }
    free(full);
}

static void rescan_all(hc_group *g, int64_t now)
{
    if (g->merge) {
        g->merge_due_ns = now;
        snprintf(g->pending, sizeof g->pending, "rescan");
        return;
    }
    reconcile(g, g->id, strpbrk(g->id, "*?[") ? HC__LAYER_GLOB : HC__LAYER_DIR,
              now);
}

/*
 * The target's folder was deleted or moved away: its watch is dead (or
 * follows the folder elsewhere), and a folder made again at that path is
 * a new inode no watch knows. It is looked for every settle time (a
 * watch on the parent would share, and on removal break, the watch of a
 * target in that parent), so that its files are taken up when it is
 * back. The rescan that follows reports the files gone.
 */
static void folder_gone(hc_group *g, gtarget *t, int64_t now)
{
    /* fails harmlessly when the kernel dropped the watch already */
    inotify_rm_watch(g->ifd, t->wd);
    t->wd = -1;
    if (!g->rewatch_due_ns)
        g->rewatch_due_ns = now + (int64_t)g->settle_ms * 1000000;
}

/* Watches again the folders that are back; their files are new. */
static void rewatch(hc_group *g, int64_t now)
{
    int back = 0;
    g->rewatch_due_ns = 0;
    for (size_t i = 0; i < g->nt; i++) {
        gtarget *t = &g->t[i];
        if (t->wd >= 0 || !t->dir)
            continue;
        /* the watch first, then the listing: a file made in between is
         * in the listing, one made after it is an event */
        t->wd = inotify_add_watch(g->ifd, t->dir, GROUP_MASK);
        if (t->wd >= 0)
            back = 1;
        else if (!g->rewatch_due_ns)
            g->rewatch_due_ns = now + (int64_t)g->settle_ms * 1000000;
    }
    if (back)
        rescan_all(g, now);
}

static int read_events(hc_group *g, int64_t now)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    int n = 0;
    for (;;) {
        ssize_t len = read(g->ifd, buf, sizeof buf);
        if (len <= 0)
            break;
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            n++;
            if (ev->mask & IN_Q_OVERFLOW) {
                rescan_all(g, now);
                continue;
            }
            for (size_t i = 0; i < g->nt; i++) {
                if (g->t[i].wd != ev->wd)
                    continue;
                if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                    folder_gone(g, &g->t[i], now);
                    rescan_all(g, now);
                } else if (ev->len && target_match(g, &g->t[i], ev->name))
                    on_name(g, &g->t[i], ev->name, ev->mask, now);
            }
        }
    }
    return n;
}

/* The earlier of two due times (0: none). */
static int64_t earlier(int64_t a, int64_t b)
{
    return !a || (b && b < a) ? b : a;
}

static int64_t next_due(const hc_group *g)
{
    int64_t due = g->rewatch_due_ns;
    if (g->merge)
        return earlier(due, g->merge_due_ns);
    for (size_t i = 0; i < g->nf; i++)
        if (g->f[i].gone_ns)
            due =
                earlier(due, g->f[i].gone_ns + (int64_t)g->settle_ms * 1000000);
    return due;
}

static void run_due(hc_group *g, int64_t now)
{
    if (g->rewatch_due_ns && now >= g->rewatch_due_ns)
        rewatch(g, now);
    if (g->merge) {
        if (g->merge_due_ns && now >= g->merge_due_ns) {
            char why[HC_ERROR_SOURCE_LENGTH];
            memcpy(why, g->pending, sizeof why);
            g->merge_due_ns = 0;
            merge_now(g, why, NULL);
        }
        return;
    }
    for (size_t i = 0; i < g->nf;) {
        struct stat st;
        entry *en = &g->f[i];
        if (en->gone_ns &&
            now >= en->gone_ns + (int64_t)g->settle_ms * 1000000) {
            if (stat(en->path, &st) == 0) {
                en->gone_ns = 0;
            } else {
                remove_file(g, i);
                continue;
            }
        }
        i++;
    }
}

int hc_group_timeout(const hc_group *g)
{
    int64_t due = g ? next_due(g) : 0, left;
    if (!due)
        return -1;
    left = due - now_ns();
    return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

static int dispatch(hc_group *g, int timeout_ms, int stopfd)
{
    struct pollfd pfd[2] = {{g->ifd, POLLIN, 0}, {stopfd, POLLIN, 0}};
    int t = hc_group_timeout(g), n = 0, pr;
    if (t < 0 || (timeout_ms >= 0 && timeout_ms < t))
        t = timeout_ms;
    pr = poll(pfd, stopfd >= 0 ? 2 : 1, t);
    if (pr < 0 && errno != EINTR)
        return HC_ESYS;
    if (pr > 0 && (pfd[0].revents & POLLIN))
        n = read_events(g, now_ns());
    run_due(g, now_ns());
    return n;
}

int hc_group_dispatch(hc_group *g, int timeout_ms)
{
    int expect = 0, rc;
    if (!g)
        return HC_EINVAL;
    if (g->started || !atomic_compare_exchange_strong(&g->busy, &expect, 1))
        return HC_ESTATE;
    rc = dispatch(g, timeout_ms, -1);
    atomic_store(&g->busy, 0);
    return rc;
}

static void *group_thread(void *arg)
{
    hc_group *g = arg;
    for (;;) {
        uint64_t v;
        if (dispatch(g, -1, g->stopfd) < 0)
            break;
        if (read(g->stopfd, &v, sizeof v) == (ssize_t)sizeof v)
            break;
    }
    return NULL;
}

int hc_group_start(hc_group *g)
{
    if (!g || g->started)
        return HC_ESTATE;
    g->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (g->stopfd < 0)
        return HC_ESYS;
    if (hc__thread_start(&g->thread, group_thread, g) != 0) {
        close(g->stopfd);
        g->stopfd = -1;
        return HC_ESYS;
    }
    g->started = 1;
    return 0;
}

/* ---- life ------------------------------------------------------------- */

/* Feeds path, made absolute, to the hash (so that the same layers name
 * the same merged file from any working folder). */
static void hash_path(XXH3_state_t *h, const char *path)
{
    char cwd[4096];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd)) {
        XXH3_64bits_update(h, cwd, strlen(cwd));
        XXH3_64bits_update(h, "/", 1);
    }
    XXH3_64bits_update(h, path, strlen(path) + 1);
}

/*
 * The default merged file: $XDG_RUNTIME_DIR (else /tmp) /hotconf-UID/
 * merged-HASH.json, HASH of the layers' kinds and paths, so that a
 * restart with the same layers watches the same identity (its history
 * in a state folder continues). The folder must be ours and private.
 */
static char *default_merged(const hc_layers *l, hc_error *err)
{
    const char *base = getenv("XDG_RUNTIME_DIR");
    char dir[4096], *id;
    struct stat st;
    XXH3_state_t *h = XXH3_createState();
    uint64_t sum;
    if (!h) {
        gfail(err, HC_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    XXH3_64bits_reset(h);
    for (size_t i = 0; i < hc__layers_count(l); i++) {
        const char *path;
        int flags;
        unsigned char kind =
            (unsigned char)hc__layers_kind(l, i, &path, &flags);
        XXH3_64bits_update(h, &kind, 1);
        if (path)
            hash_path(h, path);
    }
    sum = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    if (!base || stat(base, &st) != 0 || !S_ISDIR(st.st_mode))
        base = "/tmp";
    snprintf(dir, sizeof dir, "%s/hotconf-%u", base, (unsigned)getuid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        hc__error_set(err, HC_ESYS, dir, 0, 0, 0, "cannot make the folder: %s",
                      strerror(errno));
        return NULL;
    }
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077)) {
        gfail(err, HC_ESYS, dir,
              "not a private folder of this user (mode 0700, ours): set "
              "merged_file (hotconf watch --merged-file)");
        return NULL;
    }
    id = malloc(strlen(dir) + 40);
    if (!id) {
        gfail(err, HC_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    snprintf(id, strlen(dir) + 40, "%s/merged-%016llx.json", dir,
             (unsigned long long)sum);
    return id;
}

static hc_group *group_new(hc_engine *e, const hc_group_options *opts,
                           size_t size, hc_error *err)
{
    hc_group_options o;
    hc_group *g;
    hc_group_options_init(&o);
    if (opts)
        memcpy(&o, opts, size < sizeof o ? size : sizeof o);
    if (!e) {
        gfail(err, HC_EINVAL, NULL, "no engine");
        return NULL;
    }
    if (!(g = calloc(1, sizeof *g))) {
        gfail(err, HC_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    g->e = e;
    g->ifd = -1;
    g->stopfd = -1;
    if (o.watch)
        g->wo = *o.watch;
    else
        hc_watch_options_init(&g->wo);
    g->merge = (o.flags & HC_GROUP_MERGE) != 0;
    g->settle_ms = o.settle_ms > 0 ? o.settle_ms : 100;
    g->cb = o.on_event;
    g->ud = o.user_data;
    pthread_mutex_init(&g->lock, NULL);
    {
        const char *const *ig =
            o.ignore ? o.ignore : hc__compose_ignore_default;
        size_t n = 0;
        while (ig[n])
            n++;
        g->ignore = calloc(n + 1, sizeof *g->ignore);
        for (size_t i = 0; g->ignore && i < n; i++)
            g->ignore[i] = strdup(ig[i]);
    }
    g->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (!g->ignore || g->ifd < 0) {
        gfail(err, g->ifd < 0 ? HC_ESYS : HC_ENOMEM, NULL,
              g->ifd < 0 ? "inotify_init1 failed" : "out of memory");
        hc_group_free(g);
        return NULL;
    }
    if (g->merge && o.merged_file && !(g->id = strdup(o.merged_file))) {
        gfail(err, HC_ENOMEM, NULL, "out of memory");
        hc_group_free(g);
        return NULL;
    }
    return g;
}

hc_group *hc_group_watch_layers_sized(hc_engine *e, hc_layers *layers,
                                      const hc_group_options *opts,
                                      size_t opts_size, hc_error *err)
{
    hc_group_options o;
    hc_group *g;
    hc_error first;
    int rc = 0;
    hc_error_init(err);
    hc_group_options_init(&o);
    if (opts)
        memcpy(&o, opts, opts_size < sizeof o ? opts_size : sizeof o);
    o.flags |= HC_GROUP_MERGE;
    if (!layers) {
        gfail(err, HC_EINVAL, NULL, "no layers");
        return NULL;
    }
    if (!(g = group_new(e, &o, sizeof o, err))) {
        hc_layers_free(layers);
        return NULL;
    }
    g->layers = layers;
    if (!g->id) {
        if (!(g->id = default_merged(layers, err))) {
            hc_group_free(g);
            return NULL;
        }
        g->own_file = 1;
    }
    for (size_t i = 0; rc == 0 && i < hc__layers_count(layers); i++) {
        const char *path;
        int flags;
        hc__layer_kind k = hc__layers_kind(layers, i, &path, &flags);
        if (k == HC__LAYER_FILE || k == HC__LAYER_DIR || k == HC__LAYER_GLOB)
            rc = add_target(g, k, path, flags, err);
        if (rc == HC_ENOENT && (flags & HC_LAYER_OPTIONAL)) {
            gtarget *t = &g->t[--g->nt]; /* optional, in a missing folder */
            free(t->prefix);
            free(t->pattern);
            free(t->exact);
            hc_error_init(err);
            rc = 0;
        }
    }
    if (rc == 0) {
        hc_error_init(&first);
        rc = merge_now(g, "initial", &first);
        if (rc != 0 && !(g->wo.flags & HC_WATCH_REQUIRE))
            rc = 0; /* reported; the next good merge goes live */
        else if (rc != 0 && err)
            *err = first;
    }
    if (rc != 0) {
        hc_group_free(g);
        return NULL;
    }
    return g;
}

hc_group *hc_group_watch_sized(hc_engine *e, const char *target,
                               const hc_group_options *opts, size_t opts_size,
                               hc_error *err)
{
    struct stat st;
    hc__layer_kind kind;
    hc_group *g;
    int rc;
    hc_error_init(err);
    if (!target || !*target) {
        gfail(err, HC_EINVAL, NULL, "no folder or pattern");
        return NULL;
    }
    if (opts && opts_size > offsetof(hc_group_options, flags) &&
        (opts->flags & HC_GROUP_MERGE)) {
        hc_layers_options lo;
        hc_layers *l;
        hc_layers_options_init(&lo);
        lo.ignore = opts->ignore;
        lo.parse = opts->watch ? opts->watch->parse : NULL;
        if (!(l = hc_layers_new(&lo))) {
            gfail(err, HC_ENOMEM, NULL, "out of memory");
            return NULL;
        }
        if ((rc = hc_layers_add_file(l, target, 0, err)) != 0) {
            hc_layers_free(l);
            return NULL;
        }
        return hc_group_watch_layers_sized(e, l, opts, opts_size, err);
    }
    kind = stat(target, &st) == 0 && S_ISDIR(st.st_mode) ? HC__LAYER_DIR
                                                         : HC__LAYER_GLOB;
    if (!(g = group_new(e, opts, opts ? opts_size : 0, err)))
        return NULL;
    if (!(g->id = strdup(target))) {
        gfail(err, HC_ENOMEM, NULL, "out of memory");
        hc_group_free(g);
        return NULL;
    }
    if ((rc = add_target(g, kind, target, 0, err)) != 0) {
        hc_group_free(g);
        return NULL;
    }
    {
        char **files;
        size_t n;
        if (hc__compose_list(kind, target, (const char *const *)g->ignore,
                             &files, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                add_file(g, files[i], "initial");
            hc__compose_list_free(files, n);
        }
    }
    return g;
}

const char *hc_group_id(const hc_group *g)
{
    return g ? g->id : NULL;
}

int hc_group_fd(const hc_group *g)
{
    return g ? g->ifd : -1;
}

size_t hc_group_count(const hc_group *g)
{
    if (!g)
        return 0;
    return g->merge ? (size_t)g->watching : g->nf;
}

void hc_group_free(hc_group *g)
{
    if (!g)
        return;
    if (g->started) {
        uint64_t one = 1;
        if (write(g->stopfd, &one, sizeof one) < 0) {
            /* an eventfd write fails only on overflow: it is awake */
        }
        pthread_join(g->thread, NULL);
    }
    if (g->stopfd >= 0)
        close(g->stopfd);
    for (size_t i = 0; i < g->nf; i++) {
        hc_engine_unwatch(g->e, g->f[i].path, NULL);
        free(g->f[i].path);
    }
    free(g->f);
    if (g->watching)
        hc_engine_unwatch(g->e, g->id, NULL);
    if (g->own_file)
        unlink(g->id);
    for (size_t i = 0; i < g->nt; i++) {
        free(g->t[i].prefix);
        free(g->t[i].pattern);
        free(g->t[i].exact);
        free(g->t[i].dir);
    }
    free(g->t);
    if (g->ifd >= 0)
        close(g->ifd);
    for (size_t i = 0; g->ignore && g->ignore[i]; i++)
        free(g->ignore[i]);
    free(g->ignore);
    hc_layers_free(g->layers);
    free(g->last);
    free(g->id);
    pthread_mutex_destroy(&g->lock);
    free(g);
}
