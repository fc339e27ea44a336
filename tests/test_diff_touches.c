/*
 * test_diff_touches.c - hc_changeset_touches: a conditional reload asks
 * whether a change concerns the keys under a prefix, segment by segment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hotconf.h"

#include <string.h>

static hc_changeset *diff_texts(const char *a, const char *b)
{
    json_error_t je;
    json_t *x = a ? json_loads(a, JSON_DECODE_ANY, &je) : NULL;
    json_t *y = json_loads(b, JSON_DECODE_ANY, &je);
    hc_changeset *cs;
    assert_non_null(y);
    cs = hc_diff(x, y);
    json_decref(x);
    json_decref(y);
    assert_non_null(cs);
    return cs;
}

static void test_prefix_matches_whole_segments(void **state)
{
    hc_changeset *cs = diff_texts(
        "{\"database\":{\"host\":\"a\",\"port\":1},\"databases\":[1],"
        "\"cache\":{\"ttl\":1}}",
        "{\"database\":{\"host\":\"b\",\"port\":1},\"databases\":[2],"
        "\"cache\":{\"ttl\":1}}");
    (void)state;
    assert_int_equal(hc_changeset_touches(cs, "database"), 1);
    assert_int_equal(hc_changeset_touches(cs, "database.host"), 1);
    assert_int_equal(hc_changeset_touches(cs, "database.port"), 0);
    assert_int_equal(hc_changeset_touches(cs, "databases"), 1);
    assert_int_equal(hc_changeset_touches(cs, "cache"), 0);
    assert_int_equal(hc_changeset_touches(cs, "data"), 0);
    assert_int_equal(hc_changeset_touches(cs, "database.hos"), 0);
    assert_int_equal(hc_changeset_touches(cs, ""), 1);
    assert_int_equal(hc_changeset_touches(cs, NULL), 1);
    hc_changeset_free(cs);
}

static void test_databases_alone_does_not_touch_database(void **state)
{
    hc_changeset *cs = diff_texts("{\"database\":{\"host\":\"a\"},"
                                  "\"databases\":[1]}",
                                  "{\"database\":{\"host\":\"a\"},"
                                  "\"databases\":[1,2]}");
    (void)state;
    assert_int_equal(hc_changeset_touches(cs, "database"), 0);
    assert_int_equal(hc_changeset_touches(cs, "databases"), 1);
    assert_int_equal(hc_changeset_touches(cs, "databases[1]"), 1);
    assert_int_equal(hc_changeset_touches(cs, "databases[0]"), 0);
    hc_changeset_free(cs);
}

/* A change recorded at a parent (a first load, a replaced object, a type
 * change) touches a prefix below it only when the value there differs. */
static void test_parent_change_touches_what_differs_below(void **state)
{
    hc_changeset *first = diff_texts(NULL, "{\"database\":{\"host\":\"a\"}}");
    hc_changeset *type = diff_texts("{\"database\":{\"host\":\"a\"}}",
                                    "{\"database\":[{\"host\":\"a\"}]}");
    hc_changeset *root = diff_texts("[1]", "{\"database\":{\"host\":\"a\"}}");
    (void)state;
    assert_int_equal(hc_changeset_touches(first, "database.host"), 1);
    assert_int_equal(hc_changeset_touches(first, "database.port"), 0);
    assert_int_equal(hc_changeset_touches(type, "database"), 1);
    assert_int_equal(hc_changeset_touches(type, "database.host"), 1);
    assert_int_equal(hc_changeset_touches(type, "database[0].host"), 1);
    assert_int_equal(hc_changeset_touches(root, "database.host"), 1);
    assert_int_equal(hc_changeset_touches(root, "cache"), 0);
    hc_changeset_free(first);
    hc_changeset_free(type);
    hc_changeset_free(root);
}

static void test_bracketed_keys_and_empty_changesets(void **state)
{
    hc_changeset *cs = diff_texts("{\"labels\":{\"app.name\":\"a\",\"x\":1}}",
                                  "{\"labels\":{\"app.name\":\"b\",\"x\":1}}");
    hc_changeset *none = diff_texts("{\"a\":1}", "{\"a\":1}");
    (void)state;
    assert_int_equal(hc_changeset_touches(cs, "labels"), 1);
    assert_int_equal(hc_changeset_touches(cs, "labels[\"app.name\"]"), 1);
    assert_int_equal(hc_changeset_touches(cs, "labels.x"), 0);
    assert_int_equal(hc_changeset_touches(none, ""), 0);
    assert_int_equal(hc_changeset_touches(none, "a"), 0);
    assert_int_equal(hc_changeset_touches(NULL, "a"), 0);
    hc_changeset_free(cs);
    hc_changeset_free(none);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_matches_whole_segments),
        cmocka_unit_test(test_databases_alone_does_not_touch_database),
        cmocka_unit_test(test_parent_change_touches_what_differs_below),
        cmocka_unit_test(test_bracketed_keys_and_empty_changesets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
