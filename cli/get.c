/* get.c - hotconf get [LAYERS] FILE... PATH [--default VALUE] [--explain]:
 * print one value of a file or of the document its layers merge into. */
#include "cli.h"
#include "layers.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf get FILE PATH [--default VALUE] [--format F]\n"
    "                   [--env-nest SEP] [--no-typing]\n"
    "       hotconf get [--defaults FILE] [--env PREFIX] [--env-sep SEP]\n"
    "                   [--set PATH=VALUE] [FILE|DIR|GLOB...] PATH\n"
    "                   [--explain]\n"
    "\n"
    "Prints the value at PATH (service.port, servers[2].host,\n"
    "labels[\"app.kubernetes.io/name\"]; \"\" is the whole document):\n"
    "strings raw, other values as JSON (objects and arrays indented).\n"
    "\n"
    "Several FILEs, folders (their files in lexical order), globs or a\n"
    "layer option merge into one document: defaults, then the FILEs in\n"
    "order, then the environment, then --set; objects merge key by key,\n"
    "anything else is replaced by the later layer.\n"
    "\n" CLI_LAYERS_HELP
    "  --explain        also print which layer the value came from\n"
    "                   (a file with its line:col, defaults, env:NAME,\n"
    "                   override), one line per layer for an object\n"
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

/* Loads the merged document of the layers; NULL with the error printed.
 * *lp receives the layers (for --explain). */
static json_t *load_layers(const cli_layers *cl, const cli_parse_opts *po,
                           const char *const *files, int nfiles, hc_layers **lp)
{
    hc_error err;
    json_t *doc;
    *lp = cli_layers_build(cl, po, files, nfiles);
    if (!*lp)
        return NULL;
    doc = hc_layers_load(*lp, &err);
    if (!doc)
        cli_print_error(&err);
    return doc;
}

static void print_explain(const hc_layers *l, const char *path)
{
    hc_layer_origin o[16];
    int n = hc_layers_explain(l, path, o, 16);
    for (int i = 0; i < n && i < 16; i++) {
        fputs(i == 0 ? "from " : "  and ", stdout);
        cli_layers_print_origin(stdout, &o[i]);
        putchar('\n');
    }
}

int cmd_get(int argc, char **argv)
{
    cli_parse_opts po = {0}; /* HC_FORMAT_AUTO */
    const char *args[argc > 0 ? argc : 1];
    const char *defs[argc > 0 ? argc : 1], *sets[argc > 0 ? argc : 1];
    cli_layers cl = {defs, 0, NULL, NULL, sets, 0};
    const char *file, *path, *def = NULL;
    hc_layers *layers = NULL;
    hc_error err;
    json_t *doc, *v = NULL;
    int rc, nargs = 0, explain = 0;

    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return HC_EXIT_OK;
        }
        if (!strcmp(argv[i], "--explain")) {
            explain = 1;
            continue;
        }
        if ((r = cli_opt_value(argc, argv, &i, "--default", &def)) != 0) {
            if (r < 0)
                return cli_usage_error("get", "--default needs a value");
            continue;
        }
        if ((r = cli_layers_opt(argc, argv, &i, &cl, "get")) != 0) {
            if (r < 0)
                return HC_EXIT_USAGE;
            continue;
        }
        r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            return HC_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0' && nargs == 0)
            return cli_unknown_option("get", help, argv[i]);
        args[nargs++] = argv[i];
    }
    if (nargs < (cli_layers_active(&cl) ? 1 : 2))
        return cli_usage_error("get", "FILE and PATH are required");
    path = args[--nargs];
    file = nargs > 0 ? args[0] : "(layers)";

    if (nargs == 1 && !cli_layers_active(&cl) && !explain &&
        !cli_is_group(file))
        doc = cli_load(file, &po, &err);
    else
        doc = load_layers(&cl, &po, args, nargs, &layers);
    if (!doc) {
        hc_layers_free(layers);
        return HC_EXIT_FAIL;
    }
    rc = hc_lookup(doc, path, &v);
    if (rc == HC_EPATH) {
        json_decref(doc);
        hc_layers_free(layers);
        return cli_usage_error("get", "malformed path '%s'", path);
    }
    if (rc != 0) {
        json_decref(doc);
        hc_layers_free(layers);
        if (def) {
            puts(def);
            return HC_EXIT_OK;
        }
        fprintf(stderr, "%s: error: path '%s' not found\n", file, path);
        return HC_EXIT_FAIL;
    }
    print_value(v);
    if (explain)
        print_explain(layers, path);
    json_decref(doc);
    hc_layers_free(layers);
    return HC_EXIT_OK;
}
