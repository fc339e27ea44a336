/*
 * test_env.c - the .env parser (parse_env.c) and emitter (emit_env.c): one
 * test per rule, every error with its line and column, expansion and its
 * bound, nesting, value positions, and round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"
#include "testutil.h"

static json_t *parse_opts(const char *text, const hc_parse_options *opts)
{
    hc_error err;
    json_t *doc;
    hc_error_init(&err);
    doc = hc_parse(text, strlen(text), HC_FORMAT_ENV, "t.env", opts, &err);
    if (!doc)
        fail_msg("unexpected error: %d:%d: %s", err.line, err.column, err.text);
    return doc;
}

static void assert_json(const json_t *v, const char *want)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    if (strcmp(s, want) != 0)
        fail_msg("got %s, want %s", s, want);
    free(s);
}

static void assert_parses_opts(const char *text, const hc_parse_options *o,
                               const char *want)
{
    json_t *doc = parse_opts(text, o);
    assert_json(doc, want);
    json_decref(doc);
}

static void assert_parses_to(const char *text, const char *want)
{
    assert_parses_opts(text, NULL, want);
}

static void expect_error_opts(const char *text, size_t len,
                              const hc_parse_options *opts, int code, int line,
                              int col, const char *needle)
{
    hc_error err;
    json_t *doc;
    hc_error_init(&err);
    doc = hc_parse(text, len, HC_FORMAT_ENV, "t.env", opts, &err);
    if (doc)
        json_decref(doc);
    assert_null(doc);
    if (err.code != code || err.line != line || err.column != col ||
        !strstr(err.text, needle))
        fail_msg("got %s %d:%d '%s', want %s %d:%d '%s'", hc_err_name(err.code),
                 err.line, err.column, err.text, hc_err_name(code), line, col,
                 needle);
}

static void expect_error(const char *text, int line, int col,
                         const char *needle)
{
    expect_error_opts(text, strlen(text), NULL, HC_EPARSE, line, col, needle);
}

/* ---- statements ---------------------------------------------------------- */

static void test_nested_default_expands(void **state)
{
    (void)state;
    /* was the literal text "${B}" before */
    assert_parses_to("B=fromb\nX=${HC_T_UNSET_A:-${B}}\n",
                     "{\"B\":\"fromb\",\"X\":\"fromb\"}");
    assert_parses_to("X=\"${HC_T_UNSET_A:-${HC_T_UNSET_B:-lit}/x}\"\n"
                     "Y=${HC_T_UNSET_A:-$X-y}\n",
                     "{\"X\":\"lit/x\",\"Y\":\"lit/x-y\"}");
    /* a set variable wins; its default is not even expanded */
    assert_parses_to("A=a\nX=${A:-${HC_T_UNSET_B:-no}}\n",
                     "{\"A\":\"a\",\"X\":\"a\"}");
    expect_error("X=${HC_T_UNSET_A:-${B}\n", 1, 3, "expected '}'");
}

static void test_bom_after_leading_comments_is_skipped(void **state)
{
    hc_error err;
    (void)state;
    assert_parses_to("# generated\n\xEF\xBB\xBF"
                     "A=1\n",
                     "{\"A\":1}");
    expect_error("A=1\n\xEF\xBB\xBF"
                 "B=2\n",
                 2, 1, "byte order mark");
    expect_error("A=\"x\xEF\xBB\xBF\"\n", 1, 5, "byte order mark");
    /* and the emitter does not write what the parser refuses */
    {
        json_t *d = json_pack("{s:s}", "A", "x\xEF\xBB\xBF");
        assert_null(hc_dump(d, HC_FORMAT_ENV, &err));
        assert_int_equal(err.code, HC_EFORMAT);
        json_decref(d);
    }
}

static void test_key_value_lines(void **state)
{
    (void)state;
    assert_parses_to("A=x\nB=y\n", "{\"A\":\"x\",\"B\":\"y\"}");
}

static void test_whitespace_around_equals_and_indent(void **state)
{
    (void)state;
    assert_parses_to("A = x\n  B\t=\ty\nC =z\n",
                     "{\"A\":\"x\",\"B\":\"y\",\"C\":\"z\"}");
}

static void test_export_prefix_is_dropped(void **state)
{
    (void)state;
    assert_parses_to("export A=1\nexport\t  B = 2\n", "{\"A\":1,\"B\":2}");
}

static void test_export_may_itself_be_a_key(void **state)
{
    (void)state;
    assert_parses_to("export=1\nexport = 2\nexported=3\n",
                     "{\"export\":2,\"exported\":3}");
}

static void test_bare_export_of_assigned_name_is_a_no_op(void **state)
{
    (void)state;
    assert_parses_to("A=2\nexport A\nexport A # again\n", "{\"A\":2}");
}

static void test_bare_export_of_unassigned_name_is_an_error(void **state)
{
    (void)state;
    expect_error("A=2\nexport NOT_SET\n", 2, 8, "not assigned earlier");
}

static void test_blank_and_comment_lines_are_skipped(void **state)
{
    (void)state;
    assert_parses_to("\n  \n# c\n   # indented c\n\t\nA=1\n# A=2\n",
                     "{\"A\":1}");
}

static void test_key_may_hold_dots_and_dashes(void **state)
{
    (void)state;
    assert_parses_to("a.b-c_D9=1\n_x=2\n", "{\"a.b-c_D9\":1,\"_x\":2}");
}

static void test_repeated_key_last_wins(void **state)
{
    (void)state;
    assert_parses_to("A=1\nB=2\nA=3\n", "{\"A\":3,\"B\":2}");
}

static void test_crlf_cr_and_bom_are_accepted(void **state)
{
    (void)state;
    assert_parses_to("\xEF\xBB\xBF"
                     "A=1\r\nB=2\rC=3\n",
                     "{\"A\":1,\"B\":2,\"C\":3}");
}

static void test_empty_input_is_empty_object(void **state)
{
    (void)state;
    assert_parses_to("", "{}");
    assert_parses_to("\xEF\xBB\xBF", "{}");
}

/* ---- unquoted values ----------------------------------------------------- */

static void test_unquoted_value_is_trimmed(void **state)
{
    (void)state;
    assert_parses_to("A=   some spaced  value \t\n",
                     "{\"A\":\"some spaced  value\"}");
}

static void test_unquoted_value_ends_at_blank_hash(void **state)
{
    (void)state;
    assert_parses_to("A=b #c\nB=b\t# c\nC=b#c\nD= #c\nE=#c\n",
                     "{\"A\":\"b\",\"B\":\"b\",\"C\":\"b#c\",\"D\":\"\","
                     "\"E\":\"#c\"}");
}

static void test_unquoted_empty_value_is_empty_string(void **state)
{
    (void)state;
    assert_parses_to("A=\nB=  \n", "{\"A\":\"\",\"B\":\"\"}");
}

static void test_unquoted_backslashes_are_literal(void **state)
{
    (void)state;
    assert_parses_to("A=a\\nb\\\\c\\ d\n",
                     "{\"A\":\"a\\\\nb\\\\\\\\c\\\\ d\"}");
}

static void test_unquoted_inner_quotes_are_literal(void **state)
{
    (void)state;
    assert_parses_to("A={\"foo\": \"bar\"}\nB=it's\n",
                     "{\"A\":\"{\\\"foo\\\": \\\"bar\\\"}\",\"B\":\"it's\"}");
}

/* ---- single quotes ------------------------------------------------------- */

static void test_single_quoted_value_is_literal(void **state)
{
    (void)state;
    assert_parses_to("A='  a\\nb $HOME ${X} #c \"q\" '\n",
                     "{\"A\":\"  a\\\\nb $HOME ${X} #c \\\"q\\\" \"}");
}

static void test_single_quoted_value_spans_lines(void **state)
{
    (void)state;
    assert_parses_to("A='one\ntwo\r\nthree\rfour'\nB=x\n",
                     "{\"A\":\"one\\ntwo\\nthree\\nfour\",\"B\":\"x\"}");
}

static void test_comment_after_closing_quote(void **state)
{
    (void)state;
    assert_parses_to("A='x' # c\nB=\"y\"# c\nC='z'  \n",
                     "{\"A\":\"x\",\"B\":\"y\",\"C\":\"z\"}");
}

static void test_text_after_closing_quote_is_an_error(void **state)
{
    (void)state;
    expect_error("A=1\nB='x' y\n", 2, 7, "after the closing quote");
    expect_error("A=\"x\"y\n", 1, 6, "after the closing quote");
}

static void
test_unterminated_single_quote_is_an_error_at_the_quote(void **state)
{
    (void)state;
    expect_error("A=1\nB = 'abc\nC=2\n", 2, 5, "unterminated single-quoted");
}

/* ---- double quotes ------------------------------------------------------- */

static void test_double_quoted_escapes(void **state)
{
    (void)state;
    assert_parses_to("A=\"a\\nb\\tc\\rd\\\"e\\\\f\\$g\"\n",
                     "{\"A\":\"a\\nb\\tc\\rd\\\"e\\\\f$g\"}");
}

static void test_unknown_escape_is_kept_as_written(void **state)
{
    (void)state;
    assert_parses_to("A=\"\\a\\x41\\'\"\n", "{\"A\":\"\\\\a\\\\x41\\\\'\"}");
}

static void test_double_quoted_value_spans_lines(void **state)
{
    (void)state;
    assert_parses_to("A=\"one\ntwo\r\n\r\nthree\"\nB=x\n",
                     "{\"A\":\"one\\ntwo\\n\\nthree\",\"B\":\"x\"}");
}

static void test_double_quoted_keeps_hash_and_spaces(void **state)
{
    (void)state;
    assert_parses_to("A=\"  #x  \" # c\n", "{\"A\":\"  #x  \"}");
}

static void
test_unterminated_double_quote_is_an_error_at_the_quote(void **state)
{
    (void)state;
    expect_error("A=\"abc\nB=2\n", 1, 3, "unterminated double-quoted");
    expect_error("A=\"abc\\\"\n", 1, 3, "unterminated double-quoted");
}

/* ---- expansion ----------------------------------------------------------- */

static void test_expansion_uses_earlier_keys(void **state)
{
    (void)state;
    assert_parses_to("H=host\nP=80\nU=$H:${P}/x\nQ=\"$H-${P}\"\n",
                     "{\"H\":\"host\",\"P\":80,\"U\":\"host:80/x\","
                     "\"Q\":\"host-80\"}");
}

static void test_expansion_uses_the_latest_earlier_value(void **state)
{
    (void)state;
    assert_parses_to("A=1\nB=$A\nA=2\nC=$A\n", "{\"A\":2,\"B\":1,\"C\":2}");
}

static void test_expansion_falls_back_to_environment(void **state)
{
    (void)state;
    setenv("HC_TEST_ENV_VAR", "from env", 1);
    assert_parses_to("A=${HC_TEST_ENV_VAR}!\n", "{\"A\":\"from env!\"}");
    unsetenv("HC_TEST_ENV_VAR");
}

static void test_file_value_wins_over_environment(void **state)
{
    (void)state;
    setenv("HC_TEST_ENV_VAR", "from env", 1);
    assert_parses_to("HC_TEST_ENV_VAR=file\nA=$HC_TEST_ENV_VAR\n",
                     "{\"HC_TEST_ENV_VAR\":\"file\",\"A\":\"file\"}");
    unsetenv("HC_TEST_ENV_VAR");
}

static void test_undefined_expands_to_empty(void **state)
{
    (void)state;
    unsetenv("HC_TEST_SURELY_UNSET");
    assert_parses_to("A=[$HC_TEST_SURELY_UNSET][${HC_TEST_SURELY_UNSET}]\n",
                     "{\"A\":\"[][]\"}");
}

static void test_default_applies_when_unset_or_empty(void **state)
{
    (void)state;
    unsetenv("HC_TEST_SURELY_UNSET");
    assert_parses_to("E=\nS=set\nA=${HC_TEST_SURELY_UNSET:-dflt}\n"
                     "B=${E:-dflt}\nC=${S:-dflt}\nD=\"${E:-a b}\"\n",
                     "{\"E\":\"\",\"S\":\"set\",\"A\":\"dflt\",\"B\":\"dflt\","
                     "\"C\":\"set\",\"D\":\"a b\"}");
}

static void test_bare_name_stops_at_non_word_characters(void **state)
{
    (void)state;
    assert_parses_to("A=x\nB=$A.$A-${A}\n", "{\"A\":\"x\",\"B\":\"x.x-x\"}");
}

static void test_braced_name_may_hold_dots_and_dashes(void **state)
{
    (void)state;
    assert_parses_to("a.b-c=v\nB=${a.b-c}\n", "{\"a.b-c\":\"v\",\"B\":\"v\"}");
}

static void test_escaped_dollar_is_literal(void **state)
{
    (void)state;
    assert_parses_to("A=1\nB=\\$A\nC=\"\\$A \\${A}\"\n",
                     "{\"A\":1,\"B\":\"$A\",\"C\":\"$A ${A}\"}");
}

static void test_lone_dollar_is_literal(void **state)
{
    (void)state;
    assert_parses_to("A=$\nB=\"a $ b $1 $\"\nC=5$\n",
                     "{\"A\":\"$\",\"B\":\"a $ b $1 $\",\"C\":\"5$\"}");
}

static void test_no_expansion_in_single_quotes(void **state)
{
    (void)state;
    assert_parses_to("A=1\nB='$A ${A}'\n", "{\"A\":1,\"B\":\"$A ${A}\"}");
}

static void test_command_substitution_is_never_run(void **state)
{
    char *dir = tu_mkdtemp(), *marker = tu_join(dir, "ran");
    char text[512];
    struct stat st;
    json_t *doc;
    (void)state;
    snprintf(text, sizeof text,
             "A=$(touch %s)\nB=\"$(touch %s)\"\nC=`touch %s`\n", marker, marker,
             marker);
    doc = parse_opts(text, NULL);
    assert_int_equal(stat(marker, &st), -1);
    snprintf(text, sizeof text, "$(touch %s)", marker);
    assert_string_equal(json_string_value(json_object_get(doc, "A")), text);
    assert_string_equal(json_string_value(json_object_get(doc, "B")), text);
    json_decref(doc);
    free(marker);
    tu_rmtree(dir);
    free(dir);
}

static void test_expanded_unquoted_value_is_typed(void **state)
{
    (void)state;
    assert_parses_to("P=80\nQ=$P\nR=\"$P\"\n",
                     "{\"P\":80,\"Q\":80,\"R\":\"80\"}");
}

static void test_malformed_brace_reference_is_an_error(void **state)
{
    (void)state;
    expect_error("A=x${}y\n", 1, 4, "expected a name");
    expect_error("A=x${1}\n", 1, 4, "expected a name");
    expect_error("A=1\nB=\"${A\"\n", 2, 4, "expected '}'");
    expect_error("A=${A B}\n", 1, 3, "expected '}'");
    expect_error("A=${A:-x\n", 1, 3, "expected '}' after the default");
}

static void test_expansion_is_bounded_by_max_size(void **state)
{
    /* each line doubles the previous value: 2^40 bytes if unbounded */
    hc__sbuf text = {0};
    hc_error err;
    json_t *doc;
    clock_t t0 = clock();
    (void)state;
    hc__sbuf_puts(&text, "V0=xxxxxxxxxxxxxxxx\n");
    for (int i = 1; i <= 40; i++) {
        char line[64];
        snprintf(line, sizeof line, "V%d=$V%d$V%d\n", i, i - 1, i - 1);
        hc__sbuf_puts(&text, line);
    }
    hc_error_init(&err);
    doc = hc_parse(text.data, text.len, HC_FORMAT_ENV, "bomb.env", NULL, &err);
    assert_null(doc);
    assert_int_equal(err.code, HC_ELIMIT);
    assert_non_null(strstr(err.text, "max_size"));
    assert_true(err.line > 10 && err.line <= 41);
    /* linear work: well under a second even under sanitizers */
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
    hc__sbuf_free(&text);
}

static void test_expansion_limit_follows_the_option(void **state)
{
    hc_parse_options o = {0};
    const char *t = "A=0123456789\nB=$A$A$A$A$A$A\n";
    (void)state;
    o.max_size = 64; /* the sixth $A would bring the values to 70 bytes */
    expect_error_opts(t, strlen(t), &o, HC_ELIMIT, 2, 13, "max_size");
}

/* ---- names and statement errors ----------------------------------------- */

static void test_invalid_key_start_is_an_error(void **state)
{
    (void)state;
    expect_error("A=1\n1A=2\n", 2, 1, "starts with a letter or '_'");
    expect_error("  -A=2\n", 1, 3, "starts with a letter or '_'");
}

static void test_quoted_key_is_an_error(void **state)
{
    (void)state;
    expect_error("'a'=b\n", 1, 1, "cannot be quoted");
}

static void test_invalid_character_in_key_is_an_error(void **state)
{
    (void)state;
    expect_error("lol$wut\n", 1, 4, "invalid character '$' in name");
    expect_error("A[1]=x\n", 1, 2, "invalid character '['");
}

static void test_colon_separator_is_an_error(void **state)
{
    (void)state;
    expect_error("A=1\nB: 2\n", 2, 2, "does not accept ':'");
}

static void test_name_without_equals_is_an_error(void **state)
{
    (void)state;
    expect_error("A=1\nNAME\n", 2, 5, "expected '=' after the name 'NAME'");
    expect_error("A B=1\n", 1, 3, "expected '='");
}

static void test_invalid_utf8_is_an_error(void **state)
{
    (void)state;
    expect_error("A=1\nB=x\xE2\x82\n", 2, 4, "invalid UTF-8");
}

static void test_nul_byte_is_an_error(void **state)
{
    (void)state;
    expect_error_opts("A=\0\n", 4, NULL, HC_EPARSE, 1, 3, "NUL byte");
}

/* ---- typing ------------------------------------------------------------- */

static void test_unquoted_values_are_typed(void **state)
{
    (void)state;
    assert_parses_to("A=42\nB=-1.5\nC=True\nD=007\nE=text\n",
                     "{\"A\":42,\"B\":-1.5,\"C\":true,\"D\":\"007\","
                     "\"E\":\"text\"}");
}

static void test_quoted_values_are_always_strings(void **state)
{
    (void)state;
    assert_parses_to("A='42'\nB=\"true\"\nC=\"1.5\"\n",
                     "{\"A\":\"42\",\"B\":\"true\",\"C\":\"1.5\"}");
}

static void test_no_typing_keeps_strings(void **state)
{
    hc_parse_options o = {0};
    (void)state;
    o.no_typing = 1;
    assert_parses_opts("A=42\nB=false\n", &o, "{\"A\":\"42\",\"B\":\"false\"}");
}

/* ---- nesting ------------------------------------------------------------- */

static void test_env_nest_builds_objects(void **state)
{
    hc_parse_options o = {0};
    (void)state;
    o.env_nest = "__";
    assert_parses_opts("SERVICE__PORT=8080\nSERVICE__HOST=h\nDB__X__Y=1\n"
                       "FLAT_KEY=2\n",
                       &o,
                       "{\"SERVICE\":{\"PORT\":8080,\"HOST\":\"h\"},"
                       "\"DB\":{\"X\":{\"Y\":1}},\"FLAT_KEY\":2}");
}

static void test_without_env_nest_keys_stay_flat(void **state)
{
    (void)state;
    assert_parses_to("SERVICE__PORT=8080\n", "{\"SERVICE__PORT\":8080}");
}

static void test_env_nest_repeated_leaf_last_wins(void **state)
{
    hc_parse_options o = {0};
    (void)state;
    o.env_nest = "__";
    assert_parses_opts("A__B=1\nA__B=2\n", &o, "{\"A\":{\"B\":2}}");
}

static void test_env_nest_value_then_group_is_an_error(void **state)
{
    hc_parse_options o = {0};
    const char *t = "A=1\nA__B=2\n";
    (void)state;
    o.env_nest = "__";
    expect_error_opts(t, strlen(t), &o, HC_EPARSE, 2, 1,
                      "already holds a value");
}

static void test_env_nest_group_then_value_is_an_error(void **state)
{
    hc_parse_options o = {0};
    const char *t = "A__B=2\n  A=1\n";
    (void)state;
    o.env_nest = "__";
    expect_error_opts(t, strlen(t), &o, HC_EPARSE, 2, 3,
                      "already holds nested keys");
}

static void test_env_nest_empty_part_is_an_error(void **state)
{
    hc_parse_options o = {0};
    const char *t = "A____B=1\n";
    (void)state;
    o.env_nest = "__";
    expect_error_opts(t, strlen(t), &o, HC_EPARSE, 1, 1, "empty part");
    t = "A__=1\n";
    expect_error_opts(t, strlen(t), &o, HC_EPARSE, 1, 1, "empty part");
}

static void test_env_nest_depth_limit(void **state)
{
    hc_parse_options o = {0};
    const char *t = "A.B.C=1\nX.Y.Z.W=2\n";
    (void)state;
    o.env_nest = ".";
    o.max_depth = 3;
    expect_error_opts(t, strlen(t), &o, HC_ELIMIT, 2, 1, "max_depth");
}

static void test_env_nest_expansion_uses_flat_names(void **state)
{
    hc_parse_options o = {0};
    (void)state;
    o.env_nest = "__";
    assert_parses_opts("A__B=x\nC=${A__B}\nexport A__B\n", &o,
                       "{\"A\":{\"B\":\"x\"},\"C\":\"x\"}");
}

/* ---- positions ----------------------------------------------------------- */

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
    doc = parse_opts("\xEF\xBB\xBF"
                     "A=1\r\nB=\"x\ny\"\n  C =  'z'\nD=\n",
                     &o);
    assert_pos(o.positions, "/A", 1, 3);
    assert_pos(o.positions, "/B", 2, 3);
    assert_pos(o.positions, "/C", 4, 8);
    assert_pos(o.positions, "/D", 5, 3);
    json_decref(doc);
    hc_posmap_free(o.positions);
}

static void test_positions_of_nested_keys(void **state)
{
    hc_parse_options o = {0};
    json_t *doc;
    (void)state;
    o.positions = hc_posmap_new();
    o.env_nest = "__";
    doc = parse_opts("# x\nS__PORT=1\n", &o);
    assert_pos(o.positions, "/S/PORT", 2, 9);
    json_decref(doc);
    hc_posmap_free(o.positions);
}

/* ---- files --------------------------------------------------------------- */

static void test_env_files_are_detected_by_name(void **state)
{
    char *dir = tu_mkdtemp();
    const char *names[] = {".env", "prod.env", ".env.local"};
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        char *path = tu_join(dir, names[i]);
        hc_error err;
        json_t *doc;
        hc_error_init(&err);
        tu_write(path, "PORT=5432\n", (size_t)-1);
        doc = hc_parse_file(path, HC_FORMAT_AUTO, NULL, &err);
        assert_non_null(doc);
        assert_int_equal(hc_get_int(doc, "PORT", 0, NULL), 5432);
        json_decref(doc);
        free(path);
    }
    tu_rmtree(dir);
    free(dir);
}

/* ---- emitter ------------------------------------------------------------- */

static void round_trip(const char *json)
{
    json_t *doc = json_loads(json, 0, NULL), *back;
    hc_error err;
    char *s;
    assert_non_null(doc);
    hc_error_init(&err);
    s = hc_dump(doc, HC_FORMAT_ENV, &err);
    if (!s)
        fail_msg("dump failed: %s", err.text);
    back = hc_parse(s, strlen(s), HC_FORMAT_ENV, "rt.env", NULL, &err);
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

static char *dump(const char *json)
{
    json_t *doc = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    hc_error err;
    char *s;
    assert_non_null(doc);
    hc_error_init(&err);
    s = hc_dump(doc, HC_FORMAT_ENV, &err);
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
    s = hc_dump(doc, HC_FORMAT_ENV, &err);
    json_decref(doc);
    free(s);
    assert_null(s);
    assert_int_equal(err.code, HC_EFORMAT);
    if (!strstr(err.text, needle))
        fail_msg("error '%s' lacks '%s'", err.text, needle);
}

static void test_dump_uses_the_plainest_quoting(void **state)
{
    char *s = dump("{\"A\":\"plain/path:1@x\",\"B\":8080,\"C\":\"8080\","
                   "\"D\":\"two words\",\"E\":\"it's $x\",\"F\":\"\","
                   "\"G\":true,\"H\":0.5}");
    (void)state;
    assert_string_equal(s, "A=plain/path:1@x\nB=8080\nC='8080'\n"
                           "D='two words'\nE=\"it's \\$x\"\nF=\nG=true\n"
                           "H=0.5\n");
    free(s);
}

static void test_dump_round_trips_awkward_strings(void **state)
{
    (void)state;
    round_trip("{\"spaces\":\"  padded  \",\"hash\":\"a #b\",\"hash2\":\"#x\","
               "\"dollar\":\"$HOME ${X} $(cmd)\",\"dq\":\"say \\\"hi\\\"\","
               "\"sq\":\"it's\",\"both\":\"'\\\"\",\"nl\":\"a\\nb\\r\\nc\","
               "\"bs\":\"C:\\\\dir\\\\n\",\"tab\":\"a\\tb\",\"num\":\"42\","
               "\"bool\":\"FALSE\",\"real\":\"1e3\",\"empty\":\"\","
               "\"utf8\":\"caf\\u00e9 \\u2603\",\"eq\":\"a=b\","
               "\"bq\":\"`x`\"}");
}

static void test_dump_round_trips_scalars(void **state)
{
    (void)state;
    round_trip("{\"i\":-9223372036854775808,\"r\":0.1,\"t\":true,\"f\":false,"
               "\"e\":1e300,\"z\":0.0}");
}

static void test_dump_refuses_what_env_cannot_hold(void **state)
{
    (void)state;
    expect_dump_error("[1]", "not an array");
    expect_dump_error("\"x\"", "not a single value");
    expect_dump_error("{\"A\":{\"B\":1}}", "object at 'A'");
    expect_dump_error("{\"A\":[1]}", "array at 'A'");
    expect_dump_error("{\"A\":null}", "null at 'A'");
    expect_dump_error("{\"1A\":1}", "'1A' cannot be a .env name");
    expect_dump_error("{\"a b\":1}", "cannot be a .env name");
    expect_dump_error("{\"\":1}", "cannot be a .env name");
    expect_dump_error("{\"A\":\"x\\u0000y\"}", "NUL byte");
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
    assert_null(hc_parse((const char *)buf, sizeof buf, HC_FORMAT_ENV, "bin",
                         NULL, &err));
    assert_int_equal(err.code, HC_EPARSE);
    assert_true(err.line >= 1 && err.column >= 1);
}

static void test_size_limit_names_max_size(void **state)
{
    hc_parse_options o = {0};
    (void)state;
    o.max_size = 4;
    expect_error_opts("A=12345\n", 8, &o, HC_ELIMIT, 0, 0, "max_size");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_value_lines),
        cmocka_unit_test(test_nested_default_expands),
        cmocka_unit_test(test_bom_after_leading_comments_is_skipped),
        cmocka_unit_test(test_whitespace_around_equals_and_indent),
        cmocka_unit_test(test_export_prefix_is_dropped),
        cmocka_unit_test(test_export_may_itself_be_a_key),
        cmocka_unit_test(test_bare_export_of_assigned_name_is_a_no_op),
        cmocka_unit_test(test_bare_export_of_unassigned_name_is_an_error),
        cmocka_unit_test(test_blank_and_comment_lines_are_skipped),
        cmocka_unit_test(test_key_may_hold_dots_and_dashes),
        cmocka_unit_test(test_repeated_key_last_wins),
        cmocka_unit_test(test_crlf_cr_and_bom_are_accepted),
        cmocka_unit_test(test_empty_input_is_empty_object),
        cmocka_unit_test(test_unquoted_value_is_trimmed),
        cmocka_unit_test(test_unquoted_value_ends_at_blank_hash),
        cmocka_unit_test(test_unquoted_empty_value_is_empty_string),
        cmocka_unit_test(test_unquoted_backslashes_are_literal),
        cmocka_unit_test(test_unquoted_inner_quotes_are_literal),
        cmocka_unit_test(test_single_quoted_value_is_literal),
        cmocka_unit_test(test_single_quoted_value_spans_lines),
        cmocka_unit_test(test_comment_after_closing_quote),
        cmocka_unit_test(test_text_after_closing_quote_is_an_error),
        cmocka_unit_test(
            test_unterminated_single_quote_is_an_error_at_the_quote),
        cmocka_unit_test(test_double_quoted_escapes),
        cmocka_unit_test(test_unknown_escape_is_kept_as_written),
        cmocka_unit_test(test_double_quoted_value_spans_lines),
        cmocka_unit_test(test_double_quoted_keeps_hash_and_spaces),
        cmocka_unit_test(
            test_unterminated_double_quote_is_an_error_at_the_quote),
        cmocka_unit_test(test_expansion_uses_earlier_keys),
        cmocka_unit_test(test_expansion_uses_the_latest_earlier_value),
        cmocka_unit_test(test_expansion_falls_back_to_environment),
        cmocka_unit_test(test_file_value_wins_over_environment),
        cmocka_unit_test(test_undefined_expands_to_empty),
        cmocka_unit_test(test_default_applies_when_unset_or_empty),
        cmocka_unit_test(test_bare_name_stops_at_non_word_characters),
        cmocka_unit_test(test_braced_name_may_hold_dots_and_dashes),
        cmocka_unit_test(test_escaped_dollar_is_literal),
        cmocka_unit_test(test_lone_dollar_is_literal),
        cmocka_unit_test(test_no_expansion_in_single_quotes),
        cmocka_unit_test(test_command_substitution_is_never_run),
        cmocka_unit_test(test_expanded_unquoted_value_is_typed),
        cmocka_unit_test(test_malformed_brace_reference_is_an_error),
        cmocka_unit_test(test_expansion_is_bounded_by_max_size),
        cmocka_unit_test(test_expansion_limit_follows_the_option),
        cmocka_unit_test(test_invalid_key_start_is_an_error),
        cmocka_unit_test(test_quoted_key_is_an_error),
        cmocka_unit_test(test_invalid_character_in_key_is_an_error),
        cmocka_unit_test(test_colon_separator_is_an_error),
        cmocka_unit_test(test_name_without_equals_is_an_error),
        cmocka_unit_test(test_invalid_utf8_is_an_error),
        cmocka_unit_test(test_nul_byte_is_an_error),
        cmocka_unit_test(test_unquoted_values_are_typed),
        cmocka_unit_test(test_quoted_values_are_always_strings),
        cmocka_unit_test(test_no_typing_keeps_strings),
        cmocka_unit_test(test_env_nest_builds_objects),
        cmocka_unit_test(test_without_env_nest_keys_stay_flat),
        cmocka_unit_test(test_env_nest_repeated_leaf_last_wins),
        cmocka_unit_test(test_env_nest_value_then_group_is_an_error),
        cmocka_unit_test(test_env_nest_group_then_value_is_an_error),
        cmocka_unit_test(test_env_nest_empty_part_is_an_error),
        cmocka_unit_test(test_env_nest_depth_limit),
        cmocka_unit_test(test_env_nest_expansion_uses_flat_names),
        cmocka_unit_test(test_positions_name_each_value),
        cmocka_unit_test(test_positions_of_nested_keys),
        cmocka_unit_test(test_env_files_are_detected_by_name),
        cmocka_unit_test(test_dump_uses_the_plainest_quoting),
        cmocka_unit_test(test_dump_round_trips_awkward_strings),
        cmocka_unit_test(test_dump_round_trips_scalars),
        cmocka_unit_test(test_dump_refuses_what_env_cannot_hold),
        cmocka_unit_test(test_binary_garbage_is_a_clean_error),
        cmocka_unit_test(test_size_limit_names_max_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
