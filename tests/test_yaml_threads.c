/*
 * test_yaml_threads.c - hc_parse and hc_dump of YAML are thread-safe: many
 * threads parsing (with positions, aliases, merges, errors) and dumping at
 * once get exactly what one thread gets. Run under TSan by make test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define THREADS 4
#define ROUNDS  200

static const char *good = "base: &b\n  host: h\n  ports: [80, 443]\n"
                          "svc:\n  <<: *b\n  ratio: 0.25\n  name: 'it''s'\n"
                          "  text: |\n    two\n    lines\n"
                          "list: [*b, *b, ~, true, 0x1F]\n";
static const char *bad = "a: 1\nb: [1, 2\n";

typedef struct job {
    const json_t *expected;
    const char *expected_dump;
    int failures;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    for (int i = 0; i < ROUNDS; i++) {
        hc_error err;
        hc_posmap *pos = hc_posmap_new();
        hc_parse_options o;
        json_t *d;
        char *y;
        int line = 0, col = 0;
        memset(&o, 0, sizeof o);
        o.positions = pos;
        hc_error_init(&err);
        d = hc_parse(good, strlen(good), HC_FORMAT_YAML, "t.yaml", &o, &err);
        y = d ? hc_dump(d, HC_FORMAT_YAML, NULL) : NULL;
        if (!d || !json_equal(d, j->expected) || !y ||
            strcmp(y, j->expected_dump) != 0 ||
            hc_posmap_lookup(pos, "/svc/ratio", &line, &col) != 0 ||
            line != 6 || col != 10)
            j->failures++;
        free(y);
        json_decref(d);
        hc_posmap_free(pos);
        hc_error_init(&err);
        d = hc_parse(bad, strlen(bad), HC_FORMAT_YAML, "b.yaml", NULL, &err);
        if (d || err.line != 2 || err.column != 4 ||
            !strstr(err.text, "never closed"))
            j->failures++;
        json_decref(d);
    }
    return NULL;
}

static void test_parallel_parse_and_dump_agree_with_one_thread(void **state)
{
    pthread_t t[THREADS];
    job jobs[THREADS];
    hc_error err;
    json_t *expected;
    char *dump;
    (void)state;
    hc_error_init(&err);
    expected =
        hc_parse(good, strlen(good), HC_FORMAT_YAML, "t.yaml", NULL, &err);
    assert_non_null(expected);
    dump = hc_dump(expected, HC_FORMAT_YAML, NULL);
    assert_non_null(dump);
    for (int i = 0; i < THREADS; i++) {
        jobs[i].expected = expected;
        jobs[i].expected_dump = dump;
        jobs[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(jobs[i].failures, 0);
    }
    free(dump);
    json_decref(expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_parse_and_dump_agree_with_one_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
