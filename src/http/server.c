/*
 * server.c - the HTTP listener (libmicrohttpd, thread per connection).
 *
 * One thread per connection, at most max_connections of them, each with an
 * idle timeout: a slowloris client holds one thread and its own socket,
 * never the others'. Headers are bounded by MHD's per-connection memory
 * pool (max_header_bytes: a larger request gets 431), bodies by
 * max_body_bytes (413). An SSE stream blocks in its own thread on the
 * hub's condition variable and sends a comment every timeout_s / 2 so the
 * idle timeout does not close it.
 *
 * Security: GETs are read-only and show masked values. A POST needs
 * "Authorization: Bearer TOKEN" (401), an Origin (when sent) equal to the
 * page's own (403, before the token is even looked at), no cross-site
 * Sec-Fetch-Site (403), and Content-Type application/json (415), which a
 * cross-origin page cannot send without a CORS preflight we never grant.
 * On a loopback address the Host header must name loopback too (DNS
 * rebinding).
 */
#include "http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define CSP                                                                    \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' " \
    "data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "         \
    "frame-ancestors 'none'"

typedef struct req {
    char *body;
    size_t len;
    int too_big;
} req;

typedef struct sse {
    hc_http *h;
    uint64_t seq; /* last event sent */
    char *out;    /* pending bytes */
    size_t olen, ooff;
    int started;
} sse;

static enum MHD_Result send_body(struct MHD_Connection *conn, unsigned status,
                                 const char *type, char *body, size_t len,
                                 const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ret;
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (allow)
        MHD_add_response_header(r, "Allow", allow);
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate",
                                "Bearer realm=\"hotconf\"");
    if (strncmp(type, "text/html", 9) == 0) {
        MHD_add_response_header(r, "Content-Security-Policy", CSP);
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
    }
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status,
                                 json_t *j, const char *allow)
{
    char *s;
    if (!j)
        return MHD_NO;
    s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s)
        return MHD_NO;
    {
        size_t n = strlen(s);
        char *t = realloc(s, n + 2);
        if (t) {
            s = t;
            s[n++] = '\n';
            s[n] = '\0';
        }
        return send_body(conn, status, "application/json; charset=utf-8", s,
                         strlen(s), allow);
    }
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status,
                                  const char *msg, const char *allow)
{
    json_t *o = json_object();
    json_object_set_new(o, "error", json_string(msg));
    json_object_set_new(o, "status", json_integer(status));
    return send_json(conn, status, o, allow);
}

static enum MHD_Result send_asset(struct MHD_Connection *conn,
                                  const unsigned char *data, size_t len,
                                  const char *type)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return MHD_NO;
    memcpy(copy, data, len);
    return send_body(conn, MHD_HTTP_OK, type, copy, len, NULL);
}

/* ---- SSE ------------------------------------------------------------------
 */

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    sse *s = cls;
    hc_http *h = s->h;
    size_t n;
    (void)pos;
    if (s->ooff >= s->olen) {
        hc__sbuf b = {0};
        struct timespec ts;
        free(s->out);
        s->out = NULL;
        s->olen = s->ooff = 0;
        pthread_mutex_lock(&h->lock);
        if (!s->started) {
            char line[64];
            s->started = 1;
            /* the browser reconnects after 1 s; Last-Event-ID catches up */
            hc__sbuf_puts(&b, "retry: 1000\n");
            if (s->seq == 0 || s->seq > h->seq ||
                h->seq - s->seq >= HC__HTTP_EVENTS) {
                snprintf(line, sizeof line,
                         "id: %llu\nevent: reset\ndata: {}\n\n",
                         (unsigned long long)h->seq);
                hc__sbuf_puts(&b, line);
                s->seq = h->seq;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += h->timeout_s > 1 ? h->timeout_s / 2 : 1;
        while (!h->stopping && s->seq == h->seq && b.len == 0)
            if (pthread_cond_timedwait(&h->cond, &h->lock, &ts) == ETIMEDOUT)
                break;
        if (h->stopping) {
            pthread_mutex_unlock(&h->lock);
            hc__sbuf_free(&b);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (h->seq - s->seq >= HC__HTTP_EVENTS) {
            hc__sbuf_puts(&b, "event: reset\ndata: {}\n\n");
            s->seq = h->seq;
        }
        for (; s->seq < h->seq; s->seq++)
            hc__sbuf_puts(&b, h->ring[(s->seq + 1) % HC__HTTP_EVENTS].text);
        pthread_mutex_unlock(&h->lock);
        if (b.len == 0)
            hc__sbuf_puts(&b, ": ping\n\n");
        s->olen = b.len;
        s->out = hc__sbuf_take(&b);
        if (!s->out)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    n = s->olen - s->ooff;
    if (n > max)
        n = max;
    memcpy(buf, s->out + s->ooff, n);
    s->ooff += n;
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    sse *s = cls;
    pthread_mutex_lock(&s->h->lock);
    s->h->sse_clients--;
    pthread_mutex_unlock(&s->h->lock);
    free(s->out);
    free(s);
}

static enum MHD_Result serve_events(hc_http *h, struct MHD_Connection *conn)
{
    const char *last =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
    struct MHD_Response *r;
    enum MHD_Result ret;
    sse *s;
    pthread_mutex_lock(&h->lock);
    if (h->sse_clients >= h->max_connections / 2) {
        pthread_mutex_unlock(&h->lock);
        return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                          "too many event streams", NULL);
    }
    h->sse_clients++;
    pthread_mutex_unlock(&h->lock);
    s = calloc(1, sizeof *s);
    if (!s) {
        pthread_mutex_lock(&h->lock);
        h->sse_clients--;
        pthread_mutex_unlock(&h->lock);
        return MHD_NO;
    }
    s->h = h;
    if (last)
        s->seq = strtoull(last, NULL, 10);
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s,
                                          sse_free);
    if (!r) {
        sse_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- checks ---------------------------------------------------------------
 */

static int host_ok(hc_http *h, struct MHD_Connection *conn)
{
    const char *host =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    char want[3][64];
    if (!h->loopback)
        return 1;
    if (!host)
        return 0;
    snprintf(want[0], sizeof want[0], "127.0.0.1:%d", h->port);
    snprintf(want[1], sizeof want[1], "localhost:%d", h->port);
    snprintf(want[2], sizeof want[2], "[::1]:%d", h->port);
    for (int i = 0; i < 3; i++)
        if (strcasecmp(host, want[i]) == 0)
            return 1;
    return 0;
}

/* 403 reason, or NULL when the request comes from our own page or no
 * browser page at all. */
static const char *cross_site(struct MHD_Connection *conn)
{
    const char *origin =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    const char *site =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (origin) {
        if (!host || strncmp(origin, "http://", 7) != 0 ||
            strcasecmp(origin + 7, host) != 0)
            return "cross-origin request refused";
    }
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
        return "cross-site request refused";
    return NULL;
}

static int token_ok(hc_http *h, struct MHD_Connection *conn)
{
    const char *a =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    size_t n = strlen(h->token), m;
    unsigned char diff = 0;
    if (!a || strncasecmp(a, "Bearer ", 7) != 0)
        return 0;
    a += 7;
    m = strlen(a);
    /* constant time in the token's length */
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(h->token[i] ^ (i < m ? a[i] : 0));
    return diff == 0 && m == n;
}

/* ---- routes ----------------------------------------------------------------
 */

static enum MHD_Result rollback(hc_http *h, struct MHD_Connection *conn,
                                const char *id, req *rq)
{
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *why = cross_site(conn);
    json_error_t je;
    json_t *body, *vb, *vv, *o;
    char *path;
    json_int_t back = -1;
    int rc;
    uint64_t now_live = 0;
    if (why)
        return send_error(conn, MHD_HTTP_FORBIDDEN, why, NULL);
    if (!token_ok(h, conn))
        return send_error(conn, MHD_HTTP_UNAUTHORIZED,
                          "a bearer token is required (Authorization: Bearer "
                          "TOKEN, from the http.token file)",
                          NULL);
    if (rq->too_big)
        return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "body too large",
                          NULL);
    if (!ct || strncasecmp(ct, "application/json", 16) != 0)
        return send_error(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                          "Content-Type must be application/json", NULL);
    if (!(path = hc__http_path_of(h, id)))
        return send_error(conn, MHD_HTTP_NOT_FOUND, "no such config", NULL);
    body = json_loadb(rq->body ? rq->body : "", rq->len, 0, &je);
    vb = json_object_get(body, "versions_back");
    vv = json_object_get(body, "version");
    if (!json_is_object(body) || (!vb == !vv) ||
        (vb && (!json_is_integer(vb) || json_integer_value(vb) < 1)) ||
        (vv && (!json_is_integer(vv) || json_integer_value(vv) < 1))) {
        json_decref(body);
        free(path);
        return send_error(conn, MHD_HTTP_BAD_REQUEST,
                          "expected {\"versions_back\":N} or {\"version\":V} "
                          "(positive integers)",
                          NULL);
    }
    if (vb) {
        back = json_integer_value(vb);
    } else {
        hc_version_info info[64];
        int n = hc_history(h->e, path, info, 64);
        for (int i = 0; i < n && i < 64; i++)
            if (info[i].version == (uint64_t)json_integer_value(vv))
                back = i;
        if (back == 0) {
            json_decref(body);
            free(path);
            return send_error(conn, MHD_HTTP_CONFLICT, "that version is live",
                              NULL);
        }
    }
    json_decref(body);
    rc = back < 1
             ? HC_EHISTORY
             : hc_rollback(h->e, path, back > 1000000 ? 1000000 : (int)back);
    if (rc != 0) {
        hc_error err;
        unsigned st = rc == HC_EHISTORY      ? MHD_HTTP_CONFLICT
                      : rc == HC_ENOTWATCHED ? MHD_HTTP_NOT_FOUND
                                             : MHD_HTTP_INTERNAL_SERVER_ERROR;
        hc_engine_last_error(h->e, &err);
        free(path);
        return send_error(conn, st,
                          rc == HC_EHISTORY
                              ? "that version is not kept"
                              : (err.text[0] ? err.text : hc_strerror(rc)),
                          NULL);
    }
    hc_doc_release(hc_config_snapshot(h->e, path, &now_live));
    hc__http_refresh(h, path);
    free(path);
    o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "version", json_integer((json_int_t)now_live));
    json_object_set_new(o, "versions_back", json_integer(back));
    return send_json(conn, MHD_HTTP_OK, o, NULL);
}

/* /api/configs/{id}[/rest]: splits into id and rest (NULL when none). */
static int split_config(const char *url, char *id, size_t idsize,
                        const char **rest)
{
    const char *p = url + strlen("/api/configs/"), *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n >= idsize)
        return -1;
    memcpy(id, p, n);
    id[n] = '\0';
    *rest = slash;
    return 0;
}

static enum MHD_Result route(hc_http *h, struct MHD_Connection *conn,
                             const char *url, const char *method, req *rq)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST");
    int status = 200;
    char id[HC__HTTP_ID_MAX + 1];
    const char *rest;

    if (!host_ok(h, conn))
        return send_error(conn, MHD_HTTP_MISDIRECTED_REQUEST,
                          "Host header must name this loopback address", NULL);
    if (!strcmp(url, "/") || !strncmp(url, "/configs/", 9)) {
        size_t len;
        char *page;
        if (!get)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed", "GET, HEAD");
        page = hc__http_index_page(&len);
        if (!page)
            return MHD_NO;
        return send_body(conn, MHD_HTTP_OK, "text/html; charset=utf-8", page,
                         len, NULL);
    }
    if (!strcmp(url, "/app.js") || !strcmp(url, "/app.css")) {
        if (!get)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed", "GET, HEAD");
        return url[5] == 'j'
                   ? send_asset(conn, hc__web_app_js, hc__web_app_js_len,
                                "text/javascript; charset=utf-8")
                   : send_asset(conn, hc__web_app_css, hc__web_app_css_len,
                                "text/css; charset=utf-8");
    }
    if (!strcmp(url, "/metrics")) {
        char *m;
        if (!get)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed", "GET, HEAD");
        if (!(m = hc__http_metrics(h)))
            return MHD_NO;
        return send_body(conn, MHD_HTTP_OK,
                         "text/plain; version=0.0.4; charset=utf-8", m,
                         strlen(m), NULL);
    }
    if (strncmp(url, "/api/", 5) != 0)
        return send_error(conn, MHD_HTTP_NOT_FOUND, "not found", NULL);
    if (!strcmp(url, "/api/events")) {
        if (!get)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed", "GET, HEAD");
        if (!strcmp(method, "HEAD"))
            return send_body(conn, MHD_HTTP_OK, "text/event-stream", NULL, 0,
                             NULL);
        return serve_events(h, conn);
    }
    if (!strcmp(url, "/api/stats") || !strcmp(url, "/api/configs")) {
        if (!get)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed", "GET, HEAD");
        return send_json(
            conn, MHD_HTTP_OK,
            url[5] == 's' ? hc__http_stats(h) : hc__http_configs(h), NULL);
    }
    if (strncmp(url, "/api/configs/", 13) != 0 ||
        split_config(url, id, sizeof id, &rest) != 0)
        return send_error(conn, MHD_HTTP_NOT_FOUND, "not found", NULL);
    if (rest && !strcmp(rest, "/rollback")) {
        if (!post)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed", "POST");
        return rollback(h, conn, id, rq);
    }
    {
        json_t *j = NULL;
        int known = !rest || !strcmp(rest, "/history") ||
                    !strcmp(rest, "/attempts") ||
                    !strncmp(rest, "/versions/", 10);
        if (!known)
            return send_error(conn, MHD_HTTP_NOT_FOUND, "not found", NULL);
        if (!get)
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed", "GET, HEAD");
        if (!rest) {
            j = hc__http_config(h, id, &status);
        } else if (!strcmp(rest, "/history")) {
            j = hc__http_history(h, id, &status);
        } else if (!strcmp(rest, "/attempts")) {
            j = hc__http_attempts(h, id, &status);
        } else {
            char *end;
            const char *n = rest + 10;
            unsigned long long v = strtoull(n, &end, 10);
            if (!*n || *end || *n < '0' || *n > '9' || v == 0)
                return send_error(conn, MHD_HTTP_BAD_REQUEST,
                                  "a version is a positive integer", NULL);
            j = hc__http_version(h, id, v, &status);
            if (!j) {
                char *p = hc__http_path_of(h, id);
                int cfg_known = p != NULL;
                free(p);
                if (cfg_known)
                    return send_error(conn, MHD_HTTP_NOT_FOUND,
                                      "version not kept", NULL);
            }
        }
        if (!j)
            return send_error(
                conn,
                status == 404 ? MHD_HTTP_NOT_FOUND
                              : MHD_HTTP_INTERNAL_SERVER_ERROR,
                status == 404 ? "no such config" : "out of memory", NULL);
        return send_json(conn, MHD_HTTP_OK, j, NULL);
    }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    hc_http *h = cls;
    req *rq = *con_cls;
    (void)version;
    if (!rq) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     "Content-Length");
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        *con_cls = rq;
        /* refused before a byte of it is read (MHD then closes) */
        if (cl && strtoull(cl, NULL, 10) > h->max_body_bytes)
            return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
                              "body too large", NULL);
        return MHD_YES;
    }
    if (*upload_size) {
        /* a chunked body past the limit: no answer is worth reading it */
        if (rq->too_big)
            return MHD_NO;
        if (rq->len + *upload_size <= h->max_body_bytes) {
            char *b = realloc(rq->body, rq->len + *upload_size + 1);
            if (!b)
                return MHD_NO;
            rq->body = b;
            memcpy(rq->body + rq->len, upload, *upload_size);
            rq->len += *upload_size;
            rq->body[rq->len] = '\0';
        } else {
            rq->too_big = 1;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return route(h, conn, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    req *rq = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (rq) {
        free(rq->body);
        free(rq);
    }
    *con_cls = NULL;
}

int hc__http_server_start(hc_http *h, hc_error *err)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    socklen_t sl;
    struct MHD_Daemon *d;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     MHD_USE_ITC;
    const union MHD_DaemonInfo *info;
    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, h->address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)h->port);
        sl = sizeof *v4;
        h->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, h->address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)h->port);
        sl = sizeof *v6;
        flags |= MHD_USE_IPv6;
        h->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    } else {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0,
                      "http: '%s' is not an IPv4 or IPv6 address", h->address);
        return -1;
    }
    (void)sl;
    if (!h->loopback && h->log) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "http: listening on %s, not loopback: the dashboard is "
                 "reachable from the network",
                 h->address);
        h->log(HC_LOG_WARN, msg, h->log_data);
    }
    {
        /* libmicrohttpd's threads inherit our mask: none of them takes
         * the application's signals (as hc__thread_start does) */
        sigset_t all, old;
        int saved;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        d = MHD_start_daemon(
            flags, (uint16_t)h->port, NULL, NULL, handler, h,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->max_connections,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)h->timeout_s,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, h->max_header_bytes,
            MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_END);
        saved = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        errno = saved;
    }
    if (!d) {
        hc__error_set(err, HC_ESYS, NULL, 0, 0, 0,
                      "http: cannot listen on %s:%d: %s", h->address, h->port,
                      strerror(errno));
        return -1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    if (info) {
        struct sockaddr_storage b;
        socklen_t bl = sizeof b;
        if (getsockname(info->listen_fd, (struct sockaddr *)&b, &bl) == 0)
            h->port = ntohs(b.ss_family == AF_INET6
                                ? ((struct sockaddr_in6 *)&b)->sin6_port
                                : ((struct sockaddr_in *)&b)->sin_port);
    }
    h->server = d;
    return 0;
}

void hc__http_server_stop(hc_http *h)
{
    if (!h->server)
        return;
    MHD_stop_daemon(h->server);
    h->server = NULL;
}
