/*
 * watch.c - the cookbook's main recipe (README "Library cookbook"): watch a
 * config with a callback and a JSON Schema, read values with get, reload
 * the database pool only when keys under "database" changed, print the
 * statistics, roll back. Usage: watch CONFIG SCHEMA [SECONDS]
 * (SECONDS 0: load, report and exit; the tests run it so).
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c11 */
#include <hotconf.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* [cookbook:callback] */
/* Runs on the dispatch thread, once per live version. */
static int on_change(const hc_change_record *rec, void *user_data)
{
    (void)user_data;
    printf("%s: version %llu live\n", rec->path,
           (unsigned long long)rec->version);
    /* Conditional reload: only when something under "database" changed
     * ("database" and "database.host" match, "databases" does not). */
    if (hc_changeset_touches(rec->changes, "database"))
        printf("reconnecting to %s\n",
               hc_get_string(rec->new_doc, "database.host", "?", NULL));
    return 0; /* non-zero counts as a subscriber failure */
}

static void on_error(const hc_error_record *rec, void *user_data)
{
    char msg[1024];
    (void)user_data;
    /* "app.yaml:4:9: /database/port: 80 is less than the minimum of 1024";
     * version live_version stays live. */
    hc_error_format(rec->error, msg, sizeof msg);
    fprintf(stderr, "rejected: %s\n", msg);
}
/* [/cookbook:callback] */

int main(int argc, char **argv)
{
    hc_error err;
    hc_schema *schema;
    hc_engine *e;
    hc_watch_options wo = {0};
    json_t *cfg, *stats;
    long seconds = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    if (argc < 3) {
        fprintf(stderr, "usage: %s CONFIG SCHEMA [SECONDS]\n", argv[0]);
        return 2;
    }
    /* [cookbook:watch] */
    /* A schema is compiled once; the watch borrows it. */
    schema = hc_schema_load(argv[2], &err);
    if (!schema) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.source, err.line, err.column,
                err.text);
        return 2;
    }
    e = hc_engine_new(NULL);
    wo.on_change = on_change;
    wo.on_error = on_error;
    wo.schema = schema;
    wo.flags = HC_WATCH_REQUIRE; /* fail now if the first load is bad */
    if (!e || hc_watch(e, argv[1], &wo) != 0 || hc_engine_start(e) != 0) {
        fprintf(stderr, "cannot watch %s\n", argv[1]);
        hc_engine_free(e);
        hc_schema_free(schema);
        return 1;
    }
    /* [/cookbook:watch] */

    /* [cookbook:get] */
    /* Lock-free from any thread; hold the reference while
     * reading, then release it. */
    cfg = hc_config_get(e, argv[1]);
    printf("port %lld\n",
           (long long)hc_get_int(cfg, "database.port", 5432, NULL));
    hc_doc_release(cfg);
    /* [/cookbook:get] */

    if (seconds > 0) {
        struct timespec ts = {(time_t)seconds, 0};
        nanosleep(&ts, NULL); /* edit the file meanwhile */
    }

    /* [cookbook:rollback] */
    /* One version back: live at once, file rewritten. */
    if (hc_rollback(e, argv[1], 1) != 0) {
        hc_engine_last_error(e, &err);
        printf("no rollback: %s\n", err.text); /* e.g. only one version */
    }
    /* [/cookbook:rollback] */

    /* [cookbook:stats] */
    /* Counters and latencies, as a struct or as JSON. */
    {
        hc_stats st;
        char *s;
        hc_config_stats(e, argv[1], &st);
        printf(
            "reloads %llu, rejected %llu\n", (unsigned long long)st.reloads,
            (unsigned long long)(st.parse_failures + st.validation_failures));
        stats = hc_engine_stats_json(e);
        s = json_dumps(stats, JSON_COMPACT);
        printf("%s\n", s ? s : "");
        free(s);
        json_decref(stats);
    }
    /* [/cookbook:stats] */

    hc_engine_free(e);
    hc_schema_free(schema); /* after the engine: the watch borrowed it */
    return 0;
}
