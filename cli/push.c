/*
 * push.c - hotconf push FILE etcd://.../KEY: validate a config locally,
 * then write it to etcd with a compare-and-swap, so a push never
 * overwrites a change it has not seen.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf push FILE etcd://HOST:PORT[,HOST:PORT...]/KEY\n"
    "                    [--schema SCHEMA] [--force] [--expect-revision REV]\n"
    "                    [--format F] [--env-nest SEP] [--no-typing]\n"
    "                    [--yaml-multi MODE] [--ini-allow-no-value]\n"
    "\n"
    "Parses FILE (and validates it against SCHEMA), then writes its bytes\n"
    "to KEY with a compare-and-swap on the key's mod_revision as read just\n"
    "before: when someone else wrote KEY in between, nothing is written.\n"
    "  --expect-revision REV  compare with REV instead (the revision your\n"
    "                         edit is based on; 0: KEY must not exist)\n"
    "  --force                write without comparing\n"
    "\n"
    "Exit status: 0 written (prints the new revision), 1 refused: FILE is\n"
    "invalid, or someone else wrote first (both say which), or etcd could\n"
    "not be reached; 2 usage error or an invalid schema.\n";

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

int cmd_push(int argc, char **argv)
{
    cli_parse_opts po;
    const char *file = NULL, *url = NULL, *schema_path = NULL, *expect = NULL;
    int force = 0, status = HC_EXIT_FAIL;
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
    if (!force && !expect) {
        if (hc_etcd_read(url, &cur, &curlen, &mod, &err) != 0) {
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
    status = HC_EXIT_OK;
out:
    json_decref(doc);
    free(bytes);
    free(cur);
    hc_schema_free(schema);
    return status;
}
