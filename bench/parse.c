/*
 * parse.c - parse throughput (MB/s) per format on generated small (~1 KB),
 * medium (~100 KB) and large (~5 MB) configs, next to the bare library on
 * the same input (jansson's json_loadb; libfyaml's event loop alone), so
 * the cost of our layer shows as a ratio. INI and .env are our own parsers
 * and have no bare baseline.
 * Usage: bench_parse [seconds-per-measurement (default 0.5)]
 */
#include "bench_util.h"
#include "hotconf.h"

#include <libfyaml.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One "service" block per section: a realistic mix of ints, strings,
 * bools, reals, and (JSON/YAML) a nested object and a list. */
static sbuf generate(hc_format f, size_t target)
{
    sbuf b = {NULL, 0, 0};
    sb_printf(&b, "%s", f == HC_FORMAT_JSON ? "{\n" : "");
    bench_services(&b, f, target, 0);
    sb_printf(&b, "%s", f == HC_FORMAT_JSON ? "\n}\n" : "");
    return b;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef int (*parse_fn)(const char *buf, size_t len, hc_format f);

/* noinline: callgrind's inclusive counts of ours/bare_* give the
 * instruction ratio (bench/parse_callgrind.sh), which unlike MB/s does not
 * depend on the machine's load. */
__attribute__((noinline)) static int ours(const char *buf, size_t len,
                                          hc_format f)
{
    hc_error err;
    json_t *d = hc_parse(buf, len, f, "bench", NULL, &err);
    if (!d) {
        fprintf(stderr, "parse failed: %s:%d:%d: %s\n", err.source, err.line,
                err.column, err.text);
        return -1;
    }
    json_decref(d);
    return 0;
}

__attribute__((noinline)) static int bare_jansson(const char *buf, size_t len,
                                                  hc_format f)
{
    json_error_t e;
    json_t *d = json_loadb(buf, len, 0, &e);
    (void)f;
    if (!d)
        return -1;
    json_decref(d);
    return 0;
}

__attribute__((noinline)) static int bare_fyaml(const char *buf, size_t len,
                                                hc_format f)
{
    struct fy_parse_cfg cfg;
    struct fy_parser *p;
    struct fy_event *ev;
    int rc = 0;
    (void)f;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = FYPCF_QUIET;
    p = fy_parser_create(&cfg);
    if (!p || fy_parser_set_string(p, buf, len) != 0)
        return -1;
    while ((ev = fy_parser_parse(p)) != NULL)
        fy_parser_event_free(p, ev);
    if (fy_parser_get_stream_error(p))
        rc = -1;
    fy_parser_destroy(p);
    return rc;
}

/* MB/s: the median of 5 rounds, each running for about secs/5. */
static double measure(parse_fn fn, const sbuf *in, hc_format f, double secs)
{
    double rates[5];
    for (int r = 0; r < 5; r++) {
        double t0 = now(), t;
        size_t bytes = 0;
        do {
            if (fn(in->s, in->len, f) != 0)
                return -1;
            bytes += in->len;
            t = now();
        } while (t - t0 < secs / 5);
        rates[r] = (double)bytes / (t - t0) / 1e6;
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (rates[j] < rates[i]) {
                double x = rates[i];
                rates[i] = rates[j];
                rates[j] = x;
            }
    return rates[2];
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    const size_t sizes[] = {1024, 100 * 1024, 5 * 1024 * 1024};
    const char *size_names[] = {"small", "medium", "large"};
    const hc_format formats[] = {HC_FORMAT_JSON, HC_FORMAT_YAML, HC_FORMAT_INI,
                                 HC_FORMAT_ENV};
    if (argc == 5 && strcmp(argv[1], "--count") == 0) {
        /* --count FORMAT SIZE-INDEX N: ours and the bare library N times
         * each on the same input, for callgrind */
        hc_format f;
        int si = atoi(argv[3]), n = atoi(argv[4]);
        sbuf in;
        if (hc_format_parse(argv[2], &f) != 0 || si < 0 || si > 2)
            return 2;
        in = generate(f, sizes[si]);
        for (int i = 0; i < n; i++) {
            if (ours(in.s, in.len, f) != 0)
                return 1;
            if (f == HC_FORMAT_JSON)
                bare_jansson(in.s, in.len, f);
            else if (f == HC_FORMAT_YAML)
                bare_fyaml(in.s, in.len, f);
        }
        free(in.s);
        return 0;
    }

    printf("%-5s %-7s %10s %12s %12s %7s\n", "fmt", "size", "bytes",
           "hotconf MB/s", "bare MB/s", "ratio");
    for (size_t fi = 0; fi < 4; fi++) {
        hc_format f = formats[fi];
        parse_fn bare = f == HC_FORMAT_JSON   ? bare_jansson
                        : f == HC_FORMAT_YAML ? bare_fyaml
                                              : NULL;
        for (size_t si = 0; si < 3; si++) {
            sbuf in = generate(f, sizes[si]);
            double a = measure(ours, &in, f, secs);
            double b = bare ? measure(bare, &in, f, secs) : 0;
            if (a < 0) {
                printf("%-5s %-7s %10zu %12s\n", hc_format_name(f),
                       size_names[si], in.len, "FAILED");
            } else if (bare) {
                printf("%-5s %-7s %10zu %12.1f %12.1f %6.2fx\n",
                       hc_format_name(f), size_names[si], in.len, a, b, b / a);
            } else {
                printf("%-5s %-7s %10zu %12.1f %12s %7s\n", hc_format_name(f),
                       size_names[si], in.len, a, "-", "-");
            }
            fflush(stdout);
            free(in.s);
        }
    }
    printf("ratio = bare throughput / hotconf throughput (1.00x: no "
           "overhead)\n");
    return 0;
}
