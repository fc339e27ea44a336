/*
 * test_engine_api_threads.c - the threaded half of issue 7's API seams:
 * hc_engine_stop followed by hc_engine_start (changes made while stopped
 * are picked up), and per-call errors from two threads at once (each
 * thread's hc_error names its own path, never the other's). Labelled
 * "threaded": make test runs it under ThreadSanitizer too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hotconf.h"
#include "test_engine_common.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_v(const char *path, long long v)
{
    char *data = te_content(HC_FORMAT_JSON, v);
    te_write_rename(path, data);
    free(data);
}

static void test_stop_then_start(void **state)
{
    char *tmp = tu_mkdtemp(), *path = tu_join(tmp, "app.json");
    hc_engine *e = hc_engine_create(NULL);
    te_recorder r;
    hc_watch_options wo;
    (void)state;
    te_rec_init(&r);
    hc_watch_options_init(&wo);
    wo.on_change = te_on_change;
    wo.user_data = &r;
    assert_non_null(e);
    assert_int_equal(hc_engine_stop(e), HC_ESTATE); /* never started */
    write_v(path, 1);
    assert_int_equal(hc_engine_watch(e, path, &wo, NULL), 0);
    assert_int_equal(hc_engine_start(e), 0);
    assert_true(te_wait_v(e, 1, &r, path, 1));
    assert_int_equal(hc_engine_stop(e), 0);
    assert_int_equal(hc_engine_stop(e), HC_ESTATE);
    /* Stopped: a change waits, readers still work. */
    write_v(path, 2);
    te_idle(e, 1, 200);
    assert_int_equal(te_live_v(e, path), 1);
    /* Dispatch mode is allowed while stopped... */
    assert_true(hc_engine_dispatch(e, 0) >= 0);
    /* ...and the monitor starts again and catches up. */
    assert_int_equal(hc_engine_start(e), 0);
    write_v(path, 3);
    assert_true(te_wait_v(e, 1, &r, path, 3));
    assert_int_equal(hc_engine_start(e), HC_ESTATE);
    hc_engine_free(e);
    te_rec_free(&r);
    tu_rmtree(tmp);
    free(tmp);
    free(path);
}

typedef struct racer {
    hc_engine *e;
    char path[600];
    int rounds;
    int wrong; /* errors that did not name this thread's path */
    pthread_barrier_t *go;
} racer;

static void *race(void *arg)
{
    racer *x = arg;
    pthread_barrier_wait(x->go);
    for (int i = 0; i < x->rounds; i++) {
        hc_error err;
        if (hc_engine_unwatch(x->e, x->path, &err) != HC_ENOTWATCHED ||
            err.code != HC_ENOTWATCHED || !strstr(err.text, x->path))
            x->wrong++;
        if (hc_config_rollback(x->e, x->path, 1, &err) != HC_ENOTWATCHED ||
            !strstr(err.text, x->path))
            x->wrong++;
    }
    return NULL;
}

static void test_per_call_errors_from_two_threads(void **state)
{
    hc_engine *e = hc_engine_create(NULL);
    pthread_barrier_t go;
    racer a, b;
    pthread_t ta, tb;
    (void)state;
    assert_non_null(e);
    pthread_barrier_init(&go, NULL, 2);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.e = b.e = e;
    a.go = b.go = &go;
    a.rounds = b.rounds = 2000;
    snprintf(a.path, sizeof a.path, "/nonexistent/thread-a.json");
    snprintf(b.path, sizeof b.path, "/nonexistent/thread-b.json");
    pthread_create(&ta, NULL, race, &a);
    pthread_create(&tb, NULL, race, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.wrong, 0);
    assert_int_equal(b.wrong, 0);
    pthread_barrier_destroy(&go);
    hc_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_then_start),
        cmocka_unit_test(test_per_call_errors_from_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
