/*
 * test_etcd.c - the etcd source against a real etcd process: started on
 * free loopback ports in a temp data dir, stopped by PID with SIGKILL.
 * SKIPPED (77) only when no etcd binary is installed.
 */
#include "engine/engine_internal.h"
#include "etcd/etcd.h"
#include "test_engine_common.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define ETCD_BIN "/usr/bin/etcd"

typedef struct etcd_proc {
    pid_t pid;
    int client_port, peer_port;
    char *dir;
    char url[256]; /* etcd://127.0.0.1:PORT/app.json */
} etcd_proc;

static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until the member answers a read. */
static void etcd_wait_ready(etcd_proc *p)
{
    hc__etcd_target t;
    hc_error err;
    hc_error_init(&err);
    int ok = 0;
    assert_int_equal(hc__etcd_target_parse(&t, p->url, &err), 0);
    for (int i = 0; i < 300 && !ok; i++) {
        char *v;
        size_t len;
        int64_t mod, hdr;
        ok = hc__etcd_get(&t, &v, &len, &mod, &hdr, &err) == 0;
        free(v);
        if (!ok)
            sleep_ms(50);
    }
    hc__etcd_target_free(&t);
    assert_true(ok);
}

static void etcd_spawn(etcd_proc *p)
{
    char client[64], peer[64], cluster[96], data[512];
    snprintf(client, sizeof client, "http://127.0.0.1:%d", p->client_port);
    snprintf(peer, sizeof peer, "http://127.0.0.1:%d", p->peer_port);
    snprintf(cluster, sizeof cluster, "n1=%s", peer);
    snprintf(data, sizeof data, "%s/data", p->dir);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(ETCD_BIN, "etcd", "--name", "n1", "--data-dir", data,
              "--listen-client-urls", client, "--advertise-client-urls", client,
              "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
              "--initial-cluster", cluster, (char *)NULL);
        _exit(127);
    }
    etcd_wait_ready(p);
}

static void etcd_kill(etcd_proc *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
}

static void etcd_start(etcd_proc *p, const char *key)
{
    memset(p, 0, sizeof *p);
    p->dir = tu_mkdtemp();
    p->client_port = free_port();
    p->peer_port = free_port();
    snprintf(p->url, sizeof p->url, "etcd://127.0.0.1:%d/%s", p->client_port,
             key);
    etcd_spawn(p);
}

static void etcd_stop(etcd_proc *p)
{
    etcd_kill(p);
    tu_rmtree(p->dir);
    free(p->dir);
}

static int64_t put(const char *url, const char *v)
{
    hc__etcd_target t;
    hc_error err;
    hc_error_init(&err);
    int64_t rev = 0;
    assert_int_equal(hc__etcd_target_parse(&t, url, &err), 0);
    assert_int_equal(hc__etcd_put(&t, v, strlen(v), -1, &rev, &err), 0);
    hc__etcd_target_free(&t);
    return rev;
}

static int64_t putv(const char *url, long long v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "{\"v\": %lld}", v);
    return put(url, buf);
}

/* The revision of the live version, once it is want (the follower
 * records it after hc__apply returns, which may be after delivery). */
static long long live_revision_is(hc_engine *e, const char *id, long long want)
{
    long long rev = hc__etcd_live_revision(e, id);
    for (int i = 0; i < TE_TIMEOUT_MS / 10 && rev != want; i++) {
        sleep_ms(10);
        rev = hc__etcd_live_revision(e, id);
    }
    return rev;
}

typedef struct fixture {
    etcd_proc etcd;
    hc_engine *e;
    te_recorder rec;
} fixture;

/* Watches the fixture's key with hc_engine_watch alone. */
static void watch_only(fixture *f, hc_schema *schema, int flags, int want_rc)
{
    hc_watch_options wo;
    hc_error err;
    te_rec_init(&f->rec);
    f->e = hc_engine_new(NULL);
    assert_non_null(f->e);
    assert_int_equal(hc_engine_start(f->e), 0);
    hc_watch_options_init(&wo);
    wo.on_change = te_on_change;
    wo.user_data = &f->rec;
    wo.on_error = te_on_error;
    wo.on_error_data = &f->rec;
    wo.schema = schema;
    wo.flags = flags;
    assert_int_equal(hc_engine_watch(f->e, f->etcd.url, &wo, &err), want_rc);
}

/* The same, then hc__etcd_follow, as callers written before the source
 * registry do (it only checks the key is followed now). */
static void open_engine(fixture *f, hc_schema *schema)
{
    hc_error err;
    hc_error_init(&err);
    watch_only(f, schema, 0, 0);
    assert_int_equal(hc__etcd_follow(f->e, f->etcd.url, &err), 0);
}

static void close_engine(fixture *f)
{
    hc_engine_free(f->e);
    te_rec_free(&f->rec);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    etcd_start(&f->etcd, "app.json");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    etcd_stop(&f->etcd);
    free(f);
    return 0;
}

static void test_initial_load(void **state)
{
    fixture *f = *state;
    int64_t rev = putv(f->etcd.url, 7);
    open_engine(f, NULL);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 7));
    assert_int_equal(te_rec_at(&f->rec, te_rec_count(&f->rec) - 1).trigger,
                     HC_TRIGGER_INITIAL);
    assert_int_equal(live_revision_is(f->e, f->etcd.url, rev), rev);
    close_engine(f);
}

/* Every applied version, in order: strictly increasing v. */
static void assert_in_order(te_recorder *r, long long last)
{
    long long prev = -1;
    for (size_t i = 0; i < te_rec_count(r); i++) {
        te_entry en = te_rec_at(r, i);
        long long v;
        if (en.is_error)
            continue;
        v = json_integer_value(json_object_get(en.doc, "v"));
        assert_true(v > prev);
        prev = v;
    }
    assert_int_equal(prev, last);
}

static void test_burst(void **state)
{
    fixture *f = *state;
    int64_t rev = 0;
    putv(f->etcd.url, 0);
    open_engine(f, NULL);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 0));
    for (int i = 1; i <= 200; i++)
        rev = putv(f->etcd.url, i);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 200));
    assert_in_order(&f->rec, 200);
    assert_int_equal(live_revision_is(f->e, f->etcd.url, rev), rev);
    close_engine(f);
}

static void test_rejected_put_keeps_live(void **state)
{
    fixture *f = *state;
    json_t *sj = json_loads("{\"type\":\"object\",\"properties\":{\"v\":"
                            "{\"type\":\"integer\",\"maximum\":100}}}",
                            0, NULL);
    hc_error err;
    hc_error_init(&err);
    hc_schema *s = hc_schema_compile(sj, &err);
    int64_t good, last;
    assert_non_null(s);
    good = putv(f->etcd.url, 1);
    open_engine(f, s);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 1));
    put(f->etcd.url, "{\"v\": "); /* does not parse */
    putv(f->etcd.url, 500);       /* breaks the schema */
    last = putv(f->etcd.url, 2);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 2));
    assert_int_equal(te_rec_count_errors(&f->rec, HC_EPARSE), 1);
    assert_int_equal(te_rec_count_errors(&f->rec, HC_EVALIDATE), 1);
    assert_in_order(&f->rec, 2); /* 500 never went live */
    assert_true(last > good);
    assert_int_equal(live_revision_is(f->e, f->etcd.url, last), last);
    close_engine(f);
    hc_schema_free(s);
    json_decref(sj);
}

static void test_resume_after_restart(void **state)
{
    fixture *f = *state;
    int64_t rev;
    putv(f->etcd.url, 1);
    open_engine(f, NULL);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 1));
    etcd_kill(&f->etcd);
    sleep_ms(300); /* let the follower see the stream fail */
    etcd_spawn(&f->etcd);
    for (int i = 2; i <= 20; i++)
        rev = putv(f->etcd.url, i);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 20));
    assert_in_order(&f->rec, 20);
    assert_int_equal(live_revision_is(f->e, f->etcd.url, rev), rev);
    close_engine(f);
}

static void compact(const char *url, int64_t rev)
{
    hc__etcd_target t;
    hc_error err;
    hc_error_init(&err);
    char cmd[256];
    assert_int_equal(hc__etcd_target_parse(&t, url, &err), 0);
    snprintf(cmd, sizeof cmd,
             "ETCDCTL_API=3 etcdctl --endpoints=http://%s compaction %lld "
             ">/dev/null",
             t.endpoints[0], (long long)rev);
    hc__etcd_target_free(&t);
    assert_int_equal(system(cmd), 0);
}

static void test_compaction_during_disconnect(void **state)
{
    fixture *f = *state;
    int64_t rev = 0;
    putv(f->etcd.url, 1);
    open_engine(f, NULL);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 1));
    etcd_kill(&f->etcd);
    /* While the follower is cut off: restart, write, compact it all. */
    etcd_spawn(&f->etcd);
    for (int i = 2; i <= 5; i++)
        rev = putv(f->etcd.url, i);
    compact(f->etcd.url, rev);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 5));
    rev = putv(f->etcd.url, 6);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 6));
    assert_in_order(&f->rec, 6);
    assert_int_equal(live_revision_is(f->e, f->etcd.url, rev), rev);
    close_engine(f);
}

/* ---- 3-node cluster: kill -9 the leader during a stream of puts -------- */

typedef struct member {
    pid_t pid;
    int cport, pport;
} member;

static void cluster_spawn(member *m, int i, const char *dir,
                          const char *initial)
{
    char client[64], peer[64], data[512], name[8];
    snprintf(client, sizeof client, "http://127.0.0.1:%d", m->cport);
    snprintf(peer, sizeof peer, "http://127.0.0.1:%d", m->pport);
    snprintf(data, sizeof data, "%s/m%d", dir, i);
    snprintf(name, sizeof name, "m%d", i);
    m->pid = fork();
    assert_true(m->pid >= 0);
    if (m->pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(ETCD_BIN, "etcd", "--name", name, "--data-dir", data,
              "--listen-client-urls", client, "--advertise-client-urls", client,
              "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
              "--initial-cluster", initial, (char *)NULL);
        _exit(127);
    }
}

/* Which member leads, from etcdctl's status table (column 5). */
static int leader_of(member *m, int n)
{
    for (int i = 0; i < n; i++) {
        char cmd[256], line[512];
        FILE *p;
        int lead = 0;
        if (!m[i].pid)
            continue;
        snprintf(cmd, sizeof cmd,
                 "ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:%d "
                 "endpoint status 2>/dev/null",
                 m[i].cport);
        p = popen(cmd, "r");
        if (!p)
            continue;
        if (fgets(line, sizeof line, p)) {
            char *f = line;
            for (int col = 0; col < 4 && f; col++)
                f = strchr(f + 1, ',');
            lead = f && strncmp(f, ", true,", 7) == 0;
        }
        pclose(p);
        if (lead)
            return i;
    }
    return -1;
}

/* A put that survives the election: tries each endpoint in turn. */
static int64_t put_any(const char *url, long long v)
{
    char buf[64];
    int64_t rev = 0;
    snprintf(buf, sizeof buf, "{\"v\": %lld}", v);
    for (int tries = 0; tries < 400; tries++) {
        hc_error err;
        hc_error_init(&err);
        if (hc_etcd_write(url, buf, strlen(buf), -1, &rev, &err) == 0)
            return rev;
        sleep_ms(50);
    }
    fail_msg("no member took the put of %lld", v);
    return 0;
}

static void test_cluster_leader_killed(void **state)
{
    char initial[256], url[256], *dir = tu_mkdtemp();
    member m[3];
    fixture f;
    int lead;
    int64_t rev = 0;
    (void)state;
    for (int i = 0; i < 3; i++) {
        m[i].cport = free_port();
        m[i].pport = free_port();
    }
    snprintf(initial, sizeof initial,
             "m0=http://127.0.0.1:%d,m1=http://127.0.0.1:%d,"
             "m2=http://127.0.0.1:%d",
             m[0].pport, m[1].pport, m[2].pport);
    snprintf(url, sizeof url,
             "etcd://127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d/app.json",
             m[0].cport, m[1].cport, m[2].cport);
    for (int i = 0; i < 3; i++)
        cluster_spawn(&m[i], i, dir, initial);
    memset(&f, 0, sizeof f);
    snprintf(f.etcd.url, sizeof f.etcd.url, "%s", url);
    put_any(url, 0);
    open_engine(&f, NULL);
    assert_true(te_wait_v_any(f.e, 1, &f.rec, url, 0));
    for (int i = 1; i <= 100; i++) {
        if (i == 30) {
            for (int k = 0; k < 200 && (lead = leader_of(m, 3)) < 0; k++)
                sleep_ms(50);
            assert_true(lead >= 0);
            kill(m[lead].pid, SIGKILL);
            waitpid(m[lead].pid, NULL, 0);
            m[lead].pid = 0;
        }
        rev = put_any(url, i);
    }
    assert_true(te_wait_v_any(f.e, 1, &f.rec, url, 100));
    assert_in_order(&f.rec, 100);
    assert_int_equal(live_revision_is(f.e, url, rev), rev);
    close_engine(&f);
    for (int i = 0; i < 3; i++)
        if (m[i].pid) {
            kill(m[i].pid, SIGKILL);
            waitpid(m[i].pid, NULL, 0);
        }
    tu_rmtree(dir);
    free(dir);
}

/* ---- the etcd source in the engine's source table (issue 7) ------------ */

static void del_key(const char *url)
{
    hc__etcd_target t;
    hc_error err;
    char cmd[512];
    hc_error_init(&err);
    assert_int_equal(hc__etcd_target_parse(&t, url, &err), 0);
    snprintf(cmd, sizeof cmd,
             "ETCDCTL_API=3 etcdctl --endpoints=http://%s del %s >/dev/null",
             t.endpoints[0], t.key);
    hc__etcd_target_free(&t);
    assert_int_equal(system(cmd), 0);
}

typedef struct errors_of {
    te_recorder *r;
    int code;
} errors_of;

static int have_error(void *p)
{
    errors_of *a = p;
    return te_rec_count_errors(a->r, a->code) > 0;
}

/* hc_engine_watch alone follows an etcd:// config: the first version is
 * live when it returns, later puts apply, and no "file is missing" is
 * reported for a name that is no file. */
static void test_watch_alone_follows_the_key(void **state)
{
    fixture *f = *state;
    hc_stats st;
    putv(f->etcd.url, 1);
    watch_only(f, NULL, HC_WATCH_REQUIRE, 0);
    assert_int_equal(te_live_v(f->e, f->etcd.url), 1);
    putv(f->etcd.url, 2);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 2));
    assert_int_equal(te_rec_count_errors(&f->rec, 0), 0);
    hc_engine_stats(f->e, &st);
    assert_int_equal(st.missing, 0);
    assert_int_equal(st.files_polled, 0);
    close_engine(f);
}

/* A key that does not exist: HC_WATCH_REQUIRE fails with HC_ENOENT. */
static void test_missing_key_fails_a_required_watch(void **state)
{
    fixture *f = *state;
    watch_only(f, NULL, HC_WATCH_REQUIRE, HC_ENOENT);
    close_engine(f);
}

/* A deleted key is reported missing; the live version stays, and the
 * next put applies. */
static void test_deleted_key_is_missing_and_live_stays(void **state)
{
    fixture *f = *state;
    errors_of a;
    hc_error err;
    putv(f->etcd.url, 1);
    watch_only(f, NULL, 0, 0);
    del_key(f->etcd.url);
    a.r = &f->rec;
    a.code = HC_ENOENT;
    assert_true(te_wait(f->e, 1, &f->rec, have_error, &a, TE_TIMEOUT_MS));
    assert_int_equal(te_live_v(f->e, f->etcd.url), 1);
    assert_int_equal(hc_config_last_error(f->e, f->etcd.url, &err), HC_ENOENT);
    putv(f->etcd.url, 2);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 2));
    close_engine(f);
}

/* A rollback writes the older content back to the key (compare-and-swap
 * on the live version's revision). */
static void test_rollback_writes_back_to_etcd(void **state)
{
    fixture *f = *state;
    hc_error err;
    char *v = NULL;
    size_t len;
    int64_t mod;
    putv(f->etcd.url, 1);
    watch_only(f, NULL, 0, 0);
    putv(f->etcd.url, 2);
    assert_true(te_wait_v_any(f->e, 1, &f->rec, f->etcd.url, 2));
    assert_int_equal(hc_config_rollback(f->e, f->etcd.url, 1, &err), 0);
    assert_int_equal(te_live_v(f->e, f->etcd.url), 1);
    assert_int_equal(hc_etcd_read(f->etcd.url, &v, &len, &mod, &err), 0);
    assert_non_null(v);
    assert_non_null(strstr(v, "\"v\": 1"));
    free(v);
    close_engine(f);
}

/* The report under KEY/.status/NODE once it says want (NULL: gone);
 * a new reference to it, or NULL. */
static json_t *report_is(const char *url, const char *node, const char *want)
{
    hc__etcd_target t;
    hc_error err;
    json_t *found = NULL;
    char key[256];
    hc_error_init(&err);
    assert_int_equal(hc__etcd_target_parse(&t, url, &err), 0);
    snprintf(key, sizeof key, "%s/.status/%s", t.key, node);
    for (int i = 0; i < TE_TIMEOUT_MS / 20; i++) {
        json_t *kvs = hc__etcd_list(&t, key, &err), *kv;
        size_t k;
        json_decref(found);
        found = NULL;
        assert_non_null(kvs);
        json_array_foreach(kvs, k, kv)
        {
            json_error_t je;
            if (strcmp(json_string_value(json_object_get(kv, "key")), key) == 0)
                found = json_loads(
                    json_string_value(json_object_get(kv, "value")), 0, &je);
        }
        json_decref(kvs);
        if (want && found) {
            char *text = json_dumps(found, JSON_COMPACT);
            int hit = text && strstr(text, want);
            free(text);
            if (hit)
                break;
        } else if (!want && !found) {
            break;
        }
        sleep_ms(20);
    }
    hc__etcd_target_free(&t);
    return found;
}

static int reject_big(const json_t *doc, hc_error *err, void *data)
{
    (void)data;
    if (json_integer_value(json_object_get(doc, "v")) < 100)
        return 0;
    snprintf(err->text, sizeof err->text, "v too big");
    return 1;
}

/* The rollout report follows what the node made of each revision, is
 * not a config change for the node itself (the watch is on the exact
 * key), and goes away with the engine (lease revoked). */
static void test_status_report(void **state)
{
    fixture *f = *state;
    hc_watch_options wo;
    hc_error err;
    json_t *r;
    char want[64];
    int64_t r1 = putv(f->etcd.url, 1), r2;
    hc_error_init(&err);
    te_rec_init(&f->rec);
    f->e = hc_engine_new(NULL);
    assert_int_equal(hc_engine_start(f->e), 0);
    assert_int_equal(hc_etcd_report_status(f->e, "bad/name", 0, &err),
                     HC_EINVAL);
    assert_int_equal(hc_etcd_report_status(f->e, "node-1", 3, &err), 0);
    assert_int_equal(hc_etcd_report_status(f->e, "node-1", 3, &err), HC_EEXIST);
    hc_watch_options_init(&wo);
    wo.on_change = te_on_change;
    wo.user_data = &f->rec;
    wo.validate = reject_big;
    assert_int_equal(hc_engine_watch(f->e, f->etcd.url, &wo, &err), 0);
    assert_int_equal(hc__etcd_follow(f->e, f->etcd.url, &err), 0);
    snprintf(want, sizeof want, "\"revision\":%lld,", (long long)r1);
    r = report_is(f->etcd.url, "node-1", want);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "outcome")),
                        "applied");
    assert_true(json_is_null(json_object_get(r, "error")));
    json_decref(r);
    r2 = putv(f->etcd.url, 500);
    snprintf(want, sizeof want, "\"attempted\":%lld,", (long long)r2);
    r = report_is(f->etcd.url, "node-1", want);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "outcome")),
                        "rejected");
    assert_int_equal(json_integer_value(json_object_get(r, "revision")), r1);
    assert_non_null(
        strstr(json_string_value(json_object_get(r, "error")), "v too big"));
    json_decref(r);
    /* the node's own reports never reached its config */
    assert_true(te_rec_count_changes(&f->rec) <= 1);
    hc_engine_free(f->e); /* revokes the lease: the report goes at once */
    r = report_is(f->etcd.url, "node-1", NULL);
    assert_null(r);
    te_rec_free(&f->rec);
}

/* hc_etcd_configure's contract. */
static void count_event(const hc_event *ev, void *ud)
{
    (void)ev;
    (void)ud;
}

/* The reporter learns of removed configs from an engine subscription:
 * where none is left (HC_ENGINE_SUBSCRIBERS_MAX), it does not start. */
static void test_status_needs_a_subscription(void **state)
{
    hc_engine *e = hc_engine_new(NULL);
    int ids[HC_ENGINE_SUBSCRIBERS_MAX];
    hc_error err;
    (void)state;
    for (int i = 0; i < HC_ENGINE_SUBSCRIBERS_MAX; i++)
        assert_true((ids[i] = hc_engine_subscribe(e, count_event, NULL, &err)) >
                    0);
    assert_int_equal(hc_etcd_report_status(e, "node-1", 3, &err), HC_ELIMIT);
    assert_int_equal(hc_engine_unsubscribe(e, ids[0], &err), 0);
    assert_int_equal(hc_etcd_report_status(e, "node-1", 3, &err), 0);
    /* the reporter holds the freed slot */
    assert_int_equal(hc_engine_subscribe(e, count_event, NULL, &err),
                     HC_ELIMIT);
    hc_engine_free(e);
}

static void test_options_contract(void **state)
{
    hc_etcd_options o;
    hc_error err;
    (void)state;
    hc_error_init(&err);
    memset(&o, 0, sizeof o);
    assert_int_equal(hc_etcd_configure(&o, &err), HC_EINVAL); /* no size */
    hc_etcd_options_init(&o);
    o.password = "x";
    assert_int_equal(hc_etcd_configure(&o, &err), HC_EINVAL);
    hc_etcd_options_init(&o);
    o.key = "k.pem";
    assert_int_equal(hc_etcd_configure(&o, &err), HC_EINVAL);
    hc_etcd_options_init(&o);
    assert_int_equal(hc_etcd_configure(&o, &err), 0);
    assert_int_equal(hc_etcd_configure(NULL, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_initial_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_put_keeps_live, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_resume_after_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_compaction_during_disconnect,
                                        setup, teardown),
        cmocka_unit_test(test_cluster_leader_killed),
        cmocka_unit_test_setup_teardown(test_watch_alone_follows_the_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_key_fails_a_required_watch,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_deleted_key_is_missing_and_live_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_writes_back_to_etcd,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_report, setup, teardown),
        cmocka_unit_test(test_options_contract),
        cmocka_unit_test(test_status_needs_a_subscription),
    };
    if (access(ETCD_BIN, X_OK) != 0) {
        printf("SKIPPED: %s is not installed (apt-get install etcd-server "
               "etcd-client)\n",
               ETCD_BIN);
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
