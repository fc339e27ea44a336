/*
 * test_json_conformance.c - JSONTestSuite through hc_parse(JSON).
 * Every y_ accepted, except three hotconf rejects by design: the two
 * duplicate-key files (duplicate keys are an error) and
 * y_object_escaped_null_in_key.json (jansson keys cannot hold NUL).
 * Every n_ rejected (jansson alone would accept
 * n_multidigit_number_then_00.json; hc_parse refuses raw NUL bytes).
 * Every i_ handled without a crash; accept/reject counts are printed and
 * pinned so behaviour cannot change by accident.
 * The one-pass parser (hc__parse_json_fast, which hc_parse tries first)
 * is held to jansson's loader on every file and on numbers near the
 * limits: it accepts only what jansson accepts, builds the same document,
 * and takes every y_ file itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hotconf.h"
#include "internal.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rejected_by_design[] = {
    "y_object_duplicated_key.json",
    "y_object_duplicated_key_and_value.json",
    "y_object_escaped_null_in_key.json",
};

static int by_design(const char *name)
{
    for (size_t i = 0;
         i < sizeof rejected_by_design / sizeof rejected_by_design[0]; i++)
        if (!strcmp(name, rejected_by_design[i]))
            return 1;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_json_test_suite(void **state)
{
    const char *root = *state;
    char *dir = tu_join(root, "json/JSONTestSuite/test_parsing");
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int y_ok = 0, y_total = 0, y_design = 0, n_ok = 0, n_total = 0;
    int i_acc = 0, i_rej = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 512;
            names = realloc(names, cap * sizeof *names);
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);

    for (size_t k = 0; k < n; k++) {
        char *path = tu_join(dir, names[k]);
        size_t len;
        char *buf = tu_read(path, &len);
        hc_error err;
        json_t *doc;
        hc_error_init(&err);
        doc = hc_parse(buf, len, HC_FORMAT_JSON, path, NULL, &err);
        if (!doc) {
            /* every rejection carries a position and a message */
            assert_true(err.code < 0);
            assert_true(err.text[0] != '\0');
        }
        switch (names[k][0]) {
        case 'y':
            y_total++;
            if (by_design(names[k])) {
                y_design++;
                if (doc)
                    printf("  FAIL (should be rejected by design) %s\n",
                           names[k]);
                else
                    y_ok++;
            } else if (doc) {
                y_ok++;
            } else {
                printf("  FAIL y_ rejected: %s: %s\n", names[k], err.text);
            }
            break;
        case 'n':
            n_total++;
            if (!doc)
                n_ok++;
            else
                printf("  FAIL n_ accepted: %s\n", names[k]);
            break;
        default:
            if (doc)
                i_acc++;
            else
                i_rej++;
            printf("  i_ %s: %s\n", doc ? "accepted" : "rejected", names[k]);
            break;
        }
        json_decref(doc);
        free(buf);
        free(path);
        free(names[k]);
    }
    free(names);
    free(dir);
    printf("JSONTestSuite: y_ %d/%d as specified (%d rejected by design), "
           "n_ %d/%d rejected, i_ %d accepted + %d rejected, no crash\n",
           y_ok, y_total, y_design, n_ok, n_total, i_acc, i_rej);
    /* the ratchet: never fall below what we reached */
    assert_int_equal(y_total, 95);
    assert_int_equal(y_ok, 95);
    assert_int_equal(n_total, 188);
    assert_int_equal(n_ok, 188);
    /* i_: pinned so a jansson upgrade that changes them is noticed; the
     * third accepted one is the UTF-8 BOM, skipped as in INI and .env */
    assert_int_equal(i_acc, 3);
    assert_int_equal(i_rej, 32);
}

/* Same document, reals bit for bit (json_equal takes -0.0 for 0.0). */
static int same_doc(json_t *a, json_t *b)
{
    char *x = json_dumps(a, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    char *y = json_dumps(b, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    int same = x && y && strcmp(x, y) == 0 && json_equal(a, b);
    free(x);
    free(y);
    return same;
}

/* The fast parser against jansson on one text: 1 when it took it. */
static int against_jansson(const char *name, const char *buf, size_t len)
{
    json_t *fast = hc__parse_json_fast(buf, len, 2048, NULL);
    json_t *ref = json_loadb(
        buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL,
        NULL);
    int took = fast != NULL;
    if (fast && (!ref || !same_doc(fast, ref))) {
        printf("  fast parser differs from jansson on %s\n", name);
        fail();
    }
    json_decref(fast);
    json_decref(ref);
    return took;
}

static void test_fast_parser_is_jansson(void **state)
{
    const char *root = *state;
    char *dir = tu_join(root, "json/JSONTestSuite/test_parsing");
    DIR *d = opendir(dir);
    struct dirent *de;
    int y_total = 0, y_fast = 0;
    static const char *const numbers[] = {"0",
                                          "-0",
                                          "-0.0",
                                          "0.1",
                                          "0.30000000000000004",
                                          "1e22",
                                          "1e23",
                                          "1.7976931348623157e308",
                                          "2.2250738585072014e-308",
                                          "4.9e-324",
                                          "1e-400",
                                          "1e400",
                                          "-1e400",
                                          "9223372036854775807",
                                          "9223372036854775808",
                                          "-9223372036854775808",
                                          "-9223372036854775809",
                                          "123456789012345",
                                          "1234567890123456",
                                          "123456789012345.6",
                                          "0.000001234567890123456",
                                          "12345678901234567890e-5",
                                          "5e-22",
                                          "123e-20",
                                          "1E+2",
                                          "1e-0",
                                          "[1.5, -2.25e-3, 3e+10]",
                                          "{\"a\": 1.0000000000000002}",
                                          "[8.98846567431158e307]"};
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char *path;
        char *buf;
        size_t len;
        if (de->d_name[0] == '.' || !strstr(de->d_name, ".json"))
            continue;
        path = tu_join(dir, de->d_name);
        buf = tu_read(path, &len);
        if (de->d_name[0] == 'y' && !by_design(de->d_name)) {
            y_total++;
            y_fast += against_jansson(de->d_name, buf, len);
        } else {
            against_jansson(de->d_name, buf, len);
        }
        free(buf);
        free(path);
    }
    closedir(d);
    free(dir);
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        against_jansson(numbers[i], numbers[i], strlen(numbers[i]));
    printf("fast parser: %d of %d y_ files in one pass, the same document "
           "as jansson on every file\n",
           y_fast, y_total);
    assert_int_equal(y_fast, y_total);
}

int main(void)
{
    const char *root = tu_conformance_dir();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_json_test_suite, (void *)root),
        cmocka_unit_test_prestate(test_fast_parser_is_jansson, (void *)root),
    };
    if (!root) {
        printf("SKIPPED: conformance folder not found (HC_CONFORMANCE_DIR)\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
