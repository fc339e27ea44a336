/*
 * http_internal.h - the dashboard module (src/http/): the hub that samples
 * the engine (hub.c), the JSON views, masking and metrics (views.c), the
 * static page (page.c) and the libmicrohttpd server (server.c, only with
 * HC_WITH_HTTP). Data flow: engine -> hub watcher thread (attempts, SSE
 * event ring, dashboard file) -> views -> server / page.
 */
#ifndef HC_HTTP_INTERNAL_H
#define HC_HTTP_INTERNAL_H

#include "internal.h"

#include <pthread.h>

#define HC__HTTP_ATTEMPTS 200 /* kept per config, newest first */
#define HC__HTTP_EVENTS   256 /* SSE ring: a client further behind resets */
#define HC__HTTP_TIMELINE 60  /* minutes of the reloads-over-time chart */
#define HC__HTTP_ID_MAX   96

/* What the hub knows of one config (all under hc_http.lock). */
typedef struct hc__hcfg {
    char *path;
    char id[HC__HTTP_ID_MAX]; /* URL-safe, unique among the configs */
    hc_stats st;
    uint64_t version;
    int err_code;       /* hc_config_last_error */
    hc_error err;       /* valid when err_code */
    const char *status; /* "live", "rejected", "missing" */
    int64_t since_ns;   /* CLOCK_REALTIME, status or version changed */
    int64_t live_ns;    /* CLOCK_REALTIME, the live version became live */
    json_t *doc;        /* live document (retained, unmasked) */
    json_t *attempts;   /* array, newest first */
    int seen;
} hc__hcfg;

struct hc_http {
    hc_engine *e;
    char *address, *state_dir, *dashboard_file;
    char token[80];
    int port, max_connections, timeout_s;
    size_t max_header_bytes, max_body_bytes;
    hc_log_cb log;
    void *log_data;
    int64_t started_ns;

    pthread_mutex_t lock; /* everything below */
    pthread_cond_t cond;  /* seq moved or stopping (SSE readers wait) */
    int stopping;
    hc__hcfg **cfgs;
    size_t ncfg;
    hc_stats last_total;
    int sampled;
    uint64_t seq; /* last SSE event id */
    struct {
        uint64_t seq;
        char *text; /* "id: N\nevent: T\ndata: J\n\n" */
    } ring[HC__HTTP_EVENTS];
    /* reloads (and failures) per minute, the last HC__HTTP_TIMELINE */
    int64_t tl_minute[HC__HTTP_TIMELINE];
    uint32_t tl_ok[HC__HTTP_TIMELINE], tl_fail[HC__HTTP_TIMELINE];
    int sse_clients;

    pthread_mutex_t sample_lock; /* one sampler at a time */
    int loopback;
    pthread_t thread;
    int thread_started;
    void *server; /* struct MHD_Daemon * */
};

/* ---- views.c ---------------------------------------------------------- */

/* 1 when an object key names a secret: hc__mask_key (src/mask.h) with
 * the default list or $HOTCONF_SECRET_KEYS, the rules the CLI uses. */
int hc__http_secret_key(const char *key);
/* A deep copy with every secret value replaced by "********". New ref. */
json_t *hc__http_mask(const json_t *v);
/* hc_diff over private deep copies of a and b (either may be NULL). */
hc_changeset *hc__http_diff(const json_t *a, const json_t *b);
/* ISO 8601 UTC with milliseconds, or null for 0. New reference. */
json_t *hc__http_time(int64_t realtime_ns);
int64_t hc__http_now_ns(void);

/* Views under h->lock where they read hub state (they take it). Each
 * returns a new reference or NULL (out of memory / unknown id: *status
 * says 404). */
json_t *hc__http_configs(hc_http *h);
json_t *hc__http_config(hc_http *h, const char *id, int *status);
json_t *hc__http_history(hc_http *h, const char *id, int *status);
json_t *hc__http_version(hc_http *h, const char *id, uint64_t version,
                         int *status);
json_t *hc__http_attempts(hc_http *h, const char *id, int *status);
json_t *hc__http_stats(hc_http *h);
/* The path of id (malloc'd) or NULL. */
char *hc__http_path_of(hc_http *h, const char *id);
/* Prometheus text exposition (malloc'd). */
char *hc__http_metrics(hc_http *h);
/* Everything the static page shows, one object. */
json_t *hc__http_state(hc_http *h);

/* ---- page.c ----------------------------------------------------------- */

/* The served index page (malloc'd, with *len). */
char *hc__http_index_page(size_t *len);
/* The static page of a state object (malloc'd). */
char *hc__http_static_page(const json_t *state, size_t *len);
/* A hub without thread nor server, sampled once (for hc_dashboard_export). */
hc_http *hc__http_snapshot_hub(hc_engine *e);

/* ---- hub.c ------------------------------------------------------------ */

/* Samples the engine now (the watcher thread does it every 100 ms). */
void hc__http_sample(hc_http *h, int force);
void hc__http_hub_free(hc_http *h);
/* Appends an SSE event (under h->lock). */
void hc__http_event_locked(hc_http *h, const char *type, json_t *data);

/* ---- server.c (HC_WITH_HTTP) ------------------------------------------ */

int hc__http_server_start(hc_http *h, hc_error *err);
void hc__http_server_stop(hc_http *h);

/* web/ assets, generated at build time (embed.cmake) */
extern const unsigned char hc__web_index_html[];
extern const size_t hc__web_index_html_len;
extern const unsigned char hc__web_app_js[];
extern const size_t hc__web_app_js_len;
extern const unsigned char hc__web_app_css[];
extern const size_t hc__web_app_css_len;

#endif
