/*
 * schema_internal.h - the compiled form of a JSON Schema and the pieces
 * shared by src/schema/ (one file per concern). A schema compiles into a graph
 * of nodes; each node holds an array of tagged keyword structs, with $refs
 * already resolved to node pointers and regexes compiled, so validation is one
 * switch per keyword and never looks at the schema's JSON again.
 */
#ifndef HC_SCHEMA_INTERNAL_H
#define HC_SCHEMA_INTERNAL_H

#include "internal.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

/* Nested node evaluations allowed before validation gives up: bounds the
 * C stack for hostile documents and $dynamicRef loops. */
#define HC__SCHEMA_MAX_DEPTH 1000
/* Nesting of the schema document itself. */
#define HC__SCHEMA_MAX_NESTING 512

/* ---- arena: everything a compiled schema owns, freed at once ---------- */

typedef struct hc__chunk hc__chunk;
typedef struct hc__arena {
    hc__chunk *head;
} hc__arena;

void *hc__arena_alloc(hc__arena *a, size_t size); /* zeroed; NULL: ENOMEM */
char *hc__arena_strndup(hc__arena *a, const char *s, size_t len);
void hc__arena_free(hc__arena *a);

/* Parses a schema file (JSON or YAML); a JSON schema with an integer
 * beyond 64 bits is read with its numbers as reals rather than refused.
 * pos may be NULL. (compile.c) */
json_t *hc__schema_parse_file(const char *path, hc_posmap *pos, hc_error *err);

/* ---- URIs (uri.c) -------------------------------------------------------
 * RFC 3986 reference resolution, enough for $id and $ref. */

/* ref resolved against base (both may be relative/absolute); malloc'd. */
char *hc__uri_resolve(const char *base, const char *ref);
/* Percent-decodes a fragment into a malloc'd string (NULL on bad %XX). */
char *hc__uri_unescape(const char *s, size_t len, size_t *out_len);
/* Syntax checks used by the uri / uri-reference formats (iri: the iri /
 * iri-reference ones, which also allow non-ASCII characters). */
bool hc__uri_valid(const char *s, size_t len, bool absolute, bool iri);

/* ---- regexes (regex.c) ------------------------------------------------ */

typedef struct hc__regex {
    pcre2_code *code;
    const char *src; /* the pattern as written, for messages */
    bool jit;
    /* Patterns of the simple subset (dfa.c) also get a byte DFA that
     * answers instead of PCRE2, NULL otherwise. States are row offsets
     * (id * dfa_stride): dfa[state + dfa_single + dfa_class[byte]] is the
     * next one, and with dfa_width 2 or 4, dfa[state + classes] the one
     * after that many bytes, their classes packed dfa_shift bits each,
     * the first one highest. 0 is "no match", dfa_stride "matched", and
     * from dfa_acc_off on, states where the end of the input is a match. */
    uint16_t *dfa;
    /* with dfa_width 2 or 4: dfa_wcls[j * 256 + byte] is the byte's class
     * already shifted for position j of a multi-byte step (a shift by a
     * variable count costs a register the step loops lack) */
    uint16_t *dfa_wcls;
    uint16_t dfa_stride, dfa_single, dfa_start, dfa_acc_off;
    uint8_t dfa_shift, dfa_width;
    uint8_t dfa_class[256];
} hc__regex;

/* Builds re's DFA when pat (already accepted by PCRE2) is in the subset;
 * leaves re->dfa NULL otherwise. dot_ok: "." may be handled ("\n" is the
 * only newline). */
void hc__dfa_compile(hc__regex *re, const char *pat, size_t len, bool dot_ok);
/* 1 match, 0 no match; re->dfa must be set */
static inline __attribute__((always_inline)) int
hc__dfa_match(const hc__regex *re, const char *s, size_t len)
{
    const uint16_t *next = re->dfa;
    const uint8_t *cls = re->dfa_class;
    const uint16_t *w = re->dfa_wcls;
    const unsigned matched = re->dfa_stride; /* the row of state 1 */
    unsigned st = re->dfa_start;
    size_t i = 0;
    /* dead and matched absorb: checking every 4 bytes is enough */
#define HC__C(j)    ((unsigned)cls[(unsigned char)s[i + (j)]])
#define HC__W(t, j) ((unsigned)w[(t)*256 + (unsigned char)s[i + (j)]])
    if (re->dfa_width == 4) {
        for (; st > matched && i + 4 <= len; i += 4)
            st = next[st +
                      (HC__W(0, 0) | HC__W(1, 1) | HC__W(2, 2) | HC__W(3, 3))];
    } else if (re->dfa_width == 2) {
        for (; st > matched && i + 4 <= len; i += 4) {
            st = next[st + (HC__W(0, 0) | HC__W(1, 1))];
            st = next[st + (HC__W(0, 2) | HC__W(1, 3))];
        }
    } else {
        for (; st > matched && i + 4 <= len; i += 4) {
            st = next[st + HC__C(0)];
            st = next[st + HC__C(1)];
            st = next[st + HC__C(2)];
            st = next[st + HC__C(3)];
        }
    }
#undef HC__C
#undef HC__W
    next += re->dfa_single;
    for (; st > matched && i < len; i++)
        st = next[st + cls[(unsigned char)s[i]]];
    return st == matched || st >= re->dfa_acc_off;
}

int hc__pcre_match(const hc__regex *re, const pcre2_match_context *mctx,
                   const char *s, size_t len);

/*
 * Compiles an ECMA-262 style pattern with PCRE2 (UTF, $ only at the end,
 * \u escapes, long Unicode property names). On failure returns a negative
 * code with msg filled and *offset the byte offset in the pattern.
 */
int hc__regex_compile(hc__regex *re, const char *pat, size_t len, char *msg,
                      size_t msg_size, size_t *offset);
/* 1 match, 0 no match, negative: a PCRE2 error (limit hit) */
static inline int hc__regex_match(const hc__regex *re,
                                  const pcre2_match_context *mctx,
                                  const char *s, size_t len)
{
    return re->dfa ? hc__dfa_match(re, s, len)
                   : hc__pcre_match(re, mctx, s, len);
}
void hc__regex_free(hc__regex *re);

/* ---- JSON value equality and hashing (equal.c) -------------------------
 * JSON Schema equality: numbers compare by value (1 == 1.0), objects
 * ignore key order. */
bool hc__json_equal(const json_t *a, const json_t *b);
uint64_t hc__json_hash(const json_t *v);

/* ---- formats (format.c) ------------------------------------------------ */

typedef enum hc__format {
    HC__FMT_UNKNOWN = -1,
    HC__FMT_DATE_TIME,
    HC__FMT_DATE,
    HC__FMT_TIME,
    HC__FMT_DURATION,
    HC__FMT_EMAIL,
    HC__FMT_HOSTNAME,
    HC__FMT_IPV4,
    HC__FMT_IPV6,
    HC__FMT_URI,
    HC__FMT_URI_REFERENCE,
    HC__FMT_UUID,
    HC__FMT_REGEX,
    HC__FMT_JSON_POINTER,
    HC__FMT_RELATIVE_JSON_POINTER,
    HC__FMT_IRI,
    HC__FMT_IRI_REFERENCE,
    HC__FMT_IDN_HOSTNAME
} hc__format;

hc__format hc__format_lookup(const char *name);
const char *hc__format_name(hc__format f);
bool hc__format_check(hc__format f, const char *s, size_t len);

/* ---- the compiled schema ----------------------------------------------- */

typedef struct hc__node hc__node;
typedef struct hc__resource hc__resource;

typedef enum hc__kind {
    HC__K_TYPE,
    HC__K_ENUM,
    HC__K_CONST,
    HC__K_MULTIPLE_OF,
    HC__K_MAXIMUM,
    HC__K_EXCL_MAXIMUM,
    HC__K_MINIMUM,
    HC__K_EXCL_MINIMUM,
    HC__K_MAX_LENGTH,
    HC__K_MIN_LENGTH,
    HC__K_PATTERN,
    HC__K_FORMAT,
    HC__K_MAX_ITEMS,
    HC__K_MIN_ITEMS,
    HC__K_UNIQUE_ITEMS,
    HC__K_CONTAINS,
    HC__K_MAX_PROPS,
    HC__K_MIN_PROPS,
    HC__K_REQUIRED,
    HC__K_DEP_REQUIRED,
    HC__K_PROPS, /* properties + patternProperties + additionalProperties */
    HC__K_PROPERTY_NAMES,
    HC__K_DEP_SCHEMAS,
    HC__K_ITEMS, /* prefixItems + items */
    HC__K_ALL_OF,
    HC__K_ANY_OF,
    HC__K_ONE_OF,
    HC__K_NOT,
    HC__K_IF, /* if + then + else */
    HC__K_REF,
    HC__K_DYNAMIC_REF,
    HC__K_UNEVAL_PROPS,
    HC__K_UNEVAL_ITEMS
} hc__kind;

/* type bits */
enum {
    HC__T_NULL = 1,
    HC__T_BOOLEAN = 2,
    HC__T_OBJECT = 4,
    HC__T_ARRAY = 8,
    HC__T_NUMBER = 16,
    HC__T_STRING = 32,
    HC__T_INTEGER = 64
};

typedef struct hc__num {
    double d;
    json_int_t i;
    bool is_int; /* the limit is an integer (exact comparisons) */
    const json_t *json;
} hc__num;

typedef struct hc__name {
    const char *s;
    size_t len;
} hc__name;

typedef struct hc__prop {
    hc__name name;
    uint64_t hash;
    uint64_t req_bit; /* its bit in the node's "required" (see req_mask) */
    hc__node *node;
    /* node's alias target and hops when it is an alias (else node, 0),
     * for verdict-only runs (hc__loop_hops) */
    const hc__node *qnode;
    int qhops;
    const json_t *def; /* "default" of the subschema, for fill_defaults */
} hc__prop;

/* What a property name's perfect hash is computed from: its length and
 * three of its bytes (cheaper than hashing the whole name). */
static inline uint32_t hc__key_sig(const char *k, size_t kl)
{
    uint32_t x = (uint32_t)kl;
    if (kl)
        x ^= (uint32_t)(unsigned char)k[0] << 8 ^
             (uint32_t)(unsigned char)k[kl - 1] << 16 ^
             (uint32_t)(unsigned char)k[kl / 2] << 24;
    return x;
}

typedef struct hc__pattern_prop {
    hc__regex re;
    hc__node *node;
} hc__pattern_prop;

typedef struct hc__props {
    hc__prop *v;
    size_t n;
    uint32_t *slots; /* hash index (i + 1, 0 empty); NULL when n is small */
    uint32_t mask;
    /* perfect hash of the names when one was found (NULL otherwise):
     * ph[(hc__key_sig(name) * ph_seed) >> ph_shift] is index + 1 */
    uint16_t *ph;
    uint32_t ph_seed, ph_shift;
    /* the same from the hash jansson already keeps in each member's pair
     * (hc__jfast_key_hash; jhash[i] is v[i]'s): no bytes of the name read
     * for the slot. NULL when not found or the layout is not verified. */
    uint16_t *jph;
    size_t *jhash;
    uint32_t jph_seed, jph_shift;
    /* "required" of the same node, when every name in it is one of these
     * properties: verdict-only runs check it during the property scan
     * (the required keyword then has folded set) */
    uint64_t req_mask;
    hc__pattern_prop *pat;
    size_t npat;
    hc__node *additional; /* NULL: none */
    /* the most $ref hops of a child skipped in verdict-only runs (one
     * depth check covers them all) */
    int max_hops;
    /* verdict-only scan, decided at compile time (hc__loop_hops): the
     * names are looked up in an object of more members than lookup_over
     * (SIZE_MAX: never, there are patterns or additionalProperties);
     * jph_loop: jph is set and there are no patterns */
    size_t lookup_over;
    bool jph_loop;
    bool has_props, has_defaults;
} hc__props;

typedef struct hc__dep_req {
    hc__name prop;
    hc__name *req;
    size_t nreq;
} hc__dep_req;

typedef struct hc__dep_schema {
    hc__name prop;
    hc__node *node;
} hc__dep_schema;

typedef struct hc__kw {
    hc__kind kind;
    const char *name; /* keyword as written: "minimum" */
    union {
        unsigned types;
        hc__num num;
        size_t count;
        bool flag;
        struct {
            const json_t *value; /* const; enum (an array) */
            hc__name *strs;      /* enum of strings only: fast path */
            size_t nstrs;
        } en;
        hc__regex re;
        hc__format format;
        hc__node *node;
        struct {
            hc__node **v;
            size_t n;
        } list;
        struct {
            hc__name *v;
            size_t n;
            bool folded; /* checked by the node's properties scan */
        } names;
        struct {
            hc__dep_req *v;
            size_t n;
        } dep_req;
        struct {
            hc__dep_schema *v;
            size_t n;
        } dep_schemas;
        hc__props props;
        struct {
            hc__node **prefix;
            size_t nprefix;
            hc__node *items; /* NULL: none */
            int max_hops;    /* as hc__props.max_hops */
        } items;
        struct {
            hc__node *node;
            size_t min, max; /* max SIZE_MAX: none */
            bool has_min, has_max;
        } contains;
        struct {
            hc__node *if_, *then_, *else_;
        } cond;
        struct {
            hc__node *node;      /* static target */
            const char *dynamic; /* $dynamicAnchor name looked up in the
                                    dynamic scope, or NULL */
        } ref;
    } u;
} hc__kw;

/* Instance kinds a keyword can apply to: nodes keep one keyword list per
 * kind, so a value only visits the keywords that can fail for it. */
enum {
    HC__B_NULL,
    HC__B_BOOLEAN,
    HC__B_OBJECT,
    HC__B_ARRAY,
    HC__B_NUMBER,
    HC__B_STRING,
    HC__NBUCKETS
};

/* hc__node.act values */
enum {
    HC__ACT_GENERIC,  /* look at the value (a real against "integer") */
    HC__ACT_TRUE,     /* the true schema */
    HC__ACT_PASS,     /* nothing applies (if the depth limit allows) */
    HC__ACT_TYPE,     /* wrong type */
    HC__ACT_FALSE,    /* the false schema */
    HC__ACT_LEAF,     /* only keywords without subschemas */
    HC__ACT_LEAF_STR, /* the same, for a string */
    HC__ACT_DFA_STR,  /* a string with only a pattern, matched by str_dfa */
    HC__ACT_PROPS,    /* an object, and only properties (see props) */
    HC__ACT_NODE      /* the full node evaluation */
};

enum {
    HC__N_FALSE = 1,    /* the boolean schema false */
    HC__N_UNEVAL = 2,   /* has unevaluated*: tracks annotations */
    HC__N_DEFAULTS = 4, /* properties with defaults to fill */
};

struct hc__node {
    hc__kw *kw;
    uint32_t nkw;
    uint32_t flags;
    unsigned types;         /* "type", checked before the keywords; 0: any */
    const hc__node *alias;  /* a node that is only a "$ref": its target, for
                               verdict-only runs (no paths to keep) */
    const hc__node *target; /* the end of the alias chain, hops away */
    int hops;
    /* kw entries that apply to an instance of bucket b (HC__B_*), in
     * schema order: bkw[boff[b]] .. bkw[boff[b + 1] - 1] */
    const hc__kw **bkw;
    uint32_t boff[HC__NBUCKETS + 1];
    /* bit b: bucket b holds only keywords that never evaluate a
     * subschema (verdict-only runs check them without the node setup) */
    unsigned leaf;
    /* by json_typeof of the instance: what the node does with it
     * (HC__ACT_*), decided at compile time where the type decides */
    uint8_t act[8];
    /* for HC__ACT_PROPS: the properties keyword, the only one the object
     * bucket holds besides a "required" it checks */
    const hc__props *props;
    /* for HC__ACT_DFA_STR: the pattern, the only string keyword */
    const hc__regex *str_dfa;
    hc__resource *res;
    const char *loc; /* absolute location: "uri#/pointer" */
    /* compile-time only */
    const json_t *json;
    const char *doc_ptr; /* pointer inside its document, for errors */
    const char *base;
    int doc;
    int compiled;
    int mark; /* cycle check */
};

typedef struct hc__dyn_anchor {
    const char *name;
    hc__node *node;
} hc__dyn_anchor;

/* The dynamic anchor name a 2019-09 "$recursiveAnchor": true becomes (not
 * a valid $anchor name, so it cannot collide). */
#define HC__RECURSIVE_ANCHOR "$recursive"

struct hc__resource {
    const char *uri;
    int draft;          /* 4, 6, 7, 2019 or 2020 (hc_schema_draft) */
    bool no_validation; /* its meta-schema leaves out the validation vocab */
    hc__dyn_anchor *dyn;
    size_t ndyn;
};

struct hc_schema {
    hc__arena arena;
    hc__node *root;
    json_t *docs; /* array: the documents the nodes point into */
    hc__regex **regexes;
    size_t nregex, capregex;
    pcre2_match_context *mctx;
    bool has_dynamic;
    bool fill_defaults;
    uint64_t max_evaluations; /* per validation (hc_schema_options) */
};

struct hc_schema_registry {
    json_t *docs; /* uri -> document */
};

/* ---- validation context (validate.c) ----------------------------------- */

/* A path segment, linked upwards on the C stack: free to push. */
typedef struct hc__seg {
    const struct hc__seg *up;
    const char *key; /* NULL: index */
    size_t n;        /* key length or index */
} hc__seg;

typedef struct hc__scope {
    const struct hc__scope *up;
    const hc__resource *res;
} hc__scope;

/* Verdicts kept from the last validation (memo.c). */
typedef struct hc__vmemo hc__vmemo;
/* expect: about how many passes it will hold (the last memo's count). */
hc__vmemo *hc__vmemo_new(size_t expect);
size_t hc__vmemo_count(const hc__vmemo *m);
void hc__vmemo_free(hc__vmemo *m);
bool hc__vmemo_has(const hc__vmemo *m, const void *node, const json_t *inst,
                   int depth);
/* 0, or -1 when out of memory. */
int hc__vmemo_add(hc__vmemo *m, const void *node, const json_t *inst,
                  int depth);

typedef struct hc__vctx {
    const hc_schema *s;
    /* memo.c: the last validation's passes, and this one's (either may be
     * NULL; both NULL outside hc__schema_check_memo) */
    const hc__vmemo *mprev;
    hc__vmemo *mnext;
    hc_schema_report *rep;
    int quiet;  /* >0: inside a branch whose errors are not reported */
    int nofill; /* >0: inside a branch that must not fill defaults */
    int depth;
    bool limit_hit; /* a regex budget or the depth limit ran out */
    bool nomem;
    bool fill;
    bool stopped;  /* the report is full: stop collecting */
    uint64_t work; /* evaluations so far, against s->max_evaluations */
    const hc__seg *ipath, *kpath;
    const hc__scope *scope;
    const hc__node *node; /* node being evaluated (absolute locations) */
} hc__vctx;

/* ---- report (report.c) -------------------------------------------------- */

void hc__report_reset(hc_schema_report *r);
/* Number of errors so far; dropping errors back to a mark; keeping only
 * the errors [from, to) after mark (for the best anyOf/oneOf branch). */
size_t hc__report_mark(const hc_schema_report *r);
void hc__report_keep(hc_schema_report *r, size_t mark, size_t from, size_t to);
/* max_errors reached */
bool hc__report_full(const hc_schema_report *r);
/* Instance depth of error i (number of pointer tokens). */
int hc__report_depth(const hc_schema_report *r, size_t i);
/*
 * Records an error at the current paths: the keyword location is the
 * context's path + kw (+ "/" + sub when sub is non-NULL), the instance
 * location the context's instance path (+ key / index when given).
 */
void hc__report_add(hc__vctx *c, const char *kw, const hc__seg *ikey,
                    const char *fmt, ...) HC__PRINTF(4, 5);
/* Same, even inside a quiet branch (limit errors must surface). */
void hc__report_force(hc__vctx *c, const char *kw, const char *fmt, ...)
    HC__PRINTF(3, 4);
void hc__report_filled(hc__vctx *c, const char *key, size_t len);
/* A short rendering of a value for messages: "80", "\"abc\"", "an object" */
void hc__brief(const json_t *v, char *buf, size_t size);
const char *hc__type_name(const json_t *v);

#endif /* HC_SCHEMA_INTERNAL_H */
