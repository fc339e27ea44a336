/*
 * engine_reads.c - how fast readers get the live config: rounds of
 * hc_config_get + hc_get + release per second, with 1 and 2 reader
 * threads, on a fixed file and while another thread rewrites the file as
 * fast as it can (so the snapshot is swapped under the readers); the ratio
 * is the cost of being live. The same loop on a plain jansson document
 * (json_incref + hc_get + json_decref, no engine) is the floor.
 *
 * usage: bench_engine_reads [SECONDS-PER-RUN]
 */
#include "hotconf.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static hc_engine *engine;
static json_t *plain;
static char path[4200];
static atomic_int stop;
static double seconds = 2.0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *config(int port)
{
    static char buf[2][512];
    char *b = buf[port & 1];
    snprintf(b, 512,
             "{\"service\": \"checkout\", \"server\": {\"host\": \"0.0.0.0\", "
             "\"port\": %d, \"workers\": 4}, \"log\": {\"level\": \"info\"}, "
             "\"features\": {\"beta\": false, \"limits\": [1, 2, 3]}}\n",
             port);
    return b;
}

static void write_rename(const char *data)
{
    char tmp[4300];
    int fd;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, strlen(data)) < 0 || close(fd) != 0 ||
        rename(tmp, path) != 0)
        perror(path);
}

typedef struct reader {
    pthread_t t;
    int engine;
    long long rounds;
    long long checksum;
} reader;

static void *reader_main(void *arg)
{
    reader *r = arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int k = 0; k < 256; k++) {
            json_t *doc =
                r->engine ? hc_config_get(engine, path) : hc_doc_retain(plain);
            r->checksum +=
                (long long)json_integer_value(hc_get(doc, "server.port"));
            hc_doc_release(doc);
        }
        r->rounds += 256;
    }
    return NULL;
}

static long long versions;

static void *writer_main(void *arg)
{
    int port = 8000;
    (void)arg;
    while (!atomic_load(&stop)) {
        write_rename(config(++port));
        versions++;
    }
    return NULL;
}

static double run(int nreaders, int use_engine, int live, long long *vers)
{
    reader r[2];
    pthread_t w;
    double t0, el;
    long long total = 0;
    atomic_store(&stop, 0);
    versions = 0;
    if (live)
        pthread_create(&w, NULL, writer_main, NULL);
    t0 = now_s();
    for (int i = 0; i < nreaders; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].engine = use_engine;
        pthread_create(&r[i].t, NULL, reader_main, &r[i]);
    }
    while (now_s() - t0 < seconds)
        usleep(10000);
    atomic_store(&stop, 1);
    for (int i = 0; i < nreaders; i++) {
        pthread_join(r[i].t, NULL);
        total += r[i].rounds;
    }
    el = now_s() - t0;
    if (live)
        pthread_join(w, NULL);
    if (vers)
        *vers = versions;
    return (double)total / el;
}

int main(int argc, char **argv)
{
    const char *tmp = getenv("TMPDIR");
    char root[4096];
    hc_stats st;
    if (argc > 1)
        seconds = atof(argv[1]);
    snprintf(root, sizeof root, "%s/hc-bench-reads.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root))
        return 1;
    snprintf(path, sizeof path, "%s/app.json", root);
    write_rename(config(8000));
    plain = json_loads(config(8000), 0, NULL);
    engine = hc_engine_new(NULL);
    if (!engine || hc_watch(engine, path, NULL) != 0 ||
        hc_engine_start(engine) != 0)
        return 1;

    printf("reads: rounds of get + hc_get(\"server.port\") + release per "
           "second, %.1f s per run\n",
           seconds);
    for (int n = 1; n <= 2; n++) {
        long long vers = 0;
        double bare = run(n, 0, 0, NULL);
        double fixed = run(n, 1, 0, NULL);
        double live = run(n, 1, 1, &vers);
        printf("  %d reader%s: plain jansson doc %6.1f M/s | hc_config_get, "
               "fixed file %6.1f M/s | while rewritten (%lld versions/s) "
               "%6.1f M/s  live/fixed %.2f\n",
               n, n == 1 ? " " : "s", bare / 1e6, fixed / 1e6,
               (long long)((double)vers / seconds), live / 1e6, live / fixed);
        fflush(stdout);
    }
    hc_engine_stats(engine, &st);
    printf("  (engine applied %llu versions during the live runs)\n",
           (unsigned long long)st.reloads);
    hc_engine_free(engine);
    json_decref(plain);
    unlink(path);
    rmdir(root);
    return 0;
}
