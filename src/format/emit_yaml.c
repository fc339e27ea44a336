/*
 * emit_yaml.c - hc_dump for YAML: block style, 2-space indent, key order
 * kept, and parse(dump(doc)) == doc for every document. A string is left
 * plain only when our own parser's typing reads it back as that string;
 * text spanning lines becomes a literal block when that is exact, and
 * anything else is double-quoted. This is a small emitter of our own:
 * libfyaml 0.7.12's emitter drops the leading and trailing spaces of a
 * scalar whose style it chooses and writes a plain style it is given
 * unchecked, so it could not keep the round trip.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Implicit keys are limited to 1024 characters; longer ones are written
 * as explicit "? key" entries. */
#define IMPLICIT_KEY_MAX 1000

typedef struct ebuf {
    char *s;
    size_t n, cap;
    int oom;
} ebuf;

static void put(ebuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *ns;
        while (cap < b->n + n + 1)
            cap *= 2;
        ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void puts_(ebuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_indent(ebuf *b, int n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        int k = n < 32 ? n : 32;
        put(b, spaces, (size_t)k);
        n -= k;
    }
}

/* ---- character classes ------------------------------------------------ */

/* Decodes one code point of valid UTF-8 (jansson strings are). */
static unsigned next_cp(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[*i];
    unsigned cp;
    int extra;
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    cp = c & (0x3F >> extra);
    (*i)++;
    for (int k = 0; k < extra && *i < n; k++)
        cp = (cp << 6) | (s[(*i)++] & 0x3F);
    return cp;
}

/* Characters we always escape: YAML's non-printable ones, and those some
 * readers take for line breaks or a byte-order mark. */
static int needs_escape(unsigned cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7F ||
           (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF || cp == '\r';
}

static int has_escapes_or(const char *s, size_t n, int tab_ok)
{
    size_t i = 0;
    while (i < n) {
        unsigned cp = next_cp((const unsigned char *)s, n, &i);
        if (needs_escape(cp) || (cp == '\t' && !tab_ok))
            return 1;
    }
    return 0;
}

static int contains(const char *s, size_t n, const char *what)
{
    size_t w = strlen(what);
    for (size_t i = 0; i + w <= n; i++)
        if (memcmp(s + i, what, w) == 0)
            return 1;
    return 0;
}

/* Whether s can be written as a plain scalar in block context and read
 * back as the same string (for a key: as the same key text). */
static int plain_ok(const char *s, size_t n, int is_key)
{
    char c0;
    if (n == 0)
        return 0;
    c0 = s[0];
    if (strchr(",[]{}#&*!|>'\"%@`", c0) || c0 == ' ')
        return 0;
    /* "-x", "?x", ":x" are plain; "- x", "-", "---" are not */
    if ((c0 == '-' || c0 == '?' || c0 == ':') && (n == 1 || s[1] == ' '))
        return 0;
    if (s[n - 1] == ' ' || s[n - 1] == ':')
        return 0;
    if ((n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0)))
        return 0;
    if (contains(s, n, ": ") || contains(s, n, " #") || memchr(s, '\n', n))
        return 0;
    if (contains(s, n, HC__BOM))
        return 0; /* the parser refuses a BOM in a plain scalar */
    if (has_escapes_or(s, n, 0))
        return 0;
    if (n == 2 && s[0] == '<' && s[1] == '<')
        return 0; /* would be read as a merge key */
    /* keys are read as text, values are typed */
    return is_key || hc__yaml_plain_is_string(s, n);
}

/* A literal block keeps text exactly when no line break needs escaping
 * and the first line does not start with white space (that would need an
 * indentation indicator). */
static int literal_ok(const char *s, size_t n)
{
    return n > 1 && memchr(s, '\n', n) && s[0] != ' ' && s[0] != '\t' &&
           s[0] != '\n' && !has_escapes_or(s, n, 1);
}

/* ---- scalars ---------------------------------------------------------- */

static void put_double_quoted(ebuf *b, const char *s, size_t n)
{
    size_t i = 0, run = 0;
    put(b, "\"", 1);
    while (i < n) {
        size_t at = i;
        unsigned cp = next_cp((const unsigned char *)s, n, &i);
        const char *esc = NULL;
        char tmp[12];
        switch (cp) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\0': esc = "\\0"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default:
            if (needs_escape(cp)) {
                if (cp < 0x100)
                    snprintf(tmp, sizeof tmp, "\\x%02X", cp);
                else
                    snprintf(tmp, sizeof tmp, "\\u%04X", cp);
                esc = tmp;
            }
            break;
        }
        if (esc) {
            put(b, s + run, at - run);
            puts_(b, esc);
            run = i;
        }
    }
    put(b, s + run, n - run);
    put(b, "\"", 1);
}

static void put_real(ebuf *b, double d)
{
    char tmp[40];
    /* jansson holds finite reals only, so this cannot fail */
    int n = hc__real_text(d, tmp, sizeof tmp);
    if (n > 0)
        put(b, tmp, (size_t)n);
}

/* The body of a literal block at indent, after its "|" header. */
static void put_literal(ebuf *b, const char *s, size_t n, int indent)
{
    size_t trail = 0, i = 0;
    while (trail < n && s[n - 1 - trail] == '\n')
        trail++;
    puts_(b, trail == 0 ? "|-\n" : trail == 1 ? "|\n" : "|+\n");
    if (trail)
        n--; /* the last line break belongs to the chomping indicator */
    while (i <= n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        if (end > i) {
            put_indent(b, indent);
            put(b, s + i, end - i);
        }
        put(b, "\n", 1);
        i = end + 1;
    }
}

/* A scalar value followed by its line break. indent is where a literal
 * block's lines go. */
static void put_scalar(ebuf *b, const json_t *v, int indent)
{
    char tmp[32];
    switch (json_typeof(v)) {
    case JSON_NULL: puts_(b, "null"); break;
    case JSON_TRUE: puts_(b, "true"); break;
    case JSON_FALSE: puts_(b, "false"); break;
    case JSON_INTEGER:
        snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        puts_(b, tmp);
        break;
    case JSON_REAL: put_real(b, json_real_value(v)); break;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (plain_ok(s, n, 0)) {
            put(b, s, n);
        } else if (literal_ok(s, n)) {
            put_literal(b, s, n, indent);
            return; /* ends with its own line break */
        } else {
            put_double_quoted(b, s, n);
        }
        break;
    }
    case JSON_OBJECT:
    case JSON_ARRAY:
    default: break;
    }
    put(b, "\n", 1);
}

/* ---- collections ------------------------------------------------------ */

static void put_map(ebuf *b, const json_t *obj, int indent, int inline_first);
static void put_seq(ebuf *b, const json_t *arr, int indent, int inline_first);

static int is_empty_collection(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

/*
 * The value after "key:" (in_seq 0) or "-" (in_seq 1), with the cursor
 * right after that indicator. indent is the column of the key or dash.
 * A mapping in a sequence starts on the dash's line ("- a: 1").
 */
static void put_value(ebuf *b, const json_t *v, int indent, int in_seq)
{
    if (is_empty_collection(v)) {
        puts_(b, json_is_object(v) ? " {}\n" : " []\n");
    } else if (json_is_object(v) || json_is_array(v)) {
        /* in a sequence the collection starts on the dash's line */
        put(b, in_seq ? " " : "\n", 1);
        if (json_is_object(v))
            put_map(b, v, indent + 2, in_seq);
        else
            put_seq(b, v, indent + 2, in_seq);
    } else {
        put(b, " ", 1);
        put_scalar(b, v, indent + 2);
    }
}

static void put_map(ebuf *b, const json_t *obj, int indent, int inline_first)
{
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach((json_t *)obj, k, v)
    {
        size_t kn = strlen(k), start;
        if (!(first && inline_first))
            put_indent(b, indent);
        first = 0;
        start = b->n;
        if (plain_ok(k, kn, 1))
            put(b, k, kn);
        else
            put_double_quoted(b, k, kn);
        if (!b->oom && b->n - start > IMPLICIT_KEY_MAX) {
            /* too long for an implicit key: "? key" then ": value" */
            char *key = malloc(b->n - start);
            size_t len = b->n - start;
            if (!key) {
                b->oom = 1;
                return;
            }
            memcpy(key, b->s + start, len);
            b->n = start;
            put(b, "? ", 2);
            put(b, key, len);
            free(key);
            put(b, "\n", 1);
            put_indent(b, indent);
        }
        put(b, ":", 1);
        put_value(b, v, indent, 0);
    }
}

static void put_seq(ebuf *b, const json_t *arr, int indent, int inline_first)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!(i == 0 && inline_first))
            put_indent(b, indent);
        put(b, "-", 1);
        put_value(b, v, indent, 1);
    }
}

char *hc__dump_yaml(const json_t *doc, hc_error *err)
{
    ebuf b = {NULL, 0, 0, 0};
    if (!doc) {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "no document");
        return NULL;
    }
    if (is_empty_collection(doc))
        puts_(&b, json_is_object(doc) ? "{}\n" : "[]\n");
    else if (json_is_object(doc))
        put_map(&b, doc, 0, 0);
    else if (json_is_array(doc))
        put_seq(&b, doc, 0, 0);
    else
        put_scalar(&b, doc, 2);
    if (b.oom || !b.s) {
        free(b.s);
        hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
        return NULL;
    }
    return b.s;
}
