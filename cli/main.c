/* main.c - the hotconf command: dispatches to one verb per cli/<verb>.c. */
#include "cli.h"

#include <string.h>

static const struct verb {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} verbs[] = {
#define HC_VERB(name, summary) {#name, cmd_##name, summary},
#include "verbs.def"
#undef HC_VERB
};

static void usage(FILE *out)
{
    fprintf(out, "usage: hotconf VERB [OPTIONS] ...\n\n"
                 "Configuration hot-reload: parse, validate, diff and watch "
                 "JSON, YAML, INI and .env configs.\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out, "\n'hotconf VERB --help' describes a verb. "
                 "'hotconf --version' prints the version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return HC_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return HC_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("hotconf %s\n", hc_version());
        return HC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(argv[1], verbs[i].name))
            return verbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "hotconf: unknown verb '%s'\n\n", argv[1]);
    usage(stderr);
    return HC_EXIT_USAGE;
}
