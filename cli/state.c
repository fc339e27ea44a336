/* state.c - the state folder, times and secret masking for the operator
 * verbs (see state.h). */
#include "state.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int state_opt(const char *verb, int argc, char **argv, int *i,
                     cli_state_opts *so)
{
    const char *v = NULL;
    int r;
    if (!strcmp(argv[*i], "--json")) {
        so->json = 1;
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--state", &v)) != 0) {
        if (r < 0 || !*v) {
            cli_usage_error(verb, "--state needs a directory");
            return -1;
        }
        so->state = v;
        return 1;
    }
    if ((r = cli_opt_value(argc, argv, i, "--secret-keys", &v)) != 0) {
        if (r < 0) {
            cli_usage_error(verb, "--secret-keys needs a list");
            return -1;
        }
        so->secret_keys = v;
        return 1;
    }
    return 0;
}

int cli_state_arg(const char *verb, const char *help, int argc, char **argv,
                  int *i, cli_state_opts *so)
{
    if (!strcmp(argv[*i], "--help") || !strcmp(argv[*i], "-h")) {
        fputs(help, stdout);
        return HC_EXIT_OK;
    }
    switch (state_opt(verb, argc, argv, i, so)) {
    case 1: return CLI_NEXT;
    case -1: return HC_EXIT_USAGE;
    default: return CLI_MINE;
    }
}

static char *join2(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s", a, b);
    return p;
}

char *cli_state_dir(const char *given)
{
    const char *x;
    if (given)
        return strdup(given);
    if (geteuid() == 0)
        return strdup("/var/lib/hotconf");
    if ((x = getenv("XDG_STATE_HOME")) && x[0] == '/')
        return join2(x, "/hotconf");
    if ((x = getenv("HOME")) && *x)
        return join2(x, "/.local/state/hotconf");
    return strdup("/var/lib/hotconf");
}

hc__sq *cli_state_open(const char *verb, const cli_state_opts *so)
{
    char *dir = cli_state_dir(so->state);
    hc_error err;
    hc__sq *s;
    if (!dir) {
        fprintf(stderr, "hotconf %s: out of memory\n", verb);
        return NULL;
    }
    hc_error_init(&err);
    s = hc__sq_open(dir, HC__SQ_NOCREATE, NULL, NULL, NULL, &err);
    if (!s) {
        if (err.code == HC_ENOENT)
            fprintf(stderr,
                    "hotconf %s: no history in %s (run 'hotconf watch "
                    "--state %s FILE...' first)\n",
                    verb, dir, dir);
        else
            fprintf(stderr, "hotconf %s: %s: %s\n", verb, err.source, err.text);
    }
    free(dir);
    return s;
}

const char *cli_time(int64_t ns, char *buf)
{
    if (!hc__time_text(ns, buf))
        snprintf(buf, HC__TIME_TEXT, "@%lld", (long long)(ns / 1000000000));
    return buf;
}

int64_t cli_parse_time(const char *s)
{
    struct tm tm;
    const char *e;
    char *end;
    long long v;
    if (!s || !*s)
        return -1;
    if (s[0] == '@') {
        v = strtoll(s + 1, &end, 10);
        if (*end || end == s + 1 || v < 0)
            return -1;
        return v > INT64_MAX / 1000000000 ? INT64_MAX : v * 1000000000;
    }
    v = strtoll(s, &end, 10);
    if (end != s && v >= 0 && end[0] && !end[1] && strchr("smhd", end[0])) {
        static const int64_t unit[] = {1, 60, 3600, 86400};
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return ((int64_t)now.tv_sec -
                (int64_t)v * unit[strchr("smhd", end[0]) - "smhd"]) *
               1000000000;
    }
    memset(&tm, 0, sizeof tm);
    e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e) {
        memset(&tm, 0, sizeof tm);
        e = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
    }
    if (!e) {
        memset(&tm, 0, sizeof tm);
        e = strptime(s, "%Y-%m-%d", &tm);
    }
    if (!e || (*e && strcmp(e, "Z")))
        return -1;
    {
        int64_t sec = (int64_t)timegm(&tm);
        /* nanoseconds since 1970 end in 2262 */
        return sec > INT64_MAX / 1000000000 ? INT64_MAX : sec * 1000000000;
    }
}

/* ---- masking: src/mask.c's one rule set ---------------------------------- */
void cli_mask(json_t *doc, const char *secret_keys, const json_t *schema)
{
    hc__mask_doc(doc, secret_keys, schema, CLI_MASK);
}

int cli_path_is_secret(const char *path, const char *secret_keys,
                       const json_t *schema)
{
    return hc__mask_path(path, secret_keys, schema);
}

static const char *show_path(const char *p)
{
    return *p ? p : "(root)";
}

void cli_print_changes(const hc_changeset *cs, const char *indent,
                       const char *secret_keys, const json_t *schema)
{
    size_t n = hc_changeset_count(cs);
    for (size_t i = 0; i < n; i++) {
        const hc_change *c = hc_changeset_at(cs, i);
        int secret = cli_path_is_secret(c->path, secret_keys, schema);
        json_t *om = NULL, *nm = NULL;
        char *o, *nv;
        if (!secret && c->old_value && json_is_object(c->old_value))
            cli_mask(om = json_deep_copy(c->old_value), secret_keys, NULL);
        if (!secret && c->new_value && json_is_object(c->new_value))
            cli_mask(nm = json_deep_copy(c->new_value), secret_keys, NULL);
        o = secret         ? strdup("\"" CLI_MASK "\"")
            : c->old_value ? cli_json_compact(om ? om : c->old_value)
                           : NULL;
        nv = secret         ? strdup("\"" CLI_MASK "\"")
             : c->new_value ? cli_json_compact(nm ? nm : c->new_value)
                            : NULL;
        switch (c->op) {
        case HC_CHANGE_ADDED:
            printf("%s+ %s = %s\n", indent, show_path(c->path), nv);
            break;
        case HC_CHANGE_REMOVED:
            printf("%s- %s = %s\n", indent, show_path(c->path), o);
            break;
        case HC_CHANGE_CHANGED:
            printf("%s~ %s: %s -> %s\n", indent, show_path(c->path), o, nv);
            break;
        }
        free(o);
        free(nv);
        json_decref(om);
        json_decref(nm);
    }
}

json_t *cli_changes_json(const hc_changeset *cs, const char *secret_keys,
                         const json_t *schema)
{
    json_t *arr = hc_changeset_to_json(cs), *e;
    size_t i;
    json_array_foreach(arr, i, e)
    {
        const char *path = json_string_value(json_object_get(e, "path"));
        int secret = path && cli_path_is_secret(path, secret_keys, schema);
        static const char *const sides[] = {"old", "new"};
        for (int k = 0; k < 2; k++) {
            json_t *v = json_object_get(e, sides[k]);
            if (!v)
                continue;
            if (secret)
                json_object_set_new(e, sides[k], json_string(CLI_MASK));
            else
                cli_mask(v, secret_keys, NULL);
        }
    }
    return arr;
}

json_t *cli_version_doc(const hc__sq_version *v, const char *file,
                        hc_error *err)
{
    hc_format f = HC_FORMAT_AUTO;
    if (!v->format || hc_format_parse(v->format, &f) != 0)
        f = HC_FORMAT_AUTO;
    hc_error_init(err);
    return hc_parse(v->content, v->size, f, file, NULL, err);
}

json_t *cli_state_schema(hc__sq *s, const char *file, const char *given,
                         char **path)
{
    char *p = given ? strdup(given) : NULL;
    json_t *doc = NULL;
    if (!p) {
        hc__sq_config *cs;
        size_t n;
        if (hc__sq_configs(s, file, &cs, &n) == 0) {
            if (n && cs[0].schema)
                p = strdup(cs[0].schema);
            hc__sq_configs_free(cs, n);
        }
    }
    if (p) {
        hc_error err;
        hc_error_init(&err);
        doc = hc_parse_file(p, HC_FORMAT_AUTO, NULL, &err);
    }
    if (path)
        *path = p;
    else
        free(p);
    return doc;
}
