/*
 * regex.c - JSON Schema patterns (ECMA-262 dialect) on PCRE2: UTF mode,
 * "$" only at the very end, \u escapes, long Unicode property names
 * rewritten to PCRE2's short ones. Patterns are JIT-compiled once; matches
 * run under the schema's match/depth budget, so a catastrophic pattern
 * returns a limit error instead of hanging. Match data is cached per
 * thread (freed at thread exit), so matching allocates nothing.
 */
#include "schema_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ECMA-262 General_Category long names (and a few aliases) -> PCRE2. */
static const struct {
    const char *ecma, *pcre;
} categories[] = {
    {"Letter", "L"},
    {"Cased_Letter", "L&"},
    {"Uppercase_Letter", "Lu"},
    {"Lowercase_Letter", "Ll"},
    {"Titlecase_Letter", "Lt"},
    {"Modifier_Letter", "Lm"},
    {"Other_Letter", "Lo"},
    {"Mark", "M"},
    {"Combining_Mark", "M"},
    {"Nonspacing_Mark", "Mn"},
    {"Spacing_Mark", "Mc"},
    {"Enclosing_Mark", "Me"},
    {"Number", "N"},
    {"Decimal_Number", "Nd"},
    {"digit", "Nd"},
    {"Letter_Number", "Nl"},
    {"Other_Number", "No"},
    {"Punctuation", "P"},
    {"punct", "P"},
    {"Connector_Punctuation", "Pc"},
    {"Dash_Punctuation", "Pd"},
    {"Open_Punctuation", "Ps"},
    {"Close_Punctuation", "Pe"},
    {"Initial_Punctuation", "Pi"},
    {"Final_Punctuation", "Pf"},
    {"Other_Punctuation", "Po"},
    {"Symbol", "S"},
    {"Math_Symbol", "Sm"},
    {"Currency_Symbol", "Sc"},
    {"Modifier_Symbol", "Sk"},
    {"Other_Symbol", "So"},
    {"Separator", "Z"},
    {"Space_Separator", "Zs"},
    {"Line_Separator", "Zl"},
    {"Paragraph_Separator", "Zp"},
    {"Other", "C"},
    {"Control", "Cc"},
    {"cntrl", "Cc"},
    {"Format", "Cf"},
    {"Surrogate", "Cs"},
    {"Private_Use", "Co"},
    {"Unassigned", "Cn"},
};

/*
 * Rewrites \p{Long_Name}, \p{General_Category=X}, \p{gc=X}, \p{Script=X}
 * and \p{sc=X} into PCRE2 syntax. Returns a malloc'd copy (or NULL when
 * nothing needed rewriting) and, per output byte, the input offset it came
 * from, so compile errors point into the pattern as the user wrote it.
 */
static char *translate(const char *pat, size_t len, size_t *out_len,
                       size_t **map_out)
{
    char *out = NULL;
    size_t *map = NULL, o = 0;
    bool changed = false;

    out = malloc(len * 2 + 16);
    map = malloc((len * 2 + 16) * sizeof *map);
    if (!out || !map)
        goto fail;
    for (size_t i = 0; i < len; i++) {
        if (pat[i] == '\\' && i + 2 < len &&
            (pat[i + 1] == 'p' || pat[i + 1] == 'P') && pat[i + 2] == '{') {
            const char *name = pat + i + 3;
            const char *end = memchr(name, '}', len - (i + 3));
            const char *repl = NULL;
            size_t nlen;
            if (!end)
                goto copy;
            nlen = (size_t)(end - name);
            {
                const char *eq = memchr(name, '=', nlen);
                if (eq) {
                    size_t klen = (size_t)(eq - name);
                    if ((klen == 16 &&
                         !strncmp(name, "General_Category", 16)) ||
                        (klen == 2 && !strncmp(name, "gc", 2)) ||
                        (klen == 6 && !strncmp(name, "Script", 6)) ||
                        (klen == 2 && !strncmp(name, "sc", 2))) {
                        nlen -= klen + 1;
                        name = eq + 1;
                        repl = name; /* the value, possibly long */
                    }
                }
            }
            for (size_t k = 0; k < sizeof categories / sizeof categories[0];
                 k++) {
                if (strlen(categories[k].ecma) == nlen &&
                    !strncmp(categories[k].ecma, name, nlen)) {
                    repl = categories[k].pcre;
                    nlen = strlen(repl);
                    break;
                }
            }
            if (!repl)
                goto copy;
            out[o] = '\\';
            map[o++] = i;
            out[o] = pat[i + 1];
            map[o++] = i + 1;
            out[o] = '{';
            map[o++] = i + 2;
            for (size_t k = 0; k < nlen; k++) {
                out[o] = repl[k];
                map[o++] = i + 3;
            }
            out[o] = '}';
            map[o++] = (size_t)(end - pat);
            i = (size_t)(end - pat);
            changed = true;
            continue;
        }
    copy:
        out[o] = pat[i];
        map[o++] = i;
        if (pat[i] == '\\' && i + 1 < len) {
            i++;
            out[o] = pat[i];
            map[o++] = i;
        }
    }
    if (!changed)
        goto fail;
    out[o] = '\0';
    map[o] = len;
    *out_len = o;
    *map_out = map;
    return out;
fail:
    free(out);
    free(map);
    return NULL;
}

/* ---- fast path for simple anchored patterns ------------------------------ */

static void set_add(uint64_t set[2], unsigned c)
{
    set[c >> 6] |= (uint64_t)1 << (c & 63);
}

static void set_range(uint64_t set[2], unsigned a, unsigned b)
{
    for (unsigned c = a; c <= b; c++)
        set_add(set, c);
}

static bool is_meta(char c)
{
    return strchr(".()|*+?{}[]^$\\", c) != NULL;
}

/* An escape inside or outside a class: \d, \w or escaped punctuation. */
static bool fast_escape(char e, uint64_t set[2])
{
    if (e == 'd') {
        set_range(set, '0', '9');
    } else if (e == 'w') {
        set_range(set, '0', '9');
        set_range(set, 'A', 'Z');
        set_range(set, 'a', 'z');
        set_add(set, '_');
    } else if (e && (unsigned char)e < 0x80 &&
               strchr("./-\\[](){}*+?^$|:", e)) {
        set_add(set, (unsigned char)e);
    } else {
        return false;
    }
    return true;
}

static bool parse_class(const char **pp, const char *end, uint64_t set[2])
{
    const char *p = *pp + 1; /* after '[' */
    if (p < end && *p == '^')
        return false; /* a negated class holds non-ASCII characters */
    while (p < end && *p != ']') {
        unsigned lo;
        if (*p == '\\') {
            if (p + 1 >= end)
                return false;
            if (p[1] == 'd' || p[1] == 'w') {
                fast_escape(p[1], set);
                p += 2;
                continue;
            }
            if (!fast_escape(p[1], set))
                return false;
            lo = (unsigned char)p[1];
            p += 2;
        } else {
            if ((unsigned char)*p >= 0x80 || *p == '[')
                return false;
            lo = (unsigned char)*p++;
        }
        if (p + 1 < end && *p == '-' && p[1] != ']') {
            unsigned hi = (unsigned char)p[1];
            if (hi >= 0x80 || hi == '\\' || hi == '[' || hi < lo)
                return false;
            set_range(set, lo, hi);
            p += 2;
        } else {
            set_add(set, lo);
        }
    }
    if (p >= end)
        return false;
    *pp = p + 1;
    return true;
}

static bool parse_count(const char **pp, const char *end, uint32_t *out)
{
    const char *p = *pp;
    unsigned long v = 0;
    if (p >= end || *p < '0' || *p > '9')
        return false;
    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (unsigned long)(*p++ - '0');
        if (v > 100000)
            return false;
    }
    *out = (uint32_t)v;
    *pp = p;
    return true;
}

static void fast_compile(hc__regex *re, const char *pat, size_t len)
{
    hc__fast_atom atoms[32];
    uint32_t n = 0;
    const char *p = pat, *end = pat + len;
    bool anchored_end = false;

    if (len < 2 || *p != '^')
        return;
    p++;
    if (end > p && end[-1] == '$' && (end - 1 == p || end[-2] != '\\')) {
        anchored_end = true;
        end--;
    }
    while (p < end) {
        hc__fast_atom *a;
        if (n == sizeof atoms / sizeof atoms[0])
            return;
        a = &atoms[n++];
        memset(a, 0, sizeof *a);
        if (*p == '[') {
            if (!parse_class(&p, end, a->set))
                return;
        } else if (*p == '\\') {
            if (p + 1 >= end || !fast_escape(p[1], a->set))
                return;
            p += 2;
        } else if ((unsigned char)*p < 0x80 && !is_meta(*p)) {
            set_add(a->set, (unsigned char)*p++);
        } else {
            return;
        }
        a->min = a->max = 1;
        if (p < end && (*p == '*' || *p == '+' || *p == '?')) {
            a->min = *p == '+' ? 1 : 0;
            a->max = *p == '?' ? 1 : UINT32_MAX;
            p++;
        } else if (p < end && *p == '{') {
            p++;
            if (!parse_count(&p, end, &a->min))
                return;
            a->max = a->min;
            if (p < end && *p == ',') {
                p++;
                a->max = UINT32_MAX;
                if (p < end && *p != '}' && !parse_count(&p, end, &a->max))
                    return;
            }
            if (p >= end || *p != '}' || a->max < a->min)
                return;
            p++;
        }
        if (p < end && (*p == '?' || *p == '+'))
            return; /* lazy or possessive: leave it to PCRE2 */
    }
    /* greedy is exact only when each variable run is followed by a
     * mandatory run it cannot overlap, or by the end */
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (atoms[i].min == atoms[i].max)
            continue;
        if (atoms[i + 1].min == 0 || (atoms[i].set[0] & atoms[i + 1].set[0]) ||
            (atoms[i].set[1] & atoms[i + 1].set[1]))
            return;
    }
    re->fast = malloc((n ? n : 1) * sizeof *re->fast);
    if (!re->fast)
        return; /* PCRE2 still works */
    memcpy(re->fast, atoms, n * sizeof *re->fast);
    re->nfast = n;
    re->fast_end = anchored_end;
}

static int fast_match(const hc__regex *re, const char *s, size_t len)
{
    size_t pos = 0;
    for (uint32_t i = 0; i < re->nfast; i++) {
        const hc__fast_atom *a = &re->fast[i];
        uint32_t cnt = 0;
        while (cnt < a->max && pos < len) {
            unsigned char ch = (unsigned char)s[pos];
            if (ch >= 0x80 || !((a->set[ch >> 6] >> (ch & 63)) & 1))
                break;
            cnt++;
            pos++;
        }
        if (cnt < a->min)
            return 0;
    }
    return !re->fast_end || pos == len;
}

int hc__regex_compile(hc__regex *re, const char *pat, size_t len, char *msg,
                      size_t msg_size, size_t *offset)
{
    pcre2_compile_context *cc;
    size_t tlen = 0, *map = NULL;
    char *t = translate(pat, len, &tlen, &map);
    int code;
    PCRE2_SIZE off;

    memset(re, 0, sizeof *re);
    cc = pcre2_compile_context_create(NULL);
    if (!cc) {
        free(t);
        free(map);
        snprintf(msg, msg_size, "out of memory");
        *offset = 0;
        return HC_ENOMEM;
    }
    pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
    re->code = pcre2_compile((PCRE2_SPTR)(t ? t : pat), t ? tlen : len,
                             PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX,
                             &code, &off, cc);
    pcre2_compile_context_free(cc);
    if (!re->code) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(code, buf, sizeof buf);
        snprintf(msg, msg_size, "%s", (const char *)buf);
        *offset = t ? map[off <= tlen ? off : tlen] : off;
        free(t);
        free(map);
        return HC_ESCHEMA;
    }
    free(t);
    free(map);
    /* JIT is an optimisation: when it is unavailable the interpreter runs
     * the same pattern under the same limits. */
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    /* only once PCRE2 accepted it: errors and offsets come from PCRE2 */
    fast_compile(re, pat, len);
    return 0;
}

void hc__regex_free(hc__regex *re)
{
    if (re && re->code) {
        pcre2_code_free(re->code);
        re->code = NULL;
    }
    if (re) {
        free(re->fast);
        re->fast = NULL;
    }
}

/* ---- per-thread match data ---------------------------------------------
 * One ovector pair is all we need (match or not). The TLS pointer makes
 * the hot path a load; the pthread key only exists to free it when a
 * thread exits. */

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static _Thread_local pcre2_match_data *tl_md;

static void md_destroy(void *p)
{
    pcre2_match_data_free(p);
}

static void md_key_init(void)
{
    (void)pthread_key_create(&md_key, md_destroy);
}

static pcre2_match_data *thread_match_data(void)
{
    if (!tl_md) {
        pthread_once(&md_once, md_key_init);
        tl_md = pcre2_match_data_create(1, NULL);
        if (tl_md)
            (void)pthread_setspecific(md_key, tl_md);
    }
    return tl_md;
}

int hc__regex_match(const hc__regex *re, const pcre2_match_context *mctx,
                    const char *s, size_t len)
{
    pcre2_match_data *md;
    int rc;
    if (re->fast)
        return fast_match(re, s, len);
    md = thread_match_data();
    if (!md)
        return PCRE2_ERROR_NOMEMORY;
    /* Strings in a json_t are valid UTF-8 (jansson and our parsers check),
     * so the per-match UTF scan is skipped; the JIT entry point skips the
     * interpreter's dispatch too. */
    if (re->jit)
        rc =
            pcre2_jit_match(re->code, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK,
                            md, (pcre2_match_context *)mctx);
    else
        rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK,
                         md, (pcre2_match_context *)mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return rc;
}
