/*
 * test_engine_api.c - the engine's public API seams (issue 7): the
 * REQUIRE / on_error fix, hc_config_last_error filling its hc_error,
 * per-call errors, option and stats structs of an older size, veto by a
 * prepare callback, the revert policy and hc_engine_stop + start.
 * Real files in a temp dir, real inotify; dispatch mode unless a test
 * starts the monitor thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hotconf.h"
#include "test_engine_common.h"
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    char *tmp;
    char *path;
    hc_engine *e;
    te_recorder r;
    hc_watch_options wo;
    atomic_int engine_errors; /* engine-wide on_error calls */
} fixture;

static void count_engine_error(const hc_error_record *rec, void *ud)
{
    fixture *f = ud;
    (void)rec;
    atomic_fetch_add(&f->engine_errors, 1);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    hc_engine_options eo;
    hc_engine_options_init(&eo);
    f->tmp = tu_mkdtemp();
    f->path = tu_join(f->tmp, "app.json");
    eo.settle_ms = 100;
    eo.on_error = count_engine_error;
    eo.on_error_data = f;
    f->e = hc_engine_create(&eo);
    te_rec_init(&f->r);
    hc_watch_options_init(&f->wo);
    f->wo.on_change = te_on_change;
    f->wo.user_data = &f->r;
    f->wo.on_error = te_on_error;
    f->wo.on_error_data = &f->r;
    *state = f;
    return f->e ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hc_engine_free(f->e);
    te_rec_free(&f->r);
    tu_rmtree(f->tmp);
    free(f->tmp);
    free(f->path);
    free(f);
    return 0;
}

static void write_v(const char *path, long long v)
{
    char *data = te_content(HC_FORMAT_JSON, v);
    te_write_rename(path, data);
    free(data);
}

typedef struct errs_arg {
    te_recorder *r;
    int code;
} errs_arg;

static int has_error(void *arg)
{
    errs_arg *a = arg;
    return te_rec_count_errors(a->r, a->code) >= 1;
}

/* REQUIRE: the caller gets the error, and the engine-wide on_error is not
 * called as well for a path that was never watched (it used to be, on
 * the next dispatch). */
static void test_require_failure_does_not_reach_on_error(void **state)
{
    fixture *f = *state;
    hc_error err;
    f->wo.flags = HC_WATCH_REQUIRE;
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, &err), HC_ENOENT);
    assert_int_equal(err.code, HC_ENOENT);
    te_idle(f->e, 0, 300);
    assert_int_equal(atomic_load(&f->engine_errors), 0);
    assert_int_equal(te_rec_count(&f->r), 0);
    /* Not watched: a watch without REQUIRE still reports through both. */
    f->wo.flags = 0;
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, NULL), 0);
    {
        errs_arg a = {&f->r, HC_ENOENT};
        assert_true(te_wait(f->e, 0, &f->r, has_error, &a, TE_TIMEOUT_MS));
    }
    te_idle(f->e, 0, 300);
    assert_int_equal(te_rec_count_errors(&f->r, HC_ENOENT), 1);
    assert_int_equal(atomic_load(&f->engine_errors), 1);
}

/* The header's rule: a failing call fills the hc_error it is given. */
static void test_last_error_of_unwatched_path_is_filled(void **state)
{
    fixture *f = *state;
    hc_error err;
    memset(&err, 0x5a, sizeof err);
    assert_int_equal(hc_config_last_error(f->e, f->path, &err), HC_ENOTWATCHED);
    assert_int_equal(err.code, HC_ENOTWATCHED);
    assert_non_null(strstr(err.text, "not watched"));
}

static void test_per_call_error_names_the_call(void **state)
{
    fixture *f = *state;
    hc_error err;
    hc_version_info vi[2];
    assert_int_equal(hc_engine_unwatch(f->e, f->path, &err), HC_ENOTWATCHED);
    assert_int_equal(err.code, HC_ENOTWATCHED);
    assert_non_null(strstr(err.text, "app.json"));
    assert_int_equal(hc_config_history(f->e, f->path, vi, 2, &err),
                     HC_ENOTWATCHED);
    assert_int_equal(err.code, HC_ENOTWATCHED);
    write_v(f->path, 1);
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, &err), 0);
    assert_int_equal(err.code, 0);
    assert_int_equal(hc_config_rollback(f->e, f->path, 1, &err), HC_EHISTORY);
    assert_int_equal(err.code, HC_EHISTORY);
    assert_non_null(strstr(err.text, "0 earlier versions kept"));
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, &err), HC_EEXIST);
    assert_non_null(strstr(err.text, "already watched"));
}

/* A program built against the 0.1.0 header passes a shorter
 * hc_watch_options and hc_stats: exactly that many bytes are read or
 * written (the buffers are malloc'd to that size, so AddressSanitizer
 * catches one byte more). */
/* st->loads of a buffer smaller than hc_stats, read without an lvalue of
 * the whole struct (gcc -O2 -Warray-bounds objects to that). */
static uint64_t loads_of(const void *st)
{
    uint64_t v;
    memcpy(&v, (const char *)st + offsetof(hc_stats, loads), sizeof v);
    return v;
}

static void test_old_struct_sizes_still_work(void **state)
{
    fixture *f = *state;
    const size_t wsize = offsetof(hc_watch_options, prepare);
    const size_t ssize = offsetof(hc_stats, vetoes);
    hc_watch_options *old = malloc(wsize);
    hc_stats *st = malloc(ssize);
    hc_stats full;
    memcpy(old, &f->wo, wsize);
    write_v(f->path, 1);
    assert_int_equal(hc_watch(f->e, f->path, old), 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
    assert_int_equal(hc_engine_unwatch(f->e, f->path, NULL), 0);
    assert_int_equal(hc_engine_watch_sized(f->e, f->path, old, wsize, NULL), 0);
    hc_engine_stats(f->e, st);
    assert_int_equal(loads_of(st), 2);
    assert_int_equal(hc_config_stats(f->e, f->path, st), 0);
    assert_int_equal(loads_of(st), 1);
    hc_engine_stats_sized(f->e, &full, sizeof full);
    assert_int_equal(full.loads, 2);
    assert_int_equal(full.vetoes, 0);
    free(old);
    free(st);
}

typedef struct veto_arg {
    atomic_int calls;
} veto_arg;

/* Refuses any version whose "v" is 2, as a service would refuse a port
 * already in use. */
static int refuse_v2(const hc_change_record *rec, hc_error *err, void *ud)
{
    veto_arg *a = ud;
    atomic_fetch_add(&a->calls, 1);
    if (hc_get_int(rec->new_doc, "v", 0, NULL) == 2) {
        snprintf(err->text, sizeof err->text, "port 8080 is already in use");
        return 1;
    }
    return 0;
}

static void test_prepare_veto_keeps_the_live_version(void **state)
{
    fixture *f = *state;
    veto_arg a;
    hc_error err;
    hc_stats st;
    atomic_init(&a.calls, 0);
    f->wo.prepare = refuse_v2;
    f->wo.prepare_data = &a;
    write_v(f->path, 1);
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, NULL), 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
    write_v(f->path, 2);
    {
        errs_arg ea = {&f->r, HC_EVETO};
        assert_true(te_wait(f->e, 0, &f->r, has_error, &ea, TE_TIMEOUT_MS));
    }
    te_idle(f->e, 0, 300);
    assert_int_equal(te_rec_count_errors(&f->r, HC_EVETO), 1);
    assert_int_equal(te_live_v(f->e, f->path), 1);
    assert_int_equal(hc_config_last_error(f->e, f->path, &err), HC_EVETO);
    assert_non_null(strstr(err.text, "port 8080 is already in use"));
    hc_config_stats_sized(f->e, f->path, &st, sizeof st);
    assert_int_equal(st.vetoes, 1);
    assert_int_equal(st.reloads, 0);
    write_v(f->path, 3);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 3));
    assert_int_equal(hc_config_last_error(f->e, f->path, NULL), 0);
    assert_true(atomic_load(&a.calls) >= 3);
}

/* Fails on any version whose "v" is 2. */
static int fail_on_v2(const hc_change_record *rec, void *ud)
{
    te_on_change(rec, ud);
    return hc_get_int(rec->new_doc, "v", 0, NULL) == 2 ? -1 : 0;
}

static int has_revert(void *arg)
{
    te_recorder *r = arg;
    for (size_t i = 0; i < te_rec_count(r); i++)
        if (!te_rec_at(r, i).is_error &&
            te_rec_at(r, i).trigger == HC_TRIGGER_REVERT)
            return 1;
    return 0;
}

static void test_revert_policy_puts_the_previous_version_back(void **state)
{
    fixture *f = *state;
    hc_stats st;
    hc_version_info vi[4];
    f->wo.on_change = fail_on_v2;
    f->wo.on_failure = HC_ON_FAILURE_REVERT;
    write_v(f->path, 1);
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, NULL), 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
    write_v(f->path, 2);
    assert_true(te_wait(f->e, 0, &f->r, has_revert, &f->r, TE_TIMEOUT_MS));
    assert_int_equal(te_live_v(f->e, f->path), 1);
    assert_int_equal(hc_config_history(f->e, f->path, vi, 4, NULL), 3);
    assert_int_equal(vi[0].version, 3);
    assert_int_equal(vi[0].trigger, HC_TRIGGER_REVERT);
    hc_config_stats_sized(f->e, f->path, &st, sizeof st);
    assert_int_equal(st.reverts, 1);
    assert_int_equal(st.subscriber_failures, 1);
    /* The file still holds v2: nothing flips back until it changes. */
    te_idle(f->e, 0, 300);
    assert_int_equal(te_live_v(f->e, f->path), 1);
    write_v(f->path, 4);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 4));
}

/* Keep (the default) leaves the failed version live, as before. */
static void test_keep_policy_leaves_the_failed_version_live(void **state)
{
    fixture *f = *state;
    f->wo.on_change = fail_on_v2;
    write_v(f->path, 1);
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, NULL), 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
    write_v(f->path, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    te_idle(f->e, 0, 200);
    assert_int_equal(te_live_v(f->e, f->path), 2);
    assert_false(has_revert(&f->r));
}

typedef struct events {
    int kinds[16];
    int n;
    char id[600];
} events;

static void on_event(const hc_event *ev, void *ud)
{
    events *x = ud;
    if (x->n < 16)
        x->kinds[x->n++] = (int)ev->kind;
    snprintf(x->id, sizeof x->id, "%s", ev->id);
    if (ev->kind == HC_EVENT_CHANGE)
        assert_non_null(ev->change);
    if (ev->kind == HC_EVENT_REJECTION)
        assert_non_null(ev->error);
}

static int n_events(void *arg)
{
    return ((events *)arg)->n >= 3;
}

/* One subscription sees every config's changes, rejections and removal. */
static void test_engine_wide_subscription(void **state)
{
    fixture *f = *state;
    events x;
    int id;
    memset(&x, 0, sizeof x);
    id = hc_engine_subscribe(f->e, on_event, &x, NULL);
    assert_true(id > 0);
    write_v(f->path, 1);
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, NULL), 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
    te_write_rename(f->path, te_broken(HC_FORMAT_JSON));
    {
        errs_arg a = {&f->r, HC_EPARSE};
        assert_true(te_wait(f->e, 0, &f->r, has_error, &a, TE_TIMEOUT_MS));
    }
    assert_int_equal(hc_engine_unwatch(f->e, f->path, NULL), 0);
    assert_true(te_wait(f->e, 0, &f->r, n_events, &x, TE_TIMEOUT_MS));
    assert_int_equal(x.n, 3);
    assert_int_equal(x.kinds[0], HC_EVENT_CHANGE);
    assert_int_equal(x.kinds[1], HC_EVENT_REJECTION);
    assert_int_equal(x.kinds[2], HC_EVENT_REMOVAL);
    assert_string_equal(x.id, f->path);
    assert_int_equal(hc_engine_unsubscribe(f->e, id, NULL), 0);
    assert_int_equal(hc_engine_unsubscribe(f->e, id, NULL), HC_ENOTWATCHED);
}

static int all_saw_one(void *arg)
{
    events *x = arg;
    for (int i = 0; i < HC_ENGINE_SUBSCRIBERS_MAX; i++)
        if (x[i].n < 1)
            return 0;
    return 1;
}

/* The engine calls at most HC_ENGINE_SUBSCRIBERS_MAX engine-wide
 * subscribers: one more is refused with HC_ELIMIT (it used to be accepted
 * and then never called), and every accepted one is called. */
static void test_engine_wide_subscribers_are_bounded(void **state)
{
    fixture *f = *state;
    events x[HC_ENGINE_SUBSCRIBERS_MAX + 1];
    int ids[HC_ENGINE_SUBSCRIBERS_MAX];
    hc_error err;
    memset(x, 0, sizeof x);
    for (int i = 0; i < HC_ENGINE_SUBSCRIBERS_MAX; i++)
        assert_true(
            (ids[i] = hc_engine_subscribe(f->e, on_event, &x[i], NULL)) > 0);
    assert_int_equal(hc_engine_subscribe(f->e, on_event,
                                         &x[HC_ENGINE_SUBSCRIBERS_MAX], &err),
                     HC_ELIMIT);
    assert_non_null(strstr(err.text, "engine-wide subscribers"));
    write_v(f->path, 1);
    assert_int_equal(hc_engine_watch(f->e, f->path, &f->wo, NULL), 0);
    assert_true(te_wait(f->e, 0, &f->r, all_saw_one, x, TE_TIMEOUT_MS));
    assert_int_equal(x[HC_ENGINE_SUBSCRIBERS_MAX].n, 0);
    assert_int_equal(hc_engine_unsubscribe(f->e, ids[0], NULL), 0);
    ids[0] = hc_engine_subscribe(f->e, on_event, &x[0], NULL);
    assert_true(ids[0] > 0);
    for (int i = 0; i < HC_ENGINE_SUBSCRIBERS_MAX; i++)
        assert_int_equal(hc_engine_unsubscribe(f->e, ids[i], NULL), 0);
}

static void test_trigger_names(void **state)
{
    (void)state;
    assert_string_equal(hc_trigger_name(HC_TRIGGER_REVERT), "revert");
    assert_string_equal(hc_trigger_name(HC_TRIGGER_LAST_KNOWN_GOOD),
                        "last_known_good");
    assert_string_equal(hc_trigger_name(HC_TRIGGER_UPDATE), "update");
    assert_string_equal(hc_err_name(HC_ENOTSUP), "HC_ENOTSUP");
    assert_string_equal(hc_err_name(HC_EVETO), "HC_EVETO");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_require_failure_does_not_reach_on_error),
        T(test_last_error_of_unwatched_path_is_filled),
        T(test_per_call_error_names_the_call),
        T(test_old_struct_sizes_still_work),
        T(test_prepare_veto_keeps_the_live_version),
        T(test_revert_policy_puts_the_previous_version_back),
        T(test_keep_policy_leaves_the_failed_version_live),
        T(test_engine_wide_subscription),
        T(test_engine_wide_subscribers_are_bounded),
        T(test_trigger_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
