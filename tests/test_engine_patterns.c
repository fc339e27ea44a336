/*
 * test_engine_patterns.c - every way a file gets saved, for every format:
 * each version is seen once, in order, with the right trigger, and nothing
 * is rejected or reported missing on the way. Real inotify, real files;
 * the engine runs in dispatch mode on the test's thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_engine_common.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSIONS 6

static hc_trigger expected_trigger(te_pattern p)
{
    switch (p) {
    case TE_INPLACE: return HC_TRIGGER_MODIFY;
    case TE_RENAME: return HC_TRIGGER_RENAME;
    case TE_DELETE_RECREATE: return HC_TRIGGER_CREATE;
    case TE_MOVE_AWAY_BACK: return HC_TRIGGER_RENAME;
    case TE_SYMLINK_SWAP: return HC_TRIGGER_LINK;
    case TE_DIR_RECREATE: return HC_TRIGGER_CREATE;
    case TE_KEEP_OPEN: return HC_TRIGGER_MODIFY;
    }
    return HC_TRIGGER_INITIAL;
}

static void run_pattern(te_pattern p, hc_format f)
{
    char *tmp = tu_mkdtemp(), *dir = tu_join(tmp, "conf");
    char name[64], *path, *data;
    hc_engine_options eo;
    hc_watch_options wo;
    te_recorder r;
    hc_engine *e;
    hc_stats st;

    snprintf(name, sizeof name, "app.%s", te_ext(f));
    path = tu_join(dir, name);
    data = te_content(f, 1);
    te_setup(p, path, data);
    free(data);

    memset(&eo, 0, sizeof eo);
    eo.settle_ms = 200; /* generous: a loaded CI box must not split saves */
    e = hc_engine_new(&eo);
    assert_non_null(e);
    te_rec_init(&r);
    memset(&wo, 0, sizeof wo);
    wo.on_change = te_on_change;
    wo.user_data = &r;
    wo.on_error = te_on_error;
    wo.on_error_data = &r;
    assert_int_equal(hc_watch(e, path, &wo), 0);
    if (!te_wait_v(e, 0, &r, path, 1)) {
        hc_error err;
        hc_config_last_error(e, path, &err);
        fail_msg("%s/%s: first version not applied: %s", te_pattern_name(p),
                 te_ext(f), err.text);
    }

    for (long long v = 2; v <= VERSIONS; v++) {
        int fd;
        data = te_content(f, v);
        fd = te_save(p, path, data);
        free(data);
        if (!te_wait_v(e, 0, &r, path, v))
            fail_msg("%s/%s: version %lld never became live (live: %lld)",
                     te_pattern_name(p), te_ext(f), v, te_live_v(e, path));
        if (fd >= 0)
            close(fd); /* its close must not make a second version */
    }
    te_idle(e, 0, 300);

    /* Exactly one notification per version, in order, nothing else. */
    assert_int_equal(te_rec_count_errors(&r, 0), 0);
    assert_int_equal(te_rec_count(&r), VERSIONS);
    for (size_t i = 0; i < VERSIONS; i++) {
        te_entry en = te_rec_at(&r, i);
        assert_int_equal(en.version, i + 1);
        assert_int_equal(hc_get_int(en.doc, "v", -1, NULL), (long long)i + 1);
        assert_int_equal(en.trigger,
                         i == 0 ? HC_TRIGGER_INITIAL : expected_trigger(p));
        assert_int_equal(en.nchanges, i == 0 ? 2 : 1);
    }
    hc_engine_stats(e, &st);
    assert_int_equal(st.loads, 1);
    assert_int_equal(st.reloads, VERSIONS - 1);
    assert_int_equal(st.parse_failures + st.missing + st.read_failures, 0);
    assert_int_equal(st.latency_count, VERSIONS - 1);

    hc_engine_free(e);
    te_rec_free(&r);
    tu_rmtree(tmp);
    free(path);
    free(dir);
    free(tmp);
}

#define PATTERN_TESTS(P, pname)                                                \
    static void test_##pname##_json(void **s)                                  \
    {                                                                          \
        (void)s;                                                               \
        run_pattern(P, HC_FORMAT_JSON);                                        \
    }                                                                          \
    static void test_##pname##_yaml(void **s)                                  \
    {                                                                          \
        (void)s;                                                               \
        run_pattern(P, HC_FORMAT_YAML);                                        \
    }                                                                          \
    static void test_##pname##_ini(void **s)                                   \
    {                                                                          \
        (void)s;                                                               \
        run_pattern(P, HC_FORMAT_INI);                                         \
    }                                                                          \
    static void test_##pname##_env(void **s)                                   \
    {                                                                          \
        (void)s;                                                               \
        run_pattern(P, HC_FORMAT_ENV);                                         \
    }

PATTERN_TESTS(TE_INPLACE, in_place_write_is_applied)
PATTERN_TESTS(TE_RENAME, rename_over_is_applied)
PATTERN_TESTS(TE_DELETE_RECREATE, delete_and_recreate_is_applied)
PATTERN_TESTS(TE_MOVE_AWAY_BACK, move_away_and_back_is_applied)
PATTERN_TESTS(TE_SYMLINK_SWAP, configmap_symlink_swap_is_applied)
PATTERN_TESTS(TE_DIR_RECREATE, directory_recreated_is_applied)
PATTERN_TESTS(TE_KEEP_OPEN, writer_keeping_file_open_is_applied)

#define T(pname)                                                               \
    cmocka_unit_test(test_##pname##_json),                                     \
        cmocka_unit_test(test_##pname##_yaml),                                 \
        cmocka_unit_test(test_##pname##_ini),                                  \
        cmocka_unit_test(test_##pname##_env)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(in_place_write_is_applied),
        T(rename_over_is_applied),
        T(delete_and_recreate_is_applied),
        T(move_away_and_back_is_applied),
        T(configmap_symlink_swap_is_applied),
        T(directory_recreated_is_applied),
        T(writer_keeping_file_open_is_applied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
