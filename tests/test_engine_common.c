/* test_engine_common.c - see test_engine_common.h. */
#include "test_engine_common.h"

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void te_rec_init(te_recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

void te_rec_free(te_recorder *r)
{
    for (size_t i = 0; i < r->n; i++)
        hc_doc_release(r->v[i].doc);
    free(r->v);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

static void push(te_recorder *r, const te_entry *e)
{
    pthread_mutex_lock(&r->mu);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        if (!r->v)
            abort();
    }
    r->v[r->n++] = *e;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

size_t te_rec_count(te_recorder *r)
{
    size_t n;
    pthread_mutex_lock(&r->mu);
    n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

te_entry te_rec_at(te_recorder *r, size_t i)
{
    te_entry e;
    pthread_mutex_lock(&r->mu);
    e = r->v[i];
    pthread_mutex_unlock(&r->mu);
    return e;
}

size_t te_rec_count_errors(te_recorder *r, int code)
{
    size_t k = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].is_error && (code == 0 || r->v[i].code == code))
            k++;
    pthread_mutex_unlock(&r->mu);
    return k;
}

size_t te_rec_count_changes(te_recorder *r)
{
    size_t k = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n; i++)
        if (!r->v[i].is_error)
            k++;
    pthread_mutex_unlock(&r->mu);
    return k;
}

int te_on_change(const hc_change_record *rec, void *ud)
{
    te_recorder *r = ud;
    te_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.path, sizeof e.path, "%s", rec->path);
    e.version = rec->version;
    e.trigger = rec->trigger;
    e.doc = hc_doc_retain((json_t *)rec->new_doc);
    e.nchanges = hc_changeset_count(rec->changes);
    push(r, &e);
    return r->fail_rc;
}

void te_on_error(const hc_error_record *rec, void *ud)
{
    te_recorder *r = ud;
    te_entry e;
    memset(&e, 0, sizeof e);
    e.is_error = 1;
    snprintf(e.path, sizeof e.path, "%s", rec->path);
    e.code = rec->error->code;
    e.line = rec->error->line;
    e.column = rec->error->column;
    hc_error_format(rec->error, e.text, sizeof e.text);
    e.live_version = rec->live_version;
    e.trigger = rec->trigger;
    push(r, &e);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int te_wait(hc_engine *e, int threaded, te_recorder *r, int (*pred)(void *),
            void *arg, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (!pred(arg)) {
        int64_t left = end - now_ms();
        if (left <= 0)
            return 0;
        if (!threaded) {
            hc_engine_dispatch(e, left > 50 ? 50 : (int)left);
        } else {
            struct timespec ts;
            pthread_mutex_lock(&r->mu);
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 20 * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&r->cv, &r->mu, &ts);
            pthread_mutex_unlock(&r->mu);
        }
    }
    return 1;
}

void te_idle(hc_engine *e, int threaded, int ms)
{
    int64_t end = now_ms() + ms;
    for (;;) {
        int64_t left = end - now_ms();
        if (left <= 0)
            return;
        if (threaded)
            usleep((useconds_t)left * 1000);
        else
            hc_engine_dispatch(e, (int)left);
    }
}

long long te_live_v(hc_engine *e, const char *path)
{
    json_t *doc = hc_config_get(e, path);
    long long v = -1;
    if (doc) {
        v = (long long)hc_get_int(doc, "v", -1, NULL);
        hc_doc_release(doc);
    }
    return v;
}

typedef struct wait_v_arg {
    hc_engine *e;
    te_recorder *r;
    const char *path;
    long long want;
    int stop_on_reject;
    size_t start, errors;
} wait_v_arg;

static int seen_v(void *p)
{
    wait_v_arg *a = p;
    int seen = 0;
    if (a->stop_on_reject && te_rec_count(a->r) > a->start &&
        te_rec_count_errors(a->r, 0) > a->errors)
        return 1; /* a rejection: the caller's checks will say why */
    if (te_live_v(a->e, a->path) != a->want)
        return 0;
    pthread_mutex_lock(&a->r->mu);
    for (size_t i = 0; i < a->r->n && !seen; i++)
        if (!a->r->v[i].is_error && a->r->v[i].doc &&
            hc_get_int(a->r->v[i].doc, "v", -1, NULL) == a->want)
            seen = 1;
    pthread_mutex_unlock(&a->r->mu);
    return seen;
}

int te_wait_v(hc_engine *e, int threaded, te_recorder *r, const char *path,
              long long want)
{
    wait_v_arg a = {e, r, path, want, 1, 0, 0};
    a.start = te_rec_count(r);
    a.errors = te_rec_count_errors(r, 0);
    return te_wait(e, threaded, r, seen_v, &a, TE_TIMEOUT_MS) &&
           te_live_v(e, path) == want;
}

int te_wait_v_any(hc_engine *e, int threaded, te_recorder *r, const char *path,
                  long long want)
{
    wait_v_arg a = {e, r, path, want, 0, 0, 0};
    return te_wait(e, threaded, r, seen_v, &a, TE_TIMEOUT_MS);
}

const char *te_ext(hc_format f)
{
    switch (f) {
    case HC_FORMAT_YAML: return "yaml";
    case HC_FORMAT_INI: return "ini";
    case HC_FORMAT_ENV: return "env";
    default: return "json";
    }
}

char *te_content(hc_format f, long long v)
{
    char *s = malloc(256);
    if (!s)
        abort();
    switch (f) {
    case HC_FORMAT_YAML: snprintf(s, 256, "v: %lld\nname: hotconf\n", v); break;
    case HC_FORMAT_INI:
        snprintf(s, 256, "; version %lld\nv = %lld\nname = hotconf\n", v, v);
        break;
    case HC_FORMAT_ENV:
        snprintf(s, 256, "# version %lld\nv=%lld\nname=hotconf\n", v, v);
        break;
    default: snprintf(s, 256, "{\"v\": %lld, \"name\": \"hotconf\"}\n", v);
    }
    return s;
}

const char *te_broken(hc_format f)
{
    switch (f) {
    case HC_FORMAT_YAML: return "v: 1\nv: 2\n"; /* duplicate key */
    case HC_FORMAT_INI: return "v = 1\n[unclosed section\n";
    case HC_FORMAT_ENV: return "v=1\nthis is not a key value line\n";
    default: return "{\"v\": 1,\n  \"name\": }\n";
    }
}

const char *te_pattern_name(te_pattern p)
{
    static const char *names[] = {
        "in-place",     "rename-over",  "delete-recreate", "move-away-back",
        "symlink-swap", "dir-recreate", "keep-open"};
    return names[p];
}

/* ---- writers -------------------------------------------------------------
 */

static void die(const char *what, const char *path)
{
    fprintf(stderr, "%s %s: %s\n", what, path, strerror(errno));
    abort();
}

static void write_fd(int fd, const char *data, const char *path)
{
    size_t len = strlen(data), off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0)
            die("write", path);
        off += (size_t)w;
    }
}

void te_write_inplace(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("open", path);
    write_fd(fd, data, path);
    if (close(fd) != 0)
        die("close", path);
}

void te_write_rename(const char *path, const char *data)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp~", path);
    te_write_inplace(tmp, data);
    if (rename(tmp, path) != 0)
        die("rename", tmp);
}

static char *dir_of(const char *path)
{
    char *d = strdup(path), *slash = strrchr(d, '/');
    if (slash)
        *slash = '\0';
    return d;
}

/* ConfigMap layout: DIR/NAME -> ..data/NAME, ..data -> ..vN (a dir). */
static int swap_gen;

static void k8s_publish(const char *path, const char *data)
{
    char *dir = dir_of(path);
    const char *name = strrchr(path, '/') + 1;
    char gen[1024], file[1200], tmplink[1024], datalink[1024], old[1024];
    ssize_t n;
    snprintf(gen, sizeof gen, "%s/..v%d", dir, ++swap_gen);
    snprintf(file, sizeof file, "%s/%s", gen, name);
    snprintf(tmplink, sizeof tmplink, "%s/..data_tmp", dir);
    snprintf(datalink, sizeof datalink, "%s/..data", dir);
    if (mkdir(gen, 0755) != 0)
        die("mkdir", gen);
    te_write_inplace(file, data);
    old[0] = '\0';
    n = readlink(datalink, old, sizeof old - 1);
    if (n > 0)
        old[n] = '\0';
    if (symlink(gen + strlen(dir) + 1, tmplink) != 0)
        die("symlink", tmplink);
    if (rename(tmplink, datalink) != 0)
        die("rename", tmplink);
    if (n > 0) {
        char *oldpath = tu_join(dir, old);
        tu_rmtree(oldpath);
        free(oldpath);
    }
    free(dir);
}

void te_setup(te_pattern p, const char *path, const char *data)
{
    char *dir = dir_of(path);
    struct stat st;
    if (stat(dir, &st) != 0 && mkdir(dir, 0755) != 0)
        die("mkdir", dir);
    if (p == TE_SYMLINK_SWAP) {
        char target[1024];
        k8s_publish(path, data);
        snprintf(target, sizeof target, "..data/%s", strrchr(path, '/') + 1);
        if (symlink(target, path) != 0)
            die("symlink", path);
    } else {
        te_write_inplace(path, data);
    }
    free(dir);
}

int te_save(te_pattern p, const char *path, const char *data)
{
    char other[1024];
    char *dir;
    int fd;
    switch (p) {
    case TE_INPLACE: te_write_inplace(path, data); break;
    case TE_RENAME: te_write_rename(path, data); break;
    case TE_DELETE_RECREATE:
        if (unlink(path) != 0)
            die("unlink", path);
        te_write_inplace(path, data);
        break;
    case TE_MOVE_AWAY_BACK:
        snprintf(other, sizeof other, "%s.away", path);
        if (rename(path, other) != 0)
            die("rename", path);
        te_write_inplace(other, data);
        if (rename(other, path) != 0)
            die("rename", other);
        break;
    case TE_SYMLINK_SWAP: k8s_publish(path, data); break;
    case TE_DIR_RECREATE:
        dir = dir_of(path);
        tu_rmtree(dir);
        if (mkdir(dir, 0755) != 0)
            die("mkdir", dir);
        free(dir);
        te_write_inplace(path, data);
        break;
    case TE_KEEP_OPEN:
        fd = open(path, O_WRONLY | O_TRUNC);
        if (fd < 0)
            die("open", path);
        write_fd(fd, data, path);
        return fd; /* no close: the settle timer must apply it */
    }
    return -1;
}
