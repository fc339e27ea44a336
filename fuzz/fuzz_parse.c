/*
 * fuzz_parse.c - the libFuzzer target for every parser, built once per
 * format (fuzz_json, fuzz_yaml, fuzz_ini, fuzz_env, fuzz_jsonc) with
 * HC_FUZZ_FORMAT set.
 * Any bytes must parse or fail cleanly (no crash, hang or leak); what
 * parses goes through diff and the emitters, and for the formats whose
 * emitter is exact (JSON, JSONC, YAML, .env) dump + re-parse must give the same
 * document back. JSON, JSONC and YAML also go through the reusing parse
 * (a reload parsed against the live version's record, src/format/reuse.h),
 * which must give exactly what a full parse gives: the input parsed again
 * against its own record after an edit the input chooses (or as a second
 * version after a NUL byte), and, for YAML, inside a config of service
 * blocks.
 */
#include "hotconf.h"
#include "../src/format/reuse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HC_FUZZ_FORMAT
#error "build with -DHC_FUZZ_FORMAT=HC_FORMAT_..."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const json_t *doc, hc_format f)
{
    hc_error err;
    char *text = hc_dump(doc, f, &err);
    json_t *back;
    if (!text)
        return; /* not expressible in f (e.g. a nested .env): a clean error */
    back = hc_parse(text, strlen(text), f, "round-trip", NULL, &err);
    if (!back || !json_equal(back, doc)) {
        fprintf(stderr, "round trip through %s changed the document:\n%s\n",
                hc_format_name(f), text);
        abort();
    }
    json_decref(back);
    free(text);
}

/* One reload: the reusing parse of text against prev must equal a full
 * parse (document and key order, or the error). Returns its record. */
static hc__reuse *reload(const char *text, size_t len,
                         const hc_parse_options *o, const hc__reuse *prev)
{
    hc_error e1, e2;
    hc__reuse *next = NULL;
    json_t *full = hc_parse(text, len, HC_FUZZ_FORMAT, "fuzz", o, &e1);
    json_t *re = hc__parse_reusing(text, len, HC_FUZZ_FORMAT, "fuzz", o, prev,
                                   &next, &e2);
    int same;
    if (!full || !re) {
        same = !full && !re && !next && e1.code == e2.code &&
               e1.line == e2.line && e1.column == e2.column &&
               e1.position == e2.position && strcmp(e1.text, e2.text) == 0;
    } else {
        char *a = json_dumps(full, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(re, JSON_COMPACT | JSON_ENCODE_ANY);
        same = a && b && strcmp(a, b) == 0;
        free(a);
        free(b);
    }
    if (!same) {
        fprintf(stderr,
                "the reusing parse differs from a full parse of:\n%.*s\n",
                (int)len, text);
        abort();
    }
    json_decref(full);
    json_decref(re);
    return next;
}

/* The input inside a config of service blocks (the benchmark's), put in
 * at a line its first byte picks, then replacing lines there: the
 * reusing parse sees the input as the changed text between entries it
 * keeps. The base's record is made once (a record is not modified by its
 * use). An input of a record's size is also reloaded with a byte changed. */
static void reuse_check_yaml(const uint8_t *data, size_t size,
                             const hc_parse_options *o)
{
    static char base[2400];
    static size_t base_len, starts[256], n_starts;
    static hc__reuse *base_rec;
    char *text;
    size_t at, to;
    hc__reuse *r2, *r3;
    if (!base_len) {
        for (int i = 0; base_len < HC__REUSE_MIN_SIZE; i++)
            base_len += (size_t)snprintf(
                base + base_len, sizeof base - base_len,
                "service%d:\n  host: svc%d.internal\n  port: %d\n"
                "  tags: [a, b]\n  note: |\n    text\n",
                i, i, 1024 + i);
        for (size_t i = 0; i < base_len; i++)
            if (i == 0 || base[i - 1] == '\n')
                starts[n_starts++] = i;
        if (!(base_rec = reload(base, base_len, o, NULL)))
            abort();
    }
    if (size < 2 || !(text = malloc(base_len + size)))
        return;
    at = starts[data[0] % n_starts];
    to = starts[(data[0] % n_starts + data[1] % 4) % n_starts];
    if (to < at)
        to = at;
    memcpy(text, base, at);
    memcpy(text + at, data + 2, size - 2);
    memcpy(text + at + size - 2, base + at, base_len - at);
    r2 = reload(text, base_len + size - 2, o, base_rec);
    memcpy(text + at + size - 2, base + to, base_len - to);
    r3 = reload(text, at + size - 2 + base_len - to, o, r2 ? r2 : base_rec);
    hc__reuse_free(r2);
    hc__reuse_free(r3);
    if (size >= HC__REUSE_MIN_SIZE) {
        size_t pos = (data[0] * 257u + data[1]) % size;
        r2 = reload((const char *)data, size, o, NULL);
        memcpy(text, data, size);
        text[pos] = (char)(text[pos] ^ data[size - 1] ^ 0x20);
        r3 = reload(text, size, o, r2);
        hc__reuse_free(r2);
        hc__reuse_free(r3);
    }
    free(text);
}

/* Version 1 is data up to a NUL byte and version 2 what follows it, or,
 * without one, version 1 with a byte changed where its last bytes say:
 * version 2 reloaded against version 1's record. */
static void reuse_check(const uint8_t *data, size_t size,
                        const hc_parse_options *opts)
{
    const char *nul = memchr(data, '\0', size);
    const char *v1 = (const char *)data, *v2;
    size_t n1 = nul ? (size_t)(nul - v1) : size, n2;
    char *edited = NULL;
    hc__reuse *r1, *r2;
    hc__reuse_min_size = 0;
    if (!(r1 = reload(v1, n1, opts, NULL)))
        return;
    if (nul) {
        v2 = nul + 1;
        n2 = size - n1 - 1;
    } else {
        if (n1 < 4 || !(edited = malloc(n1)))
            goto out;
        memcpy(edited, v1, n1);
        /* the last two bytes pick a place and a byte for it */
        edited[((size_t)data[n1 - 1] * 257 + data[n1 - 2]) % (n1 - 2)] =
            (char)data[n1 - 3];
        v2 = edited;
        n2 = n1 - 2;
    }
    r2 = reload(v2, n2, opts, r1);
    hc__reuse_free(r2);
out:
    free(edited);
    hc__reuse_free(r1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_error err;
    hc_parse_options opts = {0};
    json_t *doc;
    /* .env expansion multiplies the input (A=$A$A per line doubles it),
     * up to max_size: 64 KiB keeps every run well under the timeout (at
     * 1 MiB a 300-byte input took 16 s under load through the emitters and
     * re-parses); the size limit itself is tested in tests/hostile/ */
    opts.max_size = 1 << 16;
    doc =
        hc_parse((const char *)data, size, HC_FUZZ_FORMAT, "fuzz", &opts, &err);
    if (doc) {
        hc_changeset *cs = hc_diff(doc, NULL);
        char *ini = hc_dump(doc, HC_FORMAT_INI, NULL);
        hc_changeset_free(cs);
        free(ini);
        if (HC_FUZZ_FORMAT != HC_FORMAT_INI)
            round_trip(doc, HC_FUZZ_FORMAT);
        round_trip(doc, HC_FORMAT_YAML);
        json_decref(doc);
    }
    /* one input in 16: the check parses a 2 KB config four times, which
     * made the smoke run (300,000 inputs) six times as long at one in four */
    /* only the formats with a reusing parse; a share of the inputs keeps
     * the smoke run's time (each check parses three times more) */
    if ((HC_FUZZ_FORMAT == HC_FORMAT_JSON ||
         HC_FUZZ_FORMAT == HC_FORMAT_JSONC) &&
        size && (data[size / 2] & 1) == 0)
        reuse_check(data, size, &opts);
    if (HC_FUZZ_FORMAT == HC_FORMAT_YAML && size && (data[size / 2] & 3) == 0)
        reuse_check(data, size, &opts);
    if (HC_FUZZ_FORMAT == HC_FORMAT_YAML && size > 2 &&
        data[size - 1] % 16 == 0)
        reuse_check_yaml(data, size, &opts);
    /* the format options: YAML streams as an array and merged, INI names
     * without a value; same checks on what parses */
    for (int variant = 1; variant <= 2; variant++) {
        hc_parse_options o = opts;
        if (HC_FUZZ_FORMAT == HC_FORMAT_YAML)
            o.yaml_multi =
                variant == 1 ? HC_YAML_MULTI_ARRAY : HC_YAML_MULTI_MERGE;
        else if (HC_FUZZ_FORMAT == HC_FORMAT_INI && variant == 1)
            o.ini_allow_no_value = 1;
        else
            break;
        doc = hc_parse((const char *)data, size, HC_FUZZ_FORMAT, "fuzz", &o,
                       &err);
        if (doc) {
            round_trip(doc, HC_FORMAT_JSON);
            round_trip(doc, HC_FORMAT_YAML);
            json_decref(doc);
        }
    }
    return 0;
}
