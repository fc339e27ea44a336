/*
 * options.c - the process-wide etcd connection options (auth, TLS) set
 * with hc_etcd_configure and copied into every target when it is parsed,
 * so a follower started before a later call keeps what it started with.
 */
#include "etcd/etcd.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t opts_lock = PTHREAD_MUTEX_INITIALIZER;
static char *o_user, *o_password, *o_cacert, *o_cert, *o_key;

void hc_etcd_options_init(hc_etcd_options *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

static int set(char **slot, const char *v)
{
    char *c = NULL;
    if (v && *v && !(c = strdup(v)))
        return HC_ENOMEM;
    if (*slot) /* a password: not left behind in freed memory */
        memset(*slot, 0, strlen(*slot));
    free(*slot);
    *slot = c;
    return 0;
}

/* Reads a field only when the caller's struct has it. */
#define FIELD(o, f)                                                            \
    ((o)->size >= offsetof(hc_etcd_options, f) + sizeof((o)->f) ? (o)->f : NULL)

int hc_etcd_configure(const hc_etcd_options *o, hc_error *err)
{
    int rc = 0;
    if (o && o->size < offsetof(hc_etcd_options, user) + sizeof o->user) {
        hc__error_set(err, HC_EINVAL, "etcd", 0, 0, 0,
                      "hc_etcd_options: size not set (hc_etcd_options_init)");
        return HC_EINVAL;
    }
    if (o && FIELD(o, password) && !FIELD(o, user)) {
        hc__error_set(err, HC_EINVAL, "etcd", 0, 0, 0,
                      "a password without a user name");
        return HC_EINVAL;
    }
    if (o && FIELD(o, key) && !FIELD(o, cert)) {
        hc__error_set(err, HC_EINVAL, "etcd", 0, 0, 0,
                      "a client key without a client certificate");
        return HC_EINVAL;
    }
    pthread_mutex_lock(&opts_lock);
    rc |= set(&o_user, o ? FIELD(o, user) : NULL);
    rc |= set(&o_password, o ? FIELD(o, password) : NULL);
    rc |= set(&o_cacert, o ? FIELD(o, cacert) : NULL);
    rc |= set(&o_cert, o ? FIELD(o, cert) : NULL);
    rc |= set(&o_key, o ? FIELD(o, key) : NULL);
    pthread_mutex_unlock(&opts_lock);
    if (rc) {
        hc__error_set(err, HC_ENOMEM, "etcd", 0, 0, 0, "out of memory");
        return HC_ENOMEM;
    }
    return 0;
}

int hc__etcd_target_options(hc__etcd_target *t)
{
    int rc = 0;
    pthread_mutex_lock(&opts_lock);
    rc |= set(&t->user, o_user);
    rc |= set(&t->password, o_password);
    rc |= set(&t->cacert, o_cacert);
    rc |= set(&t->cert, o_cert);
    rc |= set(&t->pkey, o_key);
    pthread_mutex_unlock(&opts_lock);
    return rc ? HC_ENOMEM : 0;
}

void hc__etcd_target_options_free(hc__etcd_target *t)
{
    set(&t->user, NULL);
    set(&t->password, NULL);
    set(&t->cacert, NULL);
    set(&t->cert, NULL);
    set(&t->pkey, NULL);
    set(&t->token, NULL);
}
