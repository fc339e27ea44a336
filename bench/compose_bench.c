/*
 * compose_bench.c - composition figures (issue 14):
 *  1. detect-to-callback in a watched folder of 100 and 1,000 files, per
 *     file (each file its own config) and merged (the folder one config):
 *     the writer rewrites one file in place, notes the time, and waits
 *     for the callback of that change; p50/p99/max of write-to-callback
 *     and of the engine's detected_ns-to-callback;
 *  2. the cost of merging 4 layers (defaults, a file, a conf.d folder of
 *     3 files, 5 environment variables) per reload: hc_layers_load;
 *  3. bound-struct reads/s (hc_binding_acquire + 2 fields + release)
 *     against hc_config_get + 2 hc_get_int + hc_doc_release.
 *
 * usage: bench_compose [-n CHANGES]
 */
#include "hotconf.h"

#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static int rm_cb(const char *p, const struct stat *st, int flag,
                 struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    printf("%-34s n=%-4d p50 %8.1f us  p99 %8.1f us  max %8.1f us\n", what, n,
           (double)v[n / 2] / 1e3, (double)v[(n * 99) / 100] / 1e3,
           (double)v[n - 1] / 1e3);
}

/* ---- 1. folder latency -------------------------------------------------- */

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char want[4400]; /* the config whose next change we wait for */
    long long want_value;
    int64_t seen_ns, detected_ns;
    int seen;
} waiter;

/* Runs on the engine's delivery thread. */
static int on_change(const hc_change_record *rec, void *ud)
{
    waiter *w = ud;
    int64_t t = now_ns();
    pthread_mutex_lock(&w->mu);
    if (!strcmp(rec->path, w->want) &&
        hc_get_int(rec->new_doc, "v", -1, NULL) == w->want_value) {
        w->seen = 1;
        w->seen_ns = t;
        w->detected_ns = rec->detected_ns;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return 0;
}

static void folder_latency(const char *root, int nfiles, int merged,
                           int changes)
{
    char dir[4200], path[4400], text[64], label[64];
    hc_engine *e = hc_engine_new(NULL);
    hc_group_options go;
    hc_watch_options wo;
    hc_error err;
    waiter w;
    hc_group *g;
    int64_t *lat = calloc((size_t)changes, sizeof *lat);
    int64_t *eng = calloc((size_t)changes, sizeof *eng);
    int n = 0;

    snprintf(dir, sizeof dir, "%s/f%d%s", root, nfiles, merged ? "m" : "");
    mkdir(dir, 0755);
    for (int i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "%s/%04d.yaml", dir, i);
        snprintf(text, sizeof text, "k%04d: 0\n", i);
        put(path, text);
    }
    memset(&w, 0, sizeof w);
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    hc_watch_options_init(&wo);
    wo.on_change = on_change;
    wo.user_data = &w;
    hc_group_options_init(&go);
    go.watch = &wo;
    go.flags = merged ? HC_GROUP_MERGE : 0;
    g = hc_group_watch(e, dir, &go, &err);
    if (!g || hc_engine_start(e) != 0 || hc_group_start(g) != 0) {
        fprintf(stderr, "cannot watch %s: %s\n", dir, err.text);
        exit(1);
    }
    for (int c = 1; c <= changes; c++) {
        int i = (c * 37) % nfiles;
        struct timespec dl;
        int64_t t0;
        snprintf(path, sizeof path, "%s/%04d.yaml", dir, i);
        /* merged: the value v of the merged document is the last file's
         * that sets it: every change rewrites file i with v, and only
         * file i holds v at that time */
        snprintf(text, sizeof text, "k%04d: %d\nv: %d\n", i, c, c);
        pthread_mutex_lock(&w.mu);
        snprintf(w.want, sizeof w.want, "%s", merged ? hc_group_id(g) : path);
        w.want_value = c;
        w.seen = 0;
        pthread_mutex_unlock(&w.mu);
        t0 = now_ns();
        put(path, text);
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 2;
        pthread_mutex_lock(&w.mu);
        while (!w.seen)
            if (pthread_cond_timedwait(&w.cv, &w.mu, &dl) != 0)
                break;
        if (w.seen) {
            lat[n] = w.seen_ns - t0;
            eng[n] = w.seen_ns - w.detected_ns;
            n++;
        }
        pthread_mutex_unlock(&w.mu);
        /* the file keeps v (merged: a later file has no v, so the next
         * change's file decides) */
        snprintf(text, sizeof text, "k%04d: %d\n", i, c);
        if (merged) {
            put(path, text);
            usleep(2000);
        }
    }
    snprintf(label, sizeof label, "%s, %d files: write->callback",
             merged ? "merged" : "per file", nfiles);
    if (n)
        report(label, lat, n);
    snprintf(label, sizeof label, "%s, %d files: detect->callback",
             merged ? "merged" : "per file", nfiles);
    if (n)
        report(label, eng, n);
    if (n < changes)
        printf("  %d of %d changes not seen within 2 s\n", changes - n,
               changes);
    hc_group_free(g);
    hc_engine_free(e);
    free(lat);
    free(eng);
}

/* ---- 2. merging 4 layers ------------------------------------------------ */

static void merge_cost(const char *root)
{
    char path[4400], text[8192], cd[4300];
    hc_layers *l = hc_layers_new(NULL);
    json_t *defs = json_object();
    hc_error err;
    int iters = 2000;
    size_t off = 0;
    int64_t t0, t;
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "key%02d", i);
        json_object_set_new(defs, k, json_integer(i));
    }
    snprintf(path, sizeof path, "%s/layer.yaml", root);
    for (int s = 0; s < 5; s++) {
        off +=
            (size_t)snprintf(text + off, sizeof text - off, "section%d:\n", s);
        for (int i = 0; i < 10; i++)
            off += (size_t)snprintf(text + off, sizeof text - off,
                                    "  key%02d: value %d\n", i, i);
    }
    put(path, text);
    snprintf(cd, sizeof cd, "%s/layer.d", root);
    mkdir(cd, 0755);
    for (int f = 0; f < 3; f++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%02d.yaml", cd, f);
        put(p, "section1:\n  key01: override\n  extra: [1, 2, 3]\n");
    }
    for (int i = 0; i < 5; i++) {
        char name[32], val[16];
        snprintf(name, sizeof name, "HCB_SECTION%d__KEY0%d", i, i);
        snprintf(val, sizeof val, "%d", 9000 + i);
        setenv(name, val, 1);
    }
    hc_layers_add_defaults(l, defs, &err);
    hc_layers_add_file(l, path, 0, &err);
    hc_layers_add_file(l, cd, 0, &err);
    hc_layers_add_env(l, "HCB_", NULL, &err);
    t0 = now_ns();
    for (int i = 0; i < iters; i++) {
        json_t *doc = hc_layers_load(l, &err);
        if (!doc) {
            fprintf(stderr, "merge: %s\n", err.text);
            exit(1);
        }
        json_decref(doc);
    }
    t = now_ns() - t0;
    printf("merge of 4 layers (defaults 50 keys, a 50-key file, 3 conf.d "
           "files, 5 env vars): %.1f us per reload (%d loads)\n",
           (double)t / iters / 1e3, iters);
    json_decref(defs);
    hc_layers_free(l);
}

/* ---- 3. reads ----------------------------------------------------------- */

typedef struct bcfg {
    int64_t port;
    int64_t timeout_ns;
} bcfg;

typedef struct reads {
    hc_engine *e;
    hc_binding *b;
    const char *path;
    int bound;
    atomic_int stop;
    long long count;
} reads;

static void *read_loop(void *arg)
{
    reads *r = arg;
    long long n = 0, sink = 0;
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        for (int k = 0; k < 256; k++) {
            if (r->bound) {
                const bcfg *c = hc_binding_acquire(r->b, NULL);
                sink += c->port + c->timeout_ns;
                hc_binding_release(r->b, c);
            } else {
                json_t *d = hc_config_get(r->e, r->path);
                sink += hc_get_int(d, "service.port", 0, NULL) +
                        hc_get_int(d, "service.timeout_s", 0, NULL);
                hc_doc_release(d);
            }
        }
        n += 256;
    }
    r->count = n + (sink == 42);
    return NULL;
}

static void read_rate(const char *root)
{
    static const hc_field fields[] = {
        {"service.port", HC_FIELD_INT, offsetof(bcfg, port), "8080", "1",
         "65535", NULL, 0},
        {"service.timeout", HC_FIELD_DURATION, offsetof(bcfg, timeout_ns),
         "30s", NULL, NULL, NULL, 0}};
    char path[4400];
    hc_engine *e = hc_engine_new(NULL);
    hc_watch_options wo;
    hc_error err;
    hc_binding *b = hc_binding_new(fields, 2, sizeof(bcfg), &err);
    snprintf(path, sizeof path, "%s/reads.yaml", root);
    put(path, "service:\n  port: 9090\n  timeout: 10s\n  timeout_s: 10\n"
              "  host: db.local\nlog:\n  level: info\n");
    hc_watch_options_init(&wo);
    hc_binding_watch_options(b, &wo);
    if (hc_engine_watch(e, path, &wo, &err) != 0 ||
        hc_binding_attach(b, e, path, &err) != 0) {
        fprintf(stderr, "reads: %s\n", err.text);
        exit(1);
    }
    for (int threads = 1; threads <= 2; threads++) {
        for (int bound = 1; bound >= 0; bound--) {
            reads r[2];
            pthread_t th[2];
            long long total = 0;
            for (int i = 0; i < threads; i++) {
                memset(&r[i], 0, sizeof r[i]);
                r[i].e = e;
                r[i].b = b;
                r[i].path = path;
                r[i].bound = bound;
                pthread_create(&th[i], NULL, read_loop, &r[i]);
            }
            sleep(1);
            for (int i = 0; i < threads; i++)
                atomic_store(&r[i].stop, 1);
            for (int i = 0; i < threads; i++) {
                pthread_join(th[i], NULL);
                total += r[i].count;
            }
            printf("%-46s %d thread%s %8.2f M reads/s\n",
                   bound ? "bound struct (acquire, 2 fields, release)"
                         : "hc_config_get + 2 hc_get_int + release",
                   threads, threads == 1 ? " " : "s", (double)total / 1e6);
        }
    }
    hc_binding_free(b);
    hc_engine_free(e);
}

int main(int argc, char **argv)
{
    char root[] = "/tmp/hc-bench-compose-XXXXXX";
    int changes = 200;
    if (argc == 3 && !strcmp(argv[1], "-n"))
        changes = atoi(argv[2]);
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    printf("# detect-to-callback in a watched folder (%d changes each)\n",
           changes);
    folder_latency(root, 100, 0, changes);
    folder_latency(root, 1000, 0, changes);
    folder_latency(root, 100, 1, changes);
    folder_latency(root, 1000, 1, changes / 4 > 0 ? changes / 4 : 1);
    printf("# merge cost\n");
    merge_cost(root);
    printf("# reads (1 s each)\n");
    read_rate(root);
    nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
