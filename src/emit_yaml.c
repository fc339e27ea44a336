/* emit_yaml.c - placeholder until the yaml emitter lands (helper branch). */
#include "internal.h"

char *hc__dump_yaml(const json_t *doc, hc_error *err)
{
    (void)doc;
    hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0, "yaml emitter missing");
    return NULL;
}
