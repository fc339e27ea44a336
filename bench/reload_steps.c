/*
 * reload_steps.c - what one reload of a ~10 KB config costs, step by step,
 * for JSON, YAML, INI and .env: the steps the engine's apply path runs
 * (src/engine/apply.c) timed one by one on the same bytes, then the whole
 * path through a real engine (atomic rename-over saves, inotify, the
 * subscriber callback), which adds what cannot be timed apart from outside
 * the engine: the history store's append, the snapshot swap and delivery.
 *
 * Steps (each timed alone, N rounds, each round a new version whose "v"
 * changed, so the hash, parse and diff see a real change):
 *   read      hc_read_file of the saved file
 *   hash      XXH3_64bits of the bytes (the "same content" shortcut)
 *   parse     hc_parse, no positions (a full parse)
 *   reparse   the parse the engine runs: against the live version's record,
 *             sharing its unchanged subtrees (src/format/reuse.h); schema,
 *             equal and diff below run on its document
 *   positions hc_parse with a position map (paid only by a version that
 *             fails validation, to name the line of the offending value)
 *   schema    the schema check on the new document, as the engine runs it:
 *             with the last version's verdicts (src/schema/memo.c)
 *   equal     json_equal(old, new) (the "same document" shortcut)
 *   diff      hc_diff(old, new)
 *   total     read + hash + reparse + schema + equal + diff
 * Engine (real saves): detect = save's rename -> change seen by the engine;
 * apply = seen -> snapshot swapped (read..diff + history + publish, the
 * `latency_us` of the applied event); deliver = swapped -> callback.
 *
 * usage: bench_reload_steps [-n ROUNDS] [-s SIZE] [--no-engine] [--no-schema]
 *                           [--rewrite] [--engine-only] [FORMAT...]
 * (formats: json yaml ini env; default all; SIZE default 10240 bytes;
 * --no-schema: the engine validates nothing; --rewrite: every version
 * changes every block, so nothing can be shared: the worst case)
 */
#include "bench_util.h"
#include "format/reuse.h"
#include "hotconf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* A structured config of about target bytes whose version field is v:
 * service blocks with strings, ints, bools, reals, a list and a nested
 * object (INI and .env: flat keys). */
/* --rewrite: every version changes every block (the worst case). */
static int rewrite_all;

static char *generate(hc_format f, size_t target, long v, size_t *len)
{
    sbuf b = {NULL, 0, 0};
    switch (f) {
    case HC_FORMAT_JSON: sb_printf(&b, "{\n  \"v\": %ld", v); break;
    case HC_FORMAT_YAML: sb_printf(&b, "v: %ld\n", v); break;
    case HC_FORMAT_INI: sb_printf(&b, "v = %ld\n\n", v); break;
    default: sb_printf(&b, "V=%ld\n", v); break;
    }
    bench_services(&b, f, target, f == HC_FORMAT_JSON);
    if (f == HC_FORMAT_JSON)
        sb_printf(&b, "\n}\n");
    if (rewrite_all) {
        /* every block changes: each "internal" becomes "i" + 7 digits of v,
         * so nothing of the last version can be shared */
        char *p = b.s;
        while ((p = strstr(p, "internal")) != NULL) {
            char d[9];
            snprintf(d, sizeof d, "i%07ld", v % 10000000);
            memcpy(p, d, 8);
            p += 8;
        }
    }
    *len = b.len;
    return b.s;
}

/* A schema in the spirit of a real one for each format's document. */
static const char *schema_text(hc_format f)
{
    switch (f) {
    case HC_FORMAT_JSON:
    case HC_FORMAT_YAML:
        return "{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\","
               "\"type\": \"object\", \"required\": [\"v\"],"
               "\"properties\": {\"v\": {\"type\": \"integer\"}},"
               "\"patternProperties\": {\"^service[0-9]+$\": "
               "{\"$ref\": \"#/$defs/svc\"}},"
               "\"additionalProperties\": false,"
               "\"$defs\": {\"svc\": {\"type\": \"object\","
               "\"required\": [\"host\", \"port\"],"
               "\"additionalProperties\": false,"
               "\"properties\": {"
               "\"host\": {\"type\": \"string\", \"pattern\": "
               "\"^[a-z0-9.-]+$\"},"
               "\"port\": {\"type\": \"integer\", \"minimum\": 1, "
               "\"maximum\": 65535},"
               "\"debug\": {\"type\": \"boolean\"},"
               "\"ratio\": {\"type\": \"number\"},"
               "\"tags\": {\"type\": \"array\", \"items\": "
               "{\"type\": \"string\"}},"
               "\"limits\": {\"type\": \"object\", \"properties\": "
               "{\"cpu\": {\"type\": \"integer\", \"minimum\": 0},"
               "\"memory\": {\"type\": \"string\"}}}}}}}";
    case HC_FORMAT_INI:
        return "{\"type\": \"object\", \"required\": [\"v\"],"
               "\"patternProperties\": {\"^service[0-9]+$\": "
               "{\"type\": \"object\", \"required\": [\"host\", \"port\"],"
               "\"properties\": {\"host\": {\"type\": \"string\", "
               "\"pattern\": \"^[a-z0-9.-]+$\"}}}}}";
    default:
        return "{\"type\": \"object\", \"required\": [\"V\"],"
               "\"propertyNames\": {\"pattern\": \"^[A-Z][A-Z0-9_]*$\"},"
               "\"additionalProperties\": {\"type\": [\"string\", \"integer\", "
               "\"number\", \"boolean\"]}}";
    }
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(int64_t *v, int n, int p)
{
    int k = (int)(((int64_t)n * p) / 100);
    if (k >= n)
        k = n - 1;
    return (double)v[k] / 1e3;
}

static void row(const char *name, int64_t *v, int n)
{
    if (n <= 0)
        return;
    qsort(v, (size_t)n, sizeof *v, cmp64);
    printf("  %-10s %9.1f %9.1f\n", name, pct(v, n, 50), pct(v, n, 99));
}

enum step {
    READ,
    HASH,
    PARSE,
    REPARSE,
    POSITIONS,
    SCHEMA,
    EQUAL,
    DIFF,
    TOTAL,
    NSTEPS
};
static const char *step_names[] = {"read",    "hash",      "parse",
                                   "reparse", "positions", "schema",
                                   "equal",   "diff",      "total"};

/* ---- engine ------------------------------------------------------------ */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long last_v = -1;
static int64_t cb_at, rec_detect, rec_applied;
static hc_format cur_format;

static int on_change(const hc_change_record *rec, void *ud)
{
    int64_t t = now_ns();
    const char *key = cur_format == HC_FORMAT_ENV ? "V" : "v";
    const json_t *vj = json_object_get(rec->new_doc, key);
    long v = json_is_integer(vj)  ? (long)json_integer_value(vj)
             : json_is_string(vj) ? atol(json_string_value(vj))
                                  : -1;
    (void)ud;
    pthread_mutex_lock(&mu);
    last_v = v;
    cb_at = t;
    rec_detect = rec->detected_ns;
    rec_applied = rec->applied_ns;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}

static int wait_v(long v)
{
    struct timespec ts;
    int ok;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 2;
    pthread_mutex_lock(&mu);
    while (last_v < v)
        if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
            break;
    ok = last_v >= v;
    pthread_mutex_unlock(&mu);
    return ok;
}

static void save(const char *path, const char *tmp, const char *b, size_t len)
{
    FILE *f = fopen(tmp, "w");
    if (!f || fwrite(b, 1, len, f) != len || fclose(f) != 0)
        die(tmp);
}

static void run_engine(hc_format f, const char *dir, size_t size, int n,
                       const hc_schema *schema)
{
    static const char *ext[] = {"", "json", "yaml", "ini", "env", "jsonc"};
    char path[4200], tmp[4300];
    int64_t *detect = calloc((size_t)n, sizeof *detect),
            *apply = calloc((size_t)n, sizeof *apply),
            *deliver = calloc((size_t)n, sizeof *deliver),
            *total = calloc((size_t)n, sizeof *total);
    hc_engine *e = hc_engine_new(NULL);
    hc_watch_options wo;
    size_t len;
    char *b;
    int got = 0, missed = 0;

    snprintf(path, sizeof path, "%s/app.%s", dir, ext[f]);
    snprintf(tmp, sizeof tmp, "%s/.app.tmp", dir);
    cur_format = f;
    last_v = -1;
    b = generate(f, size, 0, &len);
    save(path, tmp, b, len);
    if (rename(tmp, path) != 0)
        die("rename");
    free(b);
    hc_watch_options_init(&wo);
    wo.on_change = on_change;
    wo.schema = schema;
    if (!e || hc_watch(e, path, &wo) != 0 || hc_engine_start(e) != 0)
        die("engine");
    if (!wait_v(0))
        die("first load");
    for (long v = 1; v <= n; v++) {
        int64_t t;
        b = generate(f, size, v, &len);
        save(path, tmp, b, len);
        free(b);
        t = now_ns();
        if (rename(tmp, path) != 0)
            die("rename");
        if (!wait_v(v)) {
            missed++;
            continue;
        }
        pthread_mutex_lock(&mu);
        detect[got] = rec_detect - t;
        apply[got] = rec_applied - rec_detect;
        deliver[got] = cb_at - rec_applied;
        total[got] = cb_at - t;
        pthread_mutex_unlock(&mu);
        got++;
        usleep(200); /* a paced writer, not a burst */
    }
    hc_engine_free(e);
    unlink(path);
    printf("  engine, %d rename-over saves (%d missed):\n", n, missed);
    row("detect", detect, got);
    row("apply", apply, got);
    row("deliver", deliver, got);
    row("end2end", total, got);
    free(detect);
    free(apply);
    free(deliver);
    free(total);
}

/* ---- steps --------------------------------------------------------------- */

/* One function per step, never inlined, so that callgrind's inclusive
 * counts (CALLGRIND=1 in bench/reload.sh) give each step's instructions,
 * which unlike times do not depend on the machine's load. */
#define STEP __attribute__((noinline))

/* A full parse frees thousands of small blocks into glibc's fast bins,
 * which the next allocation of 1 KB or more consolidates: done untimed
 * after each full parse, so that the next step is not charged for what
 * the engine never does (it parses once). */
static void consolidate(void)
{
    void *volatile big = malloc(8192); /* volatile: not elided */
    free(big);
}

STEP static char *step_read(const char *path, size_t *len)
{
    hc_error err;
    return hc_read_file(path, 0, len, &err);
}

STEP static uint64_t step_hash(const char *b, size_t len)
{
    return XXH3_64bits(b, len);
}

STEP static json_t *step_parse(const char *b, size_t len, hc_format f,
                               const char *path)
{
    hc_error err;
    return hc_parse(b, len, f, path, NULL, &err);
}

STEP static json_t *step_reparse(const char *b, size_t len, hc_format f,
                                 const char *path, const hc__reuse *prev,
                                 hc__reuse **next)
{
    hc_error err;
    return hc__parse_reusing(b, len, f, path, NULL, prev, next, &err);
}

STEP static void step_positions(const char *b, size_t len, hc_format f,
                                const char *path)
{
    hc_parse_options po;
    hc_error err;
    memset(&po, 0, sizeof po);
    po.positions = hc_posmap_new();
    json_decref(hc_parse(b, len, f, path, &po, &err));
    hc_posmap_free(po.positions);
}

/* As the engine checks: with the memo of the last version's verdicts,
 * keeping this one's (src/schema/memo.c). */
STEP static int step_schema(const hc_schema *s, json_t *doc, const char *path,
                            const hc__reuse *prev, hc__reuse *next)
{
    hc_error err;
    return hc__schema_check_memo(s, doc, path, prev ? prev->vmemo : NULL,
                                 next ? &next->vmemo : NULL, &err);
}

STEP static int step_equal(const json_t *a, const json_t *b)
{
    return json_equal(a, b);
}

STEP static hc_changeset *step_diff(const json_t *a, const json_t *b)
{
    return hc_diff(a, b);
}

static void run_steps(hc_format f, const char *dir, size_t size, int n,
                      const hc_schema *schema)
{
    char path[4200];
    int64_t *t[NSTEPS];
    json_t *old;
    hc__reuse *prev = NULL, *next = NULL;
    size_t len;
    char *b = generate(f, size, 0, &len);
    hc_error err;

    for (int s = 0; s < NSTEPS; s++)
        t[s] = calloc((size_t)n, sizeof *t[s]);
    snprintf(path, sizeof path, "%s/steps.%s", dir, hc_format_name(f));
    old = hc__parse_reusing(b, len, f, path, NULL, NULL, &prev, &err);
    if (!old) {
        fprintf(stderr, "%s\n", err.text);
        exit(1);
    }
    if (hc_schema_check(schema, old, path, NULL, &err) != 0) {
        fprintf(stderr, "schema: %s at %s\n", err.text, err.pointer);
        exit(1);
    }
    printf("%s, %zu bytes, %d rounds (us)\n  %-10s %9s %9s\n",
           hc_format_name(f), len, n, "step", "p50", "p99");
    free(b);
    for (int i = 0; i < n; i++) {
        hc_changeset *cs;
        json_t *doc;
        int64_t t0, t1;
        FILE *fp;
        char *rd;
        size_t rlen;
        volatile uint64_t h;
        int eq;

        b = generate(f, size, i + 1, &len);
        fp = fopen(path, "w");
        if (!fp || fwrite(b, 1, len, fp) != len || fclose(fp) != 0)
            die(path);
        free(b);

        t0 = now_ns();
        rd = step_read(path, &rlen);
        t1 = now_ns();
        t[READ][i] = t1 - t0;
        if (!rd)
            die("read");

        t0 = now_ns();
        h = step_hash(rd, rlen);
        t1 = now_ns();
        t[HASH][i] = t1 - t0;
        (void)h;

        t0 = now_ns();
        doc = step_parse(rd, rlen, f, path);
        t1 = now_ns();
        t[PARSE][i] = t1 - t0;
        if (!doc)
            die("parse");
        json_decref(doc);
        consolidate();

        /* what the engine runs: the parse against the live version's
         * record (src/format/reuse.h); the steps below use its document */
        t0 = now_ns();
        doc = step_reparse(rd, rlen, f, path, prev, &next);
        t1 = now_ns();
        t[REPARSE][i] = t1 - t0;
        if (!doc)
            die("reparse");

        t0 = now_ns();
        step_positions(rd, rlen, f, path);
        t1 = now_ns();
        t[POSITIONS][i] = t1 - t0;
        consolidate();

        t0 = now_ns();
        if (step_schema(schema, doc, path, prev, next) != 0)
            die("schema");
        t1 = now_ns();
        t[SCHEMA][i] = t1 - t0;

        t0 = now_ns();
        eq = step_equal(old, doc);
        t1 = now_ns();
        t[EQUAL][i] = t1 - t0;
        if (eq)
            die("equal");

        t0 = now_ns();
        cs = step_diff(old, doc);
        t1 = now_ns();
        t[DIFF][i] = t1 - t0;
        if (!cs || (hc_changeset_count(cs) != 1) != rewrite_all)
            die("diff");
        hc_changeset_free(cs);

        t[TOTAL][i] = t[READ][i] + t[HASH][i] + t[REPARSE][i] + t[SCHEMA][i] +
                      t[EQUAL][i] + t[DIFF][i];
        hc__reuse_free(prev);
        prev = next;
        json_decref(old);
        old = doc;
        free(rd);
    }
    for (int s = 0; s < NSTEPS; s++) {
        row(step_names[s], t[s], n);
        free(t[s]);
    }
    hc__reuse_free(prev);
    json_decref(old);
    unlink(path);
}

int main(int argc, char **argv)
{
    int n = 2000, any = 0, engine = 1, use_schema = 1, steps = 1;
    size_t size = 10240;
    hc_format fs[4] = {HC_FORMAT_JSON, HC_FORMAT_YAML, HC_FORMAT_INI,
                       HC_FORMAT_ENV};
    int want[4] = {0, 0, 0, 0};
    const char *tmpdir = getenv("TMPDIR");
    char dir[4096];
    double load[3] = {0, 0, 0};

    for (int i = 1; i < argc; i++) {
        hc_format f;
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            n = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
            size = (size_t)atol(argv[++i]);
        } else if (!strcmp(argv[i], "--no-engine")) {
            engine = 0;
        } else if (!strcmp(argv[i], "--engine-only")) {
            steps = 0;
        } else if (!strcmp(argv[i], "--no-schema")) {
            use_schema = 0;
        } else if (!strcmp(argv[i], "--rewrite")) {
            rewrite_all = 1;
        } else if (hc_format_parse(argv[i], &f) == 0) {
            for (int k = 0; k < 4; k++)
                if (fs[k] == f)
                    want[k] = any = 1;
        } else {
            fprintf(stderr,
                    "usage: %s [-n ROUNDS] [-s SIZE] [--no-engine] "
                    "[--no-schema] [--rewrite] [--engine-only] "
                    "[json|yaml|ini|env]...\n",
                    argv[0]);
            return 2;
        }
    }
    snprintf(dir, sizeof dir, "%s/hc-reload-steps.XXXXXX",
             tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        die("mkdtemp");
    if (getloadavg(load, 3) < 0)
        load[0] = -1;
    printf("# reload steps, %d rounds, ~%zu-byte configs, load average "
           "%.2f\n",
           n, size, load[0]);
    for (int k = 0; k < 4; k++) {
        json_t *sj;
        hc_schema *schema;
        hc_error err;
        if (any && !want[k])
            continue;
        sj = json_loads(schema_text(fs[k]), 0, NULL);
        schema = sj ? hc_schema_compile(sj, &err) : NULL;
        if (!schema) {
            fprintf(stderr, "schema: %s\n", sj ? err.text : "bad JSON");
            return 1;
        }
        if (steps)
            run_steps(fs[k], dir, size, n, schema);
        if (engine)
            run_engine(fs[k], dir, size, steps && n > 500 ? 500 : n,
                       use_schema ? schema : NULL);
        hc_schema_free(schema);
        json_decref(sj);
    }
    rmdir(dir);
    return 0;
}
