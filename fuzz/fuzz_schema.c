/*
 * fuzz_schema.c - the libFuzzer target for the schema compiler and
 * validator. The input is a schema, a NUL byte, then an instance (without
 * the NUL the schema validates itself). Its first byte picks the options
 * (format assertion, default filling), so both paths are explored. Any
 * bytes must compile or fail cleanly, validate or fail cleanly, and free
 * without a crash, hang or leak.
 */
#include "hotconf.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_schema_options o = {0};
    hc_schema_report *rep;
    const uint8_t *nul;
    json_t *schema, *doc;
    hc_schema *s;
    hc_error err;
    size_t slen;
    if (size < 1)
        return 0;
    o.format_assert = data[0] & 1;
    o.fill_defaults = (data[0] >> 1) & 1;
    data++;
    size--;
    nul = memchr(data, '\0', size);
    slen = nul ? (size_t)(nul - data) : size;
    schema = hc_parse((const char *)data, slen, HC_FORMAT_JSON, "schema", NULL,
                      &err);
    if (!schema)
        return 0;
    s = hc_schema_compile_ex(schema, &o, &err);
    if (!s) {
        json_decref(schema);
        return 0;
    }
    doc = nul ? hc_parse((const char *)nul + 1, size - slen - 1, HC_FORMAT_JSON,
                         "doc", NULL, &err)
              : json_deep_copy(schema);
    if (doc) {
        rep = hc_schema_report_new();
        (void)hc_schema_validate(s, doc, NULL);
        (void)hc_schema_validate(s, doc, rep);
        hc_schema_report_free(rep);
        json_decref(doc);
    }
    hc_schema_free(s);
    json_decref(schema);
    return 0;
}
