/*
 * test_engine_readers.c - issue 7, the inotify source's writer rules:
 * readers of a config cost nothing (a `cat` does not wake the engine, a
 * `tail -f` holding it open does not hold an apply back), a `touch` is
 * one hash check, and an inotify queue overflow forgets the writers whose
 * close it may have swallowed. Real files, real inotify; the engine runs
 * in dispatch mode on the test's thread, with a settle time far longer
 * than the test, so that "applied at once" needs no clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/engine_internal.h"
#include "test_engine_common.h"
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
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

static void fx_open(fixture *f)
{
    hc_engine_options eo;
    hc_watch_options wo;
    f->tmp = tu_mkdtemp();
    f->path = tu_join(f->tmp, "c.yaml");
    tu_write(f->path, "v: 1\n", (size_t)-1);
    hc_engine_options_init(&eo);
    eo.settle_ms = 5000; /* no settle or hold time passes during a test */
    f->e = hc_engine_new_sized(&eo, sizeof eo);
    assert_non_null(f->e);
    te_rec_init(&f->r);
    hc_watch_options_init(&wo);
    wo.on_change = te_on_change;
    wo.user_data = &f->r;
    wo.on_error = te_on_error;
    wo.on_error_data = &f->r;
    assert_int_equal(hc_engine_watch(f->e, f->path, &wo, NULL), 0);
    assert_int_equal(te_live_v(f->e, f->path), 1);
}

static void fx_close(fixture *f)
{
    hc_engine_free(f->e);
    te_rec_free(&f->r);
    tu_rmtree(f->tmp);
    free(f->path);
    free(f->tmp);
}

static int engine_readable(hc_engine *e)
{
    struct pollfd p = {hc_engine_fd(e), POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

/* Runs dispatch rounds until the engine has nothing left to read: what
 * the events seen so far do without waiting for a timer. */
static void drain(hc_engine *e)
{
    for (int i = 0; i < 100 && engine_readable(e); i++)
        hc_engine_dispatch(e, 0);
}

static void write_all(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void save_inplace(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    write_all(fd, s);
    close(fd);
}

/* A `cat` of the config: nothing queued for the engine at all. */
static void test_reader_does_not_wake_the_engine(void **s)
{
    fixture f;
    char buf[64];
    int fd;
    (void)s;
    fx_open(&f);
    drain(f.e);
    assert_false(engine_readable(f.e));

    fd = open(f.path, O_RDONLY);
    assert_true(fd >= 0);
    assert_true(read(fd, buf, sizeof buf) > 0);
    close(fd);
    assert_false(engine_readable(f.e));
    fx_close(&f);
}

/* `tail -f` holds the config open for reading while an editor saves in
 * place: the save's close applies it at once, not after the hold time. */
static void test_reader_holding_the_file_does_not_delay_an_apply(void **s)
{
    fixture f;
    int reader;
    (void)s;
    fx_open(&f);
    reader = open(f.path, O_RDONLY);
    assert_true(reader >= 0);
    drain(f.e);

    save_inplace(f.path, "v: 2\n");
    drain(f.e);
    assert_int_equal(te_live_v(f.e, f.path), 2);
    close(reader);
    fx_close(&f);
}

/* touch: a hash check, no new version, no parse. */
static void test_touch_is_one_hash_check(void **s)
{
    fixture f;
    hc_stats before, after;
    int fd;
    (void)s;
    fx_open(&f);
    drain(f.e);
    hc_engine_stats(f.e, &before);

    fd = open(f.path, O_WRONLY | O_CREAT, 0644); /* what touch(1) does */
    assert_true(fd >= 0);
    assert_int_equal(futimens(fd, NULL), 0);
    close(fd);
    drain(f.e);
    hc_engine_stats(f.e, &after);
    assert_int_equal(after.reloads, before.reloads);
    assert_int_equal(after.parse_failures, before.parse_failures);
    assert_true(after.unchanged <= before.unchanged + 1);
    assert_int_equal(te_rec_count_changes(&f.r), 1);
    assert_int_equal(te_live_v(f.e, f.path), 1);
    fx_close(&f);
}

/* A writer's close lost in an overflow must not leave it "still
 * writing": the next chmod (what the content change through a hard link
 * elsewhere shows as) reads the file at once. */
static void test_overflow_forgets_writers(void **s)
{
    fixture f;
    char *other, *alias;
    int w;
    (void)s;
    fx_open(&f);
    w = open(f.path, O_WRONLY | O_TRUNC);
    assert_true(w >= 0);
    write_all(w, "v: 2\n");
    drain(f.e);
    assert_int_equal(te_live_v(f.e, f.path), 1); /* still being written */

    hc__engine_drop_events(f.e, 1);
    close(w); /* its IN_CLOSE_WRITE is lost */
    drain(f.e);
    hc__engine_drop_events(f.e, 0);
    hc__engine_inject_overflow(f.e);
    drain(f.e);
    assert_int_equal(te_live_v(f.e, f.path), 2); /* the rescan read it */

    other = tu_mkdtemp();
    alias = tu_join(other, "alias.yaml");
    assert_int_equal(link(f.path, alias), 0);
    te_write_inplace(alias, "v: 3\n");
    assert_int_equal(chmod(f.path, 0640), 0);
    drain(f.e);
    assert_int_equal(te_live_v(f.e, f.path), 3);
    tu_rmtree(other);
    free(alias);
    free(other);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_does_not_wake_the_engine),
        cmocka_unit_test(test_reader_holding_the_file_does_not_delay_an_apply),
        cmocka_unit_test(test_touch_is_one_hash_check),
        cmocka_unit_test(test_overflow_forgets_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
