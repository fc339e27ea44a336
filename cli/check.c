/*
 * check.c - hotconf check FILE... [--schema SCHEMA]: parse each file, print
 * parse errors as FILE:LINE:COL: error: MESSAGE and, with a schema, every
 * validation error as FILE:LINE:COL: /pointer: message. Exit 0 all good, 1 any
 * bad, 2 usage error or an invalid schema.
 */
#include "cli.h"
#include "layers.h"
#include "schema_opts.h"

#include <string.h>

static const char help[] =
    "usage: hotconf check FILE... [--schema SCHEMA] [--format F]\n"
    "                     [--env-nest SEP] [-v]\n"
    "\n"
    "Parses each FILE and reports the first error of each as\n"
    "FILE:LINE:COL: error: MESSAGE on stderr.\n"
    "\n"
    "With --schema, each parsed FILE is also validated against SCHEMA (JSON\n"
    "Schema draft 2020-12, written in JSON or YAML), and every validation\n"
    "error is reported on stderr as\n"
    "  FILE:LINE:COL: POINTER: MESSAGE   (FILE: POINTER: MESSAGE when the\n"
    "                                     position is unknown)\n"
    "where POINTER is the JSON pointer of the offending value (/service/port;\n"
    "(root) for the document itself).\n"
    "\n"
    "  --schema SCHEMA validate against this schema file (first SCHEMA itself\n"
    "                  against its draft's meta-schema)\n" CLI_SCHEMA_OPTS_HELP
    "  --format F      json, jsonc, yaml, ini or env for the FILEs after it\n"
    "                  (default: from each file's name)\n"
    "  --env-nest SEP  .env: nest keys on SEP (SERVICE__PORT -> SERVICE.PORT)\n"
    "  --no-typing     INI/.env: keep every value a string\n"
    "  --yaml-multi M  YAML with several documents: error (default),\n"
    "                  array (one element each) or merge (deep-merged)\n"
    "  --ini-allow-no-value\n"
    "                  INI: a line with only a name has the value null\n"
    "  -v, --verbose   print a summary line per valid file\n"
    "\n"
    "A FILE may be a folder (its files whose name tells a format, in\n"
    "lexical order; editor temp files skipped) or a glob ('conf.d/*.yaml').\n"
    "With --merge or a layer option below, every FILE merges into one\n"
    "document (defaults, the FILEs in order, the environment, --set;\n"
    "objects merge key by key, anything else is replaced) and that document\n"
    "is checked; a schema error names the file:line:col of the layer that\n"
    "gave the value (or env:NAME, override).\n"
    "  --merge         merge the FILEs into one document\n" CLI_LAYERS_HELP "\n"
    "Exit status: 0 all files valid, 1 a file is invalid (parse or schema\n"
    "error), 2 usage error or the schema itself is invalid.\n";

/* Parses path like cli_load, recording value positions for the report. */
static json_t *load_with_positions(const char *path, const cli_parse_opts *po,
                                   hc_posmap *pos)
{
    hc_parse_options opts;
    hc_error err;
    json_t *doc;
    cli_parse_options(po, &opts);
    opts.positions = pos;
    hc_error_init(&err);
    doc = hc_parse_file(path, po->format, &opts, &err);
    if (!doc)
        cli_print_error(&err);
    return doc;
}

/* Prints every error of a failed validation; returns HC_EXIT_FAIL. */
static int print_report(const char *file, const hc_schema_report *rep)
{
    for (size_t i = 0; i < hc_schema_report_count(rep); i++) {
        const hc_schema_error *e = hc_schema_report_at(rep, i);
        const char *ptr =
            e->instance_location[0] ? e->instance_location : "(root)";
        if (e->line > 0 && e->column > 0)
            fprintf(stderr, "%s:%d:%d: %s: %s\n", file, e->line, e->column, ptr,
                    e->message);
        else if (e->line > 0)
            fprintf(stderr, "%s:%d: %s: %s\n", file, e->line, ptr, e->message);
        else
            fprintf(stderr, "%s: %s: %s\n", file, ptr, e->message);
    }
    return HC_EXIT_FAIL;
}

/* Validates the schema file against its draft's meta-schema; 0 when it is
 * a valid schema, else -1 with the errors printed like a config's. */
static int check_schema_itself(const char *path, const hc_schema_options *so)
{
    cli_parse_opts spo = {0}; /* HC_FORMAT_AUTO */
    hc_posmap *pos = hc_posmap_new();
    hc_schema_report *rep = hc_schema_report_new();
    hc_error err;
    json_t *doc = NULL;
    int rc = -1;
    hc_error_init(&err);
    if (!pos || !rep)
        fprintf(stderr, "hotconf check: out of memory\n");
    else if ((doc = load_with_positions(path, &spo, pos)) != NULL) {
        hc_schema_report_set_source(rep, path, pos);
        rc = hc_schema_validate_schema(doc, so, rep, &err);
        if (rc == HC_EVALIDATE) {
            fprintf(stderr, "%s: error: not a valid JSON Schema:\n", path);
            print_report(path, rep);
        } else if (rc) {
            cli_print_error(&err);
        }
    }
    json_decref(doc);
    hc_schema_report_free(rep);
    hc_posmap_free(pos);
    return rc ? -1 : 0;
}

static void print_summary(const char *file, hc_format fmt, const json_t *doc)
{
    printf("%s: ok (%s, %s with %zu entries)\n", file, hc_format_name(fmt),
           json_is_object(doc)  ? "object"
           : json_is_array(doc) ? "array"
                                : "scalar",
           json_is_object(doc)  ? json_object_size(doc)
           : json_is_array(doc) ? json_array_size(doc)
                                : (size_t)1);
}

/* Checks one file alone; returns HC_EXIT_OK or HC_EXIT_FAIL. */
static int check_one(const char *file, cli_parse_opts *po,
                     const hc_schema *schema, hc_schema_report *rep,
                     hc_posmap *pos, int verbose)
{
    hc_error err;
    json_t *doc;
    int status = HC_EXIT_OK;
    if (schema) {
        hc_posmap_clear(pos);
        doc = load_with_positions(file, po, pos);
    } else {
        doc = cli_load(file, po, &err);
    }
    if (!doc)
        return HC_EXIT_FAIL;
    if (schema) {
        int rc;
        hc_schema_report_set_source(rep, file, pos);
        rc = hc_schema_validate(schema, doc, rep);
        if (rc == HC_EVALIDATE) {
            status = print_report(file, rep);
        } else if (rc != 0) {
            fprintf(stderr, "%s: error: %s\n", file, hc_strerror(rc));
            status = HC_EXIT_FAIL;
        }
    }
    if (status == HC_EXIT_OK && verbose)
        print_summary(file,
                      po->format != HC_FORMAT_AUTO ? po->format
                                                   : hc_format_from_name(file),
                      doc);
    json_decref(doc);
    return status;
}

/* Each FILE on its own; a folder or a glob stands for its files. */
static int check_each(cli_parse_opts *po, const char *const *files,
                      const hc_format *formats, int nfiles,
                      const hc_schema *schema, hc_schema_report *rep,
                      hc_posmap *pos, int verbose)
{
    int status = HC_EXIT_OK;
    for (int f = 0; f < nfiles; f++) {
        char **list = NULL;
        size_t n = 0;
        po->format = formats[f];
        if (!cli_is_group(files[f])) {
            if (check_one(files[f], po, schema, rep, pos, verbose))
                status = HC_EXIT_FAIL;
            continue;
        }
        if (hc_compose_files(files[f], NULL, &list, &n) != 0) {
            fprintf(stderr, "%s: error: cannot list the folder\n", files[f]);
            status = HC_EXIT_FAIL;
            continue;
        }
        if (n == 0) {
            /* most likely a typo or a quoted pattern in the wrong folder:
             * checking nothing must not pass silently */
            fprintf(stderr,
                    "%s: error: no config file matches (a folder gives the "
                    "files whose name tells a format)\n",
                    files[f]);
            status = HC_EXIT_FAIL;
        }
        for (size_t k = 0; k < n; k++)
            if (check_one(list[k], po, schema, rep, pos, verbose))
                status = HC_EXIT_FAIL;
        hc_compose_files_free(list, n);
    }
    return status;
}

/* Prints a merged document's schema errors at the layer that gave each
 * value. */
static int print_merged_report(const hc_layers *l, const hc_schema_report *rep)
{
    for (size_t i = 0; i < hc_schema_report_count(rep); i++) {
        const hc_schema_error *e = hc_schema_report_at(rep, i);
        const char *ptr =
            e->instance_location[0] ? e->instance_location : "(root)";
        hc_layer_origin o;
        if (hc_layers_origin_at(l, e->instance_location, &o) != 0)
            fprintf(stderr, "(merged): %s: %s\n", ptr, e->message);
        else if (o.file && o.line > 0)
            fprintf(stderr, "%s:%d:%d: %s: %s\n", o.file, o.line, o.column, ptr,
                    e->message);
        else
            fprintf(stderr, "%s: %s: %s\n", o.file ? o.file : o.name, ptr,
                    e->message);
    }
    return HC_EXIT_FAIL;
}

/* Every FILE and layer merged into one document, checked as a whole. */
static int check_merged(const cli_layers *cl, const cli_parse_opts *po,
                        const char *const *files, int nfiles,
                        const hc_schema *schema, hc_schema_report *rep,
                        int verbose)
{
    hc_layers *l = cli_layers_build(cl, po, files, nfiles);
    hc_error err;
    json_t *doc;
    int status = HC_EXIT_OK;
    if (!l)
        return HC_EXIT_FAIL;
    if (!(doc = hc_layers_load(l, &err))) {
        cli_print_error(&err);
        hc_layers_free(l);
        return HC_EXIT_FAIL;
    }
    if (schema) {
        int rc = hc_schema_validate(schema, doc, rep);
        if (rc == HC_EVALIDATE)
            status = print_merged_report(l, rep);
        else if (rc != 0) {
            fprintf(stderr, "(merged): error: %s\n", hc_strerror(rc));
            status = HC_EXIT_FAIL;
        }
    }
    if (status == HC_EXIT_OK && verbose)
        printf("(merged): ok (object with %zu entries)\n",
               json_object_size(doc));
    json_decref(doc);
    hc_layers_free(l);
    return status;
}

int cmd_check(int argc, char **argv)
{
    cli_parse_opts po = {0}; /* HC_FORMAT_AUTO */
    const char *files[argc > 0 ? argc : 1];
    hc_format formats[argc > 0 ? argc : 1];
    const char *schema_path = NULL;
    hc_schema *schema = NULL;
    hc_schema_report *rep = NULL;
    hc_posmap *pos = NULL;
    int nfiles = 0, verbose = 0, status = HC_EXIT_OK, dangling_format = 0;
    const char *refs[argc > 0 ? argc : 1];
    cli_schema_opts sopts = {0, refs, 0, NULL};
    const char *defs[argc > 0 ? argc : 1], *sets[argc > 0 ? argc : 1];
    cli_layers cl = {defs, 0, NULL, NULL, sets, 0};
    int merge = 0;

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
        if (!strcmp(argv[i], "--merge")) {
            merge = 1;
            continue;
        }
        if ((r = cli_layers_opt(argc, argv, &i, &cl, "check")) != 0) {
            if (r < 0)
                return HC_EXIT_USAGE;
            continue;
        }
        r = cli_opt_value(argc, argv, &i, "--schema", &schema_path);
        if (r < 0 || (r > 0 && !*schema_path))
            return cli_usage_error("check", "--schema needs a file");
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--format") || !strncmp(argv[i], "--format=", 9))
            dangling_format = 1; /* until a FILE follows */
        r = cli_schema_opt(argc, argv, &i, &sopts, "check");
        if (r < 0)
            return HC_EXIT_USAGE;
        if (r > 0)
            continue;
        r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            return HC_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_unknown_option("check", help, argv[i]);
        if (!cli_is_group(argv[i]) && cli_check_file_arg("check", argv[i]) != 0)
            return HC_EXIT_USAGE;
        /* --format is positional, as for watch: the files after it. */
        dangling_format = 0;
        formats[nfiles] = po.format;
        files[nfiles++] = argv[i];
    }
    if (cli_layers_active(&cl))
        merge = 1;
    if (nfiles == 0 && !merge)
        return cli_usage_error("check", "no FILE given");
    if (dangling_format)
        return cli_format_after_files("check");
    if (schema_path) {
        hc_schema_options so = {0};
        hc_error err;
        hc_error_init(&err);
        if (cli_schema_options(&sopts, schema_path, &so) != 0 ||
            check_schema_itself(schema_path, &so) != 0) {
            cli_schema_opts_free(&sopts);
            return HC_EXIT_USAGE;
        }
        schema = hc_schema_load_ex(schema_path, &so, &err);
        cli_schema_opts_free(&sopts); /* only read while compiling */
        if (!schema) {
            cli_print_error(&err);
            return HC_EXIT_USAGE;
        }
        rep = hc_schema_report_new();
        pos = hc_posmap_new();
        if (!rep || !pos) {
            fprintf(stderr, "hotconf check: out of memory\n");
            hc_schema_free(schema);
            hc_schema_report_free(rep);
            hc_posmap_free(pos);
            return HC_EXIT_FAIL;
        }
    }

    if (merge)
        status = check_merged(&cl, &po, files, nfiles, schema, rep, verbose);
    else
        status =
            check_each(&po, files, formats, nfiles, schema, rep, pos, verbose);
    hc_schema_free(schema);
    hc_schema_report_free(rep);
    hc_posmap_free(pos);
    return status;
}
