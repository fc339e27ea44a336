/*
 * fuzz_parse.c - the libFuzzer target for every parser, built once per
 * format (fuzz_json, fuzz_yaml, fuzz_ini, fuzz_env, fuzz_jsonc) with
 * HC_FUZZ_FORMAT set.
 * Any bytes must parse or fail cleanly (no crash, hang or leak); what
 * parses goes through diff and the emitters, and for the formats whose
 * emitter is exact (JSON, JSONC, YAML, .env) dump + re-parse must give the same
 * document back.
 */
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
