/* emit_ini.c - placeholder until the ini emitter lands (helper branch). */
#include "internal.h"

char *hc__dump_ini(const json_t *doc, hc_error *err)
{
    (void)doc;
    hc__error_set(err, HC_EFORMAT, NULL, 0, 0, 0, "ini emitter missing");
    return NULL;
}
