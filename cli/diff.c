/*
 * diff.c - hotconf diff OLD NEW: one line per change,
 *   + PATH = VALUE   - PATH = VALUE   ~ PATH: OLD -> NEW
 * Exit 0 equal, 1 different, 2 error (like diff(1)).
 */
#include "state.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf diff OLD NEW [--reveal] [--format F] [--env-nest SEP]\n"
    "                   [--no-typing]\n"
    "\n"
    "Prints one line per change between two configs (formats may differ):\n"
    "  + PATH = VALUE          added\n"
    "  - PATH = VALUE          removed\n"
    "  ~ PATH: OLD -> NEW      changed (values as JSON)\n"
    "Values whose key looks secret (password, token, api_key, ...; see\n"
    "hotconf(1)) print as \"***\"; --reveal prints them.\n"
    "\n"
    "Exit status: 0 equal, 1 different, 2 error (as diff(1)).\n";

int cmd_diff(int argc, char **argv)
{
    cli_parse_opts po = {0}; /* HC_FORMAT_AUTO */
    const char *files[2] = {NULL, NULL};
    int nfiles = 0, reveal = 0;
    hc_error err;
    json_t *a, *b;
    hc_changeset *cs;
    size_t n;

    for (int i = 1; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return HC_EXIT_OK;
        }
        if (!strcmp(argv[i], "--reveal")) {
            reveal = 1;
            continue;
        }
        r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            return HC_EXIT_USAGE;
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_unknown_option("diff", help, argv[i]);
        if (nfiles == 2)
            return cli_usage_error("diff", "exactly two files are needed");
        files[nfiles++] = argv[i];
    }
    if (nfiles != 2)
        return cli_usage_error("diff", "exactly two files are needed");

    a = cli_load(files[0], &po, &err);
    if (!a)
        return HC_EXIT_USAGE;
    b = cli_load(files[1], &po, &err);
    if (!b) {
        json_decref(a);
        return HC_EXIT_USAGE;
    }
    cs = hc_diff(a, b);
    if (!cs) {
        fprintf(stderr, "hotconf diff: out of memory\n");
        json_decref(a);
        json_decref(b);
        return HC_EXIT_USAGE;
    }
    n = hc_changeset_count(cs);
    /* secret values masked unless --reveal (state.c) */
    cli_print_changes(cs, "", reveal ? "" : NULL, NULL);
    hc_changeset_free(cs);
    json_decref(a);
    json_decref(b);
    return n ? HC_EXIT_FAIL : HC_EXIT_OK;
}
