/*
 * stats.c - counters and detection-to-apply latency, per config and for
 * the whole engine (totals outlive unwatched configs), and their JSON
 * form. Updated under e->lock by the code that commits or rejects, so a
 * reader of the stats takes the same short lock and sees consistent sums.
 */
#include "engine_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static void count(hc__counters *k, enum hc__counter which)
{
    switch (which) {
#define COUNT(field, name)                                                     \
    case HC__C_##name: k->field++; break;
        HC__COUNTERS(COUNT)
#undef COUNT
    }
}

void hc__stats_count(hc_engine *e, hc__config *c, enum hc__counter which)
{
    if (c)
        count(&c->stats, which);
    count(&e->total, which);
}

static int bucket(uint64_t ns)
{
    uint64_t us = ns / 1000;
    int b = 0;
    while (us && b < HC_STATS_BUCKETS - 1) {
        us >>= 1;
        b++;
    }
    return b;
}

static void latency(hc__counters *k, uint64_t ns)
{
    k->lat_count++;
    k->lat_last = ns;
    k->lat_sum += ns;
    if (ns > k->lat_max)
        k->lat_max = ns;
    k->lat_hist[bucket(ns)]++;
}

void hc__stats_latency(hc_engine *e, hc__config *c, int64_t ns)
{
    uint64_t u = ns > 0 ? (uint64_t)ns : 0;
    if (c)
        latency(&c->stats, u);
    latency(&e->total, u);
}

static void export(const hc__counters *k, hc_stats *out)
{
#define EXPORT(field, name) out->field = k->field;
    HC__COUNTERS(EXPORT)
#undef EXPORT
    out->latency_count = k->lat_count;
    out->latency_last_ns = k->lat_last;
    out->latency_max_ns = k->lat_max;
    out->latency_mean_ns = k->lat_count ? k->lat_sum / k->lat_count : 0;
    memcpy(out->latency_hist, k->lat_hist, sizeof out->latency_hist);
}

static void total_locked(hc_engine *e, hc_stats *out)
{
    memset(out, 0, sizeof *out);
    export(&e->total, out);
    out->files = e->nall;
    for (size_t i = 0; i < e->nall; i++)
        if (hc__source_polls(e->all[i]))
            out->files_polled++;
}

/* The size of hc_stats in 0.1.0: what the old entry points write. */
#define STATS_V0_SIZE offsetof(hc_stats, vetoes)

void hc_engine_stats_sized(hc_engine *e, hc_stats *out, size_t size)
{
    hc_stats full;
    if (!out)
        return;
    memset(&full, 0, sizeof full);
    if (e) {
        pthread_mutex_lock(&e->lock);
        total_locked(e, &full);
        pthread_mutex_unlock(&e->lock);
    }
    memcpy(out, &full, size < sizeof full ? size : sizeof full);
}

void hc_engine_stats(hc_engine *e, hc_stats *out)
{
    hc_engine_stats_sized(e, out, STATS_V0_SIZE);
}

static void config_locked(const hc__config *c, hc_stats *out)
{
    memset(out, 0, sizeof *out);
    export(&c->stats, out);
    out->files = 1;
    out->files_polled = hc__source_polls(c);
}

int hc_config_stats_sized(hc_engine *e, const char *path, hc_stats *out,
                          size_t size)
{
    hc__config *c;
    hc_stats full;
    if (!e || !path || !out)
        return HC_EINVAL;
    pthread_mutex_lock(&e->lock);
    c = hc__config_lookup(e, path);
    if (c)
        config_locked(c, &full);
    pthread_mutex_unlock(&e->lock);
    if (c)
        memcpy(out, &full, size < sizeof full ? size : sizeof full);
    return c ? 0 : HC_ENOTWATCHED;
}

int hc_config_stats(hc_engine *e, const char *path, hc_stats *out)
{
    return hc_config_stats_sized(e, path, out, STATS_V0_SIZE);
}

/* Whole microseconds, rounded: a double such as 65.578 would print as
 * 65.578000000000003 through jansson's 17 significant digits. */
static json_t *us(uint64_t ns)
{
    return json_integer((json_int_t)((ns + 500) / 1000));
}

static json_t *stats_json(const hc_stats *s)
{
    json_t *o = json_object(), *hist = json_object();
    if (!o || !hist) {
        json_decref(o);
        json_decref(hist);
        return NULL;
    }
#define PUT(name)                                                              \
    json_object_set_new(o, #name, json_integer((json_int_t)s->name))
#define PUT_COUNTER(field, name) PUT(field);
    PUT(files);
    PUT(files_polled);
    HC__COUNTERS(PUT_COUNTER)
    PUT(latency_count);
#undef PUT_COUNTER
#undef PUT
    json_object_set_new(o, "latency_last_us", us(s->latency_last_ns));
    json_object_set_new(o, "latency_mean_us", us(s->latency_mean_ns));
    json_object_set_new(o, "latency_max_us", us(s->latency_max_ns));
    for (int i = 0; i < HC_STATS_BUCKETS; i++) {
        char name[32];
        if (!s->latency_hist[i])
            continue;
        if (i == HC_STATS_BUCKETS - 1)
            snprintf(name, sizeof name, ">=%lluus", 1ULL << (i - 1));
        else
            snprintf(name, sizeof name, "<%lluus", 1ULL << i);
        json_object_set_new(hist, name,
                            json_integer((json_int_t)s->latency_hist[i]));
    }
    json_object_set_new(o, "latency_histogram", hist);
    return o;
}

json_t *hc_engine_stats_json(hc_engine *e)
{
    json_t *root, *configs;
    hc_stats s;
    if (!e)
        return NULL;
    root = json_object();
    configs = json_object();
    if (!root || !configs)
        goto nomem;
    pthread_mutex_lock(&e->lock);
    total_locked(e, &s);
    json_object_set_new(root, "total", stats_json(&s));
    for (size_t i = 0; i < e->nall; i++) {
        hc__config *c = e->all[i];
        json_t *cj;
        config_locked(c, &s);
        cj = stats_json(&s);
        if (!cj)
            continue;
        json_object_set_new(cj, "version",
                            json_integer((json_int_t)c->version));
        json_object_set_new(cj, "mode", json_string(hc__source_name(c)));
        /* documented in hotconf.h: no last error */
        json_object_set_new(cj, "healthy",
                            json_boolean(!hc__config_error_code(c)));
        json_object_set_new(configs, c->path, cj);
    }
    pthread_mutex_unlock(&e->lock);
    json_object_set_new(root, "configs", configs);
    return root;
nomem:
    json_decref(root);
    json_decref(configs);
    return NULL;
}
