/*
 * uri.c - RFC 3986 reference resolution (section 5.2) for $id and $ref,
 * percent-decoding of fragments, and the syntax checks behind the uri and
 * uri-reference formats. Only what JSON Schema needs: no normalisation
 * beyond dot-segment removal, and nothing is ever fetched.
 */
#include "schema_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct part {
    const char *p;
    size_t n;
    bool defined;
} part;

typedef struct uri {
    part scheme, authority, path, query, fragment;
} uri;

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static void uri_split(const char *s, uri *u)
{
    const char *p = s, *e;
    memset(u, 0, sizeof *u);
    /* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (is_alpha((unsigned char)*p)) {
        e = p + 1;
        while (is_alpha((unsigned char)*e) || is_digit((unsigned char)*e) ||
               *e == '+' || *e == '-' || *e == '.')
            e++;
        if (*e == ':') {
            u->scheme = (part){p, (size_t)(e - p), true};
            p = e + 1;
        }
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        e = p + strcspn(p, "/?#");
        u->authority = (part){p, (size_t)(e - p), true};
        p = e;
    }
    e = p + strcspn(p, "?#");
    u->path = (part){p, (size_t)(e - p), true};
    p = e;
    if (*p == '?') {
        p++;
        e = p + strcspn(p, "#");
        u->query = (part){p, (size_t)(e - p), true};
        p = e;
    }
    if (*p == '#') {
        p++;
        u->fragment = (part){p, strlen(p), true};
    }
}

/* RFC 3986 5.2.4, in place on a NUL-terminated buffer. */
static void remove_dot_segments(char *path)
{
    char *in = path, *out = path;
    while (*in) {
        if (!strncmp(in, "../", 3)) {
            in += 3;
        } else if (!strncmp(in, "./", 2)) {
            in += 2;
        } else if (!strncmp(in, "/./", 3)) {
            in += 2;
        } else if (!strcmp(in, "/.")) {
            in[1] = '\0';
        } else if (!strncmp(in, "/../", 4) || !strcmp(in, "/..")) {
            if (in[3] == '/')
                in += 3;
            else {
                in += 2;
                *in = '/';
            }
            while (out > path && *--out != '/')
                ;
        } else if (!strcmp(in, ".") || !strcmp(in, "..")) {
            *in = '\0';
        } else {
            do
                *out++ = *in++;
            while (*in && *in != '/');
        }
    }
    *out = '\0';
}

static void put(char **o, const char *s, size_t n)
{
    memcpy(*o, s, n);
    *o += n;
}

char *hc__uri_resolve(const char *base, const char *ref)
{
    uri b, r;
    char *out, *o, *path, *pp;
    const part *auth, *query;
    size_t cap;

    uri_split(base ? base : "", &b);
    uri_split(ref, &r);
    cap = strlen(base ? base : "") + strlen(ref) + 8;
    path = malloc(cap);
    out = malloc(cap);
    if (!path || !out) {
        free(path);
        free(out);
        return NULL;
    }
    pp = path;
    if (r.scheme.defined) {
        b.scheme = r.scheme;
        auth = &r.authority;
        put(&pp, r.path.p, r.path.n);
        query = &r.query;
    } else if (r.authority.defined) {
        auth = &r.authority;
        put(&pp, r.path.p, r.path.n);
        query = &r.query;
    } else {
        auth = &b.authority;
        if (r.path.n == 0) {
            put(&pp, b.path.p, b.path.n);
            query = r.query.defined ? &r.query : &b.query;
        } else {
            if (r.path.p[0] == '/') {
                put(&pp, r.path.p, r.path.n);
            } else if (b.authority.defined && b.path.n == 0) {
                put(&pp, "/", 1);
                put(&pp, r.path.p, r.path.n);
            } else {
                const char *slash = NULL;
                for (size_t i = 0; i < b.path.n; i++)
                    if (b.path.p[i] == '/')
                        slash = b.path.p + i;
                if (slash)
                    put(&pp, b.path.p, (size_t)(slash - b.path.p) + 1);
                put(&pp, r.path.p, r.path.n);
            }
            query = &r.query;
        }
    }
    *pp = '\0';
    /* a URN-like path ("uuid:...") has no dot segments to remove */
    if (path[0] == '/' || auth->defined)
        remove_dot_segments(path);

    o = out;
    if (b.scheme.defined) {
        put(&o, b.scheme.p, b.scheme.n);
        put(&o, ":", 1);
    }
    if (auth->defined) {
        put(&o, "//", 2);
        put(&o, auth->p, auth->n);
    }
    put(&o, path, strlen(path));
    if (query->defined) {
        put(&o, "?", 1);
        put(&o, query->p, query->n);
    }
    if (r.fragment.defined) {
        put(&o, "#", 1);
        put(&o, r.fragment.p, r.fragment.n);
    }
    *o = '\0';
    free(path);
    return out;
}

static int hexval(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *hc__uri_unescape(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            int h, l;
            h = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
            l = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
            if (h < 0 || l < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}

/* ---- syntax checks (RFC 3986 appendix A) ------------------------------ */

static bool is_unreserved(int c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

static bool is_sub_delim(int c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Each byte of s[0..n) is unreserved, sub-delim, one of extra, or a
 * valid %XX escape. */
/* iri: also the non-ASCII characters of RFC 3987 (UTF-8 bytes) */
static bool chars_ok(const char *s, size_t n, const char *extra, bool iri)
{
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            if (hexval((unsigned char)s[i + 1]) < 0 ||
                hexval((unsigned char)s[i + 2]) < 0)
                return false;
            i += 2;
        } else if (!is_unreserved(c) && !is_sub_delim(c) &&
                   !(c && strchr(extra, c)) && !(iri && c >= 0x80)) {
            return false;
        }
    }
    return true;
}

static bool authority_ok(const part *a, bool iri)
{
    const char *s = a->p, *at, *host;
    size_t n = a->n, hn;
    at = memchr(s, '@', n);
    if (at) {
        if (!chars_ok(s, (size_t)(at - s), ":", iri))
            return false;
        host = at + 1;
    } else {
        host = s;
    }
    hn = (size_t)(s + n - host);
    if (hn && host[0] == '[') {
        const char *close = memchr(host, ']', hn);
        if (!close)
            return false;
        if (!chars_ok(host + 1, (size_t)(close - host - 1), ":", false))
            return false;
        host = close + 1;
        hn = (size_t)(s + n - host);
        if (hn == 0)
            return true;
        if (host[0] != ':')
            return false;
        for (size_t i = 1; i < hn; i++)
            if (!is_digit((unsigned char)host[i]))
                return false;
        return true;
    }
    {
        const char *colon = memchr(host, ':', hn);
        size_t name_len = colon ? (size_t)(colon - host) : hn;
        if (!chars_ok(host, name_len, "", iri))
            return false;
        if (colon)
            for (const char *p = colon + 1; p < s + n; p++)
                if (!is_digit((unsigned char)*p))
                    return false;
    }
    return true;
}

bool hc__uri_valid(const char *s, size_t len, bool absolute, bool iri)
{
    uri u;
    char *copy;
    bool ok = true;
    if (memchr(s, '\0', len))
        return false;
    copy = strndup(s, len);
    if (!copy)
        return false;
    uri_split(copy, &u);
    if (absolute && !u.scheme.defined)
        ok = false;
    if (ok && !u.scheme.defined && u.path.n) {
        /* a relative path's first segment must not hold ':' */
        size_t seg = strcspn(u.path.p, "/");
        if (seg > u.path.n)
            seg = u.path.n;
        if (memchr(u.path.p, ':', seg))
            ok = false;
    }
    if (ok && u.authority.defined && !authority_ok(&u.authority, iri))
        ok = false;
    if (ok && !chars_ok(u.path.p, u.path.n, ":@/", iri))
        ok = false;
    if (ok && u.query.defined && !chars_ok(u.query.p, u.query.n, ":@/?", iri))
        ok = false;
    if (ok && u.fragment.defined &&
        !chars_ok(u.fragment.p, u.fragment.n, ":@/?", iri))
        ok = false;
    free(copy);
    return ok;
}
