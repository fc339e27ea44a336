/*
 * test_engine_midwrite.c - issue 8 defect 2 and its neighbours: a config
 * caught mid-write (empty, or a writer still holding it open) never goes
 * live, a chmod is noticed, and a FIFO renamed over a config does not
 * freeze the watcher. Real files, real inotify; the engine runs in
 * dispatch mode on the test's thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_engine_common.h"
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fixture {
    char *tmp, *path;
    hc_engine *e;
    te_recorder r;
} fixture;

static void fx_open(fixture *f, const char *name, const char *data,
                    int allow_empty, size_t opts_size)
{
    hc_engine_options eo;
    hc_watch_options wo;
    f->tmp = tu_mkdtemp();
    f->path = tu_join(f->tmp, name);
    tu_write(f->path, data, (size_t)-1);
    memset(&eo, 0, sizeof eo);
    eo.settle_ms = 50;
    f->e = hc_engine_new(&eo);
    assert_non_null(f->e);
    te_rec_init(&f->r);
    hc_watch_options_init(&wo);
    wo.on_change = te_on_change;
    wo.user_data = &f->r;
    wo.on_error = te_on_error;
    wo.on_error_data = &f->r;
    wo.allow_empty = allow_empty;
    assert_int_equal(hc_engine_watch_sized(f->e, f->path, &wo, opts_size, NULL),
                     0);
    assert_true(te_wait_v(f->e, 0, &f->r, f->path, 1));
}

static void fx_close(fixture *f)
{
    hc_engine_free(f->e);
    te_rec_free(&f->r);
    tu_rmtree(f->tmp);
    free(f->path);
    free(f->tmp);
}

/* An in-place writer's truncate: open(O_TRUNC) and close, nothing written. */
static void truncate_inplace(const char *path)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    close(fd);
}

typedef struct errors_arg {
    te_recorder *r;
    size_t want;
} errors_arg;

static int have_errors(void *p)
{
    errors_arg *a = p;
    return te_rec_count_errors(a->r, 0) >= a->want;
}

static int have_changes(void *p)
{
    errors_arg *a = p;
    return te_rec_count_changes(a->r) >= a->want;
}

static void empty_is_refused(const char *name, const char *v1,
                             const char *empty)
{
    fixture f;
    errors_arg a;
    hc_error err;
    hc_stats st;
    te_entry en;
    fx_open(&f, name, v1, 0, sizeof(hc_watch_options));

    if (empty)
        te_write_inplace(f.path, empty);
    else
        truncate_inplace(f.path);
    a.r = &f.r;
    a.want = 1;
    assert_true(te_wait(f.e, 0, &f.r, have_errors, &a, TE_TIMEOUT_MS));
    en = te_rec_at(&f.r, te_rec_count(&f.r) - 1);
    assert_true(en.is_error);
    assert_non_null(strstr(en.text, "file is empty"));
    assert_int_equal(en.live_version, 1);
    assert_int_equal(te_live_v(f.e, f.path), 1);
    assert_int_equal(hc_config_last_error(f.e, f.path, &err), HC_EPARSE);
    assert_string_equal(err.text, "file is empty");
    hc_engine_stats(f.e, &st);
    assert_int_equal(st.parse_failures, 1);
    assert_int_equal(te_rec_count_changes(&f.r), 1);

    /* The writer's real content then applies as usual. */
    te_write_inplace(f.path, strstr(name, ".ini")   ? "v = 2\n"
                             : strstr(name, ".env") ? "v=2\n"
                                                    : "v: 2\n");
    assert_true(te_wait_v(f.e, 0, &f.r, f.path, 2));
    fx_close(&f);
}

static void test_truncated_yaml_is_refused(void **s)
{
    (void)s;
    empty_is_refused("c.yaml", "v: 1\n", NULL);
}

static void test_comments_only_yaml_is_refused(void **s)
{
    (void)s;
    empty_is_refused("c.yaml", "v: 1\n", "\n  # nothing here\n\n#\n");
}

static void test_comments_only_env_is_refused(void **s)
{
    (void)s;
    empty_is_refused("c.env", "v=1\n", "# v=2\n\n");
}

static void test_comments_only_ini_is_refused(void **s)
{
    (void)s;
    empty_is_refused("c.ini", "v = 1\n", "; v = 2\n# v = 3\n  \n");
}

static void allow_empty_run(size_t opts_size, int expect_applied)
{
    fixture f;
    errors_arg a;
    fx_open(&f, "c.yaml", "v: 1\n", 1, opts_size);
    truncate_inplace(f.path);
    a.r = &f.r;
    a.want = 2;
    if (expect_applied) {
        json_t *doc;
        te_entry en;
        assert_true(te_wait(f.e, 0, &f.r, have_changes, &a, TE_TIMEOUT_MS));
        en = te_rec_at(&f.r, 1);
        assert_false(en.is_error);
        assert_int_equal(json_object_size(en.doc), 0);
        doc = hc_config_get(f.e, f.path);
        assert_non_null(doc);
        assert_true(json_is_object(doc) && json_object_size(doc) == 0);
        hc_doc_release(doc);
    } else {
        /* A caller built before allow_empty existed reads it as 0. */
        a.want = 1;
        assert_true(te_wait(f.e, 0, &f.r, have_errors, &a, TE_TIMEOUT_MS));
        assert_int_equal(te_live_v(f.e, f.path), 1);
    }
    fx_close(&f);
}

static void test_allow_empty_applies_empty_document(void **s)
{
    (void)s;
    allow_empty_run(sizeof(hc_watch_options), 1);
}

static void test_allow_empty_unknown_to_older_callers(void **s)
{
    (void)s;
    allow_empty_run(offsetof(hc_watch_options, allow_empty), 0);
}

static int saw_name(te_recorder *r, const char *name)
{
    int seen = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n; i++)
        if (!r->v[i].is_error && r->v[i].doc &&
            json_is_string(json_object_get(r->v[i].doc, "name")) &&
            strcmp(json_string_value(json_object_get(r->v[i].doc, "name")),
                   name) == 0)
            seen = 1;
    pthread_mutex_unlock(&r->mu);
    return seen;
}

static void write_all(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* A writer that truncates, writes half, and takes longer than the settle
 * time to finish: nothing applies before its close, then the whole. */
static void test_file_held_open_by_writer_waits_for_close(void **s)
{
    fixture f;
    hc_stats st;
    int fd;
    (void)s;
    fx_open(&f, "c.yaml", "v: 1\nname: first\n", 0, sizeof(hc_watch_options));

    fd = open(f.path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    write_all(fd, "v: 2\nname: hal");
    te_idle(f.e, 0, 200); /* four settle times, the fd still open */
    assert_int_equal(te_live_v(f.e, f.path), 1);
    assert_int_equal(te_rec_count(&f.r), 1);

    write_all(fd, "f-done\n");
    close(fd);
    assert_true(te_wait_v(f.e, 0, &f.r, f.path, 2));
    assert_true(saw_name(&f.r, "half-done"));
    assert_false(saw_name(&f.r, "hal"));
    assert_int_equal(te_rec_count(&f.r), 2);
    assert_int_equal(te_rec_count_errors(&f.r, 0), 0);
    hc_engine_stats(f.e, &st);
    assert_int_equal(st.parse_failures + st.read_failures, 0);
    fx_close(&f);
}

/* The same writer again right after a save, before the engine ran: the
 * first close's check must not read the second write's half. */
static void test_reopened_right_after_close_waits_for_close(void **s)
{
    fixture f;
    int fd;
    (void)s;
    fx_open(&f, "c.yaml", "v: 1\nname: first\n", 0, sizeof(hc_watch_options));

    fd = open(f.path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    write_all(fd, "v: 2\nname: second\n");
    close(fd);
    fd = open(f.path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    write_all(fd, "v: 3\nname: hal");
    te_idle(f.e, 0, 200);
    assert_false(saw_name(&f.r, "hal"));
    assert_int_equal(te_live_v(f.e, f.path), 1);

    write_all(fd, "f-done\n");
    close(fd);
    assert_true(te_wait_v(f.e, 0, &f.r, f.path, 3));
    assert_true(saw_name(&f.r, "half-done"));
    assert_false(saw_name(&f.r, "hal"));
    assert_int_equal(te_rec_count_errors(&f.r, 0), 0);
    fx_close(&f);
}

/* A content change whose only event in the config's directory is a
 * chmod (written through a hard link in another directory, which that
 * directory's watch does not see) applies: what IN_ATTRIB is watched for,
 * an unreadable file made readable, is the same "look again". */
static void test_chmod_rereads_the_file(void **s)
{
    fixture f;
    char *other, *alias;
    (void)s;
    fx_open(&f, "c.yaml", "v: 1\n", 0, sizeof(hc_watch_options));
    other = tu_mkdtemp();
    alias = tu_join(other, "alias.yaml");
    assert_int_equal(link(f.path, alias), 0);
    te_write_inplace(alias, "v: 2\n");
    te_idle(f.e, 0, 100);
    assert_int_equal(te_live_v(f.e, f.path), 1); /* nothing seen yet */

    assert_int_equal(chmod(f.path, 0640), 0);
    assert_true(te_wait_v(f.e, 0, &f.r, f.path, 2));
    tu_rmtree(other);
    free(alias);
    free(other);
    fx_close(&f);
}

/* A FIFO renamed over a watched config: refused without blocking, the
 * live version stays, and the watcher goes on: another config reloads,
 * and a regular file renamed back over the FIFO applies. */
static void test_fifo_renamed_over_config_does_not_freeze(void **s)
{
    fixture f;
    hc_watch_options wo;
    errors_arg a;
    char *b, *fifo;
    te_entry en;
    (void)s;
    fx_open(&f, "a.yaml", "v: 1\n", 0, sizeof(hc_watch_options));
    b = tu_join(f.tmp, "b.yaml");
    tu_write(b, "v: 1\n", (size_t)-1);
    hc_watch_options_init(&wo);
    wo.on_change = te_on_change;
    wo.user_data = &f.r;
    wo.on_error = te_on_error;
    wo.on_error_data = &f.r;
    assert_int_equal(hc_watch(f.e, b, &wo), 0);
    assert_int_equal(te_live_v(f.e, b), 1);

    fifo = tu_join(f.tmp, "fifo");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(rename(fifo, f.path), 0);
    a.r = &f.r;
    a.want = 1;
    assert_true(te_wait(f.e, 0, &f.r, have_errors, &a, TE_TIMEOUT_MS));
    en = te_rec_at(&f.r, te_rec_count(&f.r) - 1);
    assert_true(en.is_error);
    assert_string_equal(en.path, f.path);
    assert_int_equal(en.live_version, 1);
    assert_int_equal(te_live_v(f.e, f.path), 1);

    te_write_inplace(b, "v: 2\n");
    assert_true(te_wait_v(f.e, 0, &f.r, b, 2));
    te_write_rename(f.path, "v: 3\n");
    assert_true(te_wait_v(f.e, 0, &f.r, f.path, 3));
    free(fifo);
    free(b);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_yaml_is_refused),
        cmocka_unit_test(test_comments_only_yaml_is_refused),
        cmocka_unit_test(test_comments_only_env_is_refused),
        cmocka_unit_test(test_comments_only_ini_is_refused),
        cmocka_unit_test(test_allow_empty_applies_empty_document),
        cmocka_unit_test(test_allow_empty_unknown_to_older_callers),
        cmocka_unit_test(test_file_held_open_by_writer_waits_for_close),
        cmocka_unit_test(test_reopened_right_after_close_waits_for_close),
        cmocka_unit_test(test_chmod_rereads_the_file),
        cmocka_unit_test(test_fifo_renamed_over_config_does_not_freeze),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
