/*
 * keywords.c - compiles one schema object's keywords into the tagged
 * keyword structs of schema_internal.h, bucketed by instance type.
 */
#include "compile_internal.h"
#include "jfast.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static hc__node *child_node(hc__comp *c, hc__node *parent, const json_t *v)
{
    hc__node *n = hc__pm_get(c, v);
    if (!n) {
        /* cannot happen for indexed keywords; be defensive */
        hc__schema_cerr(c, parent, NULL, NULL, "internal: unindexed subschema");
        return NULL;
    }
    hc__schema_enqueue(c, n);
    return n;
}

static bool get_count(hc__comp *c, hc__node *n, const char *kw, const json_t *v,
                      size_t *out)
{
    double d;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uintmax_t)json_integer_value(v) > SIZE_MAX
                   ? SIZE_MAX
                   : (size_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && (d = json_real_value(v)) >= 0 && floor(d) == d) {
        *out = d >= 1.8e19 ? SIZE_MAX : (size_t)d;
        return true;
    }
    hc__schema_cerr(c, n, kw, NULL, "%s must be a non-negative integer", kw);
    return false;
}

static bool get_num(hc__comp *c, hc__node *n, const char *kw, const json_t *v,
                    hc__num *out)
{
    if (!json_is_number(v)) {
        hc__schema_cerr(c, n, kw, NULL, "%s must be a number, not %s", kw,
                        hc__type_name(v));
        return false;
    }
    out->json = v;
    out->is_int = json_is_integer(v);
    out->i = out->is_int ? json_integer_value(v) : 0;
    out->d = json_number_value(v);
    return true;
}

static bool get_names(hc__comp *c, hc__node *n, const char *kw, const char *sub,
                      const json_t *v, hc__name **out, size_t *nout)
{
    hc__name *names;
    size_t cnt;
    if (!json_is_array(v)) {
        hc__schema_cerr(c, n, kw, sub, "must be an array of property names");
        return false;
    }
    cnt = json_array_size(v);
    names = hc__arena_alloc(&c->s->arena, (cnt + 1) * sizeof *names);
    if (!names)
        return hc__schema_oom(c), false;
    for (size_t i = 0; i < cnt; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            hc__schema_cerr(c, n, kw, sub,
                            "must be an array of strings (item %zu is %s)", i,
                            hc__type_name(e));
            return false;
        }
        names[i].s = json_string_value(e);
        names[i].len = json_string_length(e);
        for (size_t k = 0; k < i; k++)
            if (names[k].len == names[i].len &&
                !memcmp(names[k].s, names[i].s, names[i].len)) {
                hc__schema_cerr(c, n, kw, sub, "lists \"%s\" twice",
                                names[i].s);
                return false;
            }
    }
    *out = names;
    *nout = cnt;
    return true;
}

static bool add_regex(hc__comp *c, hc__regex *re)
{
    hc_schema *s = c->s;
    if (s->nregex == s->capregex) {
        size_t ncap = s->capregex ? s->capregex * 2 : 8;
        hc__regex **nr = realloc(s->regexes, ncap * sizeof *nr);
        if (!nr)
            return hc__schema_oom(c), false;
        s->regexes = nr;
        s->capregex = ncap;
    }
    s->regexes[s->nregex++] = re;
    return true;
}

/* track: add re to the schema's list of regexes to free now. A "pattern"
 * keyword's regex lives inside its keyword struct, which the keyword sort
 * moves: it is listed by track_patterns once the keywords are in place. */
static bool compile_regex(hc__comp *c, hc__node *n, const char *kw,
                          const char *sub, const char *pat, size_t len,
                          hc__regex *re, bool track)
{
    char msg[200];
    size_t off;
    int rc = hc__regex_compile(re, pat, len, msg, sizeof msg, &off);
    if (rc == HC_ENOMEM)
        return hc__schema_oom(c), false;
    if (rc) {
        hc__schema_cerr(c, n, kw, sub,
                        "invalid regular expression \"%s\" at offset %zu: %s",
                        pat, off, msg);
        return false;
    }
    re->src = pat;
    return !track || add_regex(c, re);
}

static void track_patterns(hc__comp *c, hc__kw *kws, size_t nk)
{
    for (size_t i = 0; i < nk; i++)
        if (kws[i].kind == HC__K_PATTERN && kws[i].u.re.code &&
            !add_regex(c, &kws[i].u.re)) {
            hc__regex_free(&kws[i].u.re);
        }
}

static const json_t *prop_default(hc__comp *c, hc__node *n, const json_t *sub)
{
    const json_t *d, *ref;
    if (!json_is_object(sub))
        return NULL;
    d = json_object_get(sub, "default");
    if (d)
        return d;
    ref = json_object_get(sub, "$ref");
    if (json_is_string(ref)) {
        hc__node *sn = hc__pm_get(c, sub);
        hc__node *t =
            sn ? hc__ref_resolve(c, sn, "$ref", json_string_value(ref), NULL)
               : NULL;
        if (t && json_is_object(t->json))
            return json_object_get(t->json, "default");
    }
    (void)n;
    return NULL;
}

/* A multiplier that maps the keys (n of them) to distinct slots of a
 * small table: *table, *seed_out, *shift set; false when none was found
 * (or no memory, with the error set). */
static bool find_perfect(hc__comp *c, const uint32_t *keys, size_t n,
                         uint16_t **table, uint32_t *seed_out, uint32_t *shift)
{
    uint32_t seed = 0x9E3779B9u;
    uint16_t *t;
    for (uint32_t bits = 1; bits <= 14; bits++) {
        size_t size = (size_t)1 << bits;
        if (size < n)
            continue;
        if (size > n * 16)
            break;
        t = hc__arena_alloc(&c->s->arena, size * sizeof *t);
        if (!t)
            return hc__schema_oom(c), false;
        for (int tries = 0; tries < 64; tries++) {
            size_t m;
            seed = seed * 1664525u + 1013904223u;
            seed |= 1;
            memset(t, 0, size * sizeof *t);
            for (m = 0; m < n; m++) {
                uint32_t slot = (uint32_t)((keys[m] * seed) >> (32 - bits));
                if (t[slot])
                    break;
                t[slot] = (uint16_t)(m + 1);
            }
            if (m == n) {
                *table = t;
                *seed_out = seed;
                *shift = 32 - bits;
                return true;
            }
        }
    }
    return false;
}

/* The perfect hash of the names from jansson's own member hashes (see
 * hc__props.jph): names whose hashes collide keep the other lookups. */
static bool jansson_perfect_hash(hc__comp *c, hc__props *p)
{
    uint32_t *keys = hc__arena_alloc(&c->s->arena, p->n * sizeof *keys);
    size_t *h = hc__arena_alloc(&c->s->arena, p->n * sizeof *h);
    if (!keys || !h)
        return hc__schema_oom(c), false;
    for (size_t m = 0; m < p->n; m++) {
        if (!hc__jfast_key_hash(p->v[m].name.s, p->v[m].name.len, &h[m]))
            return true;
        keys[m] = (uint32_t)h[m];
    }
    if (find_perfect(c, keys, p->n, &p->jph, &p->jph_seed, &p->jph_shift))
        p->jhash = h;
    return !c->failed;
}

/* Looks for a multiplier that maps the names' signatures to distinct
 * slots of a small table; names with equal signatures (same length and
 * first, middle and last bytes) keep the ordinary hash index. */
static bool perfect_hash(hc__comp *c, hc__props *p)
{
    uint32_t *keys;
    if (p->n == 0 || p->n > 1024)
        return true;
    if (!jansson_perfect_hash(c, p))
        return false;
    keys = hc__arena_alloc(&c->s->arena, p->n * sizeof *keys);
    if (!keys)
        return hc__schema_oom(c), false;
    for (size_t m = 0; m < p->n; m++)
        keys[m] = hc__key_sig(p->v[m].name.s, p->v[m].name.len);
    (void)find_perfect(c, keys, p->n, &p->ph, &p->ph_seed, &p->ph_shift);
    return !c->failed;
}

/* Lets the properties scan check "required" (verdict-only runs) when
 * every required name is a declared property. */
static void fold_required(hc__kw *kws, size_t nk)
{
    hc__kw *props = NULL, *req = NULL;
    for (size_t i = 0; i < nk; i++) {
        if (kws[i].kind == HC__K_PROPS && kws[i].u.props.has_props)
            props = &kws[i];
        else if (kws[i].kind == HC__K_REQUIRED)
            req = &kws[i];
    }
    if (!props || !req || req->u.names.n == 0 || req->u.names.n > 64)
        return;
    for (size_t r = 0; r < req->u.names.n; r++) {
        const hc__name *nm = &req->u.names.v[r];
        size_t i;
        for (i = 0; i < props->u.props.n; i++) {
            const hc__name *pn = &props->u.props.v[i].name;
            if (pn->len == nm->len && !memcmp(pn->s, nm->s, nm->len))
                break;
        }
        if (i == props->u.props.n)
            return;
    }
    for (size_t r = 0; r < req->u.names.n; r++) {
        const hc__name *nm = &req->u.names.v[r];
        for (size_t i = 0; i < props->u.props.n; i++) {
            hc__prop *pr = &props->u.props.v[i];
            if (pr->name.len == nm->len && !memcmp(pr->name.s, nm->s, nm->len))
                pr->req_bit |= (uint64_t)1 << r;
        }
        props->u.props.req_mask |= (uint64_t)1 << r;
    }
    req->u.names.folded = true;
}

static bool compile_props(hc__comp *c, hc__node *n, hc__kw *k)
{
    const json_t *j = n->json;
    const json_t *props = json_object_get(j, "properties");
    const json_t *pats = json_object_get(j, "patternProperties");
    const json_t *add = json_object_get(j, "additionalProperties");
    hc__props *p = &k->u.props;
    const char *key;
    size_t kl;
    json_t *v;

    k->kind = HC__K_PROPS;
    k->name = props  ? "properties"
              : pats ? "patternProperties"
                     : "additionalProperties";
    if (props) {
        size_t i = 0;
        p->has_props = true;
        p->n = json_object_size(props);
        p->v = hc__arena_alloc(&c->s->arena, (p->n + 1) * sizeof *p->v);
        if (!p->v)
            return hc__schema_oom(c), false;
        json_object_keylen_foreach((json_t *)props, key, kl, v)
        {
            hc__prop *pr = &p->v[i++];
            pr->name.s = key;
            pr->name.len = kl;
            pr->hash = XXH3_64bits(key, kl);
            if (!(pr->node = child_node(c, n, v)))
                return false;
            if (c->o->fill_defaults && (pr->def = prop_default(c, n, v)))
                p->has_defaults = true;
        }
        if (p->n > 8) {
            uint32_t cap = 16;
            while (cap < p->n * 2)
                cap *= 2;
            p->slots = hc__arena_alloc(&c->s->arena, cap * sizeof *p->slots);
            if (!p->slots)
                return hc__schema_oom(c), false;
            p->mask = cap - 1;
            for (size_t m = 0; m < p->n; m++) {
                uint32_t s = (uint32_t)p->v[m].hash & p->mask;
                while (p->slots[s])
                    s = (s + 1) & p->mask;
                p->slots[s] = (uint32_t)m + 1;
            }
        }
    }
    if (props && !perfect_hash(c, p))
        return false;
    if (pats) {
        size_t i = 0;
        p->npat = json_object_size(pats);
        p->pat = hc__arena_alloc(&c->s->arena, (p->npat + 1) * sizeof *p->pat);
        if (!p->pat)
            return hc__schema_oom(c), false;
        json_object_keylen_foreach((json_t *)pats, key, kl, v)
        {
            hc__pattern_prop *pp = &p->pat[i++];
            if (!compile_regex(c, n, "patternProperties", key, key, kl, &pp->re,
                               true))
                return false;
            if (!(pp->node = child_node(c, n, v)))
                return false;
        }
    }
    if (add && !(p->additional = child_node(c, n, add)))
        return false;
    return true;
}

static unsigned type_bit(const char *t)
{
    static const struct {
        const char *name;
        unsigned bit;
    } types[] = {{"null", HC__T_NULL},      {"boolean", HC__T_BOOLEAN},
                 {"object", HC__T_OBJECT},  {"array", HC__T_ARRAY},
                 {"number", HC__T_NUMBER},  {"string", HC__T_STRING},
                 {"integer", HC__T_INTEGER}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(t, types[i].name))
            return types[i].bit;
    return 0;
}

static bool compile_type(hc__comp *c, hc__node *n, const json_t *v, hc__kw *k)
{
    k->kind = HC__K_TYPE;
    if (json_is_string(v)) {
        k->u.types = type_bit(json_string_value(v));
        if (!k->u.types) {
            hc__schema_cerr(
                c, n, "type", NULL,
                "unknown type \"%s\" (expected null, boolean, object, "
                "array, number, string or integer)",
                json_string_value(v));
            return false;
        }
        return true;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            unsigned b = json_is_string(e) ? type_bit(json_string_value(e)) : 0;
            if (!b) {
                hc__schema_cerr(
                    c, n, "type", NULL,
                    "item %zu is not a type name (null, boolean, object, "
                    "array, number, string or integer)",
                    i);
                return false;
            }
            if (k->u.types & b) {
                hc__schema_cerr(c, n, "type", NULL, "lists \"%s\" twice",
                                json_string_value(e));
                return false;
            }
            k->u.types |= b;
        }
        return true;
    }
    hc__schema_cerr(c, n, "type", NULL,
                    "type must be a type name or an array of type names");
    return false;
}

static bool compile_list(hc__comp *c, hc__node *n, const json_t *v, hc__kw *k)
{
    /* shape already checked while indexing */
    k->u.list.n = json_array_size(v);
    k->u.list.v =
        hc__arena_alloc(&c->s->arena, k->u.list.n * sizeof *k->u.list.v);
    if (!k->u.list.v)
        return hc__schema_oom(c), false;
    for (size_t i = 0; i < k->u.list.n; i++)
        if (!(k->u.list.v[i] = child_node(c, n, json_array_get(v, i))))
            return false;
    return true;
}

static int kw_order(const hc__kw *k)
{
    if (k->kind == HC__K_TYPE)
        return 0;
    if (k->kind == HC__K_UNEVAL_PROPS || k->kind == HC__K_UNEVAL_ITEMS)
        return 2;
    return 1;
}

/* The buckets (1 << HC__B_*) of instances keyword kind k can fail for. */
static unsigned kw_buckets(hc__kind k)
{
    switch (k) {
    case HC__K_MULTIPLE_OF:
    case HC__K_MAXIMUM:
    case HC__K_EXCL_MAXIMUM:
    case HC__K_MINIMUM:
    case HC__K_EXCL_MINIMUM: return 1u << HC__B_NUMBER;
    case HC__K_MAX_LENGTH:
    case HC__K_MIN_LENGTH:
    case HC__K_PATTERN:
    case HC__K_FORMAT: return 1u << HC__B_STRING;
    case HC__K_MAX_ITEMS:
    case HC__K_MIN_ITEMS:
    case HC__K_UNIQUE_ITEMS:
    case HC__K_CONTAINS:
    case HC__K_ITEMS:
    case HC__K_UNEVAL_ITEMS: return 1u << HC__B_ARRAY;
    case HC__K_MAX_PROPS:
    case HC__K_MIN_PROPS:
    case HC__K_REQUIRED:
    case HC__K_DEP_REQUIRED:
    case HC__K_PROPS:
    case HC__K_PROPERTY_NAMES:
    case HC__K_DEP_SCHEMAS:
    case HC__K_UNEVAL_PROPS: return 1u << HC__B_OBJECT;
    default: return (1u << HC__NBUCKETS) - 1;
    }
}

/* Keywords that only look at the instance itself. */
static bool kw_is_leaf(const hc__kw *k)
{
    switch (k->kind) {
    case HC__K_CONTAINS:
    case HC__K_PROPS:
    case HC__K_PROPERTY_NAMES:
    case HC__K_DEP_SCHEMAS:
    case HC__K_ITEMS:
    case HC__K_ALL_OF:
    case HC__K_ANY_OF:
    case HC__K_ONE_OF:
    case HC__K_NOT:
    case HC__K_IF:
    case HC__K_REF:
    case HC__K_DYNAMIC_REF:
    case HC__K_UNEVAL_PROPS:
    case HC__K_UNEVAL_ITEMS: return false;
    default: return !(k->kind == HC__K_REQUIRED && k->u.names.folded);
    }
}

/* The object bucket is "properties" and a "required" it checks, on a
 * node with nothing else to do (sets n->props). */
static bool only_props(hc__node *n)
{
    const hc__props *p = NULL;
    if (n->flags)
        return false;
    for (uint32_t i = n->boff[HC__B_OBJECT]; i < n->boff[HC__B_OBJECT + 1];
         i++) {
        const hc__kw *k = n->bkw[i];
        if (k->kind == HC__K_PROPS && !p)
            p = &k->u.props;
        else if (!(k->kind == HC__K_REQUIRED && k->u.names.folded))
            return false;
    }
    n->props = p;
    return p != NULL;
}

/* Fills n->bkw / n->boff / n->leaf / n->act from n->kw. */
static bool bucket_keywords(hc__comp *c, hc__node *n)
{
    size_t total = 0, o = 0;
    for (uint32_t i = 0; i < n->nkw; i++)
        total += (size_t)__builtin_popcount(kw_buckets(n->kw[i].kind));
    n->bkw = hc__arena_alloc(&c->s->arena, (total + 1) * sizeof *n->bkw);
    if (!n->bkw)
        return hc__schema_oom(c), false;
    for (int b = 0; b < HC__NBUCKETS; b++) {
        bool leaf = true;
        n->boff[b] = (uint32_t)o;
        for (uint32_t i = 0; i < n->nkw; i++)
            if (kw_buckets(n->kw[i].kind) & (1u << b)) {
                n->bkw[o++] = &n->kw[i];
                leaf = leaf && kw_is_leaf(&n->kw[i]);
            }
        if (leaf && o > n->boff[b])
            n->leaf |= 1u << b;
    }
    n->boff[HC__NBUCKETS] = (uint32_t)o;
    for (int t = 0; t < 8; t++) {
        static const int bucket[8] = {
            [JSON_OBJECT] = HC__B_OBJECT, [JSON_ARRAY] = HC__B_ARRAY,
            [JSON_STRING] = HC__B_STRING, [JSON_INTEGER] = HC__B_NUMBER,
            [JSON_REAL] = HC__B_NUMBER,   [JSON_TRUE] = HC__B_BOOLEAN,
            [JSON_FALSE] = HC__B_BOOLEAN, [JSON_NULL] = HC__B_NULL};
        static const unsigned tbit[8] = {
            [JSON_OBJECT] = HC__T_OBJECT,
            [JSON_ARRAY] = HC__T_ARRAY,
            [JSON_STRING] = HC__T_STRING,
            [JSON_INTEGER] = HC__T_INTEGER | HC__T_NUMBER,
            [JSON_REAL] = HC__T_NUMBER,
            [JSON_TRUE] = HC__T_BOOLEAN,
            [JSON_FALSE] = HC__T_BOOLEAN,
            [JSON_NULL] = HC__T_NULL};
        int b = bucket[t];
        if (t > JSON_NULL)
            n->act[t] = HC__ACT_GENERIC;
        else if (n->types && !(n->types & tbit[t]))
            n->act[t] = t == JSON_REAL && (n->types & HC__T_INTEGER)
                            ? HC__ACT_GENERIC
                            : HC__ACT_TYPE;
        else if (n->nkw == 0)
            n->act[t] = (n->flags & HC__N_FALSE) ? HC__ACT_FALSE : HC__ACT_TRUE;
        else if (n->boff[b] == n->boff[b + 1])
            n->act[t] = HC__ACT_PASS;
        else if (t == JSON_STRING && n->boff[b + 1] - n->boff[b] == 1 &&
                 n->bkw[n->boff[b]]->kind == HC__K_PATTERN &&
                 n->bkw[n->boff[b]]->u.re.dfa) {
            n->act[t] = HC__ACT_DFA_STR;
            n->str_dfa = &n->bkw[n->boff[b]]->u.re;
        } else if ((n->leaf >> b) & 1)
            n->act[t] = t == JSON_STRING ? HC__ACT_LEAF_STR : HC__ACT_LEAF;
        else if (b == HC__B_OBJECT && only_props(n))
            n->act[t] = HC__ACT_PROPS;
        else
            n->act[t] = HC__ACT_NODE;
    }
    return true;
}

/* Keywords of the validation vocabulary, which a meta-schema's
 * $vocabulary may leave out. */
static bool validation_keyword(const char *key)
{
    static const char *const names[] = {"type",
                                        "enum",
                                        "const",
                                        "multipleOf",
                                        "maximum",
                                        "exclusiveMaximum",
                                        "minimum",
                                        "exclusiveMinimum",
                                        "maxLength",
                                        "minLength",
                                        "pattern",
                                        "maxItems",
                                        "minItems",
                                        "uniqueItems",
                                        "maxContains",
                                        "minContains",
                                        "maxProperties",
                                        "minProperties",
                                        "required",
                                        "dependentRequired",
                                        NULL};
    for (int i = 0; names[i]; i++)
        if (!strcmp(key, names[i]))
            return true;
    return false;
}

/* draft-04 to -07 "dependencies": property -> required names (as
 * dependentRequired) or -> a schema (as dependentSchemas). Appends up to
 * two keywords at kws[*nk]. */
static bool compile_dependencies(hc__comp *c, hc__node *n, const json_t *v,
                                 hc__kw *kws, size_t *nk)
{
    hc__kw *req = &kws[*nk], *sch = &kws[*nk + 1];
    const char *dk;
    size_t dkl, nr = 0, ns = 0;
    json_t *dv;
    if (!json_is_object(v)) {
        hc__schema_cerr(c, n, "dependencies", NULL,
                        "dependencies must be an object of schemas or arrays "
                        "of property names");
        return false;
    }
    memset(sch, 0, sizeof *sch);
    req->kind = HC__K_DEP_REQUIRED;
    req->name = "dependencies";
    sch->kind = HC__K_DEP_SCHEMAS;
    sch->name = "dependencies";
    req->u.dep_req.v = hc__arena_alloc(&c->s->arena, (json_object_size(v) + 1) *
                                                         sizeof(hc__dep_req));
    sch->u.dep_schemas.v = hc__arena_alloc(
        &c->s->arena, (json_object_size(v) + 1) * sizeof(hc__dep_schema));
    if (!req->u.dep_req.v || !sch->u.dep_schemas.v)
        return hc__schema_oom(c), false;
    json_object_keylen_foreach((json_t *)v, dk, dkl, dv)
    {
        if (json_is_array(dv)) {
            hc__dep_req *dr = &req->u.dep_req.v[nr++];
            dr->prop.s = dk;
            dr->prop.len = dkl;
            if (!get_names(c, n, "dependencies", dk, dv, &dr->req, &dr->nreq))
                return false;
        } else {
            hc__dep_schema *ds = &sch->u.dep_schemas.v[ns++];
            ds->prop.s = dk;
            ds->prop.len = dkl;
            if (!(ds->node = child_node(c, n, dv)))
                return false;
        }
    }
    req->u.dep_req.n = nr;
    sch->u.dep_schemas.n = ns;
    if (nr && ns)
        *nk += 2;
    else if (nr)
        *nk += 1;
    else if (ns) {
        *req = *sch;
        *nk += 1;
    }
    return true;
}

/* 2019-09 "$recursiveRef": "#" resolved statically, then, when that target
 * has "$recursiveAnchor": true, the outermost resource of the dynamic scope
 * with one too (a dynamic reference to HC__RECURSIVE_ANCHOR). */
static bool compile_recursive_ref(hc__comp *c, hc__node *n, const json_t *v,
                                  hc__kw *k)
{
    if (!json_is_string(v)) {
        hc__schema_cerr(c, n, "$recursiveRef", NULL,
                        "$recursiveRef must be a string (\"#\")");
        return false;
    }
    k->u.ref.node =
        hc__ref_resolve(c, n, "$recursiveRef", json_string_value(v), NULL);
    if (!k->u.ref.node)
        return false;
    hc__schema_enqueue(c, k->u.ref.node);
    if (json_is_object(k->u.ref.node->json) &&
        json_is_true(
            json_object_get(k->u.ref.node->json, "$recursiveAnchor"))) {
        k->u.ref.dynamic = HC__RECURSIVE_ANCHOR;
        c->s->has_dynamic = true;
    }
    return true;
}

void hc__compile_node(hc__comp *c, hc__node *n)
{
    const json_t *j = n->json;
    const char *key;
    json_t *v;
    hc__kw *kws;
    size_t nk = 0;
    bool did_props = false, did_items = false, did_contains = false,
         did_if = false;
    const int draft = n->res->draft;
    /* up to draft-07, "$ref" makes its siblings be ignored */
    const bool ref_only =
        draft <= 7 && json_is_object(j) && json_object_get(j, "$ref");

    if (json_is_boolean(j)) {
        if (json_is_false(j))
            n->flags |= HC__N_FALSE;
        if (!bucket_keywords(c, n))
            c->failed = true;
        return;
    }
    /* draft-07's "dependencies" may make two keywords */
    kws = hc__arena_alloc(&c->s->arena,
                          (2 * json_object_size(j) + 1) * sizeof *kws);
    if (!kws)
        return hc__schema_oom(c);

    json_object_foreach((json_t *)j, key, v)
    {
        hc__kw *k = &kws[nk];
        bool ok = true, add = true;
        memset(k, 0, sizeof *k);
        k->name = key;
        if ((ref_only && strcmp(key, "$ref")) ||
            (n->res->no_validation && validation_keyword(key)))
            continue;
        if (!strcmp(key, "type")) {
            ok = compile_type(c, n, v, k);
        } else if (!strcmp(key, "enum")) {
            k->kind = HC__K_ENUM;
            k->u.en.value = v;
            if (!json_is_array(v)) {
                hc__schema_cerr(c, n, key, NULL, "enum must be an array");
                ok = false;
            } else {
                size_t cnt = json_array_size(v), i;
                for (i = 0; i < cnt; i++)
                    if (!json_is_string(json_array_get(v, i)))
                        break;
                if (i == cnt && cnt > 0) {
                    k->u.en.strs = hc__arena_alloc(&c->s->arena,
                                                   cnt * sizeof *k->u.en.strs);
                    if (!k->u.en.strs) {
                        hc__schema_oom(c);
                        goto fail;
                    }
                    for (i = 0; i < cnt; i++) {
                        k->u.en.strs[i].s =
                            json_string_value(json_array_get(v, i));
                        k->u.en.strs[i].len =
                            json_string_length(json_array_get(v, i));
                    }
                    k->u.en.nstrs = cnt;
                }
            }
        } else if (!strcmp(key, "const")) {
            k->kind = HC__K_CONST;
            k->u.en.value = v;
            if (json_is_string(v)) { /* compared as bytes to strings */
                k->u.en.strs =
                    hc__arena_alloc(&c->s->arena, sizeof *k->u.en.strs);
                if (!k->u.en.strs) {
                    hc__schema_oom(c);
                    goto fail;
                }
                k->u.en.strs->s = json_string_value(v);
                k->u.en.strs->len = json_string_length(v);
                k->u.en.nstrs = 1;
            }
        } else if (!strcmp(key, "multipleOf")) {
            k->kind = HC__K_MULTIPLE_OF;
            ok = get_num(c, n, key, v, &k->u.num);
            if (ok && !(k->u.num.d > 0)) {
                hc__schema_cerr(c, n, key, NULL,
                                "multipleOf must be greater than 0");
                ok = false;
            }
        } else if (draft == 4 && (!strcmp(key, "exclusiveMaximum") ||
                                  !strcmp(key, "exclusiveMinimum"))) {
            /* draft-04: a boolean that makes maximum / minimum exclusive */
            add = false;
            if (!json_is_boolean(v)) {
                hc__schema_cerr(c, n, key, NULL,
                                "%s must be a boolean in draft-04", key);
                ok = false;
            }
        } else if (!strcmp(key, "maximum")) {
            k->kind = draft == 4 && json_is_true(
                                        json_object_get(j, "exclusiveMaximum"))
                          ? HC__K_EXCL_MAXIMUM
                          : HC__K_MAXIMUM;
            ok = get_num(c, n, key, v, &k->u.num);
        } else if (!strcmp(key, "exclusiveMaximum")) {
            k->kind = HC__K_EXCL_MAXIMUM;
            ok = get_num(c, n, key, v, &k->u.num);
        } else if (!strcmp(key, "minimum")) {
            k->kind = draft == 4 && json_is_true(
                                        json_object_get(j, "exclusiveMinimum"))
                          ? HC__K_EXCL_MINIMUM
                          : HC__K_MINIMUM;
            ok = get_num(c, n, key, v, &k->u.num);
        } else if (!strcmp(key, "exclusiveMinimum")) {
            k->kind = HC__K_EXCL_MINIMUM;
            ok = get_num(c, n, key, v, &k->u.num);
        } else if (!strcmp(key, "maxLength")) {
            k->kind = HC__K_MAX_LENGTH;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "minLength")) {
            k->kind = HC__K_MIN_LENGTH;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "maxItems")) {
            k->kind = HC__K_MAX_ITEMS;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "minItems")) {
            k->kind = HC__K_MIN_ITEMS;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "maxProperties")) {
            k->kind = HC__K_MAX_PROPS;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "minProperties")) {
            k->kind = HC__K_MIN_PROPS;
            ok = get_count(c, n, key, v, &k->u.count);
        } else if (!strcmp(key, "pattern")) {
            k->kind = HC__K_PATTERN;
            if (!json_is_string(v)) {
                hc__schema_cerr(c, n, key, NULL, "pattern must be a string");
                ok = false;
            } else {
                ok = compile_regex(c, n, key, NULL, json_string_value(v),
                                   json_string_length(v), &k->u.re, false);
            }
        } else if (!strcmp(key, "format")) {
            k->kind = HC__K_FORMAT;
            if (!json_is_string(v)) {
                hc__schema_cerr(c, n, key, NULL, "format must be a string");
                ok = false;
            } else {
                k->u.format = hc__format_lookup(json_string_value(v));
                /* an annotation unless asked to assert a known format */
                add = c->o->format_assert && k->u.format != HC__FMT_UNKNOWN;
            }
        } else if (!strcmp(key, "uniqueItems")) {
            k->kind = HC__K_UNIQUE_ITEMS;
            if (!json_is_boolean(v)) {
                hc__schema_cerr(c, n, key, NULL,
                                "uniqueItems must be a boolean");
                ok = false;
            }
            add = json_is_true(v);
        } else if (!strcmp(key, "required")) {
            k->kind = HC__K_REQUIRED;
            ok = get_names(c, n, key, NULL, v, &k->u.names.v, &k->u.names.n);
            add = ok && k->u.names.n > 0;
        } else if (!strcmp(key, "dependencies") && draft <= 7) {
            ok = compile_dependencies(c, n, v, kws, &nk);
            add = false;
        } else if (!strcmp(key, "dependentRequired") && draft >= 2019) {
            const char *dk;
            size_t dkl, i = 0;
            json_t *dv;
            k->kind = HC__K_DEP_REQUIRED;
            if (!json_is_object(v)) {
                hc__schema_cerr(
                    c, n, key, NULL,
                    "dependentRequired must be an object of arrays of "
                    "property names");
                ok = false;
            } else {
                k->u.dep_req.n = json_object_size(v);
                k->u.dep_req.v = hc__arena_alloc(
                    &c->s->arena, (k->u.dep_req.n + 1) * sizeof(hc__dep_req));
                if (!k->u.dep_req.v) {
                    hc__schema_oom(c);
                    goto fail;
                }
                json_object_keylen_foreach(v, dk, dkl, dv)
                {
                    hc__dep_req *d = &k->u.dep_req.v[i++];
                    d->prop.s = dk;
                    d->prop.len = dkl;
                    if (!get_names(c, n, key, dk, dv, &d->req, &d->nreq)) {
                        ok = false;
                        break;
                    }
                }
            }
        } else if (!strcmp(key, "properties") ||
                   !strcmp(key, "patternProperties") ||
                   !strcmp(key, "additionalProperties")) {
            if (did_props)
                add = false;
            else
                ok = compile_props(c, n, k);
            did_props = true;
        } else if (!strcmp(key, "propertyNames")) {
            k->kind = HC__K_PROPERTY_NAMES;
            ok = (k->u.node = child_node(c, n, v)) != NULL;
        } else if (!strcmp(key, "dependentSchemas") && draft >= 2019) {
            const char *dk;
            size_t dkl, i = 0;
            json_t *dv;
            k->kind = HC__K_DEP_SCHEMAS;
            k->u.dep_schemas.n = json_object_size(v);
            k->u.dep_schemas.v =
                hc__arena_alloc(&c->s->arena, (k->u.dep_schemas.n + 1) *
                                                  sizeof(hc__dep_schema));
            if (!k->u.dep_schemas.v) {
                hc__schema_oom(c);
                goto fail;
            }
            json_object_keylen_foreach(v, dk, dkl, dv)
            {
                hc__dep_schema *d = &k->u.dep_schemas.v[i++];
                d->prop.s = dk;
                d->prop.len = dkl;
                if (!(d->node = child_node(c, n, dv))) {
                    ok = false;
                    break;
                }
            }
        } else if ((!strcmp(key, "prefixItems") && draft >= 2020) ||
                   !strcmp(key, "items") ||
                   (!strcmp(key, "additionalItems") && draft <= 2019)) {
            const json_t *pre = json_object_get(j, "prefixItems");
            const json_t *it = json_object_get(j, "items");
            if (draft <= 2019) {
                /* the tuple is "items", the rest "additionalItems" */
                pre = json_is_array(it) ? it : NULL;
                it = pre ? json_object_get(j, "additionalItems") : it;
            }
            if (did_items || (!pre && !it)) {
                add = false;
            } else {
                k->kind = HC__K_ITEMS;
                k->name = pre && draft >= 2020 ? "prefixItems" : "items";
                if (pre) {
                    hc__kw tmp;
                    ok = compile_list(c, n, pre, &tmp);
                    k->u.items.prefix = tmp.u.list.v;
                    k->u.items.nprefix = tmp.u.list.n;
                }
                if (ok && it)
                    ok = (k->u.items.items = child_node(c, n, it)) != NULL;
            }
            did_items = true;
        } else if (!strcmp(key, "contains") || !strcmp(key, "minContains") ||
                   !strcmp(key, "maxContains")) {
            const json_t *cs = json_object_get(j, "contains");
            const json_t *mn = json_object_get(j, "minContains");
            const json_t *mx = json_object_get(j, "maxContains");
            if (did_contains || !cs) {
                add = false;
                /* without contains they are ignored, but must be valid */
                if (!cs && !did_contains) {
                    size_t dummy;
                    ok = (!mn || get_count(c, n, "minContains", mn, &dummy)) &&
                         (!mx || get_count(c, n, "maxContains", mx, &dummy));
                }
            } else {
                k->kind = HC__K_CONTAINS;
                k->name = "contains";
                k->u.contains.min = 1;
                k->u.contains.max = SIZE_MAX;
                ok = (k->u.contains.node = child_node(c, n, cs)) != NULL;
                if (ok && mn) {
                    ok = get_count(c, n, "minContains", mn, &k->u.contains.min);
                    k->u.contains.has_min = true;
                }
                if (ok && mx) {
                    ok = get_count(c, n, "maxContains", mx, &k->u.contains.max);
                    k->u.contains.has_max = true;
                }
            }
            did_contains = true;
        } else if (!strcmp(key, "allOf") || !strcmp(key, "anyOf") ||
                   !strcmp(key, "oneOf")) {
            k->kind = key[0] == 'a'
                          ? (key[1] == 'l' ? HC__K_ALL_OF : HC__K_ANY_OF)
                          : HC__K_ONE_OF;
            ok = compile_list(c, n, v, k);
        } else if (!strcmp(key, "not")) {
            k->kind = HC__K_NOT;
            ok = (k->u.node = child_node(c, n, v)) != NULL;
        } else if (!strcmp(key, "if") || !strcmp(key, "then") ||
                   !strcmp(key, "else")) {
            const json_t *ifs = json_object_get(j, "if");
            const json_t *th = json_object_get(j, "then");
            const json_t *el = json_object_get(j, "else");
            if (did_if || !ifs) {
                add = false; /* then/else without if do nothing */
            } else {
                k->kind = HC__K_IF;
                k->name = "if";
                ok = (k->u.cond.if_ = child_node(c, n, ifs)) != NULL;
                if (ok && th)
                    ok = (k->u.cond.then_ = child_node(c, n, th)) != NULL;
                if (ok && el)
                    ok = (k->u.cond.else_ = child_node(c, n, el)) != NULL;
            }
            did_if = true;
        } else if (!strcmp(key, "$recursiveRef") && draft == 2019) {
            k->kind = HC__K_DYNAMIC_REF;
            ok = compile_recursive_ref(c, n, v, k);
        } else if (!strcmp(key, "$ref") ||
                   (!strcmp(key, "$dynamicRef") && draft >= 2020)) {
            bool dynamic = key[1] == 'd';
            k->kind = dynamic ? HC__K_DYNAMIC_REF : HC__K_REF;
            if (!json_is_string(v)) {
                hc__schema_cerr(c, n, key, NULL,
                                "%s must be a string (a URI reference)", key);
                ok = false;
            } else {
                k->u.ref.node =
                    hc__ref_resolve(c, n, key, json_string_value(v),
                                    dynamic ? &k->u.ref.dynamic : NULL);
                ok = k->u.ref.node != NULL;
                if (ok)
                    hc__schema_enqueue(c, k->u.ref.node);
                if (ok && k->u.ref.dynamic)
                    c->s->has_dynamic = true;
            }
        } else if ((!strcmp(key, "unevaluatedProperties") ||
                    !strcmp(key, "unevaluatedItems")) &&
                   draft >= 2019) {
            k->kind = key[11] == 'P' ? HC__K_UNEVAL_PROPS : HC__K_UNEVAL_ITEMS;
            ok = (k->u.node = child_node(c, n, v)) != NULL;
            n->flags |= HC__N_UNEVAL;
        } else {
            add = false; /* annotations, $defs, $id, unknown keywords */
        }
        if (!ok || c->failed) {
            c->failed = true;
            goto fail;
        }
        if (add) {
            if (k->kind == HC__K_PROPS && k->u.props.has_defaults)
                n->flags |= HC__N_DEFAULTS;
            nk++;
        }
    }
    /* type first (cheapest, and the clearest first error), unevaluated*
     * last (they need every other keyword's annotations); otherwise the
     * order of the schema. Insertion sort keeps it stable. */
    for (size_t i = 1; i < nk; i++) {
        hc__kw t = kws[i];
        size_t k = i;
        while (k > 0 && kw_order(&kws[k - 1]) > kw_order(&t)) {
            kws[k] = kws[k - 1];
            k--;
        }
        kws[k] = t;
    }
    /* "type" leaves the array: a mask test on entry, no dispatch */
    if (nk && kws[0].kind == HC__K_TYPE) {
        n->types = kws[0].u.types;
        memmove(kws, kws + 1, (nk - 1) * sizeof *kws);
        nk--;
    }
    n->kw = kws;
    n->nkw = (uint32_t)nk;
    fold_required(kws, nk);
    if (!bucket_keywords(c, n))
        c->failed = true;
    track_patterns(c, kws, nk);
    return;
fail:
    /* the keyword that failed may hold a compiled pattern too */
    track_patterns(c, kws, nk + 1);
}

static int child_hops(const hc__node *n)
{
    return n && n->alias ? n->hops : 0;
}

void hc__loop_hops(hc__node *n)
{
    for (uint32_t i = 0; i < n->nkw; i++) {
        hc__kw *k = &n->kw[i];
        int h = 0;
        if (k->kind == HC__K_PROPS) {
            hc__props *p = &k->u.props;
            h = child_hops(p->additional);
            for (size_t j = 0; j < p->n; j++) {
                hc__prop *pr = &p->v[j];
                if (child_hops(pr->node) > h)
                    h = child_hops(pr->node);
                pr->qnode = pr->node->alias ? pr->node->target : pr->node;
                pr->qhops = child_hops(pr->node);
            }
            for (size_t j = 0; j < p->npat; j++)
                if (child_hops(p->pat[j].node) > h)
                    h = child_hops(p->pat[j].node);
            p->max_hops = h;
            p->lookup_over = !p->npat && !p->additional ? 2 * p->n : SIZE_MAX;
            p->jph_loop = p->jph && !p->npat;
        } else if (k->kind == HC__K_ITEMS) {
            h = child_hops(k->u.items.items);
            for (size_t j = 0; j < k->u.items.nprefix; j++)
                if (child_hops(k->u.items.prefix[j]) > h)
                    h = child_hops(k->u.items.prefix[j]);
            k->u.items.max_hops = h;
        }
    }
}
