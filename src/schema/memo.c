/*
 * memo.c - the verdicts a validation can take from the one before it.
 *
 * Why: a reload shares the live version's unchanged subtrees (the same
 * json_t, src/format/reuse.h), and a subtree that passed a schema node at
 * a given evaluation depth passes it again: without $dynamicRef (whose
 * meaning depends on the path taken to get there), defaults to fill or
 * annotations asked for by the caller (unevaluated*), a node's verdict is
 * a function of the node, the value and the depth limit alone, and shared
 * values are never modified. So each verdict-only validation records the
 * (node, container, depth) triples that passed, and the next one skips
 * them. A triple is only ever looked up while the document holding its
 * value is alive (the record keeps it), so an address cannot have been
 * reused by another value.
 */
#include "schema_internal.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct memo_entry {
    const void *node;
    const json_t *inst;
    int depth;
} memo_entry;

struct hc__vmemo {
    memo_entry *v;
    size_t used, mask; /* capacity mask + 1 is a power of two */
};

static size_t memo_hash(const void *node, const json_t *inst, int depth,
                        size_t mask)
{
    uint64_t h =
        ((uint64_t)(uintptr_t)inst >> 4) * UINT64_C(0x9E3779B97F4A7C15);
    h ^= ((uint64_t)(uintptr_t)node >> 3) + (uint64_t)depth;
    h *= UINT64_C(0xC2B2AE3D27D4EB4F);
    return (size_t)(h >> 32) & mask;
}

hc__vmemo *hc__vmemo_new(size_t expect)
{
    hc__vmemo *m = calloc(1, sizeof *m);
    size_t size = 64;
    while (size < expect * 2)
        size *= 2;
    if (m && !(m->v = calloc(size, sizeof *m->v))) {
        free(m);
        return NULL;
    }
    if (m)
        m->mask = size - 1;
    return m;
}

size_t hc__vmemo_count(const hc__vmemo *m)
{
    return m ? m->used : 0;
}

void hc__vmemo_free(hc__vmemo *m)
{
    if (!m)
        return;
    free(m->v);
    free(m);
}

bool hc__vmemo_has(const hc__vmemo *m, const void *node, const json_t *inst,
                   int depth)
{
    size_t h = memo_hash(node, inst, depth, m->mask);
    for (;;) {
        const memo_entry *e = &m->v[h];
        if (!e->inst)
            return false;
        if (e->inst == inst && e->node == node && e->depth == depth)
            return true;
        h = (h + 1) & m->mask;
    }
}

static void memo_put(memo_entry *v, size_t mask, const memo_entry *e)
{
    size_t h = memo_hash(e->node, e->inst, e->depth, mask);
    while (v[h].inst) {
        if (v[h].inst == e->inst && v[h].node == e->node &&
            v[h].depth == e->depth)
            return;
        h = (h + 1) & mask;
    }
    v[h] = *e;
}

int hc__vmemo_add(hc__vmemo *m, const void *node, const json_t *inst, int depth)
{
    memo_entry e = {node, inst, depth};
    if ((m->used + 1) * 2 > m->mask + 1) {
        size_t nmask = m->mask * 2 + 1;
        memo_entry *nv = calloc(nmask + 1, sizeof *nv);
        if (!nv)
            return -1;
        for (size_t i = 0; i <= m->mask; i++)
            if (m->v[i].inst)
                memo_put(nv, nmask, &m->v[i]);
        free(m->v);
        m->v = nv;
        m->mask = nmask;
    }
    memo_put(m->v, m->mask, &e);
    m->used++;
    return 0;
}
