/*
 * test_compose_layers.c - layers merged into one document (src/compose/
 * layers.c): merge rules, conf.d order and ignored editor files, the
 * environment over a file, overrides, provenance and error positions, on
 * real files in a temp folder.
 */
#include "hotconf.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

static char *dir;

static char *put(const char *name, const char *text)
{
    char *p = tu_join(dir, name);
    tu_write(p, text, strlen(text));
    return p;
}

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir);
    return 0;
}

/* 4 layers: defaults, a file, a conf.d folder, the environment (over the
 * file), and --set-style overrides over everything. */
static void four_layers_env_over_file(void **state)
{
    hc_layers *l = hc_layers_new(NULL);
    hc_layer_origin o[4];
    json_t *defs = json_pack("{s:{s:i,s:s},s:[i]}", "service", "port", 80,
                             "host", "localhost", "list", 1);
    char *cfg = put("config.yaml", "service:\n  port: 8080\nlist: [2, 3]\n");
    char *cd = tu_join(dir, "conf.d");
    json_t *doc;
    hc_error err;
    (void)state;
    mkdir(cd, 0755);
    free(put("conf.d/20-b.yaml", "service:\n  tls: true\n"));
    free(put("conf.d/10-a.json", "{\"service\": {\"tls\": false, \"w\": 1}}"));
    free(put("conf.d/.20-b.yaml.swp", "not: [yaml"));
    free(put("conf.d/30-c.yaml~", "not: [yaml"));
    free(put("conf.d/README", "not a config"));
    setenv("TCL_SERVICE__PORT", "9090", 1);
    setenv("TCL_SERVICE__NAME", "api", 1);
    setenv("TCL_FLAG", "yes", 1);

    assert_int_equal(hc_layers_add_defaults(l, defs, &err), 0);
    assert_int_equal(hc_layers_add_file(l, cfg, 0, &err), 0);
    assert_int_equal(hc_layers_add_file(l, cd, 0, &err), 0);
    assert_int_equal(hc_layers_add_env(l, "TCL", NULL, &err), 0);
    assert_int_equal(hc_layers_add_override(l, "service.host=db.local", &err),
                     0);
    doc = hc_layers_load(l, &err);
    assert_non_null(doc);
    assert_int_equal(hc_get_int(doc, "service.port", 0, NULL), 9090);
    assert_string_equal(hc_get_string(doc, "service.name", "", NULL), "api");
    assert_string_equal(hc_get_string(doc, "service.host", "", NULL),
                        "db.local");
    assert_true(hc_get_bool(doc, "service.tls", 0, NULL)); /* 20 over 10 */
    assert_int_equal(hc_get_int(doc, "service.w", 0, NULL), 1);
    assert_string_equal(hc_get_string(doc, "flag", "", NULL), "yes");
    /* arrays are replaced, not merged */
    assert_int_equal(json_array_size(hc_get(doc, "list")), 2);

    assert_int_equal(hc_layers_explain(l, "service.port", o, 4), 1);
    assert_string_equal(o[0].name, "env:TCL_SERVICE__PORT");
    assert_null(o[0].file);
    assert_int_equal(hc_layers_explain(l, "service.host", o, 4), 1);
    assert_string_equal(o[0].name, "override");
    assert_int_equal(hc_layers_explain(l, "list[1]", o, 4), 1);
    assert_string_equal(o[0].name, cfg);
    assert_int_equal(o[0].line, 3);
    assert_int_equal(o[0].column, 11);
    assert_int_equal(hc_layers_explain(l, "service.tls", o, 4), 1);
    assert_non_null(strstr(o[0].name, "conf.d/20-b.yaml"));
    assert_int_equal(o[0].line, 2);
    assert_int_equal(o[0].column, 8);
    /* an object: its contributors, the latest first */
    /* 10-a (w), 20-b (tls), the two variables, the override; the file and
     * the defaults gave values that were all overridden */
    assert_int_equal(hc_layers_explain(l, "service", o, 4), 5);
    assert_string_equal(o[0].name, "override");
    assert_int_equal(hc_layers_explain(l, "nothing.here", o, 4), HC_ENOTFOUND);
    assert_int_equal(hc_layers_explain(l, "a..b", o, 4), HC_EPATH);
    assert_int_equal(hc_layers_origin_at(l, "/service/w", &o[0]), 0);
    assert_non_null(strstr(o[0].name, "conf.d/10-a.json"));

    unsetenv("TCL_SERVICE__PORT");
    unsetenv("TCL_SERVICE__NAME");
    unsetenv("TCL_FLAG");
    json_decref(doc);
    json_decref(defs);
    hc_layers_free(l);
    free(cfg);
    free(cd);
}

/* A scalar over an object and an object over a scalar: provenance follows
 * the value that won. */
static void replace_kinds(void **state)
{
    hc_layers *l = hc_layers_new(NULL);
    hc_layer_origin o[4];
    json_t *doc;
    hc_error err;
    (void)state;
    char *a = put("a.yaml", "x:\n  y: 1\nz: 5\n");
    char *b = put("b.yaml", "x: 2\nz:\n  w: 3\n");
    assert_int_equal(hc_layers_add_file(l, a, 0, &err), 0);
    assert_int_equal(hc_layers_add_file(l, b, 0, &err), 0);
    assert_non_null(doc = hc_layers_load(l, &err));
    assert_int_equal(hc_get_int(doc, "x", 0, NULL), 2);
    assert_int_equal(hc_layers_explain(l, "x", o, 4), 1);
    assert_string_equal(o[0].name, b);
    assert_int_equal(hc_layers_explain(l, "z", o, 4), 1);
    assert_string_equal(o[0].name, b);
    assert_int_equal(hc_layers_explain(l, "z.w", o, 4), 1);
    assert_string_equal(o[0].name, b);
    json_decref(doc);
    hc_layers_free(l);
    free(a);
    free(b);
}

static void errors_and_optional(void **state)
{
    hc_layers *l = hc_layers_new(NULL);
    char *bad = put("bad.yaml", "a: 1\nb: [2\n");
    char *missing = tu_join(dir, "missing.yaml");
    char *pat = tu_join(dir, "none-*.yaml");
    hc_error err;
    (void)state;
    assert_int_equal(hc_layers_add_file(l, missing, HC_LAYER_OPTIONAL, &err),
                     0);
    assert_int_equal(hc_layers_add_file(l, pat, 0, &err), 0);
    json_t *doc = hc_layers_load(l, &err);
    assert_non_null(doc); /* optional missing file, empty glob */
    assert_int_equal(json_object_size(doc), 0);
    json_decref(doc);
    assert_int_equal(hc_layers_add_file(l, bad, 0, &err), 0);
    assert_null(hc_layers_load(l, &err));
    assert_int_equal(err.code, HC_EPARSE);
    assert_string_equal(err.source, bad);
    assert_true(err.line > 0 && err.column > 0);
    hc_layers_free(l);

    l = hc_layers_new(NULL);
    assert_int_equal(hc_layers_add_file(l, missing, 0, &err), 0);
    assert_null(hc_layers_load(l, &err));
    assert_int_equal(err.code, HC_ENOENT);
    assert_int_equal(hc_layers_add_override(l, "novalue", &err), HC_EINVAL);
    assert_int_equal(hc_layers_add_override(l, "a[0]=1", &err), HC_EPATH);
    assert_int_equal(hc_layers_add_override(l, "a=[1,", &err), HC_EPARSE);
    assert_int_equal(hc_layers_add_env(l, "", NULL, &err), HC_EINVAL);
    hc_layers_free(l);

    /* an optional folder that appears later is read as a folder */
    {
        char *later = tu_join(dir, "later.d");
        l = hc_layers_new(NULL);
        assert_int_equal(hc_layers_add_file(l, later, HC_LAYER_OPTIONAL, &err),
                         0);
        json_t *d = hc_layers_load(l, &err);
        assert_non_null(d);
        json_decref(d);
        mkdir(later, 0755);
        free(put("later.d/a.yaml", "late: true\n"));
        assert_non_null(d = hc_layers_load(l, &err));
        assert_true(hc_get_bool(d, "late", 0, NULL));
        json_decref(d);
        hc_layers_free(l);
        free(later);
    }
    free(bad);
    free(missing);
    free(pat);
}

static void schema_defaults_and_json_override(void **state)
{
    hc_layers *l = hc_layers_new(NULL);
    json_t *schema = json_loads(
        "{\"properties\":{\"a\":{\"default\":1},\"b\":{\"properties\":"
        "{\"c\":{\"default\":\"x\"},\"d\":{\"type\":\"string\"}}},"
        "\"e\":{\"type\":\"object\"}}}",
        0, NULL);
    hc_layer_origin o;
    hc_error err;
    json_t *doc;
    (void)state;
    assert_int_equal(hc_layers_add_schema_defaults(l, schema, &err), 0);
    assert_int_equal(hc_layers_add_override(l, "list=[\"p\",\"q\"]", &err), 0);
    assert_int_equal(hc_layers_add_override(l, "b[\"k.1\"]=7", &err), 0);
    assert_non_null(doc = hc_layers_load(l, &err));
    assert_int_equal(hc_get_int(doc, "a", 0, NULL), 1);
    assert_string_equal(hc_get_string(doc, "b.c", "", NULL), "x");
    assert_null(hc_get(doc, "e"));
    assert_int_equal(hc_get_int(doc, "b[\"k.1\"]", 0, NULL), 7);
    assert_string_equal(hc_get_string(doc, "list[1]", "", NULL), "q");
    assert_int_equal(hc_layers_origin_at(l, "/a", &o), 0);
    assert_string_equal(o.name, "defaults");
    json_decref(doc);
    json_decref(schema);
    hc_layers_free(l);
}

static void glob_order_and_files(void **state)
{
    char **f;
    size_t n;
    char *pat, *cd = tu_join(dir, "g.d");
    (void)state;
    mkdir(cd, 0755);
    free(put("g.d/b.yaml", "k: b\n"));
    free(put("g.d/a.yaml", "k: a\n"));
    free(put("g.d/#a.yaml#", "k: [\n"));
    free(put("g.d/.#a.yaml", "k: [\n"));
    free(put("g.d/c.yaml.tmp", "k: [\n"));
    pat = tu_join(dir, "g.d/*.yaml");
    assert_int_equal(hc_compose_files(pat, NULL, &f, &n), 0);
    assert_int_equal(n, 2);
    assert_non_null(strstr(f[0], "/a.yaml"));
    assert_non_null(strstr(f[1], "/b.yaml"));
    hc_compose_files_free(f, n);
    assert_int_equal(hc_compose_files(cd, NULL, &f, &n), 0);
    assert_int_equal(n, 2);
    hc_compose_files_free(f, n);
    {
        const char *none[] = {NULL};
        hc_layers_options lo;
        hc_layers *l;
        hc_error err;
        json_t *doc;
        hc_layers_options_init(&lo);
        lo.ignore = none; /* nothing ignored: the temp file breaks it */
        l = hc_layers_new(&lo);
        char *tmp = tu_join(dir, "g.d/*.tmp");
        assert_int_equal(hc_layers_add_file(l, tmp, 0, &err), 0);
        assert_null(hc_layers_load(l, &err));
        assert_int_not_equal(err.code, 0);
        assert_non_null(strstr(err.source, "c.yaml.tmp"));
        hc_layers_free(l);
        free(tmp);
        l = hc_layers_new(NULL);
        assert_int_equal(hc_layers_add_file(l, pat, 0, &err), 0);
        assert_non_null(doc = hc_layers_load(l, &err));
        assert_string_equal(hc_get_string(doc, "k", "", NULL), "b");
        json_decref(doc);
        hc_layers_free(l);
    }
    free(pat);
    free(cd);
}

/* Files unchanged since the last load are not parsed again; a file
 * rewritten at once with the same size (same mtime with coarse
 * timestamps) is still read anew. */
static void reload_sees_same_size_rewrite(void **state)
{
    hc_layers *l = hc_layers_new(NULL);
    char *a = put("r.yaml", "v: 1\n");
    hc_layer_origin o;
    hc_error err;
    json_t *doc;
    (void)state;
    assert_int_equal(hc_layers_add_file(l, a, 0, &err), 0);
    for (int i = 2; i < 10; i++) {
        char text[16];
        assert_non_null(doc = hc_layers_load(l, &err));
        assert_int_equal(hc_get_int(doc, "v", 0, NULL), i - 1);
        json_decref(doc);
        snprintf(text, sizeof text, "v: %d\n", i);
        free(put("r.yaml", text));
    }
    assert_non_null(doc = hc_layers_load(l, &err));
    assert_int_equal(hc_get_int(doc, "v", 0, NULL), 9);
    assert_int_equal(hc_layers_origin_at(l, "/v", &o), 0);
    assert_int_equal(o.line, 1);
    assert_int_equal(o.column, 4);
    json_decref(doc);
    hc_layers_free(l);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_layers_env_over_file),
        cmocka_unit_test(replace_kinds),
        cmocka_unit_test(errors_and_optional),
        cmocka_unit_test(schema_defaults_and_json_override),
        cmocka_unit_test(glob_order_and_files),
        cmocka_unit_test(reload_sees_same_size_rewrite),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
