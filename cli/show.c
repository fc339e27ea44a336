/*
 * show.c - hotconf show FILE VERSION [--diff [OTHER]] [--reveal]: a stored
 * version, secrets masked, or its changes in hotconf diff's format.
 */
#include "state.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf show FILE VERSION [--diff [OTHER]] [--reveal]\n"
    "                    [--schema SCHEMA] [--secret-keys LIST]\n"
    "                    [--state DIR] [--json]\n"
    "\n"
    "Prints stored version VERSION of FILE in its own format. Values whose\n"
    "key looks secret (last segment password, passwd, secret, token, api_key,\n"
    "private_key, credential, ...; --secret-keys or $HOTCONF_SECRET_KEYS\n"
    "replace the list) or that the schema marks writeOnly print as \"***\".\n"
    "  --diff [OTHER] the changes from the previous stored version (or from\n"
    "                 version OTHER) to VERSION, as 'hotconf diff' prints "
    "them\n"
    "  --reveal       print the real content (the stored bytes), no masking\n"
    "  --schema F     the schema for writeOnly marks (default: the one the\n"
    "                 watcher used)\n"
    "  --json         {config, version, time, trigger, hash, size, format,\n"
    "                 content}; with --diff the changes as a JSON array\n"
    "\n"
    "Exit status: 0 shown, 1 no such version, 2 usage error.\n";

static int parse_version(const char *a, uint64_t *v)
{
    char *end;
    unsigned long long x;
    if (!a || !*a || *a == '-')
        return -1;
    x = strtoull(a, &end, 10);
    if (*end || x == 0)
        return -1;
    *v = x;
    return 0;
}

static int show_diff(hc__sq *s, const char *file, const hc__sq_version *v,
                     uint64_t other, const cli_state_opts *so, int reveal,
                     const json_t *schema)
{
    hc__sq_version o = {0};
    hc_changeset *cs;
    json_t *a, *b;
    hc_error err;
    int rc;
    if (!other) {
        /* the previous stored version, not v - 1: retention leaves gaps */
        hc__sq_version *vs;
        size_t n;
        if (hc__sq_list(s, file, &vs, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                if (vs[i].version < v->version) {
                    other = vs[i].version;
                    break;
                }
            hc__sq_versions_free(vs, n);
        }
        if (!other) {
            fprintf(stderr,
                    "hotconf show: no stored version before %" PRIu64 "\n",
                    v->version);
            return HC_EXIT_FAIL;
        }
    }
    if ((rc = hc__sq_get(s, file, other, &o)) != 0) {
        fprintf(stderr, "hotconf show: version %" PRIu64 " of %s: %s\n", other,
                file, hc_strerror(rc));
        return HC_EXIT_FAIL;
    }
    a = cli_version_doc(&o, file, &err);
    b = a ? cli_version_doc(v, file, &err) : NULL;
    hc__sq_version_clear(&o);
    if (!a || !b) {
        cli_print_error(&err);
        json_decref(a);
        return HC_EXIT_FAIL;
    }
    cs = hc_diff(a, b);
    if (cs && so->json) {
        json_t *j = reveal ? hc_changeset_to_json(cs)
                           : cli_changes_json(cs, so->secret_keys, schema);
        char *out = json_dumps(j, JSON_COMPACT);
        puts(out ? out : "[]");
        free(out);
        json_decref(j);
    } else if (cs) {
        cli_print_changes(cs, "", reveal ? "" : so->secret_keys,
                          reveal ? NULL : schema);
    }
    hc_changeset_free(cs);
    json_decref(a);
    json_decref(b);
    return cs ? HC_EXIT_OK : HC_EXIT_FAIL;
}

int cmd_show(int argc, char **argv)
{
    cli_state_opts so = {0};
    const char *file = NULL, *vers = NULL, *schema_path = NULL;
    uint64_t version = 0, other = 0;
    int diff = 0, reveal = 0, rc;
    hc__sq_version v;
    json_t *schema = NULL;
    hc__sq *s;

    for (int i = 1; i < argc; i++) {
        const char *val;
        rc = cli_state_arg("show", help, argc, argv, &i, &so);
        if (rc == CLI_NEXT)
            continue;
        if (rc != CLI_MINE)
            return rc;
        if (!strcmp(argv[i], "--diff")) {
            diff = 1;
            /* OTHER is optional: taken when the next word is a number */
            if (i + 1 < argc && parse_version(argv[i + 1], &other) == 0)
                i++;
        } else if (!strncmp(argv[i], "--diff=", 7)) {
            diff = 1;
            if (parse_version(argv[i] + 7, &other) != 0)
                return cli_usage_error("show", "--diff=OTHER needs a version");
        } else if (!strcmp(argv[i], "--reveal")) {
            reveal = 1;
        } else if ((rc = cli_opt_value(argc, argv, &i, "--schema", &val))) {
            if (rc < 0)
                return cli_usage_error("show", "--schema needs a file");
            schema_path = val;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_unknown_option("show", help, argv[i]);
        } else if (!file) {
            file = argv[i];
        } else if (!vers) {
            vers = argv[i];
        } else {
            return cli_usage_error("show", "too many arguments");
        }
    }
    if (!file || !vers)
        return cli_usage_error("show", "FILE and VERSION are needed");
    if (parse_version(vers, &version) != 0)
        return cli_usage_error("show", "VERSION must be a number >= 1");
    if (!(s = cli_state_open("show", &so)))
        return HC_EXIT_FAIL;
    if ((rc = hc__sq_get(s, file, version, &v)) != 0) {
        fprintf(stderr, "hotconf show: version %" PRIu64 " of %s: %s\n",
                version, file,
                rc == HC_EHISTORY ? "not stored (never made, or pruned)"
                                  : hc_strerror(rc));
        hc__sq_close(s);
        return HC_EXIT_FAIL;
    }
    if (!reveal)
        schema = cli_state_schema(s, file, schema_path, NULL);
    if (diff) {
        rc = show_diff(s, file, &v, other, &so, reveal, schema);
    } else if (reveal && !so.json) {
        fwrite(v.content, 1, v.size, stdout);
        rc = HC_EXIT_OK;
    } else {
        hc_error err;
        json_t *doc = cli_version_doc(&v, file, &err);
        rc = HC_EXIT_FAIL;
        if (!doc) {
            cli_print_error(&err);
        } else {
            char *out;
            if (!reveal)
                cli_mask(doc, so.secret_keys, schema);
            if (so.json) {
                char t[32], h[20];
                json_t *j;
                snprintf(h, sizeof h, "%016" PRIx64, v.hash);
                j = json_pack("{ss sI ss ss ss sI ss sO}", "config", file,
                              "version", (json_int_t)v.version, "time",
                              cli_time(v.time_ns, t), "trigger",
                              v.trigger ? v.trigger : "", "hash", h, "size",
                              (json_int_t)v.size, "format",
                              v.format ? v.format : "", "content", doc);
                out = j ? json_dumps(j, JSON_COMPACT) : NULL;
                json_decref(j);
                if (out)
                    puts(out);
            } else {
                hc_format f = HC_FORMAT_JSON;
                hc_error derr;
                if (v.format)
                    hc_format_parse(v.format, &f);
                out = hc_dump(doc, f, &derr);
                if (!out) /* the format cannot hold "***": JSON then */
                    out = json_dumps(doc, JSON_INDENT(2));
                if (out)
                    fputs(out, stdout);
            }
            rc = out ? HC_EXIT_OK : HC_EXIT_FAIL;
            free(out);
            json_decref(doc);
        }
    }
    json_decref(schema);
    hc__sq_version_clear(&v);
    hc__sq_close(s);
    return rc;
}
