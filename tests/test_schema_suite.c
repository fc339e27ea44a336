/*
 * test_schema_suite.c - the official JSON-Schema-Test-Suite, every draft
 * hotconf reads (draft-04, -06, -07, 2019-09, 2020-12), each case with the
 * draft of its folder as the default. The suite's remotes/ documents are
 * registered under http://localhost:1234/ (nothing is fetched). Each test
 * validates twice, verdict-only and with a report, and passes when both
 * verdicts match and the report is empty exactly when the data is valid.
 * Prints the counts per file and per draft, the required cases and the
 * optional/ ones apart (optional/format/ with format assertion on), and
 * fails when a draft's required cases fall below its floor.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hotconf.h"
#include "testutil.h"

static const struct draft {
    const char *dir;
    hc_schema_draft draft;
    int floor; /* required tests that must pass: never lower them */
} drafts[] = {
#include "schema_suite_floors.inc"
};

typedef struct counts {
    int passed, failed;
} counts;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending in suffix ("" for sub-folders). */
static size_t list_dir(const char *dir, bool folders, char **names, size_t max)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    if (!d)
        return 0;
    while ((de = readdir(d)) != NULL && n < max) {
        char *p;
        struct stat st;
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        p = tu_join(dir, de->d_name);
        if (stat(p, &st) == 0 &&
            (folders ? S_ISDIR(st.st_mode)
                     : S_ISREG(st.st_mode) && l > 5 &&
                           !strcmp(de->d_name + l - 5, ".json")))
            names[n++] = strdup(de->d_name);
        free(p);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    return n;
}

/* Registers every remote under dir as http://localhost:1234/rel, skipping
 * the folders of the other drafts. */
static void register_remotes(hc_schema_registry *reg, const char *dir,
                             const char *rel, const char *draft_dir)
{
    char *names[128];
    size_t n = list_dir(dir, false, names, 128);
    for (size_t i = 0; i < n; i++) {
        char *path = tu_join(dir, names[i]);
        char uri[512];
        json_error_t je;
        json_t *doc = json_load_file(path, JSON_DECODE_ANY, &je);
        snprintf(uri, sizeof uri, "http://localhost:1234/%s%s", rel, names[i]);
        if (!doc)
            fail_msg("%s: %s", path, je.text);
        assert_int_equal(hc_schema_registry_add(reg, uri, doc), 0);
        json_decref(doc);
        free(path);
        free(names[i]);
    }
    n = list_dir(dir, true, names, 128);
    for (size_t i = 0; i < n; i++) {
        /* v1/: the next draft's remotes */
        if ((strncmp(names[i], "draft", 5) && strcmp(names[i], "v1")) ||
            !strcmp(names[i], draft_dir)) {
            char *sub = tu_join(dir, names[i]);
            char r[256];
            snprintf(r, sizeof r, "%s%s/", rel, names[i]);
            register_remotes(reg, sub, r, draft_dir);
            free(sub);
        }
        free(names[i]);
    }
}

static void run_file(const char *dir, const char *file,
                     const hc_schema_options *o, counts *fc)
{
    char *path = tu_join(dir, file);
    json_error_t jerr;
    json_t *cases =
        json_load_file(path, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    size_t ci;
    json_t *tc;
    hc_schema_report *rep = hc_schema_report_new();

    if (!cases && strstr(jerr.text, "too big integer"))
        /* bignum.json: jansson holds 64-bit integers at most, so these
         * are read as reals (compared as such) */
        cases = json_load_file(
            path, JSON_ALLOW_NUL | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
            &jerr);
    if (!cases)
        fail_msg("%s: %s", path, jerr.text);
    json_array_foreach(cases, ci, tc)
    {
        const char *desc =
            json_string_value(json_object_get(tc, "description"));
        json_t *tests = json_object_get(tc, "tests");
        hc_error err;
        hc_schema *s;
        size_t ti;
        json_t *t;

        hc_error_init(&err);
        s = hc_schema_compile_ex(json_object_get(tc, "schema"), o, &err);
        if (!s)
            printf("  FAIL %s / %s: does not compile: %s\n", file, desc,
                   err.text);
        json_array_foreach(tests, ti, t)
        {
            int want = json_is_true(json_object_get(t, "valid"));
            json_t *data = json_object_get(t, "data");
            int fast, full;
            size_t n;
            if (!s) {
                fc->failed++;
                continue;
            }
            fast = hc_schema_validate(s, data, NULL);
            full = hc_schema_validate(s, data, rep);
            n = hc_schema_report_count(rep);
            if ((want ? fast == 0 : fast == HC_EVALIDATE) && fast == full &&
                (want ? n == 0 : n > 0)) {
                fc->passed++;
            } else {
                fc->failed++;
                printf("  FAIL %s / %s / %s: want %s, got %d/%d (%zu errors)"
                       "%s%s\n",
                       file, desc,
                       json_string_value(json_object_get(t, "description")),
                       want ? "valid" : "invalid", fast, full, n, n ? ": " : "",
                       n ? hc_schema_report_at(rep, 0)->message : "");
            }
        }
        hc_schema_free(s);
    }
    hc_schema_report_free(rep);
    json_decref(cases);
    free(path);
}

/* Runs every .json in dir (label for the output) into total. */
static void run_dir(const char *dir, const char *label,
                    const hc_schema_options *o, counts *total)
{
    char *files[128];
    size_t n = list_dir(dir, false, files, 128);
    for (size_t i = 0; i < n; i++) {
        counts fc = {0, 0};
        run_file(dir, files[i], o, &fc);
        printf("%s%-28s %4d/%-4d passed\n", label, files[i], fc.passed,
               fc.passed + fc.failed);
        total->passed += fc.passed;
        total->failed += fc.failed;
        free(files[i]);
    }
}

static void test_suite_meets_floors(void **state)
{
    const char *base = *state;
    char *remotes = tu_join(base, "json-schema/remotes");
    int below = 0;
    char summary[2048];
    size_t so = 0;

    summary[0] = '\0';
    for (size_t di = 0; di < sizeof drafts / sizeof drafts[0]; di++) {
        const struct draft *dr = &drafts[di];
        char *dir, *opt, *fmt;
        hc_schema_options o = {0};
        hc_schema_registry *reg = hc_schema_registry_new();
        counts req = {0, 0}, optional = {0, 0}, format = {0, 0};

        dir = tu_join(base, "json-schema");
        {
            char *d2 = tu_join(dir, dr->dir);
            free(dir);
            dir = d2;
        }
        opt = tu_join(dir, "optional");
        fmt = tu_join(opt, "format");
        assert_non_null(reg);
        register_remotes(reg, remotes, "", dr->dir);
        o.registry = reg;
        o.default_draft = dr->draft;
        printf("== %s\n", dr->dir);
        run_dir(dir, "", &o, &req);
        run_dir(opt, "optional/", &o, &optional);
        o.format_assert = 1;
        run_dir(fmt, "optional/format/", &o, &format);
        so +=
            (size_t)snprintf(summary + so, sizeof summary - so,
                             "%-14s required %4d/%-4d  optional %3d/%-3d  "
                             "optional/format (asserting) %3d/%-3d\n",
                             dr->dir, req.passed, req.passed + req.failed,
                             optional.passed, optional.passed + optional.failed,
                             format.passed, format.passed + format.failed);
        if (req.passed < dr->floor) {
            printf("  BELOW FLOOR: %s passed %d, floor %d\n", dr->dir,
                   req.passed, dr->floor);
            below++;
        }
        hc_schema_registry_free(reg);
        free(fmt);
        free(opt);
        free(dir);
    }
    printf("\nSUMMARY (tests passed)\n%s", summary);
    free(remotes);
    assert_int_equal(below, 0);
}

int main(void)
{
    const char *base = tu_conformance_dir();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_suite_meets_floors, (void *)base),
    };
    if (!base) {
        printf("SKIPPED: conformance data not found\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
