/*
 * demo.c - hotconf demo: a narrated live demo of the watch engine (about
 * 15 s, no input needed, fine in a CI log). It writes JSON, YAML, INI and
 * .env configs into a temp directory, watches them with a started engine,
 * and then changes values (showing the diff and the latency), writes a
 * broken file (rejected with line and column; the old config stays live),
 * a version the schema rejects (with the position of the value), fixes it,
 * rolls back (the file on disk is rewritten), recreates a file, and prints the
 * statistics. Callbacks run on the engine's monitor thread; they only record
 * what happened, the main thread prints it, so the narration stays in order.
 * --speed scales the pauses (0: none).
 */
#include "cli.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
    "usage: hotconf demo [--speed X]\n"
    "\n"
    "A narrated live demo of change detection, validation and rollback on\n"
    "JSON, YAML, INI and .env configs in a temp directory (about 15 s at\n"
    "speed 1; --speed 0 skips the pauses). Cleans up after itself.\n";

typedef struct demo {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int events; /* callbacks seen */
    char *text; /* what they reported, printed by the main thread */
    size_t len, cap;
    int64_t write_ns; /* when the last write finished */
    hc_engine *e;
    double speed;
    int color;
    int failures;
} demo;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void pause_ms(demo *d, int ms)
{
    struct timespec ts;
    int64_t ns = (int64_t)(ms * d->speed * 1e6);
    if (ns <= 0)
        return;
    ts.tv_sec = ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Appends to the report buffer; caller holds d->mu. */
static void add(demo *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add(demo *d, const char *fmt, ...)
{
    va_list ap;
    int n;
    for (;;) {
        size_t room = d->cap - d->len;
        va_start(ap, fmt);
        n = vsnprintf(d->text ? d->text + d->len : NULL, d->text ? room : 0,
                      fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (d->text && (size_t)n < room) {
            d->len += (size_t)n;
            return;
        }
        {
            size_t ncap = (d->cap ? d->cap * 2 : 1024) + (size_t)n;
            char *nt = realloc(d->text, ncap);
            if (!nt)
                return;
            d->text = nt;
            d->cap = ncap;
        }
    }
}

static const char *c_on(demo *d, const char *code)
{
    return d->color ? code : "";
}

static void say(demo *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(demo *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    (void)d;
}

static void step(demo *d, int n, const char *title)
{
    say(d, "\n%s== step %d: %s%s\n", c_on(d, "\033[1m"), n, title,
        c_on(d, "\033[0m"));
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- engine callbacks (monitor thread) ---------------------------------- */

static int on_change(const hc_change_record *rec, void *ud)
{
    demo *d = ud;
    int64_t seen = now_ns();
    size_t n = hc_changeset_count(rec->changes);
    pthread_mutex_lock(&d->mu);
    if (rec->trigger == HC_TRIGGER_INITIAL) {
        add(d, "  %s%-9s%s version 1 loaded: %zu top-level keys\n",
            c_on(d, "\033[32m"), base(rec->path), c_on(d, "\033[0m"), n);
    } else {
        add(d, "  %s%s%s version %llu applied (%s)\n", c_on(d, "\033[32m"),
            base(rec->path), c_on(d, "\033[0m"),
            (unsigned long long)rec->version, hc_trigger_name(rec->trigger));
        for (size_t i = 0; i < n; i++) {
            const hc_change *ch = hc_changeset_at(rec->changes, i);
            char *o = ch->old_value ? cli_json_compact(ch->old_value) : NULL;
            char *nv = ch->new_value ? cli_json_compact(ch->new_value) : NULL;
            if (ch->op == HC_CHANGE_ADDED)
                add(d, "      + %s = %s\n", ch->path, nv);
            else if (ch->op == HC_CHANGE_REMOVED)
                add(d, "      - %s = %s\n", ch->path, o);
            else
                add(d, "      ~ %s: %s -> %s\n", ch->path, o, nv);
            free(o);
            free(nv);
        }
        /* Both figures come from one clock, CLOCK_MONOTONIC (the engine's
         * detected_ns and applied_ns are too), and the points are in order:
         * write_ns is taken before the first syscall of the save that
         * inotify can report (see mark_write), so write_ns <= detected_ns
         * <= applied_ns <= seen, and the first figure can never be the
         * smaller one. */
        if (d->write_ns && rec->trigger != HC_TRIGGER_ROLLBACK)
            add(d,
                "    latency: %.0f us from the write to this callback (%.0f us "
                "detect -> apply)\n",
                (double)(seen - d->write_ns) / 1e3,
                (double)(rec->applied_ns - rec->detected_ns) / 1e3);
    }
    d->events++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return 0;
}

static void on_error(const hc_error_record *rec, void *ud)
{
    demo *d = ud;
    char msg[1024];
    hc_error_format(rec->error, msg, sizeof msg);
    pthread_mutex_lock(&d->mu);
    if (rec->error->code == HC_ENOENT)
        add(d, "  %s%s%s missing; version %llu stays live\n",
            c_on(d, "\033[33m"), base(rec->path), c_on(d, "\033[0m"),
            (unsigned long long)rec->live_version);
    else if (rec->live_version)
        add(d, "  %srejected%s %s\n    version %llu stays live\n",
            c_on(d, "\033[31m"), c_on(d, "\033[0m"), msg,
            (unsigned long long)rec->live_version);
    else
        add(d, "  %srejected%s %s\n    (no valid version yet)\n",
            c_on(d, "\033[31m"), c_on(d, "\033[0m"), msg);
    d->events++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* Waits for `want` more callbacks (5 s at most), then prints them. */
static void show(demo *d, int before, int want)
{
    struct timespec ts;
    int ok;
    pthread_mutex_lock(&d->mu);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    while (d->events < before + want)
        if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) != 0)
            break;
    ok = d->events >= before + want;
    if (d->len)
        fwrite(d->text, 1, d->len, stdout);
    d->len = 0;
    pthread_mutex_unlock(&d->mu);
    if (!ok) {
        say(d, "  (no notification within 5 s: something is wrong)\n");
        d->failures++;
    }
    fflush(stdout);
}

static int events(demo *d)
{
    int n;
    pthread_mutex_lock(&d->mu);
    n = d->events;
    pthread_mutex_unlock(&d->mu);
    return n;
}

/* ---- files -----------------------------------------------------------------
 */

/* Noted just before the first syscall of a save that inotify reports: the
 * open that truncates (or creates) for an in-place write, the rename for an
 * atomic one, the remove for a delete. Taken any later (at the close, as
 * this demo once did), the engine may already have seen the truncation, and
 * "from the write" came out smaller than "detect -> apply". */
static void mark_write(demo *d)
{
    pthread_mutex_lock(&d->mu);
    d->write_ns = now_ns();
    pthread_mutex_unlock(&d->mu);
}

static int write_file(demo *d, const char *path, const char *data, int atomic)
{
    char tmp[4300];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!atomic)
        mark_write(d); /* fopen truncates: inotify may report that */
    f = fopen(atomic ? tmp : path, "w");
    if (!f || fputs(data, f) < 0 || fclose(f) != 0) {
        say(d, "  cannot write %s: %s\n", path, strerror(errno));
        d->failures++;
        return -1;
    }
    if (atomic)
        mark_write(d);
    if (atomic && rename(tmp, path) != 0) {
        say(d, "  cannot rename %s: %s\n", tmp, strerror(errno));
        d->failures++;
        return -1;
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void show_value(demo *d, const char *path, const char *key)
{
    uint64_t version = 0;
    json_t *doc = hc_config_snapshot(d->e, path, &version);
    char *v = NULL;
    if (doc && hc_get(doc, key))
        v = cli_json_compact(hc_get(doc, key));
    say(d, "  hc_config_get(\"%s\") -> version %llu, %s = %s\n", base(path),
        (unsigned long long)version, key, v ? v : "(none)");
    free(v);
    hc_doc_release(doc);
}

int cmd_demo(int argc, char **argv)
{
    char json[4200], yaml[4200], ini[4200], env[4200];
    const char *tmpdir = getenv("TMPDIR");
    char dirbuf[4096];
    hc_engine_options eo;
    hc_watch_options wo;
    demo d;
    json_t *stats;
    hc_schema *schema = NULL;
    int rc, n0;

    memset(&d, 0, sizeof d);
    d.speed = 1.0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return HC_EXIT_OK;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--speed", &v)) != 0) {
            char *end;
            if (r < 0 || (d.speed = strtod(v, &end)) < 0 || *end)
                return cli_usage_error("demo", "--speed needs a number >= 0");
            continue;
        }
        return cli_usage_error("demo", "unknown argument '%s'", argv[i]);
    }
    d.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    pthread_mutex_init(&d.mu, NULL);
    pthread_cond_init(&d.cv, NULL);

    snprintf(dirbuf, sizeof dirbuf, "%s/hotconf-demo.XXXXXX",
             tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(dirbuf)) {
        fprintf(stderr, "hotconf demo: mkdtemp: %s\n", strerror(errno));
        return HC_EXIT_FAIL;
    }
    snprintf(json, sizeof json, "%s/app.json", dirbuf);
    snprintf(yaml, sizeof yaml, "%s/app.yaml", dirbuf);
    snprintf(ini, sizeof ini, "%s/app.ini", dirbuf);
    snprintf(env, sizeof env, "%s/app.env", dirbuf);

    say(&d,
        "%shotconf demo%s: live reload of JSON, YAML, INI and .env "
        "configs, with validation and rollback\n",
        c_on(&d, "\033[1m"), c_on(&d, "\033[0m"));
    say(&d, "configs in %s\n", dirbuf);
    write_file(&d, json,
               "{\n  \"service\": \"checkout\",\n  \"server\": {\"host\": "
               "\"0.0.0.0\", \"port\": 8080},\n  \"features\": {\"beta\": "
               "false}\n}\n",
               1);
    write_file(&d, yaml,
               "server:\n  port: 8080\n  workers: 4\nlog:\n  level: info\n", 1);
    write_file(&d, ini,
               "[server]\nport = 8080\nworkers = 4\n\n[log]\nlevel "
               "= info\n",
               1);
    write_file(&d, env, "SERVER_PORT=8080\nLOG_LEVEL=info\n", 1);

    memset(&eo, 0, sizeof eo);
    d.e = hc_engine_new(&eo);
    if (!d.e || hc_engine_start(d.e) != 0) {
        fprintf(stderr, "hotconf demo: cannot start the engine\n");
        nftw(dirbuf, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        hc_engine_free(d.e);
        return HC_EXIT_FAIL;
    }
    memset(&wo, 0, sizeof wo);
    wo.on_change = on_change;
    wo.user_data = &d;
    wo.on_error = on_error;
    wo.on_error_data = &d;
    {
        /* app.yaml gets a JSON Schema: a port must be a port. */
        char spath[4300];
        hc_error err;
        snprintf(spath, sizeof spath, "%s/app.schema.json", dirbuf);
        write_file(&d, spath,
                   "{\"type\": \"object\", \"properties\": {\"server\": {"
                   "\"type\": \"object\", \"properties\": {\"port\": "
                   "{\"type\": \"integer\", \"minimum\": 1, \"maximum\": "
                   "65535}, \"workers\": {\"type\": \"integer\", "
                   "\"minimum\": 1}}}}}\n",
                   1);
        schema = hc_schema_load(spath, &err);
        if (!schema) {
            cli_print_error(&err);
            d.failures++;
        }
    }

    step(&d, 1,
         "watch four configs (inotify on their directory; app.yaml "
         "with a JSON Schema)");
    n0 = events(&d);
    hc_watch(d.e, json, &wo);
    wo.schema = schema;
    hc_watch(d.e, yaml, &wo);
    wo.schema = NULL;
    hc_watch(d.e, ini, &wo);
    hc_watch(d.e, env, &wo);
    show(&d, n0, 4);
    pause_ms(&d, 1500);

    step(&d, 2,
         "change server.port 8080 -> 9090 in app.yaml (atomic "
         "rename, as vim and sed -i do)");
    n0 = events(&d);
    write_file(&d, yaml,
               "server:\n  port: 9090\n  workers: 4\nlog:\n  level: info\n", 1);
    show(&d, n0, 1);
    show_value(&d, yaml, "server.port");
    pause_ms(&d, 1500);

    step(&d, 3, "edit app.env in place (LOG_LEVEL=debug)");
    n0 = events(&d);
    write_file(&d, env, "SERVER_PORT=8080\nLOG_LEVEL=debug\n", 0);
    show(&d, n0, 1);
    pause_ms(&d, 1500);

    step(&d, 4,
         "write a broken app.yaml: it is rejected, the old config "
         "stays live");
    n0 = events(&d);
    write_file(&d, yaml,
               "server:\n  port: 9090\n  workers: [4, 8\nlog:\n  "
               "level: info\n",
               1);
    show(&d, n0, 1);
    show_value(&d, yaml, "server.port");
    pause_ms(&d, 2000);

    step(&d, 5,
         "write app.yaml with port 99999: the schema rejects it, with the "
         "position");
    n0 = events(&d);
    write_file(&d, yaml,
               "server:\n  port: 99999\n  workers: 4\nlog:\n  level: info\n",
               1);
    show(&d, n0, 1);
    show_value(&d, yaml, "server.port");
    pause_ms(&d, 1500);

    step(&d, 6, "fix it (workers: 8)");
    n0 = events(&d);
    write_file(&d, yaml,
               "server:\n  port: 9090\n  workers: 8\nlog:\n  level: info\n", 1);
    show(&d, n0, 1);
    pause_ms(&d, 1500);

    step(&d, 7, "roll app.yaml back one version");
    n0 = events(&d);
    rc = hc_rollback(d.e, yaml, 1);
    if (rc == 0) {
        FILE *f = fopen(yaml, "r");
        say(&d, "  rolled back: the previous version is live again, as a "
                "new version, and app.yaml on disk was rewritten:\n");
        if (f) {
            char line[256];
            while (fgets(line, sizeof line, f))
                say(&d, "    | %s", line);
            fclose(f);
        }
        show(&d, n0, 1);
    } else {
        hc_error err;
        hc_engine_last_error(d.e, &err);
        say(&d, "  rollback failed: %s\n", err.text);
        d.failures++;
    }
    show_value(&d, yaml, "server.workers");
    pause_ms(&d, 2000);

    step(&d, 8, "delete app.json and create it again (beta on)");
    n0 = events(&d);
    mark_write(&d);
    if (remove(json) != 0)
        d.failures++;
    write_file(&d, json,
               "{\n  \"service\": \"checkout\",\n  \"server\": {\"host\": "
               "\"0.0.0.0\", \"port\": 8080},\n  \"features\": {\"beta\": "
               "true}\n}\n",
               0);
    show(&d, n0, 1);
    pause_ms(&d, 1500);

    step(&d, 9, "statistics (hc_engine_stats_json)");
    stats = hc_engine_stats_json(d.e);
    if (stats) {
        char *s = json_dumps(json_object_get(stats, "total"),
                             JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                 JSON_REAL_PRECISION(9));
        if (s) {
            say(&d, "%s\n", s);
            free(s);
        }
        json_decref(stats);
    }
    pause_ms(&d, 1000);

    hc_engine_free(d.e);
    hc_schema_free(schema); /* after the engine: the watch borrowed it */
    nftw(dirbuf, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    say(&d, "\n%s (removed %s)\n",
        d.failures ? "demo finished with problems" : "demo done", dirbuf);
    free(d.text);
    pthread_mutex_destroy(&d.mu);
    pthread_cond_destroy(&d.cv);
    return d.failures ? HC_EXIT_FAIL : HC_EXIT_OK;
}
