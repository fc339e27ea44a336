/*
 * stats.c - hotconf stats: the seed's statistics (files monitored, total
 * reloads, failed validations, ...) and the latency figures, from the
 * state database.
 */
#include "state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf stats [FILE] [--state DIR] [--json]\n"
    "\n"
    "Prints the statistics kept in the state folder (all configs, or FILE):\n"
    "files monitored by a running watcher, total reloads, failed\n"
    "validations, then loads, rollbacks, vetoed, missing, reverted, configs,\n"
    "and the detection-to-apply latency of reloads (mean, p50, p99, max in\n"
    "microseconds; percentiles over the kept attempts).\n"
    "  --json  files_monitored, total_reloads, failed_validations, then the\n"
    "          rest as one JSON object\n"
    "\n"
    "Exit status: 0 printed, 1 no history, 2 usage error.\n";

int cmd_stats(int argc, char **argv)
{
    cli_state_opts so = {0};
    const char *file = NULL;
    hc__sq_counters k;
    hc__sq_config *cs;
    size_t n = 0, monitored = 0;
    char *dir;
    pid_t pid;
    hc__sq *s;
    json_t *j;
    int rc;

    for (int i = 1; i < argc; i++) {
        rc = cli_state_arg("stats", help, argc, argv, &i, &so);
        if (rc == CLI_NEXT)
            continue;
        if (rc != CLI_MINE)
            return rc;
        if (argv[i][0] == '-' && argv[i][1])
            return cli_unknown_option("stats", help, argv[i]);
        if (file)
            return cli_usage_error("stats", "one FILE at most");
        file = argv[i];
    }
    if (!(s = cli_state_open("stats", &so)))
        return HC_EXIT_FAIL;
    dir = cli_state_dir(so.state);
    pid = dir ? hc__sq_watcher_pid(dir) : 0;
    free(dir);
    if (hc__sq_configs(s, file, &cs, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            monitored += pid > 0 && cs[i].watched;
        hc__sq_configs_free(cs, n);
    }
    hc__sq_counters_get(s, file, &k);
    j = json_pack(
        "{sI sI sI sI sI sI sI sI sI sI sI sI sI so}", "files_monitored",
        (json_int_t)monitored, "total_reloads", (json_int_t)k.reloads,
        "failed_validations", (json_int_t)k.failed_validations, "loads",
        (json_int_t)k.loads, "rollbacks", (json_int_t)k.rollbacks, "vetoed",
        (json_int_t)k.vetoed, "missing", (json_int_t)k.missing, "reverted",
        (json_int_t)k.reverted, "configs", (json_int_t)n, "latency_mean_us",
        (json_int_t)(k.lat_count ? k.lat_sum_us / k.lat_count : 0),
        "latency_p50_us", (json_int_t)hc__sq_latency_pct(s, file, 50),
        "latency_p99_us", (json_int_t)hc__sq_latency_pct(s, file, 99),
        "latency_max_us", (json_int_t)k.lat_max_us, "watcher_pid",
        pid > 0 ? json_integer(pid) : json_null());
    hc__sq_close(s);
    if (so.json) {
        char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(out ? out : "{}");
        free(out);
    } else {
        const char *key;
        json_t *v;
        json_object_foreach(j, key, v)
        {
            if (json_is_integer(v))
                printf("%-20s %" JSON_INTEGER_FORMAT "\n", key,
                       json_integer_value(v));
            else
                printf("%-20s -\n", key);
        }
    }
    json_decref(j);
    return HC_EXIT_OK;
}
