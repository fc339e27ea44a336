/*
 * validate.c - evaluates a compiled schema against a document: one switch
 * over each node's keyword array. Without a report it stops at the first
 * failure and allocates nothing; with one it keeps going and records every
 * error. Paths and the dynamic scope are linked frames on the C stack.
 * Annotations for unevaluated* (which properties/items were evaluated) are
 * only tracked below nodes that use unevaluated*, as bitmaps indexed by
 * the instance's member order.
 */
#include "jfast.h"
#include "schema_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define NUL_TERMINATED ((size_t)-1)

/* ---- annotations -----------------------------------------------------------
 */

typedef struct ev {
    bool all;       /* every property / item evaluated */
    size_t upto;    /* items [0, upto) evaluated (prefixItems) */
    uint64_t *bits; /* by member index (object order) or item index */
    size_t nwords;
    uint64_t inl[4];
} ev;

static void ev_init(ev *e)
{
    e->all = false;
    e->upto = 0;
    e->bits = e->inl;
    e->nwords = sizeof e->inl / sizeof e->inl[0];
    memset(e->inl, 0, sizeof e->inl);
}

static void ev_free(ev *e)
{
    if (e->bits != e->inl)
        free(e->bits);
    e->bits = e->inl;
}

static bool ev_grow(hc__vctx *c, ev *e, size_t words)
{
    uint64_t *nb;
    if (words <= e->nwords)
        return true;
    nb = calloc(words, sizeof *nb);
    if (!nb) {
        c->nomem = true;
        return false;
    }
    memcpy(nb, e->bits, e->nwords * sizeof *nb);
    ev_free(e);
    e->bits = nb;
    e->nwords = words;
    return true;
}

static void ev_set(hc__vctx *c, ev *e, size_t i)
{
    if (i / 64 >= e->nwords && !ev_grow(c, e, i / 64 + 1))
        return;
    e->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static bool ev_has(const ev *e, size_t i)
{
    if (e->all || i < e->upto)
        return true;
    return i / 64 < e->nwords && (e->bits[i / 64] >> (i % 64)) & 1;
}

static void ev_merge(hc__vctx *c, ev *dst, const ev *src)
{
    dst->all |= src->all;
    if (src->upto > dst->upto)
        dst->upto = src->upto;
    if (!ev_grow(c, dst, src->nwords))
        return;
    for (size_t i = 0; i < src->nwords; i++)
        dst->bits[i] |= src->bits[i];
}

/* ---- helpers
 * ------------------------------------------------------------------ */

static inline bool collecting(const hc__vctx *c)
{
    return c->rep && !c->quiet && !c->stopped;
}

/* Records an error when collecting; always evaluates to false. */
#define FAIL(c, kw, ikey, ...)                                                 \
    (collecting(c) ? (hc__report_add((c), (kw), (ikey), __VA_ARGS__), false)   \
                   : false)

/* Failure paths build messages in big buffers: kept out of line, so the
 * passing path (the common one) stays small. */
#define COLD __attribute__((noinline, cold))
/* Keyword evaluators with locals of their own (annotation sets, path
 * frames) stay out of v_node, whose frame every nesting level pays for. */
#define NOINLINE __attribute__((noinline))

#define ALWAYS_INLINE inline __attribute__((always_inline))

static ALWAYS_INLINE bool v_node(hc__vctx *c, const hc__node *n, json_t *inst,
                                 ev *e);
static ALWAYS_INLINE bool v_node_q(hc__vctx *c, const hc__node *n,
                                   json_t *inst);
static ALWAYS_INLINE bool v_node_in(hc__vctx *c, const hc__node *n,
                                    json_t *inst, ev *e, bool may_rep,
                                    bool depth_ok);
static ALWAYS_INLINE bool v_node_at(hc__vctx *c, const hc__node *n, int hops,
                                    json_t *inst, ev *e, bool may_rep,
                                    bool depth_ok, bool resolved);

/* Evaluates child n at a keyword (+ sub segment) and, when ikey is given,
 * at a member of the instance. */
static bool v_at_slow(hc__vctx *c, const hc__node *n, json_t *inst, ev *e,
                      const char *kw, const char *sub, size_t sublen,
                      bool sub_index, const hc__seg *ikey)
{
    hc__seg k1 = {c->kpath, kw, NUL_TERMINATED};
    hc__seg k2 = {&k1, sub_index ? NULL : sub, sublen};
    const hc__seg *kp = c->kpath, *ip = c->ipath;
    bool r;
    c->kpath = (sub || sub_index) ? &k2 : &k1;
    if (ikey)
        c->ipath = ikey;
    r = v_node(c, n, inst, e);
    c->kpath = kp;
    c->ipath = ip;
    return r;
}

/* Without a report nobody reads the paths: skip the frames. */
static ALWAYS_INLINE bool v_at(hc__vctx *c, const hc__node *n, json_t *inst,
                               ev *e, const char *kw, const char *sub,
                               size_t sublen, bool sub_index,
                               const hc__seg *ikey)
{
    if (!c->rep)
        return v_node(c, n, inst, e);
    return v_at_slow(c, n, inst, e, kw, sub, sublen, sub_index, ikey);
}

static unsigned inst_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return HC__T_OBJECT;
    case JSON_ARRAY: return HC__T_ARRAY;
    case JSON_STRING: return HC__T_STRING;
    case JSON_INTEGER: return HC__T_INTEGER | HC__T_NUMBER;
    case JSON_REAL: {
        double d = json_real_value(v);
        return HC__T_NUMBER |
               (isfinite(d) && floor(d) == d ? HC__T_INTEGER : 0);
    }
    case JSON_TRUE:
    case JSON_FALSE: return HC__T_BOOLEAN;
    case JSON_NULL:
    default: return HC__T_NULL;
    }
}

static ALWAYS_INLINE int inst_bucket(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return HC__B_OBJECT;
    case JSON_ARRAY: return HC__B_ARRAY;
    case JSON_STRING: return HC__B_STRING;
    case JSON_INTEGER:
    case JSON_REAL: return HC__B_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE: return HC__B_BOOLEAN;
    case JSON_NULL:
    default: return HC__B_NULL;
    }
}

/* inst (of bucket b) is one of the types: only a real needs a look at
 * its value (1.0 is an integer). */
static ALWAYS_INLINE bool type_ok(unsigned types, const json_t *inst, int b)
{
    static const unsigned bits[HC__NBUCKETS] = {
        [HC__B_NULL] = HC__T_NULL,     [HC__B_BOOLEAN] = HC__T_BOOLEAN,
        [HC__B_OBJECT] = HC__T_OBJECT, [HC__B_ARRAY] = HC__T_ARRAY,
        [HC__B_NUMBER] = HC__T_NUMBER, [HC__B_STRING] = HC__T_STRING};
    if (types & bits[b])
        return true;
    if (b != HC__B_NUMBER || !(types & HC__T_INTEGER))
        return false;
    return (inst_type(inst) & HC__T_INTEGER) != 0;
}

/* -1, 0, 1 comparing an integer with a double, exactly */
static int cmp_int_double(json_int_t i, double d)
{
    double fl;
    json_int_t di;
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    if (isnan(d))
        return 0;
    fl = floor(d);
    di = (json_int_t)fl;
    if (i < di)
        return -1;
    if (i > di)
        return 1;
    return fl < d ? -1 : 0;
}

static int num_cmp(const json_t *v, const hc__num *lim)
{
    if (json_is_integer(v)) {
        json_int_t a = json_integer_value(v);
        if (lim->is_int)
            return a < lim->i ? -1 : a > lim->i;
        return cmp_int_double(a, lim->d);
    } else {
        double a = json_real_value(v);
        if (lim->is_int)
            return -cmp_int_double(lim->i, a);
        return a < lim->d ? -1 : a > lim->d;
    }
}

static bool is_multiple(const json_t *v, const hc__num *m)
{
    double q;
    if (json_is_integer(v) && m->is_int)
        return json_integer_value(v) % m->i == 0;
    q = json_number_value(v) / m->d;
    if (!isfinite(q))
        return false;
    /* the quotient of two doubles is off by rounding: 0.0075 / 0.0001 is
     * 74.99999999999999 */
    return fabs(q - nearbyint(q)) < 1e-9;
}

static size_t utf8_count(const char *s, size_t n)
{
    size_t cps = 0;
    for (size_t i = 0; i < n; i++)
        cps += ((unsigned char)s[i] & 0xC0) != 0x80;
    return cps;
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void types_text(unsigned t, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{HC__T_OBJECT, "object"}, {HC__T_ARRAY, "array"},
                 {HC__T_STRING, "string"}, {HC__T_INTEGER, "integer"},
                 {HC__T_NUMBER, "number"}, {HC__T_BOOLEAN, "boolean"},
                 {HC__T_NULL, "null"}};
    size_t cnt = 0, total = 0, o = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        total += (t & names[i].bit) != 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(t & names[i].bit))
            continue;
        cnt++;
        o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s",
                              cnt == 1       ? ""
                              : cnt == total ? " or "
                                             : ", ",
                              names[i].name);
        if (o >= size)
            break;
    }
}

static __attribute__((noinline, cold)) void
limit_error(hc__vctx *c, const char *kw, const hc__regex *re, int rc)
{
    const char *what;
    c->limit_hit = true;
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT: what = "match limit"; break;
    case PCRE2_ERROR_DEPTHLIMIT: what = "depth limit"; break;
    case PCRE2_ERROR_HEAPLIMIT: what = "heap limit"; break;
    case PCRE2_ERROR_JIT_STACKLIMIT: what = "JIT stack limit"; break;
    case PCRE2_ERROR_NOMEMORY: what = "memory"; break;
    default: what = "regex engine error"; break;
    }
    hc__report_force(c, kw,
                     "the pattern \"%s\" gave up on this value: PCRE2 %s "
                     "exceeded (the pattern backtracks too much)",
                     re->src, what);
}

/* Counts amount work; false (with the error) once past the bound. */
static __attribute__((noinline, cold)) bool work_limit_error(hc__vctx *c)
{
    if (!c->limit_hit) {
        c->limit_hit = true;
        hc__report_force(c, NULL,
                         "validation gave up: this document needs more than "
                         "%llu schema evaluations (the max_evaluations "
                         "limit)",
                         (unsigned long long)c->s->max_evaluations);
    }
    return false;
}

static inline bool work(hc__vctx *c, uint64_t amount)
{
    c->work += amount;
    return c->work <= c->s->max_evaluations || work_limit_error(c);
}

/* ---- objects
 * --------------------------------------------------------------------- */

/* Property names are short: two overlapping word loads beat a call to
 * memcmp. */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t a0, b0, a1, b1;
        if (n > 16)
            return memcmp(a, b, n) == 0;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return a0 == b0 && a1 == b1;
    }
    if (n >= 4) {
        uint32_t a0, b0, a1, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4);
        memcpy(&b1, b + n - 4, 4);
        return a0 == b0 && a1 == b1;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static ALWAYS_INLINE const hc__prop *props_find(const hc__props *p,
                                                const char *k, size_t kl)
{
    if (p->ph) {
        uint32_t slot = (hc__key_sig(k, kl) * p->ph_seed) >> p->ph_shift;
        const hc__prop *pr;
        if (!p->ph[slot])
            return NULL;
        pr = &p->v[p->ph[slot] - 1];
        return pr->name.len == kl && same_bytes(pr->name.s, k, kl) ? pr : NULL;
    }
    if (!p->slots) {
        for (size_t i = 0; i < p->n; i++)
            if (p->v[i].name.len == kl && same_bytes(p->v[i].name.s, k, kl))
                return &p->v[i];
        return NULL;
    } else {
        uint64_t h = XXH3_64bits(k, kl);
        uint32_t s = (uint32_t)h & p->mask;
        while (p->slots[s]) {
            const hc__prop *pr = &p->v[p->slots[s] - 1];
            if (pr->hash == h && pr->name.len == kl &&
                same_bytes(pr->name.s, k, kl))
                return pr;
            s = (s + 1) & p->mask;
        }
        return NULL;
    }
}

static NOINLINE bool v_props(hc__vctx *c, const hc__props *p, json_t *inst,
                             ev *e)
{
    bool ok = true;
    size_t idx = 0;
    uint64_t seen = 0; /* required properties present (verdict-only) */

    /* Only "properties": look the schema's names up in the instance, in
     * schema order (the order of the errors) when there is a report;
     * without one, that only when the instance has many more members
     * (a scan of its members is cheaper than a lookup per name). */
    if (!e && !p->npat && !p->additional &&
        (c->rep || json_object_size(inst) > 2 * p->n)) {
        for (size_t i = 0; i < p->n; i++) {
            const hc__prop *pr = &p->v[i];
            json_t *v = json_object_getn(inst, pr->name.s, pr->name.len);
            hc__seg ik;
            if (!v)
                continue;
            seen |= pr->req_bit;
            ik = (hc__seg){c->ipath, pr->name.s, pr->name.len};
            if (!v_at(c, pr->node, v, NULL, "properties", pr->name.s,
                      pr->name.len, false, &ik)) {
                ok = false;
                if (!collecting(c))
                    return false;
            }
        }
        return ok && (c->rep || (seen & p->req_mask) == p->req_mask);
    }
    for (void *it = hc__jmember_first(inst); it;
         it = hc__jmember_next(inst, it), idx++) {
        size_t kl;
        const char *key = hc__jmember_key(it, &kl);
        json_t *v = hc__jmember_value(it);
        hc__seg ik = {c->ipath, key, kl};
        bool matched = false;
        if (p->n) {
            const hc__prop *pr = props_find(p, key, kl);
            if (pr) {
                matched = true;
                seen |= pr->req_bit;
                if (!v_at(c, pr->node, v, NULL, "properties", key, kl, false,
                          &ik)) {
                    ok = false;
                    if (!collecting(c))
                        return false;
                }
            }
        }
        for (size_t i = 0; i < p->npat; i++) {
            int rc = hc__regex_match(&p->pat[i].re, c->s->mctx, key, kl);
            if (rc < 0) {
                const hc__seg *ip = c->ipath;
                c->ipath = &ik;
                limit_error(c, "patternProperties", &p->pat[i].re, rc);
                c->ipath = ip;
                return false;
            }
            if (rc == 0)
                continue;
            matched = true;
            if (!v_at(c, p->pat[i].node, v, NULL, "patternProperties",
                      p->pat[i].re.src, NUL_TERMINATED, false, &ik)) {
                ok = false;
                if (!collecting(c))
                    return false;
            }
        }
        if (!matched && p->additional) {
            matched = true;
            if (!v_at(c, p->additional, v, NULL, "additionalProperties", NULL,
                      0, false, &ik)) {
                ok = false;
                if (!collecting(c))
                    return false;
            }
        }
        if (matched && e)
            ev_set(c, e, idx);
    }
    return ok && (c->rep || (seen & p->req_mask) == p->req_mask);
}

/* A string against a DFA pattern, out of the loops that call it: inlined,
 * its registers crowd theirs out. */
static NOINLINE bool dfa_str(const hc__regex *re, const json_t *inst)
{
    const hc__jstring *js = (const hc__jstring *)inst;
    return hc__dfa_match(re, js->value, js->length);
}

static NOINLINE bool v_node_memo(hc__vctx *c, const hc__node *n, int hops,
                                 json_t *inst, bool depth_ok, bool resolved);
static ALWAYS_INLINE bool v_node_at_body(hc__vctx *c, const hc__node *n,
                                         int hops, json_t *inst, ev *e,
                                         bool may_rep, bool depth_ok,
                                         bool resolved);

/* v_node_q for a child of a props or items loop that checked the depth
 * limit for all its children at once (p->max_hops). memo: a constant of
 * the loop's copy (c->mprev || c->mnext), so the copy without one has no
 * memo test per member; with one, a container goes through it with the
 * keys v_node_at gives it. */
static ALWAYS_INLINE bool v_child(hc__vctx *c, const hc__node *n, json_t *v,
                                  bool memo)
{
    if (memo && (json_is_object(v) || json_is_array(v)))
        return v_node_memo(c, n, 0, v, true, false);
    return v_node_at_body(c, n, 0, v, NULL, false, true, false);
}

/* the same for a property, its $ref chain followed at compile time */
static ALWAYS_INLINE bool v_prop(hc__vctx *c, const hc__prop *pr, json_t *v,
                                 bool memo)
{
    if (memo && (json_is_object(v) || json_is_array(v)))
        return v_node_memo(c, pr->qnode, pr->qhops, v, true, true);
    return v_node_at_body(c, pr->qnode, pr->qhops, v, NULL, false, true, true);
}

/* v_props for verdict-only runs without annotations: no paths, no
 * errors, the first failure ends it. Its loop is the one most of a large
 * document goes through: the member reads are jansson's structs (jfast.h;
 * v_props does the same through the API when those were not verified),
 * the children's depth checks are one check here, and the common shape
 * (names with a perfect hash, no patternProperties) has a loop of its
 * own. */
static ALWAYS_INLINE bool props_quick(hc__vctx *c, const hc__props *p,
                                      json_t *inst, bool memo)
{
    const hc__jobject *o = (const hc__jobject *)inst;
    const hc__jlist *end = &o->ordered;
    uint64_t seen = 0;
    if (o->size > p->lookup_over) {
        for (size_t i = 0; i < p->n; i++) {
            const hc__prop *pr = &p->v[i];
            json_t *v = json_object_getn(inst, pr->name.s, pr->name.len);
            if (!v)
                continue;
            seen |= pr->req_bit;
            if (!v_child(c, pr->node, v, memo))
                return false;
        }
        return (seen & p->req_mask) == p->req_mask;
    }
    if (p->jph_loop) {
        const hc__node *add = p->additional;
        const uint16_t *jph = p->jph;
        const uint32_t seed = p->jph_seed, shift = p->jph_shift;
        for (const hc__jlist *it = o->ordered.next; it != end; it = it->next) {
            const hc__jpair *m = (const hc__jpair *)it;
            unsigned ix = jph[((uint32_t)m->hash * seed) >> shift];
            const hc__prop *pr = ix ? &p->v[ix - 1] : NULL;
            if (pr &&
                (p->jhash[ix - 1] != m->hash || pr->name.len != m->key_len ||
                 !same_bytes(pr->name.s, m->key, m->key_len)))
                pr = NULL;
            if (pr) {
                seen |= pr->req_bit;
                if (!v_prop(c, pr, m->value, memo))
                    return false;
            } else if (add && !v_child(c, add, m->value, memo)) {
                return false;
            }
        }
        return (seen & p->req_mask) == p->req_mask;
    }
    for (const hc__jlist *it = o->ordered.next; it != end; it = it->next) {
        const hc__jpair *m = (const hc__jpair *)it;
        const char *key = m->key;
        size_t kl = m->key_len;
        json_t *v = m->value;
        const hc__prop *pr = p->n ? props_find(p, key, kl) : NULL;
        bool matched = pr != NULL;
        if (pr) {
            seen |= pr->req_bit;
            if (!v_child(c, pr->node, v, memo))
                return false;
        }
        for (size_t i = 0; i < p->npat; i++) {
            int rc = hc__regex_match(&p->pat[i].re, c->s->mctx, key, kl);
            if (rc < 0) {
                limit_error(c, "patternProperties", &p->pat[i].re, rc);
                return false;
            }
            if (rc == 0)
                continue;
            matched = true;
            if (!v_child(c, p->pat[i].node, v, memo))
                return false;
        }
        if (!matched && p->additional && !v_child(c, p->additional, v, memo))
            return false;
    }
    return (seen & p->req_mask) == p->req_mask;
}

static NOINLINE bool v_props_quick_memo(hc__vctx *c, const hc__props *p,
                                        json_t *inst)
{
    return props_quick(c, p, inst, true);
}

static NOINLINE bool v_props_quick(hc__vctx *c, const hc__props *p,
                                   json_t *inst)
{
    if (!hc__jfast_ok || c->depth + p->max_hops >= HC__SCHEMA_MAX_DEPTH)
        return v_props(c, p, inst, NULL);
    if (c->mprev || c->mnext)
        return v_props_quick_memo(c, p, inst);
    return props_quick(c, p, inst, false);
}

static NOINLINE bool v_uneval_props(hc__vctx *c, const hc__kw *k, json_t *inst,
                                    ev *e)
{
    bool ok = true;
    size_t idx = 0;
    if (e->all)
        return true;
    for (void *it = json_object_iter(inst); it;
         it = json_object_iter_next(inst, it), idx++) {
        hc__seg ik;
        if (ev_has(e, idx))
            continue;
        ik = (hc__seg){c->ipath, json_object_iter_key(it),
                       json_object_iter_key_len(it)};
        if (!v_at(c, k->u.node, json_object_iter_value(it), NULL,
                  "unevaluatedProperties", NULL, 0, false, &ik)) {
            ok = false;
            if (!collecting(c))
                return false;
        }
    }
    if (ok)
        e->all = true;
    return ok;
}

static int name_leaf(hc__vctx *c, const hc__node *n, const char *s, size_t len);

static NOINLINE bool v_property_names(hc__vctx *c, const hc__kw *k,
                                      json_t *inst)
{
    bool ok = true;
    for (void *it = json_object_iter(inst); it;
         it = json_object_iter_next(inst, it)) {
        const char *key = json_object_iter_key(it);
        size_t kl = json_object_iter_key_len(it);
        hc__seg ik = {c->ipath, key, kl};
        json_t *name;
        bool r;
        if (!c->rep) {
            int q = name_leaf(c, k->u.node, key, kl);
            if (q == 0)
                return false;
            if (q == 1)
                continue;
        }
        name = json_stringn_nocheck(key, kl);
        if (!name) {
            c->nomem = true;
            return false;
        }
        c->nofill++;
        r = v_at(c, k->u.node, name, NULL, "propertyNames", NULL, 0, false,
                 &ik);
        c->nofill--;
        json_decref(name);
        if (!r) {
            ok = false;
            if (!collecting(c))
                return false;
        }
    }
    return ok;
}

static NOINLINE void fill_defaults(hc__vctx *c, const hc__node *n, json_t *inst)
{
    for (uint32_t i = 0; i < n->nkw; i++) {
        const hc__kw *k = &n->kw[i];
        if (k->kind != HC__K_PROPS || !k->u.props.has_defaults)
            continue;
        for (size_t p = 0; p < k->u.props.n; p++) {
            const hc__prop *pr = &k->u.props.v[p];
            json_t *copy;
            if (!pr->def || json_object_getn(inst, pr->name.s, pr->name.len))
                continue;
            copy = json_deep_copy(pr->def);
            if (!copy ||
                json_object_setn_new(inst, pr->name.s, pr->name.len, copy)) {
                c->nomem = true;
                return;
            }
            if (c->rep)
                hc__report_filled(c, pr->name.s, pr->name.len);
        }
    }
}

/* ---- arrays
 * ------------------------------------------------------------------------ */

static NOINLINE bool v_items(hc__vctx *c, const hc__kw *k, json_t *inst, ev *e)
{
    size_t n = hc__jarray_size(inst), np = k->u.items.nprefix;
    bool ok = true;
    for (size_t i = 0; i < n && i < np; i++) {
        hc__seg ik = {c->ipath, NULL, i};
        if (!v_at(c, k->u.items.prefix[i], hc__jarray_at(inst, i), NULL,
                  "prefixItems", NULL, i, true, &ik)) {
            ok = false;
            if (!collecting(c))
                return false;
        }
    }
    if (e && e->upto < (n < np ? n : np))
        e->upto = n < np ? n : np;
    if (k->u.items.items) {
        for (size_t i = np; i < n; i++) {
            hc__seg ik = {c->ipath, NULL, i};
            if (!v_at(c, k->u.items.items, hc__jarray_at(inst, i), NULL,
                      "items", NULL, 0, false, &ik)) {
                ok = false;
                if (!collecting(c))
                    return false;
            }
        }
        if (e)
            e->all = true;
    }
    return ok;
}

/* v_items for verdict-only runs without annotations (as v_props_quick:
 * jansson's structs, one depth check). */
static ALWAYS_INLINE bool items_quick(hc__vctx *c, const hc__kw *k,
                                      json_t *inst, bool memo)
{
    const hc__jarray *a = (const hc__jarray *)inst;
    size_t n = a->entries, np = k->u.items.nprefix;
    const hc__node *items = k->u.items.items;
    json_t *const *t = a->table;
    for (size_t i = 0; i < n && i < np; i++)
        if (!v_child(c, k->u.items.prefix[i], t[i], memo))
            return false;
    if (items)
        for (size_t i = np; i < n; i++)
            if (!v_child(c, items, t[i], memo))
                return false;
    return true;
}

static NOINLINE bool v_items_quick_memo(hc__vctx *c, const hc__kw *k,
                                        json_t *inst)
{
    return items_quick(c, k, inst, true);
}

static NOINLINE bool v_items_quick(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    if (!hc__jfast_ok || c->depth + k->u.items.max_hops >= HC__SCHEMA_MAX_DEPTH)
        return v_items(c, k, inst, NULL);
    if (c->mprev || c->mnext)
        return v_items_quick_memo(c, k, inst);
    return items_quick(c, k, inst, false);
}

static NOINLINE bool v_contains(hc__vctx *c, const hc__kw *k, json_t *inst,
                                ev *e)
{
    size_t n = hc__jarray_size(inst), count = 0;
    size_t min = k->u.contains.min, max = k->u.contains.max;
    if (!e && min == 0 && max == SIZE_MAX)
        return true;
    c->quiet++;
    c->nofill++;
    for (size_t i = 0; i < n; i++) {
        if (v_node(c, k->u.contains.node, hc__jarray_at(inst, i), NULL)) {
            count++;
            if (e)
                ev_set(c, e, i);
            else if (count >= min && max == SIZE_MAX)
                break;
            else if (count > max)
                break;
        }
        if (c->limit_hit)
            break;
    }
    c->quiet--;
    c->nofill--;
    if (count < min) {
        if (min == 1 && !k->u.contains.has_min)
            return FAIL(c, "contains", NULL,
                        "no item matches the \"contains\" schema");
        return FAIL(c, "minContains", NULL,
                    "%zu %s the \"contains\" schema, fewer than the minimum "
                    "of %zu",
                    count, plural(count, "item matches", "items match"), min);
    }
    if (count > max)
        return FAIL(c, "maxContains", NULL,
                    "%zu %s the \"contains\" schema, more than the maximum "
                    "of %zu",
                    count, plural(count, "item matches", "items match"), max);
    return true;
}

static NOINLINE bool v_uneval_items(hc__vctx *c, const hc__kw *k, json_t *inst,
                                    ev *e)
{
    size_t n = hc__jarray_size(inst);
    bool ok = true;
    if (e->all)
        return true;
    for (size_t i = 0; i < n; i++) {
        hc__seg ik = {c->ipath, NULL, i};
        if (ev_has(e, i))
            continue;
        if (!v_at(c, k->u.node, hc__jarray_at(inst, i), NULL,
                  "unevaluatedItems", NULL, 0, false, &ik)) {
            ok = false;
            if (!collecting(c))
                return false;
        }
    }
    if (ok)
        e->all = true;
    return ok;
}

typedef struct hash_index {
    uint64_t h;
    size_t i;
} hash_index;

static int cmp_hash_index(const void *a, const void *b)
{
    const hash_index *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static NOINLINE bool v_unique(hc__vctx *c, json_t *inst)
{
    size_t n = hc__jarray_size(inst);
    size_t dup_a = 0, dup_b = 0;
    bool found = false;
    if (n < 2)
        return true;
    if (!work(c, n))
        return false;
    if (n <= 16) {
        for (size_t i = 0; i < n && !found; i++)
            for (size_t j = i + 1; j < n; j++)
                if (hc__json_equal(hc__jarray_at(inst, i),
                                   hc__jarray_at(inst, j))) {
                    dup_a = i;
                    dup_b = j;
                    found = true;
                    break;
                }
    } else {
        /* hash every item, sort by hash (n log n), and compare only items
         * whose hashes collide */
        hash_index stack_o[128], *o = stack_o;
        if (n > sizeof stack_o / sizeof stack_o[0]) {
            o = malloc(n * sizeof *o);
            if (!o) {
                c->nomem = true;
                return false;
            }
        }
        for (size_t i = 0; i < n; i++) {
            o[i].h = hc__json_hash(hc__jarray_at(inst, i));
            o[i].i = i;
        }
        qsort(o, n, sizeof *o, cmp_hash_index);
        for (size_t i = 0; i + 1 < n && !found; i++) {
            for (size_t j = i + 1; j < n && o[j].h == o[i].h; j++)
                if (hc__json_equal(hc__jarray_at(inst, o[i].i),
                                   hc__jarray_at(inst, o[j].i))) {
                    /* sorted by index within a hash: i < j */
                    dup_a = o[i].i;
                    dup_b = o[j].i;
                    found = true;
                    break;
                }
        }
        if (o != stack_o)
            free(o);
    }
    if (!found)
        return true;
    return FAIL(c, "uniqueItems", NULL,
                "items %zu and %zu are equal, but items must be unique", dup_a,
                dup_b);
}

/* ---- applicators
 * ------------------------------------------------------------------ */

/* When a branch list fails, re-run each branch collecting its errors and
 * keep those of the single branch that got furthest into the document
 * (deepest errors, then fewest): that is usually the one the author meant. */
static void branch_details(hc__vctx *c, const hc__kw *k, json_t *inst,
                           const char *kw)
{
    size_t mark = hc__report_mark(c->rep), best_from = 0, best_to = 0;
    int best_depth = -1, ties = 0;
    size_t best_count = 0;
    c->nofill++;
    for (size_t i = 0; i < k->u.list.n && !c->stopped; i++) {
        size_t from = hc__report_mark(c->rep), to;
        int depth = 1 << 30;
        (void)v_at(c, k->u.list.v[i], inst, NULL, kw, NULL, i, true, NULL);
        to = hc__report_mark(c->rep);
        if (to == from)
            continue;
        for (size_t e = from; e < to; e++) {
            int d = hc__report_depth(c->rep, e);
            if (d < depth)
                depth = d;
        }
        if (depth > best_depth ||
            (depth == best_depth && to - from < best_count)) {
            best_depth = depth;
            best_count = to - from;
            best_from = from;
            best_to = to;
            ties = 0;
        } else if (depth == best_depth && to - from == best_count) {
            ties++;
        }
    }
    c->nofill--;
    {
        /* errors at the branch's own level mean a wrong branch, not a
         * near miss: details would only add noise */
        int here = 0;
        for (const hc__seg *s = c->ipath; s; s = s->up)
            here++;
        if (ties || best_depth <= here)
            best_from = best_to = 0;
    }
    hc__report_keep(c->rep, mark, best_from, best_to);
    c->stopped = hc__report_full(c->rep);
}

static NOINLINE bool v_any_of(hc__vctx *c, const hc__kw *k, json_t *inst, ev *e)
{
    bool any = false;
    for (size_t i = 0; i < k->u.list.n; i++) {
        ev te;
        bool r;
        if (e)
            ev_init(&te);
        c->quiet++;
        c->nofill++;
        r = v_at(c, k->u.list.v[i], inst, e ? &te : NULL, "anyOf", NULL, i,
                 true, NULL);
        c->quiet--;
        c->nofill--;
        if (r) {
            any = true;
            if (e)
                ev_merge(c, e, &te);
        }
        if (e)
            ev_free(&te);
        if ((r && !e) || c->limit_hit)
            break;
    }
    if (any)
        return true;
    if (collecting(c)) {
        hc__report_add(c, "anyOf", NULL,
                       "the value matches none of the %zu schemas in anyOf",
                       k->u.list.n);
        branch_details(c, k, inst, "anyOf");
    }
    return false;
}

static NOINLINE bool v_one_of(hc__vctx *c, const hc__kw *k, json_t *inst, ev *e)
{
    size_t count = 0, first = 0, second = 0;
    ev keep;
    if (e)
        ev_init(&keep);
    for (size_t i = 0; i < k->u.list.n; i++) {
        ev te;
        bool r;
        if (e)
            ev_init(&te);
        c->quiet++;
        c->nofill++;
        r = v_at(c, k->u.list.v[i], inst, e ? &te : NULL, "oneOf", NULL, i,
                 true, NULL);
        c->quiet--;
        c->nofill--;
        if (r) {
            if (count == 0) {
                first = i;
                if (e)
                    ev_merge(c, &keep, &te);
            } else if (count == 1) {
                second = i;
            }
            count++;
        }
        if (e)
            ev_free(&te);
        if (count > 1 || c->limit_hit)
            break;
    }
    if (count == 1) {
        if (e)
            ev_merge(c, e, &keep);
        if (e)
            ev_free(&keep);
        return true;
    }
    if (e)
        ev_free(&keep);
    if (!collecting(c))
        return false;
    if (count == 0) {
        hc__report_add(c, "oneOf", NULL,
                       "the value matches none of the %zu schemas in oneOf",
                       k->u.list.n);
        branch_details(c, k, inst, "oneOf");
    } else {
        hc__report_add(c, "oneOf", NULL,
                       "the value matches more than one schema in oneOf "
                       "(%zu and %zu), but must match exactly one",
                       first, second);
    }
    return false;
}

/* v_one_of for verdict-only runs without annotations. */
static NOINLINE bool v_one_of_quick(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    size_t count = 0;
    c->nofill++;
    for (size_t i = 0; i < k->u.list.n; i++) {
        if (v_node_q(c, k->u.list.v[i], inst))
            count++;
        if (count > 1 || c->limit_hit)
            break;
    }
    c->nofill--;
    return count == 1;
}

static NOINLINE bool v_if(hc__vctx *c, const hc__kw *k, json_t *inst, ev *e)
{
    ev te;
    bool r;
    if (e)
        ev_init(&te);
    c->quiet++;
    c->nofill++;
    r = v_at(c, k->u.cond.if_, inst, e ? &te : NULL, "if", NULL, 0, false,
             NULL);
    c->quiet--;
    c->nofill--;
    if (r && e)
        ev_merge(c, e, &te);
    if (e)
        ev_free(&te);
    if (r && k->u.cond.then_)
        return v_at(c, k->u.cond.then_, inst, e, "then", NULL, 0, false, NULL);
    if (!r && k->u.cond.else_)
        return v_at(c, k->u.cond.else_, inst, e, "else", NULL, 0, false, NULL);
    return true;
}

static const hc__node *dynamic_target(const hc__vctx *c, const hc__kw *k)
{
    const hc__node *t = k->u.ref.node;
    const char *name = k->u.ref.dynamic;
    if (!name)
        return t;
    /* the outermost resource in the dynamic scope that has the anchor */
    for (const hc__scope *s = c->scope; s; s = s->up)
        for (size_t i = 0; i < s->res->ndyn; i++)
            if (!strcmp(s->res->dyn[i].name, name)) {
                t = s->res->dyn[i].node;
                break;
            }
    return t;
}

/* ---- scalars
 * ---------------------------------------------------------------------- */

static bool enum_has(const hc__kw *k, const json_t *inst)
{
    if (k->u.en.strs) {
        const char *s;
        size_t len;
        if (!json_is_string(inst))
            return false;
        s = json_string_value(inst);
        len = json_string_length(inst);
        for (size_t i = 0; i < k->u.en.nstrs; i++)
            if (k->u.en.strs[i].len == len &&
                same_bytes(k->u.en.strs[i].s, s, len))
                return true;
        return false;
    }
    for (size_t i = 0; i < json_array_size(k->u.en.value); i++)
        if (hc__json_equal(inst, json_array_get(k->u.en.value, i)))
            return true;
    return false;
}

static COLD bool enum_fail(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    const json_t *vals = k->u.en.value;
    size_t n = json_array_size(vals);
    char what[96], list[200];
    size_t o = 0;
    if (!collecting(c))
        return false;
    hc__brief(inst, what, sizeof what);
    list[0] = '\0';
    for (size_t i = 0; i < n && o < sizeof list; i++) {
        char one[64];
        hc__brief(json_array_get(vals, i), one, sizeof one);
        if (o + strlen(one) + 8 >= sizeof list) {
            snprintf(list + o, sizeof list - o, ", ...");
            break;
        }
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
                              one);
    }
    return FAIL(c, "enum", NULL, "%s is not one of the allowed values: %s",
                what, n ? list : "(none)");
}

static COLD bool const_fail(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    char a[96], b[96];
    if (!collecting(c))
        return false;
    hc__brief(inst, a, sizeof a);
    hc__brief(k->u.en.value, b, sizeof b);
    return FAIL(c, "const", NULL, "%s is not equal to the constant %s", a, b);
}

static COLD bool number_fail(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    char a[64], b[64];
    if (!collecting(c))
        return false;
    hc__brief(inst, a, sizeof a);
    hc__brief(k->u.num.json, b, sizeof b);
    switch (k->kind) {
    case HC__K_MULTIPLE_OF:
        return FAIL(c, k->name, NULL, "%s is not a multiple of %s", a, b);
    case HC__K_MAXIMUM:
        return FAIL(c, k->name, NULL, "%s is greater than the maximum of %s", a,
                    b);
    case HC__K_EXCL_MAXIMUM:
        return FAIL(c, k->name, NULL,
                    "%s is not less than the exclusive maximum of %s", a, b);
    case HC__K_MINIMUM:
        return FAIL(c, k->name, NULL, "%s is less than the minimum of %s", a,
                    b);
    default:
        return FAIL(c, k->name, NULL,
                    "%s is not greater than the exclusive minimum of %s", a, b);
    }
}

static bool v_number(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    bool ok;
    switch (k->kind) {
    case HC__K_MULTIPLE_OF: ok = is_multiple(inst, &k->u.num); break;
    case HC__K_MAXIMUM: ok = num_cmp(inst, &k->u.num) <= 0; break;
    case HC__K_EXCL_MAXIMUM: ok = num_cmp(inst, &k->u.num) < 0; break;
    case HC__K_MINIMUM: ok = num_cmp(inst, &k->u.num) >= 0; break;
    default: ok = num_cmp(inst, &k->u.num) > 0; break;
    }
    return ok || number_fail(c, k, inst);
}

static COLD bool string_fail(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    const char *s = json_string_value(inst);
    size_t len = json_string_length(inst), cps = utf8_count(s, len);
    char a[96];
    if (!collecting(c))
        return false;
    hc__brief(inst, a, sizeof a);
    switch (k->kind) {
    case HC__K_MAX_LENGTH:
        return FAIL(c, k->name, NULL,
                    "%s is longer than the maximum length of %zu %s (it has "
                    "%zu)",
                    a, k->u.count,
                    plural(k->u.count, "character", "characters"), cps);
    case HC__K_MIN_LENGTH:
        return FAIL(c, k->name, NULL,
                    "%s is shorter than the minimum length of %zu %s (it has "
                    "%zu)",
                    a, k->u.count,
                    plural(k->u.count, "character", "characters"), cps);
    case HC__K_PATTERN:
        return FAIL(c, k->name, NULL, "%s does not match the pattern %s", a,
                    k->u.re.src);
    default: /* format */
        return FAIL(c, k->name, NULL, "%s is not a valid %s", a,
                    hc__format_name(k->u.format));
    }
}

static bool v_string(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    const char *s = json_string_value(inst);
    size_t len = json_string_length(inst);
    bool ok;
    switch (k->kind) {
    case HC__K_MAX_LENGTH:
        ok = len <= k->u.count || utf8_count(s, len) <= k->u.count;
        break;
    case HC__K_MIN_LENGTH:
        ok = len / 4 >= k->u.count ||
             (len >= k->u.count && utf8_count(s, len) >= k->u.count);
        break;
    case HC__K_PATTERN: {
        int rc = hc__regex_match(&k->u.re, c->s->mctx, s, len);
        if (rc < 0) {
            limit_error(c, k->name, &k->u.re, rc);
            return false;
        }
        ok = rc == 1;
        break;
    }
    default: /* format */ ok = hc__format_check(k->u.format, s, len); break;
    }
    return ok || string_fail(c, k, inst);
}

static COLD bool count_fail(hc__vctx *c, const hc__kw *k, size_t n)
{
    bool max = k->kind == HC__K_MAX_ITEMS || k->kind == HC__K_MAX_PROPS;
    if (k->kind == HC__K_MAX_ITEMS || k->kind == HC__K_MIN_ITEMS)
        return FAIL(c, k->name, NULL,
                    "the array has %zu %s, %s than the %s of %zu", n,
                    plural(n, "item", "items"), max ? "more" : "fewer",
                    max ? "maximum" : "minimum", k->u.count);
    return FAIL(c, k->name, NULL,
                "the object has %zu %s, %s than the %s of %zu", n,
                plural(n, "property", "properties"), max ? "more" : "fewer",
                max ? "maximum" : "minimum", k->u.count);
}

/* ---- the keyword switch
 * -------------------------------------------------------------- */

/* k applies to inst's kind: the node's bucket lists say so. */
static ALWAYS_INLINE bool v_kw(hc__vctx *c, const hc__kw *k, json_t *inst,
                               ev *e)
{
    switch (k->kind) {
    case HC__K_TYPE: /* moved into hc__node.types at compile time */
        return (inst_type(inst) & k->u.types) != 0;
    case HC__K_ENUM: return enum_has(k, inst) || enum_fail(c, k, inst);
    case HC__K_CONST:
        return hc__json_equal(inst, k->u.en.value) || const_fail(c, k, inst);
    case HC__K_MULTIPLE_OF:
    case HC__K_MAXIMUM:
    case HC__K_EXCL_MAXIMUM:
    case HC__K_MINIMUM:
    case HC__K_EXCL_MINIMUM: return v_number(c, k, inst);
    case HC__K_MAX_LENGTH:
    case HC__K_MIN_LENGTH:
    case HC__K_PATTERN:
    case HC__K_FORMAT: return v_string(c, k, inst);
    case HC__K_MAX_ITEMS:
    case HC__K_MIN_ITEMS: {
        size_t n = hc__jarray_size(inst);
        if (k->kind == HC__K_MAX_ITEMS ? n <= k->u.count : n >= k->u.count)
            return true;
        return count_fail(c, k, n);
    }
    case HC__K_UNIQUE_ITEMS: return v_unique(c, inst);
    case HC__K_CONTAINS: return v_contains(c, k, inst, e);
    case HC__K_MAX_PROPS:
    case HC__K_MIN_PROPS: {
        size_t n = json_object_size(inst);
        if (k->kind == HC__K_MAX_PROPS ? n <= k->u.count : n >= k->u.count)
            return true;
        return count_fail(c, k, n);
    }
    case HC__K_REQUIRED: {
        bool ok = true;
        if (k->u.names.folded && !c->rep)
            return true; /* v_props checks it */
        for (size_t i = 0; i < k->u.names.n; i++) {
            const hc__name *nm = &k->u.names.v[i];
            if (json_object_getn(inst, nm->s, nm->len))
                continue;
            ok = FAIL(c, "required", NULL, "missing required property \"%s\"",
                      nm->s);
            if (!collecting(c))
                return false;
        }
        return ok;
    }
    case HC__K_DEP_REQUIRED: {
        bool ok = true;
        for (size_t i = 0; i < k->u.dep_req.n; i++) {
            const hc__dep_req *d = &k->u.dep_req.v[i];
            if (!json_object_getn(inst, d->prop.s, d->prop.len))
                continue;
            for (size_t r = 0; r < d->nreq; r++) {
                if (json_object_getn(inst, d->req[r].s, d->req[r].len))
                    continue;
                ok = FAIL(c, "dependentRequired", NULL,
                          "property \"%s\" is required when \"%s\" is present",
                          d->req[r].s, d->prop.s);
                if (!collecting(c))
                    return false;
            }
        }
        return ok;
    }
    case HC__K_PROPS:
        return !c->rep && !e ? v_props_quick(c, &k->u.props, inst)
                             : v_props(c, &k->u.props, inst, e);
    case HC__K_PROPERTY_NAMES: return v_property_names(c, k, inst);
    case HC__K_DEP_SCHEMAS: {
        bool ok = true;
        for (size_t i = 0; i < k->u.dep_schemas.n; i++) {
            const hc__dep_schema *d = &k->u.dep_schemas.v[i];
            if (!json_object_getn(inst, d->prop.s, d->prop.len))
                continue;
            if (!v_at(c, d->node, inst, e, "dependentSchemas", d->prop.s,
                      d->prop.len, false, NULL)) {
                ok = false;
                if (!collecting(c))
                    return false;
            }
        }
        return ok;
    }
    case HC__K_ITEMS:
        return !c->rep && !e ? v_items_quick(c, k, inst)
                             : v_items(c, k, inst, e);
    case HC__K_ALL_OF: {
        bool ok = true;
        for (size_t i = 0; i < k->u.list.n; i++)
            if (!v_at(c, k->u.list.v[i], inst, e, "allOf", NULL, i, true,
                      NULL)) {
                ok = false;
                if (!collecting(c))
                    return false;
            }
        return ok;
    }
    case HC__K_ANY_OF: return v_any_of(c, k, inst, e);
    case HC__K_ONE_OF:
        return !c->rep && !e ? v_one_of_quick(c, k, inst)
                             : v_one_of(c, k, inst, e);
    case HC__K_NOT: {
        bool r;
        c->quiet++;
        c->nofill++;
        r = v_at(c, k->u.node, inst, NULL, "not", NULL, 0, false, NULL);
        c->quiet--;
        c->nofill--;
        if (!r)
            return true;
        return FAIL(c, "not", NULL,
                    "the value must not match the schema in \"not\"");
    }
    case HC__K_IF: return v_if(c, k, inst, e);
    case HC__K_REF:
        return v_at(c, k->u.ref.node, inst, e, "$ref", NULL, 0, false, NULL);
    case HC__K_DYNAMIC_REF: /* $dynamicRef, or 2019-09's $recursiveRef */
        return v_at(c, dynamic_target(c, k), inst, e, k->name, NULL, 0, false,
                    NULL);
    case HC__K_UNEVAL_PROPS: return v_uneval_props(c, k, inst, e);
    case HC__K_UNEVAL_ITEMS: return v_uneval_items(c, k, inst, e);
    }
    return true;
}

/* The message for a false schema depends on where it sits. */
static __attribute__((noinline, cold)) bool v_false(hc__vctx *c, json_t *inst)
{
    const hc__seg *k = c->kpath, *i = c->ipath;
    const char *kw = k && k->key ? k->key : "";
    if (!collecting(c))
        return false;
    if (i && i->key &&
        (!strcmp(kw, "additionalProperties") ||
         !strcmp(kw, "unevaluatedProperties") ||
         (k->up && k->up->key &&
          (!strcmp(k->up->key, "properties") ||
           !strcmp(k->up->key, "patternProperties")))))
        return FAIL(c, NULL, NULL, "property \"%.*s\" is not allowed",
                    (int)(i->n == NUL_TERMINATED ? strlen(i->key) : i->n),
                    i->key);
    if (i && !i->key &&
        (!strcmp(kw, "items") || !strcmp(kw, "unevaluatedItems") ||
         (k->up && k->up->key && !strcmp(k->up->key, "prefixItems"))))
        return FAIL(c, NULL, NULL, "item %zu is not allowed", i->n);
    (void)inst;
    return FAIL(c, NULL, NULL,
                "no value is allowed here (the schema is false)");
}

static __attribute__((noinline, cold)) bool
type_fail(hc__vctx *c, const hc__node *n, json_t *inst)
{
    const hc__node *saved = c->node;
    char want[96], what[96];
    if (!collecting(c))
        return false;
    c->node = n;
    types_text(n->types, want, sizeof want);
    hc__brief(inst, what, sizeof what);
    hc__report_add(c, "type", NULL, "%s is not of type %s", what, want);
    c->node = saved;
    return false;
}

static COLD bool false_node(hc__vctx *c, const hc__node *n, json_t *inst)
{
    const hc__node *saved_node = c->node;
    bool ok;
    c->node = n;
    ok = v_false(c, inst);
    c->node = saved_node;
    return ok;
}

/* A node with keywords for inst (of bucket b), hops skipped $refs deep. */
static NOINLINE bool v_node_body(hc__vctx *c, const hc__node *n, json_t *inst,
                                 ev *e, int b, int hops)
{
    const hc__node *saved_node = c->node;
    const hc__scope *saved_scope = c->scope;
    hc__scope sc;
    ev local;
    ev *use = e;
    bool ok = true;

    if (c->depth + hops >= HC__SCHEMA_MAX_DEPTH) {
        c->limit_hit = true;
        hc__report_force(c, NULL,
                         "evaluation nested deeper than %d schemas (a "
                         "$dynamicRef loop or a very deep document)",
                         HC__SCHEMA_MAX_DEPTH);
        return false;
    }
    if (!work(c, 1))
        return false;
    c->depth += hops + 1;
    c->node = n;
    if (c->s->has_dynamic && (!c->scope || c->scope->res != n->res)) {
        sc.up = c->scope;
        sc.res = n->res;
        /* a stack frame of the dynamic scope, popped before returning */
        // cppcheck-suppress autoVariables
        c->scope = &sc;
    }
    if (n->flags & HC__N_UNEVAL) {
        ev_init(&local);
        use = &local;
    }
    if ((n->flags & HC__N_DEFAULTS) && c->fill && !c->nofill &&
        json_is_object(inst))
        fill_defaults(c, n, inst);
    for (uint32_t i = n->boff[b], end = n->boff[b + 1]; i < end; i++) {
        if (!v_kw(c, n->bkw[i], inst, use)) {
            ok = false;
            if (!collecting(c) || c->limit_hit)
                break;
        }
    }
    if (use == &local) {
        if (ok && e)
            ev_merge(c, e, &local);
        ev_free(&local);
    }
    c->node = saved_node;
    c->scope = saved_scope;
    c->depth -= hops + 1;
    return ok;
}

/* A string keyword on the bytes of a string: 1 pass, 0 fail, -1 when it
 * needs the string as a json_t (an enum or const of other values). */
static ALWAYS_INLINE int str_kw(hc__vctx *c, const hc__kw *k, const char *s,
                                size_t len)
{
    switch (k->kind) {
    case HC__K_MAX_LENGTH:
        return len <= k->u.count || utf8_count(s, len) <= k->u.count;
    case HC__K_MIN_LENGTH:
        return len / 4 >= k->u.count ||
               (len >= k->u.count && utf8_count(s, len) >= k->u.count);
    case HC__K_PATTERN: {
        int rc = hc__regex_match(&k->u.re, c->s->mctx, s, len);
        if (rc < 0) {
            limit_error(c, k->name, &k->u.re, rc);
            return 0;
        }
        return rc == 1;
    }
    case HC__K_FORMAT: return hc__format_check(k->u.format, s, len);
    case HC__K_CONST:
        if (!k->u.en.strs)
            return json_is_string(k->u.en.value) ? -1 : 0;
        return k->u.en.strs->len == len && same_bytes(k->u.en.strs->s, s, len);
    case HC__K_ENUM:
        if (!k->u.en.strs)
            return -1;
        for (size_t i = 0; i < k->u.en.nstrs; i++)
            if (k->u.en.strs[i].len == len &&
                same_bytes(k->u.en.strs[i].s, s, len))
                return 1;
        return 0;
    default: return -1;
    }
}

/* Verdict-only: a node whose keywords for inst's kind never evaluate a
 * subschema needs no depth, scope or annotation bookkeeping. */
/* v_kw out of line, for the leaf paths' less common keywords: keeps
 * their frames small. */
static NOINLINE bool v_kw_leaf(hc__vctx *c, const hc__kw *k, json_t *inst)
{
    return v_kw(c, k, inst, NULL);
}

/* v_leaf for a string: the string once for all its keywords. */
static NOINLINE bool v_leaf_str(hc__vctx *c, const hc__node *n, json_t *inst)
{
    size_t len;
    const char *s = hc__jstr(inst, &len);
    const hc__kw *const *k = n->bkw + n->boff[HC__B_STRING];
    const hc__kw *const *end = n->bkw + n->boff[HC__B_STRING + 1];
    for (; k < end; k++) {
        int r = str_kw(c, *k, s, len);
        if (r < 0)
            r = v_kw_leaf(c, *k, inst);
        if (!r)
            return false;
    }
    return true;
}

static NOINLINE bool v_leaf(hc__vctx *c, const hc__node *n, json_t *inst, int b)
{
    uint32_t i = n->boff[b], end = n->boff[b + 1];
    if (b == HC__B_STRING)
        return v_leaf_str(c, n, inst);
    if (json_is_integer(inst)) {
        /* integer limits compare exactly, without a call per keyword */
        json_int_t x = json_integer_value(inst);
        for (; i < end; i++) {
            const hc__kw *k = n->bkw[i];
            bool ok;
            if (k->kind < HC__K_MAXIMUM || k->kind > HC__K_EXCL_MINIMUM ||
                !k->u.num.is_int) {
                ok = v_kw_leaf(c, k, inst);
            } else {
                switch (k->kind) {
                case HC__K_MAXIMUM: ok = x <= k->u.num.i; break;
                case HC__K_EXCL_MAXIMUM: ok = x < k->u.num.i; break;
                case HC__K_MINIMUM: ok = x >= k->u.num.i; break;
                default: ok = x > k->u.num.i; break;
                }
            }
            if (!ok)
                return false;
        }
        return true;
    }
    for (; i < end; i++) {
        const hc__kw *k = n->bkw[i];
        /* a const or enum of strings only (a oneOf branch, often) fails
         * any other type */
        if ((k->kind == HC__K_CONST || k->kind == HC__K_ENUM) && k->u.en.strs)
            return false;
        if (!v_kw_leaf(c, k, inst))
            return false;
    }
    return true;
}

/* Verdict-only propertyNames on a name without making a json_t of it:
 * 1 pass, 0 fail, -1 when the schema needs one. */
static int name_leaf(hc__vctx *c, const hc__node *n, const char *s, size_t len)
{
    int hops = 0;
    if (n->alias) {
        hops = n->hops;
        n = n->target;
    }
    if (c->depth + hops >= HC__SCHEMA_MAX_DEPTH || n->nkw == 0 ||
        (n->types && !(n->types & HC__T_STRING)) ||
        !(n->boff[HC__B_STRING] == n->boff[HC__B_STRING + 1] ||
          ((n->leaf >> HC__B_STRING) & 1)))
        return -1;
    for (uint32_t i = n->boff[HC__B_STRING]; i < n->boff[HC__B_STRING + 1];
         i++) {
        int r = str_kw(c, n->bkw[i], s, len);
        if (r <= 0)
            return r;
    }
    return 1;
}

/* Verdict-only, for a node without unevaluated*, defaults to fill or a
 * dynamic scope to keep: nothing to report, so no locations either. */
static NOINLINE bool v_node_quick(hc__vctx *c, const hc__node *n, json_t *inst,
                                  int b, int hops)
{
    bool ok = true;
    if (!work(c, 1))
        return false;
    c->depth += hops + 1;
    for (uint32_t i = n->boff[b], end = n->boff[b + 1]; i < end; i++)
        if (!v_kw(c, n->bkw[i], inst, NULL)) {
            ok = false;
            break;
        }
    c->depth -= hops + 1;
    return ok;
}

/* The checks every node gets, inlined into the callers: most nodes stop
 * at them (a type, or nothing that applies to this kind of value).
 * resolved: n is already the end of its $ref chain, hops deep (v_prop);
 * depth_ok: the caller checked the depth limit for hops (v_child). */
static ALWAYS_INLINE bool v_node_at_body(hc__vctx *c, const hc__node *n,
                                         int hops, json_t *inst, ev *e,
                                         bool may_rep, bool depth_ok,
                                         bool resolved)
{
    int b;
    unsigned act;
    if (!resolved && !(may_rep && c->rep) && n->alias) {
        /* each skipped $ref still counts toward the depth limit, so both
         * modes give the same verdict */
        hops = n->hops;
        n = n->target;
        if (!depth_ok && c->depth + hops >= HC__SCHEMA_MAX_DEPTH) {
            c->limit_hit = true;
            return false;
        }
    }
    /* the common cases, decided at compile time by the value's type */
    act = n->act[json_typeof(inst) & 7];
    switch (act) {
    case HC__ACT_DFA_STR:
        if (depth_ok && !(may_rep && c->rep))
            return dfa_str(n->str_dfa, inst);
        if (!(may_rep && c->rep) && c->depth + hops < HC__SCHEMA_MAX_DEPTH) {
            size_t len;
            const char *s = hc__jstr(inst, &len);
            return hc__dfa_match(n->str_dfa, s, len);
        }
        break;
    case HC__ACT_TRUE: return true;
    case HC__ACT_PASS:
        if ((depth_ok || c->depth + hops < HC__SCHEMA_MAX_DEPTH))
            return true;
        break;
    /* in the verdict-only loops there is nothing to report */
    case HC__ACT_TYPE: return may_rep && type_fail(c, n, inst);
    case HC__ACT_FALSE: return may_rep && false_node(c, n, inst);
    case HC__ACT_LEAF_STR:
        if (!(may_rep && c->rep) &&
            (depth_ok || c->depth + hops < HC__SCHEMA_MAX_DEPTH))
            return v_leaf_str(c, n, inst);
        break;
    case HC__ACT_LEAF:
        if (!(may_rep && c->rep) &&
            (depth_ok || c->depth + hops < HC__SCHEMA_MAX_DEPTH))
            return v_leaf(c, n, inst, inst_bucket(inst));
        break;
    case HC__ACT_PROPS:
        if (!(may_rep && c->rep) && !e && !c->s->has_dynamic &&
            (depth_ok || c->depth + hops < HC__SCHEMA_MAX_DEPTH)) {
            bool r;
            c->depth += hops + 1;
            r = v_props_quick(c, n->props, inst);
            c->depth -= hops + 1;
            return r;
        }
        break;
    default: break;
    }
    b = inst_bucket(inst);
    if (n->types && !type_ok(n->types, inst, b))
        return may_rep && type_fail(c, n, inst);
    if (n->boff[b] == n->boff[b + 1]) {
        if (n->nkw == 0)
            return !(n->flags & HC__N_FALSE) ||
                   (may_rep && false_node(c, n, inst));
        /* nothing applies to this kind of value (and nothing to fill) */
        if ((depth_ok || c->depth + hops < HC__SCHEMA_MAX_DEPTH))
            return true;
    } else if (!(may_rep && c->rep) &&
               (depth_ok || c->depth + hops < HC__SCHEMA_MAX_DEPTH)) {
        if ((n->leaf >> b) & 1)
            return v_leaf(c, n, inst, b);
        if (!n->flags && !c->s->has_dynamic && !e)
            return v_node_quick(c, n, inst, b, hops);
    }
    return v_node_body(c, n, inst, e, b, hops);
}

/* A container's verdict from the last validation's memo (memo.c), or
 * evaluated and kept for the next one. Only on verdict-only evaluations
 * that owe their caller no annotations (e == NULL). The key is the node as
 * the caller names it with its $ref hops, and the depth: a call resolved
 * by the caller (v_prop) and one that is not are different keys for the
 * same evaluation, never one key for two. */
static NOINLINE bool v_node_memo(hc__vctx *c, const hc__node *n, int hops,
                                 json_t *inst, bool depth_ok, bool resolved)
{
    int key = c->depth * 2048 + hops * 2 + resolved; /* depth <= 1000 */
    bool ok;
    if (c->mprev && hops < 1024 && hc__vmemo_has(c->mprev, n, inst, key))
        ok = true;
    else
        ok = v_node_at_body(c, n, hops, inst, NULL, false, depth_ok, resolved);
    if (ok && c->mnext && hops < 1024 &&
        hc__vmemo_add(c->mnext, n, inst, key) != 0) {
        /* out of memory: the next validation just runs in full */
        hc__vmemo_free(c->mnext);
        c->mnext = NULL;
    }
    return ok;
}

static ALWAYS_INLINE bool v_node_at(hc__vctx *c, const hc__node *n, int hops,
                                    json_t *inst, ev *e, bool may_rep,
                                    bool depth_ok, bool resolved)
{
    if ((c->mprev || c->mnext) && !e && !(may_rep && c->rep) &&
        (json_is_object(inst) || json_is_array(inst)))
        return v_node_memo(c, n, hops, inst, depth_ok, resolved);
    return v_node_at_body(c, n, hops, inst, e, may_rep, depth_ok, resolved);
}

static ALWAYS_INLINE bool v_node_in(hc__vctx *c, const hc__node *n,
                                    json_t *inst, ev *e, bool may_rep,
                                    bool depth_ok)
{
    return v_node_at(c, n, 0, inst, e, may_rep, depth_ok, false);
}

static ALWAYS_INLINE bool v_node(hc__vctx *c, const hc__node *n, json_t *inst,
                                 ev *e)
{
    return v_node_in(c, n, inst, e, true, false);
}

/* v_node for the verdict-only loops (no report by construction): their
 * per-member checks of c->rep fold away. */
static ALWAYS_INLINE bool v_node_q(hc__vctx *c, const hc__node *n, json_t *inst)
{
    return v_node_in(c, n, inst, NULL, false, false);
}

/* ---- public entry points
 * ------------------------------------------------------------- */

/* One pass over doc: the verdict only when report is NULL (the fast
 * verdict-only paths, no allocation), else every error into report.
 * Verdict-only passes may use the memo (memo.c): prev's verdicts are
 * taken, and when next is non-NULL a valid doc's are kept in *next. */
static int validate_pass(const hc_schema *schema, json_t *doc,
                         hc_schema_report *report, const hc__vmemo *prev,
                         hc__vmemo **next)
{
    hc__vctx c;
    bool ok;
    memset(&c, 0, sizeof c);
    c.s = schema;
    c.fill = schema->fill_defaults;
    c.rep = report;
    c.mprev = prev;
    c.mnext = next ? hc__vmemo_new(hc__vmemo_count(prev) + 8) : NULL;
    hc__jfast_init();
    ok = v_node(&c, schema->root, doc, NULL);
    if (c.limit_hit)
        ok = false;
    if (next && ok && !c.nomem)
        *next = c.mnext;
    else
        hc__vmemo_free(c.mnext);
    if (c.nomem)
        return HC_ENOMEM;
    return ok ? 0 : HC_EVALIDATE;
}

/* hc_schema_check after a verdict-only pass gave rc: nothing more for a
 * valid document, the reporting pass (which names the error) for an
 * invalid one. */
static int check_after_verdict(const hc_schema *schema, json_t *doc,
                               const char *source, const hc_posmap *positions,
                               int rc, hc_error *err);

int hc__schema_check_memo(const hc_schema *schema, json_t *doc,
                          const char *source, const void *prev, void **next,
                          hc_error *err)
{
    hc__vmemo *made = NULL;
    int rc;
    if (next)
        *next = NULL;
    /* no memo where a verdict is not a function of (node, value, depth):
     * defaults modify documents, $dynamicRef depends on the path */
    if (!schema || !doc || schema->fill_defaults || schema->has_dynamic)
        return hc_schema_check(schema, doc, source, NULL, err);
    hc_error_init(err);
    rc = validate_pass(schema, doc, NULL, prev, next ? &made : NULL);
    if (rc == 0 && next)
        *next = made;
    if (rc == HC_ENOMEM) /* the memo's own allocations: try without it */
        return hc_schema_check(schema, doc, source, NULL, err);
    return check_after_verdict(schema, doc, source, NULL, rc, err);
}

void hc__schema_memo_free(void *memo)
{
    hc__vmemo_free(memo);
}

/* Whether the verdict-only pass may run first: not when defaults are
 * filled, since the report lists them and that pass would fill already. */
static bool quick_first(const hc_schema *schema)
{
    return !schema->fill_defaults;
}

int hc__schema_fills_defaults(const hc_schema *schema)
{
    return schema && schema->fill_defaults;
}

int hc_schema_validate(const hc_schema *schema, json_t *doc,
                       hc_schema_report *report)
{
    if (!schema || !doc)
        return HC_EINVAL;
    if (report) {
        hc__report_reset(report);
        /* The verdict first: a valid document (the common case) leaves the
         * report empty, so only an invalid one pays for the reporting
         * pass. */
        if (quick_first(schema) &&
            validate_pass(schema, doc, NULL, NULL, NULL) == 0)
            return 0;
    }
    return validate_pass(schema, doc, report, NULL, NULL);
}

int hc_schema_check(const hc_schema *schema, json_t *doc, const char *source,
                    const hc_posmap *positions, hc_error *err)
{
    hc_error_init(err);
    if (!schema || !doc) {
        hc__error_set(err, HC_EINVAL, source, 0, 0, 0, "no schema or document");
        return HC_EINVAL;
    }
    /* the verdict first, without a report: a valid document (the common
     * case on reload) costs no allocation */
    return check_after_verdict(
        schema, doc, source, positions,
        quick_first(schema) ? validate_pass(schema, doc, NULL, NULL, NULL)
                            : HC_EVALIDATE,
        err);
}

static int check_after_verdict(const hc_schema *schema, json_t *doc,
                               const char *source, const hc_posmap *positions,
                               int rc, hc_error *err)
{
    hc_schema_report *rep;
    if (rc != HC_EVALIDATE) {
        if (rc)
            hc__error_set(err, rc, source, 0, 0, 0, "%s", hc_strerror(rc));
        return rc;
    }
    rep = hc_schema_report_new();
    if (!rep) {
        hc__error_set(err, HC_ENOMEM, source, 0, 0, 0, "out of memory");
        return HC_ENOMEM;
    }
    hc_schema_report_set_source(rep, source, positions);
    /* straight to the reporting pass: the verdict is already known */
    rc = validate_pass(schema, doc, rep, NULL, NULL);
    if (rc == HC_EVALIDATE)
        hc_schema_report_error(rep, 0, err);
    else if (rc)
        hc__error_set(err, rc, source, 0, 0, 0, "%s", hc_strerror(rc));
    hc_schema_report_free(rep);
    return rc;
}
