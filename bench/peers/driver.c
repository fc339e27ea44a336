/* driver.c - one peer, one save style: write numbered versions of a config
 * file, read what the peer reports, and score it (bench/peers/run.sh).
 *
 * usage: driver --name NAME --style atomic|inplace|symlink|recreate
 *               --dir DIR --csv FILE --lat FILE [--versions N]
 *               [--paced-ms 50] [--burst-ms 10] [--settle-ms 1500]
 *               [--idle-ms 3000] [--startup-ms 3000] [--parse hotconf]
 *               -- PEER ARGV...   ("{}" in ARGV becomes the file's path)
 *
 * Every version is {"seq":N,...}; the peer prints the content it sees, one
 * line per reload (hotconf: its --events line, whose change to "seq" carries
 * the number). Latency of version N = first line showing N - the moment N
 * became visible. A version never shown is missed; a number shown twice is a
 * duplicate; a number lower than one already shown is stale. Catch-up
 * latency of N = first line showing N or newer - the moment N was visible. The
 * peer runs in its own process group, so its whole tree is measured (RSS, CPU)
 * and stopped. No shell: the peer is exec'd from ARGV. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum style { ATOMIC, INPLACE, SYMLINK, RECREATE };
static const char *const style_names[] = {"atomic", "inplace", "symlink",
                                          "recreate"};

static struct {
    const char *name, *dir, *csv, *lat;
    enum style style;
    int versions, paced_ms, burst_ms, settle_ms, idle_ms, startup_ms;
    int parse_hotconf;
} o = {.versions = 100,
       .paced_ms = 50,
       .burst_ms = 10,
       .settle_ms = 1500,
       .idle_ms = 3000,
       .startup_ms = 3000};

static char file[4096];
static pid_t peer = -1;
static int peer_out = -1;
static long last_seen = -1; /* highest number shown so far */
static double *written_at;  /* index: seq; 0 = not written */
static double *first_seen;  /* index: seq; 0 = not shown */
static int *shown;          /* index: seq; how many times */
static long dups, stale, lines_seen;
static long last_shown = -1; /* number on the peer's most recent line */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "driver: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (peer > 0)
        kill(-peer, SIGKILL);
    exit(2);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void path_in(char *out, size_t n, const char *name)
{
    if ((size_t)snprintf(out, n, "%s/%s", o.dir, name) >= n)
        die("path too long");
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            die("write: %s", strerror(errno));
        buf += w;
        len -= (size_t)w;
    }
}

static void write_file(const char *path, int flags, const char *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd < 0)
        die("open %s: %s", path, strerror(errno));
    write_all(fd, buf, len);
    close(fd);
}

/* Writes version seq in the chosen style; returns the moment it was made
 * visible (taken just before the syscall that publishes it). */
static double save(long seq)
{
    char buf[512], tmp[4200], dat[4200], sub[4200], subf[4300];
    int len = snprintf(buf, sizeof buf,
                       "{\"seq\":%ld,\"name\":\"bench\",\"pad\":\"%0200d\"}\n",
                       seq, 0);
    double t;
    switch (o.style) {
    case ATOMIC:
        path_in(tmp, sizeof tmp, ".config.json.tmp");
        write_file(tmp, O_CREAT | O_TRUNC, buf, (size_t)len);
        t = now_ms();
        if (rename(tmp, file) != 0)
            die("rename: %s", strerror(errno));
        return t;
    case INPLACE: {
        int fd;
        t = now_ms();
        fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
            die("open %s: %s", file, strerror(errno));
        write_all(fd, buf, (size_t)len);
        close(fd);
        return t;
    }
    case RECREATE:
        t = now_ms();
        if (unlink(file) != 0 && errno != ENOENT)
            die("unlink: %s", strerror(errno));
        write_file(file, O_CREAT | O_EXCL, buf, (size_t)len);
        return t;
    case SYMLINK: {
        /* Kubernetes' AtomicWriter: a new timestamped dir, ..data_tmp
         * pointing at it, renamed over ..data, the old dir removed. */
        char name[64];
        snprintf(name, sizeof name, "..v%ld", seq);
        path_in(sub, sizeof sub, name);
        if (mkdir(sub, 0755) != 0)
            die("mkdir %s: %s", sub, strerror(errno));
        snprintf(subf, sizeof subf, "%s/config.json", sub);
        write_file(subf, O_CREAT | O_TRUNC, buf, (size_t)len);
        path_in(tmp, sizeof tmp, "..data_tmp");
        path_in(dat, sizeof dat, "..data");
        if (symlink(name, tmp) != 0)
            die("symlink: %s", strerror(errno));
        t = now_ms();
        if (rename(tmp, dat) != 0)
            die("rename: %s", strerror(errno));
        if (seq > 0) {
            snprintf(name, sizeof name, "..v%ld", seq - 1);
            path_in(sub, sizeof sub, name);
            snprintf(subf, sizeof subf, "%s/config.json", sub);
            unlink(subf);
            rmdir(sub);
        }
        return t;
    }
    }
    return 0;
}

static void setup(void)
{
    path_in(file, sizeof file, "config.json");
    if (o.style == SYMLINK) {
        save(0);
        if (symlink("..data/config.json", file) != 0)
            die("symlink: %s", strerror(errno));
    } else {
        char buf[64];
        int len = snprintf(buf, sizeof buf, "{\"seq\":0,\"name\":\"bench\"}\n");
        write_file(file, O_CREAT | O_TRUNC, buf, (size_t)len);
    }
}

/* The version number on one line of the peer's output, or -1. */
static long parse_seq(const char *line)
{
    const char *p;
    if (o.parse_hotconf) {
        if (!strstr(line, "\"event\":\"applied\""))
            return -1;
        /* The change to "seq" carries the number (the first load lists
         * it as added). */
        p = strstr(line, "\"path\":\"seq\"");
        if (!p)
            return -1;
        p = strstr(p, "\"new\":");
        return p ? strtol(p + 6, NULL, 10) : -1;
    }
    p = strstr(line, "\"seq\"");
    if (!p)
        return -1;
    p += 5;
    while (*p == ' ' || *p == ':')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    return strtol(p, NULL, 10);
}

static int ready_line;

static void on_line(const char *line, double t)
{
    long s = parse_seq(line);
    if (strstr(line, "\"event\":\"ready\""))
        ready_line = 1;
    if (s < 0 || s > 2L * o.versions)
        return;
    lines_seen++;
    if (s < last_seen)
        stale++;
    else if (s == last_shown)
        dups++;
    else if (shown[s])
        dups++;
    shown[s]++;
    if (!first_seen[s])
        first_seen[s] = t;
    if (s > last_seen)
        last_seen = s;
    last_shown = s;
}

/* Reads the peer's output until the deadline (absolute, ms). */
static void pump(double until)
{
    static char buf[1 << 16];
    static size_t have;
    for (;;) {
        double left = until - now_ms();
        struct pollfd p = {.fd = peer_out, .events = POLLIN};
        int r;
        if (left <= 0 || peer_out < 0)
            return;
        r = poll(&p, 1, left < 1 ? 1 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t n = read(peer_out, buf + have, sizeof buf - 1 - have);
        double t = now_ms();
        if (n <= 0) {
            close(peer_out);
            peer_out = -1;
            return;
        }
        have += (size_t)n;
        buf[have] = 0;
        char *start = buf, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = 0;
            on_line(start, t);
            start = nl + 1;
        }
        have -= (size_t)(start - buf);
        memmove(buf, start, have);
        if (have == sizeof buf - 1)
            have = 0; /* a line longer than the buffer: dropped */
    }
}

/* The peer's process tree: its process group (it is the leader). */
static int in_tree(pid_t pid)
{
    return getpgid(pid) == peer;
}

/* CPU time of every thread of pid, from schedstat (ns): clock ticks
 * (10 ms) are too coarse for an idle watcher. */
static double task_cpu_s(pid_t pid)
{
    char p[300];
    double sum = 0;
    struct dirent *e;
    DIR *d;
    snprintf(p, sizeof p, "/proc/%d/task", pid);
    if (!(d = opendir(p)))
        return 0;
    while ((e = readdir(d))) {
        char q[600];
        unsigned long long ns;
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(q, sizeof q, "%s/%s/schedstat", p, e->d_name);
        if ((f = fopen(q, "r"))) {
            if (fscanf(f, "%llu", &ns) == 1)
                sum += (double)ns / 1e9;
            fclose(f);
        }
    }
    closedir(d);
    return sum;
}

static void tree_usage(long *rss_kib, double *cpu_s)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    *rss_kib = 0;
    *cpu_s = 0;
    if (!d)
        return;
    while ((e = readdir(d))) {
        char p[300], line[1024];
        pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
        FILE *f;
        if (pid <= 0 || !in_tree(pid))
            continue;
        snprintf(p, sizeof p, "/proc/%d/status", pid);
        if ((f = fopen(p, "r"))) {
            while (fgets(line, sizeof line, f))
                if (!strncmp(line, "VmRSS:", 6))
                    *rss_kib += strtol(line + 6, NULL, 10);
            fclose(f);
        }
        *cpu_s += task_cpu_s(pid);
    }
    closedir(d);
}

static void start_peer(char **argv)
{
    int pfd[2];
    size_t n = 0;
    while (argv[n])
        n++;
    char **av = calloc(n + 1, sizeof *av);
    if (!av)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        av[i] = strcmp(argv[i], "{}") == 0 ? file : argv[i];
    if (pipe2(pfd, O_CLOEXEC) != 0)
        die("pipe: %s", strerror(errno));
    peer = fork();
    if (peer < 0)
        die("fork: %s", strerror(errno));
    if (peer == 0) {
        setpgid(0, 0);
        dup2(pfd[1], STDOUT_FILENO);
        setenv("PEER_FILE", file, 1);
        execvp(av[0], av);
        fprintf(stderr, "driver: exec %s: %s\n", av[0], strerror(errno));
        _exit(127);
    }
    setpgid(peer, peer);
    close(pfd[1]);
    peer_out = pfd[0];
    free(av);
}

static void stop_peer(void)
{
    int st;
    if (peer <= 0)
        return;
    kill(-peer, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(peer, &st, WNOHANG) == peer) {
            kill(-peer, SIGKILL); /* any child left behind */
            peer = -1;
            return;
        }
        usleep(20000);
    }
    kill(-peer, SIGKILL);
    waitpid(peer, &st, 0);
    peer = -1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
    int i;
    if (n == 0)
        return -1;
    i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

/* Writes versions first..last every gap_ms, settles, scores them. */
static void phase(const char *sched, long first, long last, int gap_ms,
                  FILE *csv, FILE *lat, long rss_idle, double idle_pct)
{
    long d0 = dups, s0 = stale, missed = 0;
    double start = now_ms(), *v;
    int nv = 0;
    for (long s = first; s <= last; s++) {
        pump(start + (double)(s - first) * gap_ms);
        written_at[s] = save(s);
    }
    pump(now_ms() + o.settle_ms);
    v = calloc((size_t)o.versions, sizeof *v); /* each phase: versions */
    if (!v)
        die("out of memory");
    for (long s = first; s <= last; s++) {
        if (!first_seen[s]) {
            missed++;
            continue;
        }
        double l = first_seen[s] - written_at[s];
        v[nv++] = l;
        fprintf(lat, "%s,%s,%s,%ld,%.4f\n", o.name, style_names[o.style], sched,
                s - first + 1, l);
    }
    qsort(v, (size_t)nv, sizeof *v, cmp_d);
    double p50 = pct(v, nv, .5), p90 = pct(v, nv, .9), p99 = pct(v, nv, .99);
    double mx = nv ? v[nv - 1] : -1;
    /* Catch-up: version N - the first line showing N or a newer one. It is
     * what a reader of the config waits, also for versions a peer skipped. */
    int nc = 0;
    double best = 0;
    for (long s = last; s >= first; s--) {
        if (first_seen[s] && (!best || first_seen[s] < best))
            best = first_seen[s];
        if (best)
            v[nc++] = best - written_at[s];
    }
    qsort(v, (size_t)nc, sizeof *v, cmp_d);
    long rss;
    double cpu;
    tree_usage(&rss, &cpu);
    fprintf(csv,
            "%s,%s,%s,%ld,%ld,%ld,%ld,%ld,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,"
            "%ld,%ld,%.3f\n",
            o.name, style_names[o.style], sched, last - first + 1, (long)nv,
            missed, dups - d0, stale - s0, last_shown == last ? "yes" : "no",
            p50, p90, p99, mx, pct(v, nc, .5), pct(v, nc, .99), rss_idle, rss,
            idle_pct);
    fflush(csv);
    fflush(lat);
    free(v);
}

/* Ctrl-C or a kill of the run: take the peer's process group with us. */
static void on_signal(int sig)
{
    if (peer > 0)
        kill(-peer, SIGTERM);
    _exit(128 + sig);
}

static int opt_int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < 0 || v > 1000000)
        die("bad number: %s", s);
    return (int)v;
}

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "--parse") && v && !strcmp(v, "hotconf"))
            o.parse_hotconf = 1;
        else if (!v)
            die("%s needs a value", a);
        else if (!strcmp(a, "--name"))
            o.name = v;
        else if (!strcmp(a, "--dir"))
            o.dir = v;
        else if (!strcmp(a, "--csv"))
            o.csv = v;
        else if (!strcmp(a, "--lat"))
            o.lat = v;
        else if (!strcmp(a, "--versions"))
            o.versions = opt_int(v);
        else if (!strcmp(a, "--paced-ms"))
            o.paced_ms = opt_int(v);
        else if (!strcmp(a, "--burst-ms"))
            o.burst_ms = opt_int(v);
        else if (!strcmp(a, "--settle-ms"))
            o.settle_ms = opt_int(v);
        else if (!strcmp(a, "--idle-ms"))
            o.idle_ms = opt_int(v);
        else if (!strcmp(a, "--startup-ms"))
            o.startup_ms = opt_int(v);
        else if (!strcmp(a, "--style")) {
            int k;
            for (k = 0; k < 4 && strcmp(v, style_names[k]); k++)
                ;
            if (k == 4)
                die("unknown style %s", v);
            o.style = (enum style)k;
        } else
            die("unknown option %s", a);
        i++;
    }
    if (i >= argc || !o.name || !o.dir || !o.csv || !o.lat || o.versions < 1)
        die("usage: see the comment at the top of driver.c");
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    written_at = calloc((size_t)(2 * o.versions + 1), sizeof *written_at);
    first_seen = calloc((size_t)(2 * o.versions + 1), sizeof *first_seen);
    shown = calloc((size_t)(2 * o.versions + 1), sizeof *shown);
    FILE *csv = fopen(o.csv, "a"), *lat = fopen(o.lat, "a");
    if (!written_at || !first_seen || !shown || !csv || !lat)
        die("cannot open outputs");
    setup();
    start_peer(argv + i);

    /* Ready: the peer showed version 0 (or hotconf said "ready"); then a
     * little more, since some print before their watch is in place. */
    double t0 = now_ms();
    while (now_ms() - t0 < o.startup_ms && !(ready_line && shown[0]) &&
           !(shown[0] && !o.parse_hotconf) && peer_out >= 0)
        pump(now_ms() + 20);
    if (!shown[0])
        fprintf(stderr, "driver: %s/%s: no initial report in %d ms\n", o.name,
                style_names[o.style], o.startup_ms);
    pump(now_ms() + 300);

    long rss_idle = 0;
    double c0, c1, idle_pct = -1;
    if (o.idle_ms > 0) {
        tree_usage(&rss_idle, &c0);
        double w0 = now_ms();
        pump(w0 + o.idle_ms);
        tree_usage(&rss_idle, &c1);
        idle_pct = 100.0 * (c1 - c0) / ((now_ms() - w0) / 1e3);
    } else {
        tree_usage(&rss_idle, &c0);
    }
    dups = stale = 0;
    phase("paced", 1, o.versions, o.paced_ms, csv, lat, rss_idle, idle_pct);
    phase("burst", o.versions + 1, 2L * o.versions, o.burst_ms, csv, lat,
          rss_idle, idle_pct);
    stop_peer();
    if (peer_out >= 0)
        close(peer_out);
    fclose(csv);
    fclose(lat);
    free(written_at);
    free(first_seen);
    free(shown);
    return 0;
}
