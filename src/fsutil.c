/*
 * fsutil.c - the one atomic file rewrite, shared by the engine's rollback
 * write-back (sources/file.c), the static dashboard file (http/page.c) and
 * the CLI's rollback (cli/rollback.c), so that its guarantees cannot drift
 * apart between them.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sets the temp file's owner and mode: the replaced file's when keep_mode
 * and it exists, else mode. */
static int set_mode(int fd, const char *target, const char *tmp, unsigned mode,
                    int keep_mode, hc_error *err, const char *source)
{
    struct stat st;
    if (keep_mode && stat(target, &st) == 0) {
        /* Owner first: a chown may clear the set-id bits the chmod sets.
         * Only root can give the file away; anyone else keeps what they
         * can (a group they are in) and the mode. */
        if (fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) {
            hc__error_set(err, HC_ESYS, source, 0, 0, 0, "chown %s: %s", tmp,
                          strerror(errno));
            return -1;
        }
        mode = st.st_mode & 07777;
    }
    if (fchmod(fd, (mode_t)mode) != 0) {
        hc__error_set(err, HC_ESYS, source, 0, 0, 0, "chmod %s: %s", tmp,
                      strerror(errno));
        return -1;
    }
    return 0;
}

static int write_all(int fd, const char *bytes, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, bytes + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

int hc__write_atomic(const char *path, const char *bytes, size_t len,
                     unsigned mode, int keep_mode, hc_error *err)
{
    char *target = realpath(path, NULL), *dir = NULL, *tmp = NULL;
    const char *slash, *base;
    int fd = -1, dfd, rc = HC_ESYS;
    size_t dirlen, tmpsize;

    if (!target) {
        /* Not there yet (or a dangling link's end): written as named. */
        if (errno != ENOENT) {
            hc__error_set(err, HC_ESYS, path, 0, 0, 0, "cannot resolve %s: %s",
                          path, strerror(errno));
            return HC_ESYS;
        }
        target = strdup(path);
        if (!target)
            goto nomem;
    }
    slash = strrchr(target, '/');
    base = slash ? slash + 1 : target;
    dirlen = slash ? (size_t)(slash - target) : 0;
    dir = slash ? strndup(target, dirlen ? dirlen : 1) : strdup(".");
    tmpsize = dirlen + strlen(base) + 32;
    tmp = malloc(tmpsize);
    if (!dir || !tmp)
        goto nomem;
    /* Hidden, unique (mkostemp) and in the target's own directory, so the
     * rename stays on one file system and a directory listing (or a web
     * server's index) does not show a half-written file. */
    snprintf(tmp, tmpsize, "%.*s%s.%s.hotconf-XXXXXX", (int)dirlen, target,
             slash ? "/" : "", base);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        hc__error_set(err, HC_ESYS, path, 0, 0, 0,
                      "cannot create a temp file in %s: %s", dir,
                      strerror(errno));
        goto out;
    }
    if (set_mode(fd, target, tmp, mode, keep_mode, err, path) != 0)
        goto fail;
    if (write_all(fd, bytes, len) != 0) {
        hc__error_set(err, HC_ESYS, path, 0, 0, 0, "write %s: %s", tmp,
                      strerror(errno));
        goto fail;
    }
    if (fsync(fd) != 0) {
        hc__error_set(err, HC_ESYS, path, 0, 0, 0, "fsync %s: %s", tmp,
                      strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        hc__error_set(err, HC_ESYS, path, 0, 0, 0, "close %s: %s", tmp,
                      strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, target) != 0) {
        hc__error_set(err, HC_ESYS, path, 0, 0, 0, "rename %s -> %s: %s", tmp,
                      target, strerror(errno));
        goto fail;
    }
    /* The rename itself is durable once the directory is; the new content
     * is in place either way, so this part is best effort. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) {
            /* best effort, see above */
        }
        close(dfd);
    }
    rc = 0;
    goto out;
nomem:
    hc__error_set(err, HC_ENOMEM, path, 0, 0, 0, "out of memory");
    rc = HC_ENOMEM;
    goto out;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
out:
    free(tmp);
    free(dir);
    free(target);
    return rc;
}
