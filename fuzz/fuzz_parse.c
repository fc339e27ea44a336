/*
 * fuzz_parse.c - the libFuzzer target for every parser, built once per
 * format (fuzz_json, fuzz_yaml, fuzz_ini, fuzz_env, fuzz_jsonc) with
 * HC_FUZZ_FORMAT set.
 * Any bytes must parse or fail cleanly (no crash, hang or leak); what
 * parses goes through diff and the emitters, and for the formats whose
 * emitter is exact (JSON, JSONC, YAML, .env) dump + re-parse must give the same
 * document back. The input is also parsed again against its own record
 * (src/format/reuse.h) after an edit the input chooses, or as a second
 * version after a NUL byte: the reusing parse must give exactly what
 * hc_parse gives.
 */
#include "format/reuse.h"
#include "hotconf.h"

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

static int same_error(const hc_error *a, const hc_error *b)
{
    return a->code == b->code && a->line == b->line && a->column == b->column &&
           strcmp(a->text, b->text) == 0;
}

/* Version 1 is data up to a NUL byte and version 2 what follows it, or,
 * without one, version 1 with bytes changed where its last bytes say:
 * version 2 parsed with version 1's record must be hc_parse's answer. */
static void reuse_check(const uint8_t *data, size_t size,
                        const hc_parse_options *opts)
{
    const char *nul = memchr(data, '\0', size);
    const char *v1 = (const char *)data, *v2;
    size_t n1 = nul ? (size_t)(nul - v1) : size, n2;
    char *edited = NULL;
    hc__reuse *r1 = NULL, *r2 = NULL;
    hc_error e1, e2;
    json_t *d1, *full, *got;
    hc__reuse_min_size = 0;
    d1 =
        hc__parse_reusing(v1, n1, HC_FUZZ_FORMAT, "fuzz", opts, NULL, &r1, &e1);
    json_decref(d1);
    if (!r1)
        return;
    if (nul) {
        v2 = nul + 1;
        n2 = size - n1 - 1;
    } else {
        if (n1 < 4)
            goto out;
        edited = malloc(n1);
        memcpy(edited, v1, n1);
        /* the last two bytes pick a place and a byte for it */
        edited[((size_t)data[n1 - 1] * 257 + data[n1 - 2]) % (n1 - 2)] =
            (char)data[n1 - 3];
        v2 = edited;
        n2 = n1 - 2;
    }
    full = hc_parse(v2, n2, HC_FUZZ_FORMAT, "fuzz", opts, &e1);
    got = hc__parse_reusing(v2, n2, HC_FUZZ_FORMAT, "fuzz", opts, r1, &r2, &e2);
    if (full ? !got || !json_equal(full, got) : got || !same_error(&e1, &e2)) {
        fprintf(stderr, "the reusing parse differs from hc_parse: %s / %s\n",
                full ? "parsed" : e1.text, got ? "parsed" : e2.text);
        abort();
    }
    json_decref(full);
    json_decref(got);
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
    reuse_check(data, size, &opts);
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
