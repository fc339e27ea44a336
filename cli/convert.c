/* convert.c - hotconf convert FILE --to FORMAT: print in another format. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf convert FILE --to json|yaml|ini|env [--format F]\n"
    "                       [--env-nest SEP] [--no-typing]\n"
    "\n"
    "Prints FILE in the target format (JSON: 2-space indent, key order\n"
    "kept). INI holds top-level scalars and one level of sections; .env\n"
    "holds top-level scalars: a document they cannot express is an error.\n"
    "With --env-nest SEP, nested objects are written to .env as names\n"
    "joined by SEP (and read from .env input the same way).\n"
    "\n"
    "  --format F      json, jsonc, yaml, ini or env (default: from the\n"
    "                  file name; jsonc reads JSON with comments)\n"
    "  --yaml-multi M  YAML with several documents: error (default),\n"
    "                  array (one element each) or merge (deep-merged)\n"
    "  --ini-allow-no-value\n"
    "                  INI: a line with only a name has the value null\n"
    "\n"
    "Exit status: 0 printed, 1 parse error or not expressible, 2 usage.\n";

int cmd_convert(int argc, char **argv)
{
    cli_parse_opts po = {0}; /* HC_FORMAT_AUTO */
    const char *file = NULL, *to = NULL;
    hc_format target;
    hc_dump_options dopts = {NULL};
    hc_error err;
    json_t *doc;
    char *out;

    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return HC_EXIT_OK;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--to", &to)) != 0) {
            if (r < 0)
                return cli_usage_error("convert", "--to needs a format");
            continue;
        }
        r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            return HC_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_unknown_option("convert", help, argv[i]);
        if (file)
            return cli_usage_error("convert", "one FILE at a time");
        file = argv[i];
    }
    if (!file)
        return cli_usage_error("convert", "no FILE given");
    if (!to)
        return cli_usage_error("convert", "--to FORMAT is required");
    if (hc_format_parse(to, &target) != 0 || target == HC_FORMAT_AUTO)
        return cli_usage_error("convert", "--to needs json, yaml, ini or env");

    doc = cli_load(file, &po, &err);
    if (!doc)
        return HC_EXIT_FAIL;
    hc_error_init(&err);
    dopts.env_nest = po.env_nest;
    out = hc_dump_ex(doc, target, &dopts, &err);
    json_decref(doc);
    if (!out) {
        fprintf(stderr, "%s: error: cannot convert to %s: %s\n", file,
                hc_format_name(target), err.text);
        return HC_EXIT_FAIL;
    }
    fputs(out, stdout);
    free(out);
    return HC_EXIT_OK;
}
