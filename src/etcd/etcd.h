/*
 * etcd.h - a small etcd v3 client over the JSON gateway (/v3/), on
 * libcurl and jansson, and the etcd config source built on it.
 *
 * The gateway speaks JSON with keys and values in base64 and int64 as
 * JSON strings; a watch is one POST whose response is a stream of
 * newline-delimited JSON objects that stays open. Errors inside a stream
 * come as {"error":...} on HTTP 200, and a compaction cancels the watch
 * with compact_revision while the stream stays open: the client closes it
 * and re-reads. Every request carries Grpc-Metadata-hasleader: true, so a
 * member that lost quorum fails the watch instead of staying silent.
 *
 * Config names: etcd://HOST:PORT[,HOST:PORT...]/KEY. Endpoints are tried
 * in order; on a failure the client moves to the next one.
 *
 * Threads: a hc__etcd_target is used by one thread at a time. Every call
 * blocks on the network (bounded by timeouts, except a watch, which runs
 * until its stop flag is set, the stream ends or the endpoint fails).
 */
#ifndef HC_ETCD_H
#define HC_ETCD_H

#include "internal.h"

#include <jansson.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HC__ETCD_MAX_ENDPOINTS 16

typedef struct hc__etcd_target {
    char *endpoints[HC__ETCD_MAX_ENDPOINTS]; /* "host:port" */
    int nendpoints;
    int current; /* the endpoint in use; moves on failure */
    char *key;   /* raw key bytes (NUL-terminated) */
    /* Copied from the process-wide options (hc_etcd_configure) when the
     * target is parsed; NULL: not used. */
    char *user, *password;      /* auth: POST /v3/auth/authenticate */
    char *cacert, *cert, *pkey; /* TLS (https) when cacert or cert set */
    char *token;                /* the auth token; NULL: authenticate first */
} hc__etcd_target;

/* Is id an etcd config name ("etcd://")? */
int hc__etcd_claims(const char *id);

/* Parses etcd://HOST:PORT[,...]/KEY into t. Returns 0 or HC_EINVAL (err
 * filled). Free with hc__etcd_target_free. */
int hc__etcd_target_parse(hc__etcd_target *t, const char *url, hc_error *err);
void hc__etcd_target_free(hc__etcd_target *t);
/* Copies the process-wide auth and TLS options into t (options.c), and
 * frees them (with the token). */
int hc__etcd_target_options(hc__etcd_target *t);
void hc__etcd_target_options_free(hc__etcd_target *t);
/* Moves to the next endpoint (after a failure). */
void hc__etcd_next_endpoint(hc__etcd_target *t);

/* base64 (RFC 4648, padded): *out is malloc'd, NUL-terminated. Decode
 * returns HC_EPARSE on bad input. */
int hc__b64_encode(const void *in, size_t len, char **out);
int hc__b64_decode(const char *in, size_t len, char **out, size_t *outlen);

/* Reads t's key. value (malloc'd, NUL-terminated) is NULL when the key
 * does not exist (then mod_rev is 0). header_rev is the store's revision
 * at the read. Returns 0, or HC_EIO with err filled (the endpoint is not
 * changed: the caller decides). */
int hc__etcd_get(hc__etcd_target *t, char **value, size_t *len,
                 int64_t *mod_rev, int64_t *header_rev, hc_error *err);

/* Writes value to t's key. expect_mod >= 0: only when the key's
 * mod_revision is still expect_mod (0: the key must not exist), as one
 * txn comparing MOD; expect_mod < 0: unconditionally. *new_rev (may be
 * NULL) receives the revision written. Returns 0; HC_ESTATE when the
 * compare failed (someone else wrote first: err says the revision now
 * there); HC_EIO on a network or server error. */
int hc__etcd_put(hc__etcd_target *t, const char *value, size_t len,
                 int64_t expect_mod, int64_t *new_rev, hc_error *err);

/* One watch event on the key: a put (value set) or a delete (value
 * NULL). Return non-zero to stop the watch. Called on the watching
 * thread. */
typedef int (*hc__etcd_event_cb)(void *data, const char *value, size_t len,
                                 int64_t mod_rev);

/* Watches t's key from start_rev on the current endpoint until *stop is
 * set, the callback asks to stop, or the stream fails. Returns 0 when
 * stopped; HC__ETCD_COMPACTED when start_rev was compacted away
 * (*compact_rev set: re-read and watch again from the read's revision +
 * 1); HC_EIO when the endpoint failed or closed the stream (err says why;
 * resume from the last event's revision + 1, on the next endpoint). */
#define HC__ETCD_COMPACTED 2
int hc__etcd_watch(hc__etcd_target *t, int64_t start_rev, hc__etcd_event_cb cb,
                   void *data, atomic_int *stop, int64_t *compact_rev,
                   hc_error *err);

/* Reads key (not t's: any key on t's endpoints) as of revision rev (0:
 * now). As hc__etcd_get, plus *version (may be NULL: the key's
 * modification count since its creation, 0 when absent). HC_ESTATE (err:
 * "compacted") when rev was compacted away. */
int hc__etcd_get_at(hc__etcd_target *t, const char *key, int64_t rev,
                    char **value, size_t *len, int64_t *mod_rev,
                    int64_t *version, int64_t *header_rev, hc_error *err);

/* Every key under prefix: a new JSON array of {"key","value" (text),
 * "mod_revision"} (NULL on error, err filled). */
json_t *hc__etcd_list(hc__etcd_target *t, const char *prefix, hc_error *err);

/* Writes key = value unconditionally, bound to lease (0: none). */
int hc__etcd_put_key(hc__etcd_target *t, const char *key, const char *value,
                     size_t len, int64_t lease, hc_error *err);
/* Deletes key. */
int hc__etcd_delete_key(hc__etcd_target *t, const char *key, hc_error *err);

/* Leases: grant (*id set), one keepalive (*ttl the TTL left; 0: the lease
 * is gone), revoke (the keys bound to it go at once). */
int hc__etcd_lease_grant(hc__etcd_target *t, int ttl, int64_t *id,
                         hc_error *err);
int hc__etcd_lease_keepalive(hc__etcd_target *t, int64_t id, int64_t *ttl,
                             hc_error *err);
int hc__etcd_lease_revoke(hc__etcd_target *t, int64_t id, hc_error *err);

/* ---- fleet rollout status (src/etcd/status.c) --------------------------
 * Each node watching etcd://.../KEY reports under KEY/.status/NODE, a JSON
 * object {"node","revision","hash","outcome","error","attempted",
 * "time"} bound to the node's lease (see hc_etcd_report_status). */
#define HC__ETCD_STATUS_DIR "/.status/"

/* The follower's outcome for one etcd revision of config id: rc is what
 * hc__apply returned (HC_OK, HC__APPLY_UNCHANGED or an error, err
 * filled), bytes the content. Any thread; never blocks on the network. */
void hc__etcd_status_note(hc_engine *e, const char *id, int64_t rev,
                          const char *bytes, size_t len, int rc,
                          const hc_error *err);
/* Stops e's reporter (revoking its lease); before hc_engine_free. */
void hc__etcd_status_stop(hc_engine *e);

/* ---- the source (src/sources/etcd.c) ---------------------------------- */

/* hc_engine_watch starts the follower of an etcd:// config itself: this
 * only checks that id is followed by the etcd source. Returns 0, HC_EINVAL
 * (not an etcd name) or HC_ENOTWATCHED; followers stop in hc_engine_free. */
int hc__etcd_follow(hc_engine *e, const char *id, hc_error *err);
/* The mod_revision of the version this follower made live (0: none, -1:
 * id not followed). The memory store does not keep source revisions, so
 * the follower remembers its own. */
long long hc__etcd_live_revision(hc_engine *e, const char *id);

#endif /* HC_ETCD_H */
