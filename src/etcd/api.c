/*
 * api.c - the public etcd calls (hc_etcd_read, hc_etcd_write): each tries
 * the endpoints in order until one answers.
 */
#include "etcd/etcd.h"

#include <stdlib.h>

/* One call's arguments: a read when value is set, else a write. */
typedef struct call {
    char **value;
    size_t *len;
    int64_t *mod_revision;
    const char *wvalue;
    size_t wlen;
    int64_t expect;
    int64_t *revision;
} call;

static int call_once(hc__etcd_target *t, const call *c, hc_error *e)
{
    int64_t hdr;
    if (c->value)
        return hc__etcd_get(t, c->value, c->len, c->mod_revision, &hdr, e);
    return hc__etcd_put(t, c->wvalue, c->wlen, c->expect, c->revision, e);
}

/* A CAS that timed out may still have been applied: retrying it on
 * another endpoint then reports a conflict, which is the safe side. */
static int each_endpoint(const char *url, const call *c, hc_error *err)
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
    rc = HC_EIO;
    for (int i = 0; i < t.nendpoints && rc == HC_EIO; i++) {
        hc_error_init(e); /* the last endpoint's error is the one told */
        rc = call_once(&t, c, e);
        hc__etcd_next_endpoint(&t);
    }
    hc__etcd_target_free(&t);
    return rc;
}

int hc_etcd_read(const char *url, char **value, size_t *len,
                 int64_t *mod_revision, hc_error *err)
{
    call c = {value, len, mod_revision, NULL, 0, 0, NULL};
    *value = NULL;
    return each_endpoint(url, &c, err);
}

int hc_etcd_write(const char *url, const char *value, size_t len,
                  int64_t expect_mod_revision, int64_t *revision, hc_error *err)
{
    call c = {NULL, NULL, NULL, value, len, expect_mod_revision, revision};
    return each_endpoint(url, &c, err);
}
