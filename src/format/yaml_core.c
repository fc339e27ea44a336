/*
 * yaml_core.c - the YAML 1.2 core schema for plain scalars (see
 * yaml_core.h). The fast paths matter: every plain scalar of every YAML
 * file and every string the emitter writes passes through here.
 */
#include "format/yaml_core.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Unsigned magnitude of digits in base; 0 on overflow past limit. */
static int parse_magnitude(const char *s, size_t n, unsigned base,
                           uint64_t limit, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            d = (unsigned)(c - 'A' + 10);
        if (v > (limit - d) / base)
            return 0;
        v = v * base + d;
    }
    *out = v;
    return 1;
}

/* Every character a digit of base (8, 10 or 16); n > 0. Direct tests:
 * strchr per character was most of the cost of reading an integer. */
static int all_digits(const char *s, size_t n, unsigned base)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = base == 8    ? (c >= '0' && c <= '7')
                 : base == 10 ? is_digit(c)
                              : (is_digit(c) || (c >= 'a' && c <= 'f') ||
                                 (c >= 'A' && c <= 'F'));
        if (!ok)
            return 0;
    }
    return 1;
}

/* [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
int hc__yaml_is_core_float(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        size_t frac = 0;
        i++;
        while (i < n && is_digit(s[i]))
            i++, frac++;
        if (digits == 0 && frac == 0)
            return 0;
    } else if (digits == 0) {
        return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        while (i < n && is_digit(s[i]))
            i++, exp++;
        if (exp == 0)
            return 0;
    }
    return i == n;
}

int hc__yaml_core_float(const char *s, size_t n, double *out)
{
    double d;
    size_t used;
    int rc = hc__strtod_c(s, n, &d, &used);
    if (rc < 0)
        return HC__SC_NOMEM;
    if (rc == ERANGE && (d > 1.0 || d < -1.0))
        return HC__SC_FLOAT_RANGE;
    *out = d; /* an underflow reads as the nearest representable value */
    return HC__SC_FLOAT;
}

/* Integers of the core schema: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ */
int hc__yaml_core_int(const char *s, size_t n, json_int_t *out)
{
    uint64_t mag;
    if (n > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
        unsigned base = s[1] == 'o' ? 8 : 16;
        if (!all_digits(s + 2, n - 2, base))
            return -1;
        if (!parse_magnitude(s + 2, n - 2, base, INT64_MAX, &mag))
            return HC__SC_INT_RANGE;
        *out = (json_int_t)mag;
        return HC__SC_INT;
    }
    {
        int neg = 0;
        size_t i = 0;
        if (n && (s[0] == '-' || s[0] == '+')) {
            neg = s[0] == '-';
            i = 1;
        }
        if (!all_digits(s + i, n - i, 10))
            return -1;
        if (!parse_magnitude(s + i, n - i, 10,
                             neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &mag))
            return HC__SC_INT_RANGE;
        *out = neg ? (json_int_t)(0 - mag) : (json_int_t)mag;
        return HC__SC_INT;
    }
}

int hc__yaml_is_null(const char *s, size_t n)
{
    return n == 0 || eq(s, n, "~") || eq(s, n, "null") || eq(s, n, "Null") ||
           eq(s, n, "NULL");
}

int hc__yaml_bool_text(const char *s, size_t n)
{
    if (eq(s, n, "true") || eq(s, n, "True") || eq(s, n, "TRUE"))
        return 1;
    if (eq(s, n, "false") || eq(s, n, "False") || eq(s, n, "FALSE"))
        return 0;
    return -1;
}

int hc__yaml_is_nonfinite(const char *s, size_t n)
{
    const char *t = s;
    size_t m = n;
    if (eq(s, n, ".nan") || eq(s, n, ".NaN") || eq(s, n, ".NAN"))
        return 1;
    if (m && (t[0] == '-' || t[0] == '+'))
        t++, m--;
    return eq(t, m, ".inf") || eq(t, m, ".Inf") || eq(t, m, ".INF");
}

/* Resolves a plain, untagged scalar. Returns an HC__SC_* kind. */
int hc__yaml_resolve_plain(const char *s, size_t n, hc__yaml_scalar *v)
{
    int k;
    if (n == 0)
        return HC__SC_NULL;
    /* Fast exit: nothing but a string starts with another character. */
    switch (s[0]) {
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
    case '+':
    case '-':
    case '.':
    case '~':
    case 'n':
    case 'N':
    case 't':
    case 'T':
    case 'f':
    case 'F': break;
    default: return HC__SC_STR;
    }
    if (hc__yaml_is_null(s, n))
        return HC__SC_NULL;
    if ((v->b = hc__yaml_bool_text(s, n)) >= 0)
        return HC__SC_BOOL;
    k = hc__yaml_core_int(s, n, &v->i);
    if (k >= 0)
        return k;
    if (hc__yaml_is_core_float(s, n))
        return hc__yaml_core_float(s, n, &v->d);
    if (hc__yaml_is_nonfinite(s, n))
        return HC__SC_NONFINITE;
    return HC__SC_STR;
}

bool hc__yaml_plain_is_string(const char *s, size_t len)
{
    hc__yaml_scalar v;
    return hc__yaml_resolve_plain(s, len, &v) == HC__SC_STR;
}
