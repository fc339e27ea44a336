/*
 * yaml_overhead.c - the cost of hotconf's YAML layer over libfyaml alone.
 * Generates a config-like YAML document of a given size, then times, in
 * MB/s of CPU time: (bare) libfyaml's event loop alone; (bare+text) the
 * same loop also fetching every scalar's text; (floor) that loop building
 * the least json_t tree (all strings, no checks), the cost of jansson
 * itself; (hc) hc_parse(). Each includes freeing what it built.
 *
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build
 * build-rel
 *   cc -O2 bench/yaml_overhead.c -Iinclude build-rel/libhotconf.a \
 *      $(pkg-config --cflags --libs libfyaml jansson) -lpthread -lm \
 *      -o build-rel/yaml_overhead && build-rel/yaml_overhead [KB ...]
 */
#include "hotconf.h"

#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void addf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void addf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int need;
    va_start(ap, fmt);
    need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)need + 1 > b->cap) {
        b->cap = (b->n + (size_t)need + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

/* A service-configuration shape: sections of scalars, lists, nested maps,
 * a few quoted strings and block scalars. */
static char *generate(size_t target, size_t *len)
{
    sbuf b = {NULL, 0, 0};
    for (int i = 0; b.n < target; i++) {
        addf(&b, "service_%d:\n", i);
        addf(&b, "  name: api-%d\n  enabled: %s\n  port: %d\n", i,
             i % 3 ? "true" : "false", 8000 + i % 1000);
        addf(&b, "  ratio: %d.%02d\n  owner: \"team %d\"\n", i % 10, i % 100,
             i % 7);
        addf(&b, "  hosts: [h%d.example.com, h%d.example.com]\n", i, i + 1);
        addf(&b,
             "  limits:\n    cpu: %d\n    memory: %dMi\n"
             "    timeout: %d.5\n",
             1 + i % 8, 128 * (1 + i % 16), i % 60);
        addf(&b, "  env:\n    - LOG_LEVEL=info\n    - REGION=eu-%d\n", i % 4);
        addf(&b, "  motd: |\n    Welcome to service %d.\n    Be nice.\n", i);
    }
    *len = b.n;
    return b.s;
}

/* CPU time of this thread: steadier than wall time on a shared machine */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t bare_loop(const char *buf, size_t len, int with_text)
{
    struct fy_parse_cfg cfg;
    struct fy_parser *fyp;
    struct fy_event *ev;
    size_t events = 0, bytes = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE;
    fyp = fy_parser_create(&cfg);
    if (!fyp || fy_parser_set_string(fyp, buf, len) != 0)
        abort();
    while ((ev = fy_parser_parse(fyp)) != NULL) {
        if (with_text && ev->type == FYET_SCALAR) {
            size_t n = 0;
            if (fy_token_get_text(ev->scalar.value, &n))
                bytes += n;
        }
        events++;
        fy_parser_event_free(fyp, ev);
    }
    fy_parser_destroy(fyp);
    return events + bytes;
}

/* The least any json_t-building layer must do on top of the event loop:
 * every scalar a string, every mapping a jansson object, no checks. */
static size_t floor_build(const char *buf, size_t len)
{
    struct fy_parse_cfg cfg;
    struct fy_parser *fyp;
    struct fy_event *ev;
    json_t *stack[256], *root = NULL;
    char *keys[256];
    int depth = 0, want_key[256];
    size_t n = 0;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE;
    fyp = fy_parser_create(&cfg);
    if (!fyp || fy_parser_set_string(fyp, buf, len) != 0)
        abort();
    while ((ev = fy_parser_parse(fyp)) != NULL) {
        json_t *v = NULL;
        switch (ev->type) {
        case FYET_MAPPING_START:
        case FYET_SEQUENCE_START:
            stack[depth] =
                ev->type == FYET_MAPPING_START ? json_object() : json_array();
            want_key[depth] = 1;
            keys[depth++] = NULL;
            break;
        case FYET_MAPPING_END:
        case FYET_SEQUENCE_END: v = stack[--depth]; break;
        case FYET_SCALAR: {
            size_t tl = 0;
            const char *t = fy_token_get_text(ev->scalar.value, &tl);
            if (depth && json_is_object(stack[depth - 1]) &&
                want_key[depth - 1]) {
                keys[depth - 1] = strndup(t, tl);
                want_key[depth - 1] = 0;
            } else {
                v = json_stringn_nocheck(t, tl);
            }
            break;
        }
        default: break;
        }
        if (v) {
            if (!depth) {
                root = v;
            } else if (json_is_object(stack[depth - 1])) {
                json_object_set_new_nocheck(stack[depth - 1], keys[depth - 1],
                                            v);
                free(keys[depth - 1]);
                want_key[depth - 1] = 1;
            } else {
                json_array_append_new(stack[depth - 1], v);
            }
        }
        fy_parser_event_free(fyp, ev);
    }
    fy_parser_destroy(fyp);
    n = json_object_size(root);
    json_decref(root);
    return n;
}

static size_t ours(const char *buf, size_t len)
{
    hc_error err;
    json_t *doc;
    size_t n;
    hc_error_init(&err);
    doc = hc_parse(buf, len, HC_FORMAT_YAML, "bench.yaml", NULL, &err);
    if (!doc) {
        fprintf(stderr, "hc_parse: %d:%d %s\n", err.line, err.column, err.text);
        exit(1);
    }
    n = json_object_size(doc);
    json_decref(doc);
    return n;
}

static double run_timed(int which, const char *buf, size_t len, int iters)
{
    volatile size_t sink = 0;
    double t0 = now();
    for (int i = 0; i < iters; i++)
        sink += which == 2   ? ours(buf, len)
                : which == 3 ? floor_build(buf, len)
                             : bare_loop(buf, len, which);
    (void)sink;
    return (now() - t0) / iters;
}

int main(int argc, char **argv)
{
    static const size_t sizes_kb[] = {1, 100, 5000};
    size_t nsizes = argc > 1 ? (size_t)(argc - 1) : 3;
    printf("%-9s %10s %10s %10s %10s %9s %9s %9s\n", "bytes", "bare",
           "bare+text", "floor", "hc", "hc/bare", "hc/text", "hc/floor");
    for (size_t k = 0; k < nsizes; k++) {
        size_t kb = argc > 1 ? strtoul(argv[k + 1], NULL, 10) : sizes_kb[k];
        size_t len;
        char *buf = generate(kb * 1024, &len);
        int iters = len < 4096 ? 2000 : len < 200000 ? 50 : 2;
        double t_bare = 1e9, t_text = 1e9, t_ours = 1e9, t_floor = 1e9;
        /* interleaved rounds, best of each: background load hits all
         * three alike */
        for (int round = 0; round < 7; round++) {
            double a = run_timed(0, buf, len, iters);
            double b = run_timed(1, buf, len, iters);
            double c = run_timed(2, buf, len, iters);
            double d = run_timed(3, buf, len, iters);
            t_bare = a < t_bare ? a : t_bare;
            t_text = b < t_text ? b : t_text;
            t_ours = c < t_ours ? c : t_ours;
            t_floor = d < t_floor ? d : t_floor;
        }
        double mb = (double)len / 1e6;
        printf("%-9zu %10.1f %10.1f %10.1f %10.1f %8.2fx %8.2fx %8.2fx\n", len,
               mb / t_bare, mb / t_text, mb / t_floor, mb / t_ours,
               t_ours / t_bare, t_ours / t_text, t_ours / t_floor);
        free(buf);
    }
    return 0;
}
