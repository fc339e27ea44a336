/* common.c - option parsing and error printing shared by the verbs. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int cli_check_file_arg(const char *verb, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            cli_usage_error(verb,
                            "%s: is a directory; hotconf %s takes files, "
                            "not folders (conf.d directories are not "
                            "supported yet: name the files)",
                            path, verb);
            return -1;
        }
        return 0;
    }
    /* A name with glob characters that matches no file was most likely
     * quoted, so the shell never expanded it; watching it would wait
     * forever for a file of that literal name. */
    if (errno == ENOENT && strpbrk(path, "*?[") && lstat(path, &st) != 0) {
        cli_usage_error(verb,
                        "%s: looks like an unexpanded glob (no file has this "
                        "name); leave it unquoted so the shell expands it, "
                        "or name the files",
                        path);
        return -1;
    }
    return 0;
}

/* Optimal-string-alignment distance (Levenshtein plus the swap of two
 * neighbours, the commonest typo: "wacth"); the strings are short words. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[34][34];
    if (la > 32 || lb > 32)
        return (size_t)-1;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

const char *cli_closest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);
    /* Up to a third of the word may be wrong, and at least one letter. */
    size_t limit = len / 3 > 1 ? len / 3 : 1;
    if (len >= 4 && limit < 2)
        limit = 2;
    for (size_t i = 0; i < n; i++) {
        size_t dist = edit_distance(word, cands[i]);
        if (dist < best_d) {
            best_d = dist;
            best = cands[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

int cli_unknown_option(const char *verb, const char *help, const char *arg)
{
    /* The options are the "--name" words of the verb's own help, so a new
     * option is suggested as soon as it is documented. */
    const char *cands[64];
    char names[64][32];
    size_t n = 0, alen = strcspn(arg, "=");
    char word[32];
    const char *best;
    for (const char *p = help; (p = strstr(p, "--")) && n < 64;) {
        size_t l = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
        if (l > 2 && l < sizeof names[0]) {
            int dup = 0;
            memcpy(names[n], p, l);
            names[n][l] = '\0';
            for (size_t i = 0; i < n; i++)
                dup |= strcmp(cands[i], names[n]) == 0;
            if (!dup) {
                cands[n] = names[n];
                n++;
            }
        }
        p += l;
    }
    if (alen >= sizeof word)
        alen = sizeof word - 1;
    memcpy(word, arg, alen);
    word[alen] = '\0';
    best = cli_closest(word, cands, n);
    if (best)
        return cli_usage_error(verb, "unknown option '%s' (did you mean '%s'?)",
                               arg, best);
    return cli_usage_error(verb, "unknown option '%s'", arg);
}

int cli_format_after_files(const char *verb)
{
    return cli_usage_error(verb, "--format applies to the FILEs after it, "
                                 "and none follows; put it before the files "
                                 "it names");
}

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}
