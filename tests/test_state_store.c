/*
 * test_state_store.c - the SQLite history store on real files in temp
 * folders: numbering, retention, attempts, counters, file modes, the
 * watcher lock, a corrupt database, a read-only folder, a full tmpfs.
 */
#include "stores/sqlite.h"
#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static int nwarn;
static void count_log(int level, const char *msg, void *ud)
{
    (void)level;
    (void)msg;
    (void)ud;
    nwarn++;
}

static void put(hc__sq *s, const char *cfg, const char *content,
                const char *trigger)
{
    hc__sq_version v = {0};
    v.time_ns = 1000;
    v.hash = (uint64_t)strlen(content) * 7919u + (uint64_t)content[0];
    v.size = strlen(content);
    v.content = (char *)content;
    v.trigger = (char *)trigger;
    v.format = (char *)"json";
    assert_int_equal(hc__sq_append(s, cfg, &v), 0);
}

static hc__sq *open_w(const char *dir, int keep)
{
    hc__sq_limits lim = {keep, 0, 0};
    hc_error err;
    hc_error_init(&err);
    hc__sq *s = hc__sq_open(dir, HC__SQ_WATCHER, &lim, count_log, NULL, &err);
    assert_non_null(s);
    return s;
}

static void test_numbering_and_retention(void **state)
{
    char *dir = tu_mkdtemp();
    hc__sq *s = open_w(dir, 3);
    hc__sq_version *vs;
    size_t n;
    char buf[64];
    for (int i = 1; i <= 5; i++) {
        hc__sq_version v = {0};
        snprintf(buf, sizeof buf, "{\"n\":%d}", i);
        v.version = (uint64_t)i;
        v.hash = (uint64_t)i;
        v.size = strlen(buf);
        v.content = buf;
        v.trigger = (char *)(i == 1 ? "initial" : "modify");
        v.changed = i == 1 ? 0 : 1;
        assert_int_equal(hc__sq_append(s, "/etc/x.json", &v), 0);
    }
    assert_int_equal(hc__sq_list(s, "/etc/x.json", &vs, &n), 0);
    assert_int_equal(n, 3); /* keep 3 */
    assert_int_equal(vs[0].version, 5);
    assert_true(vs[0].live);
    assert_false(vs[1].live);
    assert_int_equal(vs[2].version, 3);
    assert_string_equal(vs[0].trigger, "modify");
    hc__sq_versions_free(vs, n);
    hc__sq_close(s);

    /* reopened (a restart): numbers continue after the pruned ones */
    s = open_w(dir, 3);
    put(s, "/etc/x.json", "{\"n\":6}", "modify");
    {
        hc__sq_version v;
        assert_int_equal(hc__sq_get(s, "/etc/x.json", 0, &v), 0);
        assert_int_equal(v.version, 6);
        assert_string_equal(v.content, "{\"n\":6}");
        hc__sq_version_clear(&v);
        assert_int_equal(hc__sq_get(s, "/etc/x.json", 1, &v), HC_EHISTORY);
        assert_int_equal(hc__sq_get(s, "/etc/x.json", 4, &v), 0);
        assert_string_equal(v.content, "{\"n\":4}");
        hc__sq_version_clear(&v);
    }
    assert_int_equal(hc__sq_errors(s), 0);
    hc__sq_close(s);
    tu_rmtree(dir);
    free(dir);
}

static void test_live_mark(void **state)
{
    char *dir = tu_mkdtemp();
    hc__sq *s = open_w(dir, 2);
    hc__sq_version *vs;
    size_t n;
    put(s, "/a.json", "{\"a\":1}", "initial");
    put(s, "/a.json", "{\"a\":2}", "modify");
    hc__sq_flush(s);
    /* revert: version 1 is live again, the live mark moves */
    assert_int_equal(hc__sq_set_live(s, "/a.json", 1, 5), 0);
    assert_int_equal(hc__sq_list(s, "/a.json", &vs, &n), 0);
    assert_int_equal(n, 2);
    assert_false(vs[0].live);
    assert_true(vs[1].live);
    hc__sq_versions_free(vs, n);
    /* a new version is live and pushes the oldest out (depth 2) */
    put(s, "/a.json", "{\"a\":3}", "modify");
    assert_int_equal(hc__sq_list(s, "/a.json", &vs, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(vs[0].version, 3);
    assert_true(vs[0].live);
    assert_int_equal(vs[1].version, 2);
    hc__sq_versions_free(vs, n);
    hc__sq_close(s);
    tu_rmtree(dir);
    free(dir);
}

static void test_attempts_and_counters(void **state)
{
    char *dir = tu_mkdtemp();
    hc__sq_limits lim = {0, 5, 0};
    hc_error err;
    hc__sq *s = hc__sq_open(dir, HC__SQ_WATCHER, &lim, count_log, NULL, &err);
    hc__sq_attempt a = {0}, *as;
    hc__sq_counters k;
    size_t n;
    assert_non_null(s);
    a.time_ns = 100;
    a.outcome = (char *)"applied";
    a.trigger = (char *)"initial";
    a.version = 1;
    assert_int_equal(hc__sq_record(s, "/c.yaml", &a), 0);
    for (int i = 0; i < 6; i++) {
        a.time_ns = 200 + i;
        a.outcome = (char *)(i % 2 ? "rejected" : "applied");
        a.trigger = (char *)"modify";
        a.error = i % 2 ? (char *)"/c.yaml:3:7: expected ':'" : NULL;
        a.latency_us = 10 * (i + 1);
        a.changed = i % 2 ? NULL : (char *)"[\"db.port\"]";
        assert_int_equal(hc__sq_record(s, "/c.yaml", &a), 0);
    }
    assert_int_equal(hc__sq_attempts(s, "/c.yaml", 0, NULL, &as, &n), 0);
    assert_int_equal(n, 5); /* keep 5 */
    assert_int_equal(as[0].time_ns, 205);
    assert_string_equal(as[0].outcome, "rejected");
    assert_string_equal(as[0].error, "/c.yaml:3:7: expected ':'");
    assert_string_equal(as[1].changed, "[\"db.port\"]");
    hc__sq_attempts_free(as, n);
    assert_int_equal(hc__sq_attempts(s, "/c.yaml", 203, "applied", &as, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(as[0].time_ns, 204);
    hc__sq_attempts_free(as, n);
    /* counters are not pruned with the attempts */
    assert_int_equal(hc__sq_counters_get(s, NULL, &k), 0);
    assert_int_equal(k.loads, 1);
    assert_int_equal(k.reloads, 3);
    assert_int_equal(k.failed_validations, 3);
    assert_int_equal(k.lat_count, 3);
    assert_int_equal(k.lat_max_us, 50);
    assert_int_equal(hc__sq_latency_pct(s, "/c.yaml", 50), 30);
    hc__sq_close(s);
    tu_rmtree(dir);
    free(dir);
}

static void test_modes_and_lock(void **state)
{
    char *dir = tu_mkdtemp();
    char *sub = tu_join(dir, "deep/state");
    char *db = tu_join(sub, HC__SQ_DB_NAME);
    char *wal = tu_join(sub, HC__SQ_DB_NAME "-wal");
    hc__sq *s = open_w(sub, 0), *s2;
    struct stat st;
    hc_error err;
    put(s, "/m.json", "{}", "initial");
    hc__sq_flush(s);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(hc__sq_watcher_pid(sub), getpid());

    /* the second watcher on the same folder refuses, clearly */
    hc_error_init(&err);
    s2 = hc__sq_open(sub, HC__SQ_WATCHER, NULL, count_log, NULL, &err);
    if (s2) {
        /* flock is per open file: within one process it may still conflict
         * or not; a child process is the real second watcher */
        hc__sq_close(s2);
    }
    {
        pid_t pid = fork();
        if (pid == 0) {
            hc_error e2;
            hc_error_init(&e2);
            hc__sq *c = hc__sq_open(sub, HC__SQ_WATCHER, NULL, NULL, NULL, &e2);
            _exit(c == NULL && e2.code == HC_ESTATE &&
                          strstr(e2.text, "another watcher")
                      ? 0
                      : 1);
        }
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* a reader works alongside */
    s2 = hc__sq_open(sub, HC__SQ_NOCREATE, NULL, NULL, NULL, &err);
    assert_non_null(s2);
    {
        hc__sq_config *cs;
        size_t n;
        assert_int_equal(hc__sq_watched(s, "/m.json", "json", "/s.json", 1), 0);
        hc__sq_flush(s);
        assert_int_equal(hc__sq_configs(s2, NULL, &cs, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(cs[0].config, "/m.json");
        assert_int_equal(cs[0].watched, 1);
        assert_string_equal(cs[0].schema, "/s.json");
        assert_int_equal(cs[0].live_version, 1);
        hc__sq_configs_free(cs, n);
    }
    hc__sq_close(s2);
    hc__sq_close(s);
    assert_int_equal(hc__sq_watcher_pid(sub), 0);
    /* a reader on a folder with no database */
    hc_error_init(&err);
    assert_null(hc__sq_open(dir, HC__SQ_NOCREATE, NULL, NULL, NULL, &err));
    assert_int_equal(err.code, HC_ENOENT);
    tu_rmtree(dir);
    free(dir);
    free(sub);
    free(db);
    free(wal);
}

static void test_corrupt_moved_aside(void **state)
{
    char *dir = tu_mkdtemp();
    char *db = tu_join(dir, HC__SQ_DB_NAME);
    hc__sq *s;
    hc__sq_version *vs;
    size_t n;
    int aside = 0;
    char cmd[512];
    FILE *p;
    char line[256];

    /* a real database, then its header and first pages overwritten */
    s = open_w(dir, 0);
    put(s, "/k.json", "{\"k\":1}", "initial");
    hc__sq_close(s);
    {
        char junk[8192];
        memset(junk, 'Z', sizeof junk);
        tu_write(db, junk, sizeof junk);
    }
    nwarn = 0;
    s = open_w(dir, 0);
    assert_true(nwarn >= 1);
    assert_int_equal(hc__sq_list(s, "/k.json", &vs, &n), 0);
    assert_int_equal(n, 0); /* a fresh one */
    hc__sq_versions_free(vs, n);
    put(s, "/k.json", "{\"k\":2}", "initial");
    assert_int_equal(hc__sq_list(s, "/k.json", &vs, &n), 0);
    assert_int_equal(n, 1);
    hc__sq_versions_free(vs, n);
    hc__sq_close(s);
    snprintf(cmd, sizeof cmd, "ls '%s'", dir);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof line, p))
        if (strstr(line, "state.db.corrupt-"))
            aside++;
    pclose(p);
    assert_true(aside >= 1);
    tu_rmtree(dir);
    free(dir);
    free(db);
}

static void test_readonly_folder(void **state)
{
    char *dir = tu_mkdtemp();
    char *sub = tu_join(dir, "ro");
    int mounted = 0;
    hc__sq *s;
    hc_error err;
    if (geteuid() == 0) {
        /* root writes through modes: a read-only mount instead */
        if (mount("tmpfs", dir, "tmpfs", 0, "size=1m,mode=0700") != 0 ||
            mkdir(sub, 0700) != 0 ||
            mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0) {
            fprintf(stderr, "SKIPPED: cannot mount a read-only tmpfs (%s)\n",
                    strerror(errno));
            umount(dir);
            tu_rmtree(dir);
            free(dir);
            free(sub);
            skip();
        }
        mounted = 1;
    } else {
        assert_int_equal(mkdir(sub, 0500), 0);
    }
    nwarn = 0;
    hc_error_init(&err);
    s = hc__sq_open(sub, HC__SQ_WATCHER, NULL, count_log, NULL, &err);
    assert_non_null(s); /* the watcher carries on */
    assert_true(nwarn >= 1);
    put(s, "/r.json", "{}", "initial");
    assert_true(hc__sq_flush(s) >= 1); /* counted */
    hc__sq_close(s);
    if (mounted)
        assert_int_equal(umount(dir), 0);
    else
        chmod(sub, 0700);
    tu_rmtree(dir);
    free(dir);
    free(sub);
}

static void test_full_disk(void **state)
{
    char *dir = tu_mkdtemp();
    char *big;
    hc__sq *s;
    uint64_t before;
    size_t bigsz = 256 * 1024;
    if (geteuid() != 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=512k,mode=0700") != 0) {
        fprintf(stderr, "SKIPPED: a small tmpfs needs root (%s)\n",
                strerror(errno));
        tu_rmtree(dir);
        free(dir);
        skip();
    }
    s = open_w(dir, 1000);
    big = malloc(bigsz + 1);
    assert_non_null(big);
    memset(big, 'x', bigsz);
    big[bigsz] = '\0';
    nwarn = 0;
    for (int i = 0; i < 8; i++) {
        big[0] = (char)('a' + i);
        put(s, "/full.json", big, "modify");
    }
    before = hc__sq_flush(s);
    assert_true(before >= 1); /* counted */
    assert_true(nwarn >= 1);  /* reported */
    /* small writes may still fit or not; the store never aborts */
    put(s, "/full.json", "{}", "modify");
    hc__sq_flush(s);
    hc__sq_close(s);
    free(big);
    assert_int_equal(umount(dir), 0);
    tu_rmtree(dir);
    free(dir);
}

static void test_pending_rollback(void **state)
{
    char *dir = tu_mkdtemp();
    hc__sq *w = open_w(dir, 0), *r;
    hc_error err;
    put(w, "/p.json", "{\"p\":1}", "initial");
    hc__sq_flush(w);
    r = hc__sq_open(dir, HC__SQ_NOCREATE, NULL, NULL, NULL, &err);
    assert_non_null(r);
    assert_int_equal(hc__sq_rollback_request(r, "/p.json", 42, 3), 0);
    assert_int_equal(hc__sq_rollback_claim(w, "/p.json", 41), 0);
    assert_int_equal(hc__sq_rollback_claim(w, "/p.json", 42), 1);
    assert_int_equal(hc__sq_rollback_claim(w, "/p.json", 42), 0);
    hc__sq_close(r);
    hc__sq_close(w);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbering_and_retention),
        cmocka_unit_test(test_live_mark),
        cmocka_unit_test(test_attempts_and_counters),
        cmocka_unit_test(test_modes_and_lock),
        cmocka_unit_test(test_corrupt_moved_aside),
        cmocka_unit_test(test_readonly_folder),
        cmocka_unit_test(test_full_disk),
        cmocka_unit_test(test_pending_rollback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
