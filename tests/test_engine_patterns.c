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

#include "engine/engine_internal.h"
#include "test_engine_common.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* An engine (dispatch mode, not started) watching path, recording into r
 * (initialised here) every change and error. */
static hc_engine *watch_into(const char *path, int settle_ms, te_recorder *r)
{
    hc_engine_options eo;
    hc_watch_options wo;
    hc_engine *e;
    memset(&eo, 0, sizeof eo);
    eo.settle_ms = settle_ms;
    e = hc_engine_new(&eo);
    assert_non_null(e);
    te_rec_init(r);
    memset(&wo, 0, sizeof wo);
    wo.on_change = te_on_change;
    wo.user_data = r;
    wo.on_error = te_on_error;
    wo.on_error_data = r;
    assert_int_equal(hc_watch(e, path, &wo), 0);
    return e;
}

static void run_pattern(te_pattern p, hc_format f)
{
    char *tmp = tu_mkdtemp(), *dir = tu_join(tmp, "conf");
    char name[64], *path, *data;
    te_recorder r;
    hc_engine *e;
    hc_stats st;

    snprintf(name, sizeof name, "app.%s", te_ext(f));
    path = tu_join(dir, name);
    data = te_content(f, 1);
    te_setup(p, path, data);
    free(data);

    /* generous settle time: a loaded CI box must not split saves */
    e = watch_into(path, 200, &r);
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

/* ---- a directory made again between the walk and its watch (issue 15) -- */

typedef struct dir_race {
    const char *dir;
    int made;
} dir_race;

/* Runs between the engine's walk of the path and its inotify_add_watch
 * calls: the walk found the directory missing, and it is made again
 * before the watch on its parent exists, so no event ever reports it. */
static void make_dir_after_walk(void *arg)
{
    dir_race *dr = arg;
    if (!dr->made && access(dr->dir, F_OK) != 0) {
        assert_int_equal(mkdir(dr->dir, 0755), 0);
        dr->made = 1;
    }
}

static int dir_made(void *arg)
{
    return ((dir_race *)arg)->made;
}

/* The 50 ms tail of bench_engine_latency's dir-recreate pattern, in the
 * order that caused it: the file is written in the new directory after
 * the engine looked (and found nothing). Only the events of a watch on
 * that directory can apply it before the settle time, made 30 s here so
 * that a version waiting for it fails te_wait_v's bound. */
static void test_directory_recreated_before_its_watch_is_applied(void **s)
{
    char *tmp = tu_mkdtemp(), *dir = tu_join(tmp, "conf");
    char *path = tu_join(dir, "app.json"), *data;
    dir_race dr = {dir, 0};
    te_recorder r;
    hc_engine *e;
    (void)s;

    assert_int_equal(mkdir(dir, 0755), 0);
    data = te_content(HC_FORMAT_JSON, 1);
    tu_write(path, data, (size_t)-1);
    free(data);
    e = watch_into(path, 30000, &r);
    assert_true(te_wait_v(e, 0, &r, path, 1));

    hc__engine_after_walk(e, make_dir_after_walk, &dr);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    /* The dispatch that made it also finished that round's check. */
    assert_true(te_wait(e, 0, &r, dir_made, &dr, TE_TIMEOUT_MS));
    hc__engine_after_walk(e, NULL, NULL);
    data = te_content(HC_FORMAT_JSON, 2);
    tu_write(path, data, (size_t)-1);
    free(data);
    if (!te_wait_v(e, 0, &r, path, 2))
        fail_msg("version 2 not applied on an event (live: %lld)",
                 te_live_v(e, path));
    assert_int_equal(te_rec_at(&r, 1).trigger, HC_TRIGGER_CREATE);
    assert_int_equal(te_rec_count_errors(&r, 0), 0);
    assert_int_equal(te_rec_count(&r), 2);

    hc_engine_free(e);
    te_rec_free(&r);
    tu_rmtree(tmp);
    free(path);
    free(dir);
    free(tmp);
}

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
        cmocka_unit_test(test_directory_recreated_before_its_watch_is_applied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
