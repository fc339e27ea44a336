/*
 * posmap.c - JSON pointer -> (line, column) table, filled by the parsers
 * when the caller asks (hc_parse_options.positions) and read when a schema
 * error needs to name the file line of a value. A jansson object is the
 * hash table: it is only built on request, so the reload path pays nothing
 * when no schema wants positions.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct hc_posmap {
    json_t *table; /* pointer -> [line, column] */
};

hc_posmap *hc_posmap_new(void)
{
    hc_posmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->table = json_object();
    if (!m->table) {
        free(m);
        return NULL;
    }
    return m;
}

void hc_posmap_free(hc_posmap *map)
{
    if (!map)
        return;
    json_decref(map->table);
    free(map);
}

void hc_posmap_clear(hc_posmap *map)
{
    if (map)
        json_object_clear(map->table);
}

int hc__posmap_add(hc_posmap *map, const char *pointer, int line, int column)
{
    json_t *v;
    if (!map || !pointer)
        return HC_EINVAL;
    v = json_pack("[ii]", line, column);
    if (!v || json_object_set_new(map->table, pointer, v) != 0)
        return HC_ENOMEM;
    return 0;
}

int hc_posmap_lookup(const hc_posmap *map, const char *pointer, int *line,
                     int *column)
{
    json_t *v;
    if (!map || !pointer)
        return HC_EINVAL;
    v = json_object_get(map->table, pointer);
    if (!v)
        return HC_ENOTFOUND;
    if (line)
        *line = (int)json_integer_value(json_array_get(v, 0));
    if (column)
        *column = (int)json_integer_value(json_array_get(v, 1));
    return 0;
}

size_t hc__pointer_push(char **buf, size_t *cap, size_t len, const char *token,
                        size_t token_len)
{
    /* worst case every byte becomes two ("~0"/"~1") plus '/' and NUL */
    size_t need = len + 2 * token_len + 2;
    size_t o = len;
    if (need > *cap || !*buf) {
        size_t ncap = *cap ? *cap : 64;
        char *nb;
        while (ncap < need)
            ncap *= 2;
        nb = realloc(*buf, ncap);
        if (!nb) /* positions are diagnostics: leave the buffer as it was
                  * (a NULL buffer makes hc__posmap_add fail cleanly) */
            return len;
        *buf = nb;
        *cap = ncap;
    }
    (*buf)[o++] = '/';
    for (size_t i = 0; i < token_len; i++) {
        char c = token[i];
        if (c == '~') {
            (*buf)[o++] = '~';
            (*buf)[o++] = '0';
        } else if (c == '/') {
            (*buf)[o++] = '~';
            (*buf)[o++] = '1';
        } else {
            (*buf)[o++] = c;
        }
    }
    (*buf)[o] = '\0';
    return o;
}
