/*
 * parse_env.c - .env files: one pass over the buffer, statement by
 * statement (a quoted value may span lines). Values are decoded into one
 * reused buffer, expanded on the way, then typed (unquoted only) and stored
 * flat or nested on opts->env_nest.
 *
 * The dialect (decided once; test_env_conformance.c lists where the three
 * dotenv projects we test against differ from it):
 *  - "KEY=VALUE", blanks around '=' allowed, optional "export " prefix;
 *    KEY matches [A-Za-z_][A-Za-z0-9_.-]*. Blank lines and lines whose first
 *    non-blank character is '#' are comments. "export KEY" alone is allowed
 *    (a no-op) when KEY was assigned earlier in the file, as in shells.
 *  - Unquoted values end at the line end or at a '#' preceded by a blank
 *    (an inline comment) and are trimmed; that cut comes before anything
 *    else, even inside "${...}". The only escape is "\$"; every other
 *    backslash is literal ("a\nb" stays four characters).
 *  - '...' is literal: no escapes, no expansion; it may span lines.
 *  - "..." may span lines and decodes \n \t \r \" \\ \$; any other
 *    backslash stays as written ("\a" is two characters).
 *  - A line end inside quotes (LF, CRLF or CR) becomes "\n".
 *  - After a closing quote only blanks and a '#' comment may follow.
 *  - In unquoted and "..." values: $NAME ([A-Za-z_][A-Za-z0-9_]*),
 *    ${NAME} and ${NAME:-default} (used when NAME is unset or empty; the
 *    default is literal text except for references in it, so
 *    ${A:-${B:-x}} works as in shells) expand to the last earlier value of NAME
 * in this file, else the process environment (getenv), else "". A '$' followed
 *    by anything else is literal, so "$(cmd)" is text: no command is ever
 *    run. A malformed "${" is an error. Expansion output counts against
 *    max_size (all values together), so nested references cannot blow up.
 *  - Unquoted values are typed (after expansion) by hc__scalar_typed()
 *    unless opts->no_typing; quoted values are always strings.
 *  - A repeated key: the last one wins. A UTF-8 BOM and LF, CRLF or lone
 *    CR line ends are accepted. Anything else is an error with its line
 *    and column; an unterminated quote is reported at the opening quote.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

typedef struct env_parser {
    const char *buf;
    size_t len, pos;
    int line;
    size_t line_start; /* offset of the current line (after a BOM) */
    const char *source;
    const hc_parse_options *opts;
    hc__limits lim;
    hc_error *err;
    json_t *root;
    json_t *vars; /* flat name -> expanded text; NULL when no '$' in input */
    const char *nest;
    size_t nest_len;
    size_t produced; /* bytes of values stored so far */
    int def_depth;   /* ${A:-${B:-...}} nesting being expanded */
    hc__sbuf val;
    char *ptr;
    size_t ptr_cap;
} env_parser;

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_eol(char c)
{
    return c == '\n' || c == '\r';
}

static int is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_var_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

static int is_key_char(char c)
{
    return is_var_char(c) || c == '.' || c == '-';
}

static void env_error(env_parser *p, int code, size_t off, const char *fmt, ...)
    HC__PRINTF(4, 5);
static void env_error(env_parser *p, int code, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hc__error_vat(p->err, code, p->source, p->buf, p->len, off, fmt, ap);
    va_end(ap);
}

/* Consumes the line end at p->pos (LF, CRLF or CR). */
static void eat_eol(env_parser *p)
{
    if (p->buf[p->pos] == '\r' && p->pos + 1 < p->len &&
        p->buf[p->pos + 1] == '\n')
        p->pos++;
    p->pos++;
    p->line++;
    p->line_start = p->pos;
}

static void skip_blanks(env_parser *p)
{
    while (p->pos < p->len && is_blank(p->buf[p->pos]))
        p->pos++;
}

static void skip_to_eol(env_parser *p)
{
    while (p->pos < p->len && !is_eol(p->buf[p->pos]))
        p->pos++;
}

/* Appends expansion text, keeping all values within max_size. */
static int append_checked(env_parser *p, const char *s, size_t n, size_t at)
{
    size_t used = p->produced + p->val.len;
    if (n > p->lim.max_size || used > p->lim.max_size - n) {
        env_error(p, HC_ELIMIT, at,
                  "variable expansion makes the values exceed the size "
                  "limit (max_size) of %zu bytes",
                  p->lim.max_size);
        return -1;
    }
    hc__sbuf_append(&p->val, s, n);
    return 0;
}

/* The value of NAME: this file's last assignment, else the environment.
 * Returns 1 and sets *out and *n when set, 0 when unset. */
static int lookup(env_parser *p, const char *name, size_t nlen,
                  const char **out, size_t *n)
{
    json_t *v = p->vars ? json_object_getn(p->vars, name, nlen) : NULL;
    char small[128], *tmp = small;
    const char *env;
    if (v) {
        *out = json_string_value(v);
        *n = json_string_length(v);
        return 1;
    }
    if (nlen >= sizeof small) {
        tmp = malloc(nlen + 1);
        if (!tmp)
            return 0;
    }
    memcpy(tmp, name, nlen);
    tmp[nlen] = '\0';
    /* getenv races only with a concurrent setenv/putenv: an application
     * that changes its environment must not parse .env files meanwhile. */
    env = getenv(tmp);
    if (tmp != small)
        free(tmp);
    if (!env)
        return 0;
    *out = env;
    *n = strlen(env);
    return 1;
}

static int expand(env_parser *p, size_t end);

/* The default text b[d, dend) of a ${NAME:-default}: literal, except that
 * references in it expand (${A:-${B}} as in shells), nested at most
 * max_depth deep. */
static int expand_default(env_parser *p, size_t d, size_t dend, size_t at)
{
    size_t run = d;
    if (p->def_depth >= p->lim.max_depth) {
        env_error(p, HC_ELIMIT, at,
                  "${...} defaults nested deeper than the limit (max_depth) "
                  "of %d",
                  p->lim.max_depth);
        return -1;
    }
    p->def_depth++;
    p->pos = d;
    while (p->pos < dend) {
        if (p->buf[p->pos] != '$') {
            p->pos++;
            continue;
        }
        if (append_checked(p, p->buf + run, p->pos - run, at) != 0 ||
            expand(p, dend) != 0) {
            p->def_depth--;
            return -1;
        }
        run = p->pos;
    }
    p->def_depth--;
    return append_checked(p, p->buf + run, dend - run, at);
}

/* Expands the reference at p->pos (a '$'), not reading at or past end. */
static int expand(env_parser *p, size_t end)
{
    const char *b = p->buf;
    size_t at = p->pos, q = at + 1, name;
    const char *val = "", *def = NULL;
    size_t vlen = 0, dlen = 0;
    int set;

    if (q < end && b[q] == '{') {
        name = ++q;
        if (q >= end || !is_name_start(b[q])) {
            env_error(p, HC_EPARSE, at,
                      "malformed ${...} reference: expected a name after "
                      "'${'");
            return -1;
        }
        while (q < end && is_key_char(b[q]))
            q++;
        set = lookup(p, b + name, q - name, &val, &vlen);
        if (q + 1 < end && b[q] == ':' && b[q + 1] == '-') {
            size_t d = q + 2;
            int open = 0; /* "${" inside the default, not yet closed */
            q = d;
            while (q < end && !is_eol(b[q]) && b[q] != '"') {
                if (b[q] == '$' && q + 1 < end && b[q + 1] == '{') {
                    open++;
                    q += 2;
                    continue;
                }
                if (b[q] == '}' && open-- == 0)
                    break;
                q++;
            }
            def = b + d;
            dlen = q - d;
        }
        if (q >= end || b[q] != '}') {
            env_error(p, HC_EPARSE, at,
                      "malformed ${...} reference: expected '}'%s",
                      def ? " after the default" : " after the name");
            return -1;
        }
        p->pos = q + 1;
        if (def && (!set || vlen == 0)) {
            size_t d = (size_t)(def - b);
            if (expand_default(p, d, d + dlen, at) != 0)
                return -1;
            p->pos = q + 1;
            return 0;
        }
        return append_checked(p, val, vlen, at);
    }
    if (q < end && is_name_start(b[q])) {
        name = q;
        while (q < end && is_var_char(b[q]))
            q++;
        lookup(p, b + name, q - name, &val, &vlen);
        p->pos = q;
        return append_checked(p, val, vlen, at);
    }
    hc__sbuf_putc(&p->val, '$');
    p->pos++;
    return 0;
}

/* An unquoted value from p->pos; after_eq is the offset just past '='. */
static int unquoted(env_parser *p, size_t after_eq)
{
    const char *b = p->buf;
    size_t end = p->pos, run;

    /* the comment rule comes first: '#' after a blank ends the value */
    while (end < p->len && !is_eol(b[end])) {
        if (b[end] == '#' && end > after_eq && is_blank(b[end - 1]))
            break;
        end++;
    }
    while (end > p->pos && is_blank(b[end - 1]))
        end--;
    run = p->pos;
    while (p->pos < end) {
        char c = b[p->pos];
        if (c == '\\' && p->pos + 1 < end && b[p->pos + 1] == '$') {
            hc__sbuf_append(&p->val, b + run, p->pos - run);
            hc__sbuf_putc(&p->val, '$');
            p->pos += 2;
            run = p->pos;
        } else if (c == '$') {
            hc__sbuf_append(&p->val, b + run, p->pos - run);
            if (expand(p, end) != 0)
                return -1;
            run = p->pos;
        } else {
            p->pos++;
        }
    }
    hc__sbuf_append(&p->val, b + run, p->pos - run);
    skip_to_eol(p);
    return 0;
}

/* A quoted value; p->pos is on the opening quote. */
static int quoted(env_parser *p, char quote)
{
    const char *b = p->buf;
    size_t open = p->pos, run;
    p->pos++;
    run = p->pos;
    while (p->pos < p->len) {
        char c = b[p->pos];
        if (c == quote) {
            hc__sbuf_append(&p->val, b + run, p->pos - run);
            p->pos++;
            return 0;
        }
        if (is_eol(c)) {
            hc__sbuf_append(&p->val, b + run, p->pos - run);
            hc__sbuf_putc(&p->val, '\n');
            eat_eol(p);
            run = p->pos;
            continue;
        }
        if (quote == '"' && c == '\\' && p->pos + 1 < p->len) {
            char d = b[p->pos + 1], out;
            switch (d) {
            case 'n': out = '\n'; break;
            case 't': out = '\t'; break;
            case 'r': out = '\r'; break;
            case '"':
            case '\\':
            case '$': out = d; break;
            default: out = 0; break;
            }
            if (out) {
                hc__sbuf_append(&p->val, b + run, p->pos - run);
                hc__sbuf_putc(&p->val, out);
                p->pos += 2;
                run = p->pos;
            } else {
                p->pos++; /* kept as written; d is read normally */
            }
            continue;
        }
        if (quote == '"' && c == '$') {
            hc__sbuf_append(&p->val, b + run, p->pos - run);
            if (expand(p, p->len) != 0)
                return -1;
            run = p->pos;
            continue;
        }
        p->pos++;
    }
    env_error(p, HC_EPARSE, open,
              "unterminated %s-quoted value (no closing %c)",
              quote == '"' ? "double" : "single", quote);
    return -1;
}

/* The stored value at a flat name, walking the nesting when enabled. */
static json_t *doc_lookup(env_parser *p, const char *key, size_t klen)
{
    json_t *obj = p->root;
    const char *k = key, *kend = key + klen;
    for (;;) {
        const char *sep =
            p->nest_len ? memmem(k, (size_t)(kend - k), p->nest, p->nest_len)
                        : NULL;
        json_t *child =
            json_object_getn(obj, k, (size_t)((sep ? sep : kend) - k));
        if (!sep || !child || !json_is_object(child))
            return sep ? NULL : child;
        obj = child;
        k = sep + p->nest_len;
    }
}

static int store(env_parser *p, size_t key_off, size_t klen, int was_quoted,
                 int val_line, int val_col)
{
    const char *key = p->buf + key_off, *k = key, *kend = key + klen;
    const char *text = p->val.data ? p->val.data : "";
    json_t *obj = p->root, *v;
    size_t ptr_len = 0;
    int depth = 1;

    if (hc__sbuf_failed(&p->val))
        goto oom;
    if (p->nest_len) {
        /* the depth first, so that the error does not depend on what
         * earlier lines happened to define */
        const char *q = key;
        while ((q = memmem(q, (size_t)(kend - q), p->nest, p->nest_len))) {
            q += p->nest_len;
            if (++depth > p->lim.max_depth) {
                env_error(p, HC_ELIMIT, key_off,
                          "nesting '%.*s' on '%s' exceeds the depth limit "
                          "(max_depth) of %d",
                          (int)(klen > 200 ? 200 : klen), key, p->nest,
                          p->lim.max_depth);
                return -1;
            }
        }
    }
    v = (was_quoted || p->opts->no_typing) ? json_stringn(text, p->val.len)
                                           : hc__scalar_typed(text, p->val.len);
    if (!v)
        goto oom;
    if (p->vars && json_object_setn_new(p->vars, key, klen,
                                        json_stringn(text, p->val.len)) != 0) {
        json_decref(v);
        goto oom;
    }
    p->produced += p->val.len;

    for (;;) {
        const char *sep =
            p->nest_len ? memmem(k, (size_t)(kend - k), p->nest, p->nest_len)
                        : NULL;
        size_t plen = (size_t)((sep ? sep : kend) - k);
        json_t *child;
        if (plen == 0) {
            json_decref(v);
            env_error(p, HC_EPARSE, key_off,
                      "'%.*s' has an empty part when nested on '%s'",
                      (int)(klen > 200 ? 200 : klen), key, p->nest);
            return -1;
        }
        if (p->opts->positions)
            ptr_len = hc__pointer_push(&p->ptr, &p->ptr_cap, ptr_len, k, plen);
        child = json_object_getn(obj, k, plen);
        if (!sep) {
            if (child && json_is_object(child)) {
                json_decref(v);
                env_error(p, HC_EPARSE, key_off,
                          "'%.*s' already holds nested keys (names that "
                          "continue with '%s')",
                          (int)(klen > 200 ? 200 : klen), key, p->nest);
                return -1;
            }
            if (json_object_setn_new(obj, k, plen, v) != 0)
                goto oom;
            break;
        }
        if (!child) {
            child = json_object();
            if (!child || json_object_setn_new(obj, k, plen, child) != 0) {
                json_decref(v);
                goto oom;
            }
        } else if (!json_is_object(child)) {
            json_decref(v);
            env_error(p, HC_EPARSE, key_off,
                      "'%.*s' cannot nest under '%.*s', which already holds "
                      "a value",
                      (int)(klen > 200 ? 200 : klen), key,
                      (int)((size_t)(k - key) + plen > 200
                                ? 200
                                : (size_t)(k - key) + plen),
                      key);
            return -1;
        }
        obj = child;
        k = sep + p->nest_len;
    }
    if (p->opts->positions &&
        hc__posmap_add(p->opts->positions, p->ptr, val_line, val_col) != 0)
        goto oom;
    return 0;
oom:
    env_error(p, HC_ENOMEM, key_off, "out of memory");
    return -1;
}

/* One statement from p->pos (on its first non-blank character). */
static int statement(env_parser *p)
{
    const char *b = p->buf;
    size_t key_off, klen, after_eq;
    int exported = 0, val_line, val_col, was_quoted = 0;

    if (p->len - p->pos > 6 && memcmp(b + p->pos, "export", 6) == 0 &&
        is_blank(b[p->pos + 6])) {
        size_t q = p->pos + 6;
        while (q < p->len && is_blank(b[q]))
            q++;
        if (q < p->len && b[q] != '=' && !is_eol(b[q])) {
            exported = 1;
            p->pos = q;
        }
    }
    key_off = p->pos;
    if (!is_name_start(b[p->pos])) {
        char c = b[p->pos];
        if (c == '"' || c == '\'')
            env_error(p, HC_EPARSE, p->pos, "a name cannot be quoted");
        else if (c > 0x20 && c < 0x7f)
            env_error(p, HC_EPARSE, p->pos,
                      "invalid name: a name starts with a letter or '_', "
                      "not '%c'",
                      c);
        else
            env_error(p, HC_EPARSE, p->pos,
                      "invalid name: a name starts with a letter or '_', "
                      "not byte 0x%02X",
                      (unsigned)(unsigned char)c);
        return -1;
    }
    while (p->pos < p->len && is_key_char(b[p->pos]))
        p->pos++;
    klen = p->pos - key_off;
    if (p->pos < p->len && !is_blank(b[p->pos]) && !is_eol(b[p->pos]) &&
        b[p->pos] != '=' && b[p->pos] != ':') {
        char c = b[p->pos];
        if (c > 0x20 && c < 0x7f)
            env_error(p, HC_EPARSE, p->pos, "invalid character '%c' in name",
                      c);
        else
            env_error(p, HC_EPARSE, p->pos,
                      "invalid character (byte 0x%02X) in name",
                      (unsigned)(unsigned char)c);
        return -1;
    }
    skip_blanks(p);
    if (exported &&
        (p->pos >= p->len || is_eol(b[p->pos]) || b[p->pos] == '#')) {
        json_t *v = doc_lookup(p, b + key_off, klen);
        if (!v || json_is_object(v)) {
            env_error(p, HC_EPARSE, key_off,
                      "'export %.*s' names a variable not assigned earlier "
                      "in the file",
                      (int)(klen > 200 ? 200 : klen), b + key_off);
            return -1;
        }
        skip_to_eol(p);
        return 0;
    }
    if (p->pos >= p->len || b[p->pos] != '=') {
        env_error(p, HC_EPARSE, p->pos, "expected '=' after the name '%.*s'%s",
                  (int)(klen > 200 ? 200 : klen), b + key_off,
                  p->pos < p->len && b[p->pos] == ':'
                      ? " (.env does not accept ':')"
                      : "");
        return -1;
    }
    p->pos++;
    after_eq = p->pos;
    skip_blanks(p);
    val_line = p->line;
    val_col = (int)(p->pos - p->line_start) + 1;
    p->val.len = 0;
    if (p->val.data)
        p->val.data[0] = '\0';
    if (p->pos < p->len && (b[p->pos] == '"' || b[p->pos] == '\'')) {
        was_quoted = 1;
        if (quoted(p, b[p->pos]) != 0)
            return -1;
        skip_blanks(p);
        if (p->pos < p->len && !is_eol(b[p->pos])) {
            if (b[p->pos] != '#') {
                env_error(p, HC_EPARSE, p->pos,
                          "unexpected text after the closing quote");
                return -1;
            }
            skip_to_eol(p);
        }
    } else if (unquoted(p, after_eq) != 0) {
        return -1;
    }
    return store(p, key_off, klen, was_quoted, val_line, val_col);
}

/* Offset of the first BOM past the start that is not at the start of a
 * line preceded only by blank and comment lines (an editor's header above
 * a BOM, which YAML allows and so do we), or SIZE_MAX. */
static size_t stray_bom(const char *buf, size_t len, size_t pos)
{
    int prefix = 1;
    if (len < 3 || !memmem(buf + pos, len - pos, HC__BOM, 3))
        return SIZE_MAX;
    while (pos < len) {
        size_t eol = pos;
        const char *s = buf + pos, *c, *b;
        while (eol < len && !is_eol(buf[eol]))
            eol++;
        s = hc__line_skip_bom(s, buf + eol, prefix, &b);
        if (b)
            return (size_t)(b - buf);
        for (c = s; c < buf + eol && is_blank(*c); c++)
            ;
        if (c < buf + eol && *c != '#')
            prefix = 0;
        pos = eol < len ? eol + 1 : eol;
    }
    return SIZE_MAX;
}

json_t *hc__parse_env(const char *buf, size_t len, const char *source,
                      const hc_parse_options *opts, hc_error *err)
{
    env_parser p;
    size_t bad;
    int seen = 0; /* a statement was read */
    int refs;     /* the text holds a '$': values may be referenced */

    memset(&p, 0, sizeof p);
    p.buf = buf;
    p.len = len;
    p.source = source;
    p.opts = opts;
    p.lim = hc__limits_from(opts);
    p.err = err;
    p.line = 1;
    if (opts->env_nest && opts->env_nest[0]) {
        p.nest = opts->env_nest;
        p.nest_len = strlen(opts->env_nest);
    }
    p.pos = p.line_start = hc__bom_len(buf, len);
    if (!hc__utf8_valid(buf, len, &bad)) {
        env_error(&p, HC_EPARSE, bad, "invalid UTF-8 (byte 0x%02X)",
                  (unsigned)(unsigned char)buf[bad]);
        return NULL;
    }
    p.root = json_object();
    /* earlier values are only needed when something can reference them */
    refs = len && memchr(buf, '$', len);
    if (p.root && refs)
        p.vars = json_object();
    if (!p.root || (refs && !p.vars)) {
        json_decref(p.root);
        hc__error_set(err, HC_ENOMEM, source, 0, 0, 0, "out of memory");
        return NULL;
    }
    {
        size_t at = stray_bom(buf, len, p.pos);
        if (at != SIZE_MAX) {
            env_error(&p, HC_EPARSE, at,
                      "byte order mark (U+FEFF) inside the text: only the "
                      "start of the file may hold one");
            json_decref(p.root);
            json_decref(p.vars);
            return NULL;
        }
    }
    while (p.pos < len) {
        char c;
        if (!seen && p.pos > 0) /* after leading comments: see stray_bom */
            p.pos += hc__bom_len(buf + p.pos, len - p.pos);
        skip_blanks(&p);
        if (p.pos >= len)
            break;
        c = buf[p.pos];
        if (c == '#')
            skip_to_eol(&p);
        else if (!is_eol(c) && (seen = 1, statement(&p) != 0))
            goto fail;
        if (p.pos < len)
            eat_eol(&p);
    }
    hc__sbuf_free(&p.val);
    json_decref(p.vars);
    free(p.ptr);
    return p.root;
fail:
    hc__sbuf_free(&p.val);
    json_decref(p.vars);
    free(p.ptr);
    json_decref(p.root);
    return NULL;
}
