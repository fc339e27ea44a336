/* get.c - hotconf get FILE PATH [--default VALUE]: print one value. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf get FILE PATH [--default VALUE] [--format F]\n"
    "                   [--env-nest SEP] [--no-typing]\n"
    "\n"
    "Prints the value at PATH (service.port, servers[2].host,\n"
    "labels[\"app.kubernetes.io/name\"]; \"\" is the whole document):\n"
    "strings raw, other values as JSON (objects and arrays indented).\n"
    "\n"
    "Exit status: 0 printed, 1 PATH missing (and no --default) or parse\n"
    "error, 2 usage error.\n";

static void print_value(const json_t *v)
{
    char *s;
    if (json_is_string(v)) {
        fwrite(json_string_value(v), 1, json_string_length(v), stdout);
        putchar('\n');
        return;
    }
    s = json_dumps(
        v, JSON_ENCODE_ANY |
               (json_is_object(v) || json_is_array(v) ? JSON_INDENT(2) : 0));
    if (s) {
        puts(s);
        free(s);
    }
}

int cmd_get(int argc, char **argv)
{
    cli_parse_opts po = {0}; /* HC_FORMAT_AUTO */
    const char *file = NULL, *path = NULL, *def = NULL;
    hc_error err;
    json_t *doc, *v = NULL;
    int rc;

    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return HC_EXIT_OK;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--default", &def)) != 0) {
            if (r < 0)
                return cli_usage_error("get", "--default needs a value");
            continue;
        }
        r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            return HC_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0' && !file)
            return cli_unknown_option("get", help, argv[i]);
        if (!file)
            file = argv[i];
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error("get", "too many arguments");
    }
    if (!file || !path)
        return cli_usage_error("get", "FILE and PATH are required");

    doc = cli_load(file, &po, &err);
    if (!doc)
        return HC_EXIT_FAIL;
    rc = hc_lookup(doc, path, &v);
    if (rc == HC_EPATH) {
        json_decref(doc);
        return cli_usage_error("get", "malformed path '%s'", path);
    }
    if (rc != 0) {
        json_decref(doc);
        if (def) {
            puts(def);
            return HC_EXIT_OK;
        }
        fprintf(stderr, "%s: error: path '%s' not found\n", file, path);
        return HC_EXIT_FAIL;
    }
    print_value(v);
    json_decref(doc);
    return HC_EXIT_OK;
}
