/*
 * testutil.h - small helpers shared by the tests: temp folders, writing and
 * reading files, the conformance folder.
 */
#ifndef HC_TESTUTIL_H
#define HC_TESTUTIL_H

#include <stddef.h>

/* mkdtemp under $TMPDIR (or /tmp); returns a malloc'd path. Aborts on failure.
 */
char *tu_mkdtemp(void);
/* rm -rf path (best effort). */
void tu_rmtree(const char *path);
/* Writes len bytes (or strlen(data) when len == (size_t)-1) to path. */
void tu_write(const char *path, const char *data, size_t len);
/* Reads a whole file; malloc'd, NUL-terminated; NULL when missing. */
char *tu_read(const char *path, size_t *len);
/* path joined: malloc'd "a/b". */
char *tu_join(const char *a, const char *b);
/* The conformance folder when it exists, else NULL (caller prints SKIPPED
 * and exits 77). The env var HC_CONFORMANCE_DIR overrides the build's. */
const char *tu_conformance_dir(void);

/* The tests' random cases: a number in [0, n) (n > 0) from one
 * deterministic xorshift64 sequence per process, so a failure repeats.
 * Not thread-safe. */
unsigned tu_rand(unsigned n);

#endif
