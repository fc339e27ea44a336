/*
 * dashboard.c - hotconf dashboard --export FILE.html CONFIG...: loads the
 * configs once and writes the static, self-contained dashboard. Also the
 * dashboard flags of hotconf watch (--http, --http-token,
 * --dashboard-file), kept here so watch.c only calls three functions.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: hotconf dashboard --export FILE.html CONFIG... [--format F]\n"
    "                         [--env-nest SEP] [--no-typing] [--yaml-multi M]\n"
    "\n"
    "Loads each CONFIG once and writes FILE.html: one self-contained page\n"
    "(no server, no network) with each config's status, live document\n"
    "(secrets masked) and errors. It reloads itself every 5 s; hotconf\n"
    "watch --dashboard-file FILE.html keeps such a page up to date.\n";

static void log_stderr(int level, const char *msg, void *data)
{
    (void)data;
    fprintf(stderr, "hotconf: %s%s\n", level == HC_LOG_WARN ? "warning: " : "",
            msg);
}

/* "8080", "0.0.0.0:8080", "[::1]:8080" -> address (malloc'd or NULL for
 * the default) and port; -1 when malformed. */
static int split_listen(const char *s, char **addr, int *port)
{
    const char *colon = strrchr(s, ':'), *p = colon ? colon + 1 : s;
    char *end;
    long v = strtol(p, &end, 10);
    *addr = NULL;
    if (!*p || *end || v < 0 || v > 65535)
        return -1;
    *port = (int)v;
    if (colon) {
        const char *a = s;
        size_t n = (size_t)(colon - s);
        if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
            a++;
            n -= 2;
        }
        if (n == 0)
            return -1;
        *addr = strndup(a, n);
    }
    return 0;
}

int cli_http_opt(int argc, char **argv, int *i, cli_http *ch)
{
    const char *v = NULL;
    int r;
    if ((r = cli_opt_value(argc, argv, i, "--http", &v)) != 0) {
        char *addr = NULL;
        int port;
        if (r < 0 || split_listen(v, &addr, &port) != 0) {
            cli_usage_error("watch", "--http needs [ADDR:]PORT");
            return -1;
        }
        free(addr);
        ch->listen = v;
    } else if ((r = cli_opt_value(argc, argv, i, "--http-token", &v)) != 0) {
        if (r < 0 || strlen(v) < 16) {
            cli_usage_error("watch", "--http-token needs a token of 16+ "
                                     "characters");
            return -1;
        }
        ch->token = v;
    } else if ((r = cli_opt_value(argc, argv, i, "--dashboard-file", &v)) !=
               0) {
        if (r < 0 || !*v) {
            cli_usage_error("watch", "--dashboard-file needs a file");
            return -1;
        }
        ch->file = v;
    }
    return r != 0;
}

int cli_http_begin(hc_engine *e, cli_http *ch)
{
    hc_http_options o;
    hc_error err;
    char *addr = NULL;
    int port = HC_HTTP_NO_LISTEN;
    if (!ch->listen && !ch->file)
        return 0;
    if (ch->listen && split_listen(ch->listen, &addr, &port) != 0) {
        fprintf(stderr, "hotconf watch: --http: '%s' is not [ADDR:]PORT\n",
                ch->listen);
        return -1;
    }
    hc_http_options_init(&o);
    o.address = addr;
    o.port = port;
    o.token = ch->token;
    o.dashboard_file = ch->file;
    o.log = log_stderr;
    ch->h = hc_http_start(e, &o, &err);
    if (!ch->h) {
        fprintf(stderr, "hotconf watch: %s\n", err.text);
        free(addr);
        return -1;
    }
    if (ch->listen) {
        const char *a = addr ? addr : "127.0.0.1";
        int v6 = strchr(a, ':') != NULL;
        /* the fragment never reaches the server or its logs; the page
         * keeps the token for the tab and drops it from the address */
        fprintf(stderr, "hotconf: dashboard on http://%s%s%s:%d/#token=%s\n",
                v6 ? "[" : "", a, v6 ? "]" : "", hc_http_port(ch->h),
                hc_http_token(ch->h));
    }
    free(addr);
    return 0;
}

void cli_http_end(cli_http *ch)
{
    hc_http_stop(ch->h);
    ch->h = NULL;
}

int cmd_dashboard(int argc, char **argv)
{
    cli_parse_opts po = {0}; /* HC_FORMAT_AUTO */
    const char *out = NULL;
    hc_parse_options popts;
    hc_engine *e;
    hc_error err;
    int n = 0, rc = HC_EXIT_USAGE;
    const char **files = calloc((size_t)argc, sizeof *files);

    if (!files)
        return HC_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            rc = HC_EXIT_OK;
            goto done;
        }
        r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            goto done;
        if (r > 0)
            continue;
        if ((r = cli_opt_value(argc, argv, &i, "--export", &v)) != 0) {
            if (r < 0 || !*v) {
                rc = cli_usage_error("dashboard", "--export needs a file");
                goto done;
            }
            out = v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = cli_unknown_option("dashboard", help, argv[i]);
            goto done;
        } else {
            files[n++] = argv[i];
        }
    }
    if (!out || n == 0) {
        rc =
            cli_usage_error("dashboard", !out ? "--export FILE.html is required"
                                              : "no config given");
        goto done;
    }
    if (!(e = hc_engine_new(NULL))) {
        fprintf(stderr, "hotconf dashboard: cannot create the engine\n");
        rc = HC_EXIT_FAIL;
        goto done;
    }
    cli_parse_options(&po, &popts);
    for (int i = 0; i < n; i++) {
        hc_watch_options wo;
        memset(&wo, 0, sizeof wo);
        wo.format = po.format;
        wo.parse = &popts;
        /* a broken or missing config is shown as such, not fatal */
        if (hc_watch(e, files[i], &wo) < 0 &&
            hc_engine_last_error(e, &err) != HC_EEXIST)
            fprintf(stderr, "hotconf dashboard: %s\n", err.text);
    }
    rc = HC_EXIT_OK;
    if (hc_dashboard_export(e, out, &err) != 0) {
        fprintf(stderr, "hotconf dashboard: %s\n", err.text);
        rc = HC_EXIT_FAIL;
    }
    hc_engine_free(e);
done:
    free(files);
    return rc;
}
