/*
 * registry.c - documents that $ref may name by URI, registered by the caller
 * (nothing is ever fetched).
 */
#include "schema_internal.h"

#include <stdlib.h>
#include <string.h>

hc_schema_registry *hc_schema_registry_new(void)
{
    hc_schema_registry *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->docs = json_object();
    if (!r->docs) {
        free(r);
        return NULL;
    }
    return r;
}

void hc_schema_registry_free(hc_schema_registry *reg)
{
    if (!reg)
        return;
    json_decref(reg->docs);
    free(reg);
}

int hc_schema_registry_add(hc_schema_registry *reg, const char *uri,
                           json_t *doc)
{
    if (!reg || !uri || !doc || strchr(uri, '#') ||
        !(json_is_object(doc) || json_is_boolean(doc)))
        return HC_EINVAL;
    if (json_object_get(reg->docs, uri))
        return HC_EEXIST;
    return json_object_set(reg->docs, uri, doc) == 0 ? 0 : HC_ENOMEM;
}

int hc_schema_registry_load(hc_schema_registry *reg, const char *uri,
                            const char *path, hc_error *err)
{
    json_t *doc, *id;
    int rc;
    hc_error_init(err);
    if (!reg || !path) {
        hc__error_set(err, HC_EINVAL, path, 0, 0, 0, "no registry or path");
        return HC_EINVAL;
    }
    doc = hc__schema_parse_file(path, NULL, err);
    if (!doc)
        return err && err->code ? err->code : HC_EPARSE;
    id = json_object_get(doc, "$id");
    if (!uri) {
        if (json_is_string(id)) {
            uri = json_string_value(id);
        } else {
            const char *slash = strrchr(path, '/');
            uri = slash ? slash + 1 : path;
        }
    }
    rc = hc_schema_registry_add(reg, uri, doc);
    json_decref(doc);
    if (rc == HC_EEXIST)
        hc__error_set(err, rc, path, 0, 0, 0,
                      "a schema is already registered as \"%s\"", uri);
    else if (rc)
        hc__error_set(
            err, rc, path, 0, 0, 0, "cannot register the schema as \"%s\": %s",
            uri, rc == HC_EINVAL ? "not a schema or bad URI" : hc_strerror(rc));
    return rc;
}
