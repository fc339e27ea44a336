/*
 * test_env_conformance.c - the dotenv fixtures (HC_CONFORMANCE_DIR/dotenv)
 * of motdotla/dotenv, bkeepers/dotenv and python-dotenv through our .env
 * parser. The three projects disagree (see dotenv/README.md); ours is the
 * dialect of parse_env.c. Every case is run:
 *  - pass: our result matches the case (values compared as text, so we
 *    parse with no_typing; the projects return strings);
 *  - dialect difference: the case contradicts our dialect; each is listed
 *    below with its reason and must still differ (a listed case that
 *    starts to pass fails the test, so the list stays true);
 *  - skip: the case needs a shell ($(...) command substitution), which
 *    must never be implemented;
 *  - fail: anything else (must be zero).
 * How the runner plays a loader: several files merge with the first file
 * that defines a key winning (what both motdotla and bkeepers assert);
 * "environment" is set with setenv() before the parse and removed after.
 * python-dotenv skips a bad line and goes on, reporting it in error_lines;
 * we stop at the first error, so such a case passes when our error is on
 * the first listed line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

/* Floors: the counts reached when this test was written. Raise them as
 * the parser improves; never lower them. */
#define MOTDOTLA_PASS_FLOOR 8
#define BKEEPERS_PASS_FLOOR 53
#define PYTHON_PASS_FLOOR   54

typedef struct counts {
    int pass, dialect, skip, fail;
} counts;

/* kind: 'f' file_cases, 'i' inline_cases, 'p' interpolation_cases;
 * index: 1-based, as numbered in dotenv/README.md. */
typedef struct dialect_entry {
    const char *project;
    char kind;
    int index;
    const char *reason;
} dialect_entry;

static const dialect_entry dialect[] = {
    {"motdotla-dotenv", 'f', 1,
     "backticks are not quotes; '#' after a non-blank is text; "
     "$NAME in double quotes expands"},
    {"motdotla-dotenv", 'f', 2, "backticks are not quotes"},
    {"motdotla-dotenv", 'i', 7,
     "\\\\ in double quotes is one backslash (motdotla keeps both)"},
    {"bkeepers-dotenv", 'f', 6, "'KEY: value' is not accepted"},
    {"bkeepers-dotenv", 'i', 3, "an unquoted backslash is literal"},
    {"bkeepers-dotenv", 'i', 16,
     "an earlier key of the file wins over the environment"},
    {"bkeepers-dotenv", 'i', 23, "'KEY: value' is not accepted"},
    {"bkeepers-dotenv", 'i', 27, "\\n in double quotes is a newline"},
    {"bkeepers-dotenv", 'i', 32,
     "a line that is not an assignment is an error"},
    {"bkeepers-dotenv", 'i', 46,
     "single quotes end at the first ' (no \\' inside)"},
    {"bkeepers-dotenv", 'i', 56, "\\r in double quotes is a carriage return"},
    {"bkeepers-dotenv", 'i', 60,
     "the parser reports the file; the environment never overrides it"},
    {"python-dotenv", 'i', 3, "a quoted name is an error"},
    {"python-dotenv", 'i', 4, "names match [A-Za-z_][A-Za-z0-9_.-]*"},
    {"python-dotenv", 'i', 7, "a quoted name is an error"},
    {"python-dotenv", 'i', 27,
     "single quotes end at the first ' (no \\' inside)"},
    {"python-dotenv", 'i', 30, "a name without '=' is an error (no null)"},
    {"python-dotenv", 'i', 43, "names match [A-Za-z_][A-Za-z0-9_.-]*"},
    {"python-dotenv", 'p', 1, "expansion cannot be turned off"},
    {"python-dotenv", 'p', 2, "bare $NAME expands too"},
    {"python-dotenv", 'p', 3, "expansion cannot be turned off"},
    {"python-dotenv", 'p', 5, "expansion cannot be turned off"},
    {"python-dotenv", 'p', 11, "no expansion inside single quotes"},
};

static const char *dialect_reason(const char *project, char kind, int index)
{
    for (size_t i = 0; i < sizeof dialect / sizeof dialect[0]; i++)
        if (dialect[i].kind == kind && dialect[i].index == index &&
            strcmp(dialect[i].project, project) == 0)
            return dialect[i].reason;
    return NULL;
}

static int dialect_entries(const char *project)
{
    int n = 0;
    for (size_t i = 0; i < sizeof dialect / sizeof dialect[0]; i++)
        n += strcmp(dialect[i].project, project) == 0;
    return n;
}

static int requires(const json_t *c, const char *what)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(c, "requires"), i, r)
    {
        if (strcmp(json_string_value(r), what) == 0)
            return 1;
    }
    return 0;
}

static void set_environment(const json_t *env, int set)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)env, k, v)
    {
        if (set)
            setenv(k, json_string_value(v), 1);
        else
            unsetenv(k);
    }
}

/* Checks got against the case. Returns 0 or -1 with why filled. */
static int check_values(const json_t *got, const json_t *expected,
                        const json_t *absent, int exhaustive, char *why,
                        size_t size)
{
    const char *k;
    json_t *v;
    size_t i;
    json_object_foreach((json_t *)expected, k, v)
    {
        json_t *g = json_object_get(got, k);
        if (!json_equal(g, v)) {
            char *gs = g ? json_dumps(g, JSON_ENCODE_ANY) : NULL;
            char *ws = json_dumps(v, JSON_ENCODE_ANY);
            snprintf(why, size, "%s: want %s, got %s", k, ws,
                     gs ? gs : "(missing)");
            free(gs);
            free(ws);
            return -1;
        }
    }
    json_array_foreach(absent, i, v)
    {
        if (json_object_get(got, json_string_value(v))) {
            snprintf(why, size, "%s must be absent", json_string_value(v));
            return -1;
        }
    }
    if (exhaustive && json_object_size(got) != json_object_size(expected)) {
        json_object_foreach((json_t *)got, k, v)
        {
            if (!json_object_get(expected, k)) {
                snprintf(why, size, "unexpected key %s", k);
                return -1;
            }
        }
    }
    return 0;
}

static json_t *parse_text(const char *text, size_t len, hc_error *err)
{
    hc_parse_options o = {0};
    o.no_typing = 1;
    hc_error_init(err);
    return hc_parse(text, len, HC_FORMAT_ENV, "case.env", &o, err);
}

/* Parses the files in order; the first definition of a key wins. */
static json_t *parse_files(const char *dir, const json_t *files, hc_error *err)
{
    hc_parse_options o = {0};
    json_t *merged = json_object(), *f;
    size_t i;
    o.no_typing = 1;
    json_array_foreach(files, i, f)
    {
        char *path = tu_join(dir, json_string_value(f));
        json_t *doc;
        const char *k;
        json_t *v;
        hc_error_init(err);
        doc = hc_parse_file(path, HC_FORMAT_ENV, &o, err);
        free(path);
        if (!doc) {
            json_decref(merged);
            return NULL;
        }
        json_object_foreach(doc, k, v)
        {
            if (!json_object_get(merged, k))
                json_object_set(merged, k, v);
        }
        json_decref(doc);
    }
    return merged;
}

static void record(counts *c, const char *project, char kind, int index, int ok,
                   const char *why)
{
    const char *reason = dialect_reason(project, kind, index);
    if (ok && !reason) {
        c->pass++;
    } else if (!ok && reason) {
        c->dialect++;
        printf("  dialect difference %s %c%d: %s (%s)\n", project, kind, index,
               reason, why);
    } else if (ok) {
        c->fail++;
        printf("  FAIL %s %c%d: listed as a dialect difference (%s) but "
               "passes\n",
               project, kind, index, reason);
    } else {
        c->fail++;
        printf("  FAIL %s %c%d: %s\n", project, kind, index, why);
    }
}

static void run_project(const char *project, int pass_floor)
{
    char path[1024], dir[1024], why[1024];
    json_error_t jerr;
    json_t *spec, *c;
    counts n = {0, 0, 0, 0};
    size_t i;

    snprintf(path, sizeof path, "%s/dotenv/expected/%s.json",
             tu_conformance_dir(), project);
    snprintf(dir, sizeof dir, "%s/dotenv/%s", tu_conformance_dir(), project);
    spec = json_load_file(path, 0, &jerr);
    assert_non_null(spec);
    printf("dotenv %s\n", project);

    json_array_foreach(json_object_get(spec, "file_cases"), i, c)
    {
        hc_error err;
        json_t *got = parse_files(dir, json_object_get(c, "files"), &err);
        int ok;
        if (!got) {
            snprintf(why, sizeof why, "%s:%d:%d: %s", err.source, err.line,
                     err.column, err.text);
            ok = 0;
        } else {
            ok = check_values(got, json_object_get(c, "expected"),
                              json_object_get(c, "absent"),
                              json_is_true(json_object_get(c, "exhaustive")),
                              why, sizeof why) == 0;
        }
        record(&n, project, 'f', (int)i + 1, ok, why);
        json_decref(got);
    }

    json_array_foreach(json_object_get(spec, "inline_cases"), i, c)
    {
        json_t *input = json_object_get(c, "input");
        json_t *expected = json_object_get(c, "expected");
        json_t *errors = json_object_get(c, "error_lines");
        json_t *env = json_object_get(c, "environment");
        json_t *got;
        hc_error err;
        int ok;
        if (requires(c, "shell")) {
            n.skip++;
            continue;
        }
        set_environment(env, 1);
        got = parse_text(json_string_value(input), json_string_length(input),
                         &err);
        set_environment(env, 0);
        if (json_is_null(expected)) {
            ok = got == NULL;
            snprintf(why, sizeof why, "want a rejection, got success");
        } else if (json_array_size(errors) > 0) {
            int line = (int)json_integer_value(json_array_get(errors, 0));
            ok = !got && err.line == line;
            snprintf(why, sizeof why, "want an error on line %d, got %s %d:%d",
                     line, got ? "success" : err.text, err.line, err.column);
        } else if (!got) {
            ok = 0;
            snprintf(why, sizeof why, "%d:%d: %s", err.line, err.column,
                     err.text);
        } else {
            ok = check_values(got, expected, NULL,
                              !json_is_true(json_object_get(c, "partial")), why,
                              sizeof why) == 0;
        }
        record(&n, project, 'i', (int)i + 1, ok, why);
        json_decref(got);
    }

    json_array_foreach(json_object_get(spec, "interpolation_cases"), i, c)
    {
        json_t *input = json_object_get(c, "input");
        json_t *env = json_object_get(c, "environment");
        json_t *got;
        hc_error err;
        int ok;
        set_environment(env, 1);
        got = parse_text(json_string_value(input), json_string_length(input),
                         &err);
        set_environment(env, 0);
        if (!got) {
            ok = 0;
            snprintf(why, sizeof why, "%d:%d: %s", err.line, err.column,
                     err.text);
        } else {
            ok = check_values(got, json_object_get(c, "expected"), NULL, 1, why,
                              sizeof why) == 0;
        }
        record(&n, project, 'p', (int)i + 1, ok, why);
        json_decref(got);
    }

    printf("dotenv %s: %d pass, %d dialect differences, %d skipped "
           "(shell), %d fail\n",
           project, n.pass, n.dialect, n.skip, n.fail);
    json_decref(spec);
    assert_int_equal(n.fail, 0);
    assert_int_equal(n.dialect, dialect_entries(project));
    assert_true(n.pass >= pass_floor);
}

static void test_motdotla_dotenv(void **state)
{
    (void)state;
    run_project("motdotla-dotenv", MOTDOTLA_PASS_FLOOR);
}

static void test_bkeepers_dotenv(void **state)
{
    (void)state;
    run_project("bkeepers-dotenv", BKEEPERS_PASS_FLOOR);
}

static void test_python_dotenv(void **state)
{
    (void)state;
    run_project("python-dotenv", PYTHON_PASS_FLOOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_motdotla_dotenv),
        cmocka_unit_test(test_bkeepers_dotenv),
        cmocka_unit_test(test_python_dotenv),
    };
    if (!tu_conformance_dir()) {
        printf("SKIPPED: conformance data not found (set "
               "HC_CONFORMANCE_DIR)\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
