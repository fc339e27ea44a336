/*
 * parse.c - the one entry point for every format: picks the parser, applies
 * the checks all formats share (size limit, NUL bytes), reads files.
 * The per-format parsers live in parse_<format>.c.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcasecmp(s + ls - lx, suffix) == 0;
}

hc_format hc_format_from_name(const char *filename)
{
    const char *base;
    if (!filename)
        return HC_FORMAT_AUTO;
    base = strrchr(filename, '/');
    base = base ? base + 1 : filename;
    if (ends_with(base, ".json"))
        return HC_FORMAT_JSON;
    if (ends_with(base, ".jsonc"))
        return HC_FORMAT_JSONC;
    if (ends_with(base, ".yaml") || ends_with(base, ".yml"))
        return HC_FORMAT_YAML;
    if (ends_with(base, ".ini") || ends_with(base, ".cfg") ||
        ends_with(base, ".conf"))
        return HC_FORMAT_INI;
    /* ".env", "prod.env", ".env.local", ".env.production" */
    if (ends_with(base, ".env") || strcmp(base, ".env") == 0 ||
        strncmp(base, ".env.", 5) == 0)
        return HC_FORMAT_ENV;
    return HC_FORMAT_AUTO;
}

const char *hc_format_name(hc_format format)
{
    switch (format) {
    case HC_FORMAT_JSON: return "json";
    case HC_FORMAT_YAML: return "yaml";
    case HC_FORMAT_INI: return "ini";
    case HC_FORMAT_ENV: return "env";
    case HC_FORMAT_JSONC: return "jsonc";
    case HC_FORMAT_AUTO:
    default: return "auto";
    }
}

int hc_format_parse(const char *name, hc_format *out)
{
    static const struct {
        const char *name;
        hc_format format;
    } names[] = {{"auto", HC_FORMAT_AUTO},  {"json", HC_FORMAT_JSON},
                 {"yaml", HC_FORMAT_YAML},  {"yml", HC_FORMAT_YAML},
                 {"ini", HC_FORMAT_INI},    {"env", HC_FORMAT_ENV},
                 {".env", HC_FORMAT_ENV},   {"dotenv", HC_FORMAT_ENV},
                 {"jsonc", HC_FORMAT_JSONC}};
    if (!name || !out)
        return HC_EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].format;
            return 0;
        }
    }
    return HC_EINVAL;
}

size_t hc__bom_len(const char *s, size_t n)
{
    return n >= 3 && memcmp(s, HC__BOM, 3) == 0 ? 3 : 0;
}

const char *hc__line_skip_bom(const char *s, const char *eol, int may_skip,
                              const char **stray)
{
    if (may_skip)
        s += hc__bom_len(s, (size_t)(eol - s));
    *stray = memmem(s, (size_t)(eol - s), HC__BOM, 3);
    return s;
}

hc__limits hc__limits_from(const hc_parse_options *opts)
{
    hc__limits l = {HC_DEFAULT_MAX_SIZE, HC_DEFAULT_MAX_DEPTH,
                    HC_DEFAULT_MAX_ALIAS_NODES};
    if (opts) {
        if (opts->max_size)
            l.max_size = opts->max_size;
        if (opts->max_depth > 0)
            l.max_depth = opts->max_depth;
        if (opts->max_alias_nodes)
            l.max_alias_nodes = opts->max_alias_nodes;
    }
    return l;
}

int hc__parse_check(const char *buf, size_t len, hc_format *format,
                    const char **source, const hc_parse_options **opts,
                    hc_error *err)
{
    static const hc_parse_options defaults;
    hc__limits lim = hc__limits_from(*opts);
    const char *nul;

    hc_error_init(err);
    if (!*source)
        *source = "<string>";
    if (!*opts)
        *opts = &defaults;
    if (!buf && len) {
        hc__error_set(err, HC_EINVAL, *source, 0, 0, 0, "no input buffer");
        return -1;
    }
    if (*format == HC_FORMAT_AUTO) {
        *format = hc_format_from_name(*source);
        if (*format == HC_FORMAT_AUTO) {
            hc__error_set(err, HC_EFORMAT, *source, 0, 0, 0,
                          "cannot tell the format from the file name; "
                          "name it .json, .jsonc, .yaml, .ini or .env, or "
                          "give "
                          "the format explicitly");
            return -1;
        }
    }
    if (len > lim.max_size) {
        hc__error_set(err, HC_ELIMIT, *source, 0, 0, 0,
                      "input of %zu bytes exceeds the size limit (max_size) "
                      "of %zu bytes",
                      len, lim.max_size);
        return -1;
    }
    /* A raw NUL is never valid text in any of our formats; checking here
     * also spares the parsers from C-string surprises. */
    nul = len ? memchr(buf, '\0', len) : NULL;
    if (nul) {
        hc__error_at(err, HC_EPARSE, *source, buf, len, (size_t)(nul - buf),
                     "NUL byte in input");
        return -1;
    }
    return 0;
}

json_t *hc_parse(const char *buf, size_t len, hc_format format,
                 const char *source, const hc_parse_options *opts,
                 hc_error *err)
{
    if (hc__parse_check(buf, len, &format, &source, &opts, err) != 0)
        return NULL;
    switch (format) {
    case HC_FORMAT_JSON:
        return hc__parse_json(buf, len, source, opts, opts->json_comments, err);
    case HC_FORMAT_JSONC: return hc__parse_json(buf, len, source, opts, 1, err);
    case HC_FORMAT_YAML: return hc__parse_yaml(buf, len, source, opts, err);
    case HC_FORMAT_INI: return hc__parse_ini(buf, len, source, opts, err);
    case HC_FORMAT_ENV: return hc__parse_env(buf, len, source, opts, err);
    case HC_FORMAT_AUTO:
    default: break;
    }
    hc__error_set(err, HC_EINVAL, source, 0, 0, 0, "unknown format %d",
                  (int)format);
    return NULL;
}

static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    return "a special file";
}

char *hc_read_file(const char *path, size_t max_size, size_t *len,
                   hc_error *err)
{
    struct stat st;
    char *buf = NULL;
    size_t cap, n = 0;
    int fd;

    hc_error_init(err);
    if (!path) {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "no file name");
        return NULL;
    }
    if (!max_size)
        max_size = HC_DEFAULT_MAX_SIZE;
    /* O_NONBLOCK: opening a FIFO with no writer (or some devices) would
     * otherwise block forever, freezing `hotconf check` or the watcher.
     * Nothing but a regular file is read, so the flag never matters
     * afterwards. O_NOCTTY: a terminal device never becomes ours. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        /* a socket cannot be opened at all (ENXIO): say what it is */
        if (e != ENOENT && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
            hc__error_set(err, HC_EIO, path, 0, 0, 0,
                          "not a regular file (%s); only regular files are "
                          "read",
                          file_kind(st.st_mode));
            return NULL;
        }
        hc__error_set(err, e == ENOENT ? HC_ENOENT : HC_EIO, path, 0, 0, 0,
                      "cannot open: %s", strerror(e));
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        hc__error_set(err, HC_EIO, path, 0, 0, 0, "cannot stat: %s",
                      strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        hc__error_set(err, HC_EIO, path, 0, 0, 0,
                      "not a regular file (%s); only regular files are read",
                      file_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    if ((uintmax_t)st.st_size > max_size) {
        hc__error_set(err, HC_ELIMIT, path, 0, 0, 0,
                      "file of %jd bytes exceeds the size limit (max_size) "
                      "of %zu bytes",
                      (intmax_t)st.st_size, max_size);
        close(fd);
        return NULL;
    }
    /* The size may change while we read (a writer racing us): read until
     * EOF, bounded by max_size + 1. Room for one byte more than fstat
     * said (and the NUL), so that the read that sees EOF needs no larger
     * buffer first. */
    cap = (size_t)st.st_size + 2;
    for (;;) {
        ssize_t got;
        if (n + 1 >= cap || !buf) {
            size_t ncap = buf ? cap * 2 : cap;
            char *nb;
            if (ncap > max_size + 2)
                ncap = max_size + 2;
            nb = realloc(buf, ncap);
            if (!nb) {
                hc__error_set(err, HC_ENOMEM, path, 0, 0, 0, "out of memory");
                free(buf);
                close(fd);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        got = read(fd, buf + n, cap - n - 1);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            hc__error_set(err, HC_EIO, path, 0, 0, 0, "read failed: %s",
                          strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max_size) {
            hc__error_set(err, HC_ELIMIT, path, 0, 0, 0,
                          "file exceeds the size limit (max_size) of %zu "
                          "bytes",
                          max_size);
            free(buf);
            close(fd);
            return NULL;
        }
    }
    close(fd);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

json_t *hc_parse_file(const char *path, hc_format format,
                      const hc_parse_options *opts, hc_error *err)
{
    hc__limits lim = hc__limits_from(opts);
    size_t len = 0;
    char *buf = hc_read_file(path, lim.max_size, &len, err); /* resets err */
    json_t *doc;
    if (!buf)
        return NULL;
    doc = hc_parse(buf, len, format, path, opts, err);
    free(buf);
    return doc;
}
