/*
 * test_curl_dl.c - libcurl is loaded on first etcd use, not at start
 * (issue 7: every program linked with libhotconf loaded it and its ~30
 * libraries). Two runs of this program (tests/etcd.cmake):
 *   test_curl_dl          libcurl.so.4 is absent from /proc/self/maps
 *                         until an etcd call, present after;
 *   test_curl_dl_missing  HC_CURL_LIBRARY names no library: every etcd
 *                         call fails with HC_ENOTSUP and says why.
 */
#include "testutil.h"

#include <hotconf.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static int curl_mapped(void)
{
    size_t len;
    char *maps = tu_read("/proc/self/maps", &len);
    int found;
    assert_non_null(maps);
    found = strstr(maps, "libcurl") != NULL;
    free(maps);
    return found;
}

/* etcd://127.0.0.1:PORT/app.json on a loopback port nothing listens on. */
static void closed_url(char *url, size_t size)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(url, size, "etcd://127.0.0.1:%d/app.json", ntohs(a.sin_port));
    close(fd);
}

/* A file watch runs without libcurl; the first etcd call loads it. */
static void test_loaded_on_first_use(void **state)
{
    char *dir = tu_mkdtemp(), *path = tu_join(dir, "app.json"), url[64];
    char *v = NULL;
    size_t len;
    int64_t mod;
    hc_engine *e;
    hc_watch_options wo;
    hc_error err;
    (void)state;
    assert_false(curl_mapped());
    tu_write(path, "{\"a\":1}", 7);
    e = hc_engine_new(NULL);
    assert_non_null(e);
    assert_int_equal(hc_engine_start(e), 0);
    hc_watch_options_init(&wo);
    wo.flags = HC_WATCH_REQUIRE;
    hc_error_init(&err);
    assert_int_equal(hc_engine_watch(e, path, &wo, &err), 0);
    assert_false(curl_mapped());
    closed_url(url, sizeof url);
    hc_error_init(&err);
    /* refused by the port, so curl ran */
    assert_int_equal(hc_etcd_read(url, &v, &len, &mod, &err), HC_EIO);
    assert_null(v);
    assert_true(curl_mapped());
    hc_engine_free(e);
    tu_rmtree(dir);
    free(path);
    free(dir);
}

static void assert_says_why(const hc_error *err, const char *lib)
{
    assert_int_equal(err->code, HC_ENOTSUP);
    assert_non_null(strstr(err->text, "etcd: libcurl.so.4 cannot be loaded: "));
    assert_non_null(strstr(err->text, lib)); /* dlerror's words */
    assert_non_null(strstr(err->text, "; apt-get install libcurl4"));
}

static atomic_int warnings;
static void count_warning(int level, const char *msg, void *ud)
{
    (void)ud;
    if (level == HC_LOG_WARN && strstr(msg, "libcurl"))
        atomic_fetch_add(&warnings, 1);
}

/* Without libcurl: HC_ENOTSUP and the reason, on every call, no crash;
 * an engine watch of an etcd:// config fails its first load the same. */
static void test_missing_library(void **state)
{
    const char *lib = getenv("HC_CURL_LIBRARY");
    char url[64], *v = NULL;
    size_t len;
    int64_t mod, rev;
    hc_engine *e;
    hc_watch_options wo;
    hc_error err;
    (void)state;
    assert_non_null(lib);
    closed_url(url, sizeof url);
    for (int i = 0; i < 2; i++) {
        hc_error_init(&err);
        assert_int_equal(hc_etcd_read(url, &v, &len, &mod, &err), HC_ENOTSUP);
        assert_null(v);
        assert_says_why(&err, lib);
    }
    hc_error_init(&err);
    assert_int_equal(hc_etcd_write(url, "{}", 2, -1, &rev, &err), HC_ENOTSUP);
    assert_says_why(&err, lib);
    e = hc_engine_new(NULL);
    assert_non_null(e);
    assert_int_equal(hc_engine_start(e), 0);
    hc_watch_options_init(&wo);
    wo.flags = HC_WATCH_REQUIRE;
    hc_error_init(&err);
    assert_int_equal(hc_engine_watch(e, url, &wo, &err), HC_ENOTSUP);
    assert_says_why(&err, lib);
    hc_engine_free(e);
    assert_false(curl_mapped());

    /* without REQUIRE the watch stands, the follower says why once and
     * stops: it does not retry every few hundred ms for ever */
    {
        hc_engine_options eo;
        hc_engine_options_init(&eo);
        eo.log = count_warning;
        e = hc_engine_create(&eo);
        assert_non_null(e);
        assert_int_equal(hc_engine_start(e), 0);
        hc_watch_options_init(&wo);
        assert_int_equal(hc_engine_watch(e, url, &wo, NULL), 0);
        /* the old follower logged at 0.1, 0.3, 0.7 and 1.5 s */
        usleep(1600 * 1000);
        hc_engine_free(e);
        assert_true(atomic_load(&warnings) <= 1);
    }
}

int main(void)
{
    const struct CMUnitTest lazy[] = {
        cmocka_unit_test(test_loaded_on_first_use),
    };
    const struct CMUnitTest missing[] = {
        cmocka_unit_test(test_missing_library),
    };
    /* pthread_once: one process sees one outcome of the load */
    if (getenv("HC_CURL_LIBRARY"))
        return cmocka_run_group_tests(missing, NULL, NULL);
    return cmocka_run_group_tests(lazy, NULL, NULL);
}
