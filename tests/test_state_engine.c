/*
 * test_state_engine.c - hc_engine_options.state_dir: the SQLite store as
 * the engine's history store, on real files and real SQLite databases in
 * temp folders. Engines one after another on the same state folder stand
 * for restarts of a service that embeds libhotconf.
 */
#include "hotconf.h"
#include "stores/sqlite.h"
#include "testutil.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct fixture {
    char *tmp;
    char *state;
    char *file;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->tmp = tu_mkdtemp();
    f->state = tu_join(f->tmp, "state");
    f->file = tu_join(f->tmp, "app.json");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->tmp);
    free(f->tmp);
    free(f->state);
    free(f->file);
    free(f);
    return 0;
}

static void quiet(int level, const char *msg, void *ud)
{
    (void)level;
    (void)msg;
    (void)ud;
}

/* One "run of the service": an engine on the state folder watching the
 * file (first load only). The engine is returned for the caller to look
 * at and free. rc receives hc_engine_watch's answer. */
static hc_engine *run(const fixture *f, int flags, int *rc)
{
    hc_engine_options eo;
    hc_watch_options wo;
    hc_engine *e;
    hc_error err;
    hc_engine_options_init(&eo);
    eo.state_dir = f->state;
    eo.log = quiet;
    e = hc_engine_create(&eo);
    assert_non_null(e);
    hc_watch_options_init(&wo);
    wo.flags = flags;
    *rc = hc_engine_watch(e, f->file, &wo, &err);
    return e;
}

static int64_t live_a(hc_engine *e, const char *file)
{
    json_t *doc = hc_config_get(e, file);
    int64_t a = doc ? (int64_t)hc_get_int(doc, "a", -1, NULL) : -1;
    hc_doc_release(doc);
    return a;
}

/* The stored attempts of file, newest first. */
static hc__sq_attempt *attempts(const fixture *f, size_t *n)
{
    hc_error err;
    hc__sq_attempt *a = NULL;
    char *key = hc__sq_key(f->file);
    hc__sq *s = hc__sq_open(f->state, HC__SQ_NOCREATE, NULL, quiet, NULL, &err);
    assert_non_null(s);
    assert_int_equal(hc__sq_attempts(s, key, 0, NULL, &a, n), 0);
    hc__sq_close(s);
    free(key);
    return a;
}

static void test_numbering_continues_across_engines(void **state)
{
    fixture *f = *state;
    hc_version_info vi[8];
    hc_engine *e;
    hc__sq_attempt *a;
    size_t n;
    int rc;

    tu_write(f->file, "{\"a\": 1}", (size_t)-1);
    e = run(f, 0, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(hc_config_history(e, f->file, vi, 8, NULL), 1);
    assert_int_equal(vi[0].version, 1);
    hc_engine_free(e);

    /* changed while the service was down: the next number */
    tu_write(f->file, "{\"a\": 2}", (size_t)-1);
    e = run(f, 0, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(live_a(e, f->file), 2);
    assert_int_equal(hc_config_history(e, f->file, vi, 8, NULL), 2);
    assert_int_equal(vi[0].version, 2);
    assert_int_equal(vi[1].version, 1);
    hc_engine_free(e);

    /* unchanged: no new version, the stored one is live again */
    e = run(f, 0, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(hc_config_history(e, f->file, vi, 8, NULL), 2);
    assert_int_equal(vi[0].version, 2);
    hc_engine_free(e);

    /* every start is an attempt: applied 1, 2, then 2 again */
    a = attempts(f, &n);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].outcome, "applied");
    assert_int_equal(a[0].version, 2);
    assert_int_equal(a[1].version, 2);
    assert_int_equal(a[2].version, 1);
    hc__sq_attempts_free(a, n);
}

/* After a first run stored version 1, a start on a bad or missing file
 * brings version 1 up with trigger last_known_good and keeps the error. */
static void check_last_known_good(fixture *f, int missing)
{
    hc_version_info vi[8];
    hc_error err;
    hc_engine *e;
    hc__sq_attempt *a;
    size_t n;
    int rc;

    tu_write(f->file, "{\"a\": 1}", (size_t)-1);
    e = run(f, 0, &rc);
    assert_int_equal(rc, 0);
    hc_engine_free(e);

    if (missing)
        assert_int_equal(unlink(f->file), 0);
    else
        tu_write(f->file, "{\"a\": ", (size_t)-1);
    e = run(f, HC_WATCH_REQUIRE, &rc);
    assert_int_equal(rc, 0); /* starts on its last good config */
    assert_int_equal(live_a(e, f->file), 1);
    assert_int_equal(hc_config_history(e, f->file, vi, 8, NULL), 1);
    assert_int_equal(vi[0].version, 1); /* that version, not a copy */
    hc_error_init(&err);
    hc_config_last_error(e, f->file, &err);
    assert_int_equal(err.code, missing ? HC_ENOENT : HC_EPARSE);
    hc_engine_free(e);

    a = attempts(f, &n);
    assert_int_equal(n, 3);
    assert_string_equal(a[0].outcome, "applied");
    assert_string_equal(a[0].trigger, "last_known_good");
    assert_int_equal(a[0].version, 1);
    assert_string_equal(a[1].outcome, missing ? "missing" : "rejected");
    assert_non_null(a[1].error);
    if (!missing)
        assert_non_null(strstr(a[1].error, "app.json:1:"));
    hc__sq_attempts_free(a, n);
}

static void test_last_known_good_when_invalid(void **state)
{
    check_last_known_good(*state, 0);
}

static void test_last_known_good_when_missing(void **state)
{
    check_last_known_good(*state, 1);
}

/* Nothing stored yet: a bad first file still fails REQUIRE. */
static void test_no_last_known_good_without_history(void **state)
{
    fixture *f = *state;
    hc_engine *e;
    int rc;
    tu_write(f->file, "{\"a\": ", (size_t)-1);
    e = run(f, HC_WATCH_REQUIRE, &rc);
    assert_int_equal(rc, HC_EPARSE);
    hc_engine_free(e);
}

/* Waits (bounded: 10 s) until file's newest version is v. */
static int wait_version(hc_engine *e, const char *file, uint64_t v)
{
    for (int i = 0; i < 2000; i++) {
        hc_version_info vi;
        if (hc_config_history(e, file, &vi, 1, NULL) >= 1 && vi.version == v)
            return 1;
        usleep(5000);
    }
    return 0;
}

/* The triggers a subscriber saw, in order (dispatch thread; read after
 * wait_triggers). */
typedef struct seen_triggers {
    pthread_mutex_t mu;
    int n;
    hc_trigger t[16];
} seen_triggers;

static int on_change(const hc_change_record *rec, void *ud)
{
    seen_triggers *s = ud;
    pthread_mutex_lock(&s->mu);
    if (s->n < 16)
        s->t[s->n++] = rec->trigger;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static int wait_triggers(seen_triggers *s, int n)
{
    for (int i = 0; i < 2000; i++) {
        int got;
        pthread_mutex_lock(&s->mu);
        got = s->n;
        pthread_mutex_unlock(&s->mu);
        if (got >= n)
            return 1;
        usleep(5000);
    }
    return 0;
}

/* `hotconf rollback FILE` while this engine watches FILE: the CLI leaves a
 * pending rollback in the database and rewrites the file; the engine
 * itself sees the change as trigger rollback (its subscribers, its stats,
 * the stored version and attempt: outcome rolled_back). The same content
 * written again with no request is a plain change. */
static void test_cli_rollback_claimed_by_the_engine_store(void **state)
{
    fixture *f = *state;
    hc_version_info vi[8];
    hc_engine *e;
    hc__sq *s;
    hc__sq_attempt *a;
    hc_error err;
    hc_stats st;
    seen_triggers seen;
    size_t n;
    int rc;

    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.mu, NULL);
    tu_write(f->file, "{\"a\": 1}", (size_t)-1);
    e = run(f, 0, &rc);
    assert_int_equal(rc, 0);
    assert_true(hc_config_subscribe(e, f->file, on_change, &seen, &err) > 0);
    assert_int_equal(hc_engine_start(e), 0);
    tu_write(f->file, "{\"a\": 2}", (size_t)-1);
    assert_true(wait_version(e, f->file, 2));
    assert_int_equal(hc_config_history(e, f->file, vi, 8, NULL), 2);

    s = hc__sq_open(f->state, HC__SQ_NOCREATE, NULL, quiet, NULL, &err);
    assert_non_null(s);
    assert_int_equal(hc__sq_rollback_request(s, f->file, vi[1].hash, 2), 0);
    tu_write(f->file, "{\"a\": 1}", (size_t)-1);
    assert_true(wait_version(e, f->file, 3));
    assert_int_equal(hc_config_history(e, f->file, vi, 8, NULL), 3);
    assert_int_equal(vi[0].trigger, HC_TRIGGER_ROLLBACK);
    assert_int_equal(live_a(e, f->file), 1);
    /* the engine's own record: a rollback, not a reload */
    assert_true(wait_triggers(&seen, 2));
    pthread_mutex_lock(&seen.mu);
    assert_int_equal(seen.t[0], HC_TRIGGER_MODIFY);
    assert_int_equal(seen.t[1], HC_TRIGGER_ROLLBACK);
    pthread_mutex_unlock(&seen.mu);
    assert_int_equal(hc_config_stats(e, f->file, &st), 0);
    assert_int_equal(st.rollbacks, 1);
    assert_int_equal(st.reloads, 1);
    /* no write-back: the file holds the bytes the CLI wrote */
    {
        size_t len;
        char *b = tu_read(f->file, &len);
        assert_non_null(b);
        assert_string_equal(b, "{\"a\": 1}");
        free(b);
    }

    /* claimed once: v2's content again is an ordinary change */
    tu_write(f->file, "{\"a\": 2}", (size_t)-1);
    assert_true(wait_version(e, f->file, 4));
    assert_int_equal(hc_config_history(e, f->file, vi, 8, NULL), 4);
    assert_int_not_equal(vi[0].trigger, HC_TRIGGER_ROLLBACK);
    assert_true(wait_triggers(&seen, 3));
    pthread_mutex_lock(&seen.mu);
    assert_int_equal(seen.t[2], HC_TRIGGER_MODIFY);
    pthread_mutex_unlock(&seen.mu);
    assert_int_equal(hc_config_stats(e, f->file, &st), 0);
    assert_int_equal(st.rollbacks, 1);
    assert_int_equal(st.reloads, 2);
    hc_engine_free(e);
    hc__sq_close(s);
    pthread_mutex_destroy(&seen.mu);

    a = attempts(f, &n);
    assert_true(n >= 3);
    assert_string_equal(a[0].outcome, "applied");
    assert_int_equal(a[0].version, 4);
    assert_string_equal(a[1].outcome, "rolled_back");
    assert_string_equal(a[1].trigger, "rollback");
    assert_int_equal(a[1].version, 3);
    assert_non_null(a[1].changed);
    assert_string_equal(a[1].changed, "[\"a\"]");
    hc__sq_attempts_free(a, n);
}

/* The schema a config is validated against is recorded with it (for a
 * CLI rollback's check, kept after the engine stops), and its writeOnly
 * marks mask the value an error quotes, as secret key names do. */
static void test_schema_recorded_and_errors_masked(void **state)
{
    fixture *f = *state;
    char *spath = tu_join(f->tmp, "schema.json");
    hc_engine_options eo;
    hc_watch_options wo;
    hc_schema *schema;
    hc_engine *e;
    hc__sq *s;
    hc__sq_config *cs;
    hc__sq_attempt *a;
    hc_error err;
    char *key = hc__sq_key(f->file);
    size_t n;

    tu_write(spath,
             "{\"type\": \"object\", \"properties\": {"
             "\"pin\": {\"type\": \"integer\", \"writeOnly\": true},"
             "\"db\": {\"properties\": {\"password\": {\"type\": "
             "\"integer\"}}}}}",
             (size_t)-1);
    schema = hc_schema_load(spath, &err);
    assert_non_null(schema);
    tu_write(f->file, "{\"pin\": \"4321\"}", (size_t)-1);
    hc_engine_options_init(&eo);
    eo.state_dir = f->state;
    eo.log = quiet;
    e = hc_engine_create(&eo);
    assert_non_null(e);
    /* told before the watch: the first load's error already uses it */
    assert_int_equal(hc__sq_engine_schema(e, f->file, spath), 0);
    hc_watch_options_init(&wo);
    wo.schema = schema;
    assert_int_equal(hc_engine_watch(e, f->file, &wo, &err), 0);
    tu_write(f->file, "{\"db\": {\"password\": \"hunter2\"}}", (size_t)-1);
    hc_engine_rescan(e, f->file);
    while (hc_engine_dispatch(e, 0) > 0)
        ;
    hc_engine_free(e);
    hc_schema_free(schema);

    s = hc__sq_open(f->state, HC__SQ_NOCREATE, NULL, quiet, NULL, &err);
    assert_non_null(s);
    assert_int_equal(hc__sq_configs(s, key, &cs, &n), 0);
    assert_int_equal(n, 1);
    assert_non_null(cs[0].schema);
    assert_string_equal(cs[0].schema, spath);
    assert_int_equal(cs[0].watched, 0);
    hc__sq_configs_free(cs, n);
    hc__sq_close(s);

    a = attempts(f, &n);
    assert_int_equal(n, 2); /* the first load, the rescan */
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(a[i].outcome, "rejected");
        assert_null(strstr(a[i].error, "4321"));
        assert_null(strstr(a[i].error, "hunter2"));
    }
    assert_non_null(strstr(a[1].error, "/pin: \"***\" is not of type"));
    assert_non_null(strstr(a[0].error, "/db/password: \"***\" is not of type"));
    hc__sq_attempts_free(a, n);
    free(key);
    free(spath);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_numbering_continues_across_engines,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_known_good_when_invalid,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_known_good_when_missing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_last_known_good_without_history,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_cli_rollback_claimed_by_the_engine_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_recorded_and_errors_masked,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
