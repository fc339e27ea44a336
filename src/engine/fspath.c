/*
 * fspath.c - path strings for the engine: a watched path is keyed by its
 * absolute, lexically cleaned form. Symlinks are deliberately not resolved
 * here (a ConfigMap key is a symlink whose target changes); the inotify
 * backend walks them itself.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void hc__path_clean(char *p)
{
    /* Rebuilt into p from a copy: the result is never longer. */
    size_t o = 0, n = strlen(p);
    char *src = malloc(n + 1);
    const char *in;
    if (!src || *p != '/') {
        free(src);
        return;
    }
    memcpy(src, p, n + 1);
    for (in = src; *in;) {
        const char *end;
        size_t len;
        while (*in == '/')
            in++;
        if (!*in)
            break;
        end = strchr(in, '/');
        len = end ? (size_t)(end - in) : strlen(in);
        if (len == 2 && in[0] == '.' && in[1] == '.') {
            while (o > 0 && p[o - 1] != '/')
                o--; /* drop the last "/name" */
            if (o > 0)
                o--;
        } else if (!(len == 1 && in[0] == '.')) {
            p[o++] = '/';
            memcpy(p + o, in, len);
            o += len;
        }
        in += len;
    }
    if (o == 0)
        p[o++] = '/';
    p[o] = '\0';
    free(src);
}

char *hc__path_absolute(const char *path)
{
    char *abs;
    if (!path || !*path)
        return NULL;
    if (path[0] == '/') {
        abs = strdup(path);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return NULL;
        abs = hc__path_join(cwd, path);
        free(cwd);
    }
    if (abs)
        hc__path_clean(abs);
    return abs;
}

char *hc__path_dirname(const char *abspath)
{
    const char *slash = strrchr(abspath, '/');
    size_t n = slash ? (size_t)(slash - abspath) : 0;
    char *d;
    if (n == 0)
        return strdup("/");
    d = malloc(n + 1);
    if (d) {
        memcpy(d, abspath, n);
        d[n] = '\0';
    }
    return d;
}

const char *hc__path_basename(const char *abspath)
{
    const char *slash = strrchr(abspath, '/');
    return slash ? slash + 1 : abspath;
}

char *hc__path_join(const char *dir, const char *name)
{
    size_t ld = strlen(dir), ln = strlen(name);
    char *p = malloc(ld + ln + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, ld);
    if (ld && dir[ld - 1] == '/')
        ld--;
    p[ld] = '/';
    memcpy(p + ld + 1, name, ln + 1);
    return p;
}
