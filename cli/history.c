/*
 * history.c - hotconf history FILE: the stored versions, newest first,
 * the live one marked. Reads the state database (no watcher needed).
 */
#include "etcd_cli.h"
#include "state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf history FILE [--state DIR] [--json]\n"
    "\n"
    "Lists the stored versions of FILE, newest first: version, time (UTC),\n"
    "trigger, content hash, size in bytes and number of changed keys; '*'\n"
    "marks the live version.\n"
    "  --state DIR  the state folder (default $XDG_STATE_HOME/hotconf, or\n"
    "               /var/lib/hotconf as root)\n"
    "  --json       one JSON array: version, live, time, trigger, hash, size,\n"
    "               changed\n"
    "\n"
    "An etcd config (etcd://HOST:PORT/KEY) lists etcd's own revisions:\n"
    "see hotconf history etcd://x:1/k --help (with --state: what this\n"
    "node's watcher recorded).\n"
    "\n"
    "Exit status: 0 listed, 1 no history for FILE, 2 usage error.\n";

int cmd_history(int argc, char **argv)
{
    cli_state_opts so = {0};
    const char *file = NULL;
    hc__sq_version *vs;
    size_t n;
    hc__sq *s;
    int rc;

    /* etcd keeps the history itself; with --state, this node's record */
    if (cli_any_etcd(argc, argv) && !cli_has_opt(argc, argv, "--state"))
        return cli_etcd_history(argc, argv);
    for (int i = 1; i < argc; i++) {
        rc = cli_state_arg("history", help, argc, argv, &i, &so);
        if (rc == CLI_NEXT)
            continue;
        if (rc != CLI_MINE)
            return rc;
        if (argv[i][0] == '-' && argv[i][1])
            return cli_unknown_option("history", help, argv[i]);
        if (file)
            return cli_usage_error("history", "one FILE only");
        file = argv[i];
    }
    if (!file)
        return cli_usage_error("history", "a FILE is needed");
    if (!(s = cli_state_open("history", &so)))
        return HC_EXIT_FAIL;
    rc = hc__sq_list(s, file, &vs, &n);
    hc__sq_close(s);
    if (rc != 0) {
        fprintf(stderr, "hotconf history: cannot read the history: %s\n",
                hc_strerror(rc));
        return HC_EXIT_FAIL;
    }
    if (so.json) {
        json_t *arr = json_array();
        char t[32], h[20];
        for (size_t i = 0; i < n; i++) {
            snprintf(h, sizeof h, "%016" PRIx64, vs[i].hash);
            json_array_append_new(
                arr,
                json_pack("{sI sb ss ss ss sI si}", "version",
                          (json_int_t)vs[i].version, "live", vs[i].live, "time",
                          cli_time(vs[i].time_ns, t), "trigger",
                          vs[i].trigger ? vs[i].trigger : "", "hash", h, "size",
                          (json_int_t)vs[i].size, "changed", vs[i].changed));
        }
        char *out = json_dumps(arr, JSON_COMPACT);
        puts(out ? out : "[]");
        free(out);
        json_decref(arr);
    } else if (n) {
        char t[32];
        printf("  %-8s %-24s %-16s %-16s %8s %7s\n", "VERSION", "TIME",
               "TRIGGER", "HASH", "SIZE", "CHANGED");
        for (size_t i = 0; i < n; i++)
            printf("%c %-8" PRIu64 " %-24s %-16s %016" PRIx64 " %8zu %7d\n",
                   vs[i].live ? '*' : ' ', vs[i].version,
                   cli_time(vs[i].time_ns, t),
                   vs[i].trigger ? vs[i].trigger : "", vs[i].hash, vs[i].size,
                   vs[i].changed);
    }
    hc__sq_versions_free(vs, n);
    if (!n) {
        if (!so.json)
            fprintf(stderr, "hotconf history: no stored versions of %s\n",
                    file);
        return HC_EXIT_FAIL;
    }
    return HC_EXIT_OK;
}
