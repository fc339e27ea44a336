/*
 * meta.c - the official meta-schemas of every draft hotconf reads, embedded
 * at build time from src/schema/meta/ (cmake/embed_meta.cmake), so that a
 * $ref to one resolves and a schema can be checked against its draft's
 * meta-schema without a network.
 */
#include "compile_internal.h"

#include <pthread.h>
#include <string.h>

struct hc__meta_text {
    const char *name, *text;
    size_t len;
};
extern const struct hc__meta_text hc__meta_texts[];

static json_t *meta_docs; /* URI without '#' -> document; never freed */
static pthread_once_t meta_once = PTHREAD_ONCE_INIT;

static void meta_load(void)
{
    meta_docs = json_object();
    for (size_t i = 0; meta_docs && hc__meta_texts[i].name; i++) {
        json_error_t je;
        json_t *doc =
            json_loadb(hc__meta_texts[i].text, hc__meta_texts[i].len, 0, &je);
        const json_t *id = json_object_get(doc, "$id");
        char uri[256];
        if (!id)
            id = json_object_get(doc, "id"); /* draft-04 */
        if (json_is_string(id)) {
            snprintf(uri, sizeof uri, "%.*s",
                     (int)strcspn(json_string_value(id), "#"),
                     json_string_value(id));
            json_object_set(meta_docs, uri, doc);
        }
        json_decref(doc);
    }
}

const json_t *hc__metaschema(const char *uri)
{
    size_t len = strcspn(uri, "#");
    char key[256];
    pthread_once(&meta_once, meta_load);
    if (!meta_docs || len >= sizeof key)
        return NULL;
    memcpy(key, uri, len);
    key[len] = '\0';
    return json_object_get(meta_docs, key);
}

const char *hc__draft_uri(int draft)
{
    switch (draft) {
    case 4: return "http://json-schema.org/draft-04/schema#";
    case 6: return "http://json-schema.org/draft-06/schema#";
    case 7: return "http://json-schema.org/draft-07/schema#";
    case 2019: return "https://json-schema.org/draft/2019-09/schema";
    default: return "https://json-schema.org/draft/2020-12/schema";
    }
}

int hc_schema_validate_schema(json_t *schema, const hc_schema_options *opts,
                              hc_schema_report *report, hc_error *err)
{
    hc_schema_options o = {0};
    const json_t *sv;
    const char *meta;
    json_t *ref;
    hc_schema *ms;
    int rc;
    hc_error_init(err);
    if (report)
        hc_schema_report_clear(report);
    if (!schema) {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "no schema");
        return HC_EINVAL;
    }
    if (opts)
        o = *opts;
    o.base_uri = NULL;
    o.fill_defaults = 0;
    sv = json_is_object(schema) ? json_object_get(schema, "$schema") : NULL;
    if (json_is_string(sv)) {
        meta = json_string_value(sv); /* a draft, or a registered one */
        if (!hc__metaschema(meta) &&
            !(o.registry && json_object_get(o.registry->docs, meta)))
            return 0; /* unknown: compiling S says so, with its position */
    } else
        meta = hc__draft_uri(o.default_draft ? (int)o.default_draft : 2020);
    ref = json_pack("{ss}", "$ref", meta);
    if (!ref) {
        hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
        return HC_ENOMEM;
    }
    /* the reference is read in the meta-schema's own draft */
    o.default_draft = HC_SCHEMA_DRAFT_2020_12;
    ms = hc_schema_compile_ex(ref, &o, err);
    json_decref(ref);
    if (!ms)
        return err && err->code ? err->code : HC_ESCHEMA;
    rc = hc_schema_validate(ms, schema, report);
    hc_schema_free(ms);
    if (rc && rc != HC_EVALIDATE)
        hc__error_set(err, rc, NULL, 0, 0, 0, "%s", hc_strerror(rc));
    return rc;
}
