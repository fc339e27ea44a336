/*
 * parse_ini.c - INI files, following inih's rules (its fixtures are our
 * conformance suite) without its limits: no cap on line or name length, and
 * every error has a line and column. One pass over the buffer, line by line;
 * a key's value stays open (in a buffer) until the next line that is not a
 * continuation, because indented lines may still extend it.
 *
 * Rules, and where we differ from inih on purpose:
 *  - "[section]" opens an object; keys before any section are top-level.
 *    Section names are trimmed ("[ a ]" is "a"; inih keeps the spaces).
 *    A repeated section merges into the first. An empty section is {}.
 *  - "key = value" or "key: value" (the first '=' or ':' splits); names and
 *    values are trimmed; a repeated key: the last one wins.
 *  - ';' or '#' as the first non-blank character starts a comment line;
 *    ';' after whitespace starts an inline comment (in values, section
 *    lines and continuation lines). '#' is never an inline comment.
 *  - A line indented deeper than the line of the open key continues its
 *    value (joined with "\n"). inih treats any indented line as a
 *    continuation; we follow Python's configparser and compare with the
 *    key's own indentation, so indented "key = value" blocks under a
 *    section (.gitconfig) stay keys. An indented line at the key's depth
 *    that is no "name = value" continues the value, as in inih. Both
 *    agree whenever keys start in column 1. Blank and comment lines do
 *    not close the open key (as in inih).
 *  - A line that is only a name is an error, or, with
 *    opts->ini_allow_no_value, that name with the value null.
 *  - Errors, where inih would go on: a section line without ']' (or with
 *    text after it other than a comment), an empty section or key name, a
 *    line that is none of the above, invalid UTF-8, and a section named
 *    like a top-level key ("a = 1" then "[a]": the document could hold
 *    only one of them, and silently dropping either loses data).
 *  - A UTF-8 BOM at the start (or at the start of a line after only
 *    comments), and LF, CRLF or lone CR line ends. A BOM anywhere else is
 *    an error at its position.
 *  - Values are typed by hc__scalar_typed() unless opts->no_typing.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ini_parser {
    const char *buf;
    size_t len;
    int seen_content; /* a line other than blank or comment was read */
    const char *source;
    const hc_parse_options *opts;
    hc__limits lim;
    hc_error *err;
    json_t *root;
    json_t *target; /* borrowed: root or the current section */
    /* JSON pointer of the current section ("" at the top level) */
    char *ptr;
    size_t ptr_cap, sect_ptr_len;
    /* the open key: name is a slice of buf, value is buffered */
    int key_open;
    size_t key_off, key_len, key_indent;
    int val_line, val_col;
    hc__sbuf val;
} ini_parser;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

/* Error at a byte offset; the column does not count a leading BOM. */
static void ini_error(ini_parser *p, int code, size_t off, const char *fmt, ...)
    HC__PRINTF(4, 5);
static void ini_error(ini_parser *p, int code, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hc__error_vat(p->err, code, p->source, p->buf, p->len, off, fmt, ap);
    va_end(ap);
}

/* First ';' preceded by whitespace in [s, e), or e. prev_blank says
 * whether the character before s counts as whitespace. */
static const char *find_inline_comment(const char *s, const char *e,
                                       int prev_blank)
{
    for (; s < e; s++) {
        if (*s == ';' && prev_blank)
            return s;
        prev_blank = is_blank(*s);
    }
    return e;
}

static const char *rtrim(const char *s, const char *e)
{
    while (e > s && is_blank(e[-1]))
        e--;
    return e;
}

static const char *ltrim(const char *s, const char *e)
{
    while (s < e && is_blank(*s))
        s++;
    return s;
}

/* Stores the open key's value into the current target. */
static int close_key(ini_parser *p)
{
    json_t *v;
    if (!p->key_open)
        return 0;
    p->key_open = 0;
    if (hc__sbuf_failed(&p->val)) {
        ini_error(p, HC_ENOMEM, p->key_off, "out of memory");
        return -1;
    }
    v = p->opts->no_typing
            ? json_stringn(p->val.data ? p->val.data : "", p->val.len)
            : hc__scalar_typed(p->val.data ? p->val.data : "", p->val.len);
    if (!v || json_object_setn_new(p->target, p->buf + p->key_off, p->key_len,
                                   v) != 0) {
        ini_error(p, HC_ENOMEM, p->key_off, "out of memory");
        return -1;
    }
    if (p->opts->positions) {
        hc__pointer_push(&p->ptr, &p->ptr_cap, p->sect_ptr_len,
                         p->buf + p->key_off, p->key_len);
        if (hc__posmap_add(p->opts->positions, p->ptr, p->val_line,
                           p->val_col) != 0) {
            ini_error(p, HC_ENOMEM, p->key_off, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* "[name]" at s (the '['), line content up to e. */
static int section_line(ini_parser *p, const char *s, const char *e, int line,
                        size_t line_start)
{
    const char *close = s + 1, *name, *name_end, *rest;
    json_t *sect;

    while (close < e && *close != ']') {
        if (*close == ';' && is_blank(close[-1]))
            break;
        close++;
    }
    if (close >= e || *close != ']') {
        ini_error(p, HC_EPARSE, (size_t)(s - p->buf),
                  "section header has no closing ']'");
        return -1;
    }
    rest = ltrim(close + 1, e);
    if (rest < e && *rest != ';' && *rest != '#') {
        ini_error(p, HC_EPARSE, (size_t)(rest - p->buf),
                  "unexpected text after the section header (a comment "
                  "starts with ';' or '#')");
        return -1;
    }
    name = ltrim(s + 1, close);
    name_end = rtrim(name, close);
    if (name == name_end) {
        ini_error(p, HC_EPARSE, (size_t)(s - p->buf), "empty section name");
        return -1;
    }
    if (p->lim.max_depth < 2) {
        ini_error(p, HC_ELIMIT, (size_t)(s - p->buf),
                  "a section needs nesting depth 2, over the limit "
                  "(max_depth) of %d",
                  p->lim.max_depth);
        return -1;
    }
    sect = json_object_getn(p->root, name, (size_t)(name_end - name));
    if (sect && !json_is_object(sect)) {
        ini_error(p, HC_EPARSE, (size_t)(name - p->buf),
                  "section [%.*s] has the same name as a top-level key",
                  (int)(name_end - name > 200 ? 200 : name_end - name), name);
        return -1;
    }
    p->sect_ptr_len = 0;
    if (p->opts->positions)
        p->sect_ptr_len = hc__pointer_push(&p->ptr, &p->ptr_cap, 0, name,
                                           (size_t)(name_end - name));
    if (!sect) {
        sect = json_object();
        if (!sect || json_object_setn_new(
                         p->root, name, (size_t)(name_end - name), sect) != 0) {
            ini_error(p, HC_ENOMEM, (size_t)(s - p->buf), "out of memory");
            return -1;
        }
        if (p->opts->positions &&
            hc__posmap_add(p->opts->positions, p->ptr, line,
                           (int)((size_t)(s - p->buf) - line_start) + 1) != 0) {
            ini_error(p, HC_ENOMEM, (size_t)(s - p->buf), "out of memory");
            return -1;
        }
    }
    p->target = sect;
    return 0;
}

/* The '=' or ':' that splits "name = value" in [s, e), or NULL (none
 * before an inline comment). */
static const char *find_sep(const char *s, const char *e)
{
    for (const char *c = s; c < e; c++) {
        if (*c == '=' || *c == ':')
            return c;
        if (*c == ';' && c > s && is_blank(c[-1]))
            return NULL;
    }
    return NULL;
}

/* A line that is only a name ("skip-external-locking" in my.cnf): null
 * with ini_allow_no_value, else an error naming that option. */
static int name_only_line(ini_parser *p, const char *s, const char *e, int line,
                          size_t line_start)
{
    const char *name_end = rtrim(s, find_inline_comment(s, e, 0));
    json_t *v;
    if (!p->opts->ini_allow_no_value) {
        ini_error(p, HC_EPARSE, (size_t)(s - p->buf),
                  "expected 'name = value', '[section]' or a comment (a "
                  "name without a value needs the parse option "
                  "ini_allow_no_value, or --ini-allow-no-value)");
        return -1;
    }
    v = json_null();
    if (json_object_setn_new(p->target, s, (size_t)(name_end - s), v) != 0) {
        ini_error(p, HC_ENOMEM, (size_t)(s - p->buf), "out of memory");
        return -1;
    }
    if (p->opts->positions) {
        hc__pointer_push(&p->ptr, &p->ptr_cap, p->sect_ptr_len, s,
                         (size_t)(name_end - s));
        if (hc__posmap_add(p->opts->positions, p->ptr, line,
                           (int)((size_t)(s - p->buf) - line_start) + 1) != 0) {
            ini_error(p, HC_ENOMEM, (size_t)(s - p->buf), "out of memory");
            return -1;
        }
    }
    return 0;
}

/* "name = value" or "name: value" at s, line content up to e. */
static int key_line(ini_parser *p, const char *s, const char *e, int line,
                    size_t line_start, size_t indent)
{
    const char *sep = find_sep(s, e), *name_end, *v, *v_end;
    if (!sep)
        return name_only_line(p, s, e, line, line_start);
    name_end = rtrim(s, sep);
    if (name_end == s) {
        ini_error(p, HC_EPARSE, (size_t)(sep - p->buf),
                  "missing name before '%c'", *sep);
        return -1;
    }
    v_end = find_inline_comment(sep + 1, e, 0);
    v = ltrim(sep + 1, v_end);
    v_end = rtrim(v, v_end);

    p->key_open = 1;
    p->key_off = (size_t)(s - p->buf);
    p->key_len = (size_t)(name_end - s);
    p->key_indent = indent;
    p->val_line = line;
    p->val_col = (int)((size_t)(v - p->buf) - line_start) + 1;
    p->val.len = 0;
    hc__sbuf_append(&p->val, v, (size_t)(v_end - v));
    return 0;
}

json_t *hc__parse_ini(const char *buf, size_t len, const char *source,
                      const hc_parse_options *opts, hc_error *err)
{
    ini_parser p;
    size_t pos, bad;
    int line = 0;

    memset(&p, 0, sizeof p);
    p.buf = buf;
    p.len = len;
    p.source = source;
    p.opts = opts;
    p.lim = hc__limits_from(opts);
    p.err = err;
    if (!hc__utf8_valid(buf, len, &bad)) {
        ini_error(&p, HC_EPARSE, bad, "invalid UTF-8 (byte 0x%02X)",
                  (unsigned)(unsigned char)buf[bad]);
        return NULL;
    }
    p.root = json_object();
    if (!p.root) {
        hc__error_set(err, HC_ENOMEM, source, 0, 0, 0, "out of memory");
        return NULL;
    }
    p.target = p.root;

    pos = hc__bom_len(buf, len); /* columns on line 1 do not count it */
    while (pos < len) {
        size_t line_start = pos, eol = pos, next;
        const char *s, *e, *stray;

        while (eol < len && buf[eol] != '\n' && buf[eol] != '\r')
            eol++;
        next = eol;
        if (next < len)
            next +=
                (buf[next] == '\r' && next + 1 < len && buf[next + 1] == '\n')
                    ? 2
                    : 1;
        line++;
        /* a BOM after leading comments (an editor's header line added
         * above it) is skipped; anywhere else it would hide inside a name
         * or value */
        s = hc__line_skip_bom(buf + pos, buf + eol, !p.seen_content && pos > 0,
                              &stray);
        if (stray) {
            ini_error(&p, HC_EPARSE, (size_t)(stray - buf),
                      "byte order mark (U+FEFF) inside the text: only "
                      "the start of the file may hold one");
            goto fail;
        }
        s = ltrim(s, buf + eol);
        e = rtrim(s, buf + eol);
        pos = next;
        if (s == e || *s == ';' || *s == '#')
            continue;
        p.seen_content = 1;
        {
            size_t indent = (size_t)(s - buf) - line_start;
            /* inih's rule: an indented line after a key continues it. We
             * keep an indented "name = value" at the key's own depth a key
             * of its own (see the README), so only a line that could not
             * be one continues there. */
            if (p.key_open && (indent > p.key_indent ||
                               (indent > 0 && *s != '[' && !find_sep(s, e) &&
                                !opts->ini_allow_no_value))) {
                const char *c_end = rtrim(s, find_inline_comment(s, e, 1));
                hc__sbuf_putc(&p.val, '\n');
                hc__sbuf_append(&p.val, s, (size_t)(c_end - s));
                continue;
            }
            if (close_key(&p) != 0)
                goto fail;
            if (*s == '[') {
                if (section_line(&p, s, e, line, line_start) != 0)
                    goto fail;
            } else if (key_line(&p, s, e, line, line_start, indent) != 0) {
                goto fail;
            }
        }
    }
    if (close_key(&p) != 0)
        goto fail;
    hc__sbuf_free(&p.val);
    free(p.ptr);
    return p.root;

fail:
    hc__sbuf_free(&p.val);
    free(p.ptr);
    json_decref(p.root);
    return NULL;
}
