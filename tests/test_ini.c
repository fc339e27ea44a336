/*
 * test_ini.c - the INI parser (parse_ini.c) and emitter (emit_ini.c): one
 * test per rule, every error with its line and column, the limits, value
 * positions, and round trips through hc_dump and back.
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

static json_t *parse_opts(const char *text, const hc_parse_options *opts)
{
    hc_error err;
    json_t *doc;
    hc_error_init(&err);
    doc = hc_parse(text, strlen(text), HC_FORMAT_INI, "t.ini", opts, &err);
    if (!doc)
        fail_msg("unexpected error: %d:%d: %s", err.line, err.column, err.text);
    return doc;
}

static json_t *parse(const char *text)
{
    return parse_opts(text, NULL);
}

/* Asserts that text fails with code at line:col and text holding needle. */
static void expect_error_opts(const char *text, size_t len,
                              const hc_parse_options *opts, int code, int line,
                              int col, const char *needle)
{
    hc_error err;
    json_t *doc;
    hc_error_init(&err);
    doc = hc_parse(text, len, HC_FORMAT_INI, "t.ini", opts, &err);
    if (doc)
        json_decref(doc);
    assert_null(doc);
    if (err.code != code || err.line != line || err.column != col ||
        !strstr(err.text, needle))
        fail_msg("got %s %d:%d '%s', want %s %d:%d '%s'", hc_err_name(err.code),
                 err.line, err.column, err.text, hc_err_name(code), line, col,
                 needle);
    assert_string_equal(err.source, "t.ini");
}

static void expect_error(const char *text, int line, int col,
                         const char *needle)
{
    expect_error_opts(text, strlen(text), NULL, HC_EPARSE, line, col, needle);
}

/* The JSON text of v (compact, sorted as stored). */
static void assert_json(const json_t *v, const char *want)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    if (strcmp(s, want) != 0)
        fail_msg("got %s, want %s", s, want);
    free(s);
}

static void assert_parses_to(const char *text, const char *want)
{
    json_t *doc = parse(text);
    assert_json(doc, want);
    json_decref(doc);
}

/* ---- structure --------------------------------------------------------- */

static void test_section_becomes_object(void **state)
{
    (void)state;
    assert_parses_to("[server]\nhost = a\nport = 80\n",
                     "{\"server\":{\"host\":\"a\",\"port\":80}}");
}

static void test_keys_before_any_section_are_top_level(void **state)
{
    (void)state;
    assert_parses_to("name = x\n[s]\nk = v\n",
                     "{\"name\":\"x\",\"s\":{\"k\":\"v\"}}");
}

static void test_empty_input_is_empty_object(void **state)
{
    (void)state;
    assert_parses_to("", "{}");
    assert_parses_to("\n\n; only comments\n", "{}");
}

static void test_empty_section_is_empty_object(void **state)
{
    (void)state;
    assert_parses_to("[a]\n[b]\nk=1\n", "{\"a\":{},\"b\":{\"k\":1}}");
}

static void test_repeated_section_merges(void **state)
{
    (void)state;
    assert_parses_to("[s]\na=1\n[t]\nx=0\n[s]\nb=2\n",
                     "{\"s\":{\"a\":1,\"b\":2},\"t\":{\"x\":0}}");
}

static void test_repeated_key_last_wins(void **state)
{
    (void)state;
    assert_parses_to("[s]\na=1\nb=2\na=3\n", "{\"s\":{\"a\":3,\"b\":2}}");
    assert_parses_to("a=1\na=x\n", "{\"a\":\"x\"}");
}

static void test_colon_separates_like_equals(void **state)
{
    (void)state;
    assert_parses_to("a: 1\nb : two\nc:3\n", "{\"a\":1,\"b\":\"two\",\"c\":3}");
}

static void test_first_separator_splits(void **state)
{
    (void)state;
    assert_parses_to("a = b : c\nd : e = f\nurl = http://x/?q=1\n",
                     "{\"a\":\"b : c\",\"d\":\"e = f\",\"url\":"
                     "\"http://x/?q=1\"}");
}

static void test_whitespace_around_names_and_values_is_trimmed(void **state)
{
    (void)state;
    assert_parses_to("  \t key  name \t =  \t some value \t \n",
                     "{\"key  name\":\"some value\"}");
}

static void test_section_names_are_trimmed(void **state)
{
    (void)state;
    assert_parses_to("[ my section ]\nk=v\n", "{\"my section\":{\"k\":\"v\"}}");
}

static void test_empty_value_is_empty_string(void **state)
{
    (void)state;
    assert_parses_to("a =\nb=   \nc = ; comment\n",
                     "{\"a\":\"\",\"b\":\"\",\"c\":\"\"}");
}

static void test_names_may_hold_any_other_text(void **state)
{
    (void)state;
    assert_parses_to("test;3 = 1\nContent-Type: text/html\nk.e.y = 2\n",
                     "{\"test;3\":1,\"Content-Type\":\"text/html\","
                     "\"k.e.y\":2}");
}

/* ---- comments ---------------------------------------------------------- */

static void test_semicolon_and_hash_start_comment_lines(void **state)
{
    (void)state;
    assert_parses_to("; c1\n# c2\n  ; indented\n\t# indented\na=1\n",
                     "{\"a\":1}");
}

static void test_inline_comment_needs_whitespace_before_semicolon(void **state)
{
    (void)state;
    assert_parses_to("a = 1;2;3 ; note\nb = x\t; tab too\nc =; not\n",
                     "{\"a\":\"1;2;3\",\"b\":\"x\",\"c\":\"; not\"}");
}

static void test_hash_is_never_an_inline_comment(void **state)
{
    (void)state;
    assert_parses_to("a = 4#5 # six\n", "{\"a\":\"4#5 # six\"}");
}

static void test_section_line_may_end_with_a_comment(void **state)
{
    (void)state;
    assert_parses_to("[a] ; one\n[b]# two\n[c]\t\n",
                     "{\"a\":{},\"b\":{},\"c\":{}}");
}

/* ---- continuation lines ------------------------------------------------ */

static void test_indented_line_continues_value(void **state)
{
    (void)state;
    assert_parses_to("[s]\nmulti = this is a\n   multi-line value\nnext = 1\n",
                     "{\"s\":{\"multi\":\"this is a\\nmulti-line value\","
                     "\"next\":1}}");
}

static void test_continuation_drops_inline_comment(void **state)
{
    (void)state;
    assert_parses_to("foo = bar ;c1\n      Hi World ;c2\n",
                     "{\"foo\":\"bar\\nHi World\"}");
}

static void test_continuation_survives_blank_and_comment_lines(void **state)
{
    (void)state;
    assert_parses_to("a = 1\n\n; note\n  2\n", "{\"a\":\"1\\n2\"}");
}

static void test_continuation_of_empty_value_starts_with_newline(void **state)
{
    (void)state;
    assert_parses_to("a =\n  x\n  y\n", "{\"a\":\"\\nx\\ny\"}");
}

static void test_continued_value_is_typed_as_a_whole(void **state)
{
    (void)state;
    assert_parses_to("a = 1\n  2\nb = 3\n", "{\"a\":\"1\\n2\",\"b\":3}");
}

static void test_equally_indented_keys_are_not_continuations(void **state)
{
    (void)state;
    assert_parses_to("[s]\n  a = 1\n  b = 2\n    more\n",
                     "{\"s\":{\"a\":1,\"b\":\"2\\nmore\"}}");
}

static void test_indented_line_after_section_is_a_key(void **state)
{
    (void)state;
    assert_parses_to("[s]\n  k = v\n", "{\"s\":{\"k\":\"v\"}}");
}

static void test_continuation_at_the_keys_depth_follows_inih(void **state)
{
    (void)state;
    /* .gitconfig: a wrapped alias at the depth of its key continues it,
     * where it used to be an error at its line; the next "name = value"
     * at that depth is still a key */
    assert_parses_to("[alias]\n"
                     "\tlg = log --graph\n"
                     "\t--oneline --decorate\n"
                     "\tst = status -sb\n",
                     "{\"alias\":{\"lg\":\"log --graph\\n--oneline "
                     "--decorate\",\"st\":\"status -sb\"}}");
}

static void test_name_without_value_needs_the_option(void **state)
{
    hc_parse_options o = {0};
    json_t *d;
    (void)state;
    expect_error("[mysqld]\nport = 3306\nskip-external-locking\n", 3, 1,
                 "ini_allow_no_value");
    expect_error("[mysqld]\nskip-networking\n", 2, 1, "--ini-allow-no-value");
    o.ini_allow_no_value = 1;
    d = parse_opts("[mysqld]\n"
                   "port = 3306\n"
                   "skip-external-locking\n"
                   "quick ; faster dumps\n"
                   "[webservers]\n"
                   "alpha.example.org\n"
                   "beta.example.org:2222\n",
                   &o);
    assert_json(d, "{\"mysqld\":{\"port\":3306,\"skip-external-locking\":"
                   "null,\"quick\":null},\"webservers\":{\"alpha.example."
                   "org\":null,\"beta.example.org\":2222}}");
    json_decref(d);
}

static void test_bom_after_leading_comments_is_skipped(void **state)
{
    (void)state;
    assert_parses_to("; generated\n\xEF\xBB\xBF[s]\nk=v\n",
                     "{\"s\":{\"k\":\"v\"}}");
    expect_error("[s]\n\xEF\xBB\xBFk=v\n", 2, 1, "byte order mark");
    expect_error("k=v\xEF\xBB\xBF\n", 1, 4, "byte order mark");
}

static void test_indented_comment_is_not_a_continuation(void **state)
{
    (void)state;
    assert_parses_to("a = 1\n  ; comment\n  # comment\n", "{\"a\":1}");
}

/* ---- encodings and line ends -------------------------------------------- */

static void test_bom_is_skipped(void **state)
{
    (void)state;
    assert_parses_to("\xEF\xBB\xBF[s]\nk=v\n", "{\"s\":{\"k\":\"v\"}}");
}

static void test_crlf_and_cr_line_ends(void **state)
{
    (void)state;
    assert_parses_to("[s]\r\na = 1\r\nb = 2\rc = 3\n",
                     "{\"s\":{\"a\":1,\"b\":2,\"c\":3}}");
}

static void test_utf8_names_and_values(void **state)
{
    (void)state;
    assert_parses_to("[caf\xC3\xA9]\nkey\xE2\x80\x9C = value\xE2\x80\x9C\n",
                     "{\"caf\xC3\xA9\":{\"key\xE2\x80\x9C\":"
                     "\"value\xE2\x80\x9C\"}}");
}

static void test_no_length_limit_on_lines_and_names(void **state)
{
    size_t n = 300000;
    char *text = malloc(2 * n + 64), *p = text;
    json_t *doc, *sect;
    (void)state;
    *p++ = '[';
    memset(p, 's', n);
    p += n;
    memcpy(p, "]\nk = ", 6);
    p += 6;
    memset(p, 'v', n);
    p += n;
    *p++ = '\n';
    *p = '\0';
    doc = parse(text);
    assert_int_equal(json_object_size(doc), 1);
    sect = json_object_iter_value(json_object_iter(doc));
    assert_int_equal(strlen(json_object_iter_key(json_object_iter(doc))), n);
    assert_int_equal(json_string_length(json_object_get(sect, "k")), n);
    json_decref(doc);
    free(text);
}

/* ---- typing ------------------------------------------------------------ */

static void test_values_are_typed(void **state)
{
    (void)state;
    assert_parses_to("a = 42\nb = -1.5\nc = TRUE\nd = false\ne = 007\n"
                     "f = hello\ng = 1e3\n",
                     "{\"a\":42,\"b\":-1.5,\"c\":true,\"d\":false,\"e\":"
                     "\"007\",\"f\":\"hello\",\"g\":1000.0}");
}

static void test_no_typing_keeps_every_value_a_string(void **state)
{
    hc_parse_options o = {0};
    json_t *doc;
    (void)state;
    o.no_typing = 1;
    doc = parse_opts("a = 42\nb = true\nc = 1.5\n", &o);
    assert_json(doc, "{\"a\":\"42\",\"b\":\"true\",\"c\":\"1.5\"}");
    json_decref(doc);
}

/* ---- errors ------------------------------------------------------------- */

static void test_section_without_closing_bracket_is_an_error(void **state)
{
    (void)state;
    expect_error("[ok]\n  [section2\n", 2, 3, "no closing ']'");
}

static void test_inline_comment_inside_section_header_is_an_error(void **state)
{
    (void)state;
    expect_error("[section3   ; comment ]\n", 1, 1, "no closing ']'");
}

static void test_text_after_section_header_is_an_error(void **state)
{
    (void)state;
    expect_error("[a] b\n", 1, 5, "after the section header");
}

static void test_empty_section_name_is_an_error(void **state)
{
    (void)state;
    expect_error("k=1\n[  ]\n", 2, 1, "empty section name");
}

static void test_line_without_separator_is_an_error(void **state)
{
    (void)state;
    expect_error("[s]\n   just words\n", 2, 4, "expected 'name = value'");
}

static void test_indented_text_before_any_key_is_an_error(void **state)
{
    (void)state;
    expect_error("  indented\n", 1, 3, "expected 'name = value'");
}

static void test_separator_after_inline_comment_does_not_count(void **state)
{
    (void)state;
    expect_error("key ; x = 1\n", 1, 1, "expected 'name = value'");
}

static void
test_deeper_indented_line_after_a_key_is_a_continuation(void **state)
{
    /* the flip side of continuation lines: this is not a section */
    (void)state;
    assert_parses_to("a=1\n  [b]\n", "{\"a\":\"1\\n[b]\"}");
}

static void test_missing_name_is_an_error(void **state)
{
    (void)state;
    expect_error("[s]\n  = 2\n", 2, 3, "missing name before '='");
    expect_error(": 2\n", 1, 1, "missing name before ':'");
}

static void test_invalid_utf8_is_an_error_at_its_byte(void **state)
{
    (void)state;
    expect_error("[s]\nk = ab\xFF\n", 2, 7, "invalid UTF-8");
    expect_error("k = \xC0\xAF\n", 1, 5, "invalid UTF-8");
}

static void test_invalid_utf8_column_after_bom(void **state)
{
    (void)state;
    expect_error("\xEF\xBB\xBFk=\xFF\n", 1, 3, "invalid UTF-8");
}

static void test_section_named_like_top_level_key_is_an_error(void **state)
{
    (void)state;
    expect_error("a = 1\n[b]\n[a]\n", 3, 2, "same name as a top-level key");
}

static void test_nul_byte_is_an_error(void **state)
{
    (void)state;
    expect_error_opts("a=1\nb=\0\n", 7, NULL, HC_EPARSE, 2, 3, "NUL byte");
}

static void test_error_format_names_file_line_and_column(void **state)
{
    hc_error err;
    char buf[512];
    json_t *doc;
    (void)state;
    hc_error_init(&err);
    doc = hc_parse("[a\n", 3, HC_FORMAT_INI, "conf/app.ini", NULL, &err);
    assert_null(doc);
    hc_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf,
                        "conf/app.ini:1:1: section header has no closing ']'");
}

/* ---- limits ------------------------------------------------------------- */

static void test_size_limit_names_max_size(void **state)
{
    hc_parse_options o = {0};
    (void)state;
    o.max_size = 8;
    expect_error_opts("a = 123456\n", 11, &o, HC_ELIMIT, 0, 0, "max_size");
}

static void test_depth_limit_below_two_rejects_sections(void **state)
{
    hc_parse_options o = {0};
    json_t *doc;
    (void)state;
    o.max_depth = 1;
    expect_error_opts("a=1\n[s]\nb=2\n", 12, &o, HC_ELIMIT, 2, 1, "max_depth");
    doc = parse_opts("a=1\nb=2\n", &o); /* top-level keys only: depth 1 */
    assert_int_equal(json_object_size(doc), 2);
    json_decref(doc);
}

/* ---- positions ---------------------------------------------------------- */

static void assert_pos(hc_posmap *m, const char *ptr, int line, int col)
{
    int l = 0, c = 0;
    if (hc_posmap_lookup(m, ptr, &l, &c) != 0)
        fail_msg("no position for '%s'", ptr);
    if (l != line || c != col)
        fail_msg("'%s' at %d:%d, want %d:%d", ptr, l, c, line, col);
}

static void test_positions_name_each_value(void **state)
{
    hc_parse_options o = {0};
    json_t *doc;
    (void)state;
    o.positions = hc_posmap_new();
    doc = parse_opts("top = 1\n\n[server]\n  port =  8080\n"
                     "multi = a\n  b\n[a/b~c]\nk=\n",
                     &o);
    assert_pos(o.positions, "/top", 1, 7);
    assert_pos(o.positions, "/server", 3, 1);
    assert_pos(o.positions, "/server/port", 4, 11);
    assert_pos(o.positions, "/server/multi", 5, 9);
    assert_pos(o.positions, "/a~1b~0c", 7, 1);
    assert_pos(o.positions, "/a~1b~0c/k", 8, 3);
    assert_int_equal(hc_posmap_lookup(o.positions, "/nope", NULL, NULL),
                     HC_ENOTFOUND);
    json_decref(doc);
    hc_posmap_free(o.positions);
}

static void test_positions_after_bom_and_crlf(void **state)
{
    hc_parse_options o = {0};
    json_t *doc;
    (void)state;
    o.positions = hc_posmap_new();
    doc = parse_opts("\xEF\xBB\xBF"
                     "a = 1\r\n[s]\r\nb = 2\r\n",
                     &o);
    assert_pos(o.positions, "/a", 1, 5);
    assert_pos(o.positions, "/s/b", 3, 5);
    json_decref(doc);
    hc_posmap_free(o.positions);
}

static void test_repeated_key_position_is_the_last(void **state)
{
    hc_parse_options o = {0};
    json_t *doc;
    (void)state;
    o.positions = hc_posmap_new();
    doc = parse_opts("[s]\na = 1\n[s]\na = 2\n", &o);
    assert_pos(o.positions, "/s/a", 4, 5);
    assert_pos(o.positions, "/s", 1, 1);
    json_decref(doc);
    hc_posmap_free(o.positions);
}

/* ---- files -------------------------------------------------------------- */

static void test_ini_file_is_detected_by_extension(void **state)
{
    char *dir = tu_mkdtemp();
    const char *names[] = {"app.ini", "app.cfg", "app.conf"};
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        char *path = tu_join(dir, names[i]);
        hc_error err;
        json_t *doc;
        hc_error_init(&err);
        tu_write(path, "[db]\nport = 5432\n", (size_t)-1);
        doc = hc_parse_file(path, HC_FORMAT_AUTO, NULL, &err);
        assert_non_null(doc);
        assert_int_equal(hc_get_int(doc, "db.port", 0, NULL), 5432);
        json_decref(doc);
        free(path);
    }
    tu_rmtree(dir);
    free(dir);
}

static void test_file_error_names_the_file(void **state)
{
    char *dir = tu_mkdtemp(), *path = tu_join(dir, "bad.ini");
    hc_error err;
    (void)state;
    hc_error_init(&err);
    tu_write(path, "[ok]\nno separator here\n", (size_t)-1);
    assert_null(hc_parse_file(path, HC_FORMAT_AUTO, NULL, &err));
    assert_int_equal(err.code, HC_EPARSE);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 1);
    assert_non_null(strstr(err.source, "bad.ini"));
    free(path);
    tu_rmtree(dir);
    free(dir);
}

/* ---- emitter ------------------------------------------------------------ */

static char *dump(const char *json)
{
    json_t *doc = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    hc_error err;
    char *s;
    assert_non_null(doc);
    hc_error_init(&err);
    s = hc_dump(doc, HC_FORMAT_INI, &err);
    json_decref(doc);
    if (!s)
        fail_msg("dump failed: %s", err.text);
    return s;
}

static void expect_dump_error(const char *json, const char *needle)
{
    json_t *doc = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    hc_error err;
    char *s;
    assert_non_null(doc);
    hc_error_init(&err);
    s = hc_dump(doc, HC_FORMAT_INI, &err);
    json_decref(doc);
    free(s);
    assert_null(s);
    assert_int_equal(err.code, HC_EFORMAT);
    if (!strstr(err.text, needle))
        fail_msg("error '%s' lacks '%s'", err.text, needle);
}

static void test_dump_writes_top_level_scalars_before_sections(void **state)
{
    char *s;
    (void)state;
    s = dump("{\"a\":1,\"s\":{\"k\":\"v\",\"n\":true},\"b\":\"x\",\"t\":{}}");
    assert_string_equal(s, "a = 1\nb = x\n\n[s]\nk = v\nn = true\n\n[t]\n");
    free(s);
}

static void test_dump_of_empty_object_is_empty(void **state)
{
    char *s = dump("{}");
    (void)state;
    assert_string_equal(s, "");
    free(s);
}

static void test_dump_writes_multi_line_strings_as_continuations(void **state)
{
    char *s = dump("{\"a\":\"one\\ntwo\",\"b\":\"\\nx\"}");
    (void)state;
    assert_string_equal(s, "a = one\n  two\nb =\n  x\n");
    free(s);
}

static void test_dump_writes_shortest_reals(void **state)
{
    char *s = dump("{\"a\":0.1,\"b\":100.0,\"c\":-2.5e-300}");
    (void)state;
    assert_string_equal(s, "a = 0.1\nb = 100.0\nc = -2.5e-300\n");
    free(s);
}

static void round_trip(const char *json, const hc_parse_options *opts)
{
    json_t *doc = json_loads(json, 0, NULL), *back;
    hc_error err;
    char *s;
    assert_non_null(doc);
    hc_error_init(&err);
    s = hc_dump(doc, HC_FORMAT_INI, &err);
    if (!s)
        fail_msg("dump failed: %s", err.text);
    back = hc_parse(s, strlen(s), HC_FORMAT_INI, "rt.ini", opts, &err);
    if (!back)
        fail_msg("re-parse failed: %s\n%s", err.text, s);
    if (!json_equal(doc, back)) {
        char *b = json_dumps(back, JSON_COMPACT);
        fail_msg("round trip changed %s into %s via\n%s", json, b, s);
    }
    json_decref(doc);
    json_decref(back);
    free(s);
}

static void test_dump_round_trips(void **state)
{
    (void)state;
    round_trip("{\"name\":\"svc\",\"debug\":false,\"ratio\":0.25,"
               "\"server\":{\"host\":\"h\",\"port\":8080,\"tags\":\"a;b #c\","
               "\"motd\":\"line one\\nline two\\n[not a section]\","
               "\"empty\":\"\",\"big\":9223372036854775807,"
               "\"tiny\":5e-324,\"eq\":\"a = b : c\"},\"other\":{}}",
               NULL);
}

static void test_dump_of_number_like_string_comes_back_typed(void **state)
{
    hc_parse_options o = {0};
    char *s = dump("{\"port\":\"8080\",\"on\":\"true\"}");
    json_t *back;
    (void)state;
    assert_string_equal(s, "port = 8080\non = true\n");
    back = parse(s);
    assert_json(back, "{\"port\":8080,\"on\":true}");
    json_decref(back);
    o.no_typing = 1;
    round_trip("{\"port\":\"8080\",\"on\":\"true\",\"z\":\"007\"}", &o);
    free(s);
}

static void test_dump_refuses_a_bom_character(void **state)
{
    (void)state;
    /* the parser refuses U+FEFF past the start, so the emitter cannot
     * write it */
    expect_dump_error("{\"\\ufeffk\":1}", "U+FEFF");
    expect_dump_error("{\"s\":{\"k\":\"a\\ufeff\"}}", "U+FEFF");
}

static void test_dump_refuses_what_ini_cannot_hold(void **state)
{
    (void)state;
    expect_dump_error("[1,2]", "not an array");
    expect_dump_error("3", "not a single value");
    expect_dump_error("{\"a\":[1]}", "array at 'a'");
    expect_dump_error("{\"s\":{\"t\":{}}}", "object at 's.t'");
    expect_dump_error("{\"s\":{\"a\":[]}}", "array at 's.a'");
    expect_dump_error("{\"a\":null}", "null at 'a'");
    expect_dump_error("{\"s\":{\"n\":null}}", "null at 's.n'");
}

static void test_dump_refuses_text_ini_would_change(void **state)
{
    (void)state;
    expect_dump_error("{\"a\":\" padded\"}", "whitespace");
    expect_dump_error("{\"a\":\"padded \"}", "whitespace");
    expect_dump_error("{\"a\":\"x ;y\"}", "' ;'");
    expect_dump_error("{\"a\":\";x\"}", "starts with ';'");
    expect_dump_error("{\"a\":\"x\\r\\ny\"}", "carriage return");
    expect_dump_error("{\"a\":\"x\\n\\ny\"}", "empty line");
    expect_dump_error("{\"a\":\"x\\n;y\"}", "starts with ';' or '#'");
    expect_dump_error("{\"a\":\"x\\n y\"}", "whitespace");
    expect_dump_error("{\"a\":\"x\\u0000y\"}", "NUL byte");
}

static void test_dump_refuses_names_ini_cannot_hold(void **state)
{
    (void)state;
    expect_dump_error("{\"a=b\":1}", "'='");
    expect_dump_error("{\"a:b\":1}", "':'");
    expect_dump_error("{\"\":1}", "empty");
    expect_dump_error("{\" a\":1}", "whitespace");
    expect_dump_error("{\"[a\":1}", "starts with '['");
    expect_dump_error("{\"#a\":1}", "starts with");
    expect_dump_error("{\"s]\":{}}", "section name: it holds ']'");
    expect_dump_error("{\"s\":{\"k\\nx\":1}}", "line break");
}

static void test_binary_garbage_is_a_clean_error(void **state)
{
    /* deterministic pseudo-random bytes, NULs removed: must fail with a
     * position, never crash */
    unsigned char buf[4096];
    unsigned x = 12345;
    hc_error err;
    (void)state;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (unsigned char)((x >> 16) | 1);
    }
    hc_error_init(&err);
    assert_null(hc_parse((const char *)buf, sizeof buf, HC_FORMAT_INI, "bin",
                         NULL, &err));
    assert_int_equal(err.code, HC_EPARSE);
    assert_true(err.line >= 1 && err.column >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_section_becomes_object),
        cmocka_unit_test(test_keys_before_any_section_are_top_level),
        cmocka_unit_test(test_empty_input_is_empty_object),
        cmocka_unit_test(test_empty_section_is_empty_object),
        cmocka_unit_test(test_repeated_section_merges),
        cmocka_unit_test(test_repeated_key_last_wins),
        cmocka_unit_test(test_colon_separates_like_equals),
        cmocka_unit_test(test_first_separator_splits),
        cmocka_unit_test(test_whitespace_around_names_and_values_is_trimmed),
        cmocka_unit_test(test_section_names_are_trimmed),
        cmocka_unit_test(test_empty_value_is_empty_string),
        cmocka_unit_test(test_names_may_hold_any_other_text),
        cmocka_unit_test(test_semicolon_and_hash_start_comment_lines),
        cmocka_unit_test(test_inline_comment_needs_whitespace_before_semicolon),
        cmocka_unit_test(test_hash_is_never_an_inline_comment),
        cmocka_unit_test(test_section_line_may_end_with_a_comment),
        cmocka_unit_test(test_indented_line_continues_value),
        cmocka_unit_test(test_continuation_drops_inline_comment),
        cmocka_unit_test(test_continuation_survives_blank_and_comment_lines),
        cmocka_unit_test(test_continuation_of_empty_value_starts_with_newline),
        cmocka_unit_test(test_continued_value_is_typed_as_a_whole),
        cmocka_unit_test(test_equally_indented_keys_are_not_continuations),
        cmocka_unit_test(test_indented_line_after_section_is_a_key),
        cmocka_unit_test(test_indented_comment_is_not_a_continuation),
        cmocka_unit_test(test_continuation_at_the_keys_depth_follows_inih),
        cmocka_unit_test(test_name_without_value_needs_the_option),
        cmocka_unit_test(test_bom_after_leading_comments_is_skipped),
        cmocka_unit_test(test_bom_is_skipped),
        cmocka_unit_test(test_crlf_and_cr_line_ends),
        cmocka_unit_test(test_utf8_names_and_values),
        cmocka_unit_test(test_no_length_limit_on_lines_and_names),
        cmocka_unit_test(test_values_are_typed),
        cmocka_unit_test(test_no_typing_keeps_every_value_a_string),
        cmocka_unit_test(test_section_without_closing_bracket_is_an_error),
        cmocka_unit_test(test_inline_comment_inside_section_header_is_an_error),
        cmocka_unit_test(test_text_after_section_header_is_an_error),
        cmocka_unit_test(test_empty_section_name_is_an_error),
        cmocka_unit_test(test_line_without_separator_is_an_error),
        cmocka_unit_test(test_indented_text_before_any_key_is_an_error),
        cmocka_unit_test(test_separator_after_inline_comment_does_not_count),
        cmocka_unit_test(
            test_deeper_indented_line_after_a_key_is_a_continuation),
        cmocka_unit_test(test_missing_name_is_an_error),
        cmocka_unit_test(test_invalid_utf8_is_an_error_at_its_byte),
        cmocka_unit_test(test_invalid_utf8_column_after_bom),
        cmocka_unit_test(test_section_named_like_top_level_key_is_an_error),
        cmocka_unit_test(test_nul_byte_is_an_error),
        cmocka_unit_test(test_error_format_names_file_line_and_column),
        cmocka_unit_test(test_size_limit_names_max_size),
        cmocka_unit_test(test_depth_limit_below_two_rejects_sections),
        cmocka_unit_test(test_positions_name_each_value),
        cmocka_unit_test(test_positions_after_bom_and_crlf),
        cmocka_unit_test(test_repeated_key_position_is_the_last),
        cmocka_unit_test(test_ini_file_is_detected_by_extension),
        cmocka_unit_test(test_file_error_names_the_file),
        cmocka_unit_test(test_dump_writes_top_level_scalars_before_sections),
        cmocka_unit_test(test_dump_of_empty_object_is_empty),
        cmocka_unit_test(test_dump_writes_multi_line_strings_as_continuations),
        cmocka_unit_test(test_dump_writes_shortest_reals),
        cmocka_unit_test(test_dump_round_trips),
        cmocka_unit_test(test_dump_of_number_like_string_comes_back_typed),
        cmocka_unit_test(test_dump_refuses_a_bom_character),
        cmocka_unit_test(test_dump_refuses_what_ini_cannot_hold),
        cmocka_unit_test(test_dump_refuses_text_ini_would_change),
        cmocka_unit_test(test_dump_refuses_names_ini_cannot_hold),
        cmocka_unit_test(test_binary_garbage_is_a_clean_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
