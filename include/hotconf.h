/*
 * hotconf.h - the whole public API of libhotconf.
 *
 * libhotconf parses JSON, YAML, INI and .env configuration files into one
 * document model (jansson's json_t), gives path access and typed getters,
 * diffs two documents, validates them with JSON Schema, and (the engine)
 * watches files and swaps a live snapshot atomically when they change.
 *
 * Conventions (read once, they hold everywhere):
 *  - Errors: functions that can fail return a negative HC_E* code (or NULL)
 *    and, when given a non-NULL hc_error *, fill it (a public function
 *    resets the hc_error it is given on entry, as jansson does, so it need
 *    not be initialised). hc_strerror() names a code. Positions are
 *    1-based; 0 means "unknown".
 *  - Ownership: "new reference" means the caller must json_decref() it;
 *    "borrowed" means it lives as long as its container. Destructors accept
 *    NULL.
 *  - Threads: a function is not thread-safe unless its comment says so.
 *    Documents returned by the library are never modified by it afterwards,
 *    so read-only sharing across threads is safe (jansson refcounts are
 *    atomic).
 */
#ifndef HOTCONF_H
#define HOTCONF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HC_BUILDING) && defined(__GNUC__)
#define HC_API __attribute__((visibility("default")))
#else
#define HC_API
#endif

#define HC_VERSION_MAJOR  0
#define HC_VERSION_MINOR  1
#define HC_VERSION_PATCH  0
#define HC_VERSION_STRING "0.1.0"

/* Version of the library actually linked (may differ from the header). */
HC_API const char *hc_version(void);

/* ====================================================================== */
/* Errors                                                                  */
/* ====================================================================== */

/*
 * Error codes. They are never renumbered; a retired code keeps its number.
 * XX(name, value, description)
 */
#define HC_ERRNO_MAP(XX)                                                       \
    XX(EINVAL, -1, "invalid argument")                                         \
    XX(ENOMEM, -2, "out of memory")                                            \
    XX(EIO, -3, "input/output error")                                          \
    XX(ENOENT, -4, "no such file")                                             \
    XX(EPARSE, -5, "parse error")                                              \
    XX(ELIMIT, -6, "limit exceeded")                                           \
    XX(EFORMAT, -7, "format cannot hold this document")                        \
    XX(ENOTFOUND, -8, "path not found")                                        \
    XX(ETYPE, -9, "type mismatch")                                             \
    XX(ESCHEMA, -10, "invalid schema")                                         \
    XX(EVALIDATE, -11, "document does not match the schema")                   \
    XX(EHISTORY, -12, "not enough history")                                    \
    XX(EEXIST, -13, "already exists")                                          \
    XX(ENOTWATCHED, -14, "path is not watched")                                \
    XX(ESYS, -15, "system call failed")                                        \
    XX(ESTATE, -16, "operation not valid in this state")                       \
    XX(ECALLBACK, -17, "callback failed")                                      \
    XX(EPATH, -18, "malformed path expression")

typedef enum hc_errno {
    HC_OK = 0,
#define HC__ERRNO_ENUM(name, value, text) HC_##name = (value),
    HC_ERRNO_MAP(HC__ERRNO_ENUM)
#undef HC__ERRNO_ENUM
} hc_errno;

/* Description of a code ("parse error"); never NULL. Thread-safe. */
HC_API const char *hc_strerror(int code);
/* Symbolic name of a code ("HC_EPARSE"); never NULL. Thread-safe. */
HC_API const char *hc_err_name(int code);

#define HC_ERROR_SOURCE_LENGTH  256
#define HC_ERROR_POINTER_LENGTH 256
#define HC_ERROR_TEXT_LENGTH    320

/*
 * An error with its position, in the spirit of jansson's json_error_t.
 * Public functions reset it on entry; within one call the first error
 * found wins (later, consequential errors do not overwrite it).
 */
typedef struct hc_error {
    int code;        /* HC_E*, 0 when no error */
    int line;        /* 1-based; 0 when unknown */
    int column;      /* 1-based, in bytes; 0 when unknown */
    size_t position; /* byte offset from the start of the input */
    char source[HC_ERROR_SOURCE_LENGTH];   /* file name or "<string>" */
    char pointer[HC_ERROR_POINTER_LENGTH]; /* JSON pointer (schema errors) */
    char text[HC_ERROR_TEXT_LENGTH];       /* the message, no position */
} hc_error;

HC_API void hc_error_init(hc_error *err);

/*
 * Formats the error as "source:line:col: message" (line/col omitted when
 * unknown). Writes at most size bytes including the NUL; returns buf.
 */
HC_API char *hc_error_format(const hc_error *err, char *buf, size_t size);

/* ====================================================================== */
/* Formats and parsing                                                     */
/* ====================================================================== */

typedef enum hc_format {
    HC_FORMAT_AUTO = 0, /* from the file name (see hc_format_from_name) */
    HC_FORMAT_JSON,
    HC_FORMAT_YAML,
    HC_FORMAT_INI,
    HC_FORMAT_ENV
} hc_format;

/*
 * The format a file name implies: .json; .yaml/.yml; .ini/.cfg/.conf;
 * .env, *.env and .env.* ; HC_FORMAT_AUTO when it implies none.
 */
HC_API hc_format hc_format_from_name(const char *filename);
/* "json", "yaml", "ini", "env" ("auto" for HC_FORMAT_AUTO). */
HC_API const char *hc_format_name(hc_format format);
/* Parses a format name (as above, also "yml", ".env", "dotenv");
 * returns 0 or HC_EINVAL. */
HC_API int hc_format_parse(const char *name, hc_format *out);

/* Default limits; a field left 0 in hc_parse_options uses these. */
#define HC_DEFAULT_MAX_SIZE        ((size_t)10 * 1024 * 1024)
#define HC_DEFAULT_MAX_DEPTH       128
#define HC_DEFAULT_MAX_ALIAS_NODES ((size_t)10000)

/* A JSON-pointer -> source position table filled while parsing. */
typedef struct hc_posmap hc_posmap;

typedef struct hc_parse_options {
    size_t max_size;        /* bytes; 0: HC_DEFAULT_MAX_SIZE */
    int max_depth;          /* nesting; 0: HC_DEFAULT_MAX_DEPTH */
    size_t max_alias_nodes; /* YAML alias expansion budget; 0: default */
    const char *env_nest;   /* .env: nest keys on this separator ("__") */
    int no_typing;          /* INI/.env: keep every value a string */
    hc_posmap *positions;   /* optional: receives value positions */
} hc_parse_options;

/*
 * Parses len bytes of buf (no NUL terminator needed; a NUL byte inside is
 * an error) as format. source names the input in errors (a file name, or
 * NULL for "<string>") and, with HC_FORMAT_AUTO, decides the format.
 * opts may be NULL (defaults).
 * Returns a new reference, or NULL with err filled (code, line, column,
 * message). Thread-safe (no shared state), with one caveat: .env expansion
 * reads the process environment with getenv(), which races with a
 * concurrent setenv()/putenv() in another thread.
 */
HC_API json_t *hc_parse(const char *buf, size_t len, hc_format format,
                        const char *source, const hc_parse_options *opts,
                        hc_error *err);

/* Reads and parses a file (size limit checked before reading). Returns a
 * new reference or NULL. Thread-safe. */
HC_API json_t *hc_parse_file(const char *path, hc_format format,
                             const hc_parse_options *opts, hc_error *err);

/* Reads a whole file into a malloc'd buffer (NUL-terminated, *len without
 * the NUL), refusing files larger than max_size (0: default). The caller
 * frees the buffer with free(). */
HC_API char *hc_read_file(const char *path, size_t max_size, size_t *len,
                          hc_error *err);

HC_API hc_posmap *hc_posmap_new(void);
HC_API void hc_posmap_free(hc_posmap *map);
HC_API void hc_posmap_clear(hc_posmap *map);
/* Position of the value at a JSON pointer ("" is the root). Returns 0 and
 * fills line/column, or HC_ENOTFOUND. */
HC_API int hc_posmap_lookup(const hc_posmap *map, const char *pointer,
                            int *line, int *column);

/* ====================================================================== */
/* Emitting                                                                */
/* ====================================================================== */

/*
 * Serialises doc in format (JSON: 2-space indent, key order kept; YAML:
 * block style; INI: top-level scalars and one level of sections; .env:
 * top-level scalars). Returns a malloc'd NUL-terminated string the caller
 * frees with free(), or NULL with err filled (HC_EFORMAT when the format
 * cannot express the document). Thread-safe.
 */
HC_API char *hc_dump(const json_t *doc, hc_format format, hc_error *err);

/* ====================================================================== */
/* Path access                                                             */
/* ====================================================================== */

/*
 * Path syntax: keys separated by dots, array elements by [index]:
 *   service.port    servers[2].host    matrix[0][1]
 * A key that holds '.', '[', ']', '"' or '\' (or is empty) is written in
 * brackets as a JSON string: labels["app.kubernetes.io/name"].
 * The empty path "" is the document itself.
 */

/* The value at path, or NULL when missing or the path is malformed.
 * Borrowed reference (lives as long as doc). */
HC_API json_t *hc_get(const json_t *doc, const char *path);

/* Like hc_get, telling why: 0, HC_ENOTFOUND or HC_EPATH. */
HC_API int hc_lookup(const json_t *doc, const char *path, json_t **out);

/*
 * Typed getters. Each returns the value at path, or def when the path is
 * missing or the value has another type. status (optional) tells which:
 * 0 found, HC_ENOTFOUND missing, HC_ETYPE type mismatch, HC_EPATH bad path.
 * hc_get_double accepts integers too. hc_get_string returns a borrowed
 * pointer into doc.
 */
HC_API json_int_t hc_get_int(const json_t *doc, const char *path,
                             json_int_t def, int *status);
HC_API double hc_get_double(const json_t *doc, const char *path, double def,
                            int *status);
HC_API int hc_get_bool(const json_t *doc, const char *path, int def,
                       int *status);
HC_API const char *hc_get_string(const json_t *doc, const char *path,
                                 const char *def, int *status);

/* Appends one key or index to a path buffer using the syntax above.
 * Returns the length written (excluding NUL) or -1 when it did not fit. */
HC_API int hc_path_append_key(char *buf, size_t size, size_t len,
                              const char *key);
HC_API int hc_path_append_index(char *buf, size_t size, size_t len,
                                size_t index);

/* ====================================================================== */
/* Diff                                                                    */
/* ====================================================================== */

typedef enum hc_change_op {
    HC_CHANGE_ADDED,
    HC_CHANGE_REMOVED,
    HC_CHANGE_CHANGED
} hc_change_op;

/* One change. All pointers are borrowed from the changeset. */
typedef struct hc_change {
    hc_change_op op;
    const char *path;        /* hc_get syntax; "" is the root */
    const json_t *old_value; /* NULL for HC_CHANGE_ADDED */
    const json_t *new_value; /* NULL for HC_CHANGE_REMOVED */
} hc_change;

typedef struct hc_changeset hc_changeset;

/*
 * The changes from old_doc to new_doc, in a stable order (object keys in
 * old's order then keys only in new, arrays by index). Objects are compared
 * key by key, arrays index by index; a type change is one HC_CHANGE_CHANGED.
 * NULL stands for "no document": against an object it acts as {}.
 * Returns a new changeset (free with hc_changeset_free), NULL on ENOMEM.
 * The changeset holds references to the values, so the documents may be
 * released first. Thread-safe.
 */
HC_API hc_changeset *hc_diff(const json_t *old_doc, const json_t *new_doc);
HC_API size_t hc_changeset_count(const hc_changeset *cs);
/* Borrowed; NULL when i is out of range. */
HC_API const hc_change *hc_changeset_at(const hc_changeset *cs, size_t i);
HC_API void hc_changeset_free(hc_changeset *cs);
/* "added", "removed", "changed". */
HC_API const char *hc_change_op_name(hc_change_op op);
/* [{"path":P,"op":"changed","old":V,"new":V},...] (new reference). */
HC_API json_t *hc_changeset_to_json(const hc_changeset *cs);

/* ====================================================================== */
/* Schema validation (src/schema/)                                         */
/* ====================================================================== */

/* HC-SCHEMA-API: filled in by the schema module. */

/* ====================================================================== */
/* Watch engine (src/engine/)                                              */
/* ====================================================================== */

/* HC-ENGINE-API: filled in by the engine module. */

#ifdef __cplusplus
}
#endif

#endif /* HOTCONF_H */
