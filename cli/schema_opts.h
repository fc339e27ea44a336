/*
 * schema_opts.h - the schema options shared by check and watch:
 * --format-assert and --schema-ref FILE_OR_DIR (repeatable).
 */
#ifndef HC_CLI_SCHEMA_OPTS_H
#define HC_CLI_SCHEMA_OPTS_H

#include "hotconf.h"

#define CLI_SCHEMA_OPTS_HELP                                                   \
    "  --format-assert with --schema: \"format\" asserts (date, time,\n"       \
    "                  date-time, duration, uri, uri-reference, iri, email,\n" \
    "                  hostname, idn-hostname, ipv4, ipv6, uuid,\n"            \
    "                  json-pointer, relative-json-pointer, regex)\n"          \
    "  --schema-ref P  with --schema: register the schema file P, or every\n"  \
    "                  .json/.yaml/.yml schema under the folder P, by its\n"   \
    "                  $id and by its path relative to SCHEMA, for $ref\n"     \
    "                  (repeatable; nothing is ever fetched)\n"

typedef struct cli_schema_opts {
    int format_assert;
    const char **refs;
    int nrefs;
    hc_schema_registry *reg; /* built by cli_schema_options */
} cli_schema_opts;

/* 1: argv[*i] (and its value) was a schema option, 0: not one, -1: usage
 * error (printed). refs must have room for argc entries. */
int cli_schema_opt(int argc, char **argv, int *i, cli_schema_opts *o,
                   const char *verb);
/* Fills so from o for the main schema at schema_path, registering the
 * --schema-ref documents; 0 or an error printed as FILE: message. */
int cli_schema_options(cli_schema_opts *o, const char *schema_path,
                       hc_schema_options *so);
void cli_schema_opts_free(cli_schema_opts *o);

#endif
