/*
 * watch.c - hotconf watch FILE...: the engine as a daemon for other
 * processes. Runs the engine in dispatch mode on the main thread, next to a
 * signalfd (SIGINT/SIGTERM stop, SIGHUP rescans, SIGCHLD reaps --exec
 * children), so there is one thread and no async-signal hazards. Reports
 * every outcome as a line (JSON with --events, flushed at once); after
 * each applied change runs --exec (fork + execvp, words split once at
 * start, no shell; one run at a time per file, a change during a run
 * queues one more) and/or sends --signal.
 */
#include "cli.h"
#include "layers.h"
#include "etcd_cli.h"
#include "state.h"
#include "schema_opts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

extern char **environ;

static const char help[] =
    "usage: hotconf watch FILE... [--events] [--exec CMD]\n"
    "                     [--signal SIG (--pid N | --pidfile F)]\n"
    "                     [--poll MS] [--history N] [--format F]\n"
    "                     [--schema SCHEMA [--fill-defaults]]\n"
    "                     [--env-nest SEP] [--no-typing] [--state DIR]\n"
    "                     [--merge] [--defaults FILE] [--env PREFIX]\n"
    "                     [--env-sep SEP] [--set PATH=VALUE]\n"
    "\n"
    "Watches config files and reports every change: applied versions with\n"
    "their diff, rejected versions (FILE:LINE:COL: message; the previous\n"
    "version stays live), missing files. Runs until SIGINT or SIGTERM;\n"
    "SIGHUP rescans every file.\n"
    "\n"
    "  --events        one JSON object per line on stdout, flushed at once:\n"
    "                  {\"event\":\"applied\",\"file\":F,\"version\":N,"
    "\"trigger\":T,\n"
    "                   "
    "\"changes\":[{\"path\":P,\"op\":O,\"old\":V,\"new\":V}],"
    "\"latency_us\":N}\n"
    "                  {\"event\":\"rejected\",\"file\":F,\"error\":\"F:L:C: "
    "...\"}\n"
    "                  {\"event\":\"missing\",\"file\":F}\n"
    "                  {\"event\":\"ready\",\"files\":[F,...]} once every "
    "watch is in place\n"
    "                  {\"event\":\"exec_failed\"|\"signal_failed\",...}\n"
    "                  The first load of each file is \"applied\", version 1\n"
    "                  (with --state the stored numbering goes on, and a\n"
    "                  file that cannot be loaded starts on its last good\n"
    "                  version: trigger \"last_known_good\").\n"
    "  --exec CMD      run CMD after each applied change (not the first "
    "load),\n"
    "                  split into words once ('...' and \"...\" group, no "
    "shell:\n"
    "                  write sh -c '...' for one), with HOTCONF_FILE,\n"
    "                  HOTCONF_VERSION, HOTCONF_CHANGED (the changed paths\n"
    "                  joined by ',', a ',' or '\\' inside a path preceded by\n"
    "                  '\\') and HOTCONF_CHANGED_JSON (the paths as a JSON\n"
    "                  array) in its environment; one run at a time per\n"
    "                  file; a failure is reported, never fatal. With\n"
    "                  --events its stdout goes to stderr, so the event\n"
    "                  stream stays clean.\n"
    "  --signal SIG    send SIG (HUP, USR1, 10, ...) after each applied "
    "change\n"
    "  --pid N         ... to this process\n"
    "  --pidfile F     ... to the pid in F (read each time; digits and an\n"
    "                  optional newline, 1 to pid_max, else signal_failed)\n"
    "  --http [ADDR:]PORT  serve the dashboard, JSON API and /metrics\n"
    "                  (ADDR 127.0.0.1 unless given; PORT 0 picks one)\n"
    "  --http-token T  bearer token for rollbacks (default: http.token in the\n"
    "                  state folder, created 0600 on first start)\n"
    "  --dashboard-file F  keep a static HTML dashboard in F, rewritten\n"
    "                  after each change, reloading itself every 5 s\n"
    "  --poll MS       poll every MS milliseconds (>= 100) instead of inotify\n"
    "  --history N     versions kept per file before the live one (default\n"
    "                  10)\n"
    "  --format F      json, jsonc, yaml, ini, env for the FILEs that follow "
    "it\n"
    "                  (default: from each file's name); a later --format\n"
    "                  changes it again for the files after that one\n"
    "  --schema SCHEMA reject versions that fail this JSON Schema (JSON or\n"
    "                  YAML file); the live config stays\n"
    "  --fill-defaults with --schema: fill in the schema's default values\n"
    "  --state DIR     record every version and attempt in DIR/state.db for\n"
    "                  hotconf history, show, rollback, log, status, stats;\n"
    "                  numbering continues across restarts (one watcher per\n"
    "                  DIR)\n" CLI_SCHEMA_OPTS_HELP "\n"
    "A FILE may be a folder or a glob ('conf.d/*.yaml', quoted): each file\n"
    "in it is watched as a config of its own, a file that appears is\n"
    "watched ({\"event\":\"added\",\"file\":F}) and one that goes away is\n"
    "unwatched ({\"event\":\"removed\",\"file\":F}); editor temp files\n"
    "(*~, .*.swp, #*#, .#*, *.tmp) are skipped.\n"
    "With --merge or a layer option, every FILE (folders in lexical order)\n"
    "and layer merges into one config (defaults, FILEs, environment,\n"
    "--set), validated as a whole; a change in any of them merges again and\n"
    "the applied event names it (\"layer\":\"conf.d/20-b.yaml\").\n"
    "  --merge         merge the FILEs into one config\n"
    "  --merged-file F where the merged config is written (0600) and\n"
    "                  watched: its name in events, history and --state\n"
    "                  (default: merged-HASH.json in $XDG_RUNTIME_DIR/\n"
    "                  hotconf-UID, HASH of the layers)\n" CLI_LAYERS_HELP
    "An etcd config (etcd://HOST:PORT[,HOST:PORT...]/KEY) is followed with a\n"
    "watch that resumes after failures; this node reports its outcome under\n"
    "KEY/.status/NODE (see hotconf rollout status):\n"
    "  --node NAME     this node's name (default: the host name)\n"
    "  --status-ttl S  the report's lease (default 10 s): a dead node's\n"
    "                  report is gone S seconds after its last keepalive\n"
    "  --no-status     report nothing\n" CLI_ETCD_OPTS_HELP;

typedef struct watched {
    const char *file;
    pid_t running; /* --exec child, 0 when none */
    uint64_t running_version;
    int pending; /* a change arrived during the run */
    uint64_t pending_version;
    struct changed_env *pending_changed;
    char *own; /* file, when this watch is a group's (freed with it) */
} watched;

typedef struct ctx {
    int events;
    char **exec_argv; /* NULL: no --exec */
    int sig;          /* 0: no --signal */
    pid_t pid;
    const char *pidfile;
    watched *w;
    int nw;
    hc_engine *e;
    /* writeOnly marks of --schema for masking error texts (NULL: none) */
    json_t *schema_doc;
    int wcap;          /* c->w's room: groups add files */
    const char *cause; /* merged: the layer of the change being reported */
    const char *schema_path;
} ctx;

/* ---- output ---------------------------------------------------------- */

static void emit(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!s)
        return;
    fputs(s, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    free(s);
}

static json_t *event(const char *name, const char *file)
{
    json_t *o = json_object();
    json_object_set_new(o, "event", json_string(name));
    if (file)
        json_object_set_new(o, "file", json_string(file));
    return o;
}

static void human(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void human(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static watched *find_watched(ctx *c, const char *file)
{
    for (int i = 0; i < c->nw; i++)
        if (strcmp(c->w[i].file, file) == 0)
            return &c->w[i];
    return NULL;
}

static watched *find_pid(ctx *c, pid_t pid)
{
    for (int i = 0; i < c->nw; i++)
        if (c->w[i].running == pid)
            return &c->w[i];
    return NULL;
}

/* ---- --exec ------------------------------------------------------------- */

/* Splits CMD into words: blanks separate, '...' is literal, "..." keeps
 * \" and \\ escapes, \ escapes one char outside quotes. NULL on an
 * unterminated quote. */
static char **split_words(const char *s)
{
    size_t n = 0, cap = 8, len = strlen(s);
    char **argv = calloc(cap, sizeof *argv);
    char *buf = malloc(len + 1);
    if (!argv || !buf)
        goto fail;
    while (*s) {
        size_t o = 0;
        int word = 0;
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
            word = 1;
            if (*s == '\'') {
                const char *end = strchr(s + 1, '\'');
                if (!end)
                    goto fail;
                memcpy(buf + o, s + 1, (size_t)(end - s - 1));
                o += (size_t)(end - s - 1);
                s = end + 1;
            } else if (*s == '"') {
                for (s++; *s && *s != '"'; s++) {
                    if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                        s++;
                    buf[o++] = *s;
                }
                if (*s != '"')
                    goto fail;
                s++;
            } else if (*s == '\\' && s[1]) {
                buf[o++] = s[1];
                s += 2;
            } else {
                buf[o++] = *s++;
            }
        }
        if (!word)
            break;
        if (n + 2 > cap) {
            char **na = realloc(argv, (cap *= 2) * sizeof *na);
            if (!na)
                goto fail;
            argv = na;
        }
        argv[n] = strndup(buf, o);
        if (!argv[n++])
            goto fail;
        argv[n] = NULL;
    }
    free(buf);
    if (n == 0) {
        free(argv);
        return NULL;
    }
    return argv;
fail:
    if (argv)
        for (size_t i = 0; i < n; i++)
            free(argv[i]);
    free(argv);
    free(buf);
    return NULL;
}

static void free_words(char **argv)
{
    if (!argv)
        return;
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/*
 * The changed paths for an --exec child, as two environment entries:
 * HOTCONF_CHANGED=a,b.c (comma-separated; a ',' or '\\' inside a path is
 * preceded by '\\', so "a\\,b" is the one key "a,b") and
 * HOTCONF_CHANGED_JSON=["a","b.c"] (a JSON array of the paths, for children
 * that would rather not unescape). Built before the fork: the child only
 * execs.
 */
struct changed_env {
    char *csv;  /* "HOTCONF_CHANGED=..." */
    char *json; /* "HOTCONF_CHANGED_JSON=..." */
};
typedef struct changed_env changed_env;

static void changed_env_free(changed_env *ce)
{
    free(ce->csv);
    free(ce->json);
    ce->csv = ce->json = NULL;
}

static int changed_env_build(const hc_changeset *cs, changed_env *ce)
{
    size_t n = hc_changeset_count(cs), len = sizeof "HOTCONF_CHANGED=", o;
    json_t *arr = json_array();
    char *js;
    ce->csv = ce->json = NULL;
    for (size_t i = 0; i < n; i++)
        len += 2 * strlen(hc_changeset_at(cs, i)->path) + 1;
    ce->csv = malloc(len);
    if (!ce->csv || !arr)
        goto fail;
    o = (size_t)snprintf(ce->csv, len, "HOTCONF_CHANGED=");
    for (size_t i = 0; i < n; i++) {
        const char *path = hc_changeset_at(cs, i)->path;
        if (i)
            ce->csv[o++] = ',';
        for (const char *p = path; *p; p++) {
            if (*p == ',' || *p == '\\')
                ce->csv[o++] = '\\';
            ce->csv[o++] = *p;
        }
        if (json_array_append_new(arr, json_string(path)) != 0)
            goto fail;
    }
    ce->csv[o] = '\0';
    js = json_dumps(arr, JSON_COMPACT);
    if (!js || asprintf(&ce->json, "HOTCONF_CHANGED_JSON=%s", js) < 0)
        ce->json = NULL;
    free(js);
    if (!ce->json)
        goto fail;
    json_decref(arr);
    return 0;
fail:
    json_decref(arr);
    changed_env_free(ce);
    return -1;
}

static void report_failure(ctx *c, const char *what, watched *w,
                           uint64_t version, const char *detail)
{
    if (c->events) {
        json_t *o = event(what, w->file);
        json_object_set_new(o, "version", json_integer((json_int_t)version));
        json_object_set_new(o, "error", json_string(detail));
        emit(o);
    } else {
        human("%s: %s for version %llu: %s\n", w->file,
              strcmp(what, "exec_failed") == 0 ? "--exec failed"
                                               : "--signal failed",
              (unsigned long long)version, detail);
    }
}

static void run_exec(ctx *c, watched *w, uint64_t version,
                     const changed_env *ce)
{
    size_t n = 0, k = 0;
    char **envp, *ef = NULL, *ev = NULL;
    int pfd[2];
    pid_t pid = -1;

    while (environ[n])
        n++;
    envp = calloc(n + 5, sizeof *envp);
    if (!envp || pipe2(pfd, O_CLOEXEC) != 0) {
        free(envp);
        report_failure(c, "exec_failed", w, version, strerror(errno));
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "HOTCONF_", 8) != 0)
            envp[k++] = environ[i];
    /* Built before fork: the child only execs. */
    if (asprintf(&ef, "HOTCONF_FILE=%s", w->file) < 0)
        ef = NULL;
    if (asprintf(&ev, "HOTCONF_VERSION=%llu", (unsigned long long)version) < 0)
        ev = NULL;
    if (!ef || !ev || !ce->csv || !ce->json) {
        free(ef);
        free(ev);
        free(envp);
        close(pfd[0]);
        close(pfd[1]);
        report_failure(c, "exec_failed", w, version, "out of memory");
        return;
    }
    envp[k++] = ef;
    envp[k++] = ev;
    envp[k++] = ce->csv;
    envp[k++] = ce->json;
    envp[k] = NULL;
    pid = fork();
    if (pid == 0) {
        sigset_t none;
        int e;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (c->events)
            dup2(STDERR_FILENO, STDOUT_FILENO);
        execvpe(c->exec_argv[0], c->exec_argv, envp);
        e = errno;
        if (write(pfd[1], &e, sizeof e) < 0) {
            /* nothing more we can do */
        }
        _exit(127);
    }
    free(ef);
    free(ev);
    free(envp);
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        report_failure(c, "exec_failed", w, version, strerror(errno));
        return;
    }
    {
        /* EOF at exec (CLOEXEC); an errno when exec failed. */
        int e = 0;
        ssize_t got;
        do
            got = read(pfd[0], &e, sizeof e);
        while (got < 0 && errno == EINTR);
        close(pfd[0]);
        if (got == (ssize_t)sizeof e) {
            char msg[512];
            snprintf(msg, sizeof msg, "cannot run '%s': %s", c->exec_argv[0],
                     strerror(e));
            report_failure(c, "exec_failed", w, version, msg);
            waitpid(pid, NULL, 0);
            return;
        }
    }
    w->running = pid;
    w->running_version = version;
}

static void reap(ctx *c)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        watched *w;
        if (pid <= 0)
            return;
        w = find_pid(c, pid);
        if (!w)
            continue;
        w->running = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            char msg[128];
            if (WIFSIGNALED(status))
                snprintf(msg, sizeof msg, "killed by signal %d",
                         WTERMSIG(status));
            else
                snprintf(msg, sizeof msg, "exit status %d",
                         WEXITSTATUS(status));
            report_failure(c, "exec_failed", w, w->running_version, msg);
        }
        if (w->pending) {
            w->pending = 0;
            run_exec(c, w, w->pending_version, w->pending_changed);
            changed_env_free(w->pending_changed);
            free(w->pending_changed);
            w->pending_changed = NULL;
        }
    }
}

/* The kernel's largest pid (/proc/sys/kernel/pid_max); the kernel's own
 * upper bound (PID_MAX_LIMIT, 2^22) when it cannot be read. */
static long pid_max(void)
{
    long v = 4194304;
    FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
    if (f) {
        long r;
        if (fscanf(f, "%ld", &r) == 1 && r > 1)
            v = r;
        fclose(f);
    }
    return v;
}

/*
 * Parses a process id strictly: decimal digits only, then at most one
 * newline, and 1 <= pid <= pid_max. Whatever else a pid file holds
 * ("4294967295", "-1", "123 junk") is refused: cast to pid_t, such values
 * become kill(-1) (every process we may signal) or kill(0) (our own process
 * group). Returns 0, or -1 with *why set.
 */
static int parse_pid(const char *s, size_t len, pid_t *out, const char **why)
{
    long v = 0, max = pid_max();
    size_t i = 0;
    if (len > 0 && s[len - 1] == '\n')
        len--;
    if (len == 0) {
        *why = "empty";
        return -1;
    }
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *why = "not a process id (digits only)";
            return -1;
        }
        v = v * 10 + (s[i] - '0');
        if (v > max)
            break;
    }
    if (v < 1 || v > max) {
        *why = "out of range (1 to pid_max)";
        return -1;
    }
    *out = (pid_t)v;
    return 0;
}

/* Reads the pid in path (never blocks: a FIFO is refused). */
static int read_pidfile(const char *path, pid_t *out, char *msg, size_t size)
{
    char buf[32];
    const char *why = NULL;
    struct stat st;
    ssize_t got;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, size, "no pid in %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(msg, size, "no pid in %s: not a regular file", path);
        return -1;
    }
    got = read(fd, buf, sizeof buf);
    close(fd);
    if (got < 0) {
        snprintf(msg, size, "no pid in %s: %s", path, strerror(errno));
        return -1;
    }
    if ((size_t)got == sizeof buf)
        why = "too long for a process id";
    if (why || parse_pid(buf, (size_t)got, out, &why) != 0) {
        snprintf(msg, size, "no pid in %s: %s", path, why);
        return -1;
    }
    return 0;
}

static void send_signal(ctx *c, watched *w, uint64_t version)
{
    pid_t pid = c->pid;
    char msg[512];
    if (c->pidfile && read_pidfile(c->pidfile, &pid, msg, sizeof msg) != 0) {
        report_failure(c, "signal_failed", w, version, msg);
        return;
    }
    /* parse_pid keeps pid >= 1, so neither kill(0) (our process group) nor
     * kill(-N) (a group) can happen; we do not signal ourselves either. */
    if (pid <= 0 || pid == getpid()) {
        snprintf(msg, sizeof msg, "refusing to signal pid %ld", (long)pid);
        report_failure(c, "signal_failed", w, version, msg);
        return;
    }
    if (kill(pid, c->sig) != 0) {
        snprintf(msg, sizeof msg, "kill %ld: %s", (long)pid, strerror(errno));
        report_failure(c, "signal_failed", w, version, msg);
    }
}

/* ---- engine callbacks ------------------------------------------------- */

static int on_change(const hc_change_record *rec, void *ud)
{
    ctx *c = ud;
    watched *w = find_watched(c, rec->path);
    size_t n = hc_changeset_count(rec->changes);
    /* set by the group's CHANGED event just before, for this record only */
    const char *cause = c->cause;
    c->cause = NULL;
    int64_t lat = (rec->applied_ns - rec->detected_ns) / 1000;

    /* With --state the engine's store records it (numbering continued
     * from the state folder): rec->version is the stored number. */
    if (c->events) {
        json_t *o = event("applied", rec->path);
        json_object_set_new(o, "version",
                            json_integer((json_int_t)rec->version));
        json_object_set_new(o, "trigger",
                            json_string(hc_trigger_name(rec->trigger)));
        if (cause)
            json_object_set_new(o, "layer", json_string(cause));
        /* secret values masked (state.h) */
        json_object_set_new(o, "changes",
                            cli_changes_json(rec->changes, NULL, NULL));
        json_object_set_new(o, "latency_us", json_integer(lat));
        emit(o);
    } else {
        human("%s: version %llu applied (%s, %zu change%s,%s%s%s %lld us)\n",
              rec->path, (unsigned long long)rec->version,
              hc_trigger_name(rec->trigger), n, n == 1 ? "" : "s",
              cause ? " from " : "", cause ? cause : "", cause ? "," : "",
              (long long)lat);
        if (rec->trigger != HC_TRIGGER_INITIAL) {
            /* secret values masked (state.c) */
            cli_print_changes(rec->changes, "  ", NULL, NULL);
            fflush(stdout);
        }
    }
    if (!w || rec->trigger == HC_TRIGGER_INITIAL)
        return 0;
    if (c->exec_argv) {
        changed_env *ce = calloc(1, sizeof *ce);
        if (ce && changed_env_build(rec->changes, ce) != 0) {
            free(ce);
            ce = NULL;
        }
        if (!ce) {
            report_failure(c, "exec_failed", w, rec->version, "out of memory");
        } else if (w->running) {
            /* One run at a time: run once more, with the latest. */
            w->pending = 1;
            w->pending_version = rec->version;
            if (w->pending_changed)
                changed_env_free(w->pending_changed);
            free(w->pending_changed);
            w->pending_changed = ce;
        } else {
            run_exec(c, w, rec->version, ce);
            changed_env_free(ce);
            free(ce);
        }
    }
    if (c->sig)
        send_signal(c, w, rec->version);
    return 0;
}

static void on_error(const hc_error_record *rec, void *ud)
{
    ctx *c = ud;
    char msg[1024];
    if (rec->error->code == HC_ECALLBACK)
        return;
    /* a secret value the message quotes is masked (src/mask.h) */
    hc__mask_error_format(rec->error, NULL, c->schema_doc, msg, sizeof msg);
    if (rec->error->code == HC_ENOENT) {
        if (c->events)
            emit(event("missing", rec->path));
        else if (rec->live_version)
            human("%s: missing; version %llu stays live\n", rec->path,
                  (unsigned long long)rec->live_version);
        else
            human("%s: missing; waiting for it\n", rec->path);
        return;
    }
    if (c->events) {
        json_t *o = event("rejected", rec->path);
        json_object_set_new(o, "error", json_string(msg));
        emit(o);
    } else if (rec->live_version) {
        human("%s: rejected: %s (version %llu stays live)\n", rec->path, msg,
              (unsigned long long)rec->live_version);
    } else {
        human("%s: rejected: %s\n", rec->path, msg);
    }
}

/* ---- --state ------------------------------------------------------------ */

/* The engine's warnings on stderr: a watch fallen back to polling, an
 * inotify queue overflow, a corrupt database moved aside, a store that
 * cannot write. */
static void watch_log(int level, const char *msg, void *ud)
{
    (void)ud;
    if (level <= HC_LOG_WARN)
        fprintf(stderr, "hotconf watch: %s%s\n",
                level == HC_LOG_WARN ? "warning: " : "", msg);
}

/* Another watcher holds dir (its lock): says so, 1. */
static int state_taken(const char *dir)
{
    pid_t pid = hc__sq_watcher_pid(dir);
    if (pid == 0)
        return 0;
    fprintf(stderr,
            "hotconf watch: %s: another watcher (pid %ld) uses this state "
            "directory; give each watcher its own --state\n",
            dir, (long)pid);
    return 1;
}

/* ---- folders, globs and merged layers (hc_group) ----------------------- */

/* Adds a watched entry for a file a group follows now. */
static void watched_add(ctx *c, const char *file)
{
    char *own;
    if (find_watched(c, file))
        return;
    if (c->nw == c->wcap) {
        int ncap = c->wcap ? 2 * c->wcap : 16;
        watched *nw = realloc(c->w, (size_t)ncap * sizeof *nw);
        if (!nw)
            return;
        c->w = nw;
        c->wcap = ncap;
    }
    if (!(own = strdup(file)))
        return;
    memset(&c->w[c->nw], 0, sizeof c->w[c->nw]);
    c->w[c->nw].file = own;
    c->w[c->nw].own = own;
    c->nw++;
}

/* Group events run on the main thread: hc_group_dispatch and, for
 * CHANGED, hc_engine_dispatch (just before on_change of that version). */
static void on_group_event(const hc_group_event *ev, void *ud)
{
    ctx *c = ud;
    int initial = ev->layer && !strcmp(ev->layer, "initial");
    switch (ev->kind) {
    case HC_GROUP_ADDED:
        watched_add(c, ev->id);
        if (initial)
            break;
        if (c->events)
            emit(event("added", ev->id));
        else
            human("%s: added\n", ev->id);
        break;
    case HC_GROUP_REMOVED:
        if (c->events)
            emit(event("removed", ev->id));
        else
            human("%s: removed\n", ev->id);
        break;
    case HC_GROUP_CHANGED: c->cause = ev->layer; break;
    case HC_GROUP_REJECTED: break; /* on_error reports it */
    }
}

/* ---- options ----------------------------------------------------------- */

static int parse_signal(const char *s)
{
    static const struct {
        const char *name;
        int sig;
    } names[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},
                 {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},
                 {"ALRM", SIGALRM}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH},
                 {"KILL", SIGKILL}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}};
    char *end;
    long v;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i].name) == 0)
            return names[i].sig;
    v = strtol(s, &end, 10);
    return (*s && !*end && v > 0 && v < NSIG) ? (int)v : -1;
}

int cmd_watch(int argc, char **argv)
{
    cli_parse_opts po = {0}; /* HC_FORMAT_AUTO */
    ctx c;
    const char **files = calloc((size_t)argc, sizeof *files);
    hc_format *formats = calloc((size_t)argc, sizeof *formats);
    const char *exec_cmd = NULL, *schema_path = NULL, *state_dir = NULL;
    int fill_defaults = 0;
    const char **refs = calloc((size_t)argc + 1, sizeof *refs);
    cli_schema_opts sopts = {0, refs, 0, NULL};
    hc_schema *schema = NULL;
    long poll_ms = 0, history = 0;
    hc_parse_options popts;
    hc_engine *e = NULL;
    cli_http http = {0};
    sigset_t mask, old;
    int sfd = -1, nfiles = 0, rc = HC_EXIT_OK, dangling_format = 0;
    const char **defs = calloc((size_t)argc + 1, sizeof *defs);
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    cli_layers cl = {defs, 0, NULL, NULL, sets, 0};
    hc_group **groups = calloc((size_t)argc + 1, sizeof *groups);
    int ngroups = 0, merge = 0;
    const char *merged_file = NULL;
    cli_etcd_opts eopts = {0};
    const char *node = NULL;
    long status_ttl = 10;
    int no_status = 0, netcd = 0;

    memset(&c, 0, sizeof c);
    if (!files || !formats || !refs || !defs || !sets || !groups) {
        free(files);
        free(formats);
        free(refs);
        free(defs);
        free(sets);
        free(groups);
        return HC_EXIT_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            free(files);
            free(formats);
            free(refs);
            free(defs);
            free(sets);
            free(groups);
            return HC_EXIT_OK;
        }
        if (!strcmp(argv[i], "--format") || !strncmp(argv[i], "--format=", 9))
            dangling_format = 1; /* until a FILE follows */
        r = cli_parse_opt(argc, argv, &i, &po);
        if (r < 0)
            goto usage;
        if (r > 0)
            continue;
        r = cli_schema_opt(argc, argv, &i, &sopts, "watch");
        if (r < 0)
            goto usage;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "--events")) {
            c.events = 1;
        } else if (!strcmp(argv[i], "--fill-defaults")) {
            fill_defaults = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--schema", &v)) != 0) {
            if (r < 0 || !*v) {
                rc = cli_usage_error("watch", "--schema needs a file");
                goto out;
            }
            schema_path = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--exec", &v)) != 0) {
            if (r < 0 || !*v) {
                rc = cli_usage_error("watch", "--exec needs a command");
                goto out;
            }
            exec_cmd = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--signal", &v)) != 0) {
            if (r < 0 || (c.sig = parse_signal(v)) <= 0) {
                rc = cli_usage_error("watch", "--signal needs a signal name "
                                              "or number (HUP, USR1, 10)");
                goto out;
            }
        } else if ((r = cli_opt_value(argc, argv, &i, "--pid", &v)) != 0) {
            const char *why = NULL;
            if (r < 0 || parse_pid(v, strlen(v), &c.pid, &why) != 0) {
                rc = cli_usage_error("watch", "--pid needs a process id%s%s",
                                     why ? ": " : "", why ? why : "");
                goto out;
            }
        } else if ((r = cli_opt_value(argc, argv, &i, "--pidfile", &v)) != 0) {
            if (r < 0 || !*v) {
                rc = cli_usage_error("watch", "--pidfile needs a file");
                goto out;
            }
            c.pidfile = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--poll", &v)) != 0) {
            if (r < 0 || cli_parse_long(v, 100, 86400000, &poll_ms) != 0) {
                rc = cli_usage_error("watch", "--poll needs milliseconds "
                                              "(>= 100)");
                goto out;
            }
        } else if ((r = cli_opt_value(argc, argv, &i, "--state", &v)) != 0) {
            if (r < 0 || !*v) {
                rc = cli_usage_error("watch", "--state needs a directory");
                goto out;
            }
            state_dir = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--history", &v)) != 0) {
            if (r < 0 || cli_parse_long(v, 1, 100000, &history) != 0) {
                rc = cli_usage_error("watch", "--history needs a count >= 1");
                goto out;
            }
        } else if (!strcmp(argv[i], "--merge")) {
            merge = 1;
        } else if ((r = cli_opt_value(argc, argv, &i, "--merged-file", &v)) !=
                   0) {
            if (r < 0 || !*v) {
                rc = cli_usage_error("watch", "--merged-file needs a file");
                goto out;
            }
            merged_file = v;
        } else if ((r = cli_layers_opt(argc, argv, &i, &cl, "watch")) != 0) {
            if (r < 0) {
                rc = HC_EXIT_USAGE;
                goto out;
            }
        } else if ((r = cli_http_opt(argc, argv, &i, &http)) != 0) {
            if (r < 0) {
                rc = HC_EXIT_USAGE;
                goto out;
            }
        } else if ((r = cli_etcd_opt("watch", argc, argv, &i, &eopts)) != 0) {
            if (r < 0) {
                rc = HC_EXIT_USAGE;
                goto out;
            }
        } else if ((r = cli_opt_value(argc, argv, &i, "--node", &v)) != 0) {
            if (r < 0 || !*v) {
                rc = cli_usage_error("watch", "--node needs a name");
                goto out;
            }
            node = v;
        } else if ((r = cli_opt_value(argc, argv, &i, "--status-ttl", &v)) !=
                   0) {
            if (r < 0 || cli_parse_long(v, 2, 3600, &status_ttl) != 0) {
                rc = cli_usage_error("watch", "--status-ttl needs 2 to 3600 "
                                              "seconds");
                goto out;
            }
        } else if (!strcmp(argv[i], "--no-status")) {
            no_status = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            rc = cli_unknown_option("watch", help, argv[i]);
            goto out;
        } else if (!cli_is_group(argv[i]) && !cli_is_etcd(argv[i]) &&
                   cli_check_file_arg("watch", argv[i]) != 0) {
            goto usage;
        } else {
            /* --format is positional: it names the format of the files
             * after it (as -x does in cc), so one watch can mix an odd
             * name read as YAML with files whose names say it. */
            dangling_format = 0;
            formats[nfiles] = po.format;
            files[nfiles++] = argv[i];
        }
    }
    if (cli_layers_active(&cl))
        merge = 1;
    if (nfiles == 0 && !merge) {
        rc = cli_usage_error("watch", "no file to watch");
        goto out;
    }
    if (dangling_format) {
        rc = cli_format_after_files("watch");
        goto out;
    }
    if (c.sig && !c.pid && !c.pidfile) {
        rc = cli_usage_error("watch", "--signal needs --pid or --pidfile");
        goto out;
    }
    if ((c.pid || c.pidfile) && !c.sig) {
        rc = cli_usage_error("watch", "--pid/--pidfile need --signal");
        goto out;
    }
    if (c.pid && c.pidfile) {
        rc = cli_usage_error("watch", "give --pid or --pidfile, not both");
        goto out;
    }
    if (fill_defaults && !schema_path) {
        rc = cli_usage_error("watch", "--fill-defaults needs --schema");
        goto out;
    }
    if (schema_path) {
        hc_schema_options so;
        hc_error err;
        memset(&so, 0, sizeof so);
        so.fill_defaults = fill_defaults;
        if (cli_schema_options(&sopts, schema_path, &so) != 0) {
            cli_schema_opts_free(&sopts);
            rc = HC_EXIT_USAGE;
            goto out;
        }
        schema = hc_schema_load_ex(schema_path, &so, &err);
        cli_schema_opts_free(&sopts); /* only read while compiling */
        if (!schema) {
            cli_print_error(&err);
            rc = HC_EXIT_USAGE;
            goto out;
        }
    }
    if ((rc = cli_etcd_configure("watch", &eopts)) != 0)
        goto out;
    if (exec_cmd && !(c.exec_argv = split_words(exec_cmd))) {
        rc = cli_usage_error("watch", "--exec: empty command or unterminated "
                                      "quote");
        goto out;
    }

    /* Signals arrive on an fd, handled between dispatches. Blocked before
     * the engine exists: every thread started from here on (the engine's,
     * the store's, the dashboard's, a group's, etcd's) inherits the mask,
     * and a SIGTERM during start-up waits in the fd for a clean exit (the
     * store flushed) instead of killing the watcher mid-write. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, &old);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        fprintf(stderr, "hotconf watch: signalfd: %s\n", strerror(errno));
        rc = HC_EXIT_FAIL;
        goto out;
    }
    c.w = calloc((size_t)nfiles + 1, sizeof *c.w);
    if (state_dir && state_taken(state_dir)) {
        rc = HC_EXIT_FAIL;
        goto out;
    }
    {
        /* --state: the engine's own store records every version and
         * attempt (hc_engine_options.state_dir), so the watcher gets what
         * the library does: last known good at start, numbering across
         * restarts, CLI rollbacks claimed, store faults never fatal. */
        hc_engine_options eo;
        hc_engine_options_init(&eo);
        eo.history_depth = (int)history;
        /* Always: a watch that falls back to polling is seen late (up to
         * the poll interval), and only this line says why. */
        eo.log = watch_log;
        if (state_dir)
            eo.state_dir = state_dir;
        e = hc_engine_create(&eo);
    }
    c.wcap = nfiles + 1;
    c.schema_path = schema_path;
    if (!c.w || !e) {
        fprintf(stderr, "hotconf watch: cannot start the engine\n");
        rc = HC_EXIT_FAIL;
        goto out;
    }
    c.e = e;
    if (state_dir && !hc__sq_of_engine(e)) {
        /* the engine fell back to memory (said why through watch_log): a
         * watcher asked to keep history refuses instead */
        fprintf(stderr, "hotconf watch: cannot use the state directory %s\n",
                state_dir);
        rc = HC_EXIT_FAIL;
        goto out;
    }
    if (schema_path) {
        hc_error err;
        c.schema_doc = hc_parse_file(schema_path, HC_FORMAT_AUTO, NULL, &err);
        /* for every watch to come: each attach records it (first load
         * included), for rollback's check and writeOnly masks */
        if (state_dir)
            hc__sq_engine_schema(e, NULL, schema_path);
    }

    cli_parse_options(&po, &popts);
    for (int i = 0; i < nfiles; i++)
        netcd += cli_is_etcd(files[i]);
    /* before the first load, so that it is reported too */
    if (netcd && !no_status &&
        (rc = cli_etcd_report(e, node, (int)status_ttl)) != 0)
        goto out;
    for (int i = 0; i < nfiles; i++) {
        hc_watch_options wo;
        int r;
        if (merge || cli_is_group(files[i]))
            continue; /* below */
        memset(&wo, 0, sizeof wo);
        wo.format = formats[i];
        wo.parse = &popts;
        wo.on_change = on_change;
        wo.user_data = &c;
        wo.on_error = on_error;
        wo.on_error_data = &c;
        wo.history_depth = (int)history;
        wo.schema = schema;
        if (poll_ms) {
            wo.mode = HC_WATCH_POLL;
            wo.poll_interval_ms = (int)poll_ms;
        }
        c.w[c.nw].file = files[i];
        c.nw++;
        r = hc_watch(e, files[i], &wo);
        if (r == HC_EEXIST) {
            c.nw--;
            continue;
        }
        if (r < 0) {
            hc_error err;
            hc_engine_last_error(e, &err);
            fprintf(stderr, "hotconf watch: %s\n", err.text);
            rc = HC_EXIT_USAGE;
            goto out;
        }
        if (cli_is_etcd(files[i]) && (rc = cli_etcd_follow(e, files[i])) != 0)
            goto out;
    }
    for (int i = 0; i < nfiles || (merge && i == 0); i++) {
        hc_group_options go;
        hc_watch_options wo;
        hc_error err;
        hc_group *g;
        if (!merge && !cli_is_group(files[i]))
            continue;
        hc_watch_options_init(&wo);
        wo.format = HC_FORMAT_AUTO;
        wo.parse = &popts;
        wo.on_change = on_change;
        wo.user_data = &c;
        wo.on_error = on_error;
        wo.on_error_data = &c;
        wo.history_depth = (int)history;
        wo.schema = schema;
        hc_group_options_init(&go);
        go.watch = &wo;
        go.on_event = on_group_event;
        go.user_data = &c;
        go.merged_file = merged_file;
        if (merge) {
            hc_layers *l = cli_layers_build(&cl, &po, files, nfiles);
            g = l ? hc_group_watch_layers(e, l, &go, &err) : NULL;
        } else {
            g = hc_group_watch(e, files[i], &go, &err);
        }
        if (!g) {
            if (!merge || err.code)
                cli_print_error(&err);
            rc = HC_EXIT_USAGE;
            goto out;
        }
        groups[ngroups++] = g;
        if (merge) {
            watched_add(&c, hc_group_id(g));
            break;
        }
    }
    /* Deliver the first loads, then say we are ready. */
    while (hc_engine_dispatch(e, 0) > 0)
        ;
    if (cli_http_begin(e, &http) != 0) {
        rc = HC_EXIT_FAIL;
        goto out;
    }
    /* Ready (the event, and READY=1 for Type=notify units) means the first
     * load is done and recorded: hotconf history and status show it. */
    hc__sq_flush(hc__sq_of_engine(e));
    if (c.events) {
        json_t *o = event("ready", NULL), *arr = json_array();
        for (int i = 0; i < c.nw; i++)
            json_array_append_new(arr, json_string(c.w[i].file));
        json_object_set_new(o, "files", arr);
        emit(o);
    } else {
        human("watching %d file%s (Ctrl-C to stop)\n", c.nw,
              c.nw == 1 ? "" : "s");
    }
    sd_notify(0, "READY=1"); /* a no-op outside systemd */

    for (;;) {
        struct pollfd pfd[2 + ngroups];
        struct signalfd_siginfo si;
        int stop = 0, timeout = -1;
        pfd[0].fd = hc_engine_fd(e);
        pfd[0].events = POLLIN;
        pfd[1].fd = sfd;
        pfd[1].events = POLLIN;
        for (int k = 0; k < ngroups; k++) {
            int t = hc_group_timeout(groups[k]);
            pfd[2 + k].fd = hc_group_fd(groups[k]);
            pfd[2 + k].events = POLLIN;
            if (t >= 0 && (timeout < 0 || t < timeout))
                timeout = t;
        }
        if (poll(pfd, (nfds_t)(2 + ngroups), timeout) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "hotconf watch: poll: %s\n", strerror(errno));
            rc = HC_EXIT_FAIL;
            break;
        }
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
                stop = 1;
            else if (si.ssi_signo == SIGHUP)
                hc_engine_rescan(e, NULL);
            else if (si.ssi_signo == SIGCHLD)
                reap(&c);
        }
        if (stop)
            break;
        for (int k = 0; k < ngroups; k++)
            hc_group_dispatch(groups[k], 0);
        if (hc_engine_dispatch(e, 0) < 0) {
            fprintf(stderr, "hotconf watch: engine failed\n");
            rc = HC_EXIT_FAIL;
            break;
        }
    }

out:
    cli_http_end(&http); /* before the engine it serves */
    for (int k = 0; k < ngroups; k++)
        hc_group_free(groups[k]); /* before the engine they watch on */
    hc_engine_free(e);            /* flushes and closes the store */
    hc_schema_free(schema);       /* after the engine: watches borrow it */
    json_decref(c.schema_doc);
    if (sfd >= 0) {
        close(sfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    for (int i = 0; i < c.nw; i++) {
        if (c.w[i].pending_changed)
            changed_env_free(c.w[i].pending_changed);
        free(c.w[i].pending_changed);
        free(c.w[i].own);
    }
    free(c.w);
    free(defs);
    free(sets);
    free(groups);
    free_words(c.exec_argv);
    free(files);
    free(formats);
    free(refs);
    return rc;
usage:
    free(files);
    free(formats);
    free(refs);
    free(defs);
    free(sets);
    free(groups);
    return HC_EXIT_USAGE;
}
