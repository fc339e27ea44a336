/*
 * http_bench.c - what the dashboard costs and serves (issue 11):
 *  1. requests/s of GET /api/stats and GET /metrics over keep-alive
 *     connections from C client threads (10 configs watched);
 *  2. detect-to-callback latency (subscriber callback time minus the
 *     engine's detected_ns) of in-place saves with no SSE client, then with
 *     10 open SSE clients reading every event: the cost the dashboard adds
 *     to the reload path;
 *  3. detect-to-SSE: how many of those saves reached an SSE client as an
 *     event of their own, and how long after detection it read them.
 * usage: bench_http [-n CHANGES] [-s SECONDS] [-c CLIENT_THREADS]
 */
#include "hotconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static volatile int stop_clients;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int dial(void)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

/* One keep-alive GET; returns 0 on a 200 with its whole body read. */
static int get(int fd, const char *path, char *buf, size_t cap)
{
    char req[256];
    size_t len = 0, need = 0;
    char *body = NULL;
    int n =
        snprintf(req, sizeof req,
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
        return -1;
    for (;;) {
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        if (!body && (body = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strstr(buf, "Content-Length: ");
            if (!cl)
                return -1;
            body += 4;
            need = (size_t)(body - buf) + strtoul(cl + 16, NULL, 10);
        }
        if (body && len >= need)
            return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
        if (len + 1 >= cap)
            return -1;
    }
}

typedef struct client {
    const char *path;
    long done, failed;
} client;

static void *client_main(void *arg)
{
    client *c = arg;
    char *buf = malloc(1 << 20);
    int fd = dial();
    while (!stop_clients) {
        if (get(fd, c->path, buf, 1 << 20) == 0) {
            c->done++;
        } else {
            c->failed++;
            close(fd);
            fd = dial();
        }
    }
    close(fd);
    free(buf);
    return NULL;
}

static void throughput(const char *path, int nthreads, double seconds)
{
    pthread_t t[16];
    client c[16];
    long done = 0, failed = 0;
    int64_t t0 = now_ns(), t1;
    stop_clients = 0;
    for (int i = 0; i < nthreads; i++) {
        c[i].path = path;
        c[i].done = c[i].failed = 0;
        pthread_create(&t[i], NULL, client_main, &c[i]);
    }
    {
        struct timespec ts = {
            (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
        nanosleep(&ts, NULL);
    }
    stop_clients = 1;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        done += c[i].done;
        failed += c[i].failed;
    }
    t1 = now_ns();
    printf("%-12s %8.0f req/s  (%ld requests, %ld failed, %d keep-alive "
           "clients)\n",
           path, (double)done / ((double)(t1 - t0) / 1e9), done, failed,
           nthreads);
}

/* ---- latency ----------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint64_t seen_version;
static int64_t *lat;
static int nlat;

/* Per version of svc0.json: when the engine detected it (CLOCK_MONOTONIC,
 * from the change record) and when SSE client 0 first read an event
 * naming it; 0 when never. */
static int64_t *det_ns, *sse_ns;
static size_t nver;

static int on_change(const hc_change_record *rec, void *data)
{
    int64_t d = now_ns() - rec->detected_ns;
    (void)data;
    pthread_mutex_lock(&mu);
    if (rec->version > 1)
        lat[nlat++] = d;
    if (rec->version < nver)
        det_ns[rec->version] = rec->detected_ns;
    seen_version = rec->version;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct sse_client {
    int index;
    long *events;
} sse_client;

/* One complete SSE event: counted; client 0 notes when it first saw each
 * version of svc0.json. */
static void sse_event(const sse_client *c, const char *ev)
{
    const char *v;
    if (!strstr(ev, "event: config"))
        return;
    __atomic_fetch_add(c->events, 1, __ATOMIC_RELAXED);
    if (c->index == 0 && strstr(ev, "\"id\":\"svc0.json\"") &&
        (v = strstr(ev, "\"version\":")) != NULL) {
        unsigned long long n = strtoull(v + 10, NULL, 10);
        if (n < nver && !__atomic_load_n(&sse_ns[n], __ATOMIC_RELAXED))
            __atomic_store_n(&sse_ns[n], now_ns(), __ATOMIC_RELAXED);
    }
}

static void *sse_main(void *arg)
{
    sse_client *c = arg;
    char buf[65536], req[256];
    size_t len = 0;
    int fd = dial();
    int n = snprintf(req, sizeof req,
                     "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
                     port);
    send(fd, req, (size_t)n, MSG_NOSIGNAL);
    for (;;) {
        char *start = buf, *end;
        ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        while ((end = strstr(start, "\n\n")) != NULL) {
            *end = '\0';
            sse_event(c, start);
            start = end + 2;
        }
        len -= (size_t)(start - buf);
        memmove(buf, start, len);
        if (len == sizeof buf - 1)
            len = 0; /* an event that big is not ours */
    }
    close(fd);
    return NULL;
}

static void latency(const char *file, int changes, const char *label)
{
    uint64_t want;
    pthread_mutex_lock(&mu);
    nlat = 0;
    want = seen_version;
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < changes; i++) {
        FILE *f = fopen(file, "w");
        fprintf(f, "{\"n\":%d,\"label\":\"%s\"}\n", i, label);
        fclose(f);
        want++;
        pthread_mutex_lock(&mu);
        while (seen_version < want)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        {
            /* 20 ms apart, as before the hub subscribed (when it
             * sampled every 100 ms) so the figures compare; each save
             * now reaches every SSE client as its own event */
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    qsort(lat, (size_t)nlat, sizeof *lat, cmp64);
    printf("%-22s n=%-5d p50 %7.1f us   p99 %7.1f us   max %8.1f us\n", label,
           nlat, (double)lat[nlat / 2] / 1e3,
           (double)lat[nlat * 99 / 100] / 1e3, (double)lat[nlat - 1] / 1e3);
}

/* Detect -> SSE client 0 read it, over versions [from, to]: how many of
 * them reached the client as their own event, and how soon. */
static void detect_to_sse(uint64_t from, uint64_t to)
{
    int64_t *d = calloc((size_t)(to - from + 1), sizeof *d);
    int k = 0;
    for (uint64_t v = from; v <= to && v < nver; v++) {
        int64_t s = __atomic_load_n(&sse_ns[v], __ATOMIC_RELAXED);
        if (s && det_ns[v])
            d[k++] = s - det_ns[v];
    }
    printf("detect-to-SSE client   %d of %d versions sent on their own", k,
           (int)(to - from + 1));
    if (k) {
        qsort(d, (size_t)k, sizeof *d, cmp64);
        printf(",  p50 %7.1f us   p99 %8.1f us", (double)d[k / 2] / 1e3,
               (double)d[k * 99 / 100] / 1e3);
    }
    printf("\n");
    free(d);
}

int main(int argc, char **argv)
{
    int changes = 300, nthreads = 2;
    double seconds = 3;
    char dir[] = "/tmp/hc-bench-http-XXXXXX", file[256];
    hc_engine *e;
    hc_http *h;
    hc_http_options o;
    hc_error err;
    pthread_t sse[10];
    sse_client sc[10];
    long events = 0;
    uint64_t first;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-n"))
            changes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-s"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-c"))
            nthreads = atoi(argv[i + 1]);
    }
    if (nthreads < 1 || nthreads > 16 || changes < 10)
        return 2;
    if (!mkdtemp(dir))
        return 1;
    lat = calloc((size_t)changes + 1, sizeof *lat);
    nver = 2 * (size_t)changes + 2;
    det_ns = calloc(nver, sizeof *det_ns);
    sse_ns = calloc(nver, sizeof *sse_ns);
    e = hc_engine_new(NULL);
    for (int i = 0; i < 10; i++) {
        FILE *f;
        snprintf(file, sizeof file, "%s/svc%d.json", dir, i);
        f = fopen(file, "w");
        fprintf(
            f,
            "{\"service\":\"svc%d\",\"port\":%d,\"db\":{\"password\":\"x\"},"
            "\"features\":[1,2,3]}\n",
            i, 8000 + i);
        fclose(f);
        hc_watch(e, file, NULL);
    }
    snprintf(file, sizeof file, "%s/svc0.json", dir);
    hc_subscribe(e, file, on_change, NULL);
    hc_engine_start(e);
    hc_http_options_init(&o);
    o.token = "bench-token-0123456789abcdef";
    o.port = 0;
    if (!(h = hc_http_start(e, &o, &err))) {
        fprintf(stderr, "hc_http_start: %s\n", err.text);
        return 1;
    }
    port = hc_http_port(h);

    printf("# requests/s, 10 configs watched, %.0f s each\n", seconds);
    throughput("/api/stats", nthreads, seconds);
    throughput("/metrics", nthreads, seconds);
    throughput("/api/configs", nthreads, seconds);

    printf("# detect-to-callback of in-place saves (%d changes)\n", changes);
    latency(file, changes, "no SSE client");
    for (int i = 0; i < 10; i++) {
        sc[i].index = i;
        sc[i].events = &events;
        pthread_create(&sse[i], NULL, sse_main, &sc[i]);
    }
    {
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&mu);
    first = seen_version + 1;
    pthread_mutex_unlock(&mu);
    latency(file, changes, "10 SSE clients");
    {
        /* the last event's way to the client */
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    detect_to_sse(first, first + (uint64_t)changes - 1);
    hc_http_stop(h); /* ends the SSE streams */
    for (int i = 0; i < 10; i++)
        pthread_join(sse[i], NULL);
    printf("SSE clients received %ld config events in all\n", events);
    hc_engine_free(e);
    for (int i = 0; i < 10; i++) {
        snprintf(file, sizeof file, "%s/svc%d.json", dir, i);
        unlink(file);
    }
    rmdir(dir);
    free(lat);
    free(det_ns);
    free(sse_ns);
    return 0;
}
