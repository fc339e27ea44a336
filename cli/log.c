/*
 * log.c - hotconf log FILE [--since TIME] [--outcome OUTCOME]: the reload
 * attempts, newest first, errors with their positions.
 */
#include "state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf log FILE [--since TIME] [--outcome OUTCOME]\n"
    "                   [--state DIR] [--json]\n"
    "\n"
    "Lists the reload attempts of FILE, newest first: time (UTC), outcome,\n"
    "the version made, trigger, latency, and the error (FILE:LINE:COL or\n"
    "JSON pointer) or the changed paths.\n"
    "  --since TIME       only attempts since TIME: 2026-12-01T10:00:00Z,\n"
    "                     2026-12-01, @EPOCH, or an age: 30s, 15m, 2h, 7d\n"
    "  --outcome OUTCOME  applied, rejected, vetoed, missing, reverted or\n"
    "                     rolled_back\n"
    "  --json             one JSON array: time, outcome, version (null when\n"
    "                     none was made), error, latency_us, changed (paths)\n"
    "\n"
    "Exit status: 0 listed (possibly nothing), 1 no history, 2 usage error.\n";

static const char *const outcomes[] = {"applied", "rejected", "vetoed",
                                       "missing", "reverted", "rolled_back"};

int cmd_log(int argc, char **argv)
{
    cli_state_opts so = {0};
    const char *file = NULL, *outcome = NULL, *v;
    int64_t since = 0;
    hc__sq_attempt *as;
    size_t n;
    hc__sq *s;
    int rc;

    for (int i = 1; i < argc; i++) {
        rc = cli_state_arg("log", help, argc, argv, &i, &so);
        if (rc == CLI_NEXT)
            continue;
        if (rc != CLI_MINE)
            return rc;
        if ((rc = cli_opt_value(argc, argv, &i, "--since", &v)) != 0) {
            if (rc < 0 || (since = cli_parse_time(v)) < 0)
                return cli_usage_error("log", "--since needs a time "
                                              "(2026-12-01T10:00:00Z, @EPOCH, "
                                              "30s, 15m, 2h, 7d)");
        } else if ((rc = cli_opt_value(argc, argv, &i, "--outcome", &v))) {
            size_t k;
            for (k = 0; rc > 0 && k < sizeof outcomes / sizeof *outcomes; k++)
                if (!strcmp(v, outcomes[k]))
                    break;
            if (rc < 0 || k == sizeof outcomes / sizeof *outcomes)
                return cli_usage_error("log", "--outcome needs one of applied, "
                                              "rejected, vetoed, missing, "
                                              "reverted, rolled_back");
            outcome = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_unknown_option("log", help, argv[i]);
        } else if (file) {
            return cli_usage_error("log", "one FILE only");
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return cli_usage_error("log", "a FILE is needed");
    if (!(s = cli_state_open("log", &so)))
        return HC_EXIT_FAIL;
    rc = hc__sq_attempts(s, file, since, outcome, &as, &n);
    hc__sq_close(s);
    if (rc != 0) {
        fprintf(stderr, "hotconf log: cannot read the log: %s\n",
                hc_strerror(rc));
        return HC_EXIT_FAIL;
    }
    if (so.json) {
        json_t *arr = json_array();
        char t[32];
        for (size_t i = 0; i < n; i++) {
            json_t *ch =
                as[i].changed ? json_loads(as[i].changed, 0, NULL) : NULL;
            json_array_append_new(
                arr, json_pack(
                         "{ss ss so so sI so ss*}", "time",
                         cli_time(as[i].time_ns, t), "outcome",
                         as[i].outcome ? as[i].outcome : "", "version",
                         as[i].version ? json_integer((json_int_t)as[i].version)
                                       : json_null(),
                         "error",
                         as[i].error ? json_string(as[i].error) : json_null(),
                         "latency_us", (json_int_t)as[i].latency_us, "changed",
                         ch ? ch : json_array(), "trigger", as[i].trigger));
        }
        char *out = json_dumps(arr, JSON_COMPACT);
        puts(out ? out : "[]");
        free(out);
        json_decref(arr);
    } else {
        char t[32];
        for (size_t i = 0; i < n; i++) {
            printf("%s %-11s", cli_time(as[i].time_ns, t),
                   as[i].outcome ? as[i].outcome : "?");
            if (as[i].version)
                printf(" v%-5" PRIu64, as[i].version);
            else
                printf(" %-6s", "-");
            printf(" %-15s %6" PRId64 "us", as[i].trigger ? as[i].trigger : "",
                   as[i].latency_us);
            if (as[i].error)
                printf("  %s", as[i].error);
            else if (as[i].changed && strcmp(as[i].changed, "[]"))
                printf("  changed %s", as[i].changed);
            putchar('\n');
        }
    }
    hc__sq_attempts_free(as, n);
    return HC_EXIT_OK;
}
