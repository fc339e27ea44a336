/*
 * client.c - the etcd v3 JSON gateway client (see etcd.h): range, txn
 * compare-and-swap, put and the NDJSON watch stream, on libcurl (loaded
 * on first use: curl_dl.h).
 */
#include "etcd/etcd.h"

#include "etcd/curl_dl.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A request or response larger than this is refused (a config value is
 * bounded by etcd's own 1.5 MiB request limit; this leaves room for the
 * base64 and the JSON around it). */
#define ETCD_MAX_RESPONSE (8u << 20)
#define ETCD_CONNECT_MS   2000L
#define ETCD_REQUEST_MS   5000L

int hc__etcd_claims(const char *id)
{
    return id && strncmp(id, "etcd://", 7) == 0;
}

void hc__etcd_target_free(hc__etcd_target *t)
{
    for (int i = 0; i < t->nendpoints; i++)
        free(t->endpoints[i]);
    free(t->key);
    hc__etcd_target_options_free(t);
    memset(t, 0, sizeof *t);
}

int hc__etcd_target_parse(hc__etcd_target *t, const char *url, hc_error *err)
{
    const char *p, *slash;
    memset(t, 0, sizeof *t);
    if (!hc__etcd_claims(url))
        goto bad;
    p = url + 7;
    slash = strchr(p, '/');
    if (!slash || slash == p || !slash[1])
        goto bad;
    while (p < slash) {
        const char *comma = memchr(p, ',', (size_t)(slash - p));
        const char *end = comma ? comma : slash;
        if (end == p || t->nendpoints == HC__ETCD_MAX_ENDPOINTS ||
            !memchr(p, ':', (size_t)(end - p)))
            goto bad;
        t->endpoints[t->nendpoints] = strndup(p, (size_t)(end - p));
        if (!t->endpoints[t->nendpoints])
            goto nomem;
        t->nendpoints++;
        p = comma ? comma + 1 : slash;
    }
    t->key = strdup(slash + 1);
    if (!t->key || hc__etcd_target_options(t) != 0)
        goto nomem;
    return 0;
nomem:
    hc__etcd_target_free(t);
    hc__error_set(err, HC_ENOMEM, url, 0, 0, 0, "out of memory");
    return HC_ENOMEM;
bad:
    hc__etcd_target_free(t);
    hc__error_set(err, HC_EINVAL, url, 0, 0, 0,
                  "not an etcd config name: expected "
                  "etcd://HOST:PORT[,HOST:PORT...]/KEY");
    return HC_EINVAL;
}

void hc__etcd_next_endpoint(hc__etcd_target *t)
{
    if (t->nendpoints > 0)
        t->current = (t->current + 1) % t->nendpoints;
}

/* ---- base64 ------------------------------------------------------------ */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hc__b64_encode(const void *in, size_t len, char **out)
{
    const unsigned char *s = in;
    char *o = malloc((len + 2) / 3 * 4 + 1), *d = o;
    if (!o)
        return HC_ENOMEM;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        *d++ = b64[(v >> 18) & 63];
        *d++ = b64[(v >> 12) & 63];
        *d++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        *d++ = i + 2 < len ? b64[v & 63] : '=';
    }
    *d = 0;
    *out = o;
    return 0;
}

static int b64_val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

int hc__b64_decode(const char *in, size_t len, char **out, size_t *outlen)
{
    char *o, *d;
    if (len % 4)
        return HC_EPARSE;
    o = calloc(1, len / 4 * 3 + 1);
    if (!o)
        return HC_ENOMEM;
    d = o;
    for (size_t i = 0; i < len; i += 4) {
        int a = b64_val(in[i]), b = b64_val(in[i + 1]);
        int pad2 = in[i + 2] == '=', pad3 = in[i + 3] == '=';
        int c = pad2 ? 0 : b64_val(in[i + 2]),
            e = pad3 ? 0 : b64_val(in[i + 3]);
        if (a < 0 || b < 0 || c < 0 || e < 0 || (pad2 && !pad3) ||
            ((pad2 || pad3) && i + 4 != len)) {
            free(o);
            return HC_EPARSE;
        }
        *d++ = (char)((a << 2) | (b >> 4));
        if (!pad2)
            *d++ = (char)(((b & 15) << 4) | (c >> 2));
        if (!pad3)
            *d++ = (char)(((c & 3) << 6) | e);
    }
    *d = 0;
    *outlen = (size_t)(d - o);
    *out = o;
    return 0;
}

/* ---- requests ---------------------------------------------------------- */

typedef struct body {
    char *buf;
    size_t len, cap;
} body;

static size_t collect(char *p, size_t size, size_t n, void *data)
{
    body *b = data;
    size_t add = size * n;
    if (b->len + add + 1 > ETCD_MAX_RESPONSE)
        return 0; /* curl fails the transfer */
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *nb;
        while (cap < b->len + add + 1)
            cap *= 2;
        if (!(nb = realloc(b->buf, cap)))
            return 0;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, p, add);
    b->len += add;
    b->buf[b->len] = 0;
    return add;
}

static int use_tls(const hc__etcd_target *t)
{
    return t->cacert || t->cert;
}

static CURL *easy_for(hc__etcd_target *t, const char *api, const char *req,
                      struct curl_slist **hdrs, char *url, size_t urlsz,
                      char *errbuf)
{
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    snprintf(url, urlsz, "%s://%s/v3/%s", use_tls(t) ? "https" : "http",
             t->endpoints[t->current], api);
    *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    /* Without it a watch on a member that lost quorum stays open and
     * silent; with it the member fails the watch within seconds. */
    *hdrs = curl_slist_append(*hdrs, "Grpc-Metadata-hasleader: true");
    if (t->token) { /* etcd wants the bare token, no "Bearer" */
        char a[512];
        snprintf(a, sizeof a, "Authorization: %s", t->token);
        *hdrs = curl_slist_append(*hdrs, a);
    }
    errbuf[0] = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ETCD_CONNECT_MS);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (t->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, t->cacert);
    if (t->cert) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, t->cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, t->pkey ? t->pkey : t->cert);
    }
    return h;
}

/* Did etcd refuse the request for its token (expired, invalid, none)? */
static int auth_refused(long status, const char *msg)
{
    return status == 401 || (msg && (strstr(msg, "invalid auth token") ||
                                     strstr(msg, "user name is empty")));
}

/* POSTs req to /v3/api once; *resp is the parsed reply. *refused: the
 * token was not accepted. */
static int call_once(hc__etcd_target *t, const char *api, json_t *req,
                     json_t **resp, int *refused, hc_error *err)
{
    char url[512], errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hdrs = NULL;
    body b = {NULL, 0, 0};
    char *text = json_dumps(req, JSON_COMPACT);
    CURL *h;
    CURLcode cc;
    long status = 0;
    json_error_t je;
    int rc = HC_EIO;

    *resp = NULL;
    if (hc__curl_load(t->endpoints[t->current], err) != 0) {
        free(text);
        return HC_ENOTSUP;
    }
    if (!text)
        return HC_ENOMEM;
    h = easy_for(t, api, text, &hdrs, url, sizeof url, errbuf);
    if (!h) {
        free(text);
        return HC_ENOMEM;
    }
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ETCD_REQUEST_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK) {
        hc__error_set(err, HC_EIO, url, 0, 0, 0, "etcd: %s",
                      errbuf[0] ? errbuf : curl_easy_strerror(cc));
    } else if (!b.buf || !(*resp = json_loadb(b.buf, b.len, 0, &je))) {
        hc__error_set(err, HC_EIO, url, 0, 0, 0,
                      "etcd: HTTP %ld, not a JSON reply", status);
    } else if (status != 200 || json_object_get(*resp, "error") ||
               json_object_get(*resp, "code")) {
        json_t *m = json_object_get(*resp, "message");
        if (!m)
            m = json_object_get(*resp, "error");
        const char *msg = json_is_string(m) ? json_string_value(m) : "error";
        *refused = auth_refused(status, msg);
        hc__error_set(
            err, HC_EIO, url, 0, 0, 0, "etcd: HTTP %ld: %s%s", status, msg,
            *refused && !t->user ? " (auth is enabled: give a user)" : "");
        json_decref(*resp);
        *resp = NULL;
    } else {
        rc = 0;
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    free(text);
    free(b.buf);
    return rc;
}

/* Gets a token for t's user (t->token replaced). */
static int authenticate(hc__etcd_target *t, hc_error *err)
{
    json_t *req, *resp;
    int refused = 0, rc;
    free(t->token);
    t->token = NULL;
    req = json_pack("{s:s,s:s}", "name", t->user, "password",
                    t->password ? t->password : "");
    if (!req)
        return HC_ENOMEM;
    rc = call_once(t, "auth/authenticate", req, &resp, &refused, err);
    json_decref(req);
    if (rc != 0)
        return rc;
    if (json_is_string(json_object_get(resp, "token")))
        t->token = strdup(json_string_value(json_object_get(resp, "token")));
    else /* auth is not enabled: etcd takes requests without a token */
        t->token = NULL;
    json_decref(resp);
    return 0;
}

/* Makes sure t has a token when it has a user. */
static int ensure_token(hc__etcd_target *t, hc_error *err)
{
    return t->user && !t->token ? authenticate(t, err) : 0;
}

/* POSTs req to /v3/api; *resp is the parsed reply. A token refused
 * (expired: simple tokens live --auth-token-ttl seconds) is replaced
 * once. */
static int call(hc__etcd_target *t, const char *api, json_t *req, json_t **resp,
                hc_error *err)
{
    int refused = 0, rc = ensure_token(t, err);
    if (rc != 0)
        return rc;
    rc = call_once(t, api, req, resp, &refused, err);
    if (rc != 0 && refused && t->user) {
        hc_error_init(err);
        if ((rc = authenticate(t, err)) == 0)
            rc = call_once(t, api, req, resp, &refused, err);
    }
    return rc;
}

/* int64 fields come as JSON strings (and are left out when zero). */
static int64_t i64(const json_t *o, const char *name)
{
    const json_t *v = json_object_get(o, name);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    return 0;
}

static json_t *b64_json(const char *s, size_t len)
{
    char *enc;
    json_t *j;
    if (hc__b64_encode(s, len, &enc) != 0)
        return NULL;
    j = json_string(enc);
    free(enc);
    return j;
}

/* A kv's value, decoded. */
static int kv_value(const json_t *kv, char **value, size_t *len)
{
    const json_t *v = json_object_get(kv, "value");
    if (!json_is_string(v)) { /* an empty value is left out */
        *value = strdup("");
        *len = 0;
        return *value ? 0 : HC_ENOMEM;
    }
    return hc__b64_decode(json_string_value(v), json_string_length(v), value,
                          len);
}

int hc__etcd_get_at(hc__etcd_target *t, const char *key, int64_t rev,
                    char **value, size_t *len, int64_t *mod_rev,
                    int64_t *version, int64_t *header_rev, hc_error *err)
{
    json_t *req = json_object(), *resp, *kvs;
    int rc;
    *value = NULL;
    *len = 0;
    *mod_rev = 0;
    if (version)
        *version = 0;
    json_object_set_new(req, "key", b64_json(key, strlen(key)));
    if (rev > 0) {
        char r[32];
        snprintf(r, sizeof r, "%lld", (long long)rev);
        json_object_set_new(req, "revision", json_string(r));
    }
    rc = call(t, "kv/range", req, &resp, err);
    json_decref(req);
    if (rc != 0) {
        if (rev > 0 && strstr(err->text, "compacted")) {
            /* "mvcc: required revision has been compacted" */
            hc__error_set(err, HC_ESTATE, key, 0, 0, 0,
                          "revision %lld was compacted away in etcd",
                          (long long)rev);
            return HC_ESTATE;
        }
        return rc;
    }
    kvs = json_object_get(resp, "kvs");
    if (json_array_size(kvs) > 0) {
        json_t *kv = json_array_get(kvs, 0);
        *mod_rev = i64(kv, "mod_revision");
        if (version)
            *version = i64(kv, "version");
        if (kv_value(kv, value, len) != 0) {
            hc__error_set(err, HC_EIO, key, 0, 0, 0,
                          "etcd: the value is not valid base64");
            rc = HC_EIO;
        }
    }
    if (header_rev)
        *header_rev = i64(json_object_get(resp, "header"), "revision");
    json_decref(resp);
    return rc;
}

int hc__etcd_get(hc__etcd_target *t, char **value, size_t *len,
                 int64_t *mod_rev, int64_t *header_rev, hc_error *err)
{
    return hc__etcd_get_at(t, t->key, 0, value, len, mod_rev, NULL, header_rev,
                           err);
}

json_t *hc__etcd_list(hc__etcd_target *t, const char *prefix, hc_error *err)
{
    size_t n = strlen(prefix), i;
    char *end = malloc(n + 1);
    json_t *req, *resp, *kv, *out;
    if (!end)
        return NULL;
    /* range_end = the prefix with its last byte + 1 */
    memcpy(end, prefix, n + 1);
    end[n - 1] = (char)(end[n - 1] + 1);
    req = json_pack("{s:o,s:o}", "key", b64_json(prefix, n), "range_end",
                    b64_json(end, n));
    free(end);
    if (!req || call(t, "kv/range", req, &resp, err) != 0) {
        json_decref(req);
        return NULL;
    }
    json_decref(req);
    out = json_array();
    json_array_foreach(json_object_get(resp, "kvs"), i, kv)
    {
        const json_t *k = json_object_get(kv, "key");
        char *key = NULL, *v = NULL;
        size_t klen, vlen;
        if (json_is_string(k) &&
            hc__b64_decode(json_string_value(k), json_string_length(k), &key,
                           &klen) == 0 &&
            kv_value(kv, &v, &vlen) == 0)
            json_array_append_new(
                out,
                json_pack("{s:s%,s:s%,s:I}", "key", key, klen, "value", v, vlen,
                          "mod_revision", (json_int_t)i64(kv, "mod_revision")));
        free(key);
        free(v);
    }
    json_decref(resp);
    return out;
}

int hc__etcd_put_key(hc__etcd_target *t, const char *key, const char *value,
                     size_t len, int64_t lease, hc_error *err)
{
    json_t *req = json_pack("{s:o,s:o}", "key", b64_json(key, strlen(key)),
                            "value", b64_json(value, len)),
           *resp;
    int rc;
    if (!req)
        return HC_ENOMEM;
    if (lease) {
        char l[32];
        snprintf(l, sizeof l, "%lld", (long long)lease);
        json_object_set_new(req, "lease", json_string(l));
    }
    rc = call(t, "kv/put", req, &resp, err);
    json_decref(req);
    if (rc == 0)
        json_decref(resp);
    return rc;
}

int hc__etcd_delete_key(hc__etcd_target *t, const char *key, hc_error *err)
{
    json_t *req = json_pack("{s:o}", "key", b64_json(key, strlen(key))), *resp;
    int rc = req ? call(t, "kv/deleterange", req, &resp, err) : HC_ENOMEM;
    json_decref(req);
    if (rc == 0)
        json_decref(resp);
    return rc;
}

/* A lease call: {"ID": id} (or {"TTL": ttl} to grant). */
static int lease_call(hc__etcd_target *t, const char *api, int64_t id, int ttl,
                      json_t **resp, hc_error *err)
{
    char v[32];
    json_t *req;
    int rc;
    snprintf(v, sizeof v, "%lld", (long long)id);
    req = ttl ? json_pack("{s:i}", "TTL", ttl) : json_pack("{s:s}", "ID", v);
    if (!req)
        return HC_ENOMEM;
    rc = call(t, api, req, resp, err);
    json_decref(req);
    return rc;
}

int hc__etcd_lease_grant(hc__etcd_target *t, int ttl, int64_t *id,
                         hc_error *err)
{
    json_t *resp;
    int rc = lease_call(t, "lease/grant", 0, ttl, &resp, err);
    if (rc != 0)
        return rc;
    *id = i64(resp, "ID");
    json_decref(resp);
    if (*id == 0) {
        hc__error_set(err, HC_EIO, t->key, 0, 0, 0,
                      "etcd: a lease grant without an ID");
        return HC_EIO;
    }
    return 0;
}

int hc__etcd_lease_keepalive(hc__etcd_target *t, int64_t id, int64_t *ttl,
                             hc_error *err)
{
    json_t *resp;
    /* A one-message stream: the gateway answers {"result":{...}} and ends
     * it when our request body ends. */
    int rc = lease_call(t, "lease/keepalive", id, 0, &resp, err);
    if (rc != 0)
        return rc;
    *ttl = i64(json_object_get(resp, "result"), "TTL");
    json_decref(resp);
    return 0;
}

int hc__etcd_lease_revoke(hc__etcd_target *t, int64_t id, hc_error *err)
{
    json_t *resp;
    int rc = lease_call(t, "lease/revoke", id, 0, &resp, err);
    if (rc == 0)
        json_decref(resp);
    return rc;
}

int hc__etcd_put(hc__etcd_target *t, const char *value, size_t len,
                 int64_t expect_mod, int64_t *new_rev, hc_error *err)
{
    json_t *put = json_object(), *req, *resp;
    int rc;
    json_object_set_new(put, "key", b64_json(t->key, strlen(t->key)));
    json_object_set_new(put, "value", b64_json(value, len));
    if (expect_mod < 0) {
        rc = call(t, "kv/put", put, &resp, err);
        json_decref(put);
    } else {
        char rev[32];
        json_t *cmp = json_object(), *op = json_object();
        snprintf(rev, sizeof rev, "%lld", (long long)expect_mod);
        json_object_set_new(cmp, "key", b64_json(t->key, strlen(t->key)));
        json_object_set_new(cmp, "target", json_string("MOD"));
        json_object_set_new(cmp, "result", json_string("EQUAL"));
        json_object_set_new(cmp, "mod_revision", json_string(rev));
        json_object_set_new(op, "request_put", put);
        req = json_pack("{s:[o],s:[o],s:[{s:{s:O}}]}", "compare", cmp,
                        "success", op, "failure", "request_range", "key",
                        json_object_get(cmp, "key"));
        rc = req ? call(t, "kv/txn", req, &resp, err) : HC_ENOMEM;
        json_decref(req);
        if (rc == 0 && !json_is_true(json_object_get(resp, "succeeded"))) {
            /* A failed txn has no "succeeded"; the failure branch read
             * what is there now, to say who won. */
            json_t *r = json_object_get(
                json_object_get(
                    json_array_get(json_object_get(resp, "responses"), 0),
                    "response_range"),
                "kvs");
            int64_t now = i64(json_array_get(r, 0), "mod_revision");
            hc__error_set(err, HC_ESTATE, t->key, 0, 0, 0,
                          "someone else wrote first: expected mod_revision "
                          "%lld, found %lld",
                          (long long)expect_mod, (long long)now);
            rc = HC_ESTATE;
        }
    }
    if (rc == 0 && new_rev)
        *new_rev = i64(json_object_get(resp, "header"), "revision");
    if (rc == 0 || rc == HC_ESTATE)
        json_decref(resp);
    return rc;
}

/* ---- watch ------------------------------------------------------------- */

typedef struct stream {
    body line;            /* bytes of the object not yet complete */
    hc__etcd_event_cb cb; /* the caller's */
    void *data;
    atomic_int *stop;
    int outcome; /* 0 running, 1 stopped, HC__ETCD_COMPACTED, HC_EIO */
    int64_t compact_rev;
    int refused; /* the token was refused: get a new one next time */
    char why[256];
} stream;

/* One object of the stream. Returns 0 to go on. */
static int on_object(stream *s, json_t *o)
{
    json_t *res = json_object_get(o, "result"), *ev;
    size_t i;
    if (json_object_get(o, "error") || !res) {
        json_t *m = json_object_get(json_object_get(o, "error"), "message");
        snprintf(s->why, sizeof s->why, "etcd: watch error: %s",
                 json_is_string(m) ? json_string_value(m) : "(no message)");
        s->refused = auth_refused(0, s->why);
        s->outcome = HC_EIO;
        return -1;
    }
    if (json_is_true(json_object_get(res, "canceled"))) {
        s->compact_rev = i64(res, "compact_revision");
        if (s->compact_rev > 0) {
            s->outcome = HC__ETCD_COMPACTED;
        } else {
            json_t *r = json_object_get(res, "cancel_reason");
            snprintf(s->why, sizeof s->why, "etcd: watch canceled: %s",
                     json_is_string(r) ? json_string_value(r) : "no reason");
            /* a token refused (expired, or etcd restarted: simple tokens
             * live in its memory) cancels the watch at creation */
            s->refused = auth_refused(0, s->why);
            s->outcome = HC_EIO;
        }
        return -1;
    }
    json_array_foreach(json_object_get(res, "events"), i, ev)
    {
        json_t *kv = json_object_get(ev, "kv");
        const json_t *type = json_object_get(ev, "type");
        int64_t rev = i64(kv, "mod_revision");
        int stop;
        if (json_is_string(type) &&
            strcmp(json_string_value(type), "DELETE") == 0) {
            stop = s->cb(s->data, NULL, 0, rev);
        } else {
            char *v;
            size_t len;
            if (kv_value(kv, &v, &len) != 0) {
                snprintf(s->why, sizeof s->why,
                         "etcd: a watch event's value is not valid base64");
                s->outcome = HC_EIO;
                return -1;
            }
            stop = s->cb(s->data, v, len, rev);
            free(v);
        }
        if (stop) {
            s->outcome = 1;
            return -1;
        }
    }
    return 0;
}

static size_t on_stream(char *p, size_t size, size_t n, void *data)
{
    stream *s = data;
    size_t add = size * n, start = 0;
    if (collect(p, 1, add, &s->line) != add) {
        snprintf(s->why, sizeof s->why, "etcd: a watch message is too large");
        s->outcome = HC_EIO;
        return 0;
    }
    /* Objects are newline-delimited; a chunk may end inside one. */
    for (size_t i = 0; i < s->line.len; i++) {
        json_t *o;
        json_error_t je;
        if (s->line.buf[i] != '\n')
            continue;
        if (i > start) {
            o = json_loadb(s->line.buf + start, i - start, 0, &je);
            if (!o) {
                snprintf(s->why, sizeof s->why,
                         "etcd: the watch stream is not JSON: %s", je.text);
                s->outcome = HC_EIO;
                return 0;
            }
            if (on_object(s, o) != 0) {
                json_decref(o);
                return 0;
            }
            json_decref(o);
        }
        start = i + 1;
    }
    memmove(s->line.buf, s->line.buf + start, s->line.len - start);
    s->line.len -= start;
    return add;
}

/* Called about once a second even when nothing arrives: how a stop
 * request reaches a blocked stream. */
static int on_progress(void *data, curl_off_t a, curl_off_t b, curl_off_t c,
                       curl_off_t d)
{
    stream *s = data;
    if (atomic_load(s->stop)) {
        s->outcome = 1;
        return 1;
    }
    return 0;
}

int hc__etcd_watch(hc__etcd_target *t, int64_t start_rev, hc__etcd_event_cb cb,
                   void *data, atomic_int *stop, int64_t *compact_rev,
                   hc_error *err)
{
    char url[512], errbuf[CURL_ERROR_SIZE], *text, rev[32];
    struct curl_slist *hdrs = NULL;
    stream s;
    json_t *req;
    CURL *h;
    CURLcode cc;
    long status = 0;

    if (hc__curl_load(t->endpoints[t->current], err) != 0)
        return HC_ENOTSUP;
    if (ensure_token(t, err) != 0)
        return HC_EIO;
    memset(&s, 0, sizeof s);
    s.cb = cb;
    s.data = data;
    s.stop = stop;
    snprintf(rev, sizeof rev, "%lld", (long long)start_rev);
    req = json_pack("{s:{s:o,s:s}}", "create_request", "key",
                    b64_json(t->key, strlen(t->key)), "start_revision", rev);
    text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!text ||
        !(h = easy_for(t, "watch", text, &hdrs, url, sizeof url, errbuf))) {
        free(text);
        return HC_ENOMEM;
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
    /* A stream is idle while nothing changes: keepalive finds a peer
     * that vanished without closing. */
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 5L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 2L);
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    free(text);
    free(s.line.buf);
    if (s.outcome == 1)
        return 0;
    if (s.outcome == HC__ETCD_COMPACTED) {
        *compact_rev = s.compact_rev;
        return HC__ETCD_COMPACTED;
    }
    if (s.refused || status == 401) {
        free(t->token);
        t->token = NULL;
    }
    if (s.outcome == HC_EIO)
        hc__error_set(err, HC_EIO, url, 0, 0, 0, "%s", s.why);
    else if (cc != CURLE_OK)
        hc__error_set(err, HC_EIO, url, 0, 0, 0, "etcd: %s",
                      errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else
        hc__error_set(err, HC_EIO, url, 0, 0, 0,
                      "etcd: the watch stream ended (HTTP %ld)", status);
    return HC_EIO;
}
