/*
 * test_core.c - the foundation: error model, format detection, the shared
 * checks of hc_parse (size, NUL), the JSON parser's rules and limits, path
 * access and typed getters, and diff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static json_t *parse_json(const char *text, hc_error *err)
{
    hc_error_init(err);
    return hc_parse(text, strlen(text), HC_FORMAT_JSON, "t.json", NULL, err);
}

/* ---- errors ------------------------------------------------------------ */

static void test_strerror_names_every_code(void **state)
{
    (void)state;
    assert_string_equal(hc_strerror(HC_EPARSE), "parse error");
    assert_string_equal(hc_err_name(HC_ELIMIT), "HC_ELIMIT");
    assert_string_equal(hc_err_name(HC_OK), "HC_OK");
    assert_string_equal(hc_strerror(-9999), "unknown error");
    for (int c = -1; c >= HC_EPATH; c--)
        assert_string_not_equal(hc_strerror(c), "unknown error");
}

static void test_first_error_wins(void **state)
{
    hc_error err;
    (void)state;
    hc_error_init(&err);
    hc__error_set(&err, HC_EPARSE, "a.json", 3, 4, 10, "first %d", 1);
    hc__error_set(&err, HC_EIO, "b.json", 5, 6, 20, "second");
    assert_int_equal(err.code, HC_EPARSE);
    assert_string_equal(err.source, "a.json");
    assert_string_equal(err.text, "first 1");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 4);
}

static void test_long_source_keeps_file_name(void **state)
{
    char longname[1000];
    hc_error err;
    (void)state;
    memset(longname, 'd', sizeof longname);
    strcpy(longname + sizeof longname - 12, "/config.yml");
    hc_error_init(&err);
    hc__error_set(&err, HC_EPARSE, longname, 1, 1, 0, "x");
    assert_true(strlen(err.source) < HC_ERROR_SOURCE_LENGTH);
    assert_memory_equal(err.source, "...", 3);
    assert_non_null(strstr(err.source, "/config.yml"));
}

static void test_error_format_has_file_line_col(void **state)
{
    hc_error err;
    char buf[512];
    (void)state;
    hc_error_init(&err);
    hc__error_at(&err, HC_EPARSE, "x.ini", "a\nbc\nd", 6, 3, "bad");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 2);
    assert_string_equal(hc_error_format(&err, buf, sizeof buf),
                        "x.ini:2:2: bad");
}

static void test_line_col_counts_crlf_once(void **state)
{
    int line, col;
    (void)state;
    hc__line_col("a\r\nb\rc", 6, 5, &line, &col);
    assert_int_equal(line, 3);
    assert_int_equal(col, 1);
}

/* ---- formats ----------------------------------------------------------- */

static void test_format_from_name(void **state)
{
    (void)state;
    assert_int_equal(hc_format_from_name("a/b.json"), HC_FORMAT_JSON);
    assert_int_equal(hc_format_from_name("x.YAML"), HC_FORMAT_YAML);
    assert_int_equal(hc_format_from_name("x.yml"), HC_FORMAT_YAML);
    assert_int_equal(hc_format_from_name("x.ini"), HC_FORMAT_INI);
    assert_int_equal(hc_format_from_name("x.cfg"), HC_FORMAT_INI);
    assert_int_equal(hc_format_from_name("/etc/x.conf"), HC_FORMAT_INI);
    assert_int_equal(hc_format_from_name(".env"), HC_FORMAT_ENV);
    assert_int_equal(hc_format_from_name("dir/.env"), HC_FORMAT_ENV);
    assert_int_equal(hc_format_from_name("prod.env"), HC_FORMAT_ENV);
    assert_int_equal(hc_format_from_name(".env.local"), HC_FORMAT_ENV);
    assert_int_equal(hc_format_from_name(".vscode/settings.jsonc"),
                     HC_FORMAT_JSONC);
    assert_int_equal(hc_format_from_name("x.txt"), HC_FORMAT_AUTO);
    assert_int_equal(hc_format_from_name("environment"), HC_FORMAT_AUTO);
}

static void test_format_parse_names(void **state)
{
    hc_format f;
    (void)state;
    assert_int_equal(hc_format_parse("YAML", &f), 0);
    assert_int_equal(f, HC_FORMAT_YAML);
    assert_int_equal(hc_format_parse("yml", &f), 0);
    assert_int_equal(f, HC_FORMAT_YAML);
    assert_int_equal(hc_format_parse("jsonc", &f), 0);
    assert_int_equal(f, HC_FORMAT_JSONC);
    assert_string_equal(hc_format_name(HC_FORMAT_JSONC), "jsonc");
    assert_int_equal(hc_format_parse("dotenv", &f), 0);
    assert_int_equal(f, HC_FORMAT_ENV);
    assert_int_equal(hc_format_parse("toml", &f), HC_EINVAL);
    assert_string_equal(hc_format_name(HC_FORMAT_INI), "ini");
}

static void test_explicit_format_overrides_name(void **state)
{
    hc_error err;
    json_t *d;
    (void)state;
    hc_error_init(&err);
    d = hc_parse("{\"a\":1}", 7, HC_FORMAT_JSON, "x.ini", NULL, &err);
    assert_non_null(d);
    assert_int_equal(json_integer_value(json_object_get(d, "a")), 1);
    json_decref(d);
}

static void test_auto_with_unknown_name_is_error(void **state)
{
    hc_error err;
    (void)state;
    hc_error_init(&err);
    assert_null(hc_parse("{}", 2, HC_FORMAT_AUTO, "x.txt", NULL, &err));
    assert_int_equal(err.code, HC_EFORMAT);
}

/* ---- shared checks and limits ------------------------------------------ */

static void test_nul_byte_is_error_with_position(void **state)
{
    hc_error err;
    (void)state;
    hc_error_init(&err);
    assert_null(
        hc_parse("{\"a\":\n1\0}", 9, HC_FORMAT_JSON, "n.json", NULL, &err));
    assert_int_equal(err.code, HC_EPARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 2);
    assert_non_null(strstr(err.text, "NUL"));
}

static void test_size_limit_names_the_limit(void **state)
{
    hc_error err;
    hc_parse_options o = {0};
    (void)state;
    o.max_size = 4;
    hc_error_init(&err);
    assert_null(hc_parse("[1,2,3]", 7, HC_FORMAT_JSON, "s.json", &o, &err));
    assert_int_equal(err.code, HC_ELIMIT);
    assert_non_null(strstr(err.text, "max_size"));
}

static void test_file_size_limit_checked_before_reading(void **state)
{
    char *dir = tu_mkdtemp(), *p = tu_join(dir, "big.json");
    hc_parse_options o = {0};
    hc_error err;
    (void)state;
    tu_write(p, "[1,2,3,4,5,6,7,8,9]", (size_t)-1);
    o.max_size = 8;
    hc_error_init(&err);
    assert_null(hc_parse_file(p, HC_FORMAT_AUTO, &o, &err));
    assert_int_equal(err.code, HC_ELIMIT);
    assert_non_null(strstr(err.text, "max_size"));
    tu_rmtree(dir);
    free(p);
    free(dir);
}

static void test_default_size_limit_is_10_mib(void **state)
{
    size_t n = HC_DEFAULT_MAX_SIZE + 1;
    char *big = malloc(n);
    hc_error err;
    (void)state;
    memset(big, ' ', n);
    big[0] = '1';
    hc_error_init(&err);
    assert_null(hc_parse(big, n, HC_FORMAT_JSON, "b.json", NULL, &err));
    assert_int_equal(err.code, HC_ELIMIT);
    free(big);
}

static void test_missing_file_is_enoent(void **state)
{
    hc_error err;
    (void)state;
    hc_error_init(&err);
    assert_null(
        hc_parse_file("/nonexistent/x.json", HC_FORMAT_AUTO, NULL, &err));
    assert_int_equal(err.code, HC_ENOENT);
    assert_string_equal(err.source, "/nonexistent/x.json");
}

/* Reads path in a child process that an alarm kills if hc_read_file
 * blocks, so that a regression fails this test instead of hanging the
 * suite. Returns 0 when the read was refused as "not a regular file" with
 * HC_EIO, 1 when it was accepted or refused otherwise, 2 when it blocked. */
static int read_refused_in_child(const char *path, const char *kind)
{
    int status = 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hc_error err;
        size_t len = 0;
        char *buf;
        alarm(10);
        buf = hc_read_file(path, 0, &len, &err);
        if (buf)
            _exit(1);
        _exit(err.code == HC_EIO && strstr(err.text, "not a regular file") &&
                      strstr(err.text, kind)
                  ? 0
                  : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        return 2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void test_fifo_without_writer_is_refused_without_blocking(void **state)
{
    char *dir = tu_mkdtemp(), *p = tu_join(dir, "c.yaml");
    hc_error err;
    (void)state;
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(read_refused_in_child(p, "a FIFO"), 0);
    /* hc_parse_file goes through the same check */
    hc_error_init(&err);
    assert_null(hc_parse_file(p, HC_FORMAT_AUTO, NULL, &err));
    assert_int_equal(err.code, HC_EIO);
    assert_string_equal(err.text,
                        "not a regular file (a FIFO); only regular files "
                        "are read");
    tu_rmtree(dir);
    free(p);
    free(dir);
}

static void test_devices_sockets_and_directories_are_refused(void **state)
{
    char *dir = tu_mkdtemp(), *sp = tu_join(dir, "s.json");
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    (void)state;
    assert_int_equal(read_refused_in_child("/dev/zero", "character device"), 0);
    assert_int_equal(read_refused_in_child("/dev/null", "character device"), 0);
    assert_int_equal(read_refused_in_child(dir, "a directory"), 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    assert_true(strlen(sp) < sizeof sa.sun_path);
    strcpy(sa.sun_path, sp);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(read_refused_in_child(sp, "a socket"), 0);
    close(fd);
    tu_rmtree(dir);
    free(sp);
    free(dir);
}

/* ---- JSON -------------------------------------------------------------- */

static void test_json_bom_at_start_is_skipped(void **state)
{
    hc_error err;
    hc_posmap *pm = hc_posmap_new();
    hc_parse_options o = {0};
    const char *text = "\xEF\xBB\xBF{\"a\": 1}";
    json_t *d;
    int line = 0, col = 0;
    (void)state;
    o.positions = pm;
    hc_error_init(&err);
    d = hc_parse(text, strlen(text), HC_FORMAT_JSON, "b.json", &o, &err);
    assert_non_null(d);
    assert_int_equal(json_integer_value(json_object_get(d, "a")), 1);
    /* columns on line 1 do not count the BOM, as in INI and .env */
    assert_int_equal(hc_posmap_lookup(pm, "/a", &line, &col), 0);
    assert_int_equal(col, 7);
    json_decref(d);
    hc_posmap_free(pm);
    /* a BOM alone is no document, and one inside is an error */
    assert_null(
        hc_parse("\xEF\xBB\xBF", 3, HC_FORMAT_JSON, "b.json", NULL, &err));
    assert_null(hc_parse("[1,\xEF\xBB\xBF"
                         "2]",
                         8, HC_FORMAT_JSON, "b.json", NULL, &err));
    assert_int_equal(err.line, 1);
    assert_int_equal(err.code, HC_EPARSE);
}

static void test_jsonc_comments_and_trailing_commas(void **state)
{
    const char *text = "// settings\n"
                       "{\n"
                       "  \"editor.tabSize\": 2, /* spaces */\n"
                       "  \"files.exclude\": {\"**/.git\": true,},\n"
                       "  \"url\": \"http://x/*y*/\",\n"
                       "  \"list\": [1, 2,\n  // last\n  ],\n"
                       "}\n";
    hc_error err;
    hc_posmap *pm = hc_posmap_new();
    hc_parse_options o = {0};
    json_t *d;
    char *out;
    int line = 0, col = 0;
    (void)state;
    o.positions = pm;
    hc_error_init(&err);
    d = hc_parse(text, strlen(text), HC_FORMAT_AUTO, "settings.jsonc", &o,
                 &err);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "url")),
                        "http://x/*y*/");
    assert_int_equal(json_array_size(json_object_get(d, "list")), 2);
    assert_int_equal(hc_posmap_lookup(pm, "/list/1", &line, &col), 0);
    assert_int_equal(line, 6);
    assert_int_equal(col, 15);
    /* the emitter writes plain JSON: the comments are gone */
    out = hc_dump(d, HC_FORMAT_JSONC, &err);
    assert_non_null(out);
    assert_null(strstr(out, "spaces"));
    free(out);
    json_decref(d);
    hc_posmap_free(pm);

    /* the same text as strict JSON: an error that names JSONC */
    assert_null(hc_parse(text, strlen(text), HC_FORMAT_AUTO, "settings.json",
                         NULL, &err));
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    assert_non_null(strstr(err.text, "--format jsonc"));
    /* or with the option for .json files */
    o.positions = NULL;
    o.json_comments = 1;
    d = hc_parse(text, strlen(text), HC_FORMAT_AUTO, "settings.json", &o, &err);
    assert_non_null(d);
    json_decref(d);
}

static void test_jsonc_errors_keep_exact_positions(void **state)
{
    hc_error err;
    (void)state;
    /* a lone or doubled comma is no trailing comma */
    assert_null(hc_parse("[,]", 3, HC_FORMAT_JSONC, "c.jsonc", NULL, &err));
    assert_int_equal(err.column, 2);
    assert_null(hc_parse("[1,,]", 5, HC_FORMAT_JSONC, "c.jsonc", NULL, &err));
    assert_int_equal(err.column, 4);
    /* a comment with non-ASCII text before the error on its line */
    assert_null(hc_parse("{\n  \"a\": 1 /* \xC3\xA9 */ x}", 22, HC_FORMAT_JSONC,
                         "c.jsonc", NULL, &err));
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 18);
    assert_null(
        hc_parse("[1]\n/* open", 11, HC_FORMAT_JSONC, "c.jsonc", NULL, &err));
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 1);
    assert_non_null(strstr(err.text, "unterminated comment"));
}

static void test_json_keeps_order_and_types(void **state)
{
    hc_error err;
    json_t *d =
        parse_json("{\"z\":1,\"a\":2.5,\"m\":\"s\",\"b\":true,\"n\":null,"
                   "\"big\":9223372036854775807}",
                   &err);
    const char *keys[] = {"z", "a", "m", "b", "n", "big"};
    const char *k;
    json_t *v;
    size_t i = 0;
    (void)state;
    assert_non_null(d);
    json_object_foreach(d, k, v) assert_string_equal(k, keys[i++]);
    assert_true(json_is_integer(json_object_get(d, "z")));
    assert_true(json_is_real(json_object_get(d, "a")));
    assert_int_equal(json_integer_value(json_object_get(d, "big")), INT64_MAX);
    json_decref(d);
}

static void test_json_duplicate_key_is_error(void **state)
{
    hc_error err;
    (void)state;
    assert_null(parse_json("{\"a\":1,\n \"a\":2}", &err));
    assert_int_equal(err.code, HC_EPARSE);
    assert_int_equal(err.line, 2);
    assert_true(err.column > 0);
    assert_non_null(strstr(err.text, "duplicate"));
}

static void test_json_error_has_line_and_column(void **state)
{
    hc_error err;
    (void)state;
    assert_null(parse_json("{\n  \"a\": 1,\n  \"b\": ]\n}", &err));
    assert_int_equal(err.code, HC_EPARSE);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 8);
    assert_string_equal(err.source, "t.json");
}

static void test_json_truncated_document(void **state)
{
    hc_error err;
    (void)state;
    assert_null(parse_json("{\"a\": [1, 2", &err));
    assert_int_equal(err.code, HC_EPARSE);
    assert_true(err.line >= 1);
}

static void test_json_invalid_utf8_is_error(void **state)
{
    hc_error err;
    (void)state;
    assert_null(parse_json("{\"a\": \"\xff\xfe\"}", &err));
    assert_int_equal(err.code, HC_EPARSE);
}

static void test_json_depth_limit_names_limit(void **state)
{
    char buf[512];
    hc_error err;
    hc_parse_options o = {0};
    json_t *d;
    (void)state;
    /* 129 levels: one past the default */
    memset(buf, '[', 129);
    memset(buf + 129, ']', 129);
    buf[258] = '\0';
    assert_null(parse_json(buf, &err));
    assert_int_equal(err.code, HC_ELIMIT);
    assert_non_null(strstr(err.text, "max_depth"));
    assert_int_equal(err.column, 129);
    /* 128 levels pass */
    buf[128] = ']';
    buf[256] = '\0';
    d = parse_json(buf + 0, &err);
    assert_non_null(d);
    json_decref(d);
    /* configurable */
    o.max_depth = 3;
    hc_error_init(&err);
    assert_null(hc_parse("[[[[1]]]]", 9, HC_FORMAT_JSON, "d.json", &o, &err));
    assert_int_equal(err.code, HC_ELIMIT);
}

static void test_json_very_deep_input_does_not_crash(void **state)
{
    size_t n = 100000;
    char *buf = malloc(n);
    hc_error err;
    (void)state;
    memset(buf, '[', n);
    hc_error_init(&err);
    assert_null(hc_parse(buf, n, HC_FORMAT_JSON, "deep.json", NULL, &err));
    assert_int_equal(err.code, HC_ELIMIT);
    free(buf);
}

static void test_json_positions_recorded_on_request(void **state)
{
    const char *text = "{\n  \"service\": {\n    \"port\": 80,\n"
                       "    \"tags\": [\"a\", {\"x/y\": 1}]\n  },\n"
                       "  \"caf\\u00e9 \\ud83d\\ude00\": 2\n}\n";
    hc_parse_options o = {0};
    hc_error err;
    int line = 0, col = 0;
    json_t *d;
    (void)state;
    o.positions = hc_posmap_new();
    hc_error_init(&err);
    d = hc_parse(text, strlen(text), HC_FORMAT_JSON, "p.json", &o, &err);
    assert_non_null(d);
    assert_int_equal(
        hc_posmap_lookup(o.positions, "/service/port", &line, &col), 0);
    assert_int_equal(line, 3);
    assert_int_equal(col, 13);
    assert_int_equal(
        hc_posmap_lookup(o.positions, "/service/tags/1/x~1y", &line, &col), 0);
    assert_int_equal(line, 4);
    assert_int_equal(hc_posmap_lookup(o.positions, "", &line, &col), 0);
    assert_int_equal(line, 1);
    assert_int_equal(hc_posmap_lookup(o.positions,
                                      "/caf\xc3\xa9 \xf0\x9f\x98\x80", &line,
                                      &col),
                     0);
    assert_int_equal(line, 6);
    assert_int_equal(col, 29);
    assert_int_equal(hc_posmap_lookup(o.positions, "/nope", &line, &col),
                     HC_ENOTFOUND);
    json_decref(d);
    hc_posmap_free(o.positions);
}

/* ---- path access ------------------------------------------------------- */

static const char *doc_text =
    "{\"service\":{\"port\":8080,\"ratio\":0.5,\"debug\":true,"
    "\"name\":\"api\"},\"servers\":[{\"host\":\"a\"},{\"host\":\"b\"},"
    "{\"host\":\"c\"}],\"labels\":{\"app.kubernetes.io/name\":\"web\","
    "\"q\\\"uote\":1},\"matrix\":[[1,2],[3,4]],\"\":{\"empty\":1}}";

static void test_get_dotted_and_indexed(void **state)
{
    hc_error err;
    json_t *d = parse_json(doc_text, &err);
    (void)state;
    assert_int_equal(json_integer_value(hc_get(d, "service.port")), 8080);
    assert_string_equal(json_string_value(hc_get(d, "servers[2].host")), "c");
    assert_int_equal(json_integer_value(hc_get(d, "matrix[1][0]")), 3);
    assert_ptr_equal(hc_get(d, ""), d);
    assert_string_equal(json_string_value(hc_get(d, "servers.1.host")), "b");
    json_decref(d);
}

static void test_get_keys_with_dots(void **state)
{
    hc_error err;
    json_t *d = parse_json(doc_text, &err);
    (void)state;
    assert_string_equal(
        json_string_value(hc_get(d, "labels[\"app.kubernetes.io/name\"]")),
        "web");
    assert_string_equal(
        json_string_value(hc_get(d, "labels.[\"app.kubernetes.io/name\"]")),
        "web");
    assert_string_equal(
        json_string_value(hc_get(d, "labels.app\\.kubernetes\\.io/name")),
        "web");
    assert_int_equal(json_integer_value(hc_get(d, "labels[\"q\\\"uote\"]")), 1);
    assert_int_equal(json_integer_value(hc_get(d, "[\"\"].empty")), 1);
    json_decref(d);
}

static void test_get_missing_and_malformed(void **state)
{
    hc_error err;
    json_t *d = parse_json(doc_text, &err), *v = (json_t *)1;
    (void)state;
    assert_null(hc_get(d, "service.nope"));
    assert_null(hc_get(d, "servers[9]"));
    assert_null(hc_get(d, "service.port.deeper"));
    assert_int_equal(hc_lookup(d, "service.nope", &v), HC_ENOTFOUND);
    assert_null(v);
    assert_int_equal(hc_lookup(d, "servers[x]", &v), HC_EPATH);
    assert_int_equal(hc_lookup(d, "servers[1", &v), HC_EPATH);
    assert_int_equal(hc_lookup(d, ".service", &v), HC_EPATH);
    assert_int_equal(hc_lookup(d, "service..port", &v), HC_EPATH);
    assert_int_equal(hc_lookup(d, "labels[\"open", &v), HC_EPATH);
    json_decref(d);
}

static void test_typed_getters_distinguish_missing_from_mismatch(void **state)
{
    hc_error err;
    json_t *d = parse_json(doc_text, &err);
    int st = 99;
    (void)state;
    assert_int_equal(hc_get_int(d, "service.port", 1, &st), 8080);
    assert_int_equal(st, 0);
    assert_int_equal(hc_get_int(d, "service.name", 7, &st), 7);
    assert_int_equal(st, HC_ETYPE);
    assert_int_equal(hc_get_int(d, "service.none", 7, &st), 7);
    assert_int_equal(st, HC_ENOTFOUND);
    assert_int_equal(hc_get_int(d, "service.ratio", 7, &st), 7);
    assert_int_equal(st, HC_ETYPE);
    assert_true(hc_get_double(d, "service.ratio", 0, &st) == 0.5);
    assert_true(hc_get_double(d, "service.port", 0, &st) == 8080.0);
    assert_int_equal(st, 0);
    assert_true(hc_get_double(d, "service.debug", -1, &st) == -1);
    assert_int_equal(st, HC_ETYPE);
    assert_int_equal(hc_get_bool(d, "service.debug", 0, &st), 1);
    assert_int_equal(hc_get_bool(d, "service.port", 0, &st), 0);
    assert_int_equal(st, HC_ETYPE);
    assert_string_equal(hc_get_string(d, "service.name", "x", &st), "api");
    assert_string_equal(hc_get_string(d, "service.port", "x", &st), "x");
    assert_int_equal(st, HC_ETYPE);
    assert_string_equal(hc_get_string(d, "a[", "x", &st), "x");
    assert_int_equal(st, HC_EPATH);
    assert_int_equal(hc_get_int(d, "service.port", 1, NULL), 8080);
    json_decref(d);
}

static void test_path_builders_round_trip(void **state)
{
    char buf[128];
    int n;
    hc_error err;
    json_t *d = parse_json(doc_text, &err);
    (void)state;
    n = hc_path_append_key(buf, sizeof buf, 0, "labels");
    n = hc_path_append_key(buf, sizeof buf, (size_t)n,
                           "app.kubernetes.io/name");
    assert_string_equal(buf, "labels[\"app.kubernetes.io/name\"]");
    assert_string_equal(json_string_value(hc_get(d, buf)), "web");
    n = hc_path_append_key(buf, sizeof buf, 0, "servers");
    n = hc_path_append_index(buf, sizeof buf, (size_t)n, 1);
    n = hc_path_append_key(buf, sizeof buf, (size_t)n, "host");
    assert_string_equal(buf, "servers[1].host");
    assert_int_equal(n, 15);
    assert_int_equal(hc_path_append_key(buf, 4, 0, "toolong"), -1);
    json_decref(d);
}

/* ---- diff -------------------------------------------------------------- */

static hc_changeset *diff_texts(const char *a, const char *b)
{
    hc_error err;
    json_t *x = parse_json(a, &err), *y = parse_json(b, &err);
    hc_changeset *cs;
    assert_non_null(x);
    assert_non_null(y);
    cs = hc_diff(x, y);
    /* the changeset must outlive the documents */
    json_decref(x);
    json_decref(y);
    assert_non_null(cs);
    return cs;
}

static void test_diff_equal_documents_have_no_changes(void **state)
{
    hc_changeset *cs = diff_texts(doc_text, doc_text);
    (void)state;
    assert_int_equal(hc_changeset_count(cs), 0);
    assert_null(hc_changeset_at(cs, 0));
    hc_changeset_free(cs);
}

static void test_diff_ops_paths_and_stable_order(void **state)
{
    hc_changeset *cs = diff_texts(
        "{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"e\":[1,2,3],\"k.x\":1}",
        "{\"new\":0,\"b\":{\"d\":4,\"c\":2,\"z\":5},\"a\":1,\"e\":[1,9],"
        "\"k.x\":2}");
    const hc_change *c;
    (void)state;
    assert_int_equal(hc_changeset_count(cs), 6);
    c = hc_changeset_at(cs, 0);
    assert_string_equal(c->path, "b.d");
    assert_int_equal(c->op, HC_CHANGE_CHANGED);
    assert_int_equal(json_integer_value(c->old_value), 3);
    assert_int_equal(json_integer_value(c->new_value), 4);
    c = hc_changeset_at(cs, 1);
    assert_string_equal(c->path, "b.z");
    assert_int_equal(c->op, HC_CHANGE_ADDED);
    assert_null(c->old_value);
    c = hc_changeset_at(cs, 2);
    assert_string_equal(c->path, "e[1]");
    assert_int_equal(c->op, HC_CHANGE_CHANGED);
    c = hc_changeset_at(cs, 3);
    assert_string_equal(c->path, "e[2]");
    assert_int_equal(c->op, HC_CHANGE_REMOVED);
    assert_int_equal(json_integer_value(c->old_value), 3);
    assert_null(c->new_value);
    c = hc_changeset_at(cs, 4);
    assert_string_equal(c->path, "[\"k.x\"]");
    c = hc_changeset_at(cs, 5);
    assert_string_equal(c->path, "new");
    assert_int_equal(c->op, HC_CHANGE_ADDED);
    hc_changeset_free(cs);
}

static void test_diff_type_change_is_one_change(void **state)
{
    hc_changeset *cs = diff_texts("{\"a\":{\"x\":1,\"y\":2},\"n\":1}",
                                  "{\"a\":[1,2],\"n\":1.0}");
    (void)state;
    assert_int_equal(hc_changeset_count(cs), 2);
    assert_string_equal(hc_changeset_at(cs, 0)->path, "a");
    assert_int_equal(hc_changeset_at(cs, 0)->op, HC_CHANGE_CHANGED);
    assert_string_equal(hc_changeset_at(cs, 1)->path, "n");
    hc_changeset_free(cs);
}

static void test_diff_against_null_lists_top_level_added(void **state)
{
    hc_error err;
    json_t *d = parse_json("{\"a\":1,\"b\":{\"c\":2}}", &err);
    hc_changeset *cs = hc_diff(NULL, d);
    json_t *j;
    (void)state;
    assert_int_equal(hc_changeset_count(cs), 2);
    assert_int_equal(hc_changeset_at(cs, 1)->op, HC_CHANGE_ADDED);
    assert_string_equal(hc_changeset_at(cs, 1)->path, "b");
    j = hc_changeset_to_json(cs);
    assert_int_equal(json_array_size(j), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(j, 0), "op")),
        "added");
    assert_null(json_object_get(json_array_get(j, 0), "old"));
    json_decref(j);
    hc_changeset_free(cs);
    cs = hc_diff(d, NULL);
    assert_int_equal(hc_changeset_at(cs, 0)->op, HC_CHANGE_REMOVED);
    hc_changeset_free(cs);
    json_decref(d);
}

static void test_dump_json_two_space_indent_keeps_order(void **state)
{
    hc_error err;
    json_t *d = parse_json("{\"z\":1,\"a\":[true]}", &err);
    char *s = hc_dump(d, HC_FORMAT_JSON, &err);
    (void)state;
    assert_string_equal(s, "{\n  \"z\": 1,\n  \"a\": [\n    true\n  ]\n}\n");
    free(s);
    json_decref(d);
}

static void test_dump_env_nest_flattens_and_refuses_ambiguity(void **state)
{
    hc_error err;
    hc_dump_options o = {"__"};
    json_t *d = parse_json("{\"S\":{\"PORT\":1,\"T\":{\"X\":\"a b\"}},"
                           "\"N\":true}",
                           &err);
    char *s = hc_dump_ex(d, HC_FORMAT_ENV, &o, &err);
    json_t *back;
    (void)state;
    assert_non_null(s);
    assert_non_null(strstr(s, "S__PORT=1\n"));
    assert_non_null(strstr(s, "S__T__X="));
    {
        hc_parse_options po = {0};
        po.env_nest = "__";
        back = hc_parse(s, strlen(s), HC_FORMAT_ENV, "x.env", &po, &err);
    }
    assert_non_null(back);
    assert_true(json_equal(back, d));
    json_decref(back);
    free(s);
    json_decref(d);
    /* a name holding the separator would nest differently when read back */
    d = parse_json("{\"A__B\":{\"C\":1}}", &err);
    assert_null(hc_dump_ex(d, HC_FORMAT_ENV, &o, &err));
    assert_int_equal(err.code, HC_EFORMAT);
    assert_null(hc_dump(d, HC_FORMAT_ENV, &err));
    assert_int_equal(err.code, HC_EFORMAT);
    json_decref(d);
}

/* ---- atomic rewrite (src/fsutil.c) -------------------------------------- */

static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    assert_non_null(d);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void test_write_atomic_modes_and_no_leftovers(void **state)
{
    char *dir = tu_mkdtemp(), *f = tu_join(dir, "a.conf"), *data;
    hc_error err;
    struct stat st;
    mode_t old = umask(077);
    (void)state;
    /* a new file gets the given mode whatever the umask */
    hc_error_init(&err);
    assert_int_equal(hc__write_atomic(f, "one", 3, 0644, 1, &err), 0);
    umask(old);
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    /* keep_mode keeps the existing file's mode, else the given one wins */
    assert_int_equal(chmod(f, 0640), 0);
    assert_int_equal(hc__write_atomic(f, "two", 3, 0644, 1, &err), 0);
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(hc__write_atomic(f, "three", 5, 0644, 0, &err), 0);
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(err.code, 0);
    data = tu_read(f, NULL);
    assert_string_equal(data, "three");
    free(data);
    assert_int_equal(dir_entries(dir), 1); /* no temp file left */
    free(f);
    tu_rmtree(dir);
    free(dir);
}

static void test_write_atomic_follows_a_symlink(void **state)
{
    char *dir = tu_mkdtemp(), *real = tu_join(dir, "real.json"),
         *link = tu_join(dir, "link.json"), *data;
    hc_error err;
    struct stat st;
    (void)state;
    tu_write(real, "{}", 2);
    assert_int_equal(symlink("real.json", link), 0);
    hc_error_init(&err);
    assert_int_equal(hc__write_atomic(link, "[1]", 3, 0644, 0, &err), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    data = tu_read(real, NULL);
    assert_string_equal(data, "[1]");
    free(data);
    assert_int_equal(dir_entries(dir), 2);
    free(real);
    free(link);
    tu_rmtree(dir);
    free(dir);
}

static void test_write_atomic_relative_name_and_failure(void **state)
{
    char *dir = tu_mkdtemp(), *bare = tu_join(dir, "bare.txt"),
         *gone = tu_join(dir, "no/such/dir/x.json"), cwd[4096], *data;
    hc_error err;
    struct stat st;
    (void)state;
    /* a bare name is written in the current directory */
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    hc_error_init(&err);
    assert_int_equal(hc__write_atomic("bare.txt", "x", 1, 0600, 0, &err), 0);
    assert_int_equal(chdir(cwd), 0);
    data = tu_read(bare, NULL);
    assert_string_equal(data, "x");
    free(data);
    assert_int_equal(stat(bare, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* a directory that does not exist: HC_ESYS naming the path */
    assert_int_equal(hc__write_atomic(gone, "x", 1, 0644, 1, &err), HC_ESYS);
    assert_int_equal(err.code, HC_ESYS);
    assert_non_null(strstr(err.source, "x.json"));
    assert_non_null(strstr(err.text, "cannot create a temp file"));
    assert_int_equal(dir_entries(dir), 1);
    free(bare);
    free(gone);
    tu_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_names_every_code),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_long_source_keeps_file_name),
        cmocka_unit_test(test_error_format_has_file_line_col),
        cmocka_unit_test(test_line_col_counts_crlf_once),
        cmocka_unit_test(test_format_from_name),
        cmocka_unit_test(test_format_parse_names),
        cmocka_unit_test(test_explicit_format_overrides_name),
        cmocka_unit_test(test_auto_with_unknown_name_is_error),
        cmocka_unit_test(test_nul_byte_is_error_with_position),
        cmocka_unit_test(test_size_limit_names_the_limit),
        cmocka_unit_test(test_file_size_limit_checked_before_reading),
        cmocka_unit_test(test_default_size_limit_is_10_mib),
        cmocka_unit_test(test_missing_file_is_enoent),
        cmocka_unit_test(test_fifo_without_writer_is_refused_without_blocking),
        cmocka_unit_test(test_devices_sockets_and_directories_are_refused),
        cmocka_unit_test(test_json_bom_at_start_is_skipped),
        cmocka_unit_test(test_jsonc_comments_and_trailing_commas),
        cmocka_unit_test(test_jsonc_errors_keep_exact_positions),
        cmocka_unit_test(test_json_keeps_order_and_types),
        cmocka_unit_test(test_json_duplicate_key_is_error),
        cmocka_unit_test(test_json_error_has_line_and_column),
        cmocka_unit_test(test_json_truncated_document),
        cmocka_unit_test(test_json_invalid_utf8_is_error),
        cmocka_unit_test(test_json_depth_limit_names_limit),
        cmocka_unit_test(test_json_very_deep_input_does_not_crash),
        cmocka_unit_test(test_json_positions_recorded_on_request),
        cmocka_unit_test(test_get_dotted_and_indexed),
        cmocka_unit_test(test_get_keys_with_dots),
        cmocka_unit_test(test_get_missing_and_malformed),
        cmocka_unit_test(test_typed_getters_distinguish_missing_from_mismatch),
        cmocka_unit_test(test_path_builders_round_trip),
        cmocka_unit_test(test_diff_equal_documents_have_no_changes),
        cmocka_unit_test(test_diff_ops_paths_and_stable_order),
        cmocka_unit_test(test_diff_type_change_is_one_change),
        cmocka_unit_test(test_diff_against_null_lists_top_level_added),
        cmocka_unit_test(test_dump_json_two_space_indent_keeps_order),
        cmocka_unit_test(test_dump_env_nest_flattens_and_refuses_ambiguity),
        cmocka_unit_test(test_write_atomic_modes_and_no_leftovers),
        cmocka_unit_test(test_write_atomic_follows_a_symlink),
        cmocka_unit_test(test_write_atomic_relative_name_and_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
