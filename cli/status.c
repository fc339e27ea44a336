/*
 * status.c - hotconf status [FILE...]: per config, the live version and
 * since when, the last attempt and its outcome, the last error, and the pid
 * of the watcher running on it (from the lock in the state folder).
 */
#include "state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf status [FILE...] [--state DIR] [--json]\n"
    "\n"
    "For each FILE (default: every config in the state folder): the live\n"
    "version and since when, the last attempt and its outcome, the last\n"
    "error, and the pid of the watcher running on it ('-' when none).\n"
    "  --json  one JSON array: config, version, since, last_outcome,\n"
    "          last_error, watcher_pid (null when no watcher runs on it);\n"
    "          an etcd config also etcd_revision (its live mod_revision)\n"
    "\n"
    "Exit status: 0 reported, 1 a FILE has no history, 2 usage error.\n";

static int is_apply(const char *outcome)
{
    return !strcmp(outcome, "applied") || !strcmp(outcome, "rolled_back");
}

/* An etcd config: "etcd_revision", the mod_revision of its live version
 * (recorded as the version's source revision). */
static void etcd_revision(hc__sq *s, const hc__sq_config *c, json_t *j)
{
    hc__sq_version *vs = NULL;
    size_t n = 0;
    if (hc__sq_list(s, c->config, &vs, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (vs[i].live && vs[i].source_rev)
            json_object_set_new(
                j, "etcd_revision",
                json_integer(strtoll(vs[i].source_rev, NULL, 10)));
    hc__sq_versions_free(vs, n);
}

static json_t *status_one(hc__sq *s, const hc__sq_config *c, pid_t pid)
{
    hc__sq_attempt *as = NULL;
    size_t n = 0;
    const char *last_error = NULL;
    char t[32];
    json_t *j;
    if (hc__sq_attempts(s, c->config, 0, NULL, &as, &n) != 0)
        n = 0;
    /* the last error stands until an apply clears it; a start on the
     * last known good version does not (the file still holds the error) */
    for (size_t i = 0; i < n && (!is_apply(as[i].outcome) ||
                                 (as[i].trigger &&
                                  !strcmp(as[i].trigger, "last_known_good")));
         i++)
        if (as[i].error) {
            last_error = as[i].error;
            break;
        }
    j = json_pack(
        "{ss so so so so so}", "config", c->config, "version",
        c->live_version ? json_integer((json_int_t)c->live_version)
                        : json_null(),
        "since",
        c->live_version ? json_string(cli_time(c->live_since_ns, t))
                        : json_null(),
        "last_outcome", n ? json_string(as[0].outcome) : json_null(),
        "last_error", last_error ? json_string(last_error) : json_null(),
        "watcher_pid", pid > 0 && c->watched ? json_integer(pid) : json_null());
    hc__sq_attempts_free(as, n);
    if (j && strncmp(c->config, "etcd://", 7) == 0)
        etcd_revision(s, c, j);
    return j;
}

int cmd_status(int argc, char **argv)
{
    cli_state_opts so = {0};
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0, rc, status = HC_EXIT_OK;
    json_t *arr;
    char *dir;
    pid_t pid;
    hc__sq *s;

    if (!files)
        return HC_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        rc = cli_state_arg("status", help, argc, argv, &i, &so);
        if (rc == CLI_NEXT)
            continue;
        if (rc != CLI_MINE) {
            free(files);
            return rc;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            free(files);
            return cli_unknown_option("status", help, argv[i]);
        }
        files[nfiles++] = argv[i];
    }
    if (!(s = cli_state_open("status", &so))) {
        free(files);
        return HC_EXIT_FAIL;
    }
    dir = cli_state_dir(so.state);
    pid = dir ? hc__sq_watcher_pid(dir) : 0;
    free(dir);
    arr = json_array();
    for (int f = 0; f < (nfiles ? nfiles : 1); f++) {
        hc__sq_config *cs;
        size_t n;
        if (hc__sq_configs(s, nfiles ? files[f] : NULL, &cs, &n) != 0)
            n = 0, cs = NULL;
        if (nfiles && !n) {
            fprintf(stderr, "hotconf status: no history for %s\n", files[f]);
            status = HC_EXIT_FAIL;
        }
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, status_one(s, &cs[i], pid));
        hc__sq_configs_free(cs, n);
    }
    hc__sq_close(s);
    if (so.json) {
        char *out = json_dumps(arr, JSON_COMPACT);
        puts(out ? out : "[]");
        free(out);
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
            json_t *ver = json_object_get(e, "version");
            json_t *wp = json_object_get(e, "watcher_pid");
            const char *lo =
                json_string_value(json_object_get(e, "last_outcome"));
            const char *le =
                json_string_value(json_object_get(e, "last_error"));
            printf("%s\n", json_string_value(json_object_get(e, "config")));
            if (json_is_integer(ver))
                printf("  live:      version %" JSON_INTEGER_FORMAT
                       " since %s\n",
                       json_integer_value(ver),
                       json_string_value(json_object_get(e, "since")));
            else
                printf("  live:      none\n");
            if (json_object_get(e, "etcd_revision"))
                printf("  etcd:      revision %" JSON_INTEGER_FORMAT
                       " (hotconf rollout status: every node)\n",
                       json_integer_value(json_object_get(e, "etcd_revision")));
            printf("  last:      %s\n", lo ? lo : "-");
            if (le)
                printf("  error:     %s\n", le);
            if (json_is_integer(wp))
                printf("  watcher:   pid %" JSON_INTEGER_FORMAT "\n",
                       json_integer_value(wp));
            else
                printf("  watcher:   -\n");
        }
    }
    json_decref(arr);
    free(files);
    return status;
}
