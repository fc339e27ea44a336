/*
 * http_internal.h - the dashboard module (src/http/): the hub that follows
 * the engine (hub.c), the JSON views, masking and metrics (views.c), the
 * static page (page.c) and the libmicrohttpd server (server.c, only with
 * HC_WITH_HTTP). Data flow: engine-wide subscription -> the hub's event
 * queue -> hub thread (per-config state, SSE event ring, dashboard file)
 * -> views -> server / page. The attempt log and the history are read
 * from the engine's store (hc_config_attempts, hc_config_history).
 */
#ifndef HC_HTTP_INTERNAL_H
#define HC_HTTP_INTERNAL_H

#include "internal.h"

#include <pthread.h>

#define HC__HTTP_ATTEMPTS 200 /* shown per config, newest first */
#define HC__HTTP_EVENTS   256 /* SSE ring: a client further behind resets */
/* engine events waiting for the hub thread; past it the hub drops them
 * and resamples every config once (as the engine does on IN_Q_OVERFLOW) */
#define HC__HTTP_QUEUE    4096
#define HC__HTTP_TIMELINE 60 /* minutes of the reloads-over-time chart */
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
    int seen;
} hc__hcfg;

/* One engine event, copied by the engine callback for the hub thread. */
typedef struct hc__hev {
    struct hc__hev *next;
    hc_event_kind kind;
    hc_trigger trigger;
    uint64_t version;   /* change: the new one; rejection: the live one */
    int64_t time_ns;    /* CLOCK_REALTIME when the callback ran */
    int64_t latency_us; /* change: detected -> applied */
    int err_code;       /* rejection */
    char *error;        /* rejection: hc_error_format text (in this block) */
    char path[];        /* the config's identity */
} hc__hev;

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
    uint64_t seq; /* last SSE event id */
    struct {
        uint64_t seq;
        char *text; /* "id: N\nevent: T\ndata: J\n\n" */
    } ring[HC__HTTP_EVENTS];
    /* reloads (and failures) per minute, the last HC__HTTP_TIMELINE */
    int64_t tl_minute[HC__HTTP_TIMELINE];
    uint32_t tl_ok[HC__HTTP_TIMELINE], tl_fail[HC__HTTP_TIMELINE];
    int sse_clients;

    pthread_mutex_t sample_lock; /* one reader of the engine at a time */

    /* The engine callback's hand-off (its own lock: the callback never
     * waits for a view building JSON under h->lock). */
    pthread_mutex_t q_lock;
    pthread_cond_t q_cond; /* an event queued, overflow, or stopping */
    hc__hev *q_head, *q_tail;
    size_t q_len;
    int q_overflow, q_stopping;
    int subscription; /* hc_engine_subscribe id, 0: none */

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

/* Reads every config from the engine now (at start, at stop, after a
 * queue overflow, for hc_dashboard_export); SSE events for what moved. */
void hc__http_sample(hc_http *h);
/* Reads one config again (after a rollback asked over HTTP, so that the
 * answer and the next GET agree with it). */
void hc__http_refresh(hc_http *h, const char *path);
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
