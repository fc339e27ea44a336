/*
 * etcd_cli.c - the etcd side of the verbs (see etcd_cli.h): connection
 * flags; history and rollback read etcd's own revisions (a range with
 * revision=R, as far back as compaction allows) and write with a
 * compare-and-swap; rollout status and push --wait read the status
 * reports under KEY/.status/ (src/etcd/status.c).
 */
#include "etcd_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <xxhash.h>

#ifdef HC_WITH_ETCD
#include "etcd/etcd.h"
#endif

int cli_is_etcd(const char *s)
{
    return s && strncmp(s, "etcd://", 7) == 0;
}

int cli_any_etcd(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (cli_is_etcd(argv[i]))
            return 1;
    return 0;
}

int cli_has_opt(int argc, char **argv, const char *opt)
{
    size_t n = strlen(opt);
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], opt, n) && (!argv[i][n] || argv[i][n] == '='))
            return 1;
    return 0;
}

int cli_etcd_opt(const char *verb, int argc, char **argv, int *i,
                 cli_etcd_opts *o)
{
    static const struct {
        const char *name;
        size_t off;
    } flags[] = {
        {"--etcd-user", offsetof(cli_etcd_opts, user)},
        {"--etcd-password-file", offsetof(cli_etcd_opts, password_file)},
        {"--etcd-cacert", offsetof(cli_etcd_opts, cacert)},
        {"--etcd-cert", offsetof(cli_etcd_opts, cert)},
        {"--etcd-key", offsetof(cli_etcd_opts, key)},
    };
    if (strcmp(argv[*i], "--etcd-password") == 0 ||
        strncmp(argv[*i], "--etcd-password=", 16) == 0) {
        /* A password in argv is visible to every user in ps. */
        cli_usage_error(verb, "give the password in a file: "
                              "--etcd-password-file FILE");
        return -1;
    }
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        const char *v = NULL;
        int r = cli_opt_value(argc, argv, i, flags[k].name, &v);
        if (r == 0)
            continue;
        if (r < 0 || !*v) {
            cli_usage_error(verb, "%s needs a value", flags[k].name);
            return -1;
        }
        *(const char **)((char *)o + flags[k].off) = v;
        return 1;
    }
    return 0;
}

/* The password: the file's first line. */
static char *read_password(const char *verb, const char *file)
{
    FILE *f = fopen(file, "r");
    char buf[1024];
    struct stat st;
    if (!f) {
        fprintf(stderr, "hotconf %s: %s: %s\n", verb, file, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr,
                "hotconf %s: warning: %s is readable by others "
                "(chmod 600 it)\n",
                verb, file);
    if (!fgets(buf, sizeof buf, f))
        buf[0] = 0;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = 0;
    return strdup(buf);
}

int cli_etcd_configure(const char *verb, const cli_etcd_opts *o)
{
    hc_etcd_options eo;
    hc_error err;
    char *pw = NULL;
    const char *pwfile = o->password_file;
    int rc;
    if (!o->user && !o->password_file && !o->cacert && !o->cert && !o->key)
        return 0;
    if (!pwfile && o->user)
        pwfile = getenv("HOTCONF_ETCD_PASSWORD_FILE");
    if (pwfile && !o->user)
        return cli_usage_error(verb, "--etcd-password-file needs --etcd-user");
    if (o->key && !o->cert)
        return cli_usage_error(verb, "--etcd-key needs --etcd-cert");
    if (pwfile && !(pw = read_password(verb, pwfile)))
        return HC_EXIT_USAGE;
    hc_etcd_options_init(&eo);
    eo.user = o->user;
    eo.password = pw;
    eo.cacert = o->cacert;
    eo.cert = o->cert;
    eo.key = o->key;
    hc_error_init(&err);
    rc = hc_etcd_configure(&eo, &err);
    if (pw) {
        memset(pw, 0, strlen(pw));
        free(pw);
    }
    if (rc != 0) {
        fprintf(stderr, "hotconf %s: %s\n", verb, err.text);
        return HC_EXIT_USAGE;
    }
    return 0;
}

#ifdef HC_WITH_ETCD

/* ---- history ----------------------------------------------------------- */

typedef struct kver {
    int64_t rev; /* mod_revision */
    char *value;
    size_t len;
} kver;

/* Up to max versions of t's key, newest first, walking back through the
 * revision before each one (range revision=R). *compacted: the walk
 * stopped at a compaction. Returns the count, -1 on error (printed). */
static int walk(hc__etcd_target *t, int max, kver *out, int *compacted,
                const char *verb)
{
    int n = 0;
    int64_t at = 0;
    *compacted = 0;
    while (n < max) {
        int64_t mod, version, hdr;
        hc_error err;
        int rc;
        hc_error_init(&err);
        rc = hc__etcd_get_at(t, t->key, at, &out[n].value, &out[n].len, &mod,
                             &version, &hdr, &err);
        for (int k = 0; rc == HC_EIO && k < t->nendpoints - 1; k++) {
            hc__etcd_next_endpoint(t);
            hc_error_init(&err);
            rc = hc__etcd_get_at(t, t->key, at, &out[n].value, &out[n].len,
                                 &mod, &version, &hdr, &err);
        }
        if (rc == HC_ESTATE) {
            *compacted = 1;
            break;
        }
        if (rc != 0) {
            fprintf(stderr, "hotconf %s: %s\n", verb, err.text);
            while (n-- > 0)
                free(out[n].value);
            return -1;
        }
        if (!out[n].value) /* not there (yet, or deleted in between) */
            break;
        out[n].rev = mod;
        n++;
        if (version <= 1) /* its creation: nothing older */
            break;
        at = mod - 1;
    }
    return n;
}

static void free_versions(kver *v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i].value);
}

#define MAX_HISTORY 1000

static const char history_help[] =
    "usage: hotconf history etcd://HOST:PORT[,...]/KEY [--limit N] [--json]\n"
    "                       [etcd options]\n"
    "\n"
    "Lists KEY's versions kept by etcd, newest first: its mod_revision,\n"
    "content hash and size; '*' marks the current one. etcd keeps no time\n"
    "(shown '-', null in JSON). The list ends at KEY's creation, or where\n"
    "etcd compacted the older revisions away (said on stderr).\n"
    "  --limit N  at most N versions (default 20, at most 1000)\n"
    "  --json     one JSON array: version (the mod_revision), live, time,\n"
    "             trigger, hash, size\n" CLI_ETCD_OPTS_HELP "\n"
    "Exit status: 0 listed, 1 KEY does not exist or etcd cannot be read,\n"
    "2 usage error.\n";

int cli_etcd_history(int argc, char **argv)
{
    cli_etcd_opts eo = {0};
    const char *url = NULL, *v;
    long limit = 20;
    int json = 0, n, compacted, rc;
    hc__etcd_target t;
    hc_error err;
    kver *vs;

    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(history_help, stdout);
            return HC_EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        if ((r = cli_etcd_opt("history", argc, argv, &i, &eo)) != 0) {
            if (r < 0)
                return HC_EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--limit", &v)) != 0) {
            if (r < 0 || cli_parse_long(v, 1, MAX_HISTORY, &limit) != 0)
                return cli_usage_error("history", "--limit needs 1 to %d",
                                       MAX_HISTORY);
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_unknown_option("history", history_help, argv[i]);
        if (url)
            return cli_usage_error("history", "one config only");
        url = argv[i];
    }
    if ((rc = cli_etcd_configure("history", &eo)) != 0)
        return rc;
    hc_error_init(&err);
    if (hc__etcd_target_parse(&t, url, &err) != 0) {
        fprintf(stderr, "hotconf history: %s\n", err.text);
        return HC_EXIT_USAGE;
    }
    if (!(vs = calloc((size_t)limit, sizeof *vs))) {
        hc__etcd_target_free(&t);
        return HC_EXIT_FAIL;
    }
    n = walk(&t, (int)limit, vs, &compacted, "history");
    hc__etcd_target_free(&t);
    if (n < 0) {
        free(vs);
        return HC_EXIT_FAIL;
    }
    if (n == 0 && !compacted) {
        fprintf(stderr, "hotconf history: %s: no such key in etcd\n", url);
        free(vs);
        return HC_EXIT_FAIL;
    }
    if (json) {
        json_t *arr = json_array();
        char h[20], *out;
        for (int i = 0; i < n; i++) {
            snprintf(h, sizeof h, "%016" PRIx64,
                     (uint64_t)XXH3_64bits(vs[i].value, vs[i].len));
            json_array_append_new(
                arr, json_pack("{sI sb sn ss ss sI}", "version",
                               (json_int_t)vs[i].rev, "live", i == 0, "time",
                               "trigger", "update", "hash", h, "size",
                               (json_int_t)vs[i].len));
        }
        out = json_dumps(arr, JSON_COMPACT);
        puts(out ? out : "[]");
        free(out);
        json_decref(arr);
    } else {
        printf("  %-10s %-24s %-16s %-16s %8s\n", "VERSION", "TIME", "TRIGGER",
               "HASH", "SIZE");
        for (int i = 0; i < n; i++)
            printf("%c %-10lld %-24s %-16s %016" PRIx64 " %8zu\n",
                   i == 0 ? '*' : ' ', (long long)vs[i].rev, "-", "update",
                   (uint64_t)XXH3_64bits(vs[i].value, vs[i].len), vs[i].len);
    }
    if (compacted)
        fprintf(stderr,
                "hotconf history: older revisions of %s were compacted "
                "away in etcd\n",
                url);
    free_versions(vs, n);
    free(vs);
    return HC_EXIT_OK;
}

/* ---- rollback ---------------------------------------------------------- */

static const char rollback_help[] =
    "usage: hotconf rollback etcd://HOST:PORT[,...]/KEY [N | --to REV]\n"
    "                        [--schema SCHEMA] [--format F] [--json]\n"
    "                        [etcd options]\n"
    "\n"
    "Writes back to KEY the value it had N versions ago (default 1), or at\n"
    "its version REV (a mod_revision from hotconf history), with a\n"
    "compare-and-swap on the revision read just before. The old value is\n"
    "parsed (format from KEY's extension or --format) and validated\n"
    "against SCHEMA first; every watcher then applies it as a new etcd\n"
    "revision.\n"
    "  --json  one JSON object: config, from (the revision replaced), to (the\n"
    "          revision whose value is written back), version (the new\n"
    "          revision)\n" CLI_ETCD_OPTS_HELP "\n"
    "Exit status: 0 written (prints the new revision), 1 refused (no such\n"
    "version, compacted away, invalid, someone else wrote first, or etcd\n"
    "cannot be reached), 2 usage error.\n";

/* Parses (and validates) the bytes as a config named name. 0 valid; 1
 * invalid (printed). */
static int check_bytes(const char *verb, const char *name, const char *bytes,
                       size_t len, const cli_parse_opts *po,
                       const hc_schema *schema)
{
    hc_parse_options popt;
    hc_format f = po->format;
    hc_error err;
    json_t *doc;
    if (f == HC_FORMAT_AUTO)
        f = hc_format_from_name(strrchr(name, '/') + 1);
    cli_parse_options(po, &popt);
    hc_error_init(&err);
    doc = hc_parse(bytes, len, f, name, &popt, &err);
    if (!doc || (schema && hc_schema_check(schema, doc, name, NULL, &err))) {
        cli_print_error(&err);
        json_decref(doc);
        fprintf(stderr, "hotconf %s: refused: that version is invalid\n", verb);
        return 1;
    }
    json_decref(doc);
    return 0;
}

int cli_etcd_rollback(int argc, char **argv)
{
    cli_etcd_opts eo = {0};
    cli_parse_opts po;
    const char *url = NULL, *to = NULL, *steps_s = NULL, *schema_path = NULL,
               *v;
    long steps = 1, want = 0;
    int n, compacted, rc, status = HC_EXIT_FAIL, pick = -1, json = 0;
    hc__etcd_target t;
    hc_schema *schema = NULL;
    hc_error err;
    int64_t rev = 0;
    kver *vs;

    memset(&po, 0, sizeof po);
    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(rollback_help, stdout);
            return HC_EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) {
            json = 1;
            continue;
        }
        if ((r = cli_parse_opt(argc, argv, &i, &po)) != 0) {
            if (r < 0)
                return HC_EXIT_USAGE;
            continue;
        }
        if ((r = cli_etcd_opt("rollback", argc, argv, &i, &eo)) != 0) {
            if (r < 0)
                return HC_EXIT_USAGE;
            continue;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--to", &v)) != 0) {
            if (r < 0 || cli_parse_long(v, 1, 0x7fffffff, &want) != 0)
                return cli_usage_error("rollback", "--to needs a revision");
            to = v;
            continue;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--schema", &v)) != 0) {
            if (r < 0 || !*v)
                return cli_usage_error("rollback", "--schema needs a file");
            schema_path = v;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cli_unknown_option("rollback", rollback_help, argv[i]);
        if (!url)
            url = argv[i];
        else if (!steps_s)
            steps_s = argv[i];
        else
            return cli_usage_error("rollback", "unexpected argument %s",
                                   argv[i]);
    }
    if (steps_s && to)
        return cli_usage_error("rollback", "give N or --to REV, not both");
    if (steps_s && cli_parse_long(steps_s, 1, MAX_HISTORY - 1, &steps) != 0)
        return cli_usage_error("rollback", "N must be 1 to %d",
                               MAX_HISTORY - 1);
    if ((rc = cli_etcd_configure("rollback", &eo)) != 0)
        return rc;
    hc_error_init(&err);
    if (schema_path && !(schema = hc_schema_load(schema_path, &err))) {
        cli_print_error(&err);
        return HC_EXIT_USAGE;
    }
    if (hc__etcd_target_parse(&t, url, &err) != 0) {
        fprintf(stderr, "hotconf rollback: %s\n", err.text);
        hc_schema_free(schema);
        return HC_EXIT_USAGE;
    }
    vs = calloc(MAX_HISTORY, sizeof *vs);
    n = vs ? walk(&t, to ? MAX_HISTORY : (int)steps + 1, vs, &compacted,
                  "rollback")
           : -1;
    if (n < 0)
        goto out;
    if (n == 0) {
        fprintf(stderr, "hotconf rollback: %s: no such key in etcd\n", url);
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (to ? vs[i].rev == want : i == steps)
            pick = i;
    if (pick < 0) {
        if (compacted)
            fprintf(stderr,
                    "hotconf rollback: refused: %s%s is older than what "
                    "etcd keeps (compacted away)\n",
                    to ? "revision " : "that version", to ? to : "");
        else if (to)
            fprintf(stderr,
                    "hotconf rollback: refused: %s is not a version of %s "
                    "(see hotconf history)\n",
                    to, url);
        else
            fprintf(stderr,
                    "hotconf rollback: refused: %s has only %d version%s\n",
                    url, n, n == 1 ? "" : "s");
        goto out;
    }
    if (pick == 0) {
        printf("%s: revision %lld is the current one; nothing written\n", url,
               (long long)vs[0].rev);
        status = HC_EXIT_OK;
        goto out;
    }
    if (check_bytes("rollback", url, vs[pick].value, vs[pick].len, &po,
                    schema) != 0)
        goto out;
    hc_error_init(&err);
    rc =
        hc_etcd_write(url, vs[pick].value, vs[pick].len, vs[0].rev, &rev, &err);
    if (rc == HC_ESTATE) {
        fprintf(stderr, "hotconf rollback: refused: %s\n", err.text);
        goto out;
    }
    if (rc != 0) {
        cli_print_error(&err);
        goto out;
    }
    if (json) {
        json_t *j = json_pack(
            "{ss sI sI sI}", "config", url, "from", (json_int_t)vs[0].rev, "to",
            (json_int_t)vs[pick].rev, "version", (json_int_t)rev);
        char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (out)
            puts(out);
        free(out);
        json_decref(j);
    } else {
        printf("%s: revision %lld written back at revision %lld\n", url,
               (long long)vs[pick].rev, (long long)rev);
    }
    status = HC_EXIT_OK;
out:
    if (n > 0)
        free_versions(vs, n);
    free(vs);
    hc__etcd_target_free(&t);
    hc_schema_free(schema);
    return status;
}

/* ---- watch ------------------------------------------------------------- */

int cli_etcd_follow(hc_engine *e, const char *id)
{
    hc_error err;
    char *v = NULL;
    size_t len;
    int64_t mod;
    hc_error_init(&err);
    /* The follower retries quietly for ever, which is right for an etcd
     * that is down, not for credentials etcd refuses: one read tells. */
    if (hc_etcd_read(id, &v, &len, &mod, &err) != 0) {
        if (strstr(err.text, ": HTTP 4")) { /* etcd answered: refused */
            fprintf(stderr, "hotconf watch: %s\n", err.text);
            return HC_EXIT_USAGE;
        }
        fprintf(stderr, "hotconf watch: warning: %s (retrying)\n", err.text);
    }
    free(v);
    hc_error_init(&err);
    if (hc__etcd_follow(e, id, &err) != 0) {
        fprintf(stderr, "hotconf watch: %s\n", err.text);
        return HC_EXIT_USAGE;
    }
    return 0;
}

int cli_etcd_report(hc_engine *e, const char *node, int ttl)
{
    hc_error err;
    hc_error_init(&err);
    if (hc_etcd_report_status(e, node, ttl, &err) != 0) {
        fprintf(stderr, "hotconf watch: --node: %s: %s\n", err.source,
                err.text);
        return HC_EXIT_USAGE;
    }
    return 0;
}

/* ---- rollout status ---------------------------------------------------- */

/* The reports under t's status prefix (a new array) and the key's
 * current mod_revision. NULL on error (printed). t is kept across calls,
 * with its token: an authentication costs etcd a bcrypt. */
static json_t *reports(const char *verb, hc__etcd_target *t, int64_t *current)
{
    hc_error err;
    json_t *kvs = NULL, *out;
    char *prefix, *val;
    size_t len, i, n = strlen(t->key) + sizeof HC__ETCD_STATUS_DIR;
    int64_t hdr;
    json_t *kv;
    if (!(prefix = malloc(n)))
        return NULL;
    snprintf(prefix, n, "%s" HC__ETCD_STATUS_DIR, t->key);
    hc_error_init(&err);
    for (int k = 0; k < t->nendpoints && !kvs; k++) {
        hc_error_init(&err);
        if (hc__etcd_get(t, &val, &len, current, &hdr, &err) == 0) {
            free(val);
            kvs = hc__etcd_list(t, prefix, &err);
        }
        if (!kvs)
            hc__etcd_next_endpoint(t);
    }
    free(prefix);
    if (!kvs) {
        fprintf(stderr, "hotconf %s: %s\n", verb, err.text);
        return NULL;
    }
    out = json_array();
    json_array_foreach(kvs, i, kv)
    {
        json_error_t je;
        const char *v = json_string_value(json_object_get(kv, "value"));
        json_t *r = v ? json_loads(v, 0, &je) : NULL;
        if (json_is_object(r))
            json_array_append_new(out, r);
        else
            json_decref(r);
    }
    json_decref(kvs);
    return out;
}

static int64_t field_i(const json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

static const char *field_s(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static const char rollout_help[] =
    "usage: hotconf rollout status etcd://HOST:PORT[,...]/KEY [--json]\n"
    "                              [etcd options]\n"
    "\n"
    "Shows every live node watching KEY, as each reports itself under\n"
    "KEY/.status/NODE (a report lives as long as its watcher's lease): the\n"
    "revision live there, its content hash, and the outcome of the last\n"
    "revision it tried (applied, or rejected and why).\n"
    "  --json  {\"key\", \"revision\" (KEY's current mod_revision), "
    "\"nodes\":\n"
    "          [{node, revision, hash, outcome, attempted, error, time}]}\n"
    "          (each node's report as written)\n" CLI_ETCD_OPTS_HELP "\n"
    "Exit status: 0 every live node runs the current revision, 1 not (or\n"
    "etcd cannot be read), 2 usage error.\n";

int cmd_rollout(int argc, char **argv)
{
    cli_etcd_opts eo = {0};
    const char *url = NULL;
    int json = 0, rc, behind = 0;
    int64_t current = 0;
    hc__etcd_target t;
    hc_error err;
    json_t *rs, *r;
    size_t i;

    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(rollout_help, stdout);
        return HC_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "status") != 0)
        return cli_usage_error("rollout", "the only subcommand is 'status'");
    for (int k = 2; k < argc; k++) {
        int x;
        if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help")) {
            fputs(rollout_help, stdout);
            return HC_EXIT_OK;
        }
        if (!strcmp(argv[k], "--json")) {
            json = 1;
            continue;
        }
        if ((x = cli_etcd_opt("rollout", argc, argv, &k, &eo)) != 0) {
            if (x < 0)
                return HC_EXIT_USAGE;
            continue;
        }
        if (argv[k][0] == '-' && argv[k][1])
            return cli_unknown_option("rollout", rollout_help, argv[k]);
        if (url)
            return cli_usage_error("rollout", "one config only");
        url = argv[k];
    }
    if (!cli_is_etcd(url))
        return cli_usage_error("rollout", "needs etcd://HOST:PORT/KEY");
    if ((rc = cli_etcd_configure("rollout", &eo)) != 0)
        return rc;
    hc_error_init(&err);
    if (hc__etcd_target_parse(&t, url, &err) != 0) {
        fprintf(stderr, "hotconf rollout: %s\n", err.text);
        return HC_EXIT_USAGE;
    }
    rs = reports("rollout", &t, &current);
    hc__etcd_target_free(&t);
    if (!rs)
        return HC_EXIT_FAIL;
    json_array_foreach(rs, i, r) if (field_i(r, "revision") != current)
        behind++;
    if (json) {
        json_t *o = json_pack("{s:s,s:I,s:O}", "key", url, "revision",
                              (json_int_t)current, "nodes", rs);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        printf("%s: current revision %lld, %zu live node%s\n", url,
               (long long)current, json_array_size(rs),
               json_array_size(rs) == 1 ? "" : "s");
        if (json_array_size(rs))
            printf("  %-20s %-10s %-16s %-9s %-10s %s\n", "NODE", "REVISION",
                   "HASH", "OUTCOME", "ATTEMPTED", "ERROR");
        json_array_foreach(rs, i, r)
        {
            printf("%c %-20s %-10lld %-16s %-9s %-10lld %s\n",
                   field_i(r, "revision") == current ? ' ' : '!',
                   field_s(r, "node"), (long long)field_i(r, "revision"),
                   field_s(r, "hash"), field_s(r, "outcome"),
                   (long long)field_i(r, "attempted"), field_s(r, "error"));
        }
    }
    json_decref(rs);
    return behind ? HC_EXIT_FAIL : HC_EXIT_OK;
}

/* ---- push --wait ------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_etcd_wait(const char *url, int64_t rev, long timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    struct timespec nap = {0, 50 * 1000000L};
    hc__etcd_target t;
    hc_error err;
    hc_error_init(&err);
    if (hc__etcd_target_parse(&t, url, &err) != 0) {
        fprintf(stderr, "hotconf push: %s\n", err.text);
        return HC_EXIT_FAIL;
    }
    for (;;) {
        int64_t current = 0;
        json_t *rs = reports("push", &t, &current), *r;
        size_t i, done = 0, failed = 0;
        int over = mono_ms() >= deadline;
        if (!rs) {
            hc__etcd_target_free(&t);
            return HC_EXIT_FAIL;
        }
        if (current != rev) {
            fprintf(stderr,
                    "hotconf push: %s was written again (revision %lld) "
                    "while waiting\n",
                    url, (long long)current);
            json_decref(rs);
            hc__etcd_target_free(&t);
            return HC_EXIT_FAIL;
        }
        json_array_foreach(rs, i, r)
        {
            if (field_i(r, "revision") >= rev)
                done++;
            else if (!strcmp(field_s(r, "outcome"), "rejected") &&
                     field_i(r, "attempted") >= rev)
                failed++;
        }
        if (failed) {
            json_array_foreach(
                rs, i, r) if (field_i(r, "revision") < rev &&
                              !strcmp(field_s(r, "outcome"), "rejected") &&
                              field_i(r, "attempted") >= rev)
                fprintf(stderr,
                        "hotconf push: node %s rejected revision %lld: %s\n",
                        field_s(r, "node"), (long long)rev,
                        field_s(r, "error"));
        } else if (done == json_array_size(rs)) {
            if (done == 0)
                fprintf(stderr,
                        "hotconf push: warning: no live node reports "
                        "under %s/.status/\n",
                        strrchr(url, '/') + 1);
            else
                printf("%s: revision %lld applied on all %zu live node%s\n",
                       url, (long long)rev, done, done == 1 ? "" : "s");
        } else if (over) {
            fprintf(stderr,
                    "hotconf push: timed out: %zu of %zu live nodes applied "
                    "revision %lld; still waiting for:",
                    done, json_array_size(rs), (long long)rev);
            json_array_foreach(rs, i, r) if (field_i(r, "revision") < rev)
                fprintf(stderr, " %s", field_s(r, "node"));
            fputc('\n', stderr);
            failed = 1;
        } else {
            json_decref(rs);
            nanosleep(&nap, NULL);
            continue;
        }
        json_decref(rs);
        hc__etcd_target_free(&t);
        return failed ? HC_EXIT_FAIL : HC_EXIT_OK;
    }
}

#else /* !HC_WITH_ETCD */

static int no_etcd(const char *verb)
{
    fprintf(stderr, "hotconf %s: built without etcd support\n", verb);
    return HC_EXIT_USAGE;
}

int cli_etcd_history(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return no_etcd("history");
}

int cli_etcd_rollback(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return no_etcd("rollback");
}

int cli_etcd_follow(hc_engine *e, const char *id)
{
    (void)e;
    (void)id;
    return no_etcd("watch");
}

int cli_etcd_report(hc_engine *e, const char *node, int ttl)
{
    (void)e;
    (void)node;
    (void)ttl;
    return 0;
}

int cmd_rollout(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return no_etcd("rollout");
}

int cli_etcd_wait(const char *url, int64_t rev, long timeout_ms)
{
    (void)url;
    (void)rev;
    (void)timeout_ms;
    return no_etcd("push");
}

#endif
