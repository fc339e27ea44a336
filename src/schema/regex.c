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
    {
        uint32_t nl = 0;
        (void)pcre2_pattern_info(re->code, PCRE2_INFO_NEWLINE, &nl);
        hc__dfa_compile(re, pat, len, nl == PCRE2_NEWLINE_LF);
    }
    return 0;
}

void hc__regex_free(hc__regex *re)
{
    if (re && re->code) {
        pcre2_code_free(re->code);
        re->code = NULL;
    }
    if (re) {
        free(re->dfa);
        re->dfa = NULL;
        free(re->dfa_wcls);
        re->dfa_wcls = NULL;
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

int hc__pcre_match(const hc__regex *re, const pcre2_match_context *mctx,
                   const char *s, size_t len)
{
    pcre2_match_data *md;
    int rc;
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
