/*
 * test_scalar.c - the typing rule shared by INI and .env values
 * (hc__scalar_typed) and the real-number text the emitters write
 * (hc__real_text), which must read back as the same double.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

static json_t *typed(const char *s)
{
    json_t *v = hc__scalar_typed(s, strlen(s));
    assert_non_null(v);
    return v;
}

static void assert_string_kept(const char *s)
{
    json_t *v = typed(s);
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), s);
    json_decref(v);
}

static void assert_integer(const char *s, json_int_t want)
{
    json_t *v = typed(s);
    assert_true(json_is_integer(v));
    assert_true(json_integer_value(v) == want);
    json_decref(v);
}

static void assert_real(const char *s, double want)
{
    json_t *v = typed(s);
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == want);
    json_decref(v);
}

static void test_true_false_any_case_are_booleans(void **state)
{
    const char *t[] = {"true", "TRUE", "True", "tRuE"};
    const char *f[] = {"false", "FALSE", "False", "fAlSe"};
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        json_t *a = typed(t[i]), *b = typed(f[i]);
        assert_true(json_is_true(a));
        assert_true(json_is_false(b));
        json_decref(a);
        json_decref(b);
    }
}

static void test_other_boolean_words_stay_strings(void **state)
{
    (void)state;
    assert_string_kept("yes");
    assert_string_kept("no");
    assert_string_kept("on");
    assert_string_kept("off");
    assert_string_kept("truex");
    assert_string_kept("fals");
}

static void test_decimal_integers_with_optional_sign(void **state)
{
    (void)state;
    assert_integer("0", 0);
    assert_integer("42", 42);
    assert_integer("+42", 42);
    assert_integer("-42", -42);
    assert_integer("-0", 0);
}

static void test_integers_at_the_64_bit_limits(void **state)
{
    (void)state;
    assert_integer("9223372036854775807", INT64_MAX);
    assert_integer("-9223372036854775808", INT64_MIN);
}

static void test_integer_overflow_stays_string(void **state)
{
    (void)state;
    assert_string_kept("9223372036854775808");
    assert_string_kept("-9223372036854775809");
    assert_string_kept("123456789012345678901234567890");
}

static void test_leading_zero_keeps_string(void **state)
{
    (void)state;
    assert_string_kept("007");
    assert_string_kept("0644");
    assert_string_kept("-01");
}

static void test_decimal_floats_are_reals(void **state)
{
    (void)state;
    assert_real("1.5", 1.5);
    assert_real("-2e3", -2000.0);
    assert_real("2E-3", 0.002);
    assert_real("+0.25", 0.25);
    assert_real(".5", 0.5);
    assert_real("1.", 1.0);
    assert_real("1e5", 100000.0);
    assert_real("0.0", 0.0);
}

static void test_malformed_numbers_stay_strings(void **state)
{
    (void)state;
    assert_string_kept(".");
    assert_string_kept("-");
    assert_string_kept("+");
    assert_string_kept("1e");
    assert_string_kept("1e+");
    assert_string_kept("e5");
    assert_string_kept("1.2.3");
    assert_string_kept("0x10");
    assert_string_kept("1_000");
    assert_string_kept("12abc");
    assert_string_kept(" 1");
    assert_string_kept("1 ");
    assert_string_kept("--1");
}

static void test_non_finite_stays_string(void **state)
{
    (void)state;
    assert_string_kept("1e999");
    assert_string_kept("inf");
    assert_string_kept("nan");
    assert_string_kept(".inf");
}

static void test_empty_is_empty_string(void **state)
{
    json_t *v = hc__scalar_typed("", 0);
    (void)state;
    assert_true(json_is_string(v));
    assert_int_equal(json_string_length(v), 0);
    json_decref(v);
}

static void test_length_bounds_the_text(void **state)
{
    /* no NUL terminator needed: only len bytes are read */
    json_t *v = hc__scalar_typed("12345xyz", 3);
    (void)state;
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), 123);
    json_decref(v);
    v = hc__scalar_typed("1.5e3junk", 5);
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == 1.5e3);
    json_decref(v);
}

static void test_long_real_text_is_parsed(void **state)
{
    char buf[200];
    json_t *v;
    (void)state;
    memset(buf, '1', sizeof buf - 1);
    buf[0] = '0';
    buf[1] = '.';
    buf[sizeof buf - 1] = '\0';
    v = typed(buf);
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) > 0.11 && json_real_value(v) < 0.12);
    json_decref(v);
}

static void test_real_ignores_application_locale(void **state)
{
    /* a locale with ',' as decimal point must not change "1.5" */
    json_t *v;
    (void)state;
    if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") &&
        !setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
        skip();
        return;
    }
    v = typed("1.5");
    setlocale(LC_NUMERIC, "C");
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == 1.5);
    json_decref(v);
}

static void test_real_text_is_shortest_round_trip(void **state)
{
    const double vals[] = {0.1,   1.5, 1.0 / 3.0, 1e300,         -2.5e-8,
                           100.0, 0.0, -0.0,      123456789.125, 5e-324};
    char buf[64];
    (void)state;
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        int n = hc__real_text(vals[i], buf, sizeof buf);
        json_t *back;
        assert_true(n > 0);
        assert_int_equal((size_t)n, strlen(buf));
        back = hc__scalar_typed(buf, (size_t)n);
        assert_true(json_is_real(back));
        assert_true(json_real_value(back) == vals[i]);
        json_decref(back);
    }
    assert_int_equal(hc__real_text(0.1, buf, sizeof buf), 3);
    assert_string_equal(buf, "0.1");
    hc__real_text(100.0, buf, sizeof buf);
    assert_string_equal(buf, "100.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_true_false_any_case_are_booleans),
        cmocka_unit_test(test_other_boolean_words_stay_strings),
        cmocka_unit_test(test_decimal_integers_with_optional_sign),
        cmocka_unit_test(test_integers_at_the_64_bit_limits),
        cmocka_unit_test(test_integer_overflow_stays_string),
        cmocka_unit_test(test_leading_zero_keeps_string),
        cmocka_unit_test(test_decimal_floats_are_reals),
        cmocka_unit_test(test_malformed_numbers_stay_strings),
        cmocka_unit_test(test_non_finite_stays_string),
        cmocka_unit_test(test_empty_is_empty_string),
        cmocka_unit_test(test_length_bounds_the_text),
        cmocka_unit_test(test_long_real_text_is_parsed),
        cmocka_unit_test(test_real_ignores_application_locale),
        cmocka_unit_test(test_real_text_is_shortest_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
