/* common.c - option parsing and error printing shared by the verbs. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hotconf %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'hotconf %s --help'.\n", verb);
    return HC_EXIT_USAGE;
}

int cli_opt_value(int argc, char **argv, int *i, const char *name,
                  const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

int cli_parse_opt(int argc, char **argv, int *i, cli_parse_opts *po)
{
    const char *v = NULL;
    int r;
    if ((r = cli_opt_value(argc, argv, i, "--format", &v)) != 0) {
        if (r < 0 || hc_format_parse(v, &po->format) != 0) {
            fprintf(stderr, "hotconf: --format needs one of json, jsonc, "
                            "yaml, ini, env\n");
            return -1;
        }
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--env-nest", &v)) != 0) {
        if (r < 0 || !*v) {
            fprintf(stderr, "hotconf: --env-nest needs a separator\n");
            return -1;
        }
        po->env_nest = v;
        return 1;
    }
    if (strcmp(argv[*i], "--no-typing") == 0) {
        po->no_typing = 1;
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--yaml-multi", &v)) != 0) {
        static const char *const modes[] = {"error", "array", "merge"};
        for (int m = 0; r > 0 && m < 3; m++) {
            if (strcmp(v, modes[m]) == 0) {
                po->yaml_multi = (hc_yaml_multi)m;
                return 1;
            }
        }
        fprintf(stderr,
                "hotconf: --yaml-multi needs one of error, array, merge\n");
        return -1;
    }
    if (strcmp(argv[*i], "--ini-allow-no-value") == 0) {
        po->ini_allow_no_value = 1;
        return 1;
    }
    return 0;
}

void cli_parse_options(const cli_parse_opts *po, hc_parse_options *out)
{
    memset(out, 0, sizeof *out);
    out->env_nest = po->env_nest;
    out->no_typing = po->no_typing;
    out->yaml_multi = po->yaml_multi;
    out->ini_allow_no_value = po->ini_allow_no_value;
}

void cli_print_error(const hc_error *err)
{
    if (err->line > 0 && err->column > 0)
        fprintf(stderr, "%s:%d:%d: error: %s\n", err->source, err->line,
                err->column, err->text);
    else if (err->line > 0)
        fprintf(stderr, "%s:%d: error: %s\n", err->source, err->line,
                err->text);
    else
        fprintf(stderr, "%s: error: %s\n", err->source, err->text);
}

json_t *cli_load(const char *path, const cli_parse_opts *po, hc_error *err)
{
    hc_parse_options opts;
    json_t *doc;
    cli_parse_options(po, &opts);
    hc_error_init(err);
    doc = hc_parse_file(path, po->format, &opts, err);
    if (!doc)
        cli_print_error(err);
    return doc;
}

char *cli_json_compact(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}
