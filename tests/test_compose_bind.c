/*
 * test_compose_bind.c - binding configs into C structs (src/compose/
 * bind.c): units, types, limits and their errors; a watched file whose
 * out-of-range value is rejected at its line:col while the bound struct
 * stays; and (test_compose_bind_threads, label threaded) readers of a
 * bound struct while versions change, for TSan.
 */
#include "hotconf.h"
#include "testutil.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

typedef struct cfg {
    int64_t port;
    int64_t timeout_ns;
    uint64_t cache;
    const char *host;
    int level;
    int tls;
    double ratio;
    int64_t a, b; /* always equal in the threaded test's versions */
} cfg;

static const char *const levels[] = {"debug", "info", "warn", NULL};

static const hc_field fields[] = {
    {"service.port", HC_FIELD_INT, offsetof(cfg, port), "8080", "1", "65535",
     NULL, 0},
    {"service.timeout", HC_FIELD_DURATION, offsetof(cfg, timeout_ns), "30s",
     "1ms", "1h", NULL, 0},
    {"cache.size", HC_FIELD_SIZE, offsetof(cfg, cache), "64MiB", NULL, NULL,
     NULL, 0},
    {"service.host", HC_FIELD_STRING, offsetof(cfg, host), "localhost", "1",
     "64", NULL, 0},
    {"log.level", HC_FIELD_ENUM, offsetof(cfg, level), "info", NULL, NULL,
     levels, 0},
    {"service.tls", HC_FIELD_BOOL, offsetof(cfg, tls), "false", NULL, NULL,
     NULL, 0},
    {"ratio", HC_FIELD_DOUBLE, offsetof(cfg, ratio), "0.5", "0", "1", NULL, 0},
    {"a", HC_FIELD_INT, offsetof(cfg, a), NULL, NULL, NULL, NULL, 0},
    {"b", HC_FIELD_INT, offsetof(cfg, b), NULL, NULL, NULL, NULL, 0},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* Strings decoded are borrowed from the document: it is kept until the
 * next call. */
static int decode_text(const hc_binding *b, const char *json, cfg *out,
                       hc_error *err)
{
    static json_t *doc;
    json_decref(doc);
    doc = json ? json_loads(json, 0, NULL) : NULL;
    if (!json)
        return 0;
    assert_non_null(doc);
    return hc_binding_decode(b, doc, out, err);
}

static void defaults_units_and_types(void **state)
{
    hc_error err;
    hc_binding *b = hc_binding_new(fields, NFIELDS, sizeof(cfg), &err);
    cfg c;
    (void)state;
    assert_non_null(b);
    assert_int_equal(decode_text(b, "{}", &c, &err), 0);
    assert_int_equal(c.port, 8080);
    assert_int_equal(c.timeout_ns, 30000000000LL);
    assert_int_equal(c.cache, 64ULL << 20);
    assert_string_equal(c.host, "localhost");
    assert_int_equal(c.level, 1);
    assert_int_equal(c.tls, 0);
    assert_true(c.ratio == 0.5);

    assert_int_equal(
        decode_text(b,
                    "{\"service\":{\"port\":9090,\"timeout\":\"1.5m\","
                    "\"host\":\"db\",\"tls\":true},\"cache\":{\"size\":"
                    "\"1.5GB\"},\"log\":{\"level\":\"warn\"},\"ratio\":1}",
                    &c, &err),
        0);
    assert_int_equal(c.port, 9090);
    assert_int_equal(c.timeout_ns, 90000000000LL);
    assert_int_equal(c.cache, 1500000000ULL);
    assert_string_equal(c.host, "db");
    assert_int_equal(c.level, 2);
    assert_int_equal(c.tls, 1);
    assert_true(c.ratio == 1.0);

    assert_int_equal(decode_text(b,
                                 "{\"service\":{\"timeout\":\"1h\"},"
                                 "\"cache\":{\"size\":\"512k\"}}",
                                 &c, &err),
                     0);
    assert_int_equal(c.timeout_ns, 3600000000000LL);
    assert_int_equal(c.cache, 512ULL * 1024);
    assert_int_equal(decode_text(b,
                                 "{\"service\":{\"timeout\":\"1m30s\"},"
                                 "\"cache\":{\"size\":2048}}",
                                 &c, &err),
                     0);
    assert_int_equal(c.timeout_ns, 90000000000LL);
    assert_int_equal(c.cache, 2048);
    assert_int_equal(
        decode_text(b, "{\"service\":{\"timeout\":\"250ms\"}}", &c, &err), 0);
    assert_int_equal(c.timeout_ns, 250000000LL);

    /* what does not fit */
    assert_int_equal(decode_text(b, "{\"service\":{\"port\":70000}}", &c, &err),
                     HC_EVALIDATE);
    assert_string_equal(err.pointer, "/service/port");
    assert_string_equal(
        err.text, "/service/port: 70000 is greater than the maximum of 65535");
    assert_int_equal(decode_text(b, "{\"service\":{\"port\":0}}", &c, &err),
                     HC_EVALIDATE);
    assert_non_null(strstr(err.text, "less than the minimum of 1"));
    assert_int_equal(
        decode_text(b, "{\"service\":{\"port\":\"80\"}}", &c, &err),
        HC_EVALIDATE);
    assert_non_null(strstr(err.text, "is not an integer"));
    assert_int_equal(
        decode_text(b, "{\"service\":{\"timeout\":\"2h\"}}", &c, &err),
        HC_EVALIDATE);
    assert_non_null(strstr(err.text, "2h is greater than the maximum of 1h"));
    assert_int_equal(
        decode_text(b, "{\"service\":{\"timeout\":\"soon\"}}", &c, &err),
        HC_EVALIDATE);
    assert_non_null(strstr(err.text, "is not a duration"));
    assert_int_equal(
        decode_text(b, "{\"cache\":{\"size\":\"0.5B\"}}", &c, &err),
        HC_EVALIDATE);
    assert_int_equal(decode_text(b, "{\"log\":{\"level\":\"loud\"}}", &c, &err),
                     HC_EVALIDATE);
    assert_string_equal(err.text, "/log/level: loud is not one of debug, info, "
                                  "warn");
    assert_int_equal(decode_text(b, "{\"service\":{\"host\":\"\"}}", &c, &err),
                     HC_EVALIDATE);
    assert_non_null(strstr(err.text, "shorter than the minimum of 1 bytes"));
    decode_text(b, NULL, NULL, NULL);
    hc_binding_free(b);

    {
        hc_field req = {"need", HC_FIELD_INT, 0,    NULL,
                        NULL,   NULL,         NULL, HC_FIELD_REQUIRED};
        int64_t v;
        b = hc_binding_new(&req, 1, sizeof v, &err);
        json_t *doc = json_object();
        assert_int_equal(hc_binding_decode(b, doc, &v, &err), HC_EVALIDATE);
        assert_string_equal(err.text, "/need: a value is required here");
        json_decref(doc);
        hc_binding_free(b);
    }
    {
        hc_field badf = {"x", HC_FIELD_INT, 0, "9", "1", "5", NULL, 0};
        int64_t v;
        assert_null(hc_binding_new(&badf, 1, sizeof v, &err));
        assert_int_equal(err.code, HC_EINVAL);
        badf.offset = 4; /* past the struct */
        badf.def = NULL;
        assert_null(hc_binding_new(&badf, 1, sizeof v, &err));
    }
}

static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct errs {
    int n;
    char last[512];
} errs;

static void on_error(const hc_error_record *rec, void *ud)
{
    errs *e = ud;
    e->n++;
    hc_error_format(rec->error, e->last, sizeof e->last);
}

/* The engine rejects a version whose value does not fit, at its line:col;
 * the bound struct stays the live version's. */
static void watched_rejects_out_of_range(void **state)
{
    char *dir = tu_mkdtemp(), *file = tu_join(dir, "app.yaml");
    const char *v1 = "service:\n  host: db\n  port: 9090\n";
    const char *v2 = "service:\n  host: db\n  port: 70000\n";
    const char *v3 = "service:\n  host: db2\n  port: 9191\n";
    hc_engine *e = hc_engine_new(NULL);
    hc_binding *b;
    hc_watch_options wo;
    errs er = {0};
    hc_error err;
    const cfg *c;
    uint64_t ver;
    int64_t end;
    (void)state;
    tu_write(file, v1, strlen(v1));
    b = hc_binding_new(fields, NFIELDS, sizeof(cfg), &err);
    assert_non_null(b);
    hc_watch_options_init(&wo);
    wo.on_error = on_error;
    wo.on_error_data = &er;
    assert_int_equal(hc_binding_watch_options(b, &wo), 0);
    assert_int_equal(hc_engine_watch(e, file, &wo, &err), 0);
    assert_null(hc_binding_acquire(b, &ver)); /* not attached yet */
    assert_int_equal(hc_binding_attach(b, e, file, &err), 0);
    c = hc_binding_acquire(b, &ver);
    assert_non_null(c);
    assert_int_equal(ver, 1);
    assert_int_equal(c->port, 9090);
    assert_string_equal(c->host, "db");
    hc_binding_release(b, c);

    tu_write(file, v2, strlen(v2));
    for (end = ms_now() + 10000; er.n < 1 && ms_now() < end;)
        hc_engine_dispatch(e, 10);
    assert_int_equal(er.n, 1);
    assert_non_null(strstr(er.last, "app.yaml:3:9: /service/port: 70000 is "
                                    "greater than the maximum of 65535"));
    c = hc_binding_acquire(b, &ver);
    assert_int_equal(ver, 1);
    assert_int_equal(c->port, 9090);
    hc_binding_release(b, c);

    tu_write(file, v3, strlen(v3));
    for (end = ms_now() + 10000; ver < 2 && ms_now() < end;) {
        hc_engine_dispatch(e, 10);
        c = hc_binding_acquire(b, &ver);
        hc_binding_release(b, c);
    }
    c = hc_binding_acquire(b, &ver);
    assert_int_equal(ver, 2);
    assert_int_equal(c->port, 9191);
    assert_string_equal(c->host, "db2");
    /* a struct held across the binding's end stays readable */
    hc_binding_free(b);
    assert_string_equal(c->host, "db2");
    hc_binding_release(NULL, c);
    hc_engine_free(e);
    tu_rmtree(dir);
    free(file);
    free(dir);
}

/* ---- threaded: readers while versions change ------------------------- */

#define READERS  4
#define VERSIONS 40

typedef struct shared {
    hc_binding *b;
    atomic_int stop;
    atomic_long reads, torn, backwards;
} shared;

static void *reader(void *arg)
{
    shared *s = arg;
    uint64_t last = 0;
    while (!atomic_load(&s->stop)) {
        uint64_t v;
        const cfg *c = hc_binding_acquire(s->b, &v);
        if (!c)
            continue;
        if (c->a != c->b || c->a != (int64_t)v)
            atomic_fetch_add(&s->torn, 1);
        if (v < last)
            atomic_fetch_add(&s->backwards, 1);
        last = v;
        atomic_fetch_add(&s->reads, 1);
        hc_binding_release(s->b, c);
    }
    return NULL;
}

static void readers_while_versions_change(void **state)
{
    char *dir = tu_mkdtemp(), *file = tu_join(dir, "t.json");
    hc_engine *e = hc_engine_new(NULL);
    hc_watch_options wo;
    shared s;
    pthread_t th[READERS];
    hc_error err;
    char text[64];
    (void)state;
    memset(&s, 0, sizeof s);
    snprintf(text, sizeof text, "{\"a\":1,\"b\":1}");
    tu_write(file, text, strlen(text));
    s.b = hc_binding_new(fields, NFIELDS, sizeof(cfg), &err);
    hc_watch_options_init(&wo);
    hc_binding_watch_options(s.b, &wo);
    assert_int_equal(hc_engine_watch(e, file, &wo, &err), 0);
    assert_int_equal(hc_binding_attach(s.b, e, file, &err), 0);
    assert_int_equal(hc_engine_start(e), 0);
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, &s), 0);
    for (int v = 2; v <= VERSIONS; v++) {
        uint64_t got = 0;
        int64_t end = ms_now() + 10000;
        snprintf(text, sizeof text, "{\"a\":%d,\"b\":%d}", v, v);
        tu_write(file, text, strlen(text));
        /* the next write only once this version is bound, so that each
         * version is seen (the reload is not coalesced away) */
        while (got < (uint64_t)v && ms_now() < end) {
            const void *c = hc_binding_acquire(s.b, &got);
            hc_binding_release(s.b, c);
            if (got < (uint64_t)v) {
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
            }
        }
        assert_int_equal(got, v);
    }
    atomic_store(&s.stop, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(th[i], NULL);
    assert_true(atomic_load(&s.reads) > 0);
    assert_int_equal(atomic_load(&s.torn), 0);
    assert_int_equal(atomic_load(&s.backwards), 0);
    hc_engine_stop(e);
    hc_binding_free(s.b);
    hc_engine_free(e);
    tu_rmtree(dir);
    free(file);
    free(dir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_units_and_types),
        cmocka_unit_test(watched_rejects_out_of_range),
    };
    const struct CMUnitTest threaded[] = {
        cmocka_unit_test(readers_while_versions_change),
    };
    if (argc > 1 && !strcmp(argv[1], "threaded"))
        return cmocka_run_group_tests(threaded, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
