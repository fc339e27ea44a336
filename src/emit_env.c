/* emit_env.c - placeholder until the env emitter lands (helper branch). */
#include "internal.h"

char *hc__dump_env(const json_t *doc, hc_error *err)
{
    (void)doc;
    hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0, "env emitter missing");
    return NULL;
}
