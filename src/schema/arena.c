/*
 * arena.c - bump allocation for everything a compiled schema or a report
 * owns, freed at once.
 */
#include "schema_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct hc__chunk {
    hc__chunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *hc__arena_alloc(hc__arena *a, size_t size)
{
    hc__chunk *c = a->head;
    size = (size + 15) & ~(size_t)15;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > 16384 ? size : 16384;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    {
        void *p = (char *)c->data + c->used;
        c->used += size;
        memset(p, 0, size);
        return p;
    }
}

char *hc__arena_strndup(hc__arena *a, const char *s, size_t len)
{
    char *p = hc__arena_alloc(a, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

void hc__arena_free(hc__arena *a)
{
    hc__chunk *c = a->head;
    while (c) {
        hc__chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}
