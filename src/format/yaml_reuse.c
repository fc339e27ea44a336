/*
 * yaml_reuse.c - YAML's reusing parse (see reuse.h).
 *
 * The record of a parse is the list of its top-level keys (yaml_rec.h),
 * kept only for a document whose entries can each be read on their own:
 * one implicit document, a block mapping at the root whose keys are
 * one-line plain scalars at column 0 starting with [A-Za-z0-9_], and no
 * directive, marker, anchor, alias, tag, merge key or BOM anywhere. Entry i
 * of such a document is its text from key i's line (from 0 for the first)
 * to key i+1's line (or the end).
 *
 * Why a splice equals a full parse. libfyaml reads left to right; at the
 * start of a column-0 line whose first byte is [A-Za-z0-9_] every token
 * before has ended (a plain or block scalar ends at a line indented no
 * more than its mapping, a quoted scalar or flow collection that were
 * open would have made the previous parse see no key there), the
 * scanner sits in the root mapping at indent 0 expecting a key, and what
 * follows is read exactly as it is read at the start of a stream. So:
 *  - an entry of the live text that ends inside the common prefix, or at
 *    its end where the new text goes on with such a byte, reads as it did;
 *  - the changed text from there to the first entry of the common suffix
 *    is parsed alone together with that entry, so that its end sees what
 *    the full parse sees after it (a key line, not the end of input); the
 *    entry must come out as a key at its own offset, which proves the
 *    middle closed every token before it;
 *  - from that key on, the new text is the live text from the same key in
 *    the same state, so the suffix entries read as they did.
 * Entries share nothing else: no anchors, no tags, no directives. The
 * top-level keys of the three parts are checked for duplicates; depth is
 * counted the same inside an entry wherever it is parsed, and there are no
 * aliases to charge. Anything else, or any error, gives the full parse,
 * so that errors and their positions are the full parse's.
 */
#include "format/reuse.h"
#include "format/yaml_rec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void spans_free(void *spans)
{
    hc__yaml_rec *r = spans;
    if (r) {
        free(r->keys);
        free(r);
    }
}

/* Moves rec into a record of doc parsed from buf; NULL when there is none
 * to keep (rec->keys are then freed). */
static hc__reuse *keep(const char *buf, size_t len,
                       const hc_parse_options *opts, json_t *doc,
                       hc__yaml_rec *rec)
{
    hc__limits lim = hc__limits_from(opts);
    hc__yaml_rec *spans;
    if (!doc || rec->bad || rec->n == 0 || len < hc__reuse_min_size ||
        !(spans = malloc(sizeof *spans))) {
        free(rec->keys);
        return NULL;
    }
    *spans = *rec;
    return hc__reuse_new(HC_FORMAT_YAML, &lim, buf, len, doc, spans,
                         spans_free);
}

static int key_start_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

static size_t common_prefix(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            break;
    }
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

static size_t common_suffix(const char *a, size_t la, const char *b, size_t lb,
                            size_t max)
{
    size_t i = 0;
    for (; i + 8 <= max; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + la - i - 8, 8);
        memcpy(&y, b + lb - i - 8, 8);
        if (x != y)
            break;
    }
    while (i < max && a[la - i - 1] == b[lb - i - 1])
        i++;
    return i;
}

static int push_key(hc__yaml_rec *r, size_t off, size_t len)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        hc__yaml_key *nk = realloc(r->keys, cap * sizeof *nk);
        if (!nk)
            return -1;
        r->keys = nk;
        r->cap = cap;
    }
    r->keys[r->n].off = off;
    r->keys[r->n].len = len;
    r->n++;
    return 0;
}

/* Adds from's value at key k to out; -1 when it is missing, a duplicate
 * or out of memory. */
static int take(json_t *out, json_t *from, const char *k, size_t n)
{
    json_t *v = json_object_getn(from, k, n);
    size_t before = json_object_size(out);
    if (!v || json_object_setn_nocheck(out, k, n, v) != 0)
        return -1;
    return json_object_size(out) == before + 1 ? 0 : -1;
}

/*
 * The splice (see the top of the file), or NULL when it cannot be proved
 * equal to a full parse; then nothing is reported. *rec receives the new
 * text's keys.
 */
static json_t *splice(const char *buf, size_t len, const char *source,
                      const hc_parse_options *opts, const hc__reuse *prev,
                      hc__yaml_rec *rec)
{
    const hc__yaml_rec *ps = prev->spans;
    const char *old = prev->src;
    size_t lp = prev->len, n = ps->n;
    size_t pre, suf, k, b, m0, m1, m2, n_mid;
    hc__yaml_rec mid = {0, 0, 0, NULL};
    json_t *mdoc = NULL, *out = NULL;
    hc_error merr;

    pre = common_prefix(old, buf, lp < len ? lp : len);
    suf = common_suffix(old, lp, buf, len, (lp < len ? lp : len) - pre);

    /* entries read as they did: those ending before the first change, or
     * at it where the new text goes on with a key's first byte (an entry
     * that ended the live text is followed by more now: parsed again) */
    for (k = 0; k < n; k++) {
        size_t end = k + 1 < n ? ps->keys[k + 1].off : lp;
        int ok = end < lp ? end < pre || (end == pre && pre < len &&
                                          key_start_byte(buf[pre]))
                          : pre == lp && pre == len;
        if (!ok)
            break;
    }
    /* entries of the common suffix (never the first, whose head of
     * comments starts the text) */
    for (b = k ? k : 1; b < n && ps->keys[b].off < lp - suf; b++)
        ;
    m0 = k ? (k < n ? ps->keys[k].off : lp) : 0;
    m1 = b < n ? ps->keys[b].off + len - lp : len;
    m2 = b + 1 < n ? ps->keys[b + 1].off + len - lp : len;

    if (m1 > m0) {
        /* the changed entries, and the first suffix entry after them */
        hc_error_init(&merr);
        mdoc = hc__parse_yaml_rec(buf + m0, m2 - m0, source, opts, &mid, &merr);
        if (!mdoc || mid.bad || mid.n == 0 || (m0 > 0 && mid.keys[0].off != 0))
            goto fail;
        n_mid = mid.n;
        if (b < n) {
            if (n_mid == 0 || mid.keys[n_mid - 1].off != m1 - m0 ||
                mid.keys[n_mid - 1].len != ps->keys[b].len)
                goto fail;
            n_mid--;
        }
    } else {
        n_mid = 0;
    }

    rec->n = 0;
    if (!(out = json_object()))
        goto fail;
    for (size_t i = 0; i < k; i++)
        if (take(out, prev->doc, old + ps->keys[i].off, ps->keys[i].len) != 0 ||
            push_key(rec, ps->keys[i].off, ps->keys[i].len) != 0)
            goto fail;
    for (size_t i = 0; i < n_mid; i++)
        if (take(out, mdoc, buf + m0 + mid.keys[i].off, mid.keys[i].len) != 0 ||
            push_key(rec, m0 + mid.keys[i].off, mid.keys[i].len) != 0)
            goto fail;
    for (size_t i = b; i < n; i++)
        if (take(out, prev->doc, old + ps->keys[i].off, ps->keys[i].len) != 0 ||
            push_key(rec, ps->keys[i].off + len - lp, ps->keys[i].len) != 0)
            goto fail;
    json_decref(mdoc);
    free(mid.keys);
    return out;
fail:
    json_decref(out);
    json_decref(mdoc);
    free(mid.keys);
    return NULL;
}

json_t *hc__yaml_parse_reusing(const char *buf, size_t len, const char *source,
                               const hc_parse_options *opts,
                               const hc__reuse *prev, hc__reuse **next,
                               hc_error *err)
{
    hc__limits lim = hc__limits_from(opts);
    hc__yaml_rec rec = {0, 0, 0, NULL};
    json_t *doc = NULL;
    *next = NULL;
    /* the reusing parse reads one document, without positions */
    if (opts->yaml_multi != HC_YAML_MULTI_ERROR || opts->positions ||
        len < hc__reuse_min_size)
        return hc__parse_yaml(buf, len, source, opts, err);
    if (hc__reuse_fits(prev, HC_FORMAT_YAML, &lim) &&
        prev->spans_free == spans_free && prev->spans) {
        doc = splice(buf, len, source, opts, prev, &rec);
        if (!doc)
            rec.n = 0;
    }
    if (!doc) {
        rec.bad = 0;
        doc = hc__parse_yaml_rec(buf, len, source, opts, &rec, err);
    }
    *next = keep(buf, len, opts, doc, &rec);
    return doc;
}
