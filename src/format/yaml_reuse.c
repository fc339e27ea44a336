/*
 * yaml_reuse.c - YAML's reusing parse (see reuse.h). For now a full parse
 * that keeps nothing.
 */
#include "reuse.h"

json_t *hc__yaml_parse_reusing(const char *buf, size_t len, const char *source,
                               const hc_parse_options *opts,
                               const hc__reuse *prev, hc__reuse **next,
                               hc_error *err)
{
    (void)prev;
    *next = NULL;
    return hc__parse_yaml(buf, len, source, opts, err);
}
