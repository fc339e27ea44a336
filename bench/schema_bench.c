/*
 * schema_bench.c - validations per second of hotconf's JSON Schema
 * validator, for bench/schema.sh which runs Ajv on the same files.
 *
 *   bench_schema SCHEMA DOC...        time validation of each DOC
 *   bench_schema --generate SRC OUT N  write OUT: SRC with its "routes"
 *                                      repeated until OUT is >= N bytes
 *   bench_schema --count N SCHEMA DOC [--report]
 *                                      exactly N verdict-only validations
 *                                      (with --report: with a report, every
 *                                      error collected), untimed: for
 *                                      callgrind, whose instruction counts
 *                                      are repeatable
 *
 * Documents are parsed once; only validation is timed, verdict-only (no
 * report, like Ajv's default) and with a full report. Each figure is the
 * best of five rounds of 0.4 s (the machine is shared).
 */
#include "hotconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs validate until about secs have passed; returns validations/s. */
static double measure_once(const hc_schema *s, json_t *doc,
                           hc_schema_report *rep, double secs, int *rc_out)
{
    long n = 0, batch = 1;
    double t0, el;
    int rc = 0;
    for (int i = 0; i < 3; i++) /* warm-up */
        rc = hc_schema_validate(s, doc, rep);
    t0 = now();
    do {
        for (long i = 0; i < batch; i++)
            rc = hc_schema_validate(s, doc, rep);
        n += batch;
        el = now() - t0;
        if (batch < (1L << 20) && el < secs / 8)
            batch *= 2;
    } while (el < secs);
    *rc_out = rc;
    return (double)n / el;
}

/* The best of several rounds: the machine is shared, and interference
 * only ever makes a round slower. */
static double measure(const hc_schema *s, json_t *doc, hc_schema_report *rep,
                      double secs, int *rc_out)
{
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double v = measure_once(s, doc, rep, secs / 5, rc_out);
        if (v > best)
            best = v;
    }
    return best;
}

static int generate(const char *src, const char *out, long target)
{
    hc_error err;
    json_t *doc = hc_parse_file(src, HC_FORMAT_JSON, NULL, &err);
    json_t *routes, *orig;
    char *text;
    size_t len = 0;
    FILE *f;
    if (!doc) {
        fprintf(stderr, "%s\n", err.text);
        return 1;
    }
    routes = json_object_get(doc, "routes");
    orig = json_deep_copy(routes);
    for (size_t i = 0;; i++) {
        json_t *r =
            json_deep_copy(json_array_get(orig, i % json_array_size(orig)));
        char path[64];
        snprintf(path, sizeof path, "/api/v2/generated/%zu/{id}", i);
        json_object_set_new(r, "path", json_string(path));
        json_array_append_new(routes, r);
        if (i % 256 == 255) {
            text = json_dumps(doc, JSON_INDENT(2));
            len = strlen(text);
            free(text);
            if ((long)len >= target)
                break;
        }
    }
    f = fopen(out, "w");
    if (!f || json_dumpf(doc, f, JSON_INDENT(2)) != 0 || fclose(f) != 0) {
        perror(out);
        return 1;
    }
    json_decref(orig);
    json_decref(doc);
    return 0;
}

/* A fixed amount of work, so instruction counts compare across builds. */
static int count_mode(long n, const char *schema_path, const char *doc_path,
                      bool report)
{
    hc_error err;
    hc_schema *s = hc_schema_load(schema_path, &err);
    json_t *doc = hc_parse_file(doc_path, HC_FORMAT_JSON, NULL, &err);
    hc_schema_report *rep = report ? hc_schema_report_new() : NULL;
    int rc = 0;
    if (!s || !doc || (report && !rep)) {
        char buf[512];
        fprintf(stderr, "%s\n", hc_error_format(&err, buf, sizeof buf));
        return 1;
    }
    for (long i = 0; i < n; i++)
        rc |= hc_schema_validate(s, doc, rep);
    printf("%ld validations: %s\n", n, rc == 0 ? "valid" : "INVALID");
    hc_schema_report_free(rep);
    json_decref(doc);
    hc_schema_free(s);
    return rc != 0;
}

int main(int argc, char **argv)
{
    hc_error err;
    hc_schema *s;
    hc_schema_report *rep;
    double t0, compile_us;
    const char *base;

    if (argc == 5 && !strcmp(argv[1], "--generate"))
        return generate(argv[2], argv[3], atol(argv[4]));
    if ((argc == 5 || (argc == 6 && !strcmp(argv[5], "--report"))) &&
        !strcmp(argv[1], "--count"))
        return count_mode(atol(argv[2]), argv[3], argv[4], argc == 6);
    if (argc < 3) {
        fprintf(stderr,
                "usage: bench_schema SCHEMA DOC...\n"
                "       bench_schema --generate SRC OUT BYTES\n"
                "       bench_schema --count N SCHEMA DOC [--report]\n");
        return 2;
    }
    t0 = now();
    s = hc_schema_load(argv[1], &err);
    compile_us = (now() - t0) * 1e6;
    if (!s) {
        char buf[512];
        fprintf(stderr, "%s\n", hc_error_format(&err, buf, sizeof buf));
        return 1;
    }
    rep = hc_schema_report_new();
    printf("hotconf  compile %-24s %10.1f us\n",
           (base = strrchr(argv[1], '/')) ? base + 1 : argv[1], compile_us);
    for (int i = 2; i < argc; i++) {
        json_t *doc = hc_parse_file(argv[i], HC_FORMAT_JSON, NULL, &err);
        int rc1, rc2;
        double fast, full;
        long size;
        FILE *f;
        if (!doc) {
            fprintf(stderr, "%s: %s\n", argv[i], err.text);
            return 1;
        }
        f = fopen(argv[i], "rb");
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
        fast = measure(s, doc, NULL, 2.0, &rc1);
        full = measure(s, doc, rep, 2.0, &rc2);
        base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        printf("hotconf  %-16s %8ld B  %-7s %12.0f validations/s  "
               "(%.2f us each; with full report: %.0f/s)\n",
               base, size, rc1 == 0 ? "valid" : "INVALID", fast, 1e6 / fast,
               full);
        if (rc1 != 0 || rc2 != 0) {
            for (size_t e = 0; e < hc_schema_report_count(rep) && e < 5; e++)
                fprintf(stderr, "  %s: %s\n",
                        hc_schema_report_at(rep, e)->instance_location,
                        hc_schema_report_at(rep, e)->message);
        }
        json_decref(doc);
    }
    hc_schema_report_free(rep);
    hc_schema_free(s);
    return 0;
}
