/*
 * parse_yaml.c - YAML through libfyaml's event API, built straight into
 * json_t (no fy_document in between). libfyaml does the syntax; this layer
 * types plain scalars by the YAML 1.2 core schema, expands aliases as deep
 * copies bounded by the max_alias_nodes budget, applies merge keys, and
 * rejects what our document model cannot hold (several documents,
 * non-scalar or duplicate keys, .inf/.nan). libfyaml runs quiet with its
 * errors collected on our own diag object, so it never prints.
 *
 * Rules where YAML leaves a choice (tests/test_yaml.c holds one test each):
 *  - Typing is the YAML 1.2 core schema, whatever a %YAML directive says.
 *    An integer beyond 64 bits and a float beyond a double are errors that
 *    name the problem (never a silent string or a rounded value); a float
 *    that underflows reads as the nearest double (0.0).
 *  - No document (empty input, only comments) is {}, like an empty INI or
 *    .env file; an explicit empty document ("---") is null.
 *  - Keys are text: the plain key 1 or true is the key "1" or "true"; a
 *    tag on a key is not applied. A key may not contain NUL.
 *  - Tags: !!str !!int !!float !!bool !!null convert (an impossible
 *    conversion is an error); !!map/!!set on mappings and !!seq/!!omap/
 *    !!pairs on sequences are accepted as they are; !!binary, !!timestamp
 *    and other yaml.org scalar tags keep the text as a string; "!" makes
 *    a string; local and foreign tags (!foo, !<tag:x.com,2000:y>) are
 *    ignored and the node is read as if untagged.
 *  - An alias is a deep copy, so the document stays a tree that callers
 *    may modify safely. Each expansion charges the node count of the
 *    anchored value to max_alias_nodes, and the copy counts toward
 *    max_depth where it lands. An anchor may be redefined (the latest
 *    wins); an alias inside its own anchored node is an error.
 *  - Merge keys: a plain "<<" (or !!merge) takes a mapping or a sequence
 *    of mappings; explicit keys win wherever they are written, earlier
 *    mappings of the list win over later ones, and the merged keys take
 *    the place of the << entry in the key order. A quoted "<<" is an
 *    ordinary key; a second << in one mapping is a duplicate key.
 *  - Positions (opts->positions): every value, at its first character; a
 *    value copied by an alias or a merge, at the alias or the << key.
 */
#include "internal.h"
#include "format/yaml_core.h"
#include "format/yaml_rec.h"

#include <errno.h>
#include <libfyaml.h>
#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* ====================================================================== */
/* Tags                                                                    */
/* ====================================================================== */

enum {
    TAG_NONE,    /* untagged: plain scalars are resolved */
    TAG_NONSPEC, /* "!": a string */
    TAG_STR,
    TAG_INT,
    TAG_FLOAT,
    TAG_BOOL,
    TAG_NULL,
    TAG_MAP, /* also !!set, a mapping */
    TAG_SEQ, /* also !!omap, !!pairs: sequences of mappings */
    TAG_MERGE,
    TAG_TEXT,   /* !!binary, !!timestamp, ...: kept as their text */
    TAG_IGNORED /* local and foreign tags: the node as if untagged */
};

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

static int classify_tag(struct fy_token *tag)
{
    static const struct {
        const char *name;
        int kind;
    } core[] = {{"str", TAG_STR},   {"int", TAG_INT},    {"float", TAG_FLOAT},
                {"bool", TAG_BOOL}, {"null", TAG_NULL},  {"map", TAG_MAP},
                {"set", TAG_MAP},   {"seq", TAG_SEQ},    {"omap", TAG_SEQ},
                {"pairs", TAG_SEQ}, {"merge", TAG_MERGE}};
    const size_t plen = sizeof YAML_TAG_PREFIX - 1;
    size_t n = 0;
    const char *t;
    if (!tag)
        return TAG_NONE;
    t = fy_token_get_text(tag, &n);
    if (!t)
        return TAG_IGNORED;
    if (n == 1 && t[0] == '!')
        return TAG_NONSPEC;
    if (n > plen && memcmp(t, YAML_TAG_PREFIX, plen) == 0) {
        for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
            if (eq(t + plen, n - plen, core[i].name))
                return core[i].kind;
        return TAG_TEXT;
    }
    return TAG_IGNORED;
}

/* ====================================================================== */
/* Parser state                                                            */
/* ====================================================================== */

typedef struct anchor {
    char *name;
    json_t *value; /* NULL: an anchored key whose text is no valid value */
    char *text;    /* scalars: their text, for use as a key; else NULL */
    size_t text_len;
    size_t nodes; /* node count of value, charged per alias expansion */
    int height;   /* nesting levels inside value (0 for a scalar) */
} anchor;

typedef struct frame {
    json_t *node; /* the object or array being built (owned) */
    int is_map;
    int want_key;
    char *key; /* copy of the current key's text when not in the input */
    const char *key_text; /* the current key (maps): in the input or key */
    size_t key_len, key_cap;
    size_t key_off;   /* byte offset of the current key */
    int key_unmarked; /* an empty key has no mark: use its value's */
    int key_merge;    /* the current key is the merge key << */
    int has_merge;    /* this map already had a << key */
    size_t merge_at;  /* explicit keys before the << entry */
    size_t merge_off;
    json_t *merges; /* array of mappings to merge, or NULL */
    char *anchor;   /* to register when the node is complete */
    size_t off;     /* byte offset of the node's start */
    size_t nodes;
    int height;
    size_t ptr_len; /* length of this node's JSON pointer */
    size_t index;   /* sequences: index of the next element */
    int no_pos;     /* inside a << value: record no positions */
    int flow;       /* opened by '[' or '{' (offset off) */
} frame;

typedef struct yparser {
    const char *buf;
    size_t len;
    const char *source;
    hc_error *err;
    hc__limits lim;
    hc_posmap *positions;

    frame *stack;
    int depth, stack_cap;
    json_t *root;
    int docs;
    int failed;
    hc_yaml_multi multi; /* opts->yaml_multi */
    json_t *acc;         /* ARRAY/MERGE: the documents read so far */
    size_t doc_index;    /* ARRAY: index of the document being read */
    int depth_base;      /* ARRAY: 1, the outer array's nesting level */
    int corrupt;         /* libfyaml gave garbage text (see text_from_source) */
    size_t last_off;     /* offset of the latest event with a mark */

    anchor *anchors;
    size_t n_anchors, cap_anchors;
    json_t *anchor_index; /* name -> index into anchors (an integer) */
    size_t alias_nodes;   /* nodes copied by alias expansion so far */

    char *ptr; /* JSON pointer scratch (positions only) */
    size_t ptr_cap;
    size_t *line_starts; /* lazily built line index (positions only) */
    size_t n_lines;

    char *sq; /* single-quoted text decoded by us (see scalar_text) */
    size_t sq_cap;

    char diag_text[HC_ERROR_TEXT_LENGTH]; /* fallback: first diag output */

    hc__yaml_rec *rec; /* the reusing parse's record, or NULL */
} yparser;

/* ---- errors and positions --------------------------------------------- */

static void fail_at(yparser *p, int code, size_t off, const char *fmt, ...)
    HC__PRINTF(4, 5);

static void fail_at(yparser *p, int code, size_t off, const char *fmt, ...)
{
    char text[HC_ERROR_TEXT_LENGTH];
    va_list ap;
    if (p->failed)
        return;
    p->failed = 1;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hc__error_at(p->err, code, p->source, p->buf, p->len, off, "%s", text);
}

static void fail_nomem(yparser *p)
{
    if (p->failed)
        return;
    p->failed = 1;
    hc__error_set(p->err, HC_ENOMEM, p->source, 0, 0, 0, "out of memory");
}

/* A short, printable rendering of user text for messages. */
static const char *show(const char *s, size_t n, char *out, size_t size)
{
    size_t o = 0, max = size - 4;
    for (size_t i = 0; i < n && o < max; i++)
        out[o++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (o == max && n > max) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static size_t event_off(yparser *p, struct fy_event *ev)
{
    const struct fy_mark *m = fy_event_start_mark(ev);
    if (m && m->input_pos <= p->len)
        p->last_off = m->input_pos;
    return p->last_off;
}

/* libfyaml marks a quoted scalar after its opening quote and an alias
 * after its '*'; we point at the node itself. */
static size_t back_over(yparser *p, size_t off, char c)
{
    return (off > 0 && off <= p->len && p->buf[off - 1] == c) ? off - 1 : off;
}

static size_t token_off(yparser *p, struct fy_token *t, size_t fallback)
{
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    return (m && m->input_pos <= p->len) ? m->input_pos : fallback;
}

/* Line starts, with the line breaks hc__line_col counts (LF, CRLF, CR). */
static int build_lines(yparser *p)
{
    size_t cap = 64, n = 1;
    size_t *ls = malloc(cap * sizeof *ls);
    if (!ls)
        return -1;
    ls[0] = 0;
    for (size_t i = 0; i < p->len; i++) {
        char c = p->buf[i];
        if (c == '\n' ||
            (c == '\r' && (i + 1 >= p->len || p->buf[i + 1] != '\n'))) {
            if (n == cap) {
                size_t *nl = realloc(ls, 2 * cap * sizeof *ls);
                if (!nl) {
                    free(ls);
                    return -1;
                }
                ls = nl;
                cap *= 2;
            }
            ls[n++] = i + 1;
        }
    }
    p->line_starts = ls;
    p->n_lines = n;
    return 0;
}

static void off_line_col(yparser *p, size_t off, int *line, int *col)
{
    size_t lo = 0, hi = p->n_lines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->line_starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *line = (int)lo + 1;
    *col = (int)(off - p->line_starts[lo]) + 1;
}

static void record(yparser *p, size_t ptr_len, size_t off)
{
    int line, col;
    if (!p->positions)
        return;
    off_line_col(p, off, &line, &col);
    if (hc__posmap_add(p->positions, ptr_len ? p->ptr : "", line, col) != 0)
        fail_nomem(p);
}

/* Records every value under v (an alias copy, merged keys) at one place. */
static void record_tree(yparser *p, size_t ptr_len, const json_t *v, size_t off)
{
    record(p, ptr_len, off);
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            size_t l =
                hc__pointer_push(&p->ptr, &p->ptr_cap, ptr_len, k, strlen(k));
            record_tree(p, l, c, off);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            char idx[24];
            int n = snprintf(idx, sizeof idx, "%zu", i);
            size_t l =
                hc__pointer_push(&p->ptr, &p->ptr_cap, ptr_len, idx, (size_t)n);
            record_tree(p, l, c, off);
        }
    }
    if (p->ptr)
        p->ptr[ptr_len] = '\0';
}

/* Pointer of the value about to be added to the top frame; its length,
 * or (size_t)-1 when positions are not wanted there. */
static size_t child_pointer(yparser *p)
{
    frame *f;
    if (!p->positions)
        return (size_t)-1;
    if (p->depth == 0 && p->multi == HC_YAML_MULTI_ARRAY) {
        char idx[24];
        int n = snprintf(idx, sizeof idx, "%zu", p->doc_index);
        return hc__pointer_push(&p->ptr, &p->ptr_cap, 0, idx, (size_t)n);
    }
    if (p->depth == 0)
        return 0;
    f = &p->stack[p->depth - 1];
    if (f->no_pos || (f->is_map && f->key_merge))
        return (size_t)-1;
    if (f->is_map)
        return hc__pointer_push(&p->ptr, &p->ptr_cap, f->ptr_len, f->key_text,
                                f->key_len);
    {
        char idx[24];
        int n = snprintf(idx, sizeof idx, "%zu", f->index);
        return hc__pointer_push(&p->ptr, &p->ptr_cap, f->ptr_len, idx,
                                (size_t)n);
    }
}

/* ---- anchors ---------------------------------------------------------- */

static anchor *find_anchor(yparser *p, const char *name, size_t n)
{
    json_t *ix;
    if (!p->anchor_index)
        return NULL;
    ix = json_object_getn(p->anchor_index, name, n);
    return ix ? &p->anchors[json_integer_value(ix)] : NULL;
}

/* Registers (or redefines: the latest definition wins) an anchor. Takes a
 * new reference to value. */
static void add_anchor(yparser *p, const char *name, json_t *value,
                       const char *text, size_t text_len, size_t nodes,
                       int height)
{
    size_t n = strlen(name);
    anchor *a = find_anchor(p, name, n);
    if (!a) {
        if (!p->anchor_index && !(p->anchor_index = json_object())) {
            fail_nomem(p);
            return;
        }
        if (p->n_anchors == p->cap_anchors) {
            size_t cap = p->cap_anchors ? 2 * p->cap_anchors : 16;
            anchor *na = realloc(p->anchors, cap * sizeof *na);
            if (!na) {
                fail_nomem(p);
                return;
            }
            p->anchors = na;
            p->cap_anchors = cap;
        }
        a = &p->anchors[p->n_anchors];
        memset(a, 0, sizeof *a);
        a->name = strdup(name);
        if (!a->name || json_object_setn_new_nocheck(
                            p->anchor_index, name, n,
                            json_integer((json_int_t)p->n_anchors)) != 0) {
            free(a->name);
            fail_nomem(p);
            return;
        }
        p->n_anchors++;
    } else {
        json_decref(a->value);
        free(a->text);
        a->text = NULL;
    }
    a->value = json_incref(value);
    a->nodes = nodes;
    a->height = height;
    a->text_len = text_len;
    if (text) {
        a->text = malloc(text_len + 1);
        if (!a->text) {
            fail_nomem(p);
            return;
        }
        memcpy(a->text, text, text_len);
        a->text[text_len] = '\0';
    }
}

static char *anchor_name(yparser *p, struct fy_token *t)
{
    size_t n;
    const char *s;
    char *out;
    if (!t)
        return NULL;
    s = fy_token_get_text(t, &n);
    if (!s || !(out = malloc(n + 1))) {
        fail_nomem(p);
        return NULL;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* ---- building --------------------------------------------------------- */

/* "a mapping", "an integer": for messages. */
static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a sequence";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a float";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL:
    default: return "null";
    }
}

#define SWAR_ONES UINT64_C(0x0101010101010101)
#define SWAR_HIGH UINT64_C(0x8080808080808080)

/* 1 for the bytes check_text passes without a look: printable ASCII,
 * tab, LF, CR */
static const unsigned char plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* YAML streams hold printable characters only (c-printable), and
 * libfyaml lets C0 controls and some invalid bytes through: one pass
 * checks both. Returns 0 when the text is fine; else fills *off and, for
 * a character that is not printable, *cp (invalid UTF-8 anywhere is
 * reported first, with *cp left alone: returns 1; not printable: 2). */
static int check_text(const char *buf, size_t len, size_t *off, unsigned *cp)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t np = len, i = 0;
    unsigned np_cp = 0;
    while (i < len) {
        unsigned c;
        size_t n, bad;
        /* printable ASCII, tab and line breaks: the bytes of most text,
         * four at a time */
        while (i + 4 <= len && (plain_byte[s[i]] & plain_byte[s[i + 1]] &
                                plain_byte[s[i + 2]] & plain_byte[s[i + 3]]))
            i += 4;
        if (i == len)
            break;
        c = s[i];
        if (plain_byte[c]) {
            i++;
            continue;
        }
        if (c < 0x80) { /* a C0 control or DEL */
            if (np == len) {
                np = i;
                np_cp = c;
            }
            i++;
            continue;
        }
        n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (n > len - i)
            n = len - i;
        if (!hc__utf8_valid(buf + i, n, &bad)) {
            *off = i + bad;
            return 1;
        }
        if (np == len) {
            if (c == 0xC2 && s[i + 1] <= 0x9F && s[i + 1] != 0x85) {
                np = i; /* C1 controls but NEL */
                np_cp = s[i + 1];
            } else if (c == 0xEF && s[i + 1] == 0xBF &&
                       (s[i + 2] == 0xBE || s[i + 2] == 0xBF)) {
                np = i;
                np_cp = 0xFFFE + (s[i + 2] - 0xBE);
            }
        }
        i += n;
    }
    if (np == len)
        return 0;
    *off = np;
    *cp = np_cp;
    return 2;
}

static void note_child(frame *f, size_t nodes, int height)
{
    f->nodes += nodes;
    if (height + 1 > f->height)
        f->height = height + 1;
}

/* Adds a complete value (stolen) to the top frame, or makes it the root. */
static void add_value(yparser *p, json_t *v, size_t nodes, int height,
                      size_t off)
{
    frame *f;
    if (p->depth == 0) {
        p->root = v;
        return;
    }
    f = &p->stack[p->depth - 1];
    note_child(f, nodes, height);
    if (!f->is_map) {
        if (json_array_append_new(f->node, v) != 0)
            fail_nomem(p);
        f->index++;
        return;
    }
    f->want_key = 1;
    if (f->key_unmarked)
        f->key_off = off;
    if (f->key_merge) {
        f->key_merge = 0;
        if (json_is_array(v)) {
            size_t i;
            json_t *m;
            json_array_foreach(v, i, m)
            {
                if (!json_is_object(m)) {
                    fail_at(p, HC_EPARSE, off,
                            "merge key '<<' takes a mapping or a sequence of "
                            "mappings, but element %zu is %s",
                            i, type_name(m));
                    json_decref(v);
                    return;
                }
            }
            f->merges = v;
        } else if (json_is_object(v)) {
            if (!(f->merges = json_array()) ||
                json_array_append_new(f->merges, v) != 0)
                fail_nomem(p);
        } else {
            fail_at(p, HC_EPARSE, off,
                    "merge key '<<' takes a mapping or a sequence of "
                    "mappings, not %s",
                    type_name(v));
            json_decref(v);
        }
        return;
    }
    {
        /* One hash lookup: a set that does not grow the object replaced a
         * duplicate, and the document is abandoned anyway. */
        size_t before = json_object_size(f->node);
        if (json_object_setn_new_nocheck(f->node, f->key_text, f->key_len, v) !=
            0) {
            fail_nomem(p);
            return;
        }
        if (json_object_size(f->node) == before) {
            char k[72];
            fail_at(p, HC_EPARSE, f->key_off, "duplicate key '%s'",
                    show(f->key_text, f->key_len, k, sizeof k));
        }
    }
}

/* Inserts into out the merged keys that are neither explicit keys of the
 * map nor already merged: explicit keys win over merged ones, and earlier
 * mappings of a << list over later ones. */
static int merge_into(yparser *p, frame *f, json_t *out)
{
    size_t mi;
    json_t *m;
    json_array_foreach(f->merges, mi, m)
    {
        const char *k;
        json_t *v;
        json_object_foreach(m, k, v)
        {
            if (json_object_get(f->node, k) || json_object_get(out, k))
                continue;
            if (json_object_set_nocheck(out, k, v) != 0)
                return -1;
            if (p->positions && !f->no_pos)
                record_tree(p,
                            hc__pointer_push(&p->ptr, &p->ptr_cap, f->ptr_len,
                                             k, strlen(k)),
                            v, f->merge_off);
        }
    }
    return 0;
}

/* The finished map with its << entry replaced by the merged keys, in
 * place: keys keep their written order. */
static json_t *apply_merges(yparser *p, frame *f)
{
    json_t *out = json_object();
    size_t j = 0;
    const char *k;
    json_t *v;
    if (!out)
        return NULL;
    json_object_foreach(f->node, k, v)
    {
        if (j++ == f->merge_at && merge_into(p, f, out) != 0)
            goto nomem;
        if (json_object_set_nocheck(out, k, v) != 0)
            goto nomem;
    }
    if (f->merge_at >= j && merge_into(p, f, out) != 0)
        goto nomem;
    return out;
nomem:
    json_decref(out);
    return NULL;
}

/* ---- scalars ---------------------------------------------------------- */

static const char *tag_display(struct fy_token *tag, char *out, size_t size)
{
    size_t n = 0;
    const char *t = tag ? fy_token_get_text(tag, &n) : NULL;
    const size_t plen = sizeof YAML_TAG_PREFIX - 1;
    if (!t)
        return "?";
    if (n > plen && memcmp(t, YAML_TAG_PREFIX, plen) == 0) {
        char tmp[64];
        snprintf(out, size, "!!%s", show(t + plen, n - plen, tmp, sizeof tmp));
        return out;
    }
    return show(t, n, out, size);
}

/*
 * The value of a scalar event. On failure returns NULL and, unless quiet
 * (anchored keys, whose value may never be used), fails the parse.
 */
static json_t *scalar_value(yparser *p, struct fy_event *ev, const char *s,
                            size_t n, size_t off, int quiet)
{
    enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
    int tk = classify_tag(ev->scalar.tag);
    hc__yaml_scalar v = {0, 0.0, 0};
    int kind = HC__SC_STR;
    char t1[72], t2[72];
    json_t *out = NULL;

    switch (tk) {
    case TAG_NONE:
    case TAG_IGNORED:
        kind =
            style == FYSS_PLAIN ? hc__yaml_resolve_plain(s, n, &v) : HC__SC_STR;
        break;
    case TAG_NONSPEC:
    case TAG_STR:
    case TAG_TEXT:
    case TAG_MERGE: kind = HC__SC_STR; break;
    case TAG_INT: kind = hc__yaml_core_int(s, n, &v.i); break;
    case TAG_FLOAT:
        kind = hc__yaml_core_int(s, n, &v.i);
        if (kind == HC__SC_INT) {
            v.d = (double)v.i;
            kind = HC__SC_FLOAT;
        } else if (hc__yaml_is_core_float(s, n)) {
            kind = hc__yaml_core_float(s, n, &v.d);
        } else if (hc__yaml_is_nonfinite(s, n)) {
            kind = HC__SC_NONFINITE;
        } else {
            kind = -1;
        }
        break;
    case TAG_BOOL:
        v.b = hc__yaml_bool_text(s, n);
        kind = v.b >= 0 ? HC__SC_BOOL : -1;
        break;
    case TAG_NULL: kind = hc__yaml_is_null(s, n) ? HC__SC_NULL : -1; break;
    case TAG_MAP:
    case TAG_SEQ:
    default:
        if (!quiet)
            fail_at(p, HC_EPARSE, token_off(p, ev->scalar.tag, off),
                    "tag %s cannot apply to a scalar",
                    tag_display(ev->scalar.tag, t1, sizeof t1));
        return NULL;
    }

    switch (kind) {
    case HC__SC_STR:
        /* escapes of double-quoted scalars are the only way to produce
         * text that was not in the (validated) input */
        out = style == FYSS_DOUBLE_QUOTED ? json_stringn(s, n)
                                          : json_stringn_nocheck(s, n);
        if (!out && style == FYSS_DOUBLE_QUOTED &&
            !hc__utf8_valid(s, n, &off)) {
            if (!quiet)
                fail_at(p, HC_EPARSE, off, "string is not valid UTF-8");
            return NULL;
        }
        break;
    case HC__SC_NULL: out = json_null(); break;
    case HC__SC_BOOL: out = json_boolean(v.b); break;
    case HC__SC_INT: out = json_integer(v.i); break;
    case HC__SC_FLOAT: out = json_real(v.d); break;
    case HC__SC_NONFINITE:
        if (!quiet)
            fail_at(p, HC_EPARSE, off,
                    "'%s' is not a finite number: the document model holds "
                    "finite numbers only (quote it to keep it as a string)",
                    show(s, n, t1, sizeof t1));
        return NULL;
    case HC__SC_INT_RANGE:
        if (!quiet)
            fail_at(p, HC_EPARSE, off,
                    "integer %s does not fit in 64 bits (quote it to keep it "
                    "as a string)",
                    show(s, n, t1, sizeof t1));
        return NULL;
    case HC__SC_FLOAT_RANGE:
        if (!quiet)
            fail_at(p, HC_EPARSE, off,
                    "number %s is beyond the range of a double (quote it to "
                    "keep it as a string)",
                    show(s, n, t1, sizeof t1));
        return NULL;
    case HC__SC_NOMEM:
        if (!quiet)
            fail_nomem(p);
        return NULL;
    default:
        if (!quiet)
            fail_at(p, HC_EPARSE, token_off(p, ev->scalar.tag, off),
                    "'%s' cannot be read as %s", show(s, n, t1, sizeof t1),
                    tag_display(ev->scalar.tag, t2, sizeof t2));
        return NULL;
    }
    if (!out && !quiet)
        fail_nomem(p);
    return out;
}

/* ---- events ----------------------------------------------------------- */

static frame *top(yparser *p)
{
    return p->depth ? &p->stack[p->depth - 1] : NULL;
}

static int set_key(yparser *p, frame *f, const char *s, size_t n, size_t off)
{
    if (memchr(s, '\0', n)) {
        fail_at(p, HC_EPARSE, off, "a key cannot contain a NUL character");
        return -1;
    }
    f->key_len = n;
    f->key_off = off;
    f->want_key = 0;
    if (s >= p->buf && s + n <= p->buf + p->len) {
        /* the input outlives the parse: no copy */
        f->key_text = s;
        return 0;
    }
    if (n + 1 > f->key_cap) {
        size_t cap = f->key_cap ? f->key_cap : 32;
        char *nk;
        while (cap < n + 1)
            cap *= 2;
        nk = realloc(f->key, cap);
        if (!nk) {
            fail_nomem(p);
            return -1;
        }
        f->key = nk;
        f->key_cap = cap;
    }
    memcpy(f->key, s, n);
    f->key[n] = '\0';
    f->key_text = f->key;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * Decodes the raw content of a single-quoted scalar (between its quotes):
 * '' is a quote, and lines fold as YAML 1.2 says (one break is a space,
 * each further empty line a newline, white space around breaks dropped).
 */
static char *decode_single_quoted(yparser *p, const char *raw, size_t n,
                                  size_t *out_len)
{
    size_t o = 0, i = 0, breaks = 0;
    int first = 1;
    if (n + 1 > p->sq_cap) {
        char *nb = realloc(p->sq, n + 1);
        if (!nb)
            return NULL;
        p->sq = nb;
        p->sq_cap = n + 1;
    }
    while (i <= n) {
        size_t start = i, end, next;
        int last;
        while (i < n && raw[i] != '\n' && raw[i] != '\r')
            i++;
        end = i;
        last = i >= n;
        next =
            i + ((i + 1 < n && raw[i] == '\r' && raw[i + 1] == '\n') ? 2 : 1);
        if (!first)
            while (start < end && is_blank(raw[start]))
                start++;
        if (!last)
            while (end > start && is_blank(raw[end - 1]))
                end--;
        if (!first) {
            if (start == end && !last) {
                breaks++;
                i = next;
                continue;
            }
            if (breaks == 0)
                p->sq[o++] = ' ';
            for (; breaks; breaks--)
                p->sq[o++] = '\n';
        }
        for (size_t k = start; k < end; k++) {
            p->sq[o++] = raw[k];
            if (raw[k] == '\'' && k + 1 < end && raw[k + 1] == '\'')
                k++;
        }
        first = 0;
        i = next;
    }
    *out_len = o;
    return p->sq;
}

/* True when raw[0..n) holds none of the bytes a, b, c. raw[0..avail) is
 * readable (avail >= n): scalars are mostly shorter than a word, so the
 * last word is read whole and its bytes past n are masked off. */
static int lacks(const char *raw, size_t n, size_t avail, char a, char b,
                 char c)
{
    const uint64_t ra = SWAR_ONES * (unsigned char)a;
    const uint64_t rb = SWAR_ONES * (unsigned char)b;
    const uint64_t rc = SWAR_ONES * (unsigned char)c;
    size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i < n && i + 8 <= avail; i += 8) {
        uint64_t x, hit;
        memcpy(&x, raw + i, 8);
        /* a byte of x ^ r is zero where x holds r's byte; a borrow only
         * marks bytes above a real hit, so masking the top bytes is
         * exact on a little-endian load */
        hit = (((x ^ ra) - SWAR_ONES) & ~(x ^ ra)) |
              (((x ^ rb) - SWAR_ONES) & ~(x ^ rb)) |
              (((x ^ rc) - SWAR_ONES) & ~(x ^ rc));
        hit &= SWAR_HIGH;
        if (n - i < 8)
            hit &= (UINT64_C(1) << 8 * (n - i)) - 1;
        if (hit)
            return 0;
    }
#else
    (void)avail;
    (void)ra;
    (void)rb;
    (void)rc;
#endif
    for (; i < n; i++)
        if (raw[i] == a || raw[i] == b || raw[i] == c)
            return 0;
    return 1;
}

static int text_from_source(const char *text, size_t n, const char *raw,
                            size_t rn)
{
    size_t count[256] = {0};
    for (size_t i = 0; i < rn; i++)
        count[(unsigned char)raw[i]]++;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '\n' || c == '\r')
            continue;
        if (count[c]-- == 0)
            return 0;
    }
    return 1;
}

static const char *scalar_text(yparser *p, struct fy_event *ev, size_t *n)
{
    struct fy_token *t = ev->scalar.value;
    enum fy_scalar_style style = fy_token_scalar_style(t);
    const struct fy_mark *a, *b;
    const char *raw;
    size_t rn;
    const char *text;
    a = fy_token_start_mark(t);
    b = fy_token_end_mark(t);
    if (!a || !b || a->input_pos > b->input_pos || b->input_pos > p->len)
        return fy_token_get_text(t, n);
    raw = p->buf + a->input_pos;
    rn = b->input_pos - a->input_pos;
    if (style != FYSS_PLAIN && style != FYSS_SINGLE_QUOTED &&
        style != FYSS_DOUBLE_QUOTED) {
        text = fy_token_get_text(t, n);
        if (text && !text_from_source(text, *n, raw, rn)) {
            p->corrupt = 1;
            return NULL;
        }
        return text;
    }
    if (lacks(raw, rn, p->len - a->input_pos, '\n', '\r',
              style == FYSS_PLAIN           ? '\n'
              : style == FYSS_SINGLE_QUOTED ? '\''
                                            : '\\')) {
        *n = rn;
        return raw;
    }
    if (style == FYSS_SINGLE_QUOTED)
        return decode_single_quoted(p, raw, rn, n);
    text = fy_token_get_text(t, n);
    if (text && style == FYSS_PLAIN && !text_from_source(text, *n, raw, rn)) {
        p->corrupt = 1;
        return NULL;
    }
    return text;
}

/* ---- the reusing parse's record (yaml_reuse.c) ------------------------- */

static int key_start_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/* A top-level key: kept when it is a one-line plain scalar at column 0
 * whose first byte cannot start anything but a plain scalar, so that the
 * entry before it ends at its line whatever that line holds after it. */
static void rec_top_key(yparser *p, struct fy_event *ev, const char *s,
                        size_t n, size_t off)
{
    const struct fy_mark *a = fy_event_start_mark(ev);
    const struct fy_mark *b = fy_token_end_mark(ev->scalar.value);
    hc__yaml_rec *r = p->rec;
    if (fy_token_scalar_style(ev->scalar.value) != FYSS_PLAIN || !a || !b ||
        a->column != 0 || a->input_pos != off || b->input_pos != off + n ||
        s != p->buf + off || n == 0 || !key_start_byte(s[0]) ||
        (off > 0 && p->buf[off - 1] != '\n' && p->buf[off - 1] != '\r')) {
        r->bad = 1;
        return;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        hc__yaml_key *nk = realloc(r->keys, cap * sizeof *nk);
        if (!nk) {
            r->bad = 1;
            return;
        }
        r->keys = nk;
        r->cap = cap;
    }
    r->keys[r->n].off = off;
    r->keys[r->n].len = n;
    r->n++;
}

/* Bytes from the start of off's line to off. */
static size_t column_of(const yparser *p, size_t off)
{
    size_t i = off;
    while (i > 0 && p->buf[i - 1] != '\n' && p->buf[i - 1] != '\r')
        i--;
    return off - i;
}

/*
 * The first non-blank line of a literal or folded scalar (libfyaml marks
 * a block scalar from the line after its header): 1 with its offset and
 * indentation, 0 when none is left, -1 when a tab starts one or the mark
 * is missing.
 */
static int block_first_line(const yparser *p, struct fy_event *ev, size_t *at,
                            size_t *indent)
{
    const struct fy_mark *a = fy_token_start_mark(ev->scalar.value);
    size_t i;
    if (!a || a->input_pos > p->len)
        return -1;
    i = a->input_pos;
    if (column_of(p, i) != 0) { /* not at a line start: the next one */
        while (i < p->len && p->buf[i] != '\n' && p->buf[i] != '\r')
            i++;
        i += (i + 1 < p->len && p->buf[i] == '\r' && p->buf[i + 1] == '\n') ? 2
                                                                            : 1;
    }
    while (i < p->len) {
        size_t j = i;
        while (j < p->len && p->buf[j] == ' ')
            j++;
        if (j < p->len && p->buf[j] == '\t')
            return -1;
        if (j >= p->len)
            return 0;
        if (p->buf[j] != '\n' && p->buf[j] != '\r') {
            *at = j;
            *indent = j - i;
            return 1;
        }
        i = j + ((j + 1 < p->len && p->buf[j] == '\r' && p->buf[j + 1] == '\n')
                     ? 2
                     : 1);
    }
    return 0;
}

/*
 * A literal or folded scalar whose first non-blank line is indented no
 * more than its parent (the column of its mapping's keys, or of its
 * sequence's '-')
 * is empty (YAML 1.2, 8.1.1.1), and that line is the parent's next entry.
 * libfyaml 0.7.12 reads the lines from there into the scalar when they
 * are at the parent's own column (not at column 0), and returns text that
 * varies from run to run (valgrind: uninitialised bytes): refused here
 * with a message, before its text is read. Returns -1 when refused.
 *
 * For the reusing parse's record, any such scalar, or a tab in a block
 * scalar's indentation, makes the document one that keeps no record,
 * rather than reasoning about it.
 */
static int check_block_scalar(yparser *p, struct fy_event *ev, const frame *f)
{
    size_t at = 0, indent = 0, parent;
    int r = block_first_line(p, ev, &at, &indent);
    if (!f || f->flow) {
        if (p->rec)
            p->rec->bad = 1;
        return 0;
    }
    /* a block mapping's start is its first key; an explicit key's '?' */
    parent = column_of(p, f->off);
    if (r == 1 && parent > 0 && indent == parent &&
        !(f->is_map && f->want_key)) {
        fail_at(p, HC_EPARSE, at,
                "this line is not indented more than the %s before it, so "
                "the block scalar there is empty, which libfyaml 0.7.12 "
                "misreads: write the empty value as \"\", or indent the "
                "text under it",
                f->is_map ? "key" : "'-'");
        return -1;
    }
    if (p->rec && (r < 0 || (r == 1 && indent <= parent)))
        p->rec->bad = 1;
    return 0;
}

static void on_scalar_text(yparser *p, struct fy_event *ev)
{
    size_t off = event_off(p, ev), n = 0;
    enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
    const char *s = scalar_text(p, ev, &n);
    frame *f = top(p);
    char *aname = NULL;
    json_t *v;
    size_t ptr;

    if (!s) {
        if (p->corrupt)
            fail_at(p, HC_EPARSE, off,
                    "libfyaml returned corrupt text for this scalar (a "
                    "libfyaml 0.7.12 bug); the document cannot be read "
                    "safely");
        else
            fail_nomem(p);
        return;
    }
    if (style == FYSS_SINGLE_QUOTED)
        off = back_over(p, off, '\'');
    else if (style == FYSS_DOUBLE_QUOTED)
        off = back_over(p, off, '"');
    /* memchr first: memmem's setup costs more than most plain scalars */
    if (style == FYSS_PLAIN && memchr(s, (unsigned char)HC__BOM[0], n) &&
        memmem(s, n, HC__BOM, 3)) {
        /* YAML 1.2 allows a BOM inside quoted scalars only (for JSON
         * compatibility); a plain one is an editor's stray byte that
         * would make "version" unreachable as a key */
        const struct fy_mark *a = fy_token_start_mark(ev->scalar.value);
        const struct fy_mark *b = fy_token_end_mark(ev->scalar.value);
        const char *at = NULL;
        if (a && b && a->input_pos <= b->input_pos && b->input_pos <= p->len)
            at = memmem(p->buf + a->input_pos, b->input_pos - a->input_pos,
                        HC__BOM, 3);
        fail_at(p, HC_EPARSE, at ? (size_t)(at - p->buf) : off,
                "byte order mark (U+FEFF) inside a plain scalar: a BOM may "
                "only start the file or a document, before its comments");
        return;
    }
    if (ev->scalar.anchor && !(aname = anchor_name(p, ev->scalar.anchor)))
        return;
    if (p->rec) {
        if (ev->scalar.anchor || ev->scalar.tag || !f)
            p->rec->bad = 1;
        else if (f->is_map && f->want_key && p->depth == 1)
            rec_top_key(p, ev, s, n, off);
    }
    if (f && f->is_map && f->want_key) {
        /* Keys are text: a plain 1 or true is the key "1" or "true". */
        int tk = classify_tag(ev->scalar.tag);
        if (set_key(p, f, s, n, off) != 0)
            goto out;
        f->key_unmarked = fy_event_start_mark(ev) == NULL;
        if (n == 2 && s[0] == '<' && s[1] == '<' && style == FYSS_PLAIN &&
            (tk == TAG_NONE || tk == TAG_MERGE)) {
            if (f->has_merge) {
                fail_at(p, HC_EPARSE, off, "duplicate merge key '<<'");
                goto out;
            }
            f->has_merge = 1;
            f->key_merge = 1;
            if (p->rec)
                p->rec->bad = 1;
            f->merge_at = json_object_size(f->node);
            f->merge_off = off;
        }
        if (aname) {
            v = scalar_value(p, ev, s, n, off, 1);
            add_anchor(p, aname, v, s, n, 1, 0);
            json_decref(v);
        }
        goto out;
    }
    v = scalar_value(p, ev, s, n, off, 0);
    if (!v)
        goto out;
    if (aname)
        add_anchor(p, aname, v, s, n, 1, 0);
    ptr = child_pointer(p);
    if (ptr != (size_t)-1)
        record(p, ptr, off);
    add_value(p, v, 1, 0, off);
out:
    free(aname);
}

static void on_scalar(yparser *p, struct fy_event *ev)
{
    enum fy_scalar_style st = fy_token_scalar_style(ev->scalar.value);
    if ((st == FYSS_LITERAL || st == FYSS_FOLDED) &&
        check_block_scalar(p, ev, top(p)) != 0)
        return;
    on_scalar_text(p, ev);
}

static void on_alias(yparser *p, struct fy_event *ev)
{
    size_t off = event_off(p, ev), n = 0, ptr;
    const char *name = fy_token_get_text(ev->alias.anchor, &n);
    anchor *a = name ? find_anchor(p, name, n) : NULL;
    frame *f = top(p);
    char shown[72];
    json_t *copy;

    off = back_over(p, off, '*');
    if (p->rec)
        p->rec->bad = 1;
    if (!name) {
        fail_nomem(p);
        return;
    }
    show(name, n, shown, sizeof shown);
    for (int i = 0; i < p->depth; i++) {
        const char *an = p->stack[i].anchor;
        if (an && strlen(an) == n && memcmp(an, name, n) == 0) {
            fail_at(p, HC_EPARSE, off,
                    "alias *%s refers to a node that contains it: recursive "
                    "structures are not supported",
                    shown);
            return;
        }
    }
    if (!a) {
        fail_at(p, HC_EPARSE, off, "undefined alias *%s", shown);
        return;
    }
    if (f && f->is_map && f->want_key) {
        if (!a->text) {
            fail_at(p, HC_EPARSE, off,
                    "alias *%s refers to %s, which cannot be a mapping key: "
                    "keys must be scalars",
                    shown, type_name(a->value));
            return;
        }
        if (set_key(p, f, a->text, a->text_len, off) == 0)
            f->key_unmarked = 0;
        return;
    }
    if (!a->value) {
        fail_at(p, HC_EPARSE, off,
                "alias *%s refers to a key whose text is not a valid value",
                shown);
        return;
    }
    if (a->nodes > p->lim.max_alias_nodes - p->alias_nodes) {
        fail_at(p, HC_ELIMIT, off,
                "alias *%s: alias expansion exceeds the limit "
                "(max_alias_nodes) of %zu nodes",
                shown, p->lim.max_alias_nodes);
        return;
    }
    p->alias_nodes += a->nodes;
    if (p->depth + a->height > p->lim.max_depth) {
        fail_at(p, HC_ELIMIT, off,
                "alias *%s: nesting depth exceeds the limit (max_depth) of %d",
                shown, p->lim.max_depth);
        return;
    }
    /* A deep copy, not a shared reference: the document stays a tree that
     * a caller may modify in one place without surprises elsewhere. The
     * budget above bounds the cost. */
    copy = json_deep_copy(a->value);
    if (!copy) {
        fail_nomem(p);
        return;
    }
    ptr = child_pointer(p);
    if (ptr != (size_t)-1)
        record_tree(p, ptr, copy, off);
    add_value(p, copy, a->nodes, a->height, off);
}

static void on_start(yparser *p, struct fy_event *ev, int is_map)
{
    size_t off = event_off(p, ev), ptr;
    struct fy_token *tag =
        is_map ? ev->mapping_start.tag : ev->sequence_start.tag;
    struct fy_token *anch =
        is_map ? ev->mapping_start.anchor : ev->sequence_start.anchor;
    const char *what = is_map ? "mapping" : "sequence";
    frame *parent = top(p), *f;
    int tk = classify_tag(tag), no_pos;
    char t[72];

    if (parent && parent->is_map && parent->want_key) {
        fail_at(p, HC_EPARSE, off,
                "a %s cannot be a mapping key: keys must be scalars", what);
        return;
    }
    if (p->depth + p->depth_base >= p->lim.max_depth) {
        fail_at(p, HC_ELIMIT, off,
                "nesting depth exceeds the limit (max_depth) of %d",
                p->lim.max_depth);
        return;
    }
    if (!(tk == TAG_NONE || tk == TAG_NONSPEC || tk == TAG_IGNORED ||
          (tk == TAG_MAP && is_map) || (tk == TAG_SEQ && !is_map))) {
        fail_at(p, HC_EPARSE, token_off(p, tag, off),
                "tag %s cannot apply to a %s", tag_display(tag, t, sizeof t),
                what);
        return;
    }
    no_pos =
        parent && (parent->no_pos || (parent->is_map && parent->key_merge));
    ptr = child_pointer(p);
    if (p->depth == p->stack_cap) {
        int cap = p->stack_cap ? 2 * p->stack_cap : 16;
        frame *ns = realloc(p->stack, (size_t)cap * sizeof *ns);
        if (!ns) {
            fail_nomem(p);
            return;
        }
        memset(ns + p->stack_cap, 0, (size_t)(cap - p->stack_cap) * sizeof *ns);
        p->stack = ns;
        p->stack_cap = cap;
    }
    f = &p->stack[p->depth];
    {
        /* key buffers are kept across uses of a stack slot */
        char *key = f->key;
        size_t key_cap = f->key_cap;
        memset(f, 0, sizeof *f);
        f->key = key;
        f->key_cap = key_cap;
    }
    f->node = is_map ? json_object() : json_array();
    if (!f->node) {
        fail_nomem(p);
        return;
    }
    p->depth++;
    f->is_map = is_map;
    f->want_key = 1;
    f->off = off;
    f->nodes = 1;
    f->height = 1;
    f->no_pos = no_pos;
    {
        struct fy_token *open = is_map ? ev->mapping_start.mapping_start
                                       : ev->sequence_start.sequence_start;
        enum fy_token_type tt = open ? fy_token_get_type(open) : FYTT_NONE;
        f->flow =
            tt == FYTT_FLOW_SEQUENCE_START || tt == FYTT_FLOW_MAPPING_START;
    }
    f->ptr_len = ptr == (size_t)-1 ? 0 : ptr;
    if (p->rec && (anch || tag || (p->depth == 1 && (!is_map || f->flow))))
        p->rec->bad = 1;
    if (anch)
        f->anchor = anchor_name(p, anch);
    if (ptr != (size_t)-1)
        record(p, ptr, off);
}

static void on_end(yparser *p, struct fy_event *ev)
{
    frame *f;
    json_t *node;
    (void)event_off(p, ev);
    if (p->depth == 0)
        return;
    f = &p->stack[--p->depth];
    node = f->node;
    if (f->merges) {
        json_t *merged = apply_merges(p, f);
        json_decref(node);
        json_decref(f->merges);
        f->merges = NULL;
        f->node = NULL;
        if (!merged) {
            free(f->anchor);
            f->anchor = NULL;
            fail_nomem(p);
            return;
        }
        node = merged;
    }
    f->node = NULL;
    if (f->anchor) {
        add_anchor(p, f->anchor, node, NULL, 0, f->nodes, f->height);
        free(f->anchor);
        f->anchor = NULL;
    }
    add_value(p, node, f->nodes, f->height, f->off);
}

/* ---- libfyaml diagnostics ---------------------------------------------- */

/* Collected errors carry structured positions; this sink only guarantees
 * that nothing reaches stderr, and keeps the first text as a fallback. */
static void diag_output(struct fy_diag *diag, void *user, const char *buf,
                        size_t len)
{
    yparser *p = user;
    const char *msg, *nl;
    (void)diag;
    if (p->diag_text[0] || !buf)
        return;
    msg = memmem(buf, len, "error: ", 7);
    msg = msg ? msg + 7 : buf;
    nl = memchr(msg, '\n', len - (size_t)(msg - buf));
    len = nl ? (size_t)(nl - msg) : len - (size_t)(msg - buf);
    if (len >= sizeof p->diag_text)
        len = sizeof p->diag_text - 1;
    memcpy(p->diag_text, msg, len);
    p->diag_text[len] = '\0';
}

/* libfyaml reports 1-based lines and columns counted in characters; our
 * columns count bytes, so walk the line. Past the end means the end. */
static size_t char_pos_to_off(yparser *p, int line, int column)
{
    size_t i = 0;
    for (int l = 1; l < line; l++) {
        while (i < p->len && p->buf[i] != '\n' && p->buf[i] != '\r')
            i++;
        if (i >= p->len)
            return p->len;
        if (p->buf[i] == '\r' && i + 1 < p->len && p->buf[i + 1] == '\n')
            i++;
        i++;
    }
    for (int c = 1; c < column && i < p->len; c++) {
        if (p->buf[i] == '\n' || p->buf[i] == '\r')
            break;
        i++;
        while (i < p->len && ((unsigned char)p->buf[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

static void report_diag(yparser *p, struct fy_diag *diag)
{
    void *it = NULL;
    struct fy_diag_error *de;
    while ((de = fy_diag_errors_iterate(diag, &it)) != NULL) {
        if (de->type >= FYET_ERROR && de->msg) {
            size_t n = strlen(de->msg);
            while (n && (de->msg[n - 1] == '\n' || de->msg[n - 1] == ' '))
                n--;
            size_t at = de->line > 0 ? char_pos_to_off(p, de->line, de->column)
                                     : p->last_off;
            /* libfyaml finds an unclosed '[' or '{' where the text stops
             * fitting, lines later: point at the bracket, and say where the
             * problem showed */
            for (int d = 0; d < p->depth; d++) {
                /* the outermost: the flow context began there */
                const frame *f = &p->stack[d];
                int line, col, oline, ocol;
                if (!f->flow || f->off >= at)
                    continue;
                hc__line_col(p->buf, p->len, at, &line, &col);
                hc__line_col(p->buf, p->len, f->off, &oline, &ocol);
                if (oline == line)
                    break;
                if (memmem(de->msg, n, "without a closing", 17))
                    fail_at(p, HC_EPARSE, f->off,
                            "this flow %s is never closed (no '%c' before "
                            "line %d, column %d)",
                            f->is_map ? "mapping" : "sequence",
                            f->is_map ? '}' : ']', line, col);
                else
                    fail_at(p, HC_EPARSE, at,
                            "%.*s (inside the flow %s opened at line %d, "
                            "column %d: is its '%c' missing?)",
                            (int)n, de->msg, f->is_map ? "mapping" : "sequence",
                            oline, ocol, f->is_map ? '}' : ']');
                return;
            }
            fail_at(p, HC_EPARSE, at, "%.*s", (int)n, de->msg);
            return;
        }
    }
    fail_at(p, HC_EPARSE, p->last_off, "%s",
            p->diag_text[0] ? p->diag_text : "invalid YAML");
}

/* ---- entry point ------------------------------------------------------- */

static void cleanup(yparser *p)
{
    for (int i = 0; i < p->stack_cap; i++) {
        if (i < p->depth) {
            json_decref(p->stack[i].node);
            json_decref(p->stack[i].merges);
            free(p->stack[i].anchor);
        }
        free(p->stack[i].key);
    }
    free(p->stack);
    for (size_t i = 0; i < p->n_anchors; i++) {
        free(p->anchors[i].name);
        free(p->anchors[i].text);
        json_decref(p->anchors[i].value);
    }
    free(p->anchors);
    json_decref(p->anchor_index);
    json_decref(p->acc);
    free(p->ptr);
    free(p->line_starts);
    free(p->sq);
}

#define SECOND_DOC                                                             \
    "a second document starts here: hotconf reads one document per file "      \
    "unless told how to combine them (the parse option yaml_multi, or "        \
    "--yaml-multi array|merge)"

/* Anchors belong to one document: an alias in the next one cannot see
 * them. */
static void forget_anchors(yparser *p)
{
    for (size_t i = 0; i < p->n_anchors; i++) {
        free(p->anchors[i].name);
        free(p->anchors[i].text);
        json_decref(p->anchors[i].value);
    }
    p->n_anchors = 0;
    if (p->anchor_index)
        json_object_clear(p->anchor_index);
}

/* ARRAY/MERGE: folds the document just read into p->acc. Empty and null
 * documents are skipped (a "---" left at the end of a manifest). */
static void end_document(yparser *p)
{
    json_t *doc = p->root;
    p->root = NULL;
    forget_anchors(p);
    if (!doc || json_is_null(doc)) {
        json_decref(doc);
        return;
    }
    if (p->multi == HC_YAML_MULTI_ARRAY) {
        if (!p->acc) {
            if (!(p->acc = json_array())) {
                json_decref(doc);
                fail_nomem(p);
                return;
            }
            record(p, 0, 0);
        }
        if (json_array_append_new(p->acc, doc) != 0)
            fail_nomem(p);
        p->doc_index++;
        return;
    }
    /* MERGE: objects merge recursively (jansson's update_recursive);
     * anything else replaces what was there */
    if (p->acc && json_is_object(p->acc) && json_is_object(doc)) {
        if (json_object_update_recursive(p->acc, doc) != 0)
            fail_nomem(p);
        json_decref(doc);
        return;
    }
    json_decref(p->acc);
    p->acc = doc;
}

static void run(yparser *p, struct fy_parser *fyp, struct fy_diag *diag)
{
    struct fy_event *ev;
    int second_doc = 0;

    while (!p->failed && (ev = fy_parser_parse(fyp)) != NULL) {
        if (second_doc) {
            /* an implicit second document has no mark of its own: report
             * at its first event */
            fail_at(p, HC_EPARSE, event_off(p, ev), SECOND_DOC);
            fy_parser_event_free(fyp, ev);
            break;
        }
        switch (ev->type) {
        case FYET_DOCUMENT_START:
            if (p->rec && (!ev->document_start.implicit || p->docs > 0 ||
                           (ev->document_start.document_state &&
                            (fy_document_state_version_explicit(
                                 ev->document_start.document_state) ||
                             fy_document_state_tags_explicit(
                                 ev->document_start.document_state)))))
                p->rec->bad = 1;
            if (p->docs++ == 0 || p->multi != HC_YAML_MULTI_ERROR)
                break;
            if (ev->document_start.document_start)
                fail_at(p, HC_EPARSE, event_off(p, ev), SECOND_DOC);
            else
                second_doc = 1;
            break;
        case FYET_DOCUMENT_END:
            (void)event_off(p, ev);
            if (p->rec && !ev->document_end.implicit)
                p->rec->bad = 1;
            if (p->multi != HC_YAML_MULTI_ERROR)
                end_document(p);
            break;
        case FYET_MAPPING_START: on_start(p, ev, 1); break;
        case FYET_SEQUENCE_START: on_start(p, ev, 0); break;
        case FYET_MAPPING_END:
        case FYET_SEQUENCE_END: on_end(p, ev); break;
        case FYET_SCALAR: on_scalar(p, ev); break;
        case FYET_ALIAS: on_alias(p, ev); break;
        case FYET_NONE:
        case FYET_STREAM_START:
        case FYET_STREAM_END:
        default: (void)event_off(p, ev); break;
        }
        fy_parser_event_free(fyp, ev);
    }
    if (p->failed)
        return;
    if (second_doc)
        fail_at(p, HC_EPARSE, p->last_off, SECOND_DOC);
    else if (fy_parser_get_stream_error(fyp) || fy_diag_got_error(diag))
        report_diag(p, diag);
    else if (p->depth)
        fail_at(p, HC_EPARSE, p->len, "unexpected end of input");
}

/* ---- byte order marks -----------------------------------------------------
 * YAML 1.2 (5.2, l-document-prefix) allows a BOM at the start of every
 * document prefix: the stream's start, after a comment-only prefix (the
 * "# yaml-language-server: ..." line an editor adds above a HC__BOM), after a
 * "..." document end, or before a "---". libfyaml skips only the first,
 * and would read any other into the next key. Those BOMs are removed from
 * a copy of the text; lines stay the same and, as for a BOM at the start,
 * columns do not count them. Any other BOM outside quotes ends up in a
 * plain scalar, which on_scalar refuses with its position. */

static int is_marker(const char *s, const char *e, const char *m)
{
    return e - s >= 3 && memcmp(s, m, 3) == 0 &&
           (e - s == 3 || s[3] == ' ' || s[3] == '\t');
}

/* Whether s holds a BOM: memchr for its first byte runs far faster than
 * memmem on a text that has none. */
static int has_bom(const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while ((p = memchr(p, (unsigned char)HC__BOM[0], (size_t)(end - p))) !=
           NULL) {
        if (end - p >= 3 && p[1] == HC__BOM[1] && p[2] == HC__BOM[2])
            return 1;
        p++;
    }
    return 0;
}

/* The copy without prefix BOMs (malloc'd), or NULL when there is none to
 * remove (or no memory: *nomem set). removed[] receives the offsets, in the
 * copy, where BOMs were taken out. */
static char *strip_prefix_boms(const char *buf, size_t len, size_t *out_len,
                               size_t **removed, size_t *n_removed, int *nomem)
{
    char *out = NULL;
    size_t o = 0, pos = 0, cap = 0;
    int prefix = 1;
    *n_removed = 0;
    *removed = NULL;
    if (len < 6 || !has_bom(buf + 1, len - 1))
        return NULL;
    while (pos < len) {
        size_t eol = pos, next;
        const char *s = buf + pos, *c;
        int strip = 0;
        while (eol < len && buf[eol] != '\n' && buf[eol] != '\r')
            eol++;
        next = eol < len ? eol + 1 : eol;
        if (eol < len && buf[eol] == '\r' && next < len && buf[next] == '\n')
            next++;
        if (eol - pos >= 3 && memcmp(s, HC__BOM, 3) == 0) {
            s += 3;
            strip = pos > 0 && (prefix || is_marker(s, buf + eol, "---"));
        }
        if (strip) {
            size_t *nr =
                *n_removed == cap
                    ? realloc(*removed, (cap ? 2 * cap : 8) * sizeof **removed)
                    : *removed;
            if (!nr || (!out && !(out = malloc(len)))) {
                *nomem = 1;
                free(out);
                free(nr ? nr : *removed);
                *removed = NULL;
                return NULL;
            }
            if (*n_removed == cap)
                cap = cap ? 2 * cap : 8;
            *removed = nr;
            if (o == 0) {
                memcpy(out, buf, pos);
                o = pos;
            }
            (*removed)[(*n_removed)++] = o;
        }
        if (out) {
            const char *from = strip ? s : buf + pos;
            memcpy(out + o, from, (size_t)(buf + next - from));
            o += (size_t)(buf + next - from);
        }
        /* blank and comment lines keep the prefix open; "..." reopens it */
        for (c = s; c < buf + eol && (*c == ' ' || *c == '\t'); c++)
            ;
        if (c < buf + eol && *c != '#')
            prefix = is_marker(s, buf + eol, "...");
        pos = next;
    }
    *out_len = o;
    return out;
}

static json_t *parse_text(const char *buf, size_t len, const char *source,
                          const hc_parse_options *opts, hc__yaml_rec *rec,
                          hc_error *err)
{
    yparser p;
    struct fy_diag_cfg dcfg;
    struct fy_parse_cfg pcfg;
    struct fy_diag *diag = NULL;
    struct fy_parser *fyp = NULL;
    size_t bad;
    json_t *root;

    memset(&p, 0, sizeof p);
    p.buf = buf ? buf : "";
    p.len = len;
    p.source = source;
    p.err = err;
    p.rec = rec;
    p.lim = hc__limits_from(opts);
    p.positions = opts ? opts->positions : NULL;
    p.multi = opts ? opts->yaml_multi : HC_YAML_MULTI_ERROR;
    if (p.multi == HC_YAML_MULTI_ARRAY)
        p.depth_base = 1;

    /* libfyaml silently drops some invalid bytes, so check first */
    {
        unsigned cp = 0;
        int bad_text = check_text(p.buf, len, &bad, &cp);
        if (bad_text == 1) {
            fail_at(&p, HC_EPARSE, bad, "invalid UTF-8 byte sequence");
            return NULL;
        }
        if (bad_text == 2) {
            fail_at(&p, HC_EPARSE, bad,
                    "control character U+%04X is not allowed in YAML "
                    "(write it as an escape in a double-quoted string)",
                    cp);
            return NULL;
        }
    }
    if (p.positions && build_lines(&p) != 0) {
        fail_nomem(&p);
        return NULL;
    }

    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = diag_output;
    dcfg.user = &p;
    dcfg.level = FYET_ERROR;
    dcfg.colorize = false;
    diag = fy_diag_create(&dcfg);
    if (diag)
        fy_diag_set_collect_errors(diag, true);
    memset(&pcfg, 0, sizeof pcfg);
    pcfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE;
    pcfg.diag = diag;
    fyp = diag ? fy_parser_create(&pcfg) : NULL;
    if (!fyp || fy_parser_set_string(fyp, p.buf, len) != 0) {
        fail_nomem(&p);
    } else {
        run(&p, fyp, diag);
    }
    if (fyp)
        fy_parser_destroy(fyp);
    fy_diag_destroy(diag);

    root = p.root;
    p.root = NULL;
    if (p.multi != HC_YAML_MULTI_ERROR) {
        /* every document was folded into acc at its end */
        json_decref(root);
        root = p.acc;
        p.acc = NULL;
        if (!root && !p.failed && p.multi == HC_YAML_MULTI_ARRAY) {
            root = json_array(); /* no document: no element */
            if (!root)
                fail_nomem(&p);
            else if (p.positions)
                record(&p, 0, 0);
        }
    }
    if (p.failed) {
        json_decref(root);
        root = NULL;
    } else if (!root) {
        /* no document at all (empty, or only comments): an empty
         * configuration, like an empty INI or .env file */
        root = json_object();
        if (!root)
            fail_nomem(&p);
        else if (p.positions)
            record(&p, 0, 0);
    }
    cleanup(&p);
    return root;
}

json_t *hc__parse_yaml(const char *buf, size_t len, const char *source,
                       const hc_parse_options *opts, hc_error *err)
{
    size_t *removed = NULL, n_removed = 0, slen = 0;
    int nomem = 0;
    char *copy = strip_prefix_boms(buf ? buf : "", len, &slen, &removed,
                                   &n_removed, &nomem);
    json_t *doc;
    if (nomem) {
        hc__error_set(err, HC_ENOMEM, source, 0, 0, 0, "out of memory");
        return NULL;
    }
    doc = copy ? parse_text(copy, slen, source, opts, NULL, err)
               : parse_text(buf, len, source, opts, NULL, err);
    if (!doc && err && copy) {
        /* the byte offset is the original's: add back the BOMs before it */
        size_t at = err->position;
        for (size_t i = 0; i < n_removed && removed[i] <= at; i++)
            err->position += 3;
    }
    free(copy);
    free(removed);
    return doc;
}

json_t *hc__parse_yaml_rec(const char *buf, size_t len, const char *source,
                           const hc_parse_options *opts, hc__yaml_rec *rec,
                           hc_error *err)
{
    json_t *doc;
    if (!rec)
        return hc__parse_yaml(buf, len, source, opts, err);
    /* a BOM anywhere: hc__parse_yaml's BOM rules see the whole stream, and
     * libfyaml skips one at the start of whatever text it is given */
    if (has_bom(buf ? buf : "", len) || !buf) {
        rec->bad = 1;
        return hc__parse_yaml(buf, len, source, opts, err);
    }
    doc = parse_text(buf, len, source, opts, rec, err);
    /* no document at all, or not a mapping at the root */
    if (doc && rec->n == 0)
        rec->bad = 1;
    return doc;
}
