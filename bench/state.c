/*
 * state.c - the SQLite history store's figures (issue 10):
 *   1. detect-to-callback p50/p99 of an in-process engine: the memory
 *      store alone; the SQLite store as the engine's store
 *      (hc_engine_options.state_dir, what hotconf watch --state uses since
 *      the watcher records through the engine); and, for comparison, the
 *      former CLI hook in the subscriber (copy the version, queue it and
 *      the attempt for the writer thread);
 *   2. the database size after 10,000 versions (and attempts) of one
 *      config with the default retention, and the write rate;
 *   3. the time of `hotconf history FILE` on that database (a process per
 *      run, as an operator runs it).
 *
 * usage: bench_state [-n CHANGES] [--cli PATH-TO-hotconf]
 */
#include "hotconf.h"
#include "stores/sqlite.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t seen;
static int64_t seen_at;
static hc__sq *store;
static hc_engine *eng;

static int on_change(const hc_change_record *rec, void *ud)
{
    (void)ud;
    if (store) {
        /* the former hook of cli/watch_state.c, on the callback path */
        hc__sq_version v = {0};
        hc__sq_attempt a = {0};
        char *content = NULL;
        size_t len = 0;
        if (hc_history_get(eng, rec->path, rec->version, &content, &len,
                           NULL) == 0) {
            v.version = rec->version;
            v.hash = rec->hash;
            v.size = len;
            v.content = content;
            v.trigger = (char *)hc_trigger_name(rec->trigger);
            v.format = (char *)"json";
            v.changed = (int)hc_changeset_count(rec->changes);
            hc__sq_append(store, rec->path, &v);
            free(content);
        }
        a.outcome = (char *)"applied";
        a.trigger = v.trigger;
        a.version = rec->version;
        a.latency_us = (rec->applied_ns - rec->detected_ns) / 1000;
        a.changed = (char *)"[\"n\"]";
        hc__sq_record(store, rec->path, &a);
    }
    pthread_mutex_lock(&mu);
    seen = rec->version;
    seen_at = now_ns();
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void latency(const char *dir, int n, int with_store)
{
    char path[4200], tmp[4300], buf[128];
    int64_t *lat = calloc((size_t)n, sizeof *lat);
    hc_error err;
    snprintf(path, sizeof path, "%s/lat%d.json", dir, with_store);
    snprintf(tmp, sizeof tmp, "%s/.lat.tmp", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"n\":0}\n", f);
    fclose(f);
    if (with_store == 2) {
        /* the engine's own store: no hook, the apply path queues */
        hc_engine_options eo;
        char sdir[4300];
        snprintf(sdir, sizeof sdir, "%s/state%d", dir, with_store);
        hc_engine_options_init(&eo);
        eo.state_dir = sdir;
        eng = hc_engine_create(&eo);
    } else {
        eng = hc_engine_new(NULL);
    }
    if (with_store == 1) {
        char sdir[4300];
        snprintf(sdir, sizeof sdir, "%s/state%d", dir, with_store);
        store = hc__sq_open(sdir, HC__SQ_WATCHER, NULL, NULL, NULL, &err);
    }
    {
        hc_watch_options wo;
        memset(&wo, 0, sizeof wo);
        wo.on_change = on_change;
        hc_watch(eng, path, &wo);
    }
    hc_engine_start(eng);
    for (int i = 1; i <= n; i++) {
        int64_t t0;
        snprintf(buf, sizeof buf, "{\"n\":%d}\n", i);
        f = fopen(tmp, "w");
        fputs(buf, f);
        fclose(f);
        t0 = now_ns();
        rename(tmp, path);
        pthread_mutex_lock(&mu);
        while (seen < (uint64_t)i + 1) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 2;
            if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
                break;
        }
        lat[i - 1] = seen >= (uint64_t)i + 1 ? seen_at - t0 : -1;
        pthread_mutex_unlock(&mu);
        usleep(2000); /* no coalescing: one save, one version */
    }
    if (with_store == 2)
        printf("  store errors: %llu\n",
               (unsigned long long)hc__sq_flush(hc__sq_of_engine(eng)));
    hc_engine_free(eng);
    if (store)
        printf("  store errors: %llu\n",
               (unsigned long long)hc__sq_flush(store));
    hc__sq_close(store);
    store = NULL;
    seen = 0;
    qsort(lat, (size_t)n, sizeof *lat, cmp64);
    printf("  %-14s n=%d p50 %.0f us  p99 %.0f us  max %.0f us\n",
           with_store == 2   ? "engine sqlite"
           : with_store == 1 ? "cli hook"
                             : "memory store",
           n, lat[n / 2] / 1e3, lat[(n * 99) / 100] / 1e3, lat[n - 1] / 1e3);
    free(lat);
}

static long long fsize(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

int main(int argc, char **argv)
{
    int n = 500;
    const char *cli = NULL;
    char dir[] = "/tmp/hc-bench-state-XXXXXX", sdir[4200], db[4300], wal[4300];
    char content[512];
    hc_error err;
    int64_t t0, t1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--cli") && i + 1 < argc)
            cli = argv[++i];
    }
    if (!mkdtemp(dir))
        return 1;
    printf("detect-to-callback, rename-over saves:\n");
    latency(dir, n, 0);
    latency(dir, n, 1);
    latency(dir, n, 2);

    /* 10,000 versions of one config, default retention (10 versions, 1000
     * attempts) */
    snprintf(sdir, sizeof sdir, "%s/big", dir);
    hc__sq *s = hc__sq_open(sdir, HC__SQ_WATCHER, NULL, NULL, NULL, &err);
    memset(content, 'x', sizeof content - 1);
    content[sizeof content - 1] = '\0';
    t0 = now_ns();
    for (int i = 1; i <= 10000; i++) {
        hc__sq_version v = {0};
        hc__sq_attempt a = {0};
        int k = snprintf(content, sizeof content, "{\"n\":%d,\"pad\":\"", i);
        content[k] = 'x';
        memcpy(content + sizeof content - 4, "\"}\n", 4);
        v.version = (uint64_t)i;
        v.hash = (uint64_t)i * 2654435761u;
        v.size = strlen(content);
        v.content = content;
        v.trigger = (char *)"modify";
        v.format = (char *)"json";
        v.changed = 1;
        hc__sq_append(s, "/etc/app/big.json", &v);
        a.outcome = (char *)"applied";
        a.trigger = (char *)"modify";
        a.version = (uint64_t)i;
        a.latency_us = 100;
        a.changed = (char *)"[\"n\"]";
        hc__sq_record(s, "/etc/app/big.json", &a);
        if (i % 50 == 0)
            hc__sq_flush(s); /* bursts of 50, not one giant batch */
    }
    hc__sq_flush(s);
    t1 = now_ns();
    hc__sq_close(s); /* checkpoints the WAL */
    snprintf(db, sizeof db, "%s/state.db", sdir);
    snprintf(wal, sizeof wal, "%s/state.db-wal", sdir);
    printf("10,000 versions + 10,000 attempts (512-byte content, keep 10):\n"
           "  written in %.2f s (%.0f versions/s); state.db %lld bytes, "
           "-wal %lld bytes after close\n",
           (t1 - t0) / 1e9, 10000 / ((t1 - t0) / 1e9), fsize(db), fsize(wal));
    if (cli) {
        int runs = 50;
        int64_t *ts = calloc((size_t)runs, sizeof *ts);
        for (int r = 0; r < runs; r++) {
            pid_t pid;
            int st;
            fflush(stdout); /* or the child repeats our buffered lines */
            t0 = now_ns();
            pid = fork();
            if (pid == 0) {
                if (!freopen("/dev/null", "w", stdout))
                    _exit(127);
                execl(cli, cli, "history", "/etc/app/big.json", "--state", sdir,
                      (char *)NULL);
                _exit(127);
            }
            waitpid(pid, &st, 0);
            ts[r] = now_ns() - t0;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                printf("  hotconf history failed\n");
                break;
            }
        }
        qsort(ts, (size_t)runs, sizeof *ts, cmp64);
        printf("hotconf history on it (process start to exit, %d runs):\n"
               "  p50 %.2f ms  max %.2f ms\n",
               runs, ts[runs / 2] / 1e6, ts[runs - 1] / 1e6);
        free(ts);
    }
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
