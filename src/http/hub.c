/*
 * hub.c - hc_http_start/stop and the watcher thread. The thread samples
 * the engine's totals every 100 ms (one short lock in the engine); only
 * when they moved does it read each config's stats, last error and live
 * snapshot, record attempts, append SSE events and rewrite the dashboard
 * file. So the reload path pays nothing per SSE client: clients wait on
 * the hub's condition variable, never on the engine.
 */
#include "http_internal.h"
#include "mask.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define SAMPLE_MS 100

void hc_http_options_init(hc_http_options *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

int hc_http_has_server(void)
{
#ifdef HC_HAVE_MHD
    return 1;
#else
    return 0;
#endif
}

static void logf_(hc_http *h, int level, const char *fmt, ...) HC__PRINTF(3, 4);
static void logf_(hc_http *h, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!h->log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->log(level, msg, h->log_data);
}

/* ---- events -------------------------------------------------------------- */

void hc__http_event_locked(hc_http *h, const char *type, json_t *data)
{
    char *js = json_dumps(data, JSON_COMPACT), *text;
    size_t n;
    int k;
    json_decref(data);
    if (!js)
        return;
    n = strlen(js) + strlen(type) + 64;
    text = malloc(n);
    if (text) {
        h->seq++;
        snprintf(text, n, "id: %llu\nevent: %s\ndata: %s\n\n",
                 (unsigned long long)h->seq, type, js);
        k = (int)(h->seq % HC__HTTP_EVENTS);
        free(h->ring[k].text);
        h->ring[k].seq = h->seq;
        h->ring[k].text = text;
        pthread_cond_broadcast(&h->cond);
    }
    free(js);
}

static void timeline_locked(hc_http *h, int64_t ns, int ok)
{
    int64_t m = ns / 60000000000LL;
    int k = (int)(m % HC__HTTP_TIMELINE);
    if (h->tl_minute[k] != m) {
        h->tl_minute[k] = m;
        h->tl_ok[k] = h->tl_fail[k] = 0;
    }
    if (ok)
        h->tl_ok[k]++;
    else
        h->tl_fail[k]++;
}

/* ---- sampling --------------------------------------------------------------
 */

static void make_id(hc_http *h, hc__hcfg *c)
{
    const char *base = strrchr(c->path, '/');
    size_t o = 0;
    base = base && base[1] ? base + 1 : c->path;
    for (; *base && o < 64; base++) {
        unsigned char ch = (unsigned char)*base;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
                 ch == '-';
        c->id[o++] = ok ? (char)ch : '_';
    }
    if (o == 0 || (o <= 2 && c->id[0] == '.'))
        c->id[o++] = 'c';
    c->id[o] = '\0';
    /* two configs with one file name: the path's hash tells them apart */
    for (size_t i = 0; i < h->ncfg; i++)
        if (h->cfgs[i] != c && strcmp(h->cfgs[i]->id, c->id) == 0) {
            snprintf(
                c->id + o, sizeof c->id - o, "-%08llx",
                (unsigned long long)(XXH3_64bits(c->path, strlen(c->path)) &
                                     0xffffffffULL));
            break;
        }
}

static void cfg_free(hc__hcfg *c)
{
    if (!c)
        return;
    hc_doc_release(c->doc);
    json_decref(c->attempts);
    free(c->path);
    free(c);
}

static void attempt_locked(hc__hcfg *c, int64_t ns, const char *outcome,
                           uint64_t version, const char *error, json_t *latency,
                           json_t *changed)
{
    json_t *a = json_object();
    json_object_set_new(a, "time", hc__http_time(ns));
    json_object_set_new(a, "outcome", json_string(outcome));
    json_object_set_new(a, "version", json_integer((json_int_t)version));
    json_object_set_new(a, "error", error ? json_string(error) : json_null());
    json_object_set_new(a, "latency_us", latency ? latency : json_null());
    json_object_set_new(a, "changed", changed ? changed : json_array());
    json_array_insert_new(c->attempts, 0, a);
    while (json_array_size(c->attempts) > HC__HTTP_ATTEMPTS)
        json_array_remove(c->attempts, json_array_size(c->attempts) - 1);
}

static json_t *changed_paths(const json_t *a, const json_t *b)
{
    hc_changeset *cs = hc__http_diff(a, b);
    json_t *arr = json_array();
    for (size_t i = 0; cs && i < hc_changeset_count(cs); i++)
        json_array_append_new(arr, json_string(hc_changeset_at(cs, i)->path));
    hc_changeset_free(cs);
    return arr;
}

static json_t *summary_event(const hc__hcfg *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "version", json_integer((json_int_t)c->version));
    return o;
}

/* Reads one config from the engine (outside the hub lock). */
typedef struct fresh {
    hc_stats st;
    uint64_t version;
    json_t *doc;
    json_t *prev_doc; /* version - 1 when kept */
    int err_code;
    hc_error err;
    int64_t live_ns;
    hc_trigger trigger;
    hc_version_info hist[16]; /* newest first */
    int nhist;
} fresh;

static int read_fresh(hc_engine *e, const char *path, fresh *f)
{
    memset(f, 0, sizeof *f);
    if (hc_config_stats(e, path, &f->st) != 0)
        return -1;
    f->doc = hc_config_snapshot(e, path, &f->version);
    f->err_code = hc_config_last_error(e, path, &f->err);
    if (f->err_code == HC_ENOTWATCHED) {
        hc_doc_release(f->doc);
        return -1;
    }
    f->nhist = hc_history(e, path, f->hist, 16);
    if (f->nhist > 16)
        f->nhist = 16;
    /* the history may already hold a newer version than the snapshot */
    for (int k = 0; k < f->nhist; k++) {
        if (f->hist[k].version == f->version) {
            f->live_ns = f->hist[k].time_ns;
            f->trigger = f->hist[k].trigger;
        } else if (f->version > 1 && f->hist[k].version == f->version - 1 &&
                   hc_history_get(e, path, f->hist[k].version, NULL, NULL,
                                  &f->prev_doc) != 0) {
            f->prev_doc = NULL;
        }
    }
    return 0;
}

static const char *status_of(const fresh *f)
{
    if (f->err_code == HC_ENOENT)
        return "missing";
    if (f->err_code)
        return "rejected";
    return f->version ? "live" : "missing";
}

static void update_locked(hc_http *h, hc__hcfg *c, fresh *f, int is_new,
                          int64_t now)
{
    const char *status = status_of(f);
    uint64_t rej_before = c->st.parse_failures + c->st.validation_failures +
                          c->st.read_failures,
             rej_after = f->st.parse_failures + f->st.validation_failures +
                         f->st.read_failures;
    int moved = is_new;
    char ebuf[HC_ERROR_TEXT_LENGTH + HC_ERROR_SOURCE_LENGTH + 64];

    if (f->err_code)
        hc__mask_error_format(&f->err, NULL, NULL, ebuf, sizeof ebuf);
    if (is_new) {
        if (f->version)
            attempt_locked(c, f->live_ns, "applied", f->version, NULL, NULL,
                           changed_paths(NULL, f->doc));
        if (f->err_code)
            attempt_locked(c, now,
                           f->err_code == HC_ENOENT ? "missing" : "rejected",
                           f->version, ebuf, NULL, NULL);
        c->since_ns = f->err_code || !f->version ? now : f->live_ns;
    } else {
        if (f->version != c->version) {
            int rb = f->trigger == HC_TRIGGER_ROLLBACK;
            json_t *lat = NULL;
            /* versions committed between two samples, oldest first */
            for (int k = f->nhist - 1; k >= 0; k--) {
                const hc_version_info *vi = &f->hist[k];
                if (vi->version <= c->version || vi->version >= f->version)
                    continue;
                attempt_locked(c, vi->time_ns,
                               vi->trigger == HC_TRIGGER_ROLLBACK
                                   ? "rolled_back"
                                   : "applied",
                               vi->version, NULL, NULL, NULL);
                timeline_locked(h, vi->time_ns, 1);
            }
            if (f->st.latency_count != c->st.latency_count)
                lat = json_integer((json_int_t)(f->st.latency_last_ns / 1000));
            attempt_locked(
                c, f->live_ns ? f->live_ns : now,
                rb ? "rolled_back" : "applied", f->version, NULL, lat,
                changed_paths(f->prev_doc ? f->prev_doc : c->doc, f->doc));
            timeline_locked(h, now, 1);
            c->since_ns = f->live_ns ? f->live_ns : now;
            moved = 1;
        }
        if (rej_after != rej_before ||
            (f->err_code && (f->err_code != c->err_code ||
                             strcmp(f->err.text, c->err.text) != 0))) {
            int missing = f->err_code == HC_ENOENT;
            attempt_locked(c, now, missing ? "missing" : "rejected", f->version,
                           f->err_code ? ebuf : NULL, NULL, NULL);
            timeline_locked(h, now, 0);
            moved = 1;
        } else if (f->st.missing != c->st.missing) {
            attempt_locked(c, now, "missing", f->version,
                           f->err_code ? ebuf : NULL, NULL, NULL);
            timeline_locked(h, now, 0);
            moved = 1;
        }
        if (strcmp(status, c->status) != 0) {
            if (!(f->version != c->version))
                c->since_ns = now;
            moved = 1;
        }
        if (memcmp(&f->st, &c->st, sizeof f->st) != 0)
            moved = 1;
    }
    c->st = f->st;
    c->version = f->version;
    c->err_code = f->err_code;
    c->err = f->err;
    c->status = status;
    c->live_ns = f->live_ns;
    hc_doc_release(c->doc);
    c->doc = f->doc;
    f->doc = NULL;
    if (moved)
        hc__http_event_locked(h, "config", summary_event(c));
}

/* Returns 1 when anything changed. */
static int sample_configs(hc_http *h)
{
    json_t *sj = hc_engine_stats_json(h->e), *configs, *v;
    const char *path;
    int64_t now = hc__http_now_ns();
    int changed = 0;
    if (!sj)
        return 0;
    configs = json_object_get(sj, "configs");
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->ncfg; i++)
        h->cfgs[i]->seen = 0;
    pthread_mutex_unlock(&h->lock);
    json_object_foreach(configs, path, v)
    {
        fresh f;
        hc__hcfg *c = NULL;
        int is_new = 0;
        if (read_fresh(h->e, path, &f) != 0)
            continue;
        pthread_mutex_lock(&h->lock);
        for (size_t i = 0; i < h->ncfg && !c; i++)
            if (strcmp(h->cfgs[i]->path, path) == 0)
                c = h->cfgs[i];
        if (!c) {
            hc__hcfg **n = realloc(h->cfgs, (h->ncfg + 1) * sizeof *n);
            c = calloc(1, sizeof *c);
            if (n)
                h->cfgs = n;
            if (!n || !c || !(c->path = strdup(path)) ||
                !(c->attempts = json_array())) {
                cfg_free(c);
                pthread_mutex_unlock(&h->lock);
                hc_doc_release(f.doc);
                hc_doc_release(f.prev_doc);
                continue;
            }
            c->status = "missing";
            h->cfgs[h->ncfg++] = c;
            make_id(h, c);
            is_new = 1;
        }
        c->seen = 1;
        update_locked(h, c, &f, is_new, now);
        pthread_mutex_unlock(&h->lock);
        hc_doc_release(f.doc);
        hc_doc_release(f.prev_doc);
        changed = 1;
    }
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->ncfg;) {
        if (h->cfgs[i]->seen) {
            i++;
            continue;
        }
        {
            json_t *o = json_object();
            json_object_set_new(o, "id", json_string(h->cfgs[i]->id));
            hc__http_event_locked(h, "removed", o);
        }
        cfg_free(h->cfgs[i]);
        memmove(h->cfgs + i, h->cfgs + i + 1,
                (h->ncfg - i - 1) * sizeof *h->cfgs);
        h->ncfg--;
        changed = 1;
    }
    pthread_mutex_unlock(&h->lock);
    json_decref(sj);
    return changed;
}

static void write_dashboard(hc_http *h)
{
    json_t *st;
    char *page;
    size_t len;
    hc_error err;
    if (!h->dashboard_file)
        return;
    st = hc__http_state(h);
    page = st ? hc__http_static_page(st, &len) : NULL;
    json_decref(st);
    if (!page)
        return;
    hc_error_init(&err);
    /* Mode 0644 always (hc_dashboard_export's contract), not the old file's. */
    if (hc__write_atomic(h->dashboard_file, page, len, 0644, 0, &err) != 0)
        logf_(h, HC_LOG_WARN, "dashboard file: %s", err.text);
    free(page);
}

void hc__http_sample(hc_http *h, int force)
{
    hc_stats t;
    int moved;
    /* two samplers at once could apply their readings out of order */
    pthread_mutex_lock(&h->sample_lock);
    hc_engine_stats(h->e, &t);
    pthread_mutex_lock(&h->lock);
    moved = force || !h->sampled || memcmp(&t, &h->last_total, sizeof t) != 0;
    h->last_total = t;
    h->sampled = 1;
    pthread_mutex_unlock(&h->lock);
    if (moved && sample_configs(h))
        write_dashboard(h);
    pthread_mutex_unlock(&h->sample_lock);
}

static void *watcher(void *arg)
{
    hc_http *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        struct timespec ts;
        pthread_mutex_unlock(&h->lock);
        hc__http_sample(h, 0);
        pthread_mutex_lock(&h->lock);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += SAMPLE_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!h->stopping) {
            /* h->cond is also the SSE wake-up; a broadcast only ends this
             * wait early, which is harmless */
            if (pthread_cond_timedwait(&h->cond, &h->lock, &ts) == ETIMEDOUT)
                break;
        }
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* ---- token -----------------------------------------------------------------
 */

static int mkdir_p(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++)
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST)
                return -1;
            buf[i] = c;
        }
    return 0;
}

static int load_token(hc_http *h, hc_error *err)
{
    char file[4200];
    unsigned char raw[32];
    int fd;
    ssize_t n;
    snprintf(file, sizeof file, "%s/http.token", h->state_dir);
    fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0) {
        n = read(fd, h->token, sizeof h->token - 1);
        close(fd);
        while (n > 0 && (h->token[n - 1] == '\n' || h->token[n - 1] == '\r'))
            n--;
        if (n < 16) {
            hc__error_set(err, HC_ESYS, file, 0, 0, 0,
                          "token file is empty or too short (16+ chars)");
            return -1;
        }
        h->token[n] = '\0';
        return 0;
    }
    if (errno != ENOENT || mkdir_p(h->state_dir) != 0) {
        hc__error_set(err, HC_ESYS, file, 0, 0, 0, "cannot read the token: %s",
                      strerror(errno));
        return -1;
    }
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        hc__error_set(err, HC_ESYS, file, 0, 0, 0, "getrandom: %s",
                      strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(h->token + 2 * i, 3, "%02x", raw[i]);
    /* O_EXCL: two processes starting at once agree on the first file */
    fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == EEXIST)
        return load_token(h, err);
    if (fd < 0 || write(fd, h->token, 64) != 64 || write(fd, "\n", 1) != 1 ||
        fsync(fd) != 0) {
        hc__error_set(err, HC_ESYS, file, 0, 0, 0, "cannot write the token: %s",
                      strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(file);
        }
        return -1;
    }
    close(fd);
    logf_(h, HC_LOG_INFO, "http: new token written to %s", file);
    return 0;
}

static char *default_state_dir(void)
{
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char buf[4096];
    /* the same folder as the state store's (cli/state.c on the state
     * branch): root's is /var/lib/hotconf */
    if (geteuid() == 0)
        snprintf(buf, sizeof buf, "/var/lib/hotconf");
    else if (x && *x == '/')
        snprintf(buf, sizeof buf, "%s/hotconf", x);
    else if (home && *home)
        snprintf(buf, sizeof buf, "%s/.local/state/hotconf", home);
    else
        return NULL;
    return strdup(buf);
}

/* ---- life cycle ------------------------------------------------------------
 */

static hc_http *hub_new(hc_engine *e)
{
    hc_http *h = calloc(1, sizeof *h);
    pthread_condattr_t ca;
    if (!h)
        return NULL;
    h->e = e;
    h->started_ns = hc__http_now_ns();
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->sample_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cond, &ca);
    pthread_condattr_destroy(&ca);
    return h;
}

void hc__http_hub_free(hc_http *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->ncfg; i++)
        cfg_free(h->cfgs[i]);
    free(h->cfgs);
    for (int i = 0; i < HC__HTTP_EVENTS; i++)
        free(h->ring[i].text);
    free(h->address);
    free(h->state_dir);
    free(h->dashboard_file);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->sample_lock);
    free(h);
}

hc_http *hc__http_snapshot_hub(hc_engine *e)
{
    hc_http *h = hub_new(e);
    if (h)
        hc__http_sample(h, 1);
    return h;
}

hc_http *hc_http_start(hc_engine *e, const hc_http_options *opts, hc_error *err)
{
    hc_http_options o;
    hc_http *h;
    if (err)
        hc_error_init(err);
    hc_http_options_init(&o);
    if (opts) {
        /* a program built against an older, shorter struct: its fields
         * only, the rest keeps the defaults */
        memcpy(&o, opts,
               opts->size && opts->size < sizeof o ? opts->size : sizeof o);
        o.size = sizeof o;
    }
    if (!e || o.port < HC_HTTP_NO_LISTEN || o.port > 65535 ||
        o.max_connections < 0 || o.timeout_s < 0) {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0,
                      "hc_http_start: bad options");
        return NULL;
    }
    if (o.port != HC_HTTP_NO_LISTEN && !hc_http_has_server()) {
        hc__error_set(err, HC_ENOTSUP, NULL, 0, 0, 0,
                      "built without the HTTP server (HC_WITH_HTTP=OFF)");
        return NULL;
    }
    if (!(h = hub_new(e)))
        goto nomem;
    h->port = o.port;
    h->max_connections = o.max_connections ? o.max_connections : 64;
    h->timeout_s = o.timeout_s ? o.timeout_s : 10;
    h->max_header_bytes = o.max_header_bytes ? o.max_header_bytes : 16384;
    h->max_body_bytes = o.max_body_bytes ? o.max_body_bytes : 4096;
    h->log = o.log;
    h->log_data = o.log_data;
    h->address = strdup(o.address ? o.address : "127.0.0.1");
    h->state_dir = o.state_dir ? strdup(o.state_dir) : default_state_dir();
    if (o.dashboard_file && !(h->dashboard_file = strdup(o.dashboard_file)))
        goto nomem;
    if (!h->address)
        goto nomem;
    if (o.token) {
        if (strlen(o.token) < 16 || strlen(o.token) >= sizeof h->token) {
            hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0,
                          "the token must have 16 to 79 characters");
            hc__http_hub_free(h);
            return NULL;
        }
        snprintf(h->token, sizeof h->token, "%s", o.token);
    } else if (h->port != HC_HTTP_NO_LISTEN) {
        if (!h->state_dir) {
            hc__error_set(
                err, HC_EINVAL, NULL, 0, 0, 0,
                "no token and no state folder (set HOME or state_dir)");
            hc__http_hub_free(h);
            return NULL;
        }
        if (load_token(h, err) != 0) {
            hc__http_hub_free(h);
            return NULL;
        }
    }
    hc__http_sample(h, 1);
    if (h->port != HC_HTTP_NO_LISTEN && hc__http_server_start(h, err) != 0) {
        hc__http_hub_free(h);
        return NULL;
    }
    if (pthread_create(&h->thread, NULL, watcher, h) != 0) {
        hc__error_set(err, HC_ESYS, NULL, 0, 0, 0, "cannot create a thread");
        hc__http_server_stop(h);
        hc__http_hub_free(h);
        return NULL;
    }
    h->thread_started = 1;
    return h;
nomem:
    hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
    hc__http_hub_free(h);
    return NULL;
}

void hc_http_stop(hc_http *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = 1;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    hc__http_server_stop(h);
    if (h->thread_started)
        pthread_join(h->thread, NULL);
    hc__http_sample(h, 1);
    write_dashboard(h);
    hc__http_hub_free(h);
}

int hc_http_port(const hc_http *h)
{
    return h && h->port > 0 ? h->port : 0;
}

const char *hc_http_token(const hc_http *h)
{
    return h ? h->token : NULL;
}

int hc_dashboard_export(hc_engine *e, const char *file, hc_error *err)
{
    hc_http *h;
    json_t *st;
    char *page;
    size_t len;
    int rc;
    if (err)
        hc_error_init(err);
    if (!e || !file) {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0,
                      "hc_dashboard_export: NULL");
        return HC_EINVAL;
    }
    h = hc__http_snapshot_hub(e);
    st = h ? hc__http_state(h) : NULL;
    page = st ? hc__http_static_page(st, &len) : NULL;
    json_decref(st);
    hc__http_hub_free(h);
    if (!page) {
        hc__error_set(err, HC_ENOMEM, file, 0, 0, 0, "out of memory");
        return HC_ENOMEM;
    }
    rc = hc__write_atomic(file, page, len, 0644, 0, err) == 0 ? 0 : HC_ESYS;
    free(page);
    return rc;
}

#ifndef HC_HAVE_MHD
/* Built without libmicrohttpd: hc_http_start refuses a listener before it
 * gets here, so these only keep the link whole. */
int hc__http_server_start(hc_http *h, hc_error *err)
{
    (void)h;
    hc__error_set(err, HC_ENOTSUP, NULL, 0, 0, 0,
                  "no HTTP server in this build");
    return -1;
}

void hc__http_server_stop(hc_http *h)
{
    (void)h;
}
#endif
