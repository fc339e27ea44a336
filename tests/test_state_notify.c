/*
 * test_state_notify.c HOTCONF - hotconf watch tells systemd it is ready
 * (Type=notify): a real watcher started with NOTIFY_SOCKET pointing at our
 * datagram socket sends READY=1, and only after its first load (the state
 * database already holds version 1 when READY arrives).
 */
#include "stores/sqlite.h"
#include "testutil.h"

#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char *hotconf;
static pid_t child; /* killed by the teardown if a check failed */

static int teardown(void **state)
{
    (void)state;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = 0;
    }
    return 0;
}

static void test_ready_after_first_load(void **state)
{
    char *dir = tu_mkdtemp();
    char *sock = tu_join(dir, "notify.sock");
    char *file = tu_join(dir, "app.json");
    char *sdir = tu_join(dir, "state");
    struct sockaddr_un sa;
    char buf[256];
    struct pollfd pfd;
    ssize_t n;
    pid_t pid;
    int fd, status;
    (void)state;

    tu_write(file, "{\"port\": 1}\n", (size_t)-1);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    assert_true(strlen(sock) < sizeof sa.sun_path);
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);

    child = pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("NOTIFY_SOCKET", sock, 1);
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execl(hotconf, hotconf, "watch", file, "--state", sdir, (char *)NULL);
        _exit(127);
    }
    pfd.fd = fd;
    pfd.events = POLLIN;
    /* bounded wait, not a timing assertion: a watcher that never says
     * READY fails here */
    assert_int_equal(poll(&pfd, 1, 20000), 1);
    n = recv(fd, buf, sizeof buf - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "READY=1"));
    {
        /* the first load happened, and is recorded, before READY */
        hc_error err;
        hc__sq *s = hc__sq_open(sdir, HC__SQ_NOCREATE, NULL, NULL, NULL, &err);
        hc__sq_version *vs;
        size_t nv;
        assert_non_null(s);
        assert_int_equal(hc__sq_list(s, file, &vs, &nv), 0);
        assert_int_equal(nv, 1);
        hc__sq_versions_free(vs, nv);
        hc__sq_close(s);
    }
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    child = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(fd);
    tu_rmtree(dir);
    free(dir);
    free(sock);
    free(file);
    free(sdir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_ready_after_first_load, teardown),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: test_state_notify HOTCONF\n");
        return 2;
    }
    hotconf = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
