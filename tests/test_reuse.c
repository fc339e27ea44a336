/*
 * test_reuse.c - the reusing parse (src/format/reuse.h) for JSON and JSONC:
 * parsed against the previous version it must give exactly what hc_parse
 * gives (the document, or the same error), on chains of random edits; it
 * must really share what did not change; and the engine must share
 * between versions only when nothing modifies documents.
 */
#include "format/reuse.h"
#include "hotconf.h"
#include "test_engine_common.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- texts ----------------------------------------------------------------
 */

typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void t_printf(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len)
            break;
        t->cap = t->cap * 2 + (size_t)n + 64;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    t->len += (size_t)n;
}

/* A service-style config of about target bytes (JSONC: with comments). */
static char *config(size_t target, int jsonc, long v, size_t *len)
{
    text t = {malloc(256), 0, 256};
    t_printf(&t, "{\n  \"v\": %ld", v);
    for (int i = 0; t.len < target; i++) {
        t_printf(&t,
                 ",\n  %s\"svc%d\": {\"host\": \"h%d.internal\", \"port\": %d,"
                 " \"on\": %s, \"ratio\": %d.5, \"tags\": [\"a\", [\"b\", "
                 "{\"c\": %d}], []], \"limits\": {\"cpu\": %d, \"mem\": "
                 "\"512Mi\", \"deep\": {\"x\": [1, 2, {\"y\": null}]}}, "
                 "\"empty\": {}}",
                 jsonc ? "/* block */ " : "", i, i, 1000 + i,
                 i % 2 ? "true" : "false", i, i, i % 8);
    }
    t_printf(&t, "\n}\n");
    *len = t.len;
    return t.s;
}

/* One random edit of t: a digit, a token, a line, a byte. */
static void edit(text *t)
{
    static const char *tokens[] = {
        "{",           "}",     "[",           "]",        ",",
        ":",           "\"x\"", "1",           "-0.5e3",   " ",
        "\n",          "null",  "\"dup\"",     "\"v\"",    "true",
        "\"\\u00e9\"", "1e999", "\"\\ud800\"", "/* c */ ", "// c\n"};
    size_t at = t->len ? tu_rand((unsigned)t->len) : 0;
    unsigned op = tu_rand(10);
    /* half of the edits keep the text valid, as most saves do */
    switch (op < 3 ? 0 : op < 5 ? 5 : op - 4) {
    case 0: /* a digit somewhere changes */
        for (size_t i = at; i < t->len; i++)
            if (t->s[i] >= '0' && t->s[i] <= '9') {
                t->s[i] = (char)('0' + tu_rand(10));
                return;
            }
        return;
    case 1: { /* a token inserted */
        const char *tok = tokens[tu_rand(sizeof tokens / sizeof tokens[0])];
        size_t n = strlen(tok);
        if (t->len + n + 1 > t->cap) {
            t->cap = t->len + n + 64;
            t->s = realloc(t->s, t->cap);
        }
        memmove(t->s + at + n, t->s + at, t->len - at);
        memcpy(t->s + at, tok, n);
        t->len += n;
        return;
    }
    case 2: /* bytes deleted */
    {
        size_t n = 1 + tu_rand(4);
        if (at + n > t->len)
            n = t->len - at;
        memmove(t->s + at, t->s + at + n, t->len - at - n);
        t->len -= n;
        return;
    }
    case 3: /* a byte replaced */
        if (t->len)
            t->s[at] = "{}[],:\"a1 \\"[tu_rand(11)];
        return;
    case 4: { /* a line duplicated (often a duplicate key) */
        size_t b = at, e = at;
        while (b > 0 && t->s[b - 1] != '\n')
            b--;
        while (e < t->len && t->s[e] != '\n')
            e++;
        if (e < t->len)
            e++;
        if (t->len + (e - b) + 1 > t->cap) {
            t->cap = t->len + (e - b) + 64;
            t->s = realloc(t->s, t->cap);
        }
        memmove(t->s + e + (e - b), t->s + e, t->len - e);
        memmove(t->s + e, t->s + b, e - b);
        t->len += e - b;
        return;
    }
    default: /* a value's string changes length */
        for (size_t i = at; i + 1 < t->len; i++)
            if (t->s[i] == 'h' && t->s[i + 1] >= '0' && t->s[i + 1] <= '9') {
                t->s[i] = 'H';
                return;
            }
        return;
    }
}

/* ---- the contract ----------------------------------------------------------
 */

/* Parses t against *prev and checks the answer is hc_parse's; on success
 * *prev becomes the new record (as the engine does when a version goes
 * live). Returns 1 when the text parsed. */
/* The schema the edit chains validate against, when set: the memo of
 * verdicts (src/schema/memo.c) must give hc_schema_check's answer. */
static hc_schema *chain_schema;

static const char *chain_schema_text =
    "{\"type\": \"object\", \"required\": [\"v\"],"
    " \"properties\": {\"v\": {\"type\": \"integer\"}},"
    " \"patternProperties\": {\"^svc[0-9]+$\": {\"type\": \"object\","
    "   \"required\": [\"host\", \"port\"],"
    "   \"properties\": {\"host\": {\"pattern\": \"^h[0-9]+\\\\.internal$\"},"
    "     \"port\": {\"type\": \"integer\", \"maximum\": 1030},"
    "     \"tags\": {\"type\": \"array\", \"items\": {\"anyOf\": ["
    "       {\"type\": \"string\"}, {\"type\": \"array\", \"maxItems\": 2}]}},"
    "     \"limits\": {\"$ref\": \"#/$defs/limits\"}}}},"
    " \"$defs\": {\"limits\": {\"type\": \"object\","
    "   \"properties\": {\"cpu\": {\"type\": \"integer\", \"maximum\": 7}},"
    "   \"unevaluatedProperties\": {\"type\": [\"string\", \"object\"]}}}}";

/* 1 when doc passes; the memo path (prev's verdicts, next's kept) must
 * agree with a plain check, errors included. */
static int check_schema(json_t *doc, const hc__reuse *prev, hc__reuse *next)
{
    hc_error e1, e2;
    int r1 = hc_schema_check(chain_schema, doc, "t.json", NULL, &e1);
    int r2 = hc__schema_check_memo(chain_schema, doc, "t.json",
                                   prev ? prev->vmemo : NULL,
                                   next ? &next->vmemo : NULL, &e2);
    assert_int_equal(r1, r2);
    if (r1 != 0) {
        assert_string_equal(e1.text, e2.text);
        assert_string_equal(e1.pointer, e2.pointer);
        assert_null(next ? next->vmemo : NULL);
    }
    return r1 == 0;
}

static int check_one(const text *t, hc_format f, const hc_parse_options *o,
                     hc__reuse **prev)
{
    hc_error e1, e2;
    hc__reuse *next = NULL;
    json_t *full = hc_parse(t->s, t->len, f, "t.json", o, &e1);
    json_t *got =
        hc__parse_reusing(t->s, t->len, f, "t.json", o, *prev, &next, &e2);
    if (!full) {
        assert_null(got);
        assert_null(next);
        assert_int_equal(e1.code, e2.code);
        assert_int_equal(e1.line, e2.line);
        assert_int_equal(e1.column, e2.column);
        assert_string_equal(e1.text, e2.text);
        return 0;
    }
    assert_non_null(got);
    if (!json_equal(full, got)) {
        char *a = json_dumps(full, JSON_SORT_KEYS),
             *b = json_dumps(got, JSON_SORT_KEYS);
        print_error("text:\n%.*s\nfull: %s\nreusing: %s\n", (int)t->len, t->s,
                    a, b);
        fail();
    }
    /* same key order as the full parse */
    {
        char *a = json_dumps(full, 0), *b = json_dumps(got, 0);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    if (chain_schema && !check_schema(got, *prev, next)) {
        /* rejected: the live version and its record stay */
        json_decref(full);
        json_decref(got);
        hc__reuse_free(next);
        return 0;
    }
    json_decref(full);
    json_decref(got);
    if (next) {
        hc__reuse_free(*prev);
        *prev = next;
    }
    return 1;
}

static void chain(hc_format f, int jsonc_text, size_t size, int edits,
                  const hc_parse_options *o)
{
    size_t len;
    text t, good;
    hc__reuse *prev = NULL;
    int ok = 0, bad = 0;
    t.s = config(size, jsonc_text, 0, &len);
    t.len = len;
    t.cap = len + 1;
    assert_int_equal(check_one(&t, f, o, &prev), 1);
    assert_non_null(prev); /* a record is kept from the first parse */
    good.s = malloc(t.cap);
    memcpy(good.s, t.s, t.len);
    good.len = t.len;
    good.cap = t.cap;
    for (int i = 0; i < edits; i++) {
        edit(&t);
        if (check_one(&t, f, o, &prev)) {
            ok++;
            bad = 0;
            free(good.s);
            good.s = malloc(t.cap);
            memcpy(good.s, t.s, t.len);
            good.len = t.len;
            good.cap = t.cap;
        } else if (++bad > 2 || tu_rand(4)) {
            /* a rejected version is most often fixed by the next save */
            free(t.s);
            t.s = malloc(good.cap);
            memcpy(t.s, good.s, good.len);
            t.len = good.len;
            t.cap = good.cap;
            bad = 0;
        }
    }
    free(good.s);
    /* the chain went through both outcomes many times */
    assert_true(ok > edits / 20);
    assert_true(ok < edits);
    hc__reuse_free(prev);
    free(t.s);
}

static void test_json_random_edit_chains(void **state)
{
    (void)state;
    hc__reuse_min_size = 0;
    chain(HC_FORMAT_JSON, 0, 4096, 3000, NULL);
    chain(HC_FORMAT_JSON, 0, 300, 3000, NULL);
    chain(HC_FORMAT_JSON, 0, 20000, 600, NULL);
}

static void test_schema_memo_on_edit_chains(void **state)
{
    json_t *sj = json_loads(chain_schema_text, 0, NULL);
    hc_error err;
    (void)state;
    assert_non_null(sj);
    chain_schema = hc_schema_compile(sj, &err);
    json_decref(sj);
    assert_non_null(chain_schema);
    hc__reuse_min_size = 0;
    chain(HC_FORMAT_JSON, 0, 4096, 3000, NULL);
    chain(HC_FORMAT_JSON, 0, 600, 3000, NULL);
    hc_schema_free(chain_schema);
    chain_schema = NULL;
}

static void test_jsonc_random_edit_chains(void **state)
{
    hc_parse_options o;
    (void)state;
    hc__reuse_min_size = 0;
    chain(HC_FORMAT_JSONC, 1, 4096, 2000, NULL);
    memset(&o, 0, sizeof o);
    o.json_comments = 1;
    chain(HC_FORMAT_JSON, 1, 2048, 1000, &o);
}

/* What did not change is the same json_t in both versions, down to the
 * unchanged parts of the block that did. */
static void test_unchanged_subtrees_are_shared(void **state)
{
    size_t len;
    char *a = config(8192, 0, 1, &len), *b, *p;
    hc__reuse *r1 = NULL, *r2 = NULL;
    hc_error err;
    json_t *d1, *d2;
    const char *k;
    json_t *v;
    int shared = 0;
    (void)state;
    hc__reuse_min_size = 0;
    d1 = hc__parse_reusing(a, len, HC_FORMAT_JSON, "a.json", NULL, NULL, &r1,
                           &err);
    assert_non_null(d1);
    assert_non_null(r1);
    b = strdup(a);
    p = strstr(b, "\"port\": 1007"); /* svc7's port */
    assert_non_null(p);
    p[strlen("\"port\": 100")] = '9';
    d2 = hc__parse_reusing(b, len, HC_FORMAT_JSON, "b.json", NULL, r1, &r2,
                           &err);
    assert_non_null(d2);
    json_object_foreach(d2, k, v)
    {
        if (strcmp(k, "svc7") == 0) {
            json_t *old = json_object_get(d1, k);
            assert_ptr_not_equal(v, old);
            assert_int_equal(json_integer_value(json_object_get(v, "port")),
                             1009);
            assert_ptr_equal(json_object_get(v, "limits"),
                             json_object_get(old, "limits"));
            assert_ptr_equal(json_object_get(v, "tags"),
                             json_object_get(old, "tags"));
        } else if (json_is_object(v)) {
            assert_ptr_equal(v, json_object_get(d1, k));
            shared++;
        }
    }
    assert_true(shared > 20);
    {
        hc_changeset *cs = hc_diff(d1, d2);
        assert_int_equal(hc_changeset_count(cs), 1);
        assert_string_equal(hc_changeset_at(cs, 0)->path, "svc7.port");
        hc_changeset_free(cs);
    }
    /* the first version may go while the second lives on */
    json_decref(d1);
    hc__reuse_free(r1);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(d2, "svc3"), "port")),
                     1003);
    json_decref(d2);
    hc__reuse_free(r2);
    free(a);
    free(b);
}

/* A duplicate key in the changed part, or a record from other limits,
 * is decided by the full parse. */
static void test_errors_are_the_full_parse_s(void **state)
{
    size_t len;
    char *a = config(4096, 0, 1, &len), *b;
    hc__reuse *r1 = NULL, *r2 = NULL;
    hc_error e1, e2;
    hc_parse_options o;
    json_t *d;
    (void)state;
    hc__reuse_min_size = 0;
    d = hc__parse_reusing(a, len, HC_FORMAT_JSON, "a.json", NULL, NULL, &r1,
                          &e1);
    json_decref(d);
    b = malloc(len + 32);
    /* {"v": 1, "v": 1, ... : the first member again */
    memcpy(b, "{\n  \"v\": 1,", 11);
    memcpy(b + 11, a + 1, len - 1);
    assert_null(hc_parse(b, len + 10, HC_FORMAT_JSON, "a.json", NULL, &e1));
    assert_null(hc__parse_reusing(b, len + 10, HC_FORMAT_JSON, "a.json", NULL,
                                  r1, &r2, &e2));
    assert_null(r2);
    assert_string_equal(e1.text, e2.text);
    assert_int_equal(e1.line, e2.line);
    assert_int_equal(e1.column, e2.column);
    /* the record was made with the default depth limit: not used under 3 */
    memset(&o, 0, sizeof o);
    o.max_depth = 3;
    assert_null(hc_parse(a, len, HC_FORMAT_JSON, "a.json", &o, &e1));
    assert_null(
        hc__parse_reusing(a, len, HC_FORMAT_JSON, "a.json", &o, r1, &r2, &e2));
    assert_int_equal(e1.code, HC_ELIMIT);
    assert_string_equal(e1.text, e2.text);
    hc__reuse_free(r1);
    free(a);
    free(b);
}

/* ---- through the engine
 * ------------------------------------------------------
 */

typedef struct pair {
    pthread_mutex_t mu;
    json_t *old_doc, *new_doc;
    uint64_t version;
} pair;

static int keep_pair(const hc_change_record *rec, void *ud)
{
    pair *p = ud;
    pthread_mutex_lock(&p->mu);
    json_decref(p->old_doc);
    json_decref(p->new_doc);
    p->old_doc = rec->old_doc ? json_incref((json_t *)rec->old_doc) : NULL;
    p->new_doc = json_incref((json_t *)rec->new_doc);
    p->version = rec->version;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static int got_version(void *arg)
{
    pair *p = arg;
    int done;
    pthread_mutex_lock(&p->mu);
    done = p->version >= 2;
    pthread_mutex_unlock(&p->mu);
    return done;
}

/* Version 2 of a watched config shares version 1's unchanged blocks;
 * with a schema that fills in defaults (it modifies documents), nothing
 * is shared, and each version has its defaults. */
static void engine_case(int defaults)
{
    char *dir = tu_mkdtemp(), *path = tu_join(dir, "app.json"), *p;
    size_t len;
    char *a = config(4096, 0, 1, &len);
    hc_engine *e = hc_engine_new(NULL);
    hc_watch_options wo;
    hc_schema *schema = NULL;
    pair pr = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0};
    te_recorder rec;
    json_t *o1, *o2;
    hc_error err;
    te_rec_init(&rec);
    hc__reuse_min_size = HC__REUSE_MIN_SIZE;
    if (defaults) {
        hc_schema_options so;
        json_t *sj = json_pack("{s:{s:s,s:{s:{s:s}}},s:{s:{s:s}}}",
                               "additionalProperties", "type", "object",
                               "properties", "zone", "default", "eu",
                               "properties", "v", "type", "integer");
        memset(&so, 0, sizeof so);
        so.fill_defaults = 1;
        schema = hc_schema_compile_ex(sj, &so, &err);
        json_decref(sj);
        assert_non_null(schema);
    }
    tu_write(path, a, len);
    hc_watch_options_init(&wo);
    wo.on_change = keep_pair;
    wo.user_data = &pr;
    wo.schema = schema;
    assert_int_equal(hc_watch(e, path, &wo), 0);
    assert_int_equal(hc_engine_start(e), 0);
    p = strstr(a, "\"port\": 1005");
    assert_non_null(p);
    p[strlen("\"port\": 100")] = '8';
    te_write_rename(path, a);
    assert_true(te_wait(e, 1, &rec, got_version, &pr, TE_TIMEOUT_MS));
    pthread_mutex_lock(&pr.mu);
    o1 = json_object_get(pr.old_doc, "svc9");
    o2 = json_object_get(pr.new_doc, "svc9");
    assert_non_null(o1);
    assert_non_null(o2);
    if (defaults) {
        assert_ptr_not_equal(o1, o2);
        assert_string_equal(json_string_value(json_object_get(o2, "zone")),
                            "eu");
        assert_string_equal(json_string_value(json_object_get(o1, "zone")),
                            "eu");
    } else {
        assert_ptr_equal(o1, o2);
    }
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(pr.new_doc, "svc5"), "port")),
                     1008);
    pthread_mutex_unlock(&pr.mu);
    hc_engine_free(e);
    json_decref(pr.old_doc);
    json_decref(pr.new_doc);
    hc_schema_free(schema);
    te_rec_free(&rec);
    free(a);
    tu_rmtree(dir);
    free(path);
    free(dir);
}

static void test_engine_shares_between_versions(void **state)
{
    (void)state;
    engine_case(0);
}

static void test_engine_no_sharing_when_defaults_are_filled(void **state)
{
    (void)state;
    engine_case(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_random_edit_chains),
        cmocka_unit_test(test_jsonc_random_edit_chains),
        cmocka_unit_test(test_schema_memo_on_edit_chains),
        cmocka_unit_test(test_unchanged_subtrees_are_shared),
        cmocka_unit_test(test_errors_are_the_full_parse_s),
        cmocka_unit_test(test_engine_shares_between_versions),
        cmocka_unit_test(test_engine_no_sharing_when_defaults_are_filled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
