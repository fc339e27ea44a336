/*
 * cycles.c - rejects in-place cycles ($ref/allOf/... back to a node without
 * entering the instance), which could never finish validating.
 */
#include "compile_internal.h"

#include <stdlib.h>

/* The k-th in-place subschema of n (same instance), or NULL past the end. */
static hc__node *inplace_edge(const hc__node *n, size_t k)
{
    for (uint32_t i = 0; i < n->nkw; i++) {
        const hc__kw *kw = &n->kw[i];
        switch (kw->kind) {
        case HC__K_REF:
        case HC__K_DYNAMIC_REF:
        case HC__K_NOT:
            if (k == 0)
                return kw->kind == HC__K_NOT ? kw->u.node : kw->u.ref.node;
            k--;
            break;
        case HC__K_ALL_OF:
        case HC__K_ANY_OF:
        case HC__K_ONE_OF:
            if (k < kw->u.list.n)
                return kw->u.list.v[k];
            k -= kw->u.list.n;
            break;
        case HC__K_DEP_SCHEMAS:
            if (k < kw->u.dep_schemas.n)
                return kw->u.dep_schemas.v[k].node;
            k -= kw->u.dep_schemas.n;
            break;
        case HC__K_IF: {
            hc__node *b[3] = {kw->u.cond.if_, kw->u.cond.then_,
                              kw->u.cond.else_};
            for (int m = 0; m < 3; m++) {
                if (!b[m])
                    continue;
                if (k == 0)
                    return b[m];
                k--;
            }
            break;
        }
        default: break;
        }
    }
    return NULL;
}

typedef struct dfs_frame {
    hc__node *n;
    size_t edge;
} dfs_frame;

bool hc__check_cycles(hc__comp *c)
{
    dfs_frame *stack = NULL;
    size_t cap = 0;
    bool ok = true;
    for (size_t q = 0; q < c->nq && ok; q++) {
        size_t sp = 0;
        if (c->queue[q]->mark)
            continue;
        if (cap == 0) {
            cap = 64;
            stack = malloc(cap * sizeof *stack);
            if (!stack)
                return hc__schema_oom(c), false;
        }
        stack[sp++] = (dfs_frame){c->queue[q], 0};
        c->queue[q]->mark = 1;
        while (sp && ok) {
            dfs_frame *f = &stack[sp - 1];
            hc__node *next = inplace_edge(f->n, f->edge++);
            if (!next) {
                f->n->mark = 2;
                sp--;
                continue;
            }
            if (next->mark == 1) {
                hc__schema_cerr(
                    c, f->n, NULL, NULL,
                    "reference cycle: this schema leads back to %s without "
                    "descending into the document, so validation could "
                    "never finish",
                    next->doc_ptr[0] ? next->doc_ptr : "the root");
                ok = false;
                break;
            }
            if (next->mark == 0) {
                if (sp == cap) {
                    dfs_frame *ns = realloc(stack, cap * 2 * sizeof *ns);
                    if (!ns) {
                        hc__schema_oom(c);
                        ok = false;
                        break;
                    }
                    stack = ns;
                    cap *= 2;
                }
                next->mark = 1;
                stack[sp++] = (dfs_frame){next, 0};
            }
        }
    }
    free(stack);
    return ok;
}
