/*
 * dfa.c - patterns of the common simple subset (ASCII literals and
 * classes, groups, alternation, quantifiers, "^" first and "$" last) built
 * into a byte DFA at compile time, so matching is one table step per byte
 * instead of a call into PCRE2. Thompson NFA from the parse tree, then
 * subset construction over byte classes. Whatever is outside the subset,
 * or whose automaton would be big, stays with PCRE2. So does a repeated
 * group with variable-length content ("^(a+)+$"): PCRE2 gives up on those
 * under its limits, and the validator reports that rather than a verdict.
 */
#include "schema_internal.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define MAX_AST  1024
#define MAX_NFA  4096
#define MAX_EDGE 8192
#define MAX_DFA  1024
#define REP_INF  UINT32_MAX
/* NFA state visits allowed for building one DFA (some milliseconds): a
 * hostile pattern must not make compiling slow */
#define MAX_WORK 4000000L
/* entries (2 bytes each) a DFA may use for its multi-byte columns */
#define MAX_MULTI_TABLE 8192

/* ---- parse tree ----------------------------------------------------------
 */

enum { A_EMPTY, A_SET, A_CAT, A_ALT, A_REP };

typedef struct ast {
    int kind;
    int a, b; /* children (CAT, ALT: both; REP: a) */
    uint32_t min, max;
    uint64_t set[2]; /* ASCII bytes */
    bool nonascii;   /* also any non-ASCII character */
    bool variable;   /* the subtree can match strings of several lengths */
} ast;

typedef struct parser {
    const char *p, *end;
    ast *t;
    int n;
    int depth;   /* of groups */
    bool top_or; /* "|" outside any group */
    bool dot_ok; /* "." excludes exactly "\n" (PCRE2's newline is LF) */
    bool fail;
} parser;

static int node(parser *ps, int kind)
{
    ast *a;
    if (ps->n == MAX_AST) {
        ps->fail = true;
        return 0;
    }
    a = &ps->t[ps->n];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    return ps->n++;
}

static void add(uint64_t set[2], unsigned c)
{
    set[c >> 6] |= (uint64_t)1 << (c & 63);
}

static void add_range(uint64_t set[2], unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        add(set, c);
}

/* \d \w \s and their negations: the ASCII meaning (no PCRE2_UCP). */
static bool class_escape(char e, uint64_t set[2], bool *nonascii)
{
    uint64_t s[2] = {0, 0};
    switch (e | 0x20) {
    case 'd': add_range(s, '0', '9'); break;
    case 'w':
        add_range(s, '0', '9');
        add_range(s, 'A', 'Z');
        add_range(s, 'a', 'z');
        add(s, '_');
        break;
    case 's':
        add_range(s, '\t', '\r'); /* \t \n \v \f \r */
        add(s, ' ');
        break;
    default: return false;
    }
    if (e >= 'A' && e <= 'Z') {
        s[0] = ~s[0];
        s[1] = ~s[1];
        *nonascii = true;
    }
    set[0] |= s[0];
    set[1] |= s[1];
    return true;
}

/* A single character escape: control letters and escaped punctuation. */
static int char_escape(char e)
{
    switch (e) {
    case 't': return '\t';
    case 'n': return '\n';
    case 'r': return '\r';
    case 'f': return '\f';
    default: break;
    }
    if ((unsigned char)e < 0x80 && e > ' ' && !(e >= '0' && e <= '9') &&
        !((e | 0x20) >= 'a' && (e | 0x20) <= 'z'))
        return (unsigned char)e;
    return -1;
}

static void parse_class(parser *ps, ast *a)
{
    const char *p = ps->p + 1; /* after '[' */
    bool negate = false;
    if (p < ps->end && *p == '^') {
        negate = true;
        p++;
    }
    if (p < ps->end && *p == ']') { /* PCRE2 reads a leading ']' as literal */
        ps->fail = true;
        return;
    }
    while (p < ps->end && *p != ']') {
        int lo;
        if (*p == '\\') {
            if (p + 1 >= ps->end)
                break;
            if (class_escape(p[1], a->set, &a->nonascii)) {
                p += 2;
                continue;
            }
            if ((lo = char_escape(p[1])) < 0)
                break;
            p += 2;
        } else {
            if ((unsigned char)*p >= 0x80 || *p == '[')
                break;
            lo = (unsigned char)*p++;
        }
        if (p + 1 < ps->end && *p == '-' && p[1] != ']') {
            int hi = (unsigned char)p[1];
            if (hi >= 0x80 || hi == '\\' || hi == '[' || hi < lo)
                break;
            add_range(a->set, (unsigned)lo, (unsigned)hi);
            p += 2;
        } else {
            add(a->set, (unsigned)lo);
        }
    }
    if (p >= ps->end || *p != ']') {
        ps->fail = true;
        return;
    }
    if (negate) {
        a->set[0] = ~a->set[0];
        a->set[1] = ~a->set[1];
        a->nonascii = !a->nonascii;
    }
    ps->p = p + 1;
}

static bool parse_count(parser *ps, uint32_t *out)
{
    unsigned long v = 0;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return false;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        v = v * 10 + (unsigned long)(*ps->p++ - '0');
        if (v > 1000)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

static int parse_alt(parser *ps);

static int parse_atom(parser *ps)
{
    char ch = *ps->p;
    int i;
    if (ch == '(') {
        ps->p++;
        if (ps->end - ps->p >= 2 && ps->p[0] == '?') {
            if (ps->p[1] != ':') {
                ps->fail = true; /* lookaround, named group, flags */
                return 0;
            }
            ps->p += 2;
        }
        ps->depth++;
        i = parse_alt(ps);
        ps->depth--;
        if (ps->p >= ps->end || *ps->p != ')')
            ps->fail = true;
        else
            ps->p++;
        return i;
    }
    i = node(ps, A_SET);
    if (ps->fail)
        return 0;
    if (ch == '[') {
        parse_class(ps, &ps->t[i]);
    } else if (ch == '.') {
        if (!ps->dot_ok)
            ps->fail = true;
        ps->t[i].set[0] = ~(uint64_t)0 & ~((uint64_t)1 << '\n');
        ps->t[i].set[1] = ~(uint64_t)0;
        ps->t[i].nonascii = true;
        ps->p++;
    } else if (ch == '\\') {
        int c;
        if (ps->p + 1 >= ps->end) {
            ps->fail = true;
        } else if (class_escape(ps->p[1], ps->t[i].set, &ps->t[i].nonascii)) {
            ps->p += 2;
        } else if ((c = char_escape(ps->p[1])) >= 0) {
            add(ps->t[i].set, (unsigned)c);
            ps->p += 2;
        } else {
            ps->fail = true; /* \b, \1, \u..., \p{...}, ... */
        }
    } else if ((unsigned char)ch < 0x80 && !strchr("^$|)*+?{}]", ch)) {
        add(ps->t[i].set, (unsigned char)ch);
        ps->p++;
    } else {
        ps->fail = true;
    }
    return i;
}

static int parse_repeat(parser *ps)
{
    int atom = parse_atom(ps), r;
    uint32_t min, max;
    char q;
    if (ps->fail || ps->p >= ps->end)
        return atom;
    q = *ps->p;
    if (q == '*' || q == '+' || q == '?') {
        min = q == '+';
        max = q == '?' ? 1 : REP_INF;
        ps->p++;
    } else if (q == '{') {
        ps->p++;
        if (!parse_count(ps, &min)) {
            ps->fail = true; /* PCRE2 would read a literal "{" */
            return atom;
        }
        max = min;
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            max = REP_INF;
            if (ps->p < ps->end && *ps->p != '}' && !parse_count(ps, &max))
                ps->fail = true;
        }
        if (ps->fail || ps->p >= ps->end || *ps->p != '}' || max < min) {
            ps->fail = true;
            return atom;
        }
        ps->p++;
    } else {
        return atom;
    }
    /* lazy is the same language; possessive is not */
    if (ps->p < ps->end && *ps->p == '?')
        ps->p++;
    else if (ps->p < ps->end && *ps->p == '+')
        ps->fail = true;
    if (ps->p < ps->end && strchr("*+?{", *ps->p))
        ps->fail = true;
    /* a repeated group with variable content backtracks exponentially in
     * PCRE2, which then reports a limit error: keep that behaviour */
    if (max > 1 && ps->t[atom].variable)
        ps->fail = true;
    r = node(ps, A_REP);
    if (ps->fail)
        return 0;
    ps->t[r].a = atom;
    ps->t[r].min = min;
    ps->t[r].max = max;
    ps->t[r].variable = min != max || ps->t[atom].variable;
    return r;
}

static int parse_cat(parser *ps)
{
    int left = -1;
    while (!ps->fail && ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
        int r = parse_repeat(ps), c;
        if (ps->fail)
            return 0;
        if (left < 0) {
            left = r;
            continue;
        }
        c = node(ps, A_CAT);
        if (ps->fail)
            return 0;
        ps->t[c].a = left;
        ps->t[c].b = r;
        ps->t[c].variable = ps->t[left].variable || ps->t[r].variable;
        left = c;
    }
    return left < 0 ? node(ps, A_EMPTY) : left;
}

static int parse_alt(parser *ps)
{
    int left = parse_cat(ps);
    while (!ps->fail && ps->p < ps->end && *ps->p == '|') {
        int right, a;
        if (ps->depth == 0)
            ps->top_or = true;
        ps->p++;
        right = parse_cat(ps);
        a = node(ps, A_ALT);
        if (ps->fail)
            return 0;
        ps->t[a].a = left;
        ps->t[a].b = right;
        ps->t[a].variable = true;
        left = a;
    }
    return left;
}

/* ---- NFA -----------------------------------------------------------------
 */

typedef struct edge {
    int from, to;
    int set; /* index into sets, -1: epsilon */
} edge;

typedef struct nfa {
    int nstates;
    edge *e;
    int ne;
    uint64_t (*sets)[4]; /* byte sets of the labelled edges */
    int nsets;
    bool fail;
} nfa;

static int nstate(nfa *m)
{
    if (m->nstates == MAX_NFA) {
        m->fail = true;
        return 0;
    }
    return m->nstates++;
}

static void nedge(nfa *m, int from, int to, const uint64_t set[4])
{
    if (m->ne == MAX_EDGE) {
        m->fail = true;
        return;
    }
    m->e[m->ne].from = from;
    m->e[m->ne].to = to;
    m->e[m->ne].set = -1;
    if (set) {
        memcpy(m->sets[m->nsets], set, sizeof m->sets[0]);
        m->e[m->ne].set = m->nsets++;
    }
    m->ne++;
}

static void byte_range(uint64_t set[4], unsigned lo, unsigned hi)
{
    memset(set, 0, 4 * sizeof *set);
    for (unsigned c = lo; c <= hi; c++)
        set[c >> 6] |= (uint64_t)1 << (c & 63);
}

/* Adds the fragment for tree node i from state in; returns its exit. */
static int build(nfa *m, const ast *t, int i, int in)
{
    const ast *a = &t[i];
    int out;
    if (m->fail)
        return 0;
    switch (a->kind) {
    case A_EMPTY: return in;
    case A_SET: {
        uint64_t set[4] = {a->set[0], a->set[1], 0, 0};
        out = nstate(m);
        nedge(m, in, out, set);
        if (a->nonascii) {
            /* the input is valid UTF-8: a lead byte says how many
             * continuation bytes follow */
            int c1 = nstate(m), c2 = nstate(m), c3 = nstate(m);
            uint64_t r[4];
            byte_range(r, 0xC0, 0xDF);
            nedge(m, in, c1, r);
            byte_range(r, 0xE0, 0xEF);
            nedge(m, in, c2, r);
            byte_range(r, 0xF0, 0xF7);
            nedge(m, in, c3, r);
            byte_range(r, 0x80, 0xBF);
            nedge(m, c3, c2, r);
            nedge(m, c2, c1, r);
            nedge(m, c1, out, r);
        }
        return out;
    }
    case A_CAT: return build(m, t, a->b, build(m, t, a->a, in));
    case A_ALT: {
        int l = build(m, t, a->a, in), r = build(m, t, a->b, in);
        out = nstate(m);
        nedge(m, l, out, NULL);
        nedge(m, r, out, NULL);
        return out;
    }
    default: { /* A_REP */
        int cur = in;
        for (uint32_t k = 0; k < a->min && !m->fail; k++)
            cur = build(m, t, a->a, cur);
        if (a->max == REP_INF) {
            /* loop state: one more copy that returns to it */
            int loop = nstate(m), body;
            nedge(m, cur, loop, NULL);
            body = build(m, t, a->a, loop);
            nedge(m, body, loop, NULL);
            return loop;
        }
        out = nstate(m);
        for (uint32_t k = a->min; k < a->max && !m->fail; k++) {
            nedge(m, cur, out, NULL);
            cur = build(m, t, a->a, cur);
        }
        nedge(m, cur, out, NULL);
        return out;
    }
    }
}

/* ---- subset construction -------------------------------------------------
 */

typedef struct dstate {
    uint64_t *bits; /* NFA states */
    uint64_t hash;
} dstate;

typedef struct builder {
    const nfa *m;
    int *eps_head, *eps_next; /* epsilon edges by source state */
    int *lab_head, *lab_next; /* labelled edges by source state */
    size_t words;
    dstate *d;
    int nd;
    int *slots; /* hash index of d: i + 1, 0 empty */
    size_t mask;
    int *stack;
    long work; /* NFA state visits so far */
} builder;

static void closure(builder *b, uint64_t *set)
{
    int sp = 0;
    for (size_t w = 0; w < b->words; w++)
        for (uint64_t x = set[w]; x; x &= x - 1)
            b->stack[sp++] = (int)(w * 64 + (size_t)__builtin_ctzll(x));
    while (sp) {
        int s = b->stack[--sp];
        b->work++;
        for (int e = b->eps_head[s]; e >= 0; e = b->eps_next[e]) {
            int to = b->m->e[e].to;
            if (!((set[to / 64] >> (to % 64)) & 1)) {
                set[to / 64] |= (uint64_t)1 << (to % 64);
                b->stack[sp++] = to;
            }
        }
    }
}

/* The DFA state for set (taking ownership of it when new); -1: too many. */
static int intern(builder *b, uint64_t *set, bool *is_new)
{
    uint64_t h = XXH3_64bits(set, b->words * sizeof *set);
    size_t s = (size_t)h & b->mask;
    *is_new = false;
    while (b->slots[s]) {
        const dstate *d = &b->d[b->slots[s] - 1];
        if (d->hash == h && !memcmp(d->bits, set, b->words * sizeof *set))
            return b->slots[s] - 1;
        s = (s + 1) & b->mask;
    }
    if (b->nd == MAX_DFA)
        return -1;
    b->d[b->nd].bits = set;
    b->d[b->nd].hash = h;
    b->slots[s] = b->nd + 1;
    *is_new = true;
    return b->nd++;
}

static bool in_set(const uint64_t set[4], unsigned c)
{
    return (set[c >> 6] >> (c & 63)) & 1;
}

/*
 * DFA layout: state 0 is dead (no match possible), state 1 is "matched"
 * (only for patterns without "$": once matched, the rest of the input does
 * not matter); both absorb. The matcher stops on reaching either.
 */
static bool make_dfa(hc__regex *re, const nfa *m, int start, int accept,
                     bool anchored_start, bool anchored_end)
{
    builder b;
    uint8_t cls[256], rep[256];
    int ncls = 1;
    uint64_t *start_set = NULL;
    uint16_t *next = NULL;
    uint8_t *acc = NULL;
    int *todo = NULL, ntodo = 0;
    bool ok = false;

    memset(&b, 0, sizeof b);
    b.m = m;
    b.words = ((size_t)m->nstates + 63) / 64;
    /* byte classes: bytes no edge tells apart share a column */
    memset(cls, 0, sizeof cls);
    for (int s = 0; s < m->nsets; s++) {
        int remap[512];
        int n2 = 0;
        memset(remap, 0xff, sizeof remap); /* all -1 */
        for (unsigned c = 0; c < 256; c++) {
            int key = cls[c] * 2 + in_set(m->sets[s], c);
            if (remap[key] < 0)
                remap[key] = n2++;
            cls[c] = (uint8_t)remap[key];
        }
        ncls = n2;
    }
    for (unsigned c = 256; c-- > 0;)
        rep[cls[c]] = (uint8_t)c;

    b.eps_head = malloc((size_t)m->nstates * sizeof *b.eps_head);
    b.lab_head = malloc((size_t)m->nstates * sizeof *b.lab_head);
    b.eps_next = malloc((size_t)m->ne * sizeof *b.eps_next);
    b.lab_next = malloc((size_t)m->ne * sizeof *b.lab_next);
    b.stack = malloc((size_t)m->nstates * sizeof *b.stack);
    b.d = calloc(MAX_DFA, sizeof *b.d);
    b.mask = 2 * MAX_DFA - 1;
    b.slots = calloc(b.mask + 1, sizeof *b.slots);
    next = malloc((size_t)MAX_DFA * (size_t)ncls * sizeof *next);
    acc = calloc(MAX_DFA, 1);
    todo = malloc(MAX_DFA * sizeof *todo);
    start_set = calloc(b.words, sizeof *start_set);
    if (!b.eps_head || !b.lab_head || !b.eps_next || !b.lab_next || !b.stack ||
        !b.d || !b.slots || !next || !acc || !todo || !start_set)
        goto done;
    for (int s = 0; s < m->nstates; s++)
        b.eps_head[s] = b.lab_head[s] = -1;
    for (int e = m->ne; e-- > 0;) {
        int f = m->e[e].from;
        if (m->e[e].set < 0) {
            b.eps_next[e] = b.eps_head[f];
            b.eps_head[f] = e;
        } else {
            b.lab_next[e] = b.lab_head[f];
            b.lab_head[f] = e;
        }
    }
    start_set[start / 64] |= (uint64_t)1 << (start % 64);
    closure(&b, start_set);

    {
        /* state 0, dead, is the empty set; state 1, matched, is kept out
         * of the hash index: no set of NFA states stands for it */
        uint64_t *dead = calloc(b.words, sizeof *dead);
        bool fresh;
        if (!dead)
            goto done;
        intern(&b, dead, &fresh);
        b.nd = 2;
    }
    for (int c = 0; c < ncls; c++) {
        next[c] = 0;
        next[ncls + c] = 1;
    }
    acc[1] = 1;
    {
        uint64_t *s0 = malloc(b.words * sizeof *s0);
        bool fresh;
        int id;
        if (!s0)
            goto done;
        memcpy(s0, start_set, b.words * sizeof *s0);
        if (!anchored_end && ((s0[accept / 64] >> (accept % 64)) & 1)) {
            free(s0);
            re->dfa_start = 1;
        } else {
            id = intern(&b, s0, &fresh);
            if (!fresh)
                free(s0);
            re->dfa_start = (uint16_t)id;
            if (fresh)
                todo[ntodo++] = id;
        }
    }
    while (ntodo) {
        int id = todo[--ntodo];
        const uint64_t *cur = b.d[id].bits;
        acc[id] = (cur[accept / 64] >> (accept % 64)) & 1;
        for (int c = 0; c < ncls; c++) {
            uint64_t *t = calloc(b.words, sizeof *t);
            bool fresh, empty = true;
            int to;
            if (!t)
                goto done;
            for (size_t w = 0; w < b.words; w++)
                for (uint64_t x = cur[w]; x; x &= x - 1) {
                    int s = (int)(w * 64 + (size_t)__builtin_ctzll(x));
                    b.work++;
                    for (int e = b.lab_head[s]; e >= 0; e = b.lab_next[e])
                        if (in_set(m->sets[m->e[e].set], rep[c])) {
                            int dst = m->e[e].to;
                            t[dst / 64] |= (uint64_t)1 << (dst % 64);
                        }
                }
            closure(&b, t);
            if (b.work > MAX_WORK) {
                free(t);
                goto done;
            }
            if (!anchored_start)
                for (size_t w = 0; w < b.words; w++)
                    t[w] |= start_set[w];
            for (size_t w = 0; w < b.words && empty; w++)
                empty = t[w] == 0;
            if (!anchored_end && ((t[accept / 64] >> (accept % 64)) & 1)) {
                free(t);
                to = 1;
            } else if (empty) {
                free(t);
                to = 0;
            } else {
                to = intern(&b, t, &fresh);
                if (to < 0) {
                    free(t);
                    goto done;
                }
                if (!fresh)
                    free(t);
                else
                    todo[ntodo++] = to;
            }
            next[(size_t)id * (size_t)ncls + (size_t)c] = (uint16_t)to;
        }
    }
    /* renumber: dead, matched, then the other states with the accepting
     * ones last, so "accepting" is one comparison; entries hold a
     * state's row offset (id * stride), saving a multiply per byte. When
     * small enough, a row also has an entry per 4 (or 2) byte classes in
     * a row: one dependent load per 4 (or 2) bytes, and the loads are
     * what matching waits on. */
    {
        unsigned k = 0, pc = 1, width = 1;
        size_t stride = (size_t)ncls, single = 0;
        int *perm = malloc((size_t)b.nd * sizeof *perm), id = 2;
        if (!perm)
            goto done;
        while (pc < (unsigned)ncls) {
            pc <<= 1;
            k++;
        }
        for (unsigned w = 4; w >= 2; w /= 2) {
            size_t multi = (size_t)1 << (k * w);
            if ((size_t)b.nd * (multi + pc) <= MAX_MULTI_TABLE) {
                width = w;
                single = multi;
                stride = multi + pc;
                break;
            }
        }
        if ((size_t)b.nd * stride > UINT16_MAX) {
            free(perm);
            goto done;
        }
        perm[0] = 0;
        perm[1] = 1;
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1)
                re->dfa_acc_off = (uint16_t)((size_t)id * stride);
            for (int i = 2; i < b.nd; i++)
                if (acc[i] == pass)
                    perm[i] = id++;
        }
        re->dfa = calloc((size_t)b.nd * stride, sizeof *re->dfa);
        if (!re->dfa) {
            free(perm);
            goto done;
        }
        for (int i = 0; i < b.nd; i++) {
            uint16_t *row = re->dfa + (size_t)perm[i] * stride;
            for (int c = 0; c < ncls; c++)
                row[single + (size_t)c] =
                    (uint16_t)(perm[next[(size_t)i * (size_t)ncls +
                                         (size_t)c]] *
                               stride);
            if (width == 1)
                continue;
            /* every run of width classes (each below ncls) */
            for (size_t idx = 0; idx < single; idx++) {
                unsigned t = (unsigned)i;
                bool valid = true;
                for (unsigned j = 0; j < width; j++) {
                    unsigned c =
                        (unsigned)(idx >> (k * (width - 1 - j))) & (pc - 1);
                    if (c >= (unsigned)ncls) {
                        valid = false;
                        break;
                    }
                    if (t > 1) /* dead and matched absorb */
                        t = next[t * (size_t)ncls + c];
                }
                if (valid)
                    row[idx] = (uint16_t)(perm[t] * stride);
            }
        }
        re->dfa_start = (uint16_t)(perm[re->dfa_start] * stride);
        re->dfa_stride = (uint16_t)stride;
        re->dfa_single = (uint16_t)single;
        re->dfa_shift = (uint8_t)k;
        re->dfa_width = (uint8_t)width;
        if (width > 1) {
            re->dfa_wcls = malloc((size_t)width * 256 * sizeof *re->dfa_wcls);
            if (!re->dfa_wcls) {
                free(re->dfa);
                re->dfa = NULL;
                free(perm);
                goto done;
            }
            for (unsigned j = 0; j < width; j++)
                for (unsigned c = 0; c < 256; c++)
                    re->dfa_wcls[j * 256 + c] =
                        (uint16_t)(cls[c] << (k * (width - 1 - j)));
        }
        free(perm);
    }
    memcpy(re->dfa_class, cls, sizeof cls);
    ok = true;
done:
    for (int i = 0; i < b.nd; i++)
        free(b.d[i].bits);
    free(b.d);
    free(b.slots);
    free(b.eps_head);
    free(b.lab_head);
    free(b.eps_next);
    free(b.lab_next);
    free(b.stack);
    free(next);
    free(acc);
    free(todo);
    free(start_set);
    return ok;
}

void hc__dfa_compile(hc__regex *re, const char *pat, size_t len, bool dot_ok)
{
    parser ps;
    nfa m;
    int root, start, accept;
    bool anchored_start = false, anchored_end = false;

    memset(&ps, 0, sizeof ps);
    memset(&m, 0, sizeof m);
    ps.p = pat;
    ps.end = pat + len;
    ps.dot_ok = dot_ok;
    if (ps.p < ps.end && *ps.p == '^') {
        anchored_start = true;
        ps.p++;
    }
    /* "$" last, unless escaped (an odd run of backslashes before it) */
    if (ps.end > ps.p && ps.end[-1] == '$') {
        size_t bs = 0;
        while (ps.end - 1 - (ptrdiff_t)bs > ps.p &&
               ps.end[-2 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2 == 0) {
            anchored_end = true;
            ps.end--;
        }
    }
    ps.t = malloc(MAX_AST * sizeof *ps.t);
    if (!ps.t)
        return;
    root = parse_alt(&ps);
    /* "^a|b$" anchors one branch only: not this subset */
    if (ps.fail || ps.p != ps.end ||
        ((anchored_start || anchored_end) && ps.top_or))
        goto done;
    m.e = malloc(MAX_EDGE * sizeof *m.e);
    m.sets = malloc(MAX_EDGE * sizeof *m.sets);
    if (!m.e || !m.sets)
        goto done;
    start = nstate(&m);
    accept = build(&m, ps.t, root, start);
    if (m.fail)
        goto done;
    (void)make_dfa(re, &m, start, accept, anchored_start, anchored_end);
done:
    free(ps.t);
    free(m.e);
    free(m.sets);
}
