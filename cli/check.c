/*
 * check.c - hotconf check FILE... : parse each file, print errors as
 * FILE:LINE:COL: error: MESSAGE. Exit 0 all good, 1 any bad, 2 usage.
 */
#include "cli.h"

#include <string.h>

static const char help[] =
    "usage: hotconf check FILE... [--format F] [--env-nest SEP] [-v]\n"
    "\n"
    "Parses each FILE and reports the first error of each as\n"
    "FILE:LINE:COL: error: MESSAGE on stderr.\n"
    "\n"
    "  --format F      json, yaml, ini or env (default: from the file name)\n"
    "  --env-nest SEP  .env: nest keys on SEP (SERVICE__PORT -> SERVICE.PORT)\n"
    "  --no-typing     INI/.env: keep every value a string\n"
    "  -v, --verbose   print a summary line per valid file\n"
    "\n"
    "Exit status: 0 all files valid, 1 a file is invalid, 2 usage error.\n";

int cmd_check(int argc, char **argv)
{
    cli_parse_opts po = {HC_FORMAT_AUTO, NULL, 0};
    const char *files[argc > 0 ? argc : 1];
    int nfiles = 0, verbose = 0, status = HC_EXIT_OK;

    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return HC_EXIT_OK;
        }
        if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            verbose = 1;
            continue;
        }
        r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            return HC_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error("check", "unknown option '%s'", argv[i]);
        files[nfiles++] = argv[i];
    }
    if (nfiles == 0)
        return cli_usage_error("check", "no FILE given");

    for (int f = 0; f < nfiles; f++) {
        hc_error err;
        json_t *doc = cli_load(files[f], &po, &err);
        if (!doc) {
            status = HC_EXIT_FAIL;
            continue;
        }
        if (verbose) {
            hc_format fmt = po.format != HC_FORMAT_AUTO
                                ? po.format
                                : hc_format_from_name(files[f]);
            printf("%s: ok (%s, %s with %zu entries)\n", files[f],
                   hc_format_name(fmt),
                   json_is_object(doc)  ? "object"
                   : json_is_array(doc) ? "array"
                                        : "scalar",
                   json_is_object(doc)  ? json_object_size(doc)
                   : json_is_array(doc) ? json_array_size(doc)
                                        : (size_t)1);
        }
        json_decref(doc);
    }
    return status;
}
