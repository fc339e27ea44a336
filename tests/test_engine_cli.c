/*
 * test_engine_cli.c - `hotconf watch` and `hotconf demo` end to end: the
 * built CLI (argv[1]) runs as a child process on real files; its stdout is
 * read line by line (each --events line is parsed as JSON), --exec leaves
 * traces on disk, --signal reaches this very process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hotconf.h"
#include "test_engine_common.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *cli;

typedef struct child {
    pid_t pid;
    int out; /* its stdout */
    char buf[65536];
    size_t len;
} child;

static void start(child *c, const char *const *args)
{
    int p[2];
    const char *argv[32];
    int n = 0;
    argv[n++] = cli;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    assert_int_equal(pipe(p), 0);
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        /* A failed assertion must not leave a watcher holding ctest's
         * pipe open: it dies with this test. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        execv(cli, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    c->out = p[0];
    c->len = 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next line of the child's stdout (malloc'd, no newline); NULL on EOF
 * or when none comes within the timeout. */
static char *next_line(child *c)
{
    int64_t end = now_ms() + TE_TIMEOUT_MS;
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        struct pollfd pfd;
        ssize_t got;
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            char *line = strndup(c->buf, n);
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return line;
        }
        pfd.fd = c->out;
        pfd.events = POLLIN;
        if (now_ms() >= end || poll(&pfd, 1, (int)(end - now_ms())) <= 0)
            return NULL;
        got = read(c->out, c->buf + c->len, sizeof c->buf - c->len - 1);
        if (got <= 0)
            return NULL;
        c->len += (size_t)got;
    }
}

/* The next event; fails the test when none comes or it is not JSON. */
static json_t *next_event(child *c)
{
    char *line = next_line(c);
    json_error_t je;
    json_t *ev;
    if (!line)
        fail_msg("no event from hotconf watch within the timeout");
    ev = json_loads(line, 0, &je);
    if (!ev)
        fail_msg("not a JSON line: %s", line);
    free(line);
    return ev;
}

static const char *ev_str(json_t *ev, const char *key)
{
    return hc_get_string(ev, key, "", NULL);
}

static int stop(child *c, int sig)
{
    int status;
    kill(c->pid, sig);
    assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
    close(c->out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *file_in(const char *dir, const char *name, const char *data)
{
    char *p = tu_join(dir, name);
    if (data)
        te_write_rename(p, data);
    return p;
}

/* Waits until path's content contains needle. */
static int wait_file_has(const char *path, const char *needle)
{
    int64_t end = now_ms() + TE_TIMEOUT_MS;
    while (now_ms() < end) {
        char *s = tu_read(path, NULL);
        int ok = s && strstr(s, needle);
        free(s);
        if (ok)
            return 1;
        usleep(10000);
    }
    return 0;
}

/* ---- --events ------------------------------------------------------------ */

static void test_events_report_every_outcome(void **state)
{
    char *tmp = tu_mkdtemp();
    char *json = file_in(tmp, "app.json", "{\"v\": 1, \"name\": \"a\"}");
    char *ini = file_in(tmp, "app.ini", "v = 1\n");
    char *env = file_in(tmp, "app.env", "v=1\n");
    char *missing = file_in(tmp, "late.json", NULL);
    const char *args[] = {"watch", "--events", json, ini, env, missing, NULL};
    int applied = 0, seen_missing = 0;
    child c;
    json_t *ev, *ch;
    (void)state;

    start(&c, args);
    /* First loads (version 1) and the missing file, then "ready". */
    for (;;) {
        ev = next_event(&c);
        if (!strcmp(ev_str(ev, "event"), "ready")) {
            assert_int_equal(json_array_size(json_object_get(ev, "files")), 4);
            json_decref(ev);
            break;
        }
        if (!strcmp(ev_str(ev, "event"), "applied")) {
            assert_int_equal(hc_get_int(ev, "version", 0, NULL), 1);
            assert_string_equal(ev_str(ev, "trigger"), "initial");
            applied++;
        } else {
            assert_string_equal(ev_str(ev, "event"), "missing");
            assert_string_equal(ev_str(ev, "file"), missing);
            seen_missing++;
        }
        json_decref(ev);
    }
    assert_int_equal(applied, 3);
    assert_int_equal(seen_missing, 1);

    te_write_inplace(json, "{\"v\": 2, \"name\": \"a\"}");
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "applied");
    assert_string_equal(ev_str(ev, "file"), json);
    assert_int_equal(hc_get_int(ev, "version", 0, NULL), 2);
    assert_true(hc_get_int(ev, "latency_us", -1, NULL) >= 0);
    ch = json_object_get(ev, "changes");
    assert_int_equal(json_array_size(ch), 1);
    assert_string_equal(hc_get_string(ch, "[0].path", "", NULL), "v");
    assert_string_equal(hc_get_string(ch, "[0].op", "", NULL), "changed");
    assert_int_equal(hc_get_int(ch, "[0].old", 0, NULL), 1);
    assert_int_equal(hc_get_int(ch, "[0].new", 0, NULL), 2);
    json_decref(ev);

    te_write_rename(ini, "v = 1\n[broken\n");
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "rejected");
    assert_string_equal(ev_str(ev, "file"), ini);
    {
        char prefix[1100];
        snprintf(prefix, sizeof prefix, "%s:2:", ini);
        assert_true(strncmp(ev_str(ev, "error"), prefix, strlen(prefix)) == 0);
    }
    json_decref(ev);

    te_write_rename(missing, "{\"late\": true}");
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "applied");
    assert_string_equal(ev_str(ev, "file"), missing);
    assert_int_equal(hc_get_int(ev, "version", 0, NULL), 1);
    assert_string_equal(ev_str(ev, "trigger"), "rename");
    json_decref(ev);

    assert_int_equal(unlink(env), 0);
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "missing");
    assert_string_equal(ev_str(ev, "file"), env);
    json_decref(ev);

    assert_int_equal(stop(&c, SIGTERM), 0);
    tu_rmtree(tmp);
    free(json);
    free(ini);
    free(env);
    free(missing);
    free(tmp);
}

static void test_sighup_rescans_and_sigint_exits_cleanly(void **state)
{
    char *tmp = tu_mkdtemp();
    char *json = file_in(tmp, "app.json", "{\"v\": 1}");
    const char *args[] = {"watch",    "--events", "--poll",
                          "86400000", json,       NULL};
    child c;
    json_t *ev;
    (void)state;
    start(&c, args); /* polling once a day: only a rescan can see it */
    json_decref(next_event(&c));
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "ready");
    json_decref(ev);
    te_write_rename(json, "{\"v\": 2}");
    kill(c.pid, SIGHUP);
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "applied");
    assert_string_equal(ev_str(ev, "trigger"), "rescan");
    json_decref(ev);
    assert_int_equal(stop(&c, SIGINT), 0);
    tu_rmtree(tmp);
    free(json);
    free(tmp);
}

static void test_human_output_shows_the_diff(void **state)
{
    char *tmp = tu_mkdtemp();
    char *json = file_in(tmp, "app.json", "{\"v\": 1}");
    const char *args[] = {"watch", json, NULL};
    child c;
    char *line;
    (void)state;
    start(&c, args);
    free(next_line(&c)); /* version 1 */
    line = next_line(&c);
    assert_non_null(strstr(line, "watching 1 file"));
    free(line);
    te_write_inplace(json, "{\"v\": 2}");
    line = next_line(&c);
    assert_non_null(strstr(line, "version 2 applied (modify, 1 change"));
    free(line);
    line = next_line(&c);
    assert_string_equal(line, "  ~ v: 1 -> 2");
    free(line);
    assert_int_equal(stop(&c, SIGTERM), 0);
    tu_rmtree(tmp);
    free(json);
    free(tmp);
}

/* ---- --exec ------------------------------------------------------------ */

static void test_exec_runs_with_the_change_in_its_environment(void **state)
{
    char *tmp = tu_mkdtemp();
    char *json =
        file_in(tmp, "app.json", "{\"a\": 1, \"b\": {\"c\": 1}, \"x,y\": 1}");
    char *out = tu_join(tmp, "exec.log"), cmd[2048], expect[2048];
    const char *args[] = {"watch", "--events", "--exec", cmd, json, NULL};
    child c;
    json_t *ev;
    (void)state;
    snprintf(cmd, sizeof cmd,
             "sh -c 'echo \"$HOTCONF_FILE|$HOTCONF_VERSION|$HOTCONF_CHANGED|"
             "$HOTCONF_CHANGED_JSON\" >> \"$0\"' %s",
             out);
    start(&c, args);
    json_decref(next_event(&c));
    json_decref(next_event(&c)); /* ready */
    te_write_rename(json, "{\"a\": 2, \"b\": {\"c\": 3}, \"x,y\": 2}");
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "applied");
    json_decref(ev);
    /* The key "x,y" holds a comma: escaped in the list, plain in JSON. */
    snprintf(expect, sizeof expect,
             "%s|2|a,b.c,x\\,y|[\"a\",\"b.c\",\"x,y\"]\n", json);
    assert_true(wait_file_has(out, expect));
    /* Not run for the first load: exactly one line. */
    {
        char *s = tu_read(out, NULL);
        assert_string_equal(s, expect);
        free(s);
    }
    assert_int_equal(stop(&c, SIGTERM), 0);
    tu_rmtree(tmp);
    free(json);
    free(out);
    free(tmp);
}

static void test_exec_failure_is_reported_and_not_fatal(void **state)
{
    char *tmp = tu_mkdtemp();
    char *json = file_in(tmp, "app.json", "{\"v\": 1}");
    const char *args[] = {"watch", "--events", "--exec", "false", json, NULL};
    const char *args2[] = {
        "watch", "--events", "--exec", "/nonexistent/hotconf-hook", json, NULL};
    child c;
    json_t *ev;
    (void)state;
    start(&c, args);
    json_decref(next_event(&c));
    json_decref(next_event(&c));
    te_write_rename(json, "{\"v\": 2}");
    json_decref(next_event(&c)); /* applied */
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "exec_failed");
    assert_int_equal(hc_get_int(ev, "version", 0, NULL), 2);
    assert_string_equal(ev_str(ev, "error"), "exit status 1");
    json_decref(ev);
    te_write_rename(json, "{\"v\": 3}"); /* still watching */
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "applied");
    assert_int_equal(hc_get_int(ev, "version", 0, NULL), 3);
    json_decref(ev);
    assert_int_equal(stop(&c, SIGTERM), 0);

    start(&c, args2);
    json_decref(next_event(&c));
    json_decref(next_event(&c));
    te_write_rename(json, "{\"v\": 4}");
    json_decref(next_event(&c));
    ev = next_event(&c);
    assert_string_equal(ev_str(ev, "event"), "exec_failed");
    assert_non_null(strstr(ev_str(ev, "error"), "cannot run"));
    json_decref(ev);
    assert_int_equal(stop(&c, SIGTERM), 0);
    tu_rmtree(tmp);
    free(json);
    free(tmp);
}

static void test_exec_runs_one_at_a_time_per_file(void **state)
{
    char *tmp = tu_mkdtemp();
    char *json = file_in(tmp, "app.json", "{\"v\": 1}");
    char *log = tu_join(tmp, "runs.log"), cmd[2048], *s, *p;
    const char *args[] = {"watch", "--events", "--exec", cmd, json, NULL};
    int starts = 0, depth = 0;
    child c;
    (void)state;
    snprintf(cmd, sizeof cmd,
             "sh -c 'echo start $HOTCONF_VERSION >> \"$0\"; sleep 0.3; "
             "echo end >> \"$0\"' %s",
             log);
    start(&c, args);
    json_decref(next_event(&c));
    json_decref(next_event(&c));
    for (int v = 2; v <= 5; v++) {
        char data[64];
        snprintf(data, sizeof data, "{\"v\": %d}", v);
        te_write_rename(json, data);
        json_decref(next_event(&c)); /* applied v */
    }
    /* The first run, then one more with the latest version. */
    assert_true(wait_file_has(log, "start 5\n"));
    assert_true(wait_file_has(log, "start 5\nend\n"));
    s = tu_read(log, NULL);
    for (p = strtok(s, "\n"); p; p = strtok(NULL, "\n")) {
        if (!strncmp(p, "start", 5)) {
            starts++;
            depth++;
        } else {
            depth--;
        }
        assert_true(depth == 0 || depth == 1); /* never two at once */
    }
    assert_int_equal(depth, 0);
    assert_true(starts >= 2 && starts <= 4);
    free(s);
    assert_int_equal(stop(&c, SIGTERM), 0);
    tu_rmtree(tmp);
    free(json);
    free(log);
    free(tmp);
}

/* ---- --signal ----------------------------------------------------------- */

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_count++;
}

static int wait_usr1(int n)
{
    int64_t end = now_ms() + TE_TIMEOUT_MS;
    while (usr1_count < n && now_ms() < end)
        usleep(5000);
    return usr1_count >= n;
}

static void test_signal_reaches_the_service(void **state)
{
    char *tmp = tu_mkdtemp();
    char *json = file_in(tmp, "app.json", "{\"v\": 1}");
    char pid[32], *pidfile;
    const char *by_pid[] = {"watch", "--events", "--signal", "USR1",
                            "--pid", pid,        json,       NULL};
    const char *by_file[] = {"watch",     "--events", "--signal", "SIGUSR1",
                             "--pidfile", NULL,       json,       NULL};
    struct sigaction sa;
    child c;
    (void)state;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    usr1_count = 0;
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    pidfile = file_in(tmp, "svc.pid", pid);
    by_file[5] = pidfile;

    start(&c, by_pid);
    json_decref(next_event(&c));
    json_decref(next_event(&c));
    assert_int_equal(usr1_count, 0); /* not for the first load */
    te_write_rename(json, "{\"v\": 2}");
    json_decref(next_event(&c));
    assert_true(wait_usr1(1));
    assert_int_equal(stop(&c, SIGTERM), 0);

    start(&c, by_file);
    json_decref(next_event(&c));
    json_decref(next_event(&c));
    te_write_rename(json, "{\"v\": 3}");
    json_decref(next_event(&c));
    assert_true(wait_usr1(2));
    assert_int_equal(stop(&c, SIGTERM), 0);

    signal(SIGUSR1, SIG_DFL);
    tu_rmtree(tmp);
    free(json);
    free(pidfile);
    free(tmp);
}

/* The exit status of a run that should end by itself; one still running
 * after the timeout is killed and counts as -1 (a watch that waits instead
 * of refusing). */
static int run_status(const char *const *args)
{
    child c;
    int status;
    char *line;
    start(&c, args);
    while ((line = next_line(&c)))
        free(line);
    close(c.out);
    for (int64_t end = now_ms() + TE_TIMEOUT_MS;;) {
        pid_t r = waitpid(c.pid, &status, WNOHANG);
        if (r == c.pid)
            break;
        if (now_ms() >= end) {
            kill(c.pid, SIGKILL);
            waitpid(c.pid, &status, 0);
            return -1;
        }
        usleep(10000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_usage_errors_exit_2(void **state)
{
    const char *a1[] = {"watch", NULL};
    const char *a2[] = {"watch", "--signal", "HUP", "x.json", NULL};
    const char *a3[] = {"watch", "--bogus", "x.json", NULL};
    const char *a4[] = {"watch", "--poll", "5", "x.json", NULL};
    const char *a5[] = {"watch", "--exec", "sh -c 'unterminated", "x.json",
                        NULL};
    const char *a6[] = {"watch", "notes.txt", NULL};
    const char *a7[] = {"watch", "--signal", "NOPE", "--pid",
                        "1",     "x.json",   NULL};
    (void)state;
    assert_int_equal(run_status(a1), 2);
    assert_int_equal(run_status(a2), 2);
    assert_int_equal(run_status(a3), 2);
    assert_int_equal(run_status(a4), 2);
    assert_int_equal(run_status(a5), 2);
    assert_int_equal(run_status(a6), 2);
    assert_int_equal(run_status(a7), 2);
}

/* A pid file that does not hold exactly one pid in 1..pid_max is refused:
 * cast to pid_t, 4294967295 was kill(-1) (every process we may signal) and
 * 4294967296 kill(0) (our own process group). SIGWINCH is harmless to
 * whatever a regression would reach. */
static void test_pidfile_is_parsed_strictly(void **state)
{
    char *tmp = tu_mkdtemp();
    char *json = file_in(tmp, "app.json", "{\"v\": 1}");
    char *pidfile = file_in(tmp, "svc.pid", "1\n");
    const char *args[] = {"watch",     "--events", "--signal", "WINCH",
                          "--pidfile", pidfile,    json,       NULL};
    static const char *const bad[] = {
        "4294967295\n", "4294967296\n",        "0\n", "-1\n", "123 junk\n", "",
        "12\n\n",       "99999999999999999999"};
    child c;
    (void)state;
    start(&c, args);
    json_decref(next_event(&c));
    json_decref(next_event(&c)); /* ready */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char data[64];
        json_t *ev;
        te_write_rename(pidfile, bad[i]);
        snprintf(data, sizeof data, "{\"v\": %zu}", i + 2);
        te_write_rename(json, data);
        ev = next_event(&c);
        assert_string_equal(ev_str(ev, "event"), "applied");
        json_decref(ev);
        ev = next_event(&c);
        assert_string_equal(ev_str(ev, "event"), "signal_failed");
        if (!strstr(ev_str(ev, "error"), "no pid in"))
            fail_msg("pid file '%s': %s", bad[i], ev_str(ev, "error"));
        json_decref(ev);
    }
    assert_int_equal(stop(&c, SIGTERM), 0);
    tu_rmtree(tmp);
    free(json);
    free(pidfile);
    free(tmp);
}

static void test_pid_option_is_parsed_strictly(void **state)
{
    static const char *const bad[] = {"4294967295", "4294967296", "0",
                                      "-1",         "123 junk",   "12x"};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *a[] = {"watch", "--signal", "WINCH", "--pid",
                           bad[i],  "x.json",   NULL};
        assert_int_equal(run_status(a), 2);
    }
}

/* --format names the format of the files after it, not of every file. */
static void test_format_applies_to_the_files_after_it(void **state)
{
    char *tmp = tu_mkdtemp();
    /* Not YAML: read as YAML, its "[s]" opens a flow sequence. */
    char *ini = file_in(tmp, "app.ini", "[s]\nv = 1\n");
    char *odd = file_in(tmp, "app.conf", "v: 2\n");
    const char *args[] = {"watch", "--events", ini, "--format",
                          "yaml",  odd,        NULL};
    int applied = 0;
    child c;
    (void)state;
    start(&c, args);
    for (;;) {
        json_t *ev = next_event(&c);
        if (!strcmp(ev_str(ev, "event"), "ready")) {
            json_decref(ev);
            break;
        }
        if (strcmp(ev_str(ev, "event"), "applied") != 0)
            fail_msg("%s: %s", ev_str(ev, "file"), ev_str(ev, "error"));
        applied++;
        json_decref(ev);
    }
    assert_int_equal(applied, 2);
    assert_int_equal(stop(&c, SIGTERM), 0);
    tu_rmtree(tmp);
    free(ini);
    free(odd);
    free(tmp);
}

/* A directory, or a quoted glob that names no file, is refused at once
 * instead of being waited for as a missing file. */
/* Issue 14 made folders and globs watch targets (test_compose_cli covers
 * them); what still cannot be watched is refused: a pattern in a folder
 * that does not exist, and wildcards before the last part. */
static void test_unwatchable_glob_is_refused(void **state)
{
    char *tmp = tu_mkdtemp();
    char *missing = tu_join(tmp, "nope/*.yaml");
    char *deep = tu_join(tmp, "*/x.yaml");
    const char *a1[] = {"watch", missing, NULL};
    const char *a2[] = {"watch", "--events", deep, NULL};
    (void)state;
    assert_int_equal(run_status(a1), 2);
    assert_int_equal(run_status(a2), 2);
    tu_rmtree(tmp);
    free(missing);
    free(deep);
    free(tmp);
}

/* ---- the engine's warnings ---------------------------------------------- */

/* hotconf watch --events file with at most nofile descriptors; returns
 * what it wrote on stderr (malloc'd) once it said "ready" or exited. */
static char *watch_stderr_with_nofile(const char *file, int nofile)
{
    int out[2], err[2];
    pid_t pid;
    child c;
    char *line, *text = calloc(1, 65536);
    size_t len = 0;
    ssize_t got;
    assert_non_null(text);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)nofile, (rlim_t)nofile};
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        close(err[0]);
        close(err[1]);
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            _exit(126);
        execl(cli, cli, "watch", "--events", file, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    c.pid = pid;
    c.out = out[0];
    c.len = 0;
    while ((line = next_line(&c)) != NULL) {
        int ready = strstr(line, "\"ready\"") != NULL;
        free(line);
        if (ready)
            break;
    }
    stop(&c, SIGTERM); /* closes out[0] */
    while (len < 65535 && (got = read(err[0], text + len, 65535 - len)) > 0)
        len += (size_t)got;
    close(err[0]);
    return text;
}

/* A watch that cannot use inotify polls, and is seen up to the poll
 * interval late: hotconf watch must say so on stderr, also without
 * --state (it said nothing: the engine's log was only set with --state).
 * Out of descriptors is the one way to refuse inotify to a process
 * without privileges: the limit is raised until the engine starts and
 * inotify_init1 is the call that fails. */
static void test_fallback_to_polling_is_said_on_stderr(void **state)
{
    char *tmp = tu_mkdtemp(), *file = file_in(tmp, "app.json", "{\"a\": 1}");
    int said = 0;
    (void)state;
    for (int nofile = 4; nofile <= 32 && !said; nofile++) {
        char *text = watch_stderr_with_nofile(file, nofile);
        said = strstr(text, "warning: inotify unavailable") != NULL &&
               strstr(text, "every watch will poll") != NULL;
        free(text);
    }
    assert_true(said);
    tu_rmtree(tmp);
    free(file);
    free(tmp);
}

/* ---- the demo ------------------------------------------------------------ */

static void test_demo_runs_to_the_end_by_itself(void **state)
{
    const char *args[] = {"demo", "--speed", "0", NULL};
    child c;
    char *line;
    int status, saw_diff = 0, saw_reject = 0, saw_rollback = 0, saw_stats = 0;
    int saw_schema = 0, latencies = 0;
    (void)state;
    start(&c, args);
    while ((line = next_line(&c))) {
        double total, engine;
        /* A schema rejection, live, with the value's position. */
        if (strstr(line, "rejected") &&
            strstr(line, ".yaml:2:9: /server/port: 99999 is greater"))
            saw_schema = 1;
        /* The write-to-callback span contains detect -> apply: one clock,
         * points taken in order (an ordering, not a speed, assertion). */
        if (sscanf(line,
                   " latency: %lf us from the write to this callback (%lf us",
                   &total, &engine) == 2) {
            latencies++;
            if (total + 1 < engine)
                fail_msg("demo latency out of order: %s", line);
        }
        if (strstr(line, "~ server.port: 8080 -> 9090"))
            saw_diff = 1;
        if (strstr(line, "rejected") && strstr(line, ".yaml:"))
            saw_reject = 1;
        if (strstr(line, "rolled back"))
            saw_rollback = 1;
        if (strstr(line, "\"reloads\""))
            saw_stats = 1;
        free(line);
    }
    close(c.out);
    assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(saw_diff);
    assert_true(saw_reject);
    assert_true(saw_rollback);
    assert_true(saw_stats);
    assert_true(saw_schema);
    assert_true(latencies >= 3);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_report_every_outcome),
        cmocka_unit_test(test_sighup_rescans_and_sigint_exits_cleanly),
        cmocka_unit_test(test_human_output_shows_the_diff),
        cmocka_unit_test(test_exec_runs_with_the_change_in_its_environment),
        cmocka_unit_test(test_exec_failure_is_reported_and_not_fatal),
        cmocka_unit_test(test_exec_runs_one_at_a_time_per_file),
        cmocka_unit_test(test_signal_reaches_the_service),
        cmocka_unit_test(test_usage_errors_exit_2),
        cmocka_unit_test(test_pidfile_is_parsed_strictly),
        cmocka_unit_test(test_pid_option_is_parsed_strictly),
        cmocka_unit_test(test_format_applies_to_the_files_after_it),
        cmocka_unit_test(test_unwatchable_glob_is_refused),
        cmocka_unit_test(test_fallback_to_polling_is_said_on_stderr),
        cmocka_unit_test(test_demo_runs_to_the_end_by_itself),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-hotconf\n", argv[0]);
        return 2;
    }
    cli = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
