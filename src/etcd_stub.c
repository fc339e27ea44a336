/*
 * etcd_stub.c - the public etcd calls in a build without HC_WITH_ETCD, so
 * the API stays the same whatever was compiled in.
 */
#include "internal.h"

#include <string.h>

#ifndef HC_WITH_ETCD
int hc_etcd_read(const char *url, char **value, size_t *len,
                 int64_t *mod_revision, hc_error *err)
{
    *value = NULL;
    hc__error_set(err, HC_ENOTSUP, url, 0, 0, 0,
                  "built without etcd support (HC_WITH_ETCD=OFF)");
    return HC_ENOTSUP;
}

int hc_etcd_write(const char *url, const char *value, size_t len,
                  int64_t expect_mod_revision, int64_t *revision, hc_error *err)
{
    hc__error_set(err, HC_ENOTSUP, url, 0, 0, 0,
                  "built without etcd support (HC_WITH_ETCD=OFF)");
    return HC_ENOTSUP;
}

void hc_etcd_options_init(hc_etcd_options *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

int hc_etcd_configure(const hc_etcd_options *o, hc_error *err)
{
    (void)o;
    hc__error_set(err, HC_ENOTSUP, "etcd", 0, 0, 0,
                  "built without etcd support (HC_WITH_ETCD=OFF)");
    return HC_ENOTSUP;
}

int hc_etcd_report_status(hc_engine *e, const char *node, int ttl_s,
                          hc_error *err)
{
    (void)e;
    (void)node;
    (void)ttl_s;
    hc__error_set(err, HC_ENOTSUP, "etcd", 0, 0, 0,
                  "built without etcd support (HC_WITH_ETCD=OFF)");
    return HC_ENOTSUP;
}
#endif
