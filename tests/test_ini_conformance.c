/*
 * test_ini_conformance.c - inih's own fixtures (HC_CONFORMANCE_DIR/ini/inih)
 * through our INI parser. Each baseline block (the handler's output for one
 * input) becomes (section, name, value) triples and the first error line,
 * which we compare with what hc_parse gives (with no_typing, since inih
 * reports text).
 *
 * How inih's output maps to ours:
 *  - A name reported again right after itself is a continuation line:
 *    the values join with "\n" (our one value). Otherwise a repeated name
 *    is a duplicate and the last value wins.
 *  - inih never reports an empty section; we hold it as {}: allowed.
 *  - We trim section names ("[ section 2 ]" is "section 2"): expected names
 *    are trimmed before comparing.
 *  - inih goes on after an error and reports later pairs; we stop at the
 *    first error, so for inputs with e > 0 only the error line compares.
 *  - The pair "user=parse_error" is rejected by inih's test callback
 *    (e=3 in user_error.ini); we have no callback, so that input must
 *    parse and give all the pairs inih reported (in stop-on-first-error
 *    mode inih reports none after it, and our later pairs are extra).
 * Intentional differences (counted apart, each still checked): inih cuts
 * section names at 49 bytes, and the string baselines cut lines at 20
 * bytes; we have no limit, so our name or value must start with inih's
 * cut text and the input must parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

/* Floors: the counts reached when this test was written. Raise them as
 * the parser improves; never lower them. */
#define MULTI_PASS_FLOOR  12
#define MULTI_DIFF_FLOOR  1
#define STOP_PASS_FLOOR   12
#define STRING_PASS_FLOOR 4
#define STRING_DIFF_FLOOR 2

typedef struct counts {
    int pass, diff, fail;
} counts;

typedef struct block {
    char name[256];
    int e;
    json_t *triples; /* [[section, name, value], ...] */
} block;

/* The input of one block: a file under tests/, or a string case. */
typedef struct input {
    const char *text; /* NULL: read tests/<name> */
    size_t len;
    int max_line; /* inih's line cut for this baseline, 0: 200 (none hit) */
} input;

static const char *dir_inih(void)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/ini/inih", tu_conformance_dir());
    return path;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static json_t *trimmed_string(const char *s, size_t n)
{
    while (n && is_blank(*s)) {
        s++;
        n--;
    }
    while (n && is_blank(s[n - 1]))
        n--;
    return json_stringn(s, n);
}

/* Expected document from the triples, continuation lines joined. */
static json_t *expected_doc(json_t *triples)
{
    json_t *doc = json_object(), *t, *prev = NULL;
    size_t i;
    json_array_foreach(triples, i, t)
    {
        json_t *sec_name = json_array_get(t, 0);
        const char *name = json_string_value(json_array_get(t, 1));
        const char *value = json_string_value(json_array_get(t, 2));
        json_t *key = trimmed_string(json_string_value(sec_name),
                                     json_string_length(sec_name));
        json_t *sec = json_object_get(doc, json_string_value(key));
        if (!sec) {
            sec = json_object();
            json_object_set_new(doc, json_string_value(key), sec);
        }
        if (prev && json_equal(json_array_get(prev, 0), sec_name) &&
            strcmp(json_string_value(json_array_get(prev, 1)), name) == 0) {
            const char *old = json_string_value(json_object_get(sec, name));
            size_t n = strlen(old) + strlen(value) + 2;
            char *joined = malloc(n);
            snprintf(joined, n, "%s\n%s", old, value);
            json_object_set_new(sec, name, json_string(joined));
            free(joined);
        } else {
            json_object_set_new(sec, name, json_string(value));
        }
        json_decref(key);
        prev = t;
    }
    return doc;
}

/* Reads a baseline into blocks. The printer shows "[section]" only when the
 * section changes, across inputs too, so the section carries over. */
static block *read_baseline(const char *file, size_t *count)
{
    char *path = tu_join(dir_inih(), file);
    char *text = tu_read(path, NULL), *line, *save = NULL;
    block *blocks = NULL;
    size_t n = 0;
    char section[1024] = "";
    json_t *triples = json_array();

    assert_non_null(text);
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        char *e;
        if (strncmp(line, "... [", 5) == 0 && line[len - 1] == ']') {
            snprintf(section, sizeof section, "%.*s", (int)(len - 6), line + 5);
        } else if (strncmp(line, "... ", 4) == 0) {
            char *eq = strchr(line + 4, '=');
            assert_non_null(eq);
            assert_true(line[len - 1] == ';');
            json_array_append_new(triples,
                                  json_pack("[s s# s#]", section, line + 4,
                                            (int)(eq - line - 4), eq + 1,
                                            (int)(line + len - 1 - eq - 1)));
        } else if ((e = strstr(line, ": e=")) != NULL) {
            blocks = realloc(blocks, (n + 1) * sizeof *blocks);
            snprintf(blocks[n].name, sizeof blocks[n].name, "%.*s",
                     (int)(e - line), line);
            blocks[n].e = atoi(e + 4);
            blocks[n].triples = triples;
            triples = json_array();
            n++;
        } else {
            fail_msg("unexpected baseline line: %s", line);
        }
    }
    json_decref(triples);
    free(text);
    free(path);
    *count = n;
    return blocks;
}

static void free_blocks(block *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(b[i].triples);
    free(b);
}

/* Does the input hold a line of at least max_line - 1 bytes (which inih
 * cut)? */
static int has_long_line(const char *text, size_t len, int max_line)
{
    size_t start = 0;
    if (!max_line)
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            if (i - start >= (size_t)max_line - 1)
                return 1;
            start = i + 1;
        }
    }
    return 0;
}

/* Compares our document with the expected one. Returns 0 equal, 1 equal
 * up to inih's documented cuts (prefixes), -1 different. */
static int compare(const json_t *want, const json_t *got, int allow_cut,
                   int allow_extra, char *why, size_t why_size)
{
    const char *sname, *name;
    json_t *wsec, *gsec, *wv;
    int cut = 0;
    json_object_foreach((json_t *)want, sname, wsec)
    {
        gsec = json_object_get(got, sname);
        if (!gsec && strlen(sname) == 49) {
            /* inih's section buffer holds 49 bytes + NUL */
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)got, k, v)
            {
                if (strlen(k) > 49 && strncmp(k, sname, 49) == 0)
                    gsec = v;
            }
            cut = gsec != NULL;
        }
        if (!json_is_object(gsec)) {
            snprintf(why, why_size, "section [%s] missing", sname);
            return -1;
        }
        json_object_foreach(wsec, name, wv)
        {
            json_t *gv = json_object_get(gsec, name);
            const char *w = json_string_value(wv);
            if (json_equal(wv, gv))
                continue;
            if (allow_cut && json_is_string(gv) &&
                strncmp(json_string_value(gv), w, strlen(w)) == 0) {
                cut = 1;
                continue;
            }
            snprintf(why, why_size, "[%s] %s: want '%s', got '%s'", sname, name,
                     w, gv ? json_string_value(gv) : "(missing)");
            return -1;
        }
        if (!allow_extra && json_object_size(gsec) != json_object_size(wsec)) {
            snprintf(why, why_size, "[%s] has extra keys", sname);
            return -1;
        }
    }
    json_object_foreach((json_t *)got, sname, gsec)
    {
        int known = json_object_get(want, sname) != NULL;
        json_object_foreach((json_t *)want, name, wv)
        {
            if (strlen(name) == 49 && strncmp(sname, name, 49) == 0)
                known = 1;
        }
        if (!known && !(json_is_object(gsec) && json_object_size(gsec) == 0)) {
            snprintf(why, why_size, "unexpected [%s]", sname);
            return -1;
        }
    }
    return cut;
}

static void judge(const block *b, const input *in, counts *c)
{
    hc_parse_options o = {0};
    hc_error err;
    json_t *doc = NULL, *want;
    char why[512] = "";
    int r;
    o.no_typing = 1;
    hc_error_init(&err);

    if (in->text) {
        doc = hc_parse(in->text, in->len, HC_FORMAT_INI, b->name, &o, &err);
    } else {
        char *dir = tu_join(dir_inih(), "tests");
        char *path = tu_join(dir, b->name);
        doc = hc_parse_file(path, HC_FORMAT_INI, &o, &err);
        free(path);
        free(dir);
    }

    if (b->e == -1) { /* the file is missing on purpose */
        r = !doc && err.code == HC_ENOENT ? 0 : -1;
        snprintf(why, sizeof why, "want ENOENT, got %s", hc_err_name(err.code));
    } else if (b->e > 0 && in->text &&
               has_long_line(in->text, in->len, in->max_line)) {
        /* inih's error is its line cut: we must parse the whole line */
        want = expected_doc(b->triples);
        r = doc ? compare(want, doc, 1, 0, why, sizeof why) : -1;
        if (!doc)
            snprintf(why, sizeof why, "%d:%d: %s", err.line, err.column,
                     err.text);
        if (r == 0)
            r = 1;
        json_decref(want);
    } else if (b->e > 0 && strcmp(b->name, "user_error.ini") != 0) {
        r = !doc && err.code == HC_EPARSE && err.line == b->e ? 0 : -1;
        snprintf(why, sizeof why, "want an error on line %d, got %s line %d",
                 b->e, doc ? "success" : hc_err_name(err.code), err.line);
    } else {
        want = expected_doc(b->triples);
        if (!doc) {
            r = -1;
            snprintf(why, sizeof why, "%d:%d: %s", err.line, err.column,
                     err.text);
        } else {
            /* with stop-on-first-error, inih stops at the pair its
             * callback rejects; we go on, so later pairs are extra */
            r = compare(want, doc, 0, b->e > 0, why, sizeof why);
        }
        json_decref(want);
    }
    json_decref(doc);
    if (r == 0) {
        c->pass++;
    } else if (r == 1) {
        c->diff++;
        printf("  intentional difference: %s (inih cuts long names/lines; "
               "we keep them whole)\n",
               b->name);
    } else {
        c->fail++;
        printf("  FAIL %s: %s\n", b->name, why);
    }
}

static int skip_without_data(void)
{
    if (tu_conformance_dir())
        return 0;
    printf("SKIPPED: conformance data not found (set HC_CONFORMANCE_DIR)\n");
    return 1;
}

static void run_file_baseline(const char *file, int pass_floor, int diff_floor)
{
    size_t n;
    block *b = read_baseline(file, &n);
    counts c = {0, 0, 0};
    printf("inih %s\n", file);
    for (size_t i = 0; i < n; i++) {
        input in = {NULL, 0, 0};
        judge(&b[i], &in, &c);
    }
    printf("inih %s: %d inputs: %d pass, %d intentional differences, "
           "%d fail\n",
           file, (int)n, c.pass, c.diff, c.fail);
    free_blocks(b, n);
    assert_int_equal(c.fail, 0);
    assert_true(c.pass >= pass_floor);
    assert_true(c.diff >= diff_floor);
    assert_int_equal(c.pass + c.diff, (int)n);
}

static void test_inih_default_baseline(void **state)
{
    (void)state;
    run_file_baseline("tests/baseline_multi.txt", MULTI_PASS_FLOOR,
                      MULTI_DIFF_FLOOR);
}

/* We always stop at the first error: the error lines must match this
 * baseline too (its pairs before an error are not observable here). */
static void test_inih_stop_on_first_error_baseline(void **state)
{
    (void)state;
    run_file_baseline("tests/baseline_stop_on_first_error.txt", STOP_PASS_FLOOR,
                      MULTI_DIFF_FLOOR);
}

/* string_cases.json against baseline_string.txt (inih built with
 * INI_MAX_LINE=20). The "basic" case listed again for baseline_alloc.txt
 * is the same input; that baseline only adds allocator traces. */
static void test_inih_string_cases(void **state)
{
    char *path = tu_join(dir_inih(), "string_cases.json");
    json_error_t jerr;
    json_t *cases = json_load_file(path, 0, &jerr), *cs;
    size_t n, i, run = 0;
    block *b = read_baseline("tests/baseline_string.txt", &n);
    counts c = {0, 0, 0};
    (void)state;
    assert_non_null(cases);
    printf("inih string_cases.json / baseline_string.txt\n");
    json_array_foreach(json_object_get(cases, "cases"), i, cs)
    {
        const char *name = json_string_value(json_object_get(cs, "name"));
        json_t *bl = json_object_get(cs, "baselines");
        json_t *txt = json_object_get(cs, "input");
        size_t k;
        int in_string = 0;
        json_t *v;
        json_array_foreach(bl, k, v)
        {
            if (strcmp(json_string_value(v), "tests/baseline_string.txt") == 0)
                in_string = 1;
        }
        if (!in_string)
            continue;
        for (k = 0; k < n; k++) {
            if (strcmp(b[k].name, name) == 0) {
                input in = {json_string_value(txt), json_string_length(txt),
                            20};
                judge(&b[k], &in, &c);
                run++;
                break;
            }
        }
        assert_true(k < n); /* every case has its block */
    }
    printf("inih string cases: %d inputs: %d pass, %d intentional "
           "differences, %d fail\n",
           (int)run, c.pass, c.diff, c.fail);
    assert_int_equal(run, n);
    assert_int_equal(c.fail, 0);
    assert_true(c.pass >= STRING_PASS_FLOOR);
    assert_true(c.diff >= STRING_DIFF_FLOOR);
    free_blocks(b, n);
    json_decref(cases);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inih_default_baseline),
        cmocka_unit_test(test_inih_stop_on_first_error_baseline),
        cmocka_unit_test(test_inih_string_cases),
    };
    if (skip_without_data())
        return 77;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
