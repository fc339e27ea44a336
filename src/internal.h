/*
 * internal.h - declarations shared between the library's source files.
 * Nothing here is public: hc__ names are internal, exported to no one
 * (the library is built with -fvisibility=hidden).
 */
#ifndef HC_INTERNAL_H
#define HC_INTERNAL_H

#include "hotconf.h"

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__)
#define HC__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HC__PRINTF(a, b)
#endif

/* ---- errors (src/error.c) ------------------------------------------- */

/*
 * Fills err (when non-NULL and still empty: the first error wins).
 * source NULL means "<string>"; a long source is shortened from the left
 * so the file name survives. line/column 0 mean unknown.
 */
void hc__error_set(hc_error *err, int code, const char *source, int line,
                   int column, size_t position, const char *fmt, ...)
    HC__PRINTF(7, 8);

/* Same, with the line and column computed from a byte offset into buf. */
void hc__error_at(hc_error *err, int code, const char *source, const char *buf,
                  size_t len, size_t offset, const char *fmt, ...)
    HC__PRINTF(7, 8);

/* The same with a va_list. */
void hc__error_vat(hc_error *err, int code, const char *source, const char *buf,
                   size_t len, size_t offset, const char *fmt, va_list ap)
    HC__PRINTF(7, 0);

/* U+FEFF in UTF-8: a byte order mark. */
#define HC__BOM "\xEF\xBB\xBF"

/* 3 when s[0..n) starts with a BOM, else 0. (src/format/parse.c) */
size_t hc__bom_len(const char *s, size_t n);

/* For the INI and .env parsers, a BOM on the line [s, eol): one at its
 * start is skipped when may_skip (only blank and comment lines came
 * before, the one rule both formats share with YAML's document prefix).
 * Returns where the line's text starts; *stray is the first BOM after
 * that, which the caller refuses, or NULL. (src/format/parse.c) */
const char *hc__line_skip_bom(const char *s, const char *eol, int may_skip,
                              const char **stray);

/* 1-based line and column (bytes) of offset in buf; on the first line a
 * leading UTF-8 BOM is not counted. */
void hc__line_col(const char *buf, size_t len, size_t offset, int *line,
                  int *column);

/* The last hc_format value: range checks compare with it, so that a new
 * format is added in one place (include/hotconf.h and this line). */
#define HC__FORMAT_LAST HC_FORMAT_JSONC

/* ---- limits (src/format/parse.c) --------------------------------------- */

typedef struct hc__limits {
    size_t max_size;
    int max_depth;
    size_t max_alias_nodes;
} hc__limits;

/* opts may be NULL; zero fields take the defaults. */
hc__limits hc__limits_from(const hc_parse_options *opts);

/* Whether validating against schema modifies the document (it fills in
 * defaults): such a document cannot share subtrees with another. */
int hc__schema_fills_defaults(const hc_schema *schema);

/* hc_schema_check for the engine's reloads: prev is the memo of the last
 * validation that passed (NULL: none), and *next (when next is non-NULL)
 * receives this one's when it passes (free with hc__schema_memo_free).
 * A value of prev's document shared into doc that passed a node then
 * passes it again without being walked (src/schema/memo.c). The caller
 * keeps prev's document alive while prev is in use. */
int hc__schema_check_memo(const hc_schema *schema, json_t *doc,
                          const char *source, const void *prev, void **next,
                          hc_error *err);
void hc__schema_memo_free(void *memo);

/* hc_parse's checks shared by every format, before its parser runs:
 * resolves an AUTO format from source, defaults a NULL source and opts,
 * enforces max_size and refuses NUL bytes. 0, or -1 with err filled. */
int hc__parse_check(const char *buf, size_t len, hc_format *format,
                    const char **source, const hc_parse_options **opts,
                    hc_error *err);

/* ---- per-format parsers ----------------------------------------------
 * Each is called by hc_parse() after the size and NUL-byte checks, with a
 * non-NULL source and non-NULL opts, and must return a new reference or
 * NULL with err filled (line/column 1-based). Each enforces the depth limit
 * and fills opts->positions when it is non-NULL.
 */
/* jsonc nonzero: comments and trailing commas allowed (HC_FORMAT_JSONC). */
json_t *hc__parse_json(const char *buf, size_t len, const char *source,
                       const hc_parse_options *opts, int jsonc, hc_error *err);
/* The one-pass JSON parser alone (parse_json.c): the document, or NULL
 * where jansson's loader must decide (any error, a duplicate key, a
 * number out of range, deeper than max_depth). Exported for the test
 * that holds it to jansson's results. */
json_t *hc__parse_json_fast(const char *buf, size_t len, int max_depth,
                            hc_posmap *map);
json_t *hc__parse_yaml(const char *buf, size_t len, const char *source,
                       const hc_parse_options *opts, hc_error *err);
json_t *hc__parse_ini(const char *buf, size_t len, const char *source,
                      const hc_parse_options *opts, hc_error *err);
json_t *hc__parse_env(const char *buf, size_t len, const char *source,
                      const hc_parse_options *opts, hc_error *err);

/* ---- emitters (src/format/emit_*.c); same contract as hc_dump ---------- */
char *hc__dump_json(const json_t *doc, hc_error *err);
char *hc__dump_yaml(const json_t *doc, hc_error *err);
char *hc__dump_ini(const json_t *doc, hc_error *err);
char *hc__dump_env(const json_t *doc, hc_error *err);

/* ---- scalar typing for INI and .env (src/format/scalar.c) ------------------
 * true/false (any case) -> bool; optional sign + decimal digits that fit
 * in 64 bits -> integer; a decimal float (1.5, -2e3) -> real; everything
 * else (and the empty value) -> string. New reference, NULL on ENOMEM.
 */
json_t *hc__scalar_typed(const char *s, size_t len);

/* ---- UTF-8 (src/utf8.c) -----------------------------------------------
 * Returns true when buf[0..len) is valid UTF-8 (no overlongs, no
 * surrogates, <= U+10FFFF); otherwise false and *bad = offset of the first
 * invalid byte.
 */
bool hc__utf8_valid(const char *buf, size_t len, size_t *bad);
/* Number of code points in a valid UTF-8 string. */
size_t hc__utf8_length(const char *s, size_t len);

/* ---- position map (src/posmap.c) -------------------------------------
 * pointer is a JSON pointer ("" root, "/a/0/b", with ~0 ~1 escaping).
 * Returns 0 or HC_ENOMEM. A later add for the same pointer replaces it.
 */
int hc__posmap_add(hc_posmap *map, const char *pointer, int line, int column);

/* Appends "/" + escaped token to a growing pointer buffer. Returns the new
 * length; the buffer is grown with realloc. *buf may start NULL. When it
 * cannot grow, nothing is appended and len is returned. */
size_t hc__pointer_push(char **buf, size_t *cap, size_t len, const char *token,
                        size_t token_len);

/* Calls cb once per segment of an hc_get path, in order: key (NUL-
 * terminated, klen bytes) for a key, NULL and idx for a bracketed [N].
 * Stops at the first non-zero return and returns it; HC_EPATH when the
 * path is malformed (segments before the error were passed). */
typedef int (*hc__path_seg_cb)(void *data, const char *key, size_t klen,
                               size_t idx);
int hc__path_segments(const char *path, hc__path_seg_cb cb, void *data);

/* ---- growable byte buffer (src/sbuf.c), used by the INI/.env parsers and
 * emitters. An allocation failure is sticky: appends after it do nothing
 * and hc__sbuf_failed() reports it, so callers check once at the end. The
 * data is always NUL-terminated once anything was appended. */
typedef struct hc__sbuf {
    char *data;
    size_t len, cap;
    int failed;
} hc__sbuf;

void hc__sbuf_append(hc__sbuf *b, const char *s, size_t n);
void hc__sbuf_putc(hc__sbuf *b, char c);
void hc__sbuf_puts(hc__sbuf *b, const char *s);
int hc__sbuf_failed(const hc__sbuf *b);
/* Hands the NUL-terminated data to the caller (free() it; "" when nothing
 * was appended); the buffer is left empty. NULL after an allocation failure
 * (the data is freed). */
char *hc__sbuf_take(hc__sbuf *b);
/* hc__sbuf_take for an emitter's output: NULL with err set to HC_ENOMEM
 * after an allocation failure. */
char *hc__sbuf_result(hc__sbuf *b, hc_error *err);
void hc__sbuf_free(hc__sbuf *b);

/* The shortest text (%.15g..%.17g, "C" locale, ".0" added when needed) that
 * hc__scalar_typed reads back as exactly d. Returns its length, or -1 when d
 * is not finite or size < 32. (src/format/scalar.c) */
int hc__real_text(double d, char *buf, size_t size);

/* ---- YAML scalars (src/format/yaml_core.c), shared by the parser and the
 * emitter True when the plain scalar s[0..len) reads back as a string under the
 * YAML typing rules (YAML 1.2 core schema): the emitter may leave it
 * unquoted only then.
 */
bool hc__yaml_plain_is_string(const char *s, size_t len);
/* A "C" LC_NUMERIC locale for strtod_l()/uselocale(), so that a program's
 * setlocale() never changes how numbers read or print. Created once
 * (src/format/scalar.c); NULL if newlocale failed. */
locale_t hc__c_locale(void);
/* strtod of s[0..n) (no NUL needed) in that locale. Sets *out and *used
 * (the bytes read); returns 0, ERANGE when strtod reports over- or
 * underflow, or -1 out of memory. */
int hc__strtod_c(const char *s, size_t n, double *out, size_t *used);

/* ---- atomic file rewrite (src/fsutil.c) ---------------------------------
 * Replaces the content of path with bytes[0..len) so that a reader sees the
 * old content or the new, never a mix nor a short file, and the new one
 * survives a crash once this returns 0: a temp file unique to this call
 * (mkostemp, O_CLOEXEC, hidden: ".NAME.hotconf-XXXXXX") in the same
 * directory, written, fsync'd, renamed over the file, then the directory
 * fsync'd (best effort: the content is in place even if that fails).
 *
 * A symlink is followed: its final target is rewritten and the link (a
 * ConfigMap's chain) stays; a path that does not exist yet (or a dangling
 * link) is created as named. The file gets mode, or with keep_mode and an
 * existing file that file's mode and owner (the owner as far as this
 * process may: a non-root chown's EPERM is ignored).
 *
 * Returns 0, or HC_ESYS (text says which step failed and errno's text) or
 * HC_ENOMEM with err filled, source path; on failure the temp file is gone
 * and path is untouched. Thread-safe (no shared state). */
int hc__write_atomic(const char *path, const char *bytes, size_t len,
                     unsigned mode, int keep_mode, hc_error *err);

/* ns since 1970 as "2026-01-02T03:04:05.678Z" into buf; NULL when the
 * year does not fit. */
#define HC__TIME_TEXT 32
const char *hc__time_text(int64_t realtime_ns, char buf[HC__TIME_TEXT]);

/* pthread_create for the library's own threads (monitor, delivery
 * workers, store writer, dashboard hub, etcd followers and reporter,
 * folder groups): the new thread blocks every signal, so signals stay the
 * application's. Returns pthread_create's result (src/thread.c). */
#include <pthread.h>
int hc__thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif /* HC_INTERNAL_H */
