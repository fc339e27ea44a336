/*
 * bench_util.h - what the benchmark programs share: a monotonic clock, a
 * fatal error, a growing string buffer and the structured test config
 * ("service" blocks) that bench_parse and bench_reload_steps measure, so
 * both measure the same documents.
 */
#ifndef HC_BENCH_UTIL_H
#define HC_BENCH_UTIL_H

#include "hotconf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void die(const char *what)
{
    perror(what);
    exit(1);
}

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static inline void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < b->cap - b->len)
            break;
        b->cap = b->cap ? b->cap * 2 : 16384;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    b->len += (size_t)n;
}

/* Appends "service" blocks until b holds target bytes: a realistic mix
 * of ints, strings, bools, reals and (JSON/YAML) a nested object and a
 * list; INI sections, .env flat keys. JSON members are separated by
 * ",\n", also before the first when comma_first (a member came before). */
static inline void bench_services(sbuf *b, hc_format f, size_t target,
                                  int comma_first)
{
    for (int i = 0; b->len < target; i++) {
        switch (f) {
        case HC_FORMAT_JSON:
            sb_printf(b,
                      "%s  \"service%d\": {\"host\": \"svc%d.internal\", "
                      "\"port\": %d, \"debug\": %s, \"ratio\": %d.25, "
                      "\"tags\": [\"a\", \"b\", \"c\"], \"limits\": "
                      "{\"cpu\": %d, \"memory\": \"512Mi\"}}",
                      i || comma_first ? ",\n" : "", i, i, 1024 + i,
                      i % 2 ? "true" : "false", i, i % 8);
            break;
        case HC_FORMAT_YAML:
            sb_printf(b,
                      "service%d:\n  host: svc%d.internal\n  port: %d\n"
                      "  debug: %s\n  ratio: %d.25\n  tags: [a, b, c]\n"
                      "  limits:\n    cpu: %d\n    memory: 512Mi\n",
                      i, i, 1024 + i, i % 2 ? "true" : "false", i, i % 8);
            break;
        case HC_FORMAT_INI:
            sb_printf(b,
                      "[service%d]\nhost = svc%d.internal\nport = %d\n"
                      "debug = %s\nratio = %d.25\ntags = a,b,c ; list\n"
                      "memory = 512Mi\n\n",
                      i, i, 1024 + i, i % 2 ? "true" : "false", i);
            break;
        default:
            sb_printf(b,
                      "SERVICE%d_HOST=svc%d.internal\nSERVICE%d_PORT=%d\n"
                      "export SERVICE%d_DEBUG=%s\nSERVICE%d_NAME=\"svc "
                      "%d\" # comment\nSERVICE%d_RATIO=%d.25\n",
                      i, i, i, 1024 + i, i, i % 2 ? "true" : "false", i, i, i,
                      i);
            break;
        }
    }
}

#endif /* HC_BENCH_UTIL_H */
