/*
 * test_service.c - issue 7, the convenience layer with options
 * (hc_service_register_opts, hc_watch_config_opts): the callback gets
 * the change record with its diff, and a rejected version, a missing
 * file or a failing callback reaches on_error and the log callback.
 * Real files, real inotify, the engine's own threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_engine_common.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct logs {
    pthread_mutex_t mu;
    char text[8192];
    int warn, info;
} logs;

typedef struct fixture {
    char *tmp, *path, *schema;
    hc_engine *e;
    te_recorder r;
    logs l;
    int fail; /* the service callback returns this */
} fixture;

static void on_log(int level, const char *msg, void *ud)
{
    fixture *f = ud;
    size_t n;
    pthread_mutex_lock(&f->l.mu);
    n = strlen(f->l.text);
    snprintf(f->l.text + n, sizeof f->l.text - n, "%s\n", msg);
    if (level == HC_LOG_WARN)
        f->l.warn++;
    else
        f->l.info++;
    pthread_mutex_unlock(&f->l.mu);
}

static int logged(fixture *f, const char *what)
{
    int yes;
    pthread_mutex_lock(&f->l.mu);
    yes = strstr(f->l.text, what) != NULL;
    pthread_mutex_unlock(&f->l.mu);
    return yes;
}

/* The log line of a version comes after its callback returned: wait. */
static int wait_logged(fixture *f, const char *what)
{
    for (int i = 0; i < TE_TIMEOUT_MS / 10; i++) {
        if (logged(f, what))
            return 1;
        usleep(10000);
    }
    return 0;
}

static void on_error(const hc_error_record *rec, void *ud)
{
    fixture *f = ud;
    te_on_error(rec, &f->r);
}

static int on_service(const char *name, const hc_change_record *rec, void *ud)
{
    fixture *f = ud;
    assert_string_equal(name, "app");
    te_on_change(rec, &f->r);
    return f->fail;
}

static int on_change(const hc_change_record *rec, void *ud)
{
    fixture *f = ud;
    return te_on_change(rec, &f->r);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->tmp = tu_mkdtemp();
    f->path = tu_join(f->tmp, "app.json");
    f->schema = tu_join(f->tmp, "app.schema.json");
    tu_write(f->schema,
             "{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"integer\","
             "\"maximum\":100}}}",
             (size_t)-1);
    pthread_mutex_init(&f->l.mu, NULL);
    te_rec_init(&f->r);
    f->e = hc_engine_new(NULL);
    assert_non_null(f->e);
    assert_int_equal(hc_engine_start(f->e), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hc_service_unregister("app"); /* when the test failed before */
    hc_engine_free(f->e);
    hc_default_engine_shutdown();
    te_rec_free(&f->r);
    pthread_mutex_destroy(&f->l.mu);
    tu_rmtree(f->tmp);
    free(f->path);
    free(f->schema);
    free(f->tmp);
    free(f);
    return 0;
}

static void options(fixture *f, hc_service_options *o)
{
    hc_service_options_init(o);
    o->schema_path = f->schema;
    o->on_error = on_error;
    o->log = on_log;
    o->user_data = f;
}

typedef struct want_error {
    te_recorder *r;
    int code;
} want_error;

static int has_error(void *p)
{
    want_error *w = p;
    return te_rec_count_errors(w->r, w->code) > 0;
}

static void wait_error(fixture *f, int code)
{
    want_error w = {&f->r, code};
    assert_true(te_wait(f->e, 1, &f->r, has_error, &w, TE_TIMEOUT_MS));
}

/* The callback sees the diff; a version the schema refuses reaches
 * on_error and the log, and stays out. */
static void test_register_opts_diff_and_schema_errors(void **state)
{
    fixture *f = *state;
    hc_service_options o;
    hc_error err;
    te_entry en;
    tu_write(f->path, "{\"v\": 1}", (size_t)-1);
    options(f, &o);
    assert_int_equal(
        hc_service_register_opts(f->e, "app", f->path, on_service, f, &o, &err),
        0);
    assert_true(te_wait_v(f->e, 1, &f->r, f->path, 1));
    te_write_rename(f->path, "{\"v\": 2, \"name\": \"x\"}");
    assert_true(te_wait_v(f->e, 1, &f->r, f->path, 2));
    en = te_rec_at(&f->r, te_rec_count(&f->r) - 1);
    assert_int_equal(en.nchanges, 2); /* v changed, name added */
    assert_true(wait_logged(f, "app: version 2 live"));

    te_write_rename(f->path, "{\"v\": 500}");
    wait_error(f, HC_EVALIDATE);
    assert_int_equal(te_live_v(f->e, f->path), 2);
    assert_true(wait_logged(f, "maximum"));
    assert_int_equal(hc_service_unregister("app"), 0);
    /* The service's watch ended with it. */
    assert_null(hc_config_get(f->e, f->path));
}

/* A missing file is not an error of the call: on_error hears of it, and
 * the file applies when it appears. */
static void test_register_opts_missing_file_reaches_on_error(void **state)
{
    fixture *f = *state;
    hc_service_options o;
    hc_error err;
    options(f, &o);
    assert_int_equal(
        hc_service_register_opts(f->e, "app", f->path, on_service, f, &o, &err),
        0);
    wait_error(f, HC_ENOENT);
    tu_write(f->path, "{\"v\": 3}", (size_t)-1);
    assert_true(te_wait_v(f->e, 1, &f->r, f->path, 3));
    assert_int_equal(hc_service_unregister("app"), 0);
}

/* A failing handler reaches on_error (HC_ECALLBACK). */
static void test_register_opts_failing_handler_reaches_on_error(void **state)
{
    fixture *f = *state;
    hc_service_options o;
    tu_write(f->path, "{\"v\": 1}", (size_t)-1);
    options(f, &o);
    f->fail = 7;
    assert_int_equal(
        hc_service_register_opts(f->e, "app", f->path, on_service, f, &o, NULL),
        0);
    wait_error(f, HC_ECALLBACK);
    assert_true(wait_logged(f, "the callback failed"));
    assert_int_equal(hc_service_unregister("app"), 0);
}

/* Refusals fill err: a schema that cannot be loaded, a path watched
 * already, a taken name. */
static void test_register_opts_refusals_fill_err(void **state)
{
    fixture *f = *state;
    hc_service_options o;
    hc_error err;
    char *nope = tu_join(f->tmp, "nope.schema.json");
    tu_write(f->path, "{\"v\": 1}", (size_t)-1);
    options(f, &o);
    o.schema_path = nope;
    assert_true(hc_service_register_opts(f->e, "app", f->path, on_service, f,
                                         &o, &err) < 0);
    assert_true(err.code < 0);
    assert_non_null(strstr(err.source, "nope.schema.json"));

    assert_int_equal(hc_engine_watch(f->e, f->path, NULL, NULL), 0);
    options(f, &o);
    assert_int_equal(
        hc_service_register_opts(f->e, "app", f->path, on_service, f, &o, &err),
        HC_EEXIST);
    assert_non_null(strstr(err.text, "already watched"));
    free(nope);
}

/* A program built against a header whose options ended before log: its
 * smaller struct still works, and no log call reads past it. */
static void test_register_opts_older_struct_size(void **state)
{
    fixture *f = *state;
    struct {
        hc_service_options o;
        char poison[64];
    } old;
    memset(&old, 0xff, sizeof old);
    old.o.size = offsetof(hc_service_options, log);
    old.o.schema_path = f->schema;
    old.o.format = HC_FORMAT_AUTO;
    old.o.on_error = on_error;
    old.o.user_data = f;
    tu_write(f->path, "{\"v\": 500}", (size_t)-1);
    assert_int_equal(hc_service_register_opts(f->e, "app", f->path, on_service,
                                              f, &old.o, NULL),
                     0);
    wait_error(f, HC_EVALIDATE);
    assert_int_equal(f->l.warn + f->l.info, 0);
    assert_int_equal(hc_service_unregister("app"), 0);
}

/* hc_watch_config_opts: the default engine, with a schema and on_error. */
static void test_watch_config_opts(void **state)
{
    fixture *f = *state;
    hc_service_options o;
    hc_error err;
    int id;
    tu_write(f->path, "{\"v\": 1}", (size_t)-1);
    options(f, &o);
    id = hc_watch_config_opts(f->path, on_change, f, &o, &err);
    assert_true(id > 0);
    assert_true(te_wait_v(hc_default_engine(), 1, &f->r, f->path, 1));
    te_write_rename(f->path, "{\"v\": 101}");
    {
        want_error w = {&f->r, HC_EVALIDATE};
        assert_true(te_wait(hc_default_engine(), 1, &f->r, has_error, &w,
                            TE_TIMEOUT_MS));
    }
    assert_true(wait_logged(f, "app.json"));
    assert_int_equal(hc_watch_config_opts(f->path, on_change, f, &o, &err),
                     HC_EEXIST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_register_opts_diff_and_schema_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_register_opts_missing_file_reaches_on_error, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_register_opts_failing_handler_reaches_on_error, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_register_opts_refusals_fill_err,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_opts_older_struct_size,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_config_opts, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
