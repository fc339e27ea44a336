/*
 * hub.c - hc_http_start/stop and the hub thread. The hub follows the
 * engine through an engine-wide subscription (hc_engine_subscribe): the
 * engine's callback only queues a copy of each change, rejection and
 * removal; the hub thread then reads the configs they name (stats, last
 * error, live snapshot), appends one SSE event per engine event and
 * rewrites the dashboard file. So the reload path pays a malloc and a
 * short lock per event, nothing per SSE client: clients wait on the hub's
 * condition variable, never on the engine.
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

static void timeline_locked(hc_http *h, int64_t ns, uint32_t ok, uint32_t fail)
{
    int64_t m = ns / 60000000000LL;
    int k = (int)(m % HC__HTTP_TIMELINE);
    if (h->tl_minute[k] != m) {
        h->tl_minute[k] = m;
        h->tl_ok[k] = h->tl_fail[k] = 0;
    }
    h->tl_ok[k] += ok;
    h->tl_fail[k] += fail;
}

/* ---- per-config state ------------------------------------------------------
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
    free(c->path);
    free(c);
}

static hc__hcfg *find_path_locked(hc_http *h, const char *path, size_t *at)
{
    for (size_t i = 0; i < h->ncfg; i++)
        if (strcmp(h->cfgs[i]->path, path) == 0) {
            if (at)
                *at = i;
            return h->cfgs[i];
        }
    return NULL;
}

static hc__hcfg *add_locked(hc_http *h, const char *path)
{
    hc__hcfg **n = realloc(h->cfgs, (h->ncfg + 1) * sizeof *n);
    hc__hcfg *c = calloc(1, sizeof *c);
    if (n)
        h->cfgs = n;
    if (!n || !c || !(c->path = strdup(path))) {
        cfg_free(c);
        return NULL;
    }
    c->status = "missing";
    h->cfgs[h->ncfg++] = c;
    make_id(h, c);
    return c;
}

static void remove_locked(hc_http *h, size_t i)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(h->cfgs[i]->id));
    hc__http_event_locked(h, "removed", o);
    cfg_free(h->cfgs[i]);
    memmove(h->cfgs + i, h->cfgs + i + 1, (h->ncfg - i - 1) * sizeof *h->cfgs);
    h->ncfg--;
}

static json_t *summary_event(const hc__hcfg *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "version", json_integer((json_int_t)c->version));
    return o;
}

/* One config as the engine has it now (read outside the hub lock). */
typedef struct fresh {
    hc_stats st;
    uint64_t version;
    json_t *doc;
    int err_code;
    hc_error err;
    int64_t live_ns;
} fresh;

static int read_fresh(hc_engine *e, const char *path, fresh *f)
{
    hc_version_info hist[16];
    int nhist;
    memset(f, 0, sizeof *f);
    if (hc_config_stats(e, path, &f->st) != 0)
        return -1;
    f->doc = hc_config_snapshot(e, path, &f->version);
    f->err_code = hc_config_last_error(e, path, &f->err);
    if (f->err_code == HC_ENOTWATCHED) {
        hc_doc_release(f->doc);
        return -1;
    }
    /* when the live version became live; the history may already hold a
     * newer version than the snapshot */
    nhist = hc_history(e, path, hist, 16);
    for (int k = 0; k < nhist && k < 16; k++)
        if (hist[k].version == f->version)
            f->live_ns = hist[k].time_ns;
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

static uint64_t failures_of(const hc_stats *s)
{
    return s->parse_failures + s->validation_failures + s->read_failures +
           s->missing;
}

/* Takes f into c. The reloads-over-time chart counts the counters' moves,
 * so versions and failures are counted exactly even when several come
 * with one reading (or after a queue overflow). emit: an SSE "config"
 * event when anything moved (a full sample); the event path sends its
 * own, one per engine event. Returns 1 when anything moved. */
static int update_locked(hc_http *h, hc__hcfg *c, fresh *f, int is_new,
                         int64_t now, int emit)
{
    const char *status = status_of(f);
    int moved = is_new || f->version != c->version ||
                strcmp(status, c->status) != 0 || f->err_code != c->err_code ||
                (f->err_code && strcmp(f->err.text, c->err.text) != 0) ||
                memcmp(&f->st, &c->st, sizeof f->st) != 0;

    if (is_new) {
        c->since_ns = f->err_code || !f->version ? now : f->live_ns;
    } else {
        uint64_t ok = (f->st.reloads + f->st.rollbacks) -
                      (c->st.reloads + c->st.rollbacks),
                 bad = failures_of(&f->st) - failures_of(&c->st);
        if (ok || bad)
            timeline_locked(h, now, (uint32_t)ok, (uint32_t)bad);
        if (f->version != c->version)
            c->since_ns = f->live_ns ? f->live_ns : now;
        else if (strcmp(status, c->status) != 0)
            c->since_ns = now;
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
    if (moved && emit)
        hc__http_event_locked(h, "config", summary_event(c));
    return moved;
}

/* Reads path again: adds it, updates it, or (no longer watched) removes
 * it. Under h->sample_lock. */
static void refresh(hc_http *h, const char *path, int emit, int64_t now)
{
    fresh f;
    hc__hcfg *c;
    size_t at = 0;
    int ok = read_fresh(h->e, path, &f) == 0, is_new = 0;
    pthread_mutex_lock(&h->lock);
    c = find_path_locked(h, path, &at);
    if (!ok) {
        if (c)
            remove_locked(h, at);
    } else {
        if (!c && (c = add_locked(h, path)) != NULL)
            is_new = 1;
        if (c) {
            c->seen = 1;
            update_locked(h, c, &f, is_new, now, emit);
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (ok)
        hc_doc_release(f.doc);
}

/* Every config the engine watches (and forgets those it no longer
 * does). */
static void sample_all(hc_http *h)
{
    json_t *sj = hc_engine_stats_json(h->e), *v;
    const char *path;
    int64_t now = hc__http_now_ns();
    if (!sj)
        return;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->ncfg; i++)
        h->cfgs[i]->seen = 0;
    pthread_mutex_unlock(&h->lock);
    json_object_foreach(json_object_get(sj, "configs"), path, v)
    {
        refresh(h, path, 1, now);
    }
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->ncfg;) {
        if (h->cfgs[i]->seen)
            i++;
        else
            remove_locked(h, i);
    }
    pthread_mutex_unlock(&h->lock);
    json_decref(sj);
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

void hc__http_sample(hc_http *h)
{
    pthread_mutex_lock(&h->sample_lock);
    sample_all(h);
    pthread_mutex_unlock(&h->sample_lock);
    write_dashboard(h);
}

void hc__http_refresh(hc_http *h, const char *path)
{
    pthread_mutex_lock(&h->sample_lock);
    refresh(h, path, 0, hc__http_now_ns());
    pthread_mutex_unlock(&h->sample_lock);
}

/* ---- engine events ---------------------------------------------------------
 *
 * The engine calls on_event on its delivery worker, after the config's own
 * subscribers. It only copies the event into the hub's queue and wakes the
 * hub thread: no hub lock, no JSON, no I/O, so an SSE client, a slow view
 * or a dashboard file on a slow disk never holds up the engine's delivery.
 */

static void on_event(const hc_event *ev, void *data)
{
    hc_http *h = data;
    size_t pl = strlen(ev->id) + 1;
    hc__hev *x = malloc(sizeof *x + pl);
    pthread_mutex_lock(&h->q_lock);
    if (!x || h->q_len >= HC__HTTP_QUEUE) {
        h->q_overflow = 1; /* the hub thread reads everything again */
        free(x);
    } else {
        memset(x, 0, sizeof *x);
        x->kind = ev->kind;
        x->time_ns = hc__http_now_ns();
        memcpy(x->path, ev->id, pl);
        if (ev->kind == HC_EVENT_CHANGE && ev->change) {
            x->version = ev->change->version;
            x->trigger = ev->change->trigger;
            x->latency_us =
                (ev->change->applied_ns - ev->change->detected_ns) / 1000;
        } else if (ev->kind == HC_EVENT_REJECTION && ev->error) {
            x->version = ev->error->live_version;
            x->trigger = ev->error->trigger;
            if (ev->error->error) {
                x->err = *ev->error->error;
                x->has_err = 1;
            }
        }
        if (h->q_tail)
            h->q_tail->next = x;
        else
            h->q_head = x;
        h->q_tail = x;
        h->q_len++;
    }
    pthread_cond_signal(&h->q_cond);
    pthread_mutex_unlock(&h->q_lock);
}

/* The SSE event of one engine event: what happened then (each version of
 * a quick series gets its own), not only where the config is now. */
static json_t *event_json(const hc__hcfg *c, const hc__hev *x)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(
        o, "kind",
        json_string(x->kind == HC_EVENT_CHANGE ? "change" : "rejection"));
    char buf[HC_ERROR_TEXT_LENGTH + HC_ERROR_SOURCE_LENGTH + 64];
    json_object_set_new(o, "status",
                        json_string(x->kind == HC_EVENT_CHANGE ? "live"
                                    : x->has_err && x->err.code == HC_ENOENT
                                        ? "missing"
                                        : "rejected"));
    json_object_set_new(o, "version", json_integer((json_int_t)x->version));
    json_object_set_new(o, "trigger", json_string(hc_trigger_name(x->trigger)));
    json_object_set_new(o, "time", hc__http_time(x->time_ns));
    if (x->kind == HC_EVENT_CHANGE)
        json_object_set_new(o, "latency_us",
                            json_integer((json_int_t)x->latency_us));
    else
        json_object_set_new(o, "error",
                            x->has_err
                                ? json_string(hc__mask_error_format(
                                      &x->err, NULL, NULL, buf, sizeof buf))
                                : json_null());
    return o;
}

/* Takes a batch of events: each config they name is read again once,
 * then each event goes to the SSE clients in order. */
static void handle(hc_http *h, hc__hev *list, int overflow)
{
    int64_t now = hc__http_now_ns();
    pthread_mutex_lock(&h->sample_lock);
    if (overflow)
        sample_all(h);
    for (hc__hev *x = list; x; x = x->next) {
        int dup = 0;
        for (hc__hev *y = list; y != x && !dup; y = y->next)
            dup = strcmp(y->path, x->path) == 0;
        if (!dup && !overflow)
            refresh(h, x->path, 0, now);
    }
    pthread_mutex_lock(&h->lock);
    for (hc__hev *x = list; x; x = x->next) {
        hc__hcfg *c = find_path_locked(h, x->path, NULL);
        if (c && x->kind != HC_EVENT_REMOVAL)
            hc__http_event_locked(h, "config", event_json(c, x));
    }
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&h->sample_lock);
    write_dashboard(h);
}

static void free_events(hc__hev *x)
{
    while (x) {
        hc__hev *next = x->next;
        free(x);
        x = next;
    }
}

static void *watcher(void *arg)
{
    hc_http *h = arg;
    pthread_mutex_lock(&h->q_lock);
    for (;;) {
        hc__hev *list;
        int overflow;
        /* No timer: everything the pages show per config (status,
         * version, counters, latency, the chart) moves only with an engine
         * event and is read again then; what moves without one (the
         * engine's totals: unchanged, rescans) /api/stats and /metrics
         * read from the engine on each request. */
        while (!h->q_head && !h->q_overflow && !h->q_stopping)
            pthread_cond_wait(&h->q_cond, &h->q_lock);
        if (h->q_stopping)
            break; /* hc_http_stop reads everything a last time */
        list = h->q_head;
        h->q_head = h->q_tail = NULL;
        h->q_len = 0;
        overflow = h->q_overflow;
        h->q_overflow = 0;
        pthread_mutex_unlock(&h->q_lock);
        handle(h, list, overflow);
        free_events(list);
        pthread_mutex_lock(&h->q_lock);
    }
    pthread_mutex_unlock(&h->q_lock);
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
    pthread_mutex_init(&h->q_lock, NULL);
    pthread_cond_init(&h->q_cond, NULL);
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
    free_events(h->q_head);
    pthread_cond_destroy(&h->q_cond);
    pthread_mutex_destroy(&h->q_lock);
    free(h);
}

hc_http *hc__http_snapshot_hub(hc_engine *e)
{
    hc_http *h = hub_new(e);
    if (h)
        hc__http_sample(h);
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
    /* Subscribed before the first reading: a change made in between is
     * in both, never in neither. */
    h->subscription = hc_engine_subscribe(e, on_event, h, err);
    if (h->subscription <= 0) {
        hc__http_hub_free(h);
        return NULL;
    }
    hc__http_sample(h);
    if (h->port != HC_HTTP_NO_LISTEN && hc__http_server_start(h, err) != 0) {
        hc_engine_unsubscribe(e, h->subscription, NULL);
        hc__http_hub_free(h);
        return NULL;
    }
    if (hc__thread_start(&h->thread, watcher, h) != 0) {
        hc__error_set(err, HC_ESYS, NULL, 0, 0, 0, "cannot create a thread");
        hc_engine_unsubscribe(e, h->subscription, NULL);
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
    /* waits for an on_event in progress: none runs after this */
    if (h->subscription > 0)
        hc_engine_unsubscribe(h->e, h->subscription, NULL);
    pthread_mutex_lock(&h->q_lock);
    h->q_stopping = 1;
    pthread_cond_signal(&h->q_cond);
    pthread_mutex_unlock(&h->q_lock);
    pthread_mutex_lock(&h->lock);
    h->stopping = 1;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    hc__http_server_stop(h);
    if (h->thread_started)
        pthread_join(h->thread, NULL);
    hc__http_sample(h); /* and the dashboard file a last time */
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
