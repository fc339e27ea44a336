/*
 * test_mask.c - src/mask.c, the one rule set for secret values: key names
 * (the CLI's and the dashboard's cases), change paths and JSON pointers
 * with the schema's writeOnly marks, documents, and error messages that
 * quote a secret value (schema errors by their pointer, parse errors by
 * the key on the error's line of the real file).
 */
#include "mask.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_keys(void **state)
{
    static const char *const secret[] = {
        "password",   "PASSWORD",     "db_password",   "DB-PASSWORD",
        "passwd",     "secret",       "client_secret", "clientSecret",
        "token",      "github_token", "accessToken",   "api_key",
        "apiKey",     "APIKEY",       "apikey",        "private_key",
        "privateKey", "credential",   "credentials",   "db.password",
        "passwords",  "api_token",    "DB_PASSWORD"};
    static const char *const plain[] = {
        "host",      "port",      "username",           "keyboard",
        "secretary", "tokenizer", "passwordless_login", "api",
        "",          "tokens_in"};
    (void)state;
    unsetenv("HOTCONF_SECRET_KEYS");
    for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
        if (!hc__mask_key(secret[i], NULL))
            fail_msg("'%s' should be masked", secret[i]);
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (hc__mask_key(plain[i], NULL))
            fail_msg("'%s' should not be masked", plain[i]);
    /* a list of one's own replaces the default; "" masks nothing */
    assert_true(hc__mask_key("port", "host, port"));
    assert_true(hc__mask_key("db-port", "port"));
    assert_false(hc__mask_key("password", "port"));
    assert_false(hc__mask_key("password", ""));
    /* the environment's list when none is given */
    setenv("HOTCONF_SECRET_KEYS", "pin", 1);
    assert_true(hc__mask_key("card_pin", NULL));
    assert_false(hc__mask_key("password", NULL));
    unsetenv("HOTCONF_SECRET_KEYS");
}

static json_t *schema_of(const char *text)
{
    json_t *s = json_loads(text, 0, NULL);
    assert_non_null(s);
    return s;
}

static void test_paths_and_pointers(void **state)
{
    json_t *schema = schema_of(
        "{\"properties\": {\"pin\": {\"writeOnly\": true},"
        " \"list\": {\"items\": {\"writeOnly\": true}},"
        " \"db\": {\"properties\": {\"host\": {\"writeOnly\": true}}}}}");
    (void)state;
    assert_true(hc__mask_path("db.password", NULL, NULL));
    assert_true(hc__mask_path("credentials.user", NULL, NULL));
    assert_true(hc__mask_path("servers[0].token", NULL, NULL));
    assert_true(hc__mask_path("labels[\"db.password\"]", NULL, NULL));
    assert_false(hc__mask_path("labels[\"db.host\"]", NULL, NULL));
    assert_false(hc__mask_path("servers[0].host", NULL, NULL));
    assert_false(hc__mask_path("", NULL, NULL));
    assert_true(hc__mask_path("pin", NULL, schema));
    assert_true(hc__mask_path("list[3]", NULL, schema));
    assert_true(hc__mask_path("db.host", NULL, schema));
    assert_false(hc__mask_path("db.port", NULL, schema));

    assert_true(hc__mask_pointer("/db/password", NULL, NULL));
    assert_true(hc__mask_pointer("/servers/0/token", NULL, NULL));
    assert_false(hc__mask_pointer("/servers/0/host", NULL, NULL));
    assert_false(hc__mask_pointer("", NULL, NULL));
    assert_true(hc__mask_pointer("/pin", NULL, schema));
    assert_true(hc__mask_pointer("/list/2", NULL, schema));
    assert_true(hc__mask_pointer("/db/host", NULL, schema));
    assert_false(hc__mask_pointer("/db/port", NULL, schema));
    /* ~1 is '/', ~0 is '~' */
    assert_true(hc__mask_pointer("/a~1b/api~0x.token", NULL, NULL));
    json_decref(schema);
}

static void test_documents(void **state)
{
    json_t *doc = json_loads("{\"db\": {\"password\": \"p\", \"host\": \"h\"},"
                             " \"credentials\": {\"user\": \"u\"},"
                             " \"list\": [1, 2], \"n\": 1}",
                             0, NULL);
    json_t *schema = schema_of("{\"properties\": {\"list\": {\"items\": "
                               "{\"writeOnly\": true}}}}");
    json_t *copy = hc__mask_copy(doc, NULL, schema, "###");
    char *out;
    (void)state;
    out = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(out, "{\"credentials\":\"###\",\"db\":{\"host\":\"h\","
                             "\"password\":\"###\"},\"list\":[\"###\",\"###\"],"
                             "\"n\":1}");
    free(out);
    /* the original is untouched; in place with the default mask */
    assert_string_equal(hc_get_string(doc, "db.password", "", NULL), "p");
    hc__mask_doc(doc, NULL, NULL, NULL);
    assert_string_equal(hc_get_string(doc, "db.password", "", NULL), HC__MASK);
    assert_int_equal(hc_get_int(doc, "list[0]", 0, NULL), 1);
    json_decref(copy);
    copy = hc__mask_copy(NULL, NULL, NULL, NULL);
    assert_true(json_is_null(copy));
    json_decref(copy);
    json_decref(doc);
    json_decref(schema);
}

static hc_error schema_error(const char *pointer, const char *text)
{
    hc_error e;
    hc_error_init(&e);
    e.code = HC_EVALIDATE;
    snprintf(e.source, sizeof e.source, "app.json");
    snprintf(e.pointer, sizeof e.pointer, "%s", pointer);
    /* as the validator writes it: the pointer, then the message */
    snprintf(e.text, sizeof e.text, "%s: %s", pointer, text);
    return e;
}

static void test_schema_error_texts(void **state)
{
    hc_error e =
        schema_error("/db/password", "\"hunter2\" is not of type integer");
    char buf[2048];
    json_t *schema = schema_of("{\"properties\": {\"pin\": {\"writeOnly\": "
                               "true}}}");
    (void)state;
    /* the formatted copy is masked, err itself is not */
    assert_string_equal(hc__mask_error_format(&e, NULL, NULL, buf, sizeof buf),
                        "app.json: /db/password: \"***\" is not of type "
                        "integer");
    assert_non_null(strstr(e.text, "hunter2"));
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 1);
    assert_string_equal(e.text, "/db/password: \"***\" is not of type integer");

    /* escapes inside, and a truncated rendering */
    e = schema_error("/token", "\"a\\\"b...\" does not match the pattern ^x");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 1);
    assert_string_equal(e.text,
                        "/token: \"***\" does not match the pattern ^x");

    /* a bare leading number (or literal) is the value too */
    e = schema_error("/pin", "12345 is greater than the maximum of 9999");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 0);   /* no schema */
    assert_int_equal(hc__mask_error(&e, NULL, schema), 1); /* writeOnly */
    assert_string_equal(e.text,
                        "/pin: *** is greater than the maximum of 9999");
    e = schema_error("/secret", "true is not of type string");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 1);
    assert_string_equal(e.text, "/secret: *** is not of type string");

    /* not secret: unchanged */
    e = schema_error("/db/host", "\"h\" is not of type integer");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 0);
    assert_string_equal(e.text, "/db/host: \"h\" is not of type integer");
    json_decref(schema);
}

static hc_error parse_error(const char *file, int line, int col,
                            const char *text)
{
    hc_error e;
    hc_error_init(&e);
    e.code = HC_EPARSE;
    e.line = line;
    e.column = col;
    snprintf(e.source, sizeof e.source, "%s", file);
    snprintf(e.text, sizeof e.text, "%s", text);
    return e;
}

static void test_parse_error_texts(void **state)
{
    char *dir = tu_mkdtemp(), *f = tu_join(dir, "a.json");
    hc_error e;
    (void)state;
    /* the key before the error's column, on its line */
    tu_write(f, "{\"host\": \"h\",\n \"db\": {\"password\": hunter2}}\n",
             (size_t)-1);
    e = parse_error(f, 2, 26, "invalid token near 'hunter'");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 1);
    assert_string_equal(e.text, "invalid token near '***'");
    /* the same line's non-secret key: unchanged */
    e = parse_error(f, 1, 12, "invalid token near 'h'");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 0);

    /* YAML and .env spellings; an apostrophe is no quote */
    tu_write(f, "db:\n  password: 'hunter2\nother: 1\n", (size_t)-1);
    e = parse_error(f, 2, 13, "can't end 'hunter2' here");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 1);
    assert_string_equal(e.text, "can't end '***' here");
    tu_write(f, "export DB_PASSWORD=\"hunter2\n", (size_t)-1);
    e = parse_error(f, 1, 20, "unterminated value \"hunter2");
    /* an unterminated quote stays text: nothing complete to mask */
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 0);
    e = parse_error(f, 1, 0, "bad value 'hunter2'");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 1);
    assert_string_equal(e.text, "bad value '***'");

    /* a value on the line after its key */
    tu_write(f, "{\"token\":\n  hunter2}\n", (size_t)-1);
    e = parse_error(f, 2, 3, "invalid token near 'hunter2'");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 1);

    /* the file gone: nothing to judge by, unchanged */
    e = parse_error("/nonexistent/x.json", 1, 1, "near 'x'");
    assert_int_equal(hc__mask_error(&e, NULL, NULL), 0);
    tu_rmtree(dir);
    free(f);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_paths_and_pointers),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_schema_error_texts),
        cmocka_unit_test(test_parse_error_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
