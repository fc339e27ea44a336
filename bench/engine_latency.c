/*
 * engine_latency.c - detection-to-callback latency of the watch engine, per
 * save pattern: the writer finishes a save, notes the time, and waits for
 * the notification of that version (in-process: the subscriber callback on
 * the monitor thread; through the CLI: the `hotconf watch --events` line
 * read from its stdout). Prints p50/p99/max over N changes and counts
 * missed, duplicate and out-of-order versions.
 *
 * usage: bench_engine_latency [-n N] [--cli PATH-TO-hotconf] [--busy]
 *                             [--pattern NAME] [--slow MS]
 * --busy runs a busy loop on each core meanwhile (the tails under CPU
 * load) and adds the p99.9 column; --pattern runs one save pattern only;
 * --slow prints each save that waited MS or longer on stderr, with its
 * CLOCK_MONOTONIC time (to line up with a sampler of steal time).
 * The tail run of issue 15: -n 10000 --busy.
 */
#include "bench_util.h"
#include "hotconf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_NS ((int64_t)2000000000) /* a version not seen in 2 s: missed */

/* ---- save patterns ----------------------------------------------------- */

enum pattern {
    INPLACE,
    RENAME,
    DELRECREATE,
    MOVEBACK,
    SYMLINK,
    DIRRECREATE,
    KEEPOPEN,
    NPATTERNS
};
static const char *pattern_names[] = {
    "in-place",     "rename-over",  "delete+create", "move-away-back",
    "symlink-swap", "dir-recreate", "keep-open*"};

static char root[4096], dir[4200], path[4300];
static int gen;
/* Taken just before the syscall that completes a save (its close or
 * rename): the latency includes that syscall, never the writer's
 * descheduling after it. */
static int64_t t_done;

static void write_all(const char *p, const char *data, int keep_open_fd)
{
    int fd = keep_open_fd >= 0
                 ? keep_open_fd
                 : open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(data);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len)
        die(p);
    t_done = now_ns();
    if (keep_open_fd < 0 && close(fd) != 0)
        die(p);
}

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void rmtree(const char *p)
{
    nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void k8s_publish(const char *data)
{
    char g[4400], file[4500], tmpl[4400], datal[4400], old[4400];
    ssize_t n;
    snprintf(g, sizeof g, "%s/..v%d", dir, ++gen);
    snprintf(file, sizeof file, "%s/app.json", g);
    snprintf(tmpl, sizeof tmpl, "%s/..data_tmp", dir);
    snprintf(datal, sizeof datal, "%s/..data", dir);
    if (mkdir(g, 0755) != 0)
        die(g);
    write_all(file, data, -1);
    n = readlink(datal, old, sizeof old - 1);
    if (symlink(g + strlen(dir) + 1, tmpl) != 0)
        die("symlink");
    t_done = now_ns();
    if (rename(tmpl, datal) != 0)
        die("symlink swap");
    if (n > 0) {
        char op[8900];
        old[n] = '\0';
        snprintf(op, sizeof op, "%s/%s", dir, old);
        rmtree(op);
    }
}

static void setup(enum pattern p, const char *data)
{
    rmtree(dir);
    if (mkdir(dir, 0755) != 0)
        die(dir);
    if (p == SYMLINK) {
        k8s_publish(data);
        if (symlink("..data/app.json", path) != 0)
            die(path);
    } else {
        write_all(path, data, -1);
    }
}

/* Saves data the pattern's way; returns an fd to close later or -1. */
static int save(enum pattern p, const char *data)
{
    char other[4400];
    int fd;
    switch (p) {
    case INPLACE: write_all(path, data, -1); break;
    case RENAME:
        snprintf(other, sizeof other, "%s.tmp", path);
        write_all(other, data, -1);
        t_done = now_ns();
        if (rename(other, path) != 0)
            die("rename");
        break;
    case DELRECREATE:
        if (unlink(path) != 0)
            die("unlink");
        write_all(path, data, -1);
        break;
    case MOVEBACK:
        snprintf(other, sizeof other, "%s/moved.json", root);
        if (rename(path, other) != 0)
            die("rename away");
        write_all(other, data, -1);
        t_done = now_ns();
        if (rename(other, path) != 0)
            die("rename back");
        break;
    case SYMLINK: k8s_publish(data); break;
    case DIRRECREATE:
        rmtree(dir);
        if (mkdir(dir, 0755) != 0)
            die(dir);
        write_all(path, data, -1);
        break;
    case KEEPOPEN:
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
            die(path);
        write_all(path, data, fd);
        return fd;
    default: break;
    }
    return -1;
}

static void content(char *buf, size_t size, long long v)
{
    snprintf(buf, size,
             "{\"v\": %lld, \"service\": \"checkout\", \"server\": "
             "{\"host\": \"0.0.0.0\", \"port\": 8080, \"workers\": 4}, "
             "\"log\": {\"level\": \"info\"}}\n",
             v);
}

/* ---- results ------------------------------------------------------------- */

typedef struct result {
    int64_t *lat;
    int n, missed, dup, ooo;
} result;

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int busy;        /* --busy: also print p99.9 */
static int64_t slow_ns; /* --slow MS: each save that waited longer, on stderr */

/* The save's time is CLOCK_MONOTONIC: line it up with a sampler of
 * /proc/stat (steal time) or a trace. Where the wait went: in-process,
 * the record's detected_ns and applied_ns (same clock) split it into
 * save -> event read, the engine's work, and delivery to the callback;
 * through the CLI, the event's latency_us is the engine's part. */
static void note_slow(const char *how, enum pattern p, long long v, int64_t t,
                      int64_t at, int64_t detected, int64_t applied,
                      long long engine_us)
{
    int64_t lat = at - t;
    if (!slow_ns || lat < slow_ns)
        return;
    fprintf(stderr, "slow: %s %s v%lld saved at %.6f s waited %.1f ms", how,
            pattern_names[p], v, (double)t / 1e9, (double)lat / 1e6);
    if (detected)
        fprintf(stderr,
                " (save -> detected %.1f ms, detected -> swapped %.1f ms, "
                "swapped -> callback %.1f ms)",
                (double)(detected - t) / 1e6,
                (double)(applied - detected) / 1e6,
                (double)(at - applied) / 1e6);
    if (engine_us >= 0)
        fprintf(stderr, " (event latency_us %lld)", engine_us);
    fprintf(stderr, "\n");
}

static void print_result(const char *name, result *r, int total,
                         double apply_us)
{
    double p50 = 0, p99 = 0, p999 = 0, max = 0;
    if (r->n) {
        int k = (int)(((int64_t)r->n * 999) / 1000);
        qsort(r->lat, (size_t)r->n, sizeof *r->lat, cmp64);
        p50 = (double)r->lat[r->n / 2] / 1e3;
        p99 =
            (double)r
                ->lat[(r->n * 99) / 100 < r->n ? (r->n * 99) / 100 : r->n - 1] /
            1e3;
        max = (double)r->lat[r->n - 1] / 1e3;
        p999 = (double)r->lat[k < r->n ? k : r->n - 1] / 1e3;
    }
    printf("  %-15s %5d %9.1f %9.1f", name, total, p50, p99);
    if (busy)
        printf(" %9.1f", p999);
    printf(" %9.1f %7d %4d %4d", max, r->missed, r->dup, r->ooo);
    if (apply_us >= 0)
        printf(" %9.1f", apply_us);
    printf("\n");
    fflush(stdout);
}

static void header(const char *title, int engine_column)
{
    printf("%s\n  %-15s %5s %9s %9s", title, "pattern", "n", "p50 us",
           "p99 us");
    if (busy)
        printf(" %9s", "p99.9 us");
    printf(" %9s %7s %4s %4s%s\n", "max us", "missed", "dup", "ooo",
           engine_column ? "  apply us" : "");
}

/* ---- CPU load ------------------------------------------------------------ */

static atomic_int busy_stop;

static void *spin(void *arg)
{
    volatile unsigned long x = 0;
    (void)arg;
    while (!atomic_load(&busy_stop))
        x++;
    return NULL;
}

/* ---- in-process ------------------------------------------------------ */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long long last_v;
static int64_t cb_ns, cb_detected, cb_applied;
static int dups, ooos;

static int on_change(const hc_change_record *rec, void *ud)
{
    long long v = (long long)hc_get_int(rec->new_doc, "v", -1, NULL);
    int64_t t = now_ns();
    (void)ud;
    pthread_mutex_lock(&mu);
    if (v == last_v)
        dups++;
    else if (v < last_v)
        ooos++;
    last_v = v;
    cb_ns = t;
    cb_detected = rec->detected_ns;
    cb_applied = rec->applied_ns;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}

static int wait_v(long long v, int64_t *at)
{
    struct timespec ts;
    int ok;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_NS / 1000000000;
    pthread_mutex_lock(&mu);
    while (last_v < v)
        if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
            break;
    ok = last_v >= v;
    *at = cb_ns;
    pthread_mutex_unlock(&mu);
    return ok;
}

/* The engine's warnings (a watch fallen back to polling would explain a
 * wait of up to the poll interval): counted, and shown on stderr. */
static atomic_int warnings;

static void count_warning(int level, const char *msg, void *ud)
{
    (void)ud;
    if (level != HC_LOG_WARN)
        return;
    atomic_fetch_add(&warnings, 1);
    fprintf(stderr, "engine: %s\n", msg);
}

static void in_process(enum pattern p, int n)
{
    hc_engine_options eo;
    hc_engine *e;
    hc_watch_options wo;
    hc_stats st;
    result r;
    char buf[512];
    memset(&r, 0, sizeof r);
    r.lat = calloc((size_t)n, sizeof *r.lat);
    content(buf, sizeof buf, 0);
    setup(p, buf);
    memset(&eo, 0, sizeof eo);
    eo.log = count_warning;
    e = hc_engine_new(&eo);
    atomic_store(&warnings, 0);
    last_v = -1;
    dups = ooos = 0;
    memset(&wo, 0, sizeof wo);
    wo.on_change = on_change;
    if (!e || hc_watch(e, path, &wo) != 0 || hc_engine_start(e) != 0)
        die("engine");
    if (!wait_v(0, &cb_ns))
        die("first load");
    for (long long v = 1; v <= n; v++) {
        int64_t t, at;
        int fd;
        content(buf, sizeof buf, v);
        fd = save(p, buf);
        t = t_done;
        if (wait_v(v, &at)) {
            int64_t detected, applied;
            pthread_mutex_lock(&mu);
            detected = cb_detected;
            applied = cb_applied;
            pthread_mutex_unlock(&mu);
            r.lat[r.n++] = at - t;
            note_slow("in-process", p, v, t, at, detected, applied, -1);
        } else
            r.missed++;
        if (fd >= 0)
            close(fd);
    }
    usleep(200000); /* a late duplicate would show up now */
    pthread_mutex_lock(&mu);
    r.dup = dups;
    r.ooo = ooos;
    pthread_mutex_unlock(&mu);
    hc_config_stats(e, path, &st);
    hc_engine_free(e);
    /* The engine's own part: event read -> snapshot swapped (mean). */
    print_result(pattern_names[p], &r, n, (double)st.latency_mean_ns / 1e3);
    /* Which source follows it at the end: a fallback would be "poll". */
    printf("    -> watch mode at the end: %s, engine warnings: %d\n",
           st.files_polled ? "poll" : "inotify", atomic_load(&warnings));
    free(r.lat);
}

/* ---- through hotconf watch --events ---------------------------------------
 */

typedef struct reader {
    int fd;
    char buf[1 << 16];
    size_t len;
} reader;

/* Next line within the deadline; NULL on timeout/EOF. */
static char *read_line(reader *rd, int64_t deadline)
{
    for (;;) {
        char *nl = memchr(rd->buf, '\n', rd->len);
        struct pollfd pfd = {rd->fd, POLLIN, 0};
        int64_t left;
        ssize_t got;
        if (nl) {
            size_t k = (size_t)(nl - rd->buf);
            char *line = strndup(rd->buf, k);
            memmove(rd->buf, nl + 1, rd->len - k - 1);
            rd->len -= k + 1;
            return line;
        }
        left = deadline - now_ns();
        if (left <= 0 || poll(&pfd, 1, (int)(left / 1000000) + 1) <= 0)
            return NULL;
        got = read(rd->fd, rd->buf + rd->len, sizeof rd->buf - rd->len - 1);
        if (got <= 0)
            return NULL;
        rd->len += (size_t)got;
    }
}

/* The "v" in an applied event's changes, -1 otherwise; *engine_us its
 * latency_us. */
static long long event_v(const char *line, long long *engine_us)
{
    json_t *ev = json_loads(line, 0, NULL);
    long long v = -1;
    if (ev && strcmp(hc_get_string(ev, "event", "", NULL), "applied") == 0) {
        if (engine_us)
            *engine_us = (long long)hc_get_int(ev, "latency_us", -1, NULL);
        json_t *changes = json_object_get(ev, "changes");
        size_t i;
        json_t *c;
        json_array_foreach(changes, i, c)
        {
            if (strcmp(hc_get_string(c, "path", "", NULL), "v") == 0)
                v = (long long)hc_get_int(c, "new", -1, NULL);
        }
    }
    json_decref(ev);
    return v;
}

static void through_cli(const char *cli, enum pattern p, int n)
{
    int pfd[2];
    pid_t pid;
    reader *rd = calloc(1, sizeof *rd);
    result r;
    char buf[512], *line;
    long long seen = -1;
    memset(&r, 0, sizeof r);
    r.lat = calloc((size_t)n, sizeof *r.lat);
    content(buf, sizeof buf, 0);
    setup(p, buf);
    if (pipe(pfd) != 0)
        die("pipe");
    pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execl(cli, cli, "watch", "--events", path, (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    rd->fd = pfd[0];
    /* Wait for "ready". */
    while ((line = read_line(rd, now_ns() + 5 * WAIT_NS))) {
        int ready = strstr(line, "\"ready\"") != NULL;
        free(line);
        if (ready)
            break;
    }
    for (long long v = 1; v <= n; v++) {
        int64_t t, deadline;
        int fd, got = 0;
        content(buf, sizeof buf, v);
        fd = save(p, buf);
        t = t_done;
        deadline = now_ns() + WAIT_NS;
        while (!got && (line = read_line(rd, deadline))) {
            long long engine_us = -1, ev = event_v(line, &engine_us);
            int64_t at = now_ns();
            free(line);
            if (ev < 0)
                continue;
            if (ev == seen)
                r.dup++;
            else if (ev < seen)
                r.ooo++;
            seen = ev > seen ? ev : seen;
            if (ev == v) {
                r.lat[r.n++] = at - t;
                note_slow("cli", p, v, t, at, 0, 0, engine_us);
                got = 1;
            }
        }
        if (!got)
            r.missed++;
        if (fd >= 0)
            close(fd);
    }
    /* Late duplicates. */
    while ((line = read_line(rd, now_ns() + 200000000))) {
        long long ev = event_v(line, NULL);
        free(line);
        if (ev >= 0 && ev <= seen)
            r.dup++;
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    close(rd->fd);
    free(rd);
    print_result(pattern_names[p], &r, n, -1);
    free(r.lat);
}

int main(int argc, char **argv)
{
    int n = 1000, only = -1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_t spinners[64];
    int nspin = 0;
    const char *cli = NULL, *tmp = getenv("TMPDIR");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            n = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--cli") && i + 1 < argc) {
            cli = argv[++i];
        } else if (!strcmp(argv[i], "--busy")) {
            busy = 1;
        } else if (!strcmp(argv[i], "--slow") && i + 1 < argc) {
            slow_ns = (int64_t)atoi(argv[++i]) * 1000000;
        } else if (!strcmp(argv[i], "--pattern") && i + 1 < argc) {
            i++;
            for (int p = 0; p < NPATTERNS; p++)
                if (!strcmp(argv[i], pattern_names[p]))
                    only = p;
            if (only < 0) {
                fprintf(stderr, "unknown pattern %s\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr,
                    "usage: %s [-n N] [--cli PATH-TO-hotconf] [--busy] "
                    "[--pattern NAME] [--slow MS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (busy) {
        double load[1] = {0};
        for (long k = 0; k < ncpu && nspin < 64; k++)
            if (pthread_create(&spinners[nspin], NULL, spin, NULL) == 0)
                nspin++;
        usleep(100000);
        getloadavg(load, 1);
        printf("# under CPU load: %d busy threads, load average %.2f\n", nspin,
               load[0]);
    }
    snprintf(root, sizeof root, "%s/hc-bench-latency.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root))
        die("mkdtemp");
    snprintf(dir, sizeof dir, "%s/conf", root);
    snprintf(path, sizeof path, "%s/app.json", dir);

    header("latency, in-process: save's last syscall -> subscriber callback "
           "(apply us: the engine's own mean, event read -> snapshot swap)",
           1);
    for (int p = 0; p < NPATTERNS; p++)
        if (only < 0 || only == p)
            in_process((enum pattern)p, p == KEEPOPEN ? n / 10 : n);
    if (cli) {
        header("latency, through `hotconf watch --events`: save's last "
               "syscall -> event line read",
               0);
        for (int p = 0; p < NPATTERNS; p++)
            if (only < 0 || only == p)
                through_cli(cli, (enum pattern)p, p == KEEPOPEN ? n / 10 : n);
    }
    printf("  * keep-open: the writer never closes; applied after the "
           "settle time (50 ms)\n");
    rmtree(root);
    atomic_store(&busy_stop, 1);
    for (int k = 0; k < nspin; k++)
        pthread_join(spinners[k], NULL);
    return 0;
}
