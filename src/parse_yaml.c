/* parse_yaml.c - placeholder until the yaml parser lands (helper branch). */
#include "internal.h"

json_t *hc__parse_yaml(const char *buf, size_t len, const char *source,
                       const hc_parse_options *opts, hc_error *err)
{
    (void)buf;
    (void)len;
    (void)opts;
    hc__error_set(err, HC_EFORMAT, source, 0, 0, 0, "yaml parser missing");
    return NULL;
}
