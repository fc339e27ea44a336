/*
 * curl_dl.h - libcurl, loaded with dlopen on first use (see curl_dl.c).
 *
 * Why: linked directly, libcurl and the ~30 libraries under it (TLS,
 * HTTP/2, LDAP, ...) were loaded into every program using libhotconf,
 * etcd or not (bench: 8 -> 38 shared libraries, +1.5 MB RSS). Only
 * <curl/curl.h>'s types and constants are used at build time; the
 * functions client.c calls are mapped onto pointers resolved once.
 *
 * Include this instead of <curl/curl.h>, and call hc__curl_load() before
 * the first curl call.
 */
#ifndef HC_ETCD_CURL_DL_H
#define HC_ETCD_CURL_DL_H

#include "internal.h"

#include <curl/curl.h>

typedef struct hc__curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    /* variadic, as curl declares it: calling through a pointer of the
     * same variadic type is the ordinary C call */
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
} hc__curl_api;

/* Filled by hc__curl_load; read-only afterwards. */
extern hc__curl_api hc__curl;

/* Loads libcurl.so.4 (or $HC_CURL_LIBRARY, for tests) and runs
 * curl_global_init, once per process (thread-safe). Returns 0, or
 * HC_ENOTSUP with err (at source) saying the library cannot be loaded and how
 * to install it (the same answer on every later call). */
int hc__curl_load(const char *source, hc_error *err);

/* curl's own names, onto the pointers. typecheck-gcc.h's wrappers of
 * setopt/getinfo are dropped with them: they call the real symbols. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init    hc__curl.global_init
#define curl_easy_init      hc__curl.easy_init
#define curl_easy_setopt    hc__curl.easy_setopt
#define curl_easy_perform   hc__curl.easy_perform
#define curl_easy_getinfo   hc__curl.easy_getinfo
#define curl_easy_cleanup   hc__curl.easy_cleanup
#define curl_easy_strerror  hc__curl.easy_strerror
#define curl_slist_append   hc__curl.slist_append
#define curl_slist_free_all hc__curl.slist_free_all

#endif
