/*
 * rollback.c - hotconf rollback FILE [N | --to VERSION]: rewrites FILE
 * atomically (temp file, fsync, rename, mode and owner kept, directory
 * fsync'd) from a stored version.
 *
 * With a watcher running on FILE, the CLI first leaves a pending-rollback
 * row with the content's hash in the state database: the watcher that sees
 * that content claims the row and records the version with trigger
 * "rollback" (not a plain file change); the CLI waits for its verdict.
 * With no watcher, the CLI records the version and the attempt itself, so
 * history stays whole and the next watcher continues from it.
 */
#include "etcd_cli.h"
#include "state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static const char help[] =
    "usage: hotconf rollback FILE [N | --to VERSION] [--schema SCHEMA]\n"
    "                        [--state DIR] [--json]\n"
    "\n"
    "Rewrites FILE with the content of the stored version N versions behind\n"
    "the live one (default 1), or of VERSION. The write is atomic (temp\n"
    "file, fsync, rename; mode and owner kept). A watcher running on FILE\n"
    "applies it and records it with trigger 'rollback'; with no watcher the\n"
    "version is recorded here. A version that no longer parses or no longer\n"
    "validates against the current schema (--schema, default the watcher's)\n"
    "is refused.\n"
    "An etcd config (etcd://HOST:PORT/KEY) is rolled back to one of etcd's\n"
    "own revisions: see hotconf rollback etcd://x:1/k --help.\n"
    "\n"
    "Exit status: 0 applied, 1 refused (no such version, invalid, cannot\n"
    "write, or the watcher rejected it), 2 usage error.\n";

/* Validates doc against the schema file; 0 valid, 1 invalid (printed). */
static int check_schema(const char *file, const char *schema_path, json_t *doc)
{
    hc_error err;
    hc_schema *schema;
    hc_schema_report *rep;
    int rc;
    hc_error_init(&err);
    schema = hc_schema_load(schema_path, &err);
    if (!schema) {
        fprintf(stderr, "hotconf rollback: the schema: ");
        cli_print_error(&err);
        return 1;
    }
    rep = hc_schema_report_new();
    if (!rep) {
        hc_schema_free(schema);
        return 1;
    }
    hc_schema_report_set_source(rep, file, NULL);
    rc = hc_schema_validate(schema, doc, rep);
    for (size_t i = 0; rc && i < hc_schema_report_count(rep); i++) {
        char buf[1024];
        hc_schema_report_error(rep, i, &err);
        fprintf(stderr, "%s\n", hc_error_format(&err, buf, sizeof buf));
    }
    hc_schema_report_free(rep);
    hc_schema_free(schema);
    return rc ? 1 : 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Waits for the watcher's verdict on our rollback: 0 applied, 1 rejected,
 * -1 no verdict in time. */
static int wait_verdict(hc__sq *s, const char *file, int64_t since,
                        uint64_t *version)
{
    for (int tries = 0; tries < 100; tries++) {
        hc__sq_attempt *as;
        size_t n;
        int verdict = -1;
        if (hc__sq_attempts(s, file, since, NULL, &as, &n) == 0) {
            for (size_t i = n; i-- > 0 && verdict < 0;) {
                int ours = as[i].trigger && !strcmp(as[i].trigger, "rollback");
                /* a rejection carries the file's trigger, not ours: the
                 * first one after our write is the verdict on it */
                if (!ours && strcmp(as[i].outcome, "rejected"))
                    continue;
                verdict = strcmp(as[i].outcome, "applied") &&
                          strcmp(as[i].outcome, "rolled_back");
                *version = as[i].version;
                if (verdict && as[i].error)
                    fprintf(stderr,
                            "hotconf rollback: the watcher refused "
                            "it: %s\n",
                            as[i].error);
            }
            hc__sq_attempts_free(as, n);
        }
        if (verdict >= 0)
            return verdict;
        usleep(100 * 1000);
    }
    return -1;
}

static int changed_count(const hc__sq_version *from, const hc__sq_version *to,
                         const char *file)
{
    hc_error err;
    json_t *a = cli_version_doc(from, file, &err);
    json_t *b = a ? cli_version_doc(to, file, &err) : NULL;
    hc_changeset *cs = b ? hc_diff(a, b) : NULL;
    int n = cs ? (int)hc_changeset_count(cs) : 0;
    hc_changeset_free(cs);
    json_decref(a);
    json_decref(b);
    return n;
}

static int rollback(hc__sq *s, const char *file, long back, uint64_t to,
                    const char *schema_arg, const cli_state_opts *so,
                    const char *dir)
{
    hc__sq_version *vs = NULL, target = {0}, live = {0};
    hc__sq_config *cs = NULL;
    size_t n = 0, ncs = 0, li = 0, ti;
    char *schema_path = NULL;
    json_t *doc = NULL, *sdoc;
    uint64_t hash, made = 0;
    int rc = HC_EXIT_FAIL, watched;
    int64_t start = now_ns();
    hc_error err;
    pid_t pid;

    if (hc__sq_list(s, file, &vs, &n) != 0 || n == 0) {
        fprintf(stderr, "hotconf rollback: no stored versions of %s\n", file);
        goto out;
    }
    while (li < n && !vs[li].live)
        li++;
    if (li == n)
        li = 0;
    if (to) {
        for (ti = 0; ti < n && vs[ti].version != to; ti++)
            ;
        if (ti == n) {
            fprintf(stderr,
                    "hotconf rollback: version %" PRIu64 " of %s is not "
                    "stored (never made, or pruned)\n",
                    to, file);
            goto out;
        }
        if (ti == li) {
            fprintf(stderr,
                    "hotconf rollback: version %" PRIu64 " is already live\n",
                    to);
            goto out;
        }
    } else {
        if ((size_t)back > n - 1 - li) {
            fprintf(stderr,
                    "hotconf rollback: %s has %zu stored version%s before "
                    "the live one; cannot go %ld back\n",
                    file, n - 1 - li, n - 1 - li == 1 ? "" : "s", back);
            goto out;
        }
        ti = li + (size_t)back;
    }
    if (hc__sq_get(s, file, vs[ti].version, &target) != 0 ||
        hc__sq_get(s, file, vs[li].version, &live) != 0) {
        fprintf(stderr, "hotconf rollback: cannot read the stored version\n");
        goto out;
    }
    /* It must still parse and pass the current schema. */
    if (!(doc = cli_version_doc(&target, file, &err))) {
        fprintf(stderr,
                "hotconf rollback: version %" PRIu64 " no longer parses: ",
                target.version);
        cli_print_error(&err);
        goto out;
    }
    sdoc = cli_state_schema(s, file, schema_arg, &schema_path);
    json_decref(sdoc);
    if (schema_path && check_schema(file, schema_path, doc) != 0) {
        fprintf(stderr,
                "hotconf rollback: refused: version %" PRIu64
                " does not validate against %s\n",
                target.version, schema_path);
        goto out;
    }
    hash = XXH3_64bits(target.content, target.size);
    pid = hc__sq_watcher_pid(dir);
    watched = 0;
    if (pid > 0 && hc__sq_configs(s, file, &cs, &ncs) == 0 && ncs)
        watched = cs[0].watched;
    if (watched && hc__sq_rollback_request(s, file, hash, live.version) != 0) {
        fprintf(stderr,
                "hotconf rollback: cannot tell the watcher (pid %ld)"
                "; refused\n",
                (long)pid);
        goto out;
    }
    /* Through a symlink its target, with the file's mode and owner. */
    hc_error_init(&err);
    if (hc__write_atomic(file, target.content, target.size, 0644, 1, &err) !=
        0) {
        fprintf(stderr, "hotconf rollback: cannot write %s: %s\n", file,
                err.text);
        goto out;
    }
    if (watched) {
        int v = wait_verdict(s, file, start, &made);
        if (v > 0)
            goto out;
        if (v < 0) {
            fprintf(stderr,
                    "hotconf rollback: %s rewritten; the watcher (pid %ld) "
                    "has not reported yet (see 'hotconf log')\n",
                    file, (long)pid);
        }
    } else {
        hc__sq_version nv = {0};
        hc__sq_attempt a = {0};
        nv.version = vs[0].version + 1;
        nv.time_ns = now_ns();
        nv.hash = hash;
        nv.size = target.size;
        nv.content = target.content;
        nv.format = target.format;
        nv.trigger = (char *)"rollback";
        nv.changed = changed_count(&live, &target, file);
        hc__sq_append(s, file, &nv);
        a.time_ns = nv.time_ns;
        a.outcome = (char *)"rolled_back";
        a.trigger = (char *)"rollback";
        a.version = nv.version;
        a.latency_us = (nv.time_ns - start) / 1000;
        hc__sq_record(s, file, &a);
        if (hc__sq_errors(s))
            fprintf(stderr,
                    "hotconf rollback: %s rewritten, but the history "
                    "could not be recorded\n",
                    file);
        made = nv.version;
    }
    if (so->json) {
        json_t *j =
            json_pack("{ss sI sI sI so}", "config", file, "from",
                      (json_int_t)live.version, "to",
                      (json_int_t)target.version, "version", (json_int_t)made,
                      "watcher_pid", watched ? json_integer(pid) : json_null());
        char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (out)
            puts(out);
        free(out);
        json_decref(j);
    } else
        printf("%s: rolled back from version %" PRIu64 " to the content of "
               "version %" PRIu64 " (now version %" PRIu64 ")\n",
               file, live.version, target.version, made);
    rc = HC_EXIT_OK;
out:
    json_decref(doc);
    free(schema_path);
    hc__sq_configs_free(cs, ncs);
    hc__sq_version_clear(&target);
    hc__sq_version_clear(&live);
    hc__sq_versions_free(vs, n);
    return rc;
}

int cmd_rollback(int argc, char **argv)
{
    cli_state_opts so = {0};
    const char *file = NULL, *schema = NULL, *v;
    long back = 0;
    uint64_t to = 0;
    char *dir;
    hc__sq *s;
    int rc;

    if (cli_any_etcd(argc, argv)) /* etcd's revisions, written with CAS */
        return cli_etcd_rollback(argc, argv);
    for (int i = 1; i < argc; i++) {
        rc = cli_state_arg("rollback", help, argc, argv, &i, &so);
        if (rc == CLI_NEXT)
            continue;
        if (rc != CLI_MINE)
            return rc;
        if ((rc = cli_opt_value(argc, argv, &i, "--to", &v)) != 0) {
            char *end;
            unsigned long long x =
                rc > 0 && *v != '-' ? strtoull(v, &end, 10) : 0;
            if (rc < 0 || x == 0 || *end)
                return cli_usage_error("rollback", "--to needs a version");
            to = x;
        } else if ((rc = cli_opt_value(argc, argv, &i, "--schema", &v))) {
            if (rc < 0)
                return cli_usage_error("rollback", "--schema needs a file");
            schema = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_unknown_option("rollback", help, argv[i]);
        } else if (!file) {
            file = argv[i];
        } else if (!back) {
            char *end;
            back = strtol(argv[i], &end, 10);
            if (*end || back < 1)
                return cli_usage_error("rollback", "N must be a number >= 1");
        } else {
            return cli_usage_error("rollback", "too many arguments");
        }
    }
    if (!file)
        return cli_usage_error("rollback", "a FILE is needed");
    if (back && to)
        return cli_usage_error("rollback", "give N or --to VERSION, not both");
    if (!back)
        back = 1;
    if (!(s = cli_state_open("rollback", &so)))
        return HC_EXIT_FAIL;
    dir = cli_state_dir(so.state);
    rc = dir ? rollback(s, file, back, to, schema, &so, dir) : HC_EXIT_FAIL;
    free(dir);
    hc__sq_close(s);
    return rc;
}
