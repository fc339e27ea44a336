/*
 * layers.h - layer options of get, check and watch (cli/layers.c).
 * Layers merge as defaults, then the FILEs (folders and globs in lexical
 * order), then the environment, then --set, whatever the argv order.
 */
#ifndef HC_CLI_LAYERS_H
#define HC_CLI_LAYERS_H

#include "cli.h"

#define CLI_LAYERS_HELP                                                        \
    "  --defaults FILE  a layer of defaults under everything (repeatable)\n"   \
    "  --env PREFIX     environment variables PREFIX* over the files:\n"       \
    "                   APP_SERVICE__PORT=9090 sets service.port\n"            \
    "  --env-sep SEP    nesting separator of --env names (default __)\n"       \
    "  --set PATH=VALUE an override over everything (repeatable)\n"

/* Arrays sized by the caller (argc entries are always enough). */
typedef struct cli_layers {
    const char **defaults;
    int ndefaults;
    const char *env_prefix, *env_sep;
    const char **sets;
    int nsets;
} cli_layers;

/* 1 consumed a layer option, 0 not one, -1 usage error (printed). */
int cli_layers_opt(int argc, char **argv, int *i, cli_layers *cl,
                   const char *verb);
/* Nonzero when a layer option was given (the FILEs then merge). */
int cli_layers_active(const cli_layers *cl);
/* The layers: defaults, files (folders, globs), env, overrides; NULL with
 * the error printed. */
hc_layers *cli_layers_build(const cli_layers *cl, const cli_parse_opts *po,
                            const char *const *files, int nfiles);
/* 1 when path names a folder, or is a glob pattern no file is named. */
int cli_is_group(const char *path);
/* "config.yaml:3:9", "defaults (d.yaml:2:3)", "env:APP_PORT". */
void cli_layers_print_origin(FILE *out, const hc_layer_origin *o);

#endif
