/* watch_state.c - hotconf watch --state DIR (see watch_state.h). */
#include "watch_state.h"

#include "stores/sqlite.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct wconf {
    char *path;
    char *format;
    uint64_t offset;      /* stored number = engine number + offset */
    uint64_t stored_last; /* stored numbering at attach */
    uint64_t stored_hash; /* the stored live content's hash */
    int have_stored;
} wconf;

struct cli_wstate {
    hc__sq *store;
    wconf *c;
    size_t n;
};

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void log_cb(int level, const char *msg, void *ud)
{
    (void)ud;
    fprintf(stderr, "hotconf watch: %s%s\n", level <= 1 ? "warning: " : "",
            msg);
}

cli_wstate *cli_wstate_open(const char *dir, int keep_versions)
{
    hc__sq_limits lim = {keep_versions, 0, 0};
    cli_wstate *ws = calloc(1, sizeof *ws);
    hc_error err;
    if (!ws)
        return NULL;
    hc_error_init(&err);
    ws->store = hc__sq_open(dir, HC__SQ_WATCHER, &lim, log_cb, NULL, &err);
    if (!ws->store) {
        fprintf(stderr, "hotconf watch: %s: %s\n", err.source, err.text);
        free(ws);
        return NULL;
    }
    return ws;
}

static wconf *find(const cli_wstate *ws, const char *path)
{
    for (size_t i = 0; ws && i < ws->n; i++)
        if (!strcmp(ws->c[i].path, path))
            return &ws->c[i];
    return NULL;
}

void cli_wstate_attach(cli_wstate *ws, const char *path, hc_format format,
                       const char *schema_path)
{
    wconf *nc, *c;
    hc__sq_version v;
    char *schema_abs = NULL;
    if (!ws || find(ws, path))
        return;
    nc = realloc(ws->c, (ws->n + 1) * sizeof *nc);
    if (!nc)
        return;
    ws->c = nc;
    c = &ws->c[ws->n++];
    memset(c, 0, sizeof *c);
    c->path = strdup(path);
    if (format == HC_FORMAT_AUTO)
        format = hc_format_from_name(path);
    c->format = strdup(hc_format_name(format));
    if (hc__sq_get(ws->store, path, 0, &v) == 0) {
        hc__sq_version *vs;
        size_t n;
        /* the live one, which a revert may have made older than newest */
        c->stored_last = v.version;
        if (hc__sq_list(ws->store, path, &vs, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                if (vs[i].live) {
                    c->stored_hash = vs[i].hash;
                    c->have_stored = 1;
                }
            hc__sq_versions_free(vs, n);
        }
        hc__sq_version_clear(&v);
    }
    c->offset = c->stored_last;
    if (schema_path)
        schema_abs = hc__sq_key(schema_path);
    hc__sq_watched(ws->store, path, c->format, schema_abs, 1);
    free(schema_abs);
}

uint64_t cli_wstate_version(const cli_wstate *ws, const char *path,
                            uint64_t engine_version)
{
    const wconf *c = find(ws, path);
    return c && engine_version ? engine_version + c->offset : engine_version;
}

static char *changed_json(const hc_changeset *cs)
{
    json_t *arr = json_array();
    char *s;
    for (size_t i = 0; i < hc_changeset_count(cs); i++)
        json_array_append_new(arr, json_string(hc_changeset_at(cs, i)->path));
    s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

void cli_wstate_change(cli_wstate *ws, hc_engine *e,
                       const hc_change_record *rec)
{
    wconf *c = find(ws, rec->path);
    hc__sq_attempt a = {0};
    const char *trigger = hc_trigger_name(rec->trigger);
    const char *outcome = "applied";
    char *changed;
    int64_t now = real_ns();
    if (!c)
        return;
    if (rec->trigger == HC_TRIGGER_INITIAL && c->have_stored &&
        rec->hash == c->stored_hash) {
        /* the stored live content again: no new version */
        c->offset = c->stored_last - rec->version;
    } else {
        hc__sq_version v = {0};
        char *content = NULL;
        size_t len = 0;
        if (rec->trigger != HC_TRIGGER_INITIAL &&
            hc__sq_rollback_claim(ws->store, rec->path, rec->hash)) {
            /* a CLI rollback asked for this content */
            trigger = "rollback";
            outcome = "rolled_back";
        }
        if (hc_history_get(e, rec->path, rec->version, &content, &len, NULL) ==
            0) {
            v.version = rec->version + c->offset;
            v.time_ns = now;
            v.hash = rec->hash;
            v.size = len;
            v.content = content;
            v.trigger = (char *)trigger;
            v.format = c->format;
            v.changed = rec->trigger == HC_TRIGGER_INITIAL
                            ? 0
                            : (int)hc_changeset_count(rec->changes);
            hc__sq_append(ws->store, rec->path, &v);
            free(content);
        }
    }
    changed =
        rec->trigger == HC_TRIGGER_INITIAL ? NULL : changed_json(rec->changes);
    a.time_ns = now;
    a.outcome = (char *)outcome;
    a.trigger = (char *)trigger;
    a.version = rec->version + c->offset;
    a.latency_us = (rec->applied_ns - rec->detected_ns) / 1000;
    a.changed = changed;
    hc__sq_record(ws->store, rec->path, &a);
    free(changed);
}

void cli_wstate_error(cli_wstate *ws, const hc_error_record *rec)
{
    hc__sq_attempt a = {0};
    char msg[1024];
    if (!find(ws, rec->path) || rec->error->code == HC_ECALLBACK)
        return;
    hc_error_format(rec->error, msg, sizeof msg);
    a.time_ns = real_ns();
    a.outcome =
        (char *)(rec->error->code == HC_ENOENT ? "missing" : "rejected");
    a.trigger = (char *)hc_trigger_name(rec->trigger);
    a.error = msg;
    hc__sq_record(ws->store, rec->path, &a);
}

void cli_wstate_flush(cli_wstate *ws)
{
    if (ws)
        hc__sq_flush(ws->store);
}

void cli_wstate_close(cli_wstate *ws)
{
    if (!ws)
        return;
    hc__sq_close(ws->store);
    for (size_t i = 0; i < ws->n; i++) {
        free(ws->c[i].path);
        free(ws->c[i].format);
    }
    free(ws->c);
    free(ws);
}
