/* fuzz_env.c - libFuzzer target: any bytes through the env parser (and, when
 * they parse, through the emitters and diff) must not crash, hang or leak. */
#include "hotconf.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hc_error err;
    hc_parse_options opts = {0};
    json_t *doc;
    hc_error_init(&err);
    opts.max_size = 1 << 20;
    doc =
        hc_parse((const char *)data, size, HC_FORMAT_ENV, "fuzz", &opts, &err);
    if (doc) {
        char *s = hc_dump(doc, HC_FORMAT_YAML, NULL);
        hc_changeset *cs = hc_diff(doc, NULL);
        free(s);
        hc_changeset_free(cs);
        json_decref(doc);
    }
    return 0;
}
