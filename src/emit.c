/*
 * emit.c - hc_dump: serialise a document in one of our formats. JSON is
 * jansson's; the others live in emit_<format>.c.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

char *hc__dump_json(const json_t *doc, hc_error *err)
{
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_ENCODE_ANY);
    size_t n;
    char *out;
    if (!s) {
        hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0,
                      "cannot serialise document as JSON");
        return NULL;
    }
    /* a trailing newline, as a text file should have */
    n = strlen(s);
    out = realloc(s, n + 2);
    if (!out) {
        free(s);
        hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

char *hc_dump(const json_t *doc, hc_format format, hc_error *err)
{
    hc_error_init(err);
    if (!doc) {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "no document");
        return NULL;
    }
    switch (format) {
    case HC_FORMAT_JSON: return hc__dump_json(doc, err);
    case HC_FORMAT_YAML: return hc__dump_yaml(doc, err);
    case HC_FORMAT_INI: return hc__dump_ini(doc, err);
    case HC_FORMAT_ENV: return hc__dump_env(doc, err);
    case HC_FORMAT_AUTO:
    default: break;
    }
    hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "no output format given");
    return NULL;
}
