/*
 * layers.c - the layer options shared by get, check and watch (--defaults,
 * --env, --env-sep, --set) and the merged document they build.
 */
#include "layers.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_is_group(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode);
    return strpbrk(path, "*?[") && lstat(path, &st) != 0;
}

int cli_layers_opt(int argc, char **argv, int *i, cli_layers *cl,
                   const char *verb)
{
    const char *v = NULL;
    int r;
    if ((r = cli_opt_value(argc, argv, i, "--defaults", &v)) != 0) {
        if (r < 0 || !*v)
            return cli_usage_error(verb, "--defaults needs a file"), -1;
        cl->defaults[cl->ndefaults++] = v;
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--env", &v)) != 0) {
        if (r < 0 || !*v)
            return cli_usage_error(verb, "--env needs a prefix (APP_)"), -1;
        cl->env_prefix = v;
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--env-sep", &v)) != 0) {
        if (r < 0 || !*v)
            return cli_usage_error(verb, "--env-sep needs a separator"), -1;
        cl->env_sep = v;
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--set", &v)) != 0) {
        if (r < 0 || !strchr(v, '=') || *v == '=')
            return cli_usage_error(verb, "--set needs PATH=VALUE"), -1;
        cl->sets[cl->nsets++] = v;
        return 1;
    }
    return 0;
}

int cli_layers_active(const cli_layers *cl)
{
    return cl->ndefaults > 0 || cl->env_prefix || cl->nsets > 0;
}

hc_layers *cli_layers_build(const cli_layers *cl, const cli_parse_opts *po,
                            const char *const *files, int nfiles)
{
    hc_parse_options popts;
    hc_layers_options lo;
    hc_layers *l;
    hc_error err;
    int rc = 0;

    cli_parse_options(po, &popts);
    hc_layers_options_init(&lo);
    lo.parse = &popts;
    if (!(l = hc_layers_new(&lo))) {
        fprintf(stderr, "hotconf: out of memory\n");
        return NULL;
    }
    hc_error_init(&err);
    for (int i = 0; rc == 0 && i < cl->ndefaults; i++)
        rc = hc_layers_add_file(l, cl->defaults[i], HC_LAYER_DEFAULTS, &err);
    for (int i = 0; rc == 0 && i < nfiles; i++)
        rc = hc_layers_add_file(l, files[i], 0, &err);
    if (rc == 0 && cl->env_prefix)
        rc = hc_layers_add_env(l, cl->env_prefix, cl->env_sep, &err);
    for (int i = 0; rc == 0 && i < cl->nsets; i++)
        rc = hc_layers_add_override(l, cl->sets[i], &err);
    if (rc != 0) {
        cli_print_error(&err);
        hc_layers_free(l);
        return NULL;
    }
    return l;
}

void cli_layers_print_origin(FILE *out, const hc_layer_origin *o)
{
    if (o->file && strcmp(o->name, o->file) != 0)
        fprintf(out, "%s (%s", o->name, o->file);
    else
        fprintf(out, "%s", o->name);
    if (o->file && o->line > 0)
        fprintf(out, ":%d:%d", o->line, o->column);
    if (o->file && strcmp(o->name, o->file) != 0)
        fputc(')', out);
}
