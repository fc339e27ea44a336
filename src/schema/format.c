/*
 * format.c - the "format" checks hotconf asserts when asked
 * (hc_schema_options.format_assert): RFC 3339 date-time/date/time/duration,
 * email, hostname (RFC 1123), ipv4, ipv6, uri, uri-reference (RFC 3986),
 * uuid, regex (it compiles) and json-pointer (RFC 6901). Each is a
 * hand-written grammar check over the bytes; nothing allocates but regex.
 */
#include "schema_internal.h"

#include <arpa/inet.h>
#include <string.h>

static const char *const names[] = {
    "date-time",    "date",
    "time",         "duration",
    "email",        "hostname",
    "ipv4",         "ipv6",
    "uri",          "uri-reference",
    "uuid",         "regex",
    "json-pointer", "relative-json-pointer",
    "iri",          "iri-reference",
    "idn-hostname",
};

hc__format hc__format_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(names[i], name))
            return (hc__format)i;
    return HC__FMT_UNKNOWN;
}

const char *hc__format_name(hc__format f)
{
    return f >= 0 && (size_t)f < sizeof names / sizeof names[0] ? names[f]
                                                                : "unknown";
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool check_date(const char *s, size_t n)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, max;
    if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) ||
        !digits(s + 5, 2) || !digits(s + 8, 2))
        return false;
    y = num(s, 4);
    m = num(s + 5, 2);
    d = num(s + 8, 2);
    if (m < 1 || m > 12 || d < 1)
        return false;
    max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

static bool check_time(const char *s, size_t n)
{
    int h, m, sec, oh = 0, om = 0, sign = 0;
    size_t i = 8;
    if (n < 9 || s[2] != ':' || s[5] != ':' || !digits(s, 2) ||
        !digits(s + 3, 2) || !digits(s + 6, 2))
        return false;
    h = num(s, 2);
    m = num(s + 3, 2);
    sec = num(s + 6, 2);
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return false;
    }
    if (i >= n)
        return false;
    if (s[i] == 'Z' || s[i] == 'z') {
        if (i + 1 != n)
            return false;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '+' ? 1 : -1;
        if (n - i != 6 || s[i + 3] != ':' || !digits(s + i + 1, 2) ||
            !digits(s + i + 4, 2))
            return false;
        oh = num(s + i + 1, 2);
        om = num(s + i + 4, 2);
        if (oh > 23 || om > 59)
            return false;
    } else {
        return false;
    }
    if (h > 23 || m > 59 || sec > 60)
        return false;
    if (sec == 60) {
        /* a leap second exists only at 23:59:60 UTC */
        int utc = (h * 60 + m) - sign * (oh * 60 + om);
        utc = ((utc % 1440) + 1440) % 1440;
        if (utc != 23 * 60 + 59)
            return false;
    }
    return true;
}

static bool check_date_time(const char *s, size_t n)
{
    if (n < 11 || (s[10] != 'T' && s[10] != 't'))
        return false;
    return check_date(s, 10) && check_time(s + 11, n - 11);
}

/* RFC 3339 appendix A. Units must come in order and without gaps:
 * date part Y[M[D]] | M[D] | D, time part H[M[S]] | M[S] | S, or nW. */
static bool check_duration(const char *s, size_t n)
{
    static const char date_units[] = "YMD", time_units[] = "HMS";
    size_t i = 1;
    int last = -1;
    bool in_time = false, any = false, any_time = false;
    if (n < 3 || s[0] != 'P')
        return false;
    while (i < n) {
        size_t start = i;
        const char *units;
        const char *u;
        int idx;
        if (s[i] == 'T') {
            if (in_time)
                return false;
            in_time = true;
            last = -1;
            i++;
            if (i >= n)
                return false;
            continue;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start || i >= n)
            return false;
        if (s[i] == 'W') {
            /* weeks stand alone */
            return !in_time && !any && i + 1 == n;
        }
        units = in_time ? time_units : date_units;
        u = strchr(units, s[i]);
        if (!u || !s[i])
            return false;
        idx = (int)(u - units);
        if (last >= 0 && idx != last + 1)
            return false;
        last = idx;
        any = true;
        if (in_time)
            any_time = true;
        i++;
    }
    return any && (!in_time || any_time);
}

/* idn: labels may also hold non-ASCII characters (IDNA U-labels; their
 * contextual rules are not checked) */
static bool check_hostname(const char *s, size_t n, bool idn)
{
    size_t label = 0;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (idn && (unsigned char)c >= 0x80) {
            /* count a code point once; U+3002 and friends separate labels */
            if (i + 2 < n && (!memcmp(s + i, "\xe3\x80\x82", 3) ||
                              !memcmp(s + i, "\xef\xbc\x8e", 3) ||
                              !memcmp(s + i, "\xef\xbd\xa1", 3))) {
                if (label == 0)
                    return false;
                label = 0;
                i += 2;
                continue;
            }
            if (!memcmp(s + i, "\xe3\x80\xae", 3 < n - i ? 3 : n - i))
                return false; /* U+302E HANGUL SINGLE DOT TONE MARK */
            if (((unsigned char)c & 0xC0) != 0x80 && ++label > 63)
                return false;
            continue;
        }
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && label == 0)
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 && s[n - 1] != '-';
}

static bool check_ipv4(const char *s, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t start = i;
        int v = 0;
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return false;
            start = ++i;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
            v = v * 10 + (s[i++] - '0');
        if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
            return false;
    }
    return i == n;
}

static bool check_ipv6(const char *s, size_t n)
{
    char buf[64];
    unsigned char out[16];
    if (n == 0 || n >= sizeof buf || memchr(s, '%', n))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strlen(buf) != n)
        return false;
    return inet_pton(AF_INET6, buf, out) == 1;
}

static bool is_atext(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* RFC 5321 Mailbox: dot-atom or quoted local part, @, hostname or
 * [address literal]. */
static bool check_email(const char *s, size_t n)
{
    const char *at = NULL;
    size_t local;
    if (n && s[0] == '"') {
        size_t i = 1;
        while (i < n && s[i] != '"') {
            if (s[i] == '\\')
                i++;
            i++;
        }
        if (i >= n || i + 1 >= n || s[i + 1] != '@')
            return false;
        at = s + i + 1;
    } else {
        at = memrchr(s, '@', n);
        if (!at)
            return false;
        local = (size_t)(at - s);
        if (local == 0 || s[0] == '.' || s[local - 1] == '.')
            return false;
        for (size_t i = 0; i < local; i++) {
            if (s[i] == '.' && s[i + 1] == '.')
                return false;
            if (s[i] != '.' && !is_atext(s[i]))
                return false;
        }
    }
    {
        const char *d = at + 1;
        size_t dn = (size_t)(s + n - d);
        if (dn >= 2 && d[0] == '[' && d[dn - 1] == ']') {
            if (dn > 7 && !strncmp(d + 1, "IPv6:", 5))
                return check_ipv6(d + 6, dn - 7);
            return check_ipv4(d + 1, dn - 2);
        }
        return check_hostname(d, dn, false);
    }
}

static bool check_uuid(const char *s, size_t n)
{
    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                     (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

static bool check_json_pointer(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (s[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '~' && (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1')))
            return false;
    return true;
}

/* RFC draft-handrews-relative-json-pointer: a non-negative integer, then
 * "#" or a JSON pointer */
static bool check_relative_json_pointer(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0 || (s[0] == '0' && i > 1))
        return false;
    if (i < n && s[i] == '#')
        return i + 1 == n;
    return check_json_pointer(s + i, n - i);
}

static bool check_regex(const char *s, size_t n)
{
    hc__regex re;
    char msg[128];
    size_t off;
    if (hc__regex_compile(&re, s, n, msg, sizeof msg, &off) != 0)
        return false;
    hc__regex_free(&re);
    return true;
}

bool hc__format_check(hc__format f, const char *s, size_t n)
{
    switch (f) {
    case HC__FMT_DATE_TIME: return check_date_time(s, n);
    case HC__FMT_DATE: return check_date(s, n);
    case HC__FMT_TIME: return check_time(s, n);
    case HC__FMT_DURATION: return check_duration(s, n);
    case HC__FMT_EMAIL: return check_email(s, n);
    case HC__FMT_HOSTNAME: return check_hostname(s, n, false);
    case HC__FMT_IDN_HOSTNAME: return check_hostname(s, n, true);
    case HC__FMT_RELATIVE_JSON_POINTER:
        return check_relative_json_pointer(s, n);
    case HC__FMT_IRI: return hc__uri_valid(s, n, true, true);
    case HC__FMT_IRI_REFERENCE: return hc__uri_valid(s, n, false, true);
    case HC__FMT_IPV4: return check_ipv4(s, n);
    case HC__FMT_IPV6: return check_ipv6(s, n);
    case HC__FMT_URI: return hc__uri_valid(s, n, true, false);
    case HC__FMT_URI_REFERENCE: return hc__uri_valid(s, n, false, false);
    case HC__FMT_UUID: return check_uuid(s, n);
    case HC__FMT_REGEX: return check_regex(s, n);
    case HC__FMT_JSON_POINTER: return check_json_pointer(s, n);
    case HC__FMT_UNKNOWN:
    default: return true;
    }
}
