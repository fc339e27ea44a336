/*
 * views.c - what the dashboard shows, as JSON (the API and the static
 * page share these) and as Prometheus text. Config values leave here only
 * through hc__http_mask: secrets are masked once, in one place.
 */
#include "http_internal.h"
#include "mask.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MASK HC__MASK /* "***", as the CLI prints it */

int64_t hc__http_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

json_t *hc__http_time(int64_t ns)
{
    char buf[HC__TIME_TEXT];
    if (ns <= 0 || !hc__time_text(ns, buf))
        return json_null();
    return json_string(buf);
}

/* The rules are src/mask.c's, the CLI's: one list, one spelling. */
int hc__http_secret_key(const char *key)
{
    return hc__mask_key(key, NULL);
}

json_t *hc__http_mask(const json_t *v)
{
    return hc__mask_copy(v, NULL, NULL, MASK);
}

/* Any object key of an hc_get path ("a.b", a["x.y"], a[3]) a secret? A
 * change inside a secret object ("db.password.x", "credentials.user") is
 * as secret as the object, which the document view masks whole. */
static int path_secret(const char *path)
{
    return hc__mask_path(path, NULL, NULL);
}

hc_changeset *hc__http_diff(const json_t *a, const json_t *b)
{
    /* Private copies: hc_diff takes references with jansson's inline
     * json_incref, which ThreadSanitizer sees racing with the engine's
     * own references to the live documents (jansson issue #648). */
    json_t *ca = a ? json_deep_copy(a) : NULL,
           *cb = b ? json_deep_copy(b) : NULL;
    hc_changeset *cs = hc_diff(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return cs;
}

/* [{"path","op","old","new"}] from a to b, masked. */
static json_t *masked_diff(const json_t *a, const json_t *b)
{
    hc_changeset *cs = hc__http_diff(a, b);
    json_t *arr = json_array();
    for (size_t i = 0; cs && i < hc_changeset_count(cs); i++) {
        const hc_change *c = hc_changeset_at(cs, i);
        int secret = path_secret(c->path);
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string(c->path));
        json_object_set_new(o, "op", json_string(hc_change_op_name(c->op)));
        if (c->old_value)
            json_object_set_new(o, "old",
                                secret ? json_string(MASK)
                                       : hc__http_mask(c->old_value));
        if (c->new_value)
            json_object_set_new(o, "new",
                                secret ? json_string(MASK)
                                       : hc__http_mask(c->new_value));
        json_array_append_new(arr, o);
    }
    hc_changeset_free(cs);
    return arr;
}

/* Upper bound (us) of the bucket holding quantile q, or null. */
static json_t *quantile_us(const hc_stats *s, double q)
{
    uint64_t total = 0, acc = 0;
    for (int i = 0; i < HC_STATS_BUCKETS; i++)
        total += s->latency_hist[i];
    if (!total)
        return json_null();
    for (int i = 0; i < HC_STATS_BUCKETS; i++) {
        acc += s->latency_hist[i];
        if ((double)acc >= q * (double)total)
            return json_integer(i == HC_STATS_BUCKETS - 1
                                    ? (json_int_t)1 << (i - 1)
                                    : (json_int_t)1 << i);
    }
    return json_null();
}

static uint64_t failures(const hc_stats *s)
{
    return s->parse_failures + s->validation_failures + s->read_failures +
           s->missing;
}

static json_t *summary_locked(const hc__hcfg *c)
{
    json_t *o = json_object();
    char buf[HC_ERROR_TEXT_LENGTH + HC_ERROR_SOURCE_LENGTH + 64];
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "config", json_string(c->path));
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "version", json_integer((json_int_t)c->version));
    json_object_set_new(o, "since", hc__http_time(c->since_ns));
    if (c->err_code) {
        json_t *pos = json_object();
        json_object_set_new(o, "last_error",
                            json_string(hc__mask_error_format(
                                &c->err, NULL, NULL, buf, sizeof buf)));
        json_object_set_new(pos, "line", json_integer(c->err.line));
        json_object_set_new(pos, "column", json_integer(c->err.column));
        if (c->err.pointer[0])
            json_object_set_new(pos, "pointer", json_string(c->err.pointer));
        json_object_set_new(pos, "code", json_string(hc_err_name(c->err.code)));
        json_object_set_new(o, "error_position", pos);
    } else {
        json_object_set_new(o, "last_error", json_null());
    }
    json_object_set_new(o, "live_since", hc__http_time(c->live_ns));
    json_object_set_new(o, "reloads", json_integer((json_int_t)c->st.reloads));
    json_object_set_new(o, "rollbacks",
                        json_integer((json_int_t)c->st.rollbacks));
    json_object_set_new(o, "failures",
                        json_integer((json_int_t)failures(&c->st)));
    json_object_set_new(o, "latency_p50_us", quantile_us(&c->st, 0.50));
    json_object_set_new(o, "latency_p99_us", quantile_us(&c->st, 0.99));
    return o;
}

json_t *hc__http_configs(hc_http *h)
{
    json_t *arr = json_array(), *o = json_object();
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->ncfg; i++)
        json_array_append_new(arr, summary_locked(h->cfgs[i]));
    pthread_mutex_unlock(&h->lock);
    json_object_set_new(o, "configs", arr);
    return o;
}

static hc__hcfg *find_locked(hc_http *h, const char *id)
{
    for (size_t i = 0; i < h->ncfg; i++)
        if (strcmp(h->cfgs[i]->id, id) == 0)
            return h->cfgs[i];
    return NULL;
}

char *hc__http_path_of(hc_http *h, const char *id)
{
    char *p = NULL;
    hc__hcfg *c;
    pthread_mutex_lock(&h->lock);
    c = find_locked(h, id);
    if (c)
        p = strdup(c->path);
    pthread_mutex_unlock(&h->lock);
    return p;
}

/* build(config) under the hub lock, or 404 when id is not known. */
static json_t *of_config(hc_http *h, const char *id, int *status,
                         json_t *(*build)(const hc__hcfg *c))
{
    json_t *o = NULL;
    hc__hcfg *c;
    pthread_mutex_lock(&h->lock);
    c = find_locked(h, id);
    if (c)
        o = build(c);
    pthread_mutex_unlock(&h->lock);
    *status = o ? 200 : 404;
    return o;
}

static json_t *config_locked(const hc__hcfg *c)
{
    json_t *o = summary_locked(c);
    json_object_set_new(o, "document", hc__http_mask(c->doc));
    return o;
}

json_t *hc__http_config(hc_http *h, const char *id, int *status)
{
    return of_config(h, id, status, config_locked);
}

/* History entries (newest first) with each version's diff against the
 * previous kept one. */
static json_t *history_of(hc_engine *e, const char *path)
{
    hc_version_info info[64];
    json_t *arr = json_array(), *docs[64];
    int n = hc_history(e, path, info, 64);
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        docs[i] = NULL;
        if (hc_history_get(e, path, info[i].version, NULL, NULL, &docs[i]) != 0)
            docs[i] = NULL;
    }
    for (int i = 0; i < n; i++) {
        json_t *o = json_object();
        char hash[24];
        snprintf(hash, sizeof hash, "%016llx",
                 (unsigned long long)info[i].hash);
        json_object_set_new(o, "version",
                            json_integer((json_int_t)info[i].version));
        json_object_set_new(o, "live", json_boolean(i == 0));
        json_object_set_new(o, "time", hc__http_time(info[i].time_ns));
        json_object_set_new(o, "trigger",
                            json_string(hc_trigger_name(info[i].trigger)));
        json_object_set_new(o, "hash", json_string(hash));
        json_object_set_new(o, "size", json_integer((json_int_t)info[i].size));
        if (i + 1 < n)
            json_object_set_new(o, "previous",
                                json_integer((json_int_t)info[i + 1].version));
        json_object_set_new(
            o, "changes", masked_diff(i + 1 < n ? docs[i + 1] : NULL, docs[i]));
        json_array_append_new(arr, o);
    }
    /* shared with the engine: released atomically (see hc_doc_release) */
    for (int i = 0; i < n; i++)
        hc_doc_release(docs[i]);
    return arr;
}

json_t *hc__http_history(hc_http *h, const char *id, int *status)
{
    char *path = hc__http_path_of(h, id);
    json_t *o;
    *status = 404;
    if (!path)
        return NULL;
    o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "history", history_of(h->e, path));
    free(path);
    *status = 200;
    return o;
}

json_t *hc__http_version(hc_http *h, const char *id, uint64_t version,
                         int *status)
{
    char *path = hc__http_path_of(h, id);
    hc_version_info info[64];
    json_t *doc = NULL, *prev = NULL, *o;
    int n, at = -1;
    *status = 404;
    if (!path)
        return NULL;
    n = hc_history(h->e, path, info, 64);
    for (int i = 0; i < n && i < 64; i++)
        if (info[i].version == version)
            at = i;
    if (at < 0 || hc_history_get(h->e, path, version, NULL, NULL, &doc) != 0) {
        free(path);
        return NULL;
    }
    if (at + 1 < n && at + 1 < 64)
        hc_history_get(h->e, path, info[at + 1].version, NULL, NULL, &prev);
    o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "version", json_integer((json_int_t)version));
    json_object_set_new(o, "live", json_boolean(at == 0));
    json_object_set_new(o, "time", hc__http_time(info[at].time_ns));
    json_object_set_new(o, "trigger",
                        json_string(hc_trigger_name(info[at].trigger)));
    json_object_set_new(o, "document", hc__http_mask(doc));
    json_object_set_new(o, "changes", masked_diff(prev, doc));
    hc_doc_release(doc);
    hc_doc_release(prev);
    free(path);
    *status = 200;
    return o;
}

/* The store's attempt log (the persisted one with a state store), with
 * the field names of `hotconf log --json`. Changed paths are listed as
 * they are, as the CLI does; only values are masked. */
json_t *hc__http_attempts(hc_http *h, const char *id, int *status)
{
    char *path = hc__http_path_of(h, id);
    hc_attempt_info *as;
    json_t *arr, *o;
    int n;
    *status = 404;
    if (!path)
        return NULL;
    as = calloc(HC__HTTP_ATTEMPTS, sizeof *as);
    n = as ? hc_config_attempts(h->e, path, as, HC__HTTP_ATTEMPTS, NULL)
           : HC_ENOMEM;
    free(path);
    if (n == HC_ENOTWATCHED) { /* unwatched since the lookup */
        free(as);
        return NULL;
    }
    if (n > HC__HTTP_ATTEMPTS)
        n = HC__HTTP_ATTEMPTS;
    arr = json_array();
    for (int i = 0; i < n; i++) {
        json_t *a = json_object(), *ch = json_array();
        for (size_t k = 0; k < as[i].nchanged; k++)
            json_array_append_new(ch, json_string(as[i].changed[k]));
        json_object_set_new(a, "time", hc__http_time(as[i].time_ns));
        json_object_set_new(a, "outcome", json_string(as[i].outcome));
        json_object_set_new(a, "version",
                            as[i].version
                                ? json_integer((json_int_t)as[i].version)
                                : json_null());
        json_object_set_new(
            a, "error", as[i].error ? json_string(as[i].error) : json_null());
        json_object_set_new(a, "latency_us",
                            json_integer((json_int_t)as[i].latency_us));
        json_object_set_new(a, "changed", ch);
        json_object_set_new(a, "trigger",
                            json_string(hc_trigger_name(as[i].trigger)));
        json_array_append_new(arr, a);
    }
    if (n > 0)
        hc_attempt_info_free(as, n);
    free(as);
    o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "attempts", arr);
    if (n < 0) /* the store could not be read: say so, show none */
        json_object_set_new(o, "error", json_string(hc_strerror(n)));
    *status = n < 0 ? 500 : 200;
    return o;
}

json_t *hc__http_stats(hc_http *h)
{
    json_t *o = hc_engine_stats_json(h->e), *tl = json_array();
    int64_t now_min = hc__http_now_ns() / 60000000000LL;
    if (!o)
        return NULL;
    pthread_mutex_lock(&h->lock);
    /* oldest minute first, zeros where nothing happened */
    for (int64_t m = now_min - HC__HTTP_TIMELINE + 1; m <= now_min; m++) {
        int k = (int)(m % HC__HTTP_TIMELINE);
        json_t *p = json_object();
        int hit = h->tl_minute[k] == m;
        json_object_set_new(p, "time", hc__http_time(m * 60000000000LL));
        json_object_set_new(p, "reloads", json_integer(hit ? h->tl_ok[k] : 0));
        json_object_set_new(p, "failures",
                            json_integer(hit ? h->tl_fail[k] : 0));
        json_array_append_new(tl, p);
    }
    json_object_set_new(o, "sse_clients", json_integer(h->sse_clients));
    pthread_mutex_unlock(&h->lock);
    json_object_set_new(o, "timeline", tl);
    json_object_set_new(o, "started", hc__http_time(h->started_ns));
    json_object_set_new(o, "now", hc__http_time(hc__http_now_ns()));
    json_object_set_new(o, "version", json_string(hc_version()));
    return o;
}

json_t *hc__http_state(hc_http *h)
{
    json_t *st = json_object(), *cl = hc__http_configs(h),
           *details = json_object();
    json_t *arr = json_object_get(cl, "configs");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *c = json_array_get(arr, i);
        const char *id = json_string_value(json_object_get(c, "id"));
        int s;
        json_t *d = json_object();
        json_object_set_new(d, "config", hc__http_config(h, id, &s));
        json_object_set_new(d, "history", hc__http_history(h, id, &s));
        json_object_set_new(d, "attempts", hc__http_attempts(h, id, &s));
        json_object_set_new(details, id, d);
    }
    json_object_set_new(st, "static", json_true());
    json_object_set_new(st, "generated", hc__http_time(hc__http_now_ns()));
    json_object_set_new(st, "configs", cl);
    json_object_set_new(st, "stats", hc__http_stats(h));
    json_object_set_new(st, "details", details);
    return st;
}

/* ---- Prometheus text ----------------------------------------------------- */

static void label_value(hc__sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            hc__sbuf_putc(b, '\\');
        if (*s == '\n')
            hc__sbuf_puts(b, "\\n");
        else
            hc__sbuf_putc(b, *s);
    }
}

static void head(hc__sbuf *b, const char *name, const char *type,
                 const char *help)
{
    char line[512];
    snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name, help,
             name, type);
    hc__sbuf_puts(b, line);
}

static void sample(hc__sbuf *b, const char *name, const hc__hcfg *c,
                   const char *extra, double v)
{
    char num[64];
    hc__sbuf_puts(b, name);
    if (c) {
        hc__sbuf_puts(b, "{config=\"");
        label_value(b, c->id);
        hc__sbuf_puts(b, "\",path=\"");
        label_value(b, c->path);
        hc__sbuf_putc(b, '"');
        if (extra) {
            hc__sbuf_putc(b, ',');
            hc__sbuf_puts(b, extra);
        }
        hc__sbuf_putc(b, '}');
    } else if (extra) {
        hc__sbuf_putc(b, '{');
        hc__sbuf_puts(b, extra);
        hc__sbuf_putc(b, '}');
    }
    snprintf(num, sizeof num, " %.17g\n", v);
    hc__sbuf_puts(b, num);
}

char *hc__http_metrics(hc_http *h)
{
    static const char *const reasons[] = {"parse", "validation", "read",
                                          "missing", "subscriber"};
    hc__sbuf b = {0};
    hc_stats t;
    uint64_t acc = 0;
    hc_engine_stats(h->e, &t);
    pthread_mutex_lock(&h->lock);
    head(&b, "hotconf_configs", "gauge", "Configs watched.");
    sample(&b, "hotconf_configs", NULL, NULL, (double)h->ncfg);
    head(&b, "hotconf_loads_total", "counter", "First loads applied.");
    for (size_t i = 0; i < h->ncfg; i++)
        sample(&b, "hotconf_loads_total", h->cfgs[i], NULL,
               (double)h->cfgs[i]->st.loads);
    head(&b, "hotconf_reloads_total", "counter",
         "Later versions applied from the source.");
    for (size_t i = 0; i < h->ncfg; i++)
        sample(&b, "hotconf_reloads_total", h->cfgs[i], NULL,
               (double)h->cfgs[i]->st.reloads);
    head(&b, "hotconf_rollbacks_total", "counter",
         "Versions applied by rollback.");
    for (size_t i = 0; i < h->ncfg; i++)
        sample(&b, "hotconf_rollbacks_total", h->cfgs[i], NULL,
               (double)h->cfgs[i]->st.rollbacks);
    head(&b, "hotconf_rejections_total", "counter",
         "Versions rejected (or not applied), by reason.");
    for (size_t i = 0; i < h->ncfg; i++) {
        const hc_stats *s = &h->cfgs[i]->st;
        const uint64_t v[] = {s->parse_failures, s->validation_failures,
                              s->read_failures, s->missing,
                              s->subscriber_failures};
        for (size_t r = 0; r < 5; r++) {
            char extra[64];
            snprintf(extra, sizeof extra, "reason=\"%s\"", reasons[r]);
            sample(&b, "hotconf_rejections_total", h->cfgs[i], extra,
                   (double)v[r]);
        }
    }
    head(&b, "hotconf_config_version", "gauge", "Live version (0: none).");
    for (size_t i = 0; i < h->ncfg; i++)
        sample(&b, "hotconf_config_version", h->cfgs[i], NULL,
               (double)h->cfgs[i]->version);
    head(&b, "hotconf_config_live", "gauge",
         "1 when the config is live without error.");
    for (size_t i = 0; i < h->ncfg; i++)
        sample(&b, "hotconf_config_live", h->cfgs[i], NULL,
               strcmp(h->cfgs[i]->status, "live") == 0);
    head(&b, "hotconf_config_last_success_timestamp_seconds", "gauge",
         "When the live version became live (Unix time).");
    for (size_t i = 0; i < h->ncfg; i++)
        sample(&b, "hotconf_config_last_success_timestamp_seconds", h->cfgs[i],
               NULL, (double)h->cfgs[i]->live_ns / 1e9);
    pthread_mutex_unlock(&h->lock);
    head(&b, "hotconf_detect_to_apply_seconds", "histogram",
         "Time from detecting a change to the new snapshot going live.");
    for (int i = 0; i < HC_STATS_BUCKETS - 1; i++) {
        char extra[64];
        acc += t.latency_hist[i];
        snprintf(extra, sizeof extra, "le=\"%.17g\"",
                 (double)(1ULL << i) / 1e6);
        sample(&b, "hotconf_detect_to_apply_seconds_bucket", NULL, extra,
               (double)acc);
    }
    acc += t.latency_hist[HC_STATS_BUCKETS - 1];
    sample(&b, "hotconf_detect_to_apply_seconds_bucket", NULL, "le=\"+Inf\"",
           (double)acc);
    sample(&b, "hotconf_detect_to_apply_seconds_sum", NULL, NULL,
           (double)t.latency_mean_ns * (double)t.latency_count / 1e9);
    sample(&b, "hotconf_detect_to_apply_seconds_count", NULL, NULL,
           (double)acc);
    return hc__sbuf_take(&b);
}
