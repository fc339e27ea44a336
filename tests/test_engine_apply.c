/*
 * test_engine_apply.c - the apply pipeline and what hangs off it: rejected
 * versions (every format), unchanged content, missing files, history and
 * rollback (the file rewritten), validators, subscriber failure isolation,
 * queue overflow (real and injected), polling mode, the registry and
 * stats. The engine runs in dispatch mode on the test's thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/engine_internal.h"
#include "test_engine_common.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    char *tmp;
    char *path; /* tmp/app.json unless a test changes it */
    hc_engine *e;
    te_recorder r;
    hc_watch_options wo;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    hc_engine_options eo;
    f->tmp = tu_mkdtemp();
    f->path = tu_join(f->tmp, "app.json");
    memset(&eo, 0, sizeof eo);
    eo.settle_ms = 100;
    f->e = hc_engine_new(&eo);
    te_rec_init(&f->r);
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

static void write_v(const char *path, hc_format fmt, long long v)
{
    char *data = te_content(fmt, v);
    te_write_rename(path, data);
    free(data);
}

/* Watches f->path with v1 in place and waits for its first version. */
static void start_v1(fixture *f)
{
    write_v(f->path, HC_FORMAT_JSON, 1);
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
}

typedef struct count_arg {
    te_recorder *r;
    size_t n;
} count_arg;

static int has_n(void *p)
{
    count_arg *a = p;
    return te_rec_count(a->r) >= a->n;
}

static int wait_count(fixture *f, size_t n)
{
    count_arg a = {&f->r, n};
    return te_wait(f->e, 0, &f->r, has_n, &a, TE_TIMEOUT_MS);
}

/* ---- rejected versions --------------------------------------------------- */

static void rejected_keeps_live(void **state, hc_format fmt)
{
    fixture *f = *state;
    char name[32];
    hc_error err;
    hc_stats st;
    te_entry en;

    snprintf(name, sizeof name, "app.%s", te_ext(fmt));
    free(f->path);
    f->path = tu_join(f->tmp, name);
    write_v(f->path, fmt, 1);
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    if (!te_wait_v(f->e, 0, &f->r, f->path, 1)) {
        hc_config_last_error(f->e, f->path, &err);
        fail_msg("%s: first version not applied: %s", te_ext(fmt), err.text);
    }

    te_write_rename(f->path, te_broken(fmt));
    assert_true(wait_count(f, 2));
    en = te_rec_at(&f->r, 1);
    assert_true(en.is_error);
    assert_int_equal(en.code, HC_EPARSE);
    assert_int_equal(en.line, 2); /* every broken sample breaks on line 2 */
    assert_true(en.column > 0);
    assert_int_equal(en.live_version, 1);
    assert_non_null(strstr(en.text, name)); /* "app.json:2:11: ..." */
    /* The old config stays live, and the error is the config's. */
    assert_int_equal(te_live_v(f->e, f->path), 1);
    assert_int_equal(hc_config_last_error(f->e, f->path, &err), HC_EPARSE);
    assert_int_equal(err.line, 2);

    write_v(f->path, fmt, 3);
    assert_true(te_wait_v_any(f->e, 0, &f->r, f->path, 3));
    en = te_rec_at(&f->r, 2);
    assert_false(en.is_error);
    assert_int_equal(en.version, 2); /* the rejected one took no number */
    assert_int_equal(hc_config_last_error(f->e, f->path, NULL), 0);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.parse_failures, 1);
    assert_int_equal(st.reloads, 1);
}

static void test_rejected_json_keeps_live_config(void **state)
{
    rejected_keeps_live(state, HC_FORMAT_JSON);
}
static void test_rejected_yaml_keeps_live_config(void **state)
{
    rejected_keeps_live(state, HC_FORMAT_YAML);
}
static void test_rejected_ini_keeps_live_config(void **state)
{
    rejected_keeps_live(state, HC_FORMAT_INI);
}
static void test_rejected_env_keeps_live_config(void **state)
{
    rejected_keeps_live(state, HC_FORMAT_ENV);
}

static void test_same_rejected_content_is_reported_once(void **state)
{
    fixture *f = *state;
    start_v1(f);
    te_write_rename(f->path, te_broken(HC_FORMAT_JSON));
    assert_true(wait_count(f, 2));
    te_write_inplace(f->path, te_broken(HC_FORMAT_JSON));
    te_idle(f->e, 0, 300);
    assert_int_equal(te_rec_count(&f->r), 2);
}

static void test_oversized_file_is_rejected_with_the_limit(void **state)
{
    fixture *f = *state;
    hc_parse_options po;
    char big[600];
    hc_error err;
    memset(&po, 0, sizeof po);
    po.max_size = 100;
    f->wo.parse = &po;
    start_v1(f);
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    big[sizeof big - 1] = '\0';
    te_write_rename(f->path, big);
    assert_true(wait_count(f, 2));
    assert_int_equal(hc_config_last_error(f->e, f->path, &err), HC_ELIMIT);
    assert_non_null(strstr(err.text, "max_size"));
    assert_int_equal(te_live_v(f->e, f->path), 1);
}

/* ---- unchanged content ----------------------------------------------------
 */

static void test_same_bytes_and_touch_are_not_reloads(void **state)
{
    fixture *f = *state;
    char *data = te_content(HC_FORMAT_JSON, 1);
    hc_stats st;
    start_v1(f);
    te_write_inplace(f->path, data); /* same bytes */
    te_idle(f->e, 0, 100);
    utimensat(AT_FDCWD, f->path, NULL, 0);
    te_idle(f->e, 0, 100);
    te_write_rename(f->path, data);
    free(data);
    te_idle(f->e, 0, 300);
    assert_int_equal(te_rec_count(&f->r), 1);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.reloads, 0);
    assert_true(st.unchanged >= 2);
}

static void test_new_bytes_same_document_is_not_a_version(void **state)
{
    fixture *f = *state;
    start_v1(f);
    te_write_rename(f->path, "{ \"name\" : \"hotconf\",\n  \"v\" : 1 }\n");
    te_idle(f->e, 0, 300);
    assert_int_equal(te_rec_count(&f->r), 1);
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    assert_int_equal(te_rec_at(&f->r, 1).version, 2);
}

/* ---- missing files ----------------------------------------------------- */

static void test_missing_file_is_watched_and_applied_when_created(void **state)
{
    fixture *f = *state;
    te_entry en;
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    assert_null(hc_config_get(f->e, f->path));
    assert_true(wait_count(f, 1));
    en = te_rec_at(&f->r, 0);
    assert_true(en.is_error);
    assert_int_equal(en.code, HC_ENOENT);
    assert_int_equal(en.live_version, 0);
    write_v(f->path, HC_FORMAT_JSON, 1);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
    en = te_rec_at(&f->r, 1);
    assert_int_equal(en.version, 1);
    assert_int_equal(en.trigger, HC_TRIGGER_RENAME);
}

static void test_explicit_jsonc_format_is_accepted(void **state)
{
    fixture *f = *state;
    static const char text[] = "{// a comment\n\"v\": 7,}\n";
    tu_write(f->path, text, sizeof text - 1);
    f->wo.format = HC_FORMAT_JSONC;
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    assert_int_equal(te_live_v(f->e, f->path), 7);
}

static void test_require_flag_refuses_a_missing_file(void **state)
{
    fixture *f = *state;
    f->wo.flags = HC_WATCH_REQUIRE;
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), HC_ENOENT);
    assert_int_equal(hc_unwatch(f->e, f->path), HC_ENOTWATCHED);
    te_idle(f->e, 0, 100);
    assert_int_equal(te_rec_count(&f->r), 0);
}

static void test_deleted_file_keeps_config_and_is_reported(void **state)
{
    fixture *f = *state;
    te_entry en;
    hc_stats st;
    start_v1(f);
    assert_int_equal(unlink(f->path), 0);
    assert_true(wait_count(f, 2));
    en = te_rec_at(&f->r, 1);
    assert_true(en.is_error);
    assert_int_equal(en.code, HC_ENOENT);
    assert_int_equal(en.live_version, 1);
    assert_int_equal(te_live_v(f->e, f->path), 1);
    assert_int_equal(hc_config_last_error(f->e, f->path, NULL), HC_ENOENT);
    te_idle(f->e, 0, 300); /* reported once, not on every timer */
    assert_int_equal(te_rec_count(&f->r), 2);

    te_write_inplace(f->path, "{\"v\": 2}");
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    en = te_rec_at(&f->r, 2);
    assert_int_equal(en.version, 2);
    assert_int_equal(en.trigger, HC_TRIGGER_CREATE);
    assert_int_equal(hc_config_last_error(f->e, f->path, NULL), 0);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.missing, 1);
}

static void test_file_under_missing_directories_is_applied(void **state)
{
    fixture *f = *state;
    char *a = tu_join(f->tmp, "a"), *b = tu_join(a, "b");
    free(f->path);
    f->path = tu_join(b, "app.json");
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    assert_true(wait_count(f, 1)); /* missing */
    assert_int_equal(mkdir(a, 0755), 0);
    te_idle(f->e, 0, 50);
    assert_int_equal(mkdir(b, 0755), 0);
    write_v(f->path, HC_FORMAT_JSON, 1);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
    write_v(f->path, HC_FORMAT_JSON, 2); /* and it keeps watching there */
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    free(a);
    free(b);
}

static void test_directory_swapped_by_rename_is_followed(void **state)
{
    fixture *f = *state;
    char *conf = tu_join(f->tmp, "conf"), *next = tu_join(f->tmp, "conf.new");
    char *old = tu_join(f->tmp, "conf.old"), *p;
    free(f->path);
    f->path = tu_join(conf, "app.json");
    assert_int_equal(mkdir(conf, 0755), 0);
    start_v1(f);
    for (int v = 2; v <= 4; v++) {
        /* Deploy a whole new directory: conf -> conf.old, conf.new -> conf */
        assert_int_equal(mkdir(next, 0755), 0);
        p = tu_join(next, "app.json");
        write_v(p, HC_FORMAT_JSON, v);
        free(p);
        assert_int_equal(rename(conf, old), 0);
        assert_int_equal(rename(next, conf), 0);
        tu_rmtree(old);
        assert_true(te_wait_v(f->e, 0, &f->r, f->path, v));
    }
    /* The engine watches the new directory, not the renamed one. */
    write_v(f->path, HC_FORMAT_JSON, 5);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 5));
    assert_int_equal(te_rec_count_errors(&f->r, 0), 0);
    free(conf);
    free(next);
    free(old);
}

/* ---- history and rollback --------------------------------------------- */

static void test_rollback_restores_and_rewrites_the_file(void **state)
{
    fixture *f = *state;
    hc_version_info vi[8];
    struct stat st;
    char *disk, *v2;
    hc_stats stats;
    start_v1(f);
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    write_v(f->path, HC_FORMAT_JSON, 3);
    chmod(f->path, 0640);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 3));

    assert_int_equal(hc_rollback(f->e, f->path, 1), 0);
    /* Live at once, before any dispatch, and on disk. */
    assert_int_equal(te_live_v(f->e, f->path), 2);
    disk = tu_read(f->path, NULL);
    v2 = te_content(HC_FORMAT_JSON, 2);
    assert_string_equal(disk, v2);
    free(disk);
    free(v2);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    assert_true(wait_count(f, 4));
    assert_int_equal(te_rec_at(&f->r, 3).version, 4);
    assert_int_equal(te_rec_at(&f->r, 3).trigger, HC_TRIGGER_ROLLBACK);
    /* The watcher sees its own write and does not flip back. */
    te_idle(f->e, 0, 400);
    assert_int_equal(te_rec_count(&f->r), 4);
    assert_int_equal(te_live_v(f->e, f->path), 2);

    /* A rollback is a version: rolling back one more step undoes it. */
    assert_int_equal(hc_rollback(f->e, f->path, 1), 0);
    assert_int_equal(te_live_v(f->e, f->path), 3);
    assert_true(wait_count(f, 5));
    assert_int_equal(hc_history(f->e, f->path, vi, 8), 5);
    assert_int_equal(vi[0].version, 5);
    assert_int_equal(vi[0].trigger, HC_TRIGGER_ROLLBACK);
    assert_int_equal(vi[4].version, 1);
    assert_int_equal(vi[4].trigger, HC_TRIGGER_INITIAL);
    assert_int_equal(vi[0].hash, vi[2].hash); /* v5 has v3's content */
    hc_engine_stats(f->e, &stats);
    assert_int_equal(stats.rollbacks, 2);
}

static void test_rollback_beyond_history_is_an_error(void **state)
{
    fixture *f = *state;
    hc_error err;
    /* Depth 1 keeps one version to roll back to besides the live one
     * (issue 7 item 7: depth N allows N back; it used to count the live
     * one, so this test used depth 2 for the same situation). */
    f->wo.history_depth = 1;
    start_v1(f);
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    write_v(f->path, HC_FORMAT_JSON, 3);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 3));
    assert_int_equal(hc_history(f->e, f->path, NULL, 0), 2);
    assert_int_equal(hc_rollback(f->e, f->path, 2), HC_EHISTORY);
    assert_int_equal(hc_engine_last_error(f->e, &err), HC_EHISTORY);
    assert_non_null(strstr(err.text, "1 earlier version kept"));
    assert_int_equal(hc_rollback(f->e, f->path, 0), HC_EINVAL);
    assert_int_equal(te_live_v(f->e, f->path), 3);
    assert_int_equal(hc_rollback(f->e, f->path, 1), 0);
    assert_int_equal(te_live_v(f->e, f->path), 2);
}

/* Depth N means N versions to go back to: with depth 3 and five versions,
 * a rollback exactly 3 back works and 4 back does not. */
static void test_rollback_exactly_depth_versions_back(void **state)
{
    fixture *f = *state;
    hc_error err;
    hc_version_info vi[8];
    f->wo.history_depth = 3;
    start_v1(f);
    for (int v = 2; v <= 5; v++) {
        write_v(f->path, HC_FORMAT_JSON, v);
        assert_true(te_wait_v(f->e, 0, &f->r, f->path, (uint64_t)v));
    }
    assert_int_equal(hc_history(f->e, f->path, vi, 8), 4);
    assert_int_equal(vi[0].version, 5);
    assert_int_equal(vi[3].version, 2);
    assert_int_equal(hc_rollback(f->e, f->path, 4), HC_EHISTORY);
    assert_int_equal(hc_engine_last_error(f->e, &err), HC_EHISTORY);
    assert_non_null(strstr(err.text, "3 earlier versions kept"));
    assert_non_null(strstr(err.text, "history depth 3"));
    assert_int_equal(te_live_v(f->e, f->path), 5);
    assert_int_equal(hc_rollback(f->e, f->path, 3), 0);
    assert_int_equal(te_live_v(f->e, f->path), 2);
    assert_int_equal(hc_history(f->e, f->path, vi, 8), 4);
    assert_int_equal(vi[0].version, 6);
    assert_int_equal(vi[0].trigger, HC_TRIGGER_ROLLBACK);
}

static void test_rollback_through_symlink_rewrites_the_target(void **state)
{
    fixture *f = *state;
    char *data = te_content(HC_FORMAT_JSON, 1), *target, *disk;
    struct stat st;
    free(f->path);
    f->path = tu_join(f->tmp, "k8s/app.json");
    te_setup(TE_SYMLINK_SWAP, f->path, data);
    free(data);
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
    data = te_content(HC_FORMAT_JSON, 2);
    te_save(TE_SYMLINK_SWAP, f->path, data);
    free(data);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));

    assert_int_equal(hc_rollback(f->e, f->path, 1), 0);
    assert_int_equal(lstat(f->path, &st), 0);
    assert_true(S_ISLNK(st.st_mode)); /* the chain is intact */
    target = realpath(f->path, NULL);
    disk = tu_read(target, NULL);
    data = te_content(HC_FORMAT_JSON, 1);
    assert_string_equal(disk, data);
    free(data);
    free(disk);
    free(target);
    te_idle(f->e, 0, 300);
    assert_int_equal(te_live_v(f->e, f->path), 1);
    assert_int_equal(te_rec_count(&f->r), 3);
}

static void test_history_get_returns_content_and_document(void **state)
{
    fixture *f = *state;
    char *content = NULL, *expect;
    size_t len = 0;
    json_t *doc = NULL;
    start_v1(f);
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    assert_int_equal(hc_history_get(f->e, f->path, 1, &content, &len, &doc), 0);
    expect = te_content(HC_FORMAT_JSON, 1);
    assert_string_equal(content, expect);
    assert_int_equal(len, strlen(expect));
    assert_int_equal(hc_get_int(doc, "v", -1, NULL), 1);
    free(expect);
    free(content);
    json_decref(doc);
    assert_int_equal(hc_history_get(f->e, f->path, 9, &content, NULL, NULL),
                     HC_EHISTORY);
    assert_null(content);
}

/* ---- validators and subscribers ----------------------------------------- */

static int reject_big_v(const json_t *doc, hc_error *err, void *ud)
{
    (void)ud;
    if (hc_get_int(doc, "v", 0, NULL) <= 100)
        return 0;
    snprintf(err->pointer, sizeof err->pointer, "/v");
    snprintf(err->text, sizeof err->text, "v must be <= 100");
    return 1;
}

static void test_validator_rejects_with_the_value_position(void **state)
{
    fixture *f = *state;
    te_entry en;
    hc_stats st;
    f->wo.validate = reject_big_v;
    start_v1(f);
    te_write_rename(f->path, "{\n  \"name\": \"x\",\n  \"v\": 101\n}\n");
    assert_true(wait_count(f, 2));
    en = te_rec_at(&f->r, 1);
    assert_true(en.is_error);
    assert_int_equal(en.code, HC_EVALIDATE);
    assert_int_equal(en.line, 3);
    assert_int_equal(en.column, 8);
    assert_non_null(strstr(en.text, "app.json:3:8: v must be <= 100"));
    assert_int_equal(te_live_v(f->e, f->path), 1);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.validation_failures, 1);
}

static hc_schema *compile_text(const char *text, int fill_defaults)
{
    hc_error err;
    hc_schema_options so;
    json_t *j = json_loads(text, 0, NULL);
    hc_schema *s;
    memset(&so, 0, sizeof so);
    so.fill_defaults = fill_defaults;
    assert_non_null(j);
    s = hc_schema_compile_ex(j, &so, &err);
    json_decref(j);
    assert_non_null(s);
    return s;
}

static void test_schema_rejects_version_and_keeps_live(void **state)
{
    fixture *f = *state;
    te_entry en;
    hc_stats st;
    hc_schema *s =
        compile_text("{\"type\":\"object\",\"required\":[\"v\"],\"properties\":"
                     "{\"v\":{\"type\":\"integer\",\"maximum\":100}}}",
                     0);
    f->wo.schema = s;
    start_v1(f);
    te_write_rename(f->path, "{\n  \"name\": \"x\",\n  \"v\": 101\n}\n");
    assert_true(wait_count(f, 2));
    en = te_rec_at(&f->r, 1);
    assert_true(en.is_error);
    assert_int_equal(en.code, HC_EVALIDATE);
    assert_int_equal(en.line, 3);
    assert_int_equal(en.column, 8);
    assert_non_null(strstr(en.text, "app.json:3:8: /v: "));
    assert_non_null(strstr(en.text, "maximum of 100"));
    assert_int_equal(te_live_v(f->e, f->path), 1);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.validation_failures, 1);
    assert_int_equal(st.parse_failures, 0);
    /* a valid version goes live again */
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v_any(f->e, 0, &f->r, f->path, 2));
    hc_unwatch(f->e, f->path);
    hc_schema_free(s);
}

static void test_schema_defaults_are_filled_and_reported(void **state)
{
    fixture *f = *state;
    te_entry en;
    json_t *live;
    hc_schema *s =
        compile_text("{\"properties\":{\"timeout_ms\":{\"type\":\"integer\","
                     "\"default\":1500},\"v\":{\"type\":\"integer\"}}}",
                     1);
    f->wo.schema = s;
    start_v1(f);
    en = te_rec_at(&f->r, 0);
    assert_false(en.is_error);
    assert_int_equal(json_integer_value(json_object_get(en.doc, "timeout_ms")),
                     1500);
    live = hc_config_get(f->e, f->path);
    assert_int_equal(hc_get_int(live, "timeout_ms", 0, NULL), 1500);
    hc_doc_release(live);
    /* a file that sets the value wins over the default, and the change
     * from the filled default shows in the diff */
    te_write_rename(f->path, "{\"v\": 2, \"name\": \"hotconf\", "
                             "\"timeout_ms\": 50}");
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    en = te_rec_at(&f->r, 1);
    assert_int_equal(json_integer_value(json_object_get(en.doc, "timeout_ms")),
                     50);
    assert_int_equal(en.nchanges, 2);
    hc_unwatch(f->e, f->path);
    hc_schema_free(s);
}

static void test_failing_subscriber_does_not_stop_the_others(void **state)
{
    fixture *f = *state;
    te_recorder a, b, c, errs;
    hc_stats st;
    te_rec_init(&a);
    te_rec_init(&b);
    te_rec_init(&c);
    te_rec_init(&errs);
    b.fail_rc = -1;
    f->wo.on_error_data = &errs;
    start_v1(f);
    assert_true(hc_subscribe(f->e, f->path, te_on_change, &a) > 0);
    assert_true(hc_subscribe(f->e, f->path, te_on_change, &b) > 0);
    assert_true(hc_subscribe(f->e, f->path, te_on_change, &c) > 0);
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &c, f->path, 2));
    assert_int_equal(te_rec_count(&a), 1);
    assert_int_equal(te_rec_count(&b), 1);
    assert_int_equal(te_rec_count(&c), 1);
    assert_int_equal(te_rec_count_errors(&errs, HC_ECALLBACK), 1);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.subscriber_failures, 1);
    assert_int_equal(te_live_v(f->e, f->path), 2);
    te_rec_free(&a);
    te_rec_free(&b);
    te_rec_free(&c);
    te_rec_free(&errs);
}

typedef struct reentrant {
    hc_engine *e;
    const char *path;
    int rolled;
    long long seen_live;
    int dispatch_rc;
} reentrant;

static int rollback_from_callback(const hc_change_record *rec, void *ud)
{
    reentrant *x = ud;
    json_t *doc = hc_config_get(x->e, x->path);
    x->seen_live = (long long)hc_get_int(doc, "v", -1, NULL);
    json_decref(doc);
    x->dispatch_rc = hc_engine_dispatch(x->e, 0);
    if (rec->version == 3 && !x->rolled)
        x->rolled = hc_rollback(x->e, x->path, 1) == 0 ? 1 : -1;
    return 0;
}

static void test_callback_may_read_and_roll_back(void **state)
{
    fixture *f = *state;
    reentrant x = {f->e, f->path, 0, 0, 0};
    start_v1(f);
    assert_true(hc_subscribe(f->e, f->path, rollback_from_callback, &x) > 0);
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    assert_int_equal(x.seen_live, 2);
    assert_int_equal(x.dispatch_rc, HC_ESTATE);
    write_v(f->path, HC_FORMAT_JSON, 3);
    assert_true(wait_count(f, 4)); /* v3, then the rollback to v2 as v4 */
    assert_int_equal(x.rolled, 1);
    assert_int_equal(te_rec_at(&f->r, 2).version, 3);
    assert_int_equal(te_rec_at(&f->r, 3).version, 4);
    assert_int_equal(te_rec_at(&f->r, 3).trigger, HC_TRIGGER_ROLLBACK);
    assert_int_equal(te_live_v(f->e, f->path), 2);
}

/* ---- overflow ------------------------------------------------------------ */

static void test_real_queue_overflow_rescans_every_config(void **state)
{
    fixture *f = *state;
    char *other = tu_join(f->tmp, "other.json"), *spam;
    long max = 16384;
    FILE *pf = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    hc_stats st;
    if (pf) {
        if (fscanf(pf, "%ld", &max) != 1)
            max = 16384;
        fclose(pf);
    }
    start_v1(f);
    write_v(other, HC_FORMAT_JSON, 1);
    assert_int_equal(hc_watch(f->e, other, &f->wo), 0);
    te_idle(f->e, 0, 50);
    /* Nobody dispatches now: fill the kernel queue past its limit. */
    for (long i = 0; i < max / 2 + 100; i++) {
        char name[64];
        snprintf(name, sizeof name, "s%ld", i);
        spam = tu_join(f->tmp, name);
        close(open(spam, O_WRONLY | O_CREAT, 0644)); /* CREATE + CLOSE */
        free(spam);
    }
    write_v(f->path, HC_FORMAT_JSON, 2); /* its events are lost */
    write_v(other, HC_FORMAT_JSON, 7);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    assert_true(te_wait_v(f->e, 0, &f->r, other, 7));
    hc_engine_stats(f->e, &st);
    assert_true(st.rescans >= 2);
    free(other);
}

static void test_injected_overflow_recovers_lost_changes(void **state)
{
    fixture *f = *state;
    te_entry en;
    start_v1(f);
    hc__engine_drop_events(f->e, 1);
    write_v(f->path, HC_FORMAT_JSON, 2);
    te_idle(f->e, 0, 200);
    assert_int_equal(te_live_v(f->e, f->path), 1); /* the change was lost */
    hc__engine_drop_events(f->e, 0);
    hc__engine_inject_overflow(f->e);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    en = te_rec_at(&f->r, 1);
    assert_int_equal(en.trigger, HC_TRIGGER_RESCAN);
}

static void test_rescan_applies_a_change_nobody_reported(void **state)
{
    fixture *f = *state;
    start_v1(f);
    hc__engine_drop_events(f->e, 1);
    write_v(f->path, HC_FORMAT_JSON, 2);
    te_idle(f->e, 0, 100);
    hc__engine_drop_events(f->e, 0);
    assert_int_equal(hc_engine_rescan(f->e, f->path), 0);
    assert_int_equal(te_live_v(f->e, f->path), 2); /* applied by the call */
    assert_true(wait_count(f, 2));
    assert_int_equal(hc_engine_rescan(f->e, "/nonexistent.json"),
                     HC_ENOTWATCHED);
}

/* ---- polling --------------------------------------------------------------
 */

static void test_polling_mode_sees_changes_and_missing_files(void **state)
{
    fixture *f = *state;
    hc_stats st;
    size_t n;
    f->wo.mode = HC_WATCH_POLL;
    f->wo.poll_interval_ms = 100;
    start_v1(f);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.files_polled, 1);
    te_write_inplace(f->path, "{\"v\": 2}"); /* in place */
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    assert_int_equal(te_rec_at(&f->r, 1).trigger, HC_TRIGGER_POLL);
    te_write_inplace(f->path, "{\"v\": 3}"); /* same size, same second */
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 3));
    write_v(f->path, HC_FORMAT_JSON, 4); /* rename over */
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 4));
    n = te_rec_count(&f->r);
    unlink(f->path);
    assert_true(wait_count(f, n + 1));
    assert_int_equal(te_rec_at(&f->r, n).code, HC_ENOENT);
    write_v(f->path, HC_FORMAT_JSON, 5);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 5));
}

static void test_force_poll_engine_polls_every_watch(void **state)
{
    fixture *f = *state;
    hc_engine_options eo;
    hc_stats st;
    hc_engine_free(f->e);
    memset(&eo, 0, sizeof eo);
    eo.force_poll = 1;
    eo.poll_interval_ms = 100;
    f->e = hc_engine_new(&eo);
    start_v1(f);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.files_polled, 1);
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
}

typedef struct logbuf {
    char text[2048];
} logbuf;

static void log_to(int level, const char *msg, void *ud)
{
    logbuf *l = ud;
    size_t n = strlen(l->text);
    (void)level;
    snprintf(l->text + n, sizeof l->text - n, "%s\n", msg);
}

static void test_auto_mode_polls_what_inotify_cannot_watch(void **state)
{
    fixture *f = *state;
    hc_engine_options eo;
    logbuf log;
    hc_stats st;
    memset(&log, 0, sizeof log);
    hc_engine_free(f->e);
    memset(&eo, 0, sizeof eo);
    eo.poll_interval_ms = 100;
    eo.log = log_to;
    eo.log_data = &log;
    f->e = hc_engine_new(&eo);
    hc__engine_refuse_watches(f->e, ENOSPC); /* as at the watch limit */
    start_v1(f);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.files_polled, 1);
    assert_non_null(strstr(log.text, "No space left on device"));
    assert_non_null(strstr(log.text, "polling every 100 ms"));
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    assert_int_equal(te_rec_at(&f->r, 1).trigger, HC_TRIGGER_POLL);
}

/* ---- registry ------------------------------------------------------------ */

static void test_unwatch_stops_everything_and_rewatch_starts_over(void **state)
{
    fixture *f = *state;
    start_v1(f);
    assert_int_equal(hc_unwatch(f->e, f->path), 0);
    assert_null(hc_config_get(f->e, f->path));
    write_v(f->path, HC_FORMAT_JSON, 2);
    te_idle(f->e, 0, 200);
    assert_int_equal(te_rec_count(&f->r), 1);
    assert_int_equal(hc_unwatch(f->e, f->path), HC_ENOTWATCHED);
    assert_int_equal(hc__engine_watch_count(f->e), 0);
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    assert_int_equal(te_rec_at(&f->r, 1).version, 1);
}

static void test_watch_argument_errors(void **state)
{
    fixture *f = *state;
    char *noext = tu_join(f->tmp, "config");
    hc_error err;
    start_v1(f);
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), HC_EEXIST);
    assert_int_equal(hc_engine_last_error(f->e, &err), HC_EEXIST);
    assert_int_equal(hc_watch(f->e, noext, NULL), HC_EINVAL);
    assert_int_equal(hc_subscribe(f->e, noext, te_on_change, NULL),
                     HC_ENOTWATCHED);
    assert_int_equal(hc_subscribe(f->e, f->path, NULL, NULL), HC_EINVAL);
    assert_int_equal(hc_unsubscribe(f->e, 12345), HC_ENOTWATCHED);
    assert_int_equal(hc_rollback(f->e, noext, 1), HC_ENOTWATCHED);
    assert_int_equal(hc_history(f->e, noext, NULL, 0), HC_ENOTWATCHED);
    assert_int_equal(hc_engine_start(f->e), 0);
    assert_int_equal(hc_engine_start(f->e), HC_ESTATE);
    assert_int_equal(hc_engine_dispatch(f->e, 0), HC_ESTATE);
    free(noext);
}

static void test_config_is_found_by_relative_and_absolute_path(void **state)
{
    fixture *f = *state;
    char *cwd = getcwd(NULL, 0);
    json_t *doc;
    write_v(f->path, HC_FORMAT_JSON, 1);
    assert_int_equal(chdir(f->tmp), 0);
    assert_int_equal(hc_watch(f->e, "app.json", &f->wo), 0);
    doc = hc_config_get(f->e, f->path);
    assert_non_null(doc);
    json_decref(doc);
    doc = hc_config_get(f->e, "./sub/../app.json");
    assert_non_null(doc);
    json_decref(doc);
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), HC_EEXIST);
    assert_int_equal(chdir(cwd), 0);
    free(cwd);
}

static void test_configs_in_one_directory_share_one_watch(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 50; i++) {
        char name[32], *p;
        snprintf(name, sizeof name, "c%d.json", i);
        p = tu_join(f->tmp, name);
        write_v(p, HC_FORMAT_JSON, i);
        assert_int_equal(hc_watch(f->e, p, NULL), 0);
        free(p);
    }
    assert_int_equal(hc__engine_watch_count(f->e), 1);
}

static void test_engine_fd_is_readable_when_work_is_due(void **state)
{
    fixture *f = *state;
    struct pollfd pfd;
    start_v1(f);
    pfd.fd = hc_engine_fd(f->e);
    pfd.events = POLLIN;
    assert_int_equal(poll(&pfd, 1, 0), 0); /* idle: nothing to do */
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_int_equal(poll(&pfd, 1, TE_TIMEOUT_MS), 1);
    assert_true(hc_engine_dispatch(f->e, 0) >= 0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
}

static void test_stats_json_has_totals_and_each_config(void **state)
{
    fixture *f = *state;
    json_t *j, *c;
    hc_stats st;
    start_v1(f);
    write_v(f->path, HC_FORMAT_JSON, 2);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 2));
    j = hc_engine_stats_json(f->e);
    assert_non_null(j);
    assert_int_equal(hc_get_int(j, "total.files", -1, NULL), 1);
    assert_int_equal(hc_get_int(j, "total.reloads", -1, NULL), 1);
    assert_int_equal(hc_get_int(j, "total.latency_count", -1, NULL), 1);
    assert_true(hc_get_double(j, "total.latency_max_us", -1, NULL) > 0);
    c = json_object_get(json_object_get(j, "configs"), f->path);
    assert_non_null(c);
    assert_int_equal(hc_get_int(c, "version", -1, NULL), 2);
    assert_string_equal(hc_get_string(c, "mode", "", NULL), "inotify");
    assert_int_equal(json_object_size(json_object_get(c, "latency_histogram")),
                     1);
    json_decref(j);
    assert_int_equal(hc_config_stats(f->e, f->path, &st), 0);
    assert_int_equal(st.loads, 1);
    assert_int_equal(st.reloads, 1);
    assert_true(st.latency_last_ns > 0);
    assert_int_equal(st.latency_last_ns, st.latency_max_ns);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rejected_json_keeps_live_config),
        T(test_rejected_yaml_keeps_live_config),
        T(test_rejected_ini_keeps_live_config),
        T(test_rejected_env_keeps_live_config),
        T(test_same_rejected_content_is_reported_once),
        T(test_oversized_file_is_rejected_with_the_limit),
        T(test_same_bytes_and_touch_are_not_reloads),
        T(test_new_bytes_same_document_is_not_a_version),
        T(test_missing_file_is_watched_and_applied_when_created),
        T(test_explicit_jsonc_format_is_accepted),
        T(test_require_flag_refuses_a_missing_file),
        T(test_deleted_file_keeps_config_and_is_reported),
        T(test_file_under_missing_directories_is_applied),
        T(test_directory_swapped_by_rename_is_followed),
        T(test_rollback_restores_and_rewrites_the_file),
        T(test_rollback_beyond_history_is_an_error),
        T(test_rollback_exactly_depth_versions_back),
        T(test_rollback_through_symlink_rewrites_the_target),
        T(test_history_get_returns_content_and_document),
        T(test_validator_rejects_with_the_value_position),
        T(test_schema_rejects_version_and_keeps_live),
        T(test_schema_defaults_are_filled_and_reported),
        T(test_failing_subscriber_does_not_stop_the_others),
        T(test_callback_may_read_and_roll_back),
        T(test_real_queue_overflow_rescans_every_config),
        T(test_injected_overflow_recovers_lost_changes),
        T(test_rescan_applies_a_change_nobody_reported),
        T(test_polling_mode_sees_changes_and_missing_files),
        T(test_force_poll_engine_polls_every_watch),
        T(test_auto_mode_polls_what_inotify_cannot_watch),
        T(test_unwatch_stops_everything_and_rewatch_starts_over),
        T(test_watch_argument_errors),
        T(test_config_is_found_by_relative_and_absolute_path),
        T(test_configs_in_one_directory_share_one_watch),
        T(test_engine_fd_is_readable_when_work_is_due),
        T(test_stats_json_has_totals_and_each_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
