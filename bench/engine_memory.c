/*
 * engine_memory.c - resident memory of a process watching N small configs
 * (N = 10, 100, 1000, 10000 by default; 100 files per directory). Each N
 * runs in a fresh child process so the figures do not inherit each other's
 * heap; the baseline is the same process before the engine exists.
 *
 * usage: bench_engine_memory [N...]
 */
#include "hotconf.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(int n, const char *root)
{
    char p[4300];
    long base, after;
    double t0, t1;
    hc_engine *e;
    for (int i = 0; i < n; i++) {
        FILE *f;
        if (i % 100 == 0) {
            snprintf(p, sizeof p, "%s/d%d", root, i / 100);
            mkdir(p, 0755);
        }
        snprintf(p, sizeof p, "%s/d%d/c%d.json", root, i / 100, i);
        f = fopen(p, "w");
        if (!f)
            return 1;
        fprintf(f,
                "{\"service\": \"svc%d\", \"port\": %d, \"debug\": false, "
                "\"tags\": [\"a\", \"b\"]}\n",
                i, 8000 + i);
        fclose(f);
    }
    base = rss_kb();
    t0 = now_s();
    e = hc_engine_new(NULL);
    if (!e || hc_engine_start(e) != 0)
        return 1;
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/d%d/c%d.json", root, i / 100, i);
        if (hc_watch(e, p, NULL) != 0)
            return 1;
    }
    t1 = now_s();
    after = rss_kb();
    printf("  %6d files  RSS %7.1f MB  (process before the engine %5.1f MB, "
           "engine +%6.1f MB, %5.0f bytes/file)  watch time %6.1f ms\n",
           n, (double)after / 1024, (double)base / 1024,
           (double)(after - base) / 1024, (double)(after - base) * 1024 / n,
           (t1 - t0) * 1e3);
    fflush(stdout);
    hc_engine_free(e);
    return 0;
}

int main(int argc, char **argv)
{
    int defaults[] = {10, 100, 1000, 10000};
    const char *tmp = getenv("TMPDIR");
    int nn = argc > 1 ? argc - 1 : 4;
    printf("memory: RSS watching N small JSON configs (100 per directory)\n");
    fflush(stdout);
    for (int k = 0; k < nn; k++) {
        int n = argc > 1 ? atoi(argv[k + 1]) : defaults[k];
        char root[4096];
        pid_t pid;
        int status;
        snprintf(root, sizeof root, "%s/hc-bench-mem.XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(root)) {
            perror("mkdtemp");
            return 1;
        }
        pid = fork();
        if (pid == 0)
            _exit(run(n, root));
        waitpid(pid, &status, 0);
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            printf("  %6d files  FAILED\n", n);
    }
    return 0;
}
