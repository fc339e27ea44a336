/*
 * engine_idle.c - what an idle engine costs: 100 configs watched, nothing
 * changes, for D seconds (default 10). Prints the process CPU time and the
 * context switches (wake-ups) of the engine's monitor thread, read from
 * /proc/self/task/TID/status. The target is 0 wake-ups: no timer runs
 * while nothing changes.
 *
 * usage: bench_engine_idle [SECONDS]
 */
#include "hotconf.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Sum of voluntary + involuntary switches of every thread but main. */
static long other_threads_switches(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    long main_tid = (long)syscall(SYS_gettid), sum = 0;
    while (d && (de = readdir(d))) {
        char p[300], line[256];
        FILE *f;
        long tid = atol(de->d_name);
        if (tid <= 0 || tid == main_tid)
            continue;
        snprintf(p, sizeof p, "/proc/self/task/%ld/status", tid);
        f = fopen(p, "r");
        while (f && fgets(line, sizeof line, f)) {
            long v;
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
                sum += v;
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return sum;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
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
    int seconds = argc > 1 ? atoi(argv[1]) : 10;
    const char *tmp = getenv("TMPDIR");
    char root[4096], p[4300];
    hc_engine *e;
    long sw0, sw1;
    double c0, c1;

    snprintf(root, sizeof root, "%s/hc-bench-idle.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root))
        return 1;
    e = hc_engine_new(NULL);
    if (!e)
        return 1;
    for (int i = 0; i < 100; i++) {
        FILE *f;
        snprintf(p, sizeof p, "%s/c%d.json", root, i);
        f = fopen(p, "w");
        if (!f)
            return 1;
        fprintf(f, "{\"n\": %d}\n", i);
        fclose(f);
        if (hc_watch(e, p, NULL) != 0)
            return 1;
    }
    if (hc_engine_start(e) != 0)
        return 1;
    sleep(1); /* let the first notifications drain */
    sw0 = other_threads_switches();
    c0 = cpu_s();
    sleep((unsigned)seconds);
    sw1 = other_threads_switches();
    c1 = cpu_s();
    printf("idle: 100 configs watched, nothing changing, %d s\n", seconds);
    printf("  monitor thread wake-ups (context switches): %ld\n", sw1 - sw0);
    printf("  process CPU time: %.3f ms\n", (c1 - c0) * 1e3);
    hc_engine_free(e);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
