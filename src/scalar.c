/* scalar.c - placeholder until the INI/.env helper lands scalar typing. */
#include "internal.h"

json_t *hc__scalar_typed(const char *s, size_t len)
{
    return json_stringn(s, len);
}
