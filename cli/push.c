/*
 * push.c - hotconf push FILE etcd://.../KEY: validate a config locally,
 * then write it to etcd with a compare-and-swap, so a push never
 * overwrites a change it has not seen.
 */
#include "cli.h"
#include "etcd_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf push FILE etcd://HOST:PORT[,HOST:PORT...]/KEY\n"
    "                    [--schema SCHEMA] [--force] [--expect-revision REV]\n"
    "                    [--format F] [--env-nest SEP] [--no-typing]\n"
    "                    [--yaml-multi MODE] [--ini-allow-no-value]\n"
    "                    [--wait[=SECONDS] [--auto-rollback]] [etcd options]\n"
    "\n"
    "Parses FILE (and validates it against SCHEMA), then writes its bytes\n"
    "to KEY with a compare-and-swap on the key's mod_revision as read just\n"
    "before: when someone else wrote KEY in between, nothing is written.\n"
    "  --expect-revision REV  compare with REV instead (the revision your\n"
    "                         edit is based on; 0: KEY must not exist)\n"
    "  --force                write without comparing\n"
    "  --wait[=SECONDS]       then wait (default 30 s) until every live node\n"
    "                         (a watcher reporting under KEY/.status/) has\n"
    "                         applied the new revision, or one rejected it\n"
    "  --auto-rollback        with --wait: when a node rejected it, write the\n"
    "                         previous value back "
    "(compare-and-swap)\n" CLI_ETCD_OPTS_HELP "\n"
    "Exit status: 0 written (prints the new revision; with --wait: and\n"
    "applied on every live node), 1 refused: FILE is invalid, or someone\n"
    "else wrote first (both say which), or etcd could not be reached, or\n"
    "(--wait) a node rejected it (named, with its error) or the wait timed\n"
    "out; 2 usage error or an invalid schema.\n";

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    if (!f)
        return NULL;
    for (;;) {
        size_t n;
        if (*len + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        n = fread(buf + *len, 1, cap - *len - 1, f);
        *len += n;
        if (n == 0)
            break;
    }
    buf[*len] = 0;
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* --auto-rollback: the value before the push, written back with a CAS on
 * the pushed revision (a later writer wins over the rollback). */
static void roll_back(const char *url, const char *prev, size_t len,
                      int64_t pushed, long wait_ms)
{
    hc_error err;
    int64_t rev = 0;
    int rc;
    if (!prev) {
        fprintf(stderr,
                "hotconf push: not rolled back: %s did not exist "
                "before the push\n",
                url);
        return;
    }
    hc_error_init(&err);
    rc = hc_etcd_write(url, prev, len, pushed, &rev, &err);
    if (rc != 0) {
        fprintf(stderr, "hotconf push: not rolled back: %s\n", err.text);
        return;
    }
    fprintf(stderr,
            "hotconf push: rolled back: the previous value is written at "
            "revision %lld\n",
            (long long)rev);
    if (cli_etcd_wait(url, rev, wait_ms) == HC_EXIT_OK)
        fprintf(stderr, "hotconf push: the rollback is live on every node\n");
}

int cmd_push(int argc, char **argv)
{
    cli_parse_opts po;
    const char *file = NULL, *url = NULL, *schema_path = NULL, *expect = NULL;
    int force = 0, status = HC_EXIT_FAIL, auto_rollback = 0;
    long wait_ms = -1; /* -1: no --wait */
    cli_etcd_opts eo = {0};
    hc_schema *schema = NULL;
    hc_error err;
    json_t *doc = NULL;
    char *bytes = NULL, *cur = NULL;
    size_t len, curlen;
    int64_t mod = 0, rev = 0;
    int rc;

    memset(&po, 0, sizeof po); /* HC_FORMAT_AUTO and every default */
    for (int i = 1; i < argc; i++) {
        int r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            return HC_EXIT_USAGE;
        if (r > 0)
            continue;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return HC_EXIT_OK;
        }
        if (strcmp(argv[i], "--force") == 0) {
            force = 1;
            continue;
        }
        if (strcmp(argv[i], "--auto-rollback") == 0) {
            auto_rollback = 1;
            continue;
        }
        if (strcmp(argv[i], "--wait") == 0 ||
            strncmp(argv[i], "--wait=", 7) == 0) {
            /* --wait alone must not take the next argument as its value */
            char *end;
            double s = 30;
            if (argv[i][6] == '=') {
                errno = 0;
                s = strtod(argv[i] + 7, &end);
                if (*end == 's' && !end[1])
                    end++;
                if (errno || end == argv[i] + 7 || *end || !(s > 0) ||
                    s > 86400)
                    return cli_usage_error("push", "--wait=SECONDS: 0 < "
                                                   "SECONDS <= 86400");
            }
            wait_ms = (long)(s * 1000);
            continue;
        }
        if ((r = cli_etcd_opt("push", argc, argv, &i, &eo)) != 0) {
            if (r < 0)
                return HC_EXIT_USAGE;
            continue;
        }
        r = cli_opt_value(argc, argv, &i, "--schema", &schema_path);
        if (r < 0 || (r > 0 && !*schema_path))
            return cli_usage_error("push", "--schema needs a file");
        if (r > 0)
            continue;
        r = cli_opt_value(argc, argv, &i, "--expect-revision", &expect);
        if (r < 0)
            return cli_usage_error("push", "--expect-revision needs REV");
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1])
            return cli_unknown_option("push", help, argv[i]);
        if (!file)
            file = argv[i];
        else if (!url)
            url = argv[i];
        else
            return cli_usage_error("push", "unexpected argument %s", argv[i]);
    }
    if (!file || !url)
        return cli_usage_error("push", "needs FILE and etcd://HOST:PORT/KEY");
    if (strncmp(url, "etcd://", 7) != 0)
        return cli_usage_error("push", "%s: not an etcd:// name", url);
    if (force && expect)
        return cli_usage_error("push", "--force and --expect-revision clash");
    if (auto_rollback && wait_ms < 0)
        return cli_usage_error("push", "--auto-rollback needs --wait");
    if ((rc = cli_etcd_configure("push", &eo)) != 0)
        return rc;
    if (expect) {
        char *end;
        errno = 0;
        mod = strtoll(expect, &end, 10);
        if (errno || end == expect || *end || mod < 0)
            return cli_usage_error("push",
                                   "--expect-revision %s: not a "
                                   "revision",
                                   expect);
    }
    hc_error_init(&err);
    if (schema_path && !(schema = hc_schema_load(schema_path, &err))) {
        cli_print_error(&err);
        return HC_EXIT_USAGE;
    }

    /* The bytes pushed are the bytes validated: parse what was read. */
    if (!(bytes = read_all(file, &len))) {
        fprintf(stderr, "%s: error: %s\n", file, strerror(errno));
        goto out;
    }
    hc_error_init(&err);
    if (po.format == HC_FORMAT_AUTO)
        po.format = hc_format_from_name(file);
    if (po.format == HC_FORMAT_AUTO)
        po.format = hc_format_from_name(strrchr(url, '/') + 1);
    {
        hc_parse_options popt;
        cli_parse_options(&po, &popt);
        doc = hc_parse(bytes, len, po.format, file, &popt, &err);
    }
    if (!doc ||
        (schema && hc_schema_check(schema, doc, file, NULL, &err) != 0)) {
        cli_print_error(&err);
        fprintf(stderr,
                "hotconf push: refused: %s is invalid; nothing "
                "written\n",
                file);
        goto out;
    }

    hc_error_init(&err);
    if ((!force && !expect) || auto_rollback) {
        int64_t seen = 0;
        /* With --expect-revision the CAS compares with the caller's
         * revision; the read is only for the value to roll back to. */
        if (hc_etcd_read(url, &cur, &curlen, expect ? &seen : &mod, &err) !=
            0) {
            cli_print_error(&err);
            goto out;
        }
    }
    hc_error_init(&err);
    rc = hc_etcd_write(url, bytes, len, force ? -1 : mod, &rev, &err);
    if (rc == HC_ESTATE) {
        fprintf(stderr, "hotconf push: refused: %s\n", err.text);
        goto out;
    }
    if (rc != 0) {
        cli_print_error(&err);
        goto out;
    }
    printf("%s: written at revision %lld\n", url, (long long)rev);
    fflush(stdout);
    status = HC_EXIT_OK;
    if (wait_ms >= 0)
        status = cli_etcd_wait(url, rev, wait_ms);
    if (status != HC_EXIT_OK && auto_rollback)
        roll_back(url, cur, curlen, rev, wait_ms);
out:
    json_decref(doc);
    free(bytes);
    free(cur);
    hc_schema_free(schema);
    return status;
}
