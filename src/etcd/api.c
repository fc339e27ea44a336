/*
 * api.c - the public etcd calls (hc_etcd_read, hc_etcd_write): each tries
 * the endpoints in order until one answers.
 */
#include "etcd/etcd.h"

#include <stdlib.h>

int hc_etcd_read(const char *url, char **value, size_t *len,
                 int64_t *mod_revision, hc_error *err)
{
    hc__etcd_target t;
    hc_error local, *e = err;
    int64_t hdr;
    int rc;
    hc_error_init(&local);
    if (!e)
        e = &local;
    hc_error_init(e);
    *value = NULL;
    if (hc__etcd_target_parse(&t, url, e) != 0)
        return HC_EINVAL;
    rc = HC_EIO;
    for (int i = 0; i < t.nendpoints && rc == HC_EIO; i++) {
        hc_error_init(e); /* the last endpoint's error is the one told */
        rc = hc__etcd_get(&t, value, len, mod_revision, &hdr, e);
        hc__etcd_next_endpoint(&t);
    }
    hc__etcd_target_free(&t);
    return rc;
}

int hc_etcd_write(const char *url, const char *value, size_t len,
                  int64_t expect_mod_revision, int64_t *revision, hc_error *err)
{
    hc__etcd_target t;
    hc_error local, *e = err;
    int rc;
    hc_error_init(&local);
    if (!e)
        e = &local;
    hc_error_init(e);
    if (hc__etcd_target_parse(&t, url, e) != 0)
        return HC_EINVAL;
    /* A CAS that timed out may still have been applied: retrying it on
     * another endpoint then reports a conflict, which is the safe side. */
    rc = HC_EIO;
    for (int i = 0; i < t.nendpoints && rc == HC_EIO; i++) {
        hc_error_init(e);
        rc = hc__etcd_put(&t, value, len, expect_mod_revision, revision, e);
        hc__etcd_next_endpoint(&t);
    }
    hc__etcd_target_free(&t);
    return rc;
}
