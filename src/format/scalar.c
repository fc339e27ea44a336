/*
 * scalar.c - the typing rule for unquoted INI and .env values. One pass
 * classifies the text by hand (no regex, no allocation for the common
 * cases); only a real goes through strtod, under the "C" locale so that an
 * application's setlocale() cannot turn "1.5" into 1 behind our back.
 *
 * The rule, decided once for both formats:
 *  - "true" / "false" in any case -> bool (not yes/no/on/off).
 *  - [+-]?[0-9]+ that fits in 64 bits -> integer. A leading zero ("007",
 *    "0644", "-01") keeps the text a string: it is an octal mode, a zip
 *    code or an ID far more often than a decimal number, and reading it as
 *    decimal would silently lose information. "0", "-0", "+0" are 0.
 *    Overflow keeps the text a string.
 *  - A decimal float as in the YAML 1.2 core schema, minus .inf/.nan:
 *    [+-]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][+-]?[0-9]+)? holding a '.' or
 *    an exponent -> real. So ".5", "1.", "1e3", "-2E-3" are reals. A value
 *    that overflows to infinity keeps the text a string (the model holds
 *    finite numbers only).
 *  - Everything else, including "" and text with spaces around it, is a
 *    string: callers trim before typing.
 */
#include "internal.h"

#include <stdint.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

locale_t hc__c_locale(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale;
}

/* A strict decimal ([-+]?digits[.digits][e[-+]digits]) of at most 15
 * significant digits whose power of ten is within 22 is read exactly by
 * Clinger's fast path: both are exact doubles, and one multiplication or
 * division of exact doubles is correctly rounded, as strtod is. Returns 0
 * and sets *out, or -1 for strtod to decide. */
static int fast_decimal(const char *s, size_t n, double *out)
{
    static const double pow10[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    uint64_t m = 0;
    size_t i = 0;
    int neg = 0, digits = 0, any = 0, exp10 = 0;
    double d;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1) {
        if (m || s[i] != '0')
            digits++;
        m = m * 10 + (uint64_t)(s[i] - '0');
        if (digits > 15)
            return -1;
    }
    if (i < n && s[i] == '.') {
        int frac = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, frac = 1) {
            if (m || s[i] != '0')
                digits++;
            m = m * 10 + (uint64_t)(s[i] - '0');
            exp10--;
            if (digits > 15)
                return -1;
        }
        if (!any || !frac)
            return -1; /* ".5" and "1." are strtod's to judge */
    } else if (!any) {
        return -1;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0, e = 0, edig = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, edig = 1)
            if ((e = e * 10 + (s[i] - '0')) > 1000)
                return -1;
        if (!edig)
            return -1;
        exp10 += eneg ? -e : e;
    }
    if (i != n || exp10 < -22 || exp10 > 22)
        return -1;
    d = (double)m;
    d = exp10 < 0 ? d / pow10[-exp10] : d * pow10[exp10];
    *out = neg ? -d : d;
    return 0;
}

int hc__strtod_c(const char *s, size_t n, double *out, size_t *used)
{
    char small[64];
    char *tmp;
    char *end;
    int e;
    if (fast_decimal(s, n, out) == 0) {
        *used = n;
        return 0;
    }
    tmp = n < sizeof small ? small : malloc(n + 1);
    if (!tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    /* strtod_l: a program that set LC_NUMERIC must not change our reading
     * (newlocale can only fail for want of memory) */
    *out = hc__c_locale() ? strtod_l(tmp, &end, hc__c_locale())
                          : strtod(tmp, &end);
    e = errno == ERANGE ? ERANGE : 0;
    *used = (size_t)(end - tmp);
    if (tmp != small)
        free(tmp);
    return e;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* lower-case ASCII compare of s[0..len) with a lower-case word */
static int word_is(const char *s, size_t len, const char *word)
{
    size_t i;
    for (i = 0; i < len && word[i]; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return i == len && word[i] == '\0';
}

static json_t *make_real(const char *s, size_t len)
{
    double d;
    size_t used;
    /* ERANGE with a finite result is underflow to (sub)normal or zero:
     * the value is still the closest double, keep it. */
    if (hc__strtod_c(s, len, &d, &used) < 0)
        return NULL;
    if (used != len || !isfinite(d))
        return json_stringn(s, len);
    return json_real(d);
}

json_t *hc__scalar_typed(const char *s, size_t len)
{
    size_t i = 0, int_start, int_digits;
    int neg = 0, is_real = 0;

    if (len == 0)
        return json_stringn("", 0);
    if (len == 4 && word_is(s, len, "true"))
        return json_true();
    if (len == 5 && word_is(s, len, "false"))
        return json_false();

    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    int_start = i;
    while (i < len && is_digit(s[i]))
        i++;
    int_digits = i - int_start;

    if (i == len) {
        uint64_t mag = 0, limit;
        if (int_digits == 0)
            return json_stringn(s, len);
        if (int_digits > 1 && s[int_start] == '0')
            return json_stringn(s, len);
        /* JSON_INTEGER_IS_LONG_LONG: json_int_t is 64-bit on Linux */
        limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t k = int_start; k < len; k++) {
            unsigned dgt = (unsigned)(s[k] - '0');
            if (mag > (limit - dgt) / 10)
                return json_stringn(s, len);
            mag = mag * 10 + dgt;
        }
        if (neg)
            return json_integer(
                mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)mag);
        return json_integer((json_int_t)mag);
    }

    /* fraction: needs digits on at least one side of the '.' */
    if (s[i] == '.') {
        size_t frac_start = ++i;
        while (i < len && is_digit(s[i]))
            i++;
        if (int_digits == 0 && i == frac_start)
            return json_stringn(s, len);
        is_real = 1;
    } else if (int_digits == 0) {
        return json_stringn(s, len);
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_start;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        exp_start = i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == exp_start)
            return json_stringn(s, len);
        is_real = 1;
    }
    if (i != len || !is_real)
        return json_stringn(s, len);
    return make_real(s, len);
}

int hc__real_text(double d, char *buf, size_t size)
{
    locale_t old, c = hc__c_locale();
    int n = -1;
    if (!isfinite(d) || size < 32)
        return -1;
    /* uselocale is per thread: safe where setlocale would not be */
    old = c ? uselocale(c) : (locale_t)0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, size, "%.*g", prec, d);
        if (n < 0 || (size_t)n >= size) {
            n = -1;
            break;
        }
        if (prec == 17 || strtod(buf, NULL) == d)
            break;
    }
    if (c)
        uselocale(old);
    if (n > 0 && !strpbrk(buf, ".eE")) {
        if ((size_t)n + 2 >= size)
            return -1;
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
    return n;
}
