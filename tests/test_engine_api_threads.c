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
#include <time.h>

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

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered, open;
    te_recorder *r;
} gate;

/* A's subscriber: on v2 it blocks until the test opens the gate, as a
 * subscriber sleeping for a second would (no timing: the test decides). */
static int blocking_cb(const hc_change_record *rec, void *ud)
{
    gate *g = ud;
    te_on_change(rec, g->r);
    if (hc_get_int(rec->new_doc, "v", 0, NULL) == 2) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 20; /* a bound, so a broken engine fails, not hangs */
        pthread_mutex_lock(&g->mu);
        g->entered = 1;
        pthread_cond_broadcast(&g->cv);
        while (!g->open)
            if (pthread_cond_timedwait(&g->cv, &g->mu, &ts) != 0)
                break;
        pthread_mutex_unlock(&g->mu);
    }
    return 0;
}

/* Config A's subscriber is stuck in its callback: config B's changes are
 * still delivered, and A's later versions arrive afterwards, in order. */
static void test_slow_subscriber_does_not_stall_other_configs(void **state)
{
    char *tmp = tu_mkdtemp(), *pa = tu_join(tmp, "a.json"),
         *pb = tu_join(tmp, "b.json");
    hc_engine *e = hc_engine_create(NULL);
    te_recorder ra, rb;
    gate g;
    hc_watch_options wa, wb;
    (void)state;
    te_rec_init(&ra);
    te_rec_init(&rb);
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    g.entered = g.open = 0;
    g.r = &ra;
    hc_watch_options_init(&wa);
    wa.on_change = blocking_cb;
    wa.user_data = &g;
    hc_watch_options_init(&wb);
    wb.on_change = te_on_change;
    wb.user_data = &rb;
    write_v(pa, 1);
    write_v(pb, 1);
    assert_int_equal(hc_engine_watch(e, pa, &wa, NULL), 0);
    assert_int_equal(hc_engine_watch(e, pb, &wb, NULL), 0);
    assert_int_equal(hc_engine_start(e), 0);
    assert_true(te_wait_v(e, 1, &ra, pa, 1));
    assert_true(te_wait_v(e, 1, &rb, pb, 1));

    write_v(pa, 2);
    pthread_mutex_lock(&g.mu);
    while (!g.entered)
        pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    /* A's callback is blocked now. */
    write_v(pa, 3);
    write_v(pb, 2);
    assert_true(te_wait_v(e, 1, &rb, pb, 2));
    write_v(pb, 3);
    assert_true(te_wait_v(e, 1, &rb, pb, 3));
    pthread_mutex_lock(&g.mu);
    assert_int_equal(g.open, 0); /* still stuck: B did not wait for it */
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    assert_true(te_wait_v(e, 1, &ra, pa, 3));
    /* A's versions in order, each once. */
    for (size_t i = 1; i < te_rec_count(&ra); i++)
        assert_true(te_rec_at(&ra, i).version > te_rec_at(&ra, i - 1).version);
    hc_engine_free(e);
    pthread_cond_destroy(&g.cv);
    pthread_mutex_destroy(&g.mu);
    te_rec_free(&ra);
    te_rec_free(&rb);
    tu_rmtree(tmp);
    free(tmp);
    free(pa);
    free(pb);
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
        cmocka_unit_test(test_slow_subscriber_does_not_stall_other_configs),
        cmocka_unit_test(test_per_call_errors_from_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
