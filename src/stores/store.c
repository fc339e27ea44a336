/*
 * store.c - the registry of history stores and what they share.
 *
 * The table below is the only place that names a store: hc__store_open()
 * tries each in order and the first that accepts the engine options
 * becomes the engine's store. A persistent store goes before the memory
 * store (which always accepts).
 */
#include "stores/store.h"

#include <stdlib.h>
#include <string.h>

static const hc__store_ops *const stores[] = {
    &hc__store_sqlite, /* when a state directory is set */
    &hc__store_memory, /* last: always accepts */
};

int hc__store_open(hc__store *s, const hc_engine_options *opts)
{
    memset(s, 0, sizeof *s);
    s->log = opts->log;
    s->log_data = opts->log_data;
    for (size_t i = 0; i < sizeof stores / sizeof stores[0]; i++) {
        int rc;
        s->ops = stores[i];
        rc = stores[i]->open(s, opts);
        if (rc == 0)
            return 0;
        if (rc != HC_ENOTSUP)
            return rc;
    }
    s->ops = NULL;
    return HC_ENOMEM;
}

void hc__store_close(hc__store *s)
{
    if (s->ops && s->ops->close)
        s->ops->close(s);
    s->ops = NULL;
}

void hc__store_got_clear(hc__store_got *g)
{
    free(g->content);
    free(g->revision);
    hc_doc_release(g->doc);
    memset(g, 0, sizeof *g);
}

const char *hc__outcome_name(hc__outcome o)
{
    switch (o) {
    case HC__OUTCOME_APPLIED: return "applied";
    case HC__OUTCOME_REJECTED: return "rejected";
    case HC__OUTCOME_VETOED: return "vetoed";
    case HC__OUTCOME_MISSING: return "missing";
    case HC__OUTCOME_REVERTED: return "reverted";
    case HC__OUTCOME_ROLLED_BACK: return "rolled_back";
    }
    return "unknown";
}
