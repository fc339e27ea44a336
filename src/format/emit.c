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

/* Flattens nested objects into names joined by sep, for .env. A name that
 * already holds sep, or an empty name, would nest differently when read
 * back, so it is refused. */
static int flatten(json_t *flat, const json_t *obj, const char *prefix,
                   const char *sep, hc_error *err)
{
    const char *k;
    json_t *v;
    size_t lp = strlen(prefix), ls = strlen(sep);
    json_object_foreach((json_t *)obj, k, v)
    {
        size_t lk = strlen(k);
        char *name;
        int rc = 0;
        if (lk == 0 || strstr(k, sep)) {
            hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0,
                          "the name '%s%s%s' cannot be nested on '%s' and "
                          "read back the same",
                          prefix, lp ? sep : "", k, sep);
            return -1;
        }
        name = malloc(lp + ls + lk + 1);
        if (!name) {
            hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
            return -1;
        }
        memcpy(name, prefix, lp);
        if (lp)
            memcpy(name + lp, sep, ls);
        memcpy(name + lp + (lp ? ls : 0), k, lk + 1);
        if (json_is_object(v) && json_object_size(v) > 0)
            rc = flatten(flat, v, name, sep, err);
        else
            json_object_set(flat, name, v);
        free(name);
        if (rc != 0)
            return rc;
    }
    return 0;
}

char *hc_dump_ex(const json_t *doc, hc_format format,
                 const hc_dump_options *opts, hc_error *err)
{
    hc_error_init(err);
    if (!doc) {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "no document");
        return NULL;
    }
    switch (format) {
    case HC_FORMAT_JSON:
    case HC_FORMAT_JSONC: return hc__dump_json(doc, err);
    case HC_FORMAT_YAML: return hc__dump_yaml(doc, err);
    case HC_FORMAT_INI: return hc__dump_ini(doc, err);
    case HC_FORMAT_ENV:
        if (opts && opts->env_nest && *opts->env_nest && json_is_object(doc)) {
            json_t *flat = json_object();
            char *out = NULL;
            if (flat && flatten(flat, doc, "", opts->env_nest, err) == 0)
                out = hc__dump_env(flat, err);
            json_decref(flat);
            return out;
        }
        return hc__dump_env(doc, err);
    case HC_FORMAT_AUTO:
    default: break;
    }
    hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "no output format given");
    return NULL;
}

char *hc_dump(const json_t *doc, hc_format format, hc_error *err)
{
    return hc_dump_ex(doc, format, NULL, err);
}
