/*
 * yaml_reuse.c - YAML's reusing parse (src/format/yaml_reuse.c) against a
 * full parse, on bench_reload_steps' ~10 KB config of service blocks: N
 * versions, each a small edit of the one before, parsed both ways. Each
 * way is also charged what the engine does next with the document it
 * replaces: hc_diff against it and json_decref of it (shared values are
 * skipped by pointer and not freed).
 *
 * Edits: "v" changes the first line, as bench_reload_steps does; "mid"
 * changes one service's port, in the middle of the file.
 *
 * Steps are noinline functions so that callgrind's inclusive counts give
 * their instructions (bench/yaml_reuse.sh), which do not depend on load.
 *
 * usage: bench_yaml_reuse [-n ROUNDS] [-s SIZE] [v|mid]
 */
#include "bench_util.h"
#include "format/reuse.h"

#include <string.h>

/* noipa: the diff and free steps of the two ways are the same code,
 * which the compiler would otherwise fold into one function */
#define STEP __attribute__((noinline, noipa))

static char *generate(size_t target, long v, int mid, size_t *len)
{
    sbuf b = {NULL, 0, 0};
    char *at;
    sb_printf(&b, "v: %ld\n", mid ? 0L : v);
    bench_services(&b, HC_FORMAT_YAML, target, 0);
    if (mid && (at = strstr(b.s, "port: 1064\n")) != NULL) {
        char port[8];
        snprintf(port, sizeof port, "%04ld", v % 10000);
        memcpy(at + 6, port, 4);
    }
    *len = b.len;
    return b.s;
}

STEP static json_t *step_full(const char *b, size_t len)
{
    hc_error err;
    json_t *doc = hc_parse(b, len, HC_FORMAT_YAML, "app.yaml", NULL, &err);
    if (!doc)
        die(err.text);
    return doc;
}

STEP static json_t *step_reuse(const char *b, size_t len, const hc__reuse *prev,
                               hc__reuse **next)
{
    hc_error err;
    json_t *doc = hc__parse_reusing(b, len, HC_FORMAT_YAML, "app.yaml", NULL,
                                    prev, next, &err);
    if (!doc)
        die(err.text);
    return doc;
}

/* the first version's parse, apart: a full parse both ways */
STEP static json_t *step_first(const char *b, size_t len, hc__reuse **next)
{
    hc_error err;
    json_t *doc = hc__parse_reusing(b, len, HC_FORMAT_YAML, "app.yaml", NULL,
                                    NULL, next, &err);
    if (!doc)
        die(err.text);
    return doc;
}

/* what the engine does next with the document replaced, once per way */
STEP static void step_diff_full(const json_t *old, const json_t *doc)
{
    hc_changeset_free(hc_diff(old, doc));
}

STEP static void step_diff_reuse(const json_t *old, const json_t *doc)
{
    hc_changeset_free(hc_diff(old, doc));
}

STEP static void step_free_full(json_t *old)
{
    json_decref(old);
}

/* the replaced record goes too: it holds the old document */
STEP static void step_free_reuse(json_t *old, hc__reuse *old_rec)
{
    json_decref(old);
    hc__reuse_free(old_rec);
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void row(const char *name, int64_t *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("  %-22s p50 %8.1f us  p99 %8.1f us\n", name, t[n / 2] / 1e3,
           t[(n * 99) / 100] / 1e3);
}

int main(int argc, char **argv)
{
    int n = 300, mid = 0;
    size_t size = 10240, len;
    int64_t *tf, *tr, *tfr, *trr;
    json_t *full_old, *re_old;
    hc__reuse *rec = NULL;
    char *b;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc)
            size = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "mid"))
            mid = 1;
        else if (strcmp(argv[i], "v") != 0) {
            fprintf(stderr, "usage: %s [-n ROUNDS] [-s SIZE] [v|mid]\n",
                    argv[0]);
            return 2;
        }
    }
    if (n < 1)
        n = 1;
    tf = calloc((size_t)n, sizeof *tf);
    tr = calloc((size_t)n, sizeof *tr);
    tfr = calloc((size_t)n, sizeof *tfr);
    trr = calloc((size_t)n, sizeof *trr);
    if (!tf || !tr || !tfr || !trr)
        die("calloc");
    /* the two ways one after the other, not interleaved: each frees
     * only its own documents, so that neither pays for the other's frees
     * (malloc consolidating them) */
    b = generate(size, 0, mid, &len);
    full_old = step_first(b, len, NULL);
    free(b);
    for (int i = 0; i < n; i++) {
        json_t *doc;
        int64_t t0, t1, t2;
        b = generate(size, i + 1, mid, &len);
        t0 = now_ns();
        doc = step_full(b, len);
        t1 = now_ns();
        step_diff_full(full_old, doc);
        step_free_full(full_old);
        t2 = now_ns();
        full_old = doc;
        tf[i] = t1 - t0;
        tfr[i] = t2 - t0;
        free(b);
    }
    b = generate(size, 0, mid, &len);
    re_old = step_first(b, len, &rec);
    free(b);
    if (!rec)
        die("no record kept");
    for (int i = 0; i < n; i++) {
        hc__reuse *next = NULL;
        json_t *doc;
        int64_t t0, t1, t2;
        b = generate(size, i + 1, mid, &len);
        t0 = now_ns();
        doc = step_reuse(b, len, rec, &next);
        t1 = now_ns();
        step_diff_reuse(re_old, doc);
        step_free_reuse(re_old, rec);
        t2 = now_ns();
        re_old = doc;
        rec = next;
        tr[i] = t1 - t0;
        trr[i] = t2 - t0;
        free(b);
    }
    if (!json_equal(full_old, re_old))
        die("the reusing parse differs from the full parse");
    printf("yaml %zu bytes, %d versions, edit %s:\n", len, n,
           mid ? "mid" : "v");
    row("full parse", tf, n);
    row("reusing parse", tr, n);
    row("full + diff + free", tfr, n);
    row("reusing + diff + free", trr, n);
    json_decref(full_old);
    json_decref(re_old);
    hc__reuse_free(rec);
    free(tf);
    free(tr);
    free(tfr);
    free(trr);
    return 0;
}
