/*
 * test_schema_suite.c - the official JSON-Schema-Test-Suite, draft 2020-12
 * (every top-level file in the conformance folder). Each test validates
 * twice, verdict-only and with a report, and passes when both verdicts
 * match and the report is empty exactly when the data is valid. Prints
 * the counts per file and in total, and fails when a file falls below its
 * floor. Cases that need documents we cannot have offline are listed in
 * `skips` with the reason, counted as skipped, never as passed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotconf.h"
#include "testutil.h"

static const struct skip {
    const char *file, *description, *reason;
    int must_fail_compile; /* the case needs an unregistered document */
} skips[] = {
    {"refRemote.json", NULL,
     "needs the suite's remotes/ documents (http://localhost:1234/...), "
     "which are not in the offline copy",
     1},
    {"dynamicRef.json", "$ref to $dynamicRef finds detached $dynamicAnchor",
     "needs remotes/draft2020-12/detached-dynamicref.json", 1},
    {"dynamicRef.json",
     "strict-tree schema, guards against misspelled "
     "properties",
     "needs remotes/draft2020-12/tree.json", 1},
    {"dynamicRef.json",
     "tests for implementation dynamic anchor and "
     "reference link",
     "needs remotes/draft2020-12/extendible-dynamic-ref.json", 1},
    {"dynamicRef.json",
     "$ref and $dynamicAnchor are independent of order - "
     "$defs first",
     "needs remotes/draft2020-12/extendible-dynamic-ref.json", 1},
    {"dynamicRef.json",
     "$ref and $dynamicAnchor are independent of order - "
     "$ref first",
     "needs remotes/draft2020-12/extendible-dynamic-ref.json", 1},
    {"vocabulary.json", NULL,
     "$schema names a custom meta-schema from remotes/ (its $vocabulary "
     "decides which keywords apply)",
     0},
    {"defs.json", "validate definition against metaschema",
     "needs the official 2020-12 meta-schema and its vocabulary schemas", 1},
    {"ref.json", "remote ref, containing refs itself",
     "needs the official 2020-12 meta-schema and its vocabulary schemas", 1},
};

/* Per-file floors: what the validator reaches today (100% of every file
 * but the skipped cases). Never lower them. */
static const struct floor {
    const char *file;
    int passed;
} floors[] = {
#include "schema_suite_floors.inc"
};

static const struct skip *find_skip(const char *file, const char *desc)
{
    for (size_t i = 0; i < sizeof skips / sizeof skips[0]; i++)
        if (!strcmp(skips[i].file, file) &&
            (!skips[i].description || !strcmp(skips[i].description, desc)))
            return &skips[i];
    return NULL;
}

static int floor_of(const char *file)
{
    for (size_t i = 0; i < sizeof floors / sizeof floors[0]; i++)
        if (!strcmp(floors[i].file, file))
            return floors[i].passed;
    return -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct counts {
    int passed, failed, skipped;
} counts;

static void run_file(const char *dir, const char *file, counts *fc)
{
    char *path = tu_join(dir, file);
    json_error_t jerr;
    json_t *cases =
        json_load_file(path, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    size_t ci;
    json_t *tc;
    hc_schema_report *rep = hc_schema_report_new();

    if (!cases) {
        fail_msg("%s: %s", path, jerr.text);
    }
    json_array_foreach(cases, ci, tc)
    {
        const char *desc =
            json_string_value(json_object_get(tc, "description"));
        json_t *tests = json_object_get(tc, "tests");
        const struct skip *sk = find_skip(file, desc);
        hc_error err;
        hc_schema *s;
        size_t ti;
        json_t *t;

        hc_error_init(&err);
        s = hc_schema_compile(json_object_get(tc, "schema"), &err);
        if (sk) {
            fc->skipped += (int)json_array_size(tests);
            printf("  skipped %s / %s: %s\n", file, desc, sk->reason);
            if (sk->must_fail_compile && s)
                fail_msg("%s / %s compiled, but it needs a document that is "
                         "not registered",
                         file, desc);
            if (sk->must_fail_compile && !strstr(err.text, "never fetched"))
                fail_msg("%s / %s: unexpected compile error: %s", file, desc,
                         err.text);
            hc_schema_free(s);
            continue;
        }
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

static void test_suite_meets_floors(void **state)
{
    const char *base = *state;
    char *dir = tu_join(base, "json-schema/draft2020-12");
    DIR *d = opendir(dir);
    struct dirent *de;
    char *files[256];
    size_t nfiles = 0;
    counts total = {0, 0, 0};
    int below = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL && nfiles < 256) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".json"))
            files[nfiles++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(files, nfiles, sizeof files[0], cmp_str);
    assert_true(nfiles >= 46);

    for (size_t i = 0; i < nfiles; i++) {
        counts fc = {0, 0, 0};
        int fl = floor_of(files[i]);
        run_file(dir, files[i], &fc);
        printf("%-28s %4d/%-4d passed", files[i], fc.passed,
               fc.passed + fc.failed);
        if (fc.skipped)
            printf(", %d skipped (remote)", fc.skipped);
        printf("%s\n", fl < 0 ? "  (no floor)" : "");
        if (fl < 0 || fc.passed < fl) {
            printf("  BELOW FLOOR: %s passed %d, floor %d\n", files[i],
                   fc.passed, fl);
            below++;
        }
        total.passed += fc.passed;
        total.failed += fc.failed;
        total.skipped += fc.skipped;
        free(files[i]);
    }
    printf("TOTAL: %d/%d passed, %d skipped (need remote documents), "
           "%d failed\n",
           total.passed, total.passed + total.failed, total.skipped,
           total.failed);
    free(dir);
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
