/*
 * etcd_latency.c - the time from a put until all N watchers have applied
 * it (p50/p99), and `etcdctl watch` on the same puts as the floor.
 * Usage: bench_etcd_latency etcd://HOST:PORT/KEY [N=20] [ROUNDS=200]
 * [STATUS=0] (STATUS=1: every watcher also reports its rollout status
 * under KEY/.status/wI, so each put costs N more puts on etcd).
 * (bench/etcd.sh starts a throwaway etcd and runs it).
 */
#include "etcd/etcd.h"
#include "hotconf.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXW 64

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static atomic_llong seen[MAXW];  /* last v applied by watcher i */
static atomic_llong floor_v;     /* last v printed by etcdctl watch */
static atomic_llong floor_at_ns; /* when */

static int on_change(const hc_change_record *rec, void *ud)
{
    atomic_llong *slot = ud;
    atomic_store(slot, hc_get_int(rec->new_doc, "v", -1, NULL));
    return 0;
}

static void *floor_main(void *arg)
{
    FILE *p = arg;
    char line[256];
    while (fgets(line, sizeof line, p)) {
        const char *v = strstr(line, "{\"v\": ");
        if (v) {
            atomic_store(&floor_at_ns, now_ns());
            atomic_store(&floor_v, atoll(v + 6));
        }
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    printf("%-34s p50 %8.3f ms  p99 %8.3f ms  (n=%d)\n", what,
           (double)v[n / 2] / 1e6, (double)v[(n * 99) / 100] / 1e6, n);
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : NULL;
    int n = argc > 2 ? atoi(argv[2]) : 20,
        rounds = argc > 3 ? atoi(argv[3]) : 200,
        status = argc > 4 ? atoi(argv[4]) : 0;
    hc_engine *e[MAXW];
    int64_t *all = calloc((size_t)rounds, sizeof *all);
    int64_t *flo = calloc((size_t)rounds, sizeof *flo);
    hc__etcd_target t;
    hc_error err;
    char cmd[512];
    FILE *p;
    pthread_t fl;
    pid_t floor_pid;
    if (!url || n < 1 || n > MAXW || rounds < 1 || !all || !flo) {
        fprintf(stderr, "usage: bench_etcd_latency etcd://HOST:PORT/KEY "
                        "[N<=64] [ROUNDS]\n");
        return 2;
    }
    hc_error_init(&err);
    if (hc__etcd_target_parse(&t, url, &err) != 0 ||
        hc__etcd_put(&t, "{\"v\": 0}", 8, -1, NULL, &err) != 0) {
        fprintf(stderr, "%s\n", err.text);
        return 1;
    }
    snprintf(cmd, sizeof cmd,
             "echo $$; ETCDCTL_API=3 exec etcdctl --endpoints=http://%s "
             "watch %s",
             t.endpoints[0], t.key);
    p = popen(cmd, "r");
    /* The first line is the shell's pid, which exec makes etcdctl's: the
     * floor watcher is killed by it at the end. */
    if (!p || !fgets(cmd, sizeof cmd, p) ||
        pthread_create(&fl, NULL, floor_main, p) != 0)
        return 1;
    floor_pid = (pid_t)atol(cmd);
    for (int i = 0; i < n; i++) {
        hc_watch_options wo;
        hc_watch_options_init(&wo);
        wo.on_change = on_change;
        wo.user_data = &seen[i];
        atomic_init(&seen[i], -1);
        char node[16];
        snprintf(node, sizeof node, "w%d", i);
        e[i] = hc_engine_new(NULL);
        if (!e[i] || hc_engine_start(e[i]) != 0 ||
            (status && hc_etcd_report_status(e[i], node, 10, &err) != 0) ||
            hc_engine_watch(e[i], url, &wo, &err) != 0 ||
            hc__etcd_follow(e[i], url, &err) != 0) {
            fprintf(stderr, "watcher %d: %s\n", i, err.text);
            return 1;
        }
    }
    for (int i = 0; i < n; i++)
        while (atomic_load(&seen[i]) != 0) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    for (int r = 1; r <= rounds; r++) {
        char buf[64];
        int64_t t0, last = 0;
        int len = snprintf(buf, sizeof buf, "{\"v\": %d}", r);
        t0 = now_ns();
        hc_error_init(&err);
        if (hc__etcd_put(&t, buf, (size_t)len, -1, NULL, &err) != 0) {
            fprintf(stderr, "%s\n", err.text);
            return 1;
        }
        for (int i = 0; i < n; i++) {
            while (atomic_load(&seen[i]) < r) {
                struct timespec ts = {0, 20000};
                nanosleep(&ts, NULL);
            }
        }
        last = now_ns();
        while (atomic_load(&floor_v) < r) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
        all[r - 1] = last - t0;
        flo[r - 1] = atomic_load(&floor_at_ns) - t0;
    }
    printf("etcd put -> applied, %d watchers (engine + follower each%s), "
           "%d rounds\n",
           n, status ? ", reporting status" : "", rounds);
    report("all watchers applied", all, rounds);
    report("floor: etcdctl watch printed it", flo, rounds);
    for (int i = 0; i < n; i++) {
        hc_engine_free(e[i]);
    }
    kill(floor_pid, SIGKILL);
    pthread_join(fl, NULL);
    pclose(p);
    hc__etcd_target_free(&t);
    free(all);
    free(flo);
    return 0;
}
