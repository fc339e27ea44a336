/*
 * test_engine_threads.c - the engine with its monitor thread: readers that
 * never see a torn config while the file is rewritten thousands of times,
 * bursts of 1,000 rapid writes in every format, callbacks on the monitor
 * thread calling back into the engine, hc_unwatch waiting for a running
 * callback, the service layer and the default engine. Labelled "threaded":
 * `make test` runs it again under ThreadSanitizer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_engine_common.h"
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SETTLE_MS 50

typedef struct fixture {
    char *tmp;
    char *path;
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
    eo.settle_ms = SETTLE_MS;
    f->e = hc_engine_new(&eo);
    te_rec_init(&f->r);
    f->wo.on_change = te_on_change;
    f->wo.user_data = &f->r;
    f->wo.on_error = te_on_error;
    f->wo.on_error_data = &f->r;
    *state = f;
    return f->e && hc_engine_start(f->e) == 0 ? 0 : -1;
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

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- readers ---------------------------------------------------------- */

#define PAD 16

static char *reader_content(long long i)
{
    size_t cap = 64 + PAD * 24;
    char *s = malloc(cap);
    size_t n = (size_t)snprintf(s, cap,
                                "{\"v\": %lld, \"check\": %lld, "
                                "\"pad\": [",
                                i, i * 7 + 3);
    for (int k = 0; k < PAD; k++)
        n += (size_t)snprintf(s + n, cap - n, "%s%lld", k ? "," : "", i);
    snprintf(s + n, cap - n, "]}\n");
    return s;
}

typedef struct reader {
    hc_engine *e;
    const char *path;
    atomic_int *stop;
    long long snapshots, torn, backwards, mismatched;
    pthread_t thread;
} reader;

static void *reader_main(void *arg)
{
    reader *rd = arg;
    long long last_v = 0;
    uint64_t last_version = 0;
    while (!atomic_load(rd->stop)) {
        uint64_t version;
        json_t *doc = hc_config_snapshot(rd->e, rd->path, &version);
        long long v;
        char *text;
        json_t *expect;
        if (!doc)
            continue;
        rd->snapshots++;
        v = (long long)hc_get_int(doc, "v", -1, NULL);
        /* Exactly one written version: rebuild it and compare. */
        text = reader_content(v);
        expect = json_loads(text, 0, NULL);
        if (!json_equal(doc, expect))
            rd->torn++;
        json_decref(expect);
        free(text);
        if (v < last_v || version < last_version)
            rd->backwards++;
        /* The version number and the content move together. */
        if (version == last_version && v != last_v && last_version)
            rd->mismatched++;
        last_v = v;
        last_version = version;
        hc_doc_release(doc); /* json_decref, TSan-clean */
    }
    return NULL;
}

static void test_readers_never_see_a_torn_config(void **state)
{
    fixture *f = *state;
    enum { WRITES = 3000, READERS = 2 };
    reader rd[READERS];
    atomic_int stop;
    char *data = reader_content(1);
    long long total = 0;

    te_write_rename(f->path, data);
    free(data);
    assert_int_equal(hc_watch(f->e, f->path, NULL), 0);
    atomic_init(&stop, 0);
    for (int i = 0; i < READERS; i++) {
        memset(&rd[i], 0, sizeof rd[i]);
        rd[i].e = f->e;
        rd[i].path = f->path;
        rd[i].stop = &stop;
        assert_int_equal(
            pthread_create(&rd[i].thread, NULL, reader_main, &rd[i]), 0);
    }
    for (long long i = 2; i <= WRITES; i++) {
        data = reader_content(i);
        te_write_rename(f->path, data);
        free(data);
    }
    for (int t = 0;
         t < TE_TIMEOUT_MS / 10 && te_live_v(f->e, f->path) != WRITES; t++)
        sleep_ms(10);
    atomic_store(&stop, 1);
    for (int i = 0; i < READERS; i++) {
        pthread_join(rd[i].thread, NULL);
        assert_int_equal(rd[i].torn, 0);
        assert_int_equal(rd[i].backwards, 0);
        assert_int_equal(rd[i].mismatched, 0);
        total += rd[i].snapshots;
    }
    assert_int_equal(te_live_v(f->e, f->path), WRITES);
    print_message("readers: %lld snapshots over %d rewrites, none torn\n",
                  total, WRITES);
    assert_true(total > 0);
}

/* ---- bursts ------------------------------------------------------------ */

/*
 * 1,000 writes as fast as possible; every 100th stays on disk for several
 * settle times and must be applied. The live config must end equal to the
 * last content, versions must arrive in order, each once, never an older
 * content after a newer one.
 */
static void burst(fixture *f, hc_format fmt, te_pattern p)
{
    enum { WRITES = 1000, HOLD_EVERY = 100 };
    char name[32];
    size_t n;
    long long last_v = 0;
    uint64_t last_version = 0;
    int held_seen = 0;

    snprintf(name, sizeof name, "burst.%s", te_ext(fmt));
    free(f->path);
    f->path = tu_join(f->tmp, name);
    {
        char *d = te_content(fmt, 0);
        te_write_rename(f->path, d);
        free(d);
    }
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    if (!te_wait_v(f->e, 1, &f->r, f->path, 0)) {
        hc_error err;
        hc_config_last_error(f->e, f->path, &err);
        fail_msg("%s: first version not applied: %s", te_ext(fmt), err.text);
    }
    for (long long v = 1; v <= WRITES; v++) {
        char *d = te_content(fmt, v);
        te_save(p, f->path, d);
        free(d);
        if (v % HOLD_EVERY == 0)
            sleep_ms(SETTLE_MS * 4);
    }
    assert_true(te_wait_v_any(f->e, 1, &f->r, f->path, WRITES));
    sleep_ms(SETTLE_MS * 4);

    n = te_rec_count(&f->r);
    for (size_t i = 0; i < n; i++) {
        te_entry en = te_rec_at(&f->r, i);
        long long v;
        if (en.is_error) {
            /* Only an in-place writer can be read half-written. */
            assert_int_equal(p, TE_INPLACE);
            assert_int_equal(en.code, HC_EPARSE);
            continue;
        }
        v = (long long)hc_get_int(en.doc, "v", -1, NULL);
        assert_true(en.version == last_version + 1); /* each once, in order */
        assert_true(v > last_v || en.version == 1);  /* never older */
        if (v % HOLD_EVERY == 0 && v > 0)
            held_seen++;
        last_v = v;
        last_version = en.version;
    }
    assert_int_equal(last_v, WRITES);
    assert_int_equal(held_seen, WRITES / HOLD_EVERY);
    assert_int_equal(te_live_v(f->e, f->path), WRITES);
    print_message("%s burst (%s): %llu of %d versions applied\n", te_ext(fmt),
                  te_pattern_name(p), (unsigned long long)last_version,
                  WRITES + 1);
}

static void test_burst_rename_json(void **state)
{
    burst(*state, HC_FORMAT_JSON, TE_RENAME);
}
static void test_burst_rename_yaml(void **state)
{
    burst(*state, HC_FORMAT_YAML, TE_RENAME);
}
static void test_burst_rename_ini(void **state)
{
    burst(*state, HC_FORMAT_INI, TE_RENAME);
}
static void test_burst_rename_env(void **state)
{
    burst(*state, HC_FORMAT_ENV, TE_RENAME);
}
static void test_burst_in_place_json(void **state)
{
    burst(*state, HC_FORMAT_JSON, TE_INPLACE);
}

/* ---- callbacks on the monitor thread --------------------------------------
 */

typedef struct probe {
    hc_engine *e;
    const char *path;
    pthread_t thread;
    atomic_int calls;
    atomic_int in_callback;
    int hold_ms;
    int rolled;
    long long seen_live;
} probe;

static int probe_cb(const hc_change_record *rec, void *ud)
{
    probe *p = ud;
    json_t *doc;
    atomic_store(&p->in_callback, 1);
    p->thread = pthread_self();
    doc = hc_config_get(p->e, p->path);
    p->seen_live = (long long)hc_get_int(doc, "v", -1, NULL);
    hc_doc_release(doc);
    if (rec->version == 3 && !p->rolled)
        p->rolled = hc_rollback(p->e, p->path, 1) == 0 ? 1 : -1;
    if (p->hold_ms)
        sleep_ms(p->hold_ms);
    atomic_fetch_add(&p->calls, 1);
    atomic_store(&p->in_callback, 0);
    return 0;
}

static void test_callbacks_run_on_the_monitor_and_may_roll_back(void **state)
{
    fixture *f = *state;
    probe p;
    memset(&p, 0, sizeof p);
    p.e = f->e;
    p.path = f->path;
    {
        char *d = te_content(HC_FORMAT_JSON, 1);
        te_write_rename(f->path, d);
        free(d);
    }
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    assert_true(hc_subscribe(f->e, f->path, probe_cb, &p) > 0);
    for (long long v = 2; v <= 3; v++) {
        char *d = te_content(HC_FORMAT_JSON, v);
        te_write_rename(f->path, d);
        free(d);
        /* Not for v3: its callback rolls back at once, so "v3 live" may
         * already be over when this thread looks (the wait below counts
         * the callbacks instead). */
        if (v == 2)
            assert_true(te_wait_v_any(f->e, 1, &f->r, f->path, v));
    }
    /* v3 arrives, its callback rolls back to v2 (version 4). */
    for (int t = 0; t < TE_TIMEOUT_MS / 10 && atomic_load(&p.calls) < 3; t++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&p.calls), 3);
    assert_int_equal(p.rolled, 1);
    assert_false(pthread_equal(p.thread, pthread_self()));
    assert_int_equal(te_live_v(f->e, f->path), 2);
    assert_int_equal(p.seen_live, 2);
}

static void test_unwatch_waits_for_a_running_callback(void **state)
{
    fixture *f = *state;
    probe p;
    memset(&p, 0, sizeof p);
    p.e = f->e;
    p.path = f->path;
    p.hold_ms = 300;
    {
        char *d = te_content(HC_FORMAT_JSON, 1);
        te_write_rename(f->path, d);
        free(d);
    }
    f->wo.on_change = probe_cb;
    f->wo.user_data = &p;
    assert_int_equal(hc_watch(f->e, f->path, &f->wo), 0);
    for (int t = 0; t < TE_TIMEOUT_MS && !atomic_load(&p.in_callback); t++)
        sleep_ms(1);
    assert_true(atomic_load(&p.in_callback));
    assert_int_equal(hc_unwatch(f->e, f->path), 0);
    /* Returned only once the callback finished; none runs after. */
    assert_false(atomic_load(&p.in_callback));
    assert_int_equal(atomic_load(&p.calls), 1);
    {
        char *d = te_content(HC_FORMAT_JSON, 2);
        te_write_rename(f->path, d);
        free(d);
    }
    sleep_ms(200);
    assert_int_equal(atomic_load(&p.calls), 1);
}

/* ---- service layer and default engine ---------------------------------- */

typedef struct svc_log {
    pthread_mutex_t mu;
    char names[8][32];
    long long vs[8];
    int n;
} svc_log;

static int svc_cb(const char *service, const json_t *doc, void *ud)
{
    svc_log *l = ud;
    pthread_mutex_lock(&l->mu);
    if (l->n < 8) {
        snprintf(l->names[l->n], sizeof l->names[0], "%s", service);
        l->vs[l->n] = (long long)hc_get_int(doc, "v", -1, NULL);
        l->n++;
    }
    pthread_mutex_unlock(&l->mu);
    return 0;
}

static int svc_count(svc_log *l)
{
    int n;
    pthread_mutex_lock(&l->mu);
    n = l->n;
    pthread_mutex_unlock(&l->mu);
    return n;
}

static int wait_svc(svc_log *l, int n)
{
    for (int t = 0; t < TE_TIMEOUT_MS / 5; t++) {
        if (svc_count(l) >= n)
            return 1;
        sleep_ms(5);
    }
    return 0;
}

static void test_services_get_every_version_on_the_default_engine(void **st)
{
    fixture *f = *st;
    svc_log a, b;
    json_t *doc;
    char *d = te_content(HC_FORMAT_JSON, 1);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    pthread_mutex_init(&a.mu, NULL);
    pthread_mutex_init(&b.mu, NULL);
    te_write_rename(f->path, d);
    free(d);

    assert_int_equal(hc_service_register(NULL, "api", f->path, svc_cb, &a), 0);
    assert_int_equal(hc_service_register(NULL, "api", f->path, svc_cb, &a),
                     HC_EEXIST);
    assert_true(wait_svc(&a, 1)); /* the first version, delivered */
    assert_string_equal(a.names[0], "api");
    assert_int_equal(a.vs[0], 1);
    /* A second service on the same file gets the live version too. */
    assert_int_equal(hc_service_register(NULL, "worker", f->path, svc_cb, &b),
                     0);
    assert_true(wait_svc(&b, 1));
    assert_int_equal(b.vs[0], 1);

    d = te_content(HC_FORMAT_JSON, 2);
    te_write_rename(f->path, d);
    free(d);
    assert_true(wait_svc(&a, 2));
    assert_true(wait_svc(&b, 2));
    assert_int_equal(a.vs[1], 2);
    assert_int_equal(b.vs[1], 2);
    doc = hc_service_config("worker");
    assert_int_equal(hc_get_int(doc, "v", -1, NULL), 2);
    hc_doc_release(doc);

    assert_int_equal(hc_service_unregister("api"), 0);
    assert_int_equal(hc_service_unregister("api"), HC_ENOTWATCHED);
    d = te_content(HC_FORMAT_JSON, 3);
    te_write_rename(f->path, d);
    free(d);
    assert_true(wait_svc(&b, 3));
    sleep_ms(100);
    assert_int_equal(svc_count(&a), 2);
    assert_int_equal(hc_service_unregister("worker"), 0);
    assert_null(hc_service_config("worker"));
    hc_default_engine_shutdown();
    pthread_mutex_destroy(&a.mu);
    pthread_mutex_destroy(&b.mu);
}

static void test_watch_config_is_one_line(void **state)
{
    fixture *f = *state;
    char *d = te_content(HC_FORMAT_JSON, 1);
    int id;
    te_write_rename(f->path, d);
    free(d);
    id = hc_watch_config(f->path, te_on_change, &f->r);
    assert_true(id > 0);
    assert_true(te_wait_v(hc_default_engine(), 1, &f->r, f->path, 1));
    d = te_content(HC_FORMAT_JSON, 2);
    te_write_rename(f->path, d);
    free(d);
    assert_true(te_wait_v(hc_default_engine(), 1, &f->r, f->path, 2));
    assert_int_equal(hc_unsubscribe(hc_default_engine(), id), 0);
    hc_default_engine_shutdown();
}

static void test_free_with_undelivered_notifications_is_clean(void **state)
{
    fixture *f = *state;
    hc_engine *e = hc_engine_new(NULL); /* never started, never dispatched */
    char *d = te_content(HC_FORMAT_JSON, 1);
    te_write_rename(f->path, d);
    free(d);
    assert_int_equal(hc_watch(e, f->path, &f->wo), 0);
    assert_int_equal(hc_rollback(e, f->path, 1), HC_EHISTORY);
    hc_engine_free(e); /* the leak checker has the last word */
    assert_int_equal(te_rec_count(&f->r), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_readers_never_see_a_torn_config),
        T(test_burst_rename_json),
        T(test_burst_rename_yaml),
        T(test_burst_rename_ini),
        T(test_burst_rename_env),
        T(test_burst_in_place_json),
        T(test_callbacks_run_on_the_monitor_and_may_roll_back),
        T(test_unwatch_waits_for_a_running_callback),
        T(test_services_get_every_version_on_the_default_engine),
        T(test_watch_config_is_one_line),
        T(test_free_with_undelivered_notifications_is_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
