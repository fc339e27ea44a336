/* parse_env.c - placeholder until the env parser lands (helper branch). */
#include "internal.h"

json_t *hc__parse_env(const char *buf, size_t len, const char *source,
                      const hc_parse_options *opts, hc_error *err)
{
    (void)buf;
    (void)len;
    (void)opts;
    hc__error_set(err, HC_EFORMAT, source, 0, 0, 0, "env parser missing");
    return NULL;
}
