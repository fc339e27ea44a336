/*
 * etcd_stub.c - the public etcd calls in a build without HC_WITH_ETCD, so
 * the API stays the same whatever was compiled in.
 */
#include "internal.h"

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
#endif
