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
    fprintf(
        out,
        "\n'hotconf help VERB' (or 'hotconf VERB --help') describes a verb. "
        "'hotconf --version' prints the version.\n");
}

static const struct verb *find_verb(const char *name)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(name, verbs[i].name))
            return &verbs[i];
    return NULL;
}

/* "hotconf: unknown verb 'wacth' (did you mean 'watch'?)" */
static int unknown_verb(const char *name)
{
    const char *names[sizeof verbs / sizeof verbs[0] + 1];
    const char *best;
    size_t n = 0;
    for (; n < sizeof verbs / sizeof verbs[0]; n++)
        names[n] = verbs[n].name;
    names[n++] = "help";
    best = cli_closest(name, names, n);
    if (best)
        fprintf(stderr, "hotconf: unknown verb '%s' (did you mean '%s'?)\n\n",
                name, best);
    else
        fprintf(stderr, "hotconf: unknown verb '%s'\n\n", name);
    usage(stderr);
    return HC_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    const struct verb *v;
    if (argc < 2) {
        usage(stderr);
        return HC_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "help") && argc > 2) {
        /* hotconf help VERB == hotconf VERB --help */
        char *hargv[] = {argv[2], "--help", NULL};
        if (!(v = find_verb(argv[2])))
            return unknown_verb(argv[2]);
        return v->fn(2, hargv);
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
    if ((v = find_verb(argv[1])))
        return v->fn(argc - 1, argv + 1);
    return unknown_verb(argv[1]);
}
