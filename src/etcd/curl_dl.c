/*
 * curl_dl.c - dlopen("libcurl.so.4") on first use (see curl_dl.h).
 */
/* secure_getenv: _GNU_SOURCE comes from the build (CMakeLists.txt) */
#include "etcd/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libcurl's ABI has been .so.4 since 2006 (Debian: libcurl4 or
 * libcurl3-gnutls, which also ships libcurl-gnutls.so.4). */
#define HC_CURL_SONAME "libcurl.so.4"

hc__curl_api hc__curl;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512]; /* empty: loaded */

static void load(void)
{
    /* HC_CURL_LIBRARY: only the tests use it, to take the failure path;
     * ignored in setuid programs (secure_getenv). */
    const char *name = secure_getenv("HC_CURL_LIBRARY");
    void *lib, *sym;
    if (!name || !*name)
        name = HC_CURL_SONAME;
    /* RTLD_LOCAL: curl's symbols stay out of the global namespace, so
     * they cannot interpose on a libcurl the program links itself. */
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error,
                 "etcd: " HC_CURL_SONAME
                 " cannot be loaded: %s; apt-get install libcurl4",
                 why ? why : name);
        return;
    }
#define RESOLVE(field, symbol)                                                 \
    do {                                                                       \
        if (!(sym = dlsym(lib, symbol))) {                                     \
            snprintf(load_error, sizeof load_error,                            \
                     "etcd: " HC_CURL_SONAME                                   \
                     " cannot be loaded: %s has no %s; apt-get install "       \
                     "libcurl4",                                               \
                     name, symbol);                                            \
            memset(&hc__curl, 0, sizeof hc__curl);                             \
            return;                                                            \
        }                                                                      \
        /* POSIX guarantees a data pointer from dlsym converts */              \
        *(void **)&hc__curl.field = sym;                                       \
    } while (0)
    RESOLVE(global_init, "curl_global_init");
    RESOLVE(easy_init, "curl_easy_init");
    RESOLVE(easy_setopt, "curl_easy_setopt");
    RESOLVE(easy_perform, "curl_easy_perform");
    RESOLVE(easy_getinfo, "curl_easy_getinfo");
    RESOLVE(easy_cleanup, "curl_easy_cleanup");
    RESOLVE(easy_strerror, "curl_easy_strerror");
    RESOLVE(slist_append, "curl_slist_append");
    RESOLVE(slist_free_all, "curl_slist_free_all");
#undef RESOLVE
    /* The library stays loaded for the process's life: handles and
     * threads may use it until exit. */
    hc__curl.global_init(CURL_GLOBAL_DEFAULT);
}

int hc__curl_load(const char *source, hc_error *err)
{
    pthread_once(&load_once, load);
    if (load_error[0]) {
        hc__error_set(err, HC_ENOTSUP, source, 0, 0, 0, "%s", load_error);
        return HC_ENOTSUP;
    }
    return 0;
}
