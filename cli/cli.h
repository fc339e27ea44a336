/*
 * cli.h - shared pieces of the hotconf command line. Each verb lives in
 * cli/<verb>.c and uses only the public API (include/hotconf.h).
 * Exit codes: 0 success, 1 the operation failed (bad config, difference
 * found, path missing), 2 usage error.
 */
#ifndef HC_CLI_H
#define HC_CLI_H

#include "hotconf.h"

#include <stdio.h>

#define HC_EXIT_OK    0
#define HC_EXIT_FAIL  1
#define HC_EXIT_USAGE 2

#define HC_VERB(name, summary) int cmd_##name(int argc, char **argv);
#include "verbs.def"
#undef HC_VERB

/* Options every parsing verb understands. */
typedef struct cli_parse_opts {
    hc_format format;
    const char *env_nest;
    int no_typing;
    hc_yaml_multi yaml_multi; /* --yaml-multi error|array|merge */
    int ini_allow_no_value;   /* --ini-allow-no-value */
} cli_parse_opts;

/*
 * If argv[*i] is one of the shared parse options (--format F, --env-nest
 * SEP, --no-typing, --yaml-multi MODE, --ini-allow-no-value; also
 * --opt=value), consumes it (advancing *i past its value) and returns 1;
 * returns 0 when it is not one; -1 on a usage error (message printed).
 */
int cli_parse_opt(int argc, char **argv, int *i, cli_parse_opts *po);

/* The hc_parse_options the shared options ask for (positions NULL). */
void cli_parse_options(const cli_parse_opts *po, hc_parse_options *out);

/* Parses a file with the shared options; prints FILE:LINE:COL: error: MSG
 * on failure and returns NULL. */
json_t *cli_load(const char *path, const cli_parse_opts *po, hc_error *err);

/* Prints "FILE:LINE:COL: error: MESSAGE" to stderr. */
void cli_print_error(const hc_error *err);

/* Prints a usage error ("hotconf VERB: MSG") and returns HC_EXIT_USAGE. */
/* A decimal long in [lo, hi], the whole of s: 0 and *out set, or -1. */
int cli_parse_long(const char *s, long lo, long hi, long *out);
int cli_usage_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Matches "--name" or "--name=value"; on match sets *value (NULL when no
 * '=' and the next argv is taken, advancing *i) and returns 1. Returns -1
 * when a value is required but missing. */
int cli_opt_value(int argc, char **argv, int *i, const char *name,
                  const char **value);

/* Refuses, with a usage message naming verb, a FILE argument that cannot
 * be a config: a directory, or a glob pattern that names no file (a quoted
 * "*.yaml" the shell never expanded). Returns 0 when path may be used
 * (a missing plain name is fine: watch waits for it). */
int cli_check_file_arg(const char *verb, const char *path);

/* The usage error for a --format after the last FILE (it would name the
 * format of no file); returns HC_EXIT_USAGE. */
int cli_format_after_files(const char *verb);

/* The candidate closest to word by edit distance (a swap of neighbours
 * counts one), or NULL when none is close enough to suggest. */
const char *cli_closest(const char *word, const char *const *cands, size_t n);

/* Prints "hotconf VERB: unknown option 'ARG' (did you mean '--x'?)", the
 * suggestion taken from the --options of the verb's help text; returns
 * HC_EXIT_USAGE. */
int cli_unknown_option(const char *verb, const char *help, const char *arg);

/* A value as one line of JSON (compact, scalars allowed); malloc'd. */
char *cli_json_compact(const json_t *v);

/* The dashboard flags of hotconf watch (--http [ADDR:]PORT, --http-token
 * T, --dashboard-file F), parsed and served by cli/dashboard.c. */
typedef struct cli_http {
    const char *listen, *token, *file;
    hc_http *h;
} cli_http;

/* Like cli_parse_opt for the flags above: 1 consumed, 0 not one, -1 usage
 * error (printed). */
int cli_http_opt(int argc, char **argv, int *i, cli_http *ch);
/* Starts serving when a flag was given (prints the URL to stderr); 0 or
 * -1 (printed). */
int cli_http_begin(hc_engine *e, cli_http *ch);
void cli_http_end(cli_http *ch);

#endif
