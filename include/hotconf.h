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

typedef struct hc_dump_options {
    /* .env: write nested objects as flat names joined by this separator
     * ({"SERVICE":{"PORT":1}} with "__" -> SERVICE__PORT=1), the inverse
     * of hc_parse_options.env_nest. NULL: only top-level values. */
    const char *env_nest;
} hc_dump_options;

/* hc_dump with options (opts may be NULL). Thread-safe. */
HC_API char *hc_dump_ex(const json_t *doc, hc_format format,
                        const hc_dump_options *opts, hc_error *err);

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

/*
 * JSON Schema draft 2020-12, compiled once and validated many times.
 *
 * All of the core, applicator, unevaluated, validation and format-annotation
 * vocabularies: $ref/$defs/$anchor/$id/$dynamicRef/$dynamicAnchor, boolean
 * schemas, type/enum/const, numeric, string (lengths in code points;
 * pattern and patternProperties through PCRE2 in UTF mode, unanchored),
 * array, object, allOf/anyOf/oneOf/not/if-then-else, dependentRequired,
 * dependentSchemas, unevaluatedProperties/Items. Unknown keywords are
 * ignored; "$schema" is not consulted (every schema is read as 2020-12).
 *
 * References are resolved when the schema is compiled, never fetched: a
 * $ref to a document outside the schema fails compilation with an error
 * naming it unless that document was registered (hc_schema_registry).
 *
 * Threads: a compiled hc_schema is immutable; hc_schema_validate may be
 * called on the same schema from any number of threads at once (each with
 * its own document and report). Registries and reports are not
 * thread-safe: one thread at a time per object.
 */

/* A compiled schema (opaque). */
typedef struct hc_schema hc_schema;

/*
 * Documents that $ref may point into, keyed by absolute URI (the URI a
 * reference resolves to, without fragment). A document that declares its
 * own "$id" is also reachable under that id.
 */
typedef struct hc_schema_registry hc_schema_registry;

HC_API hc_schema_registry *hc_schema_registry_new(void);
HC_API void hc_schema_registry_free(hc_schema_registry *reg);
/*
 * Registers doc (an object or a boolean) under uri: what a $ref resolves to
 * without its fragment, e.g. "https://example.com/common.json", or a plain
 * "common.json" for schemas without "$id" (no fragment allowed). The
 * registry takes its own reference to doc. Returns 0, HC_EEXIST when uri
 * is taken, HC_EINVAL, or HC_ENOMEM.
 */
HC_API int hc_schema_registry_add(hc_schema_registry *reg, const char *uri,
                                  json_t *doc);
/*
 * Parses a schema file (JSON or YAML, by its name) and registers it under
 * uri, or, when uri is NULL, under the document's "$id", or else under the
 * file's base name ("common.json"). Returns 0 or a negative code with err
 * filled.
 */
HC_API int hc_schema_registry_load(hc_schema_registry *reg, const char *uri,
                                   const char *path, hc_error *err);

/* Default PCRE2 budgets per pattern match (see hc_schema_options). */
#define HC_SCHEMA_DEFAULT_REGEX_MATCH_LIMIT 1000000u
#define HC_SCHEMA_DEFAULT_REGEX_DEPTH_LIMIT 10000u

typedef struct hc_schema_options {
    /* Documents $ref may resolve into; NULL for none. Only read during
     * compilation: it may be freed afterwards. */
    const hc_schema_registry *registry;
    /* Base URI of the root schema when it has no "$id". NULL: none, so a
     * relative $ref ("common.json#/$defs/port") resolves as written and
     * must match a registry URI exactly. */
    const char *base_uri;
    /* Nonzero: "format" asserts (date-time, date, time, duration, email,
     * hostname, ipv4, ipv6, uri, uri-reference, uuid, regex, json-pointer;
     * other formats stay annotations). Zero (the default, as the
     * specification says): "format" only annotates. */
    int format_assert;
    /*
     * Nonzero: hc_schema_validate fills in defaults. When an object lacks a
     * property whose subschema under "properties" has a "default" (directly
     * or as the target of the subschema's "$ref"), a deep copy of the
     * default is inserted into the document before the object is validated,
     * and is then validated like any other value (so nested defaults fill
     * in too). Defaults are taken only from schemas that must hold for the
     * value (the root, properties, items, allOf, $ref, then/else), never
     * from anyOf, oneOf, not, if or contains. The document is modified in
     * place: pass a document you own exclusively (e.g. a freshly parsed
     * candidate config, or a json_deep_copy), and discard it when
     * validation fails, since it may have been filled partially.
     */
    int fill_defaults;
    /* PCRE2 budgets per match (0: the defaults above). A match that runs
     * out is a validation error that says so, so a catastrophic pattern
     * cannot hang a reload. */
    uint32_t regex_match_limit;
    uint32_t regex_depth_limit;
} hc_schema_options;

/*
 * Compiles a schema (an object or a boolean). schema is borrowed: the
 * compiled schema keeps its own reference, and the caller must not modify
 * schema afterwards. Returns the schema, or NULL with err filled: code
 * HC_ESCHEMA, err->pointer the JSON pointer of the offending keyword in the
 * schema, err->text what is wrong (a bad keyword value, an unresolvable or
 * unregistered $ref, an invalid regex with its offset, an in-place $ref
 * cycle that could never finish). Thread-safe.
 */
HC_API hc_schema *hc_schema_compile(json_t *schema, hc_error *err);
/* Same with options (opts may be NULL). */
HC_API hc_schema *hc_schema_compile_ex(json_t *schema,
                                       const hc_schema_options *opts,
                                       hc_error *err);
/*
 * Loads and compiles a schema file, JSON or YAML (format from the name).
 * Compile errors carry the file's line and column of the offending keyword.
 */
HC_API hc_schema *hc_schema_load(const char *path, hc_error *err);
HC_API hc_schema *hc_schema_load_ex(const char *path,
                                    const hc_schema_options *opts,
                                    hc_error *err);
HC_API void hc_schema_free(hc_schema *schema);

/*
 * The errors of one validation (opaque, reusable: each hc_schema_validate
 * clears it first). Not thread-safe: one report per validating thread.
 */
typedef struct hc_schema_report hc_schema_report;

/* One validation error. Strings are owned by the report and live until
 * the next validation with it, hc_schema_report_clear or _free. */
typedef struct hc_schema_error {
    const char *instance_location; /* JSON pointer in the document: "/a/0" */
    const char *keyword_location;  /* evaluation path in the schema, through
                                      $refs: "/properties/a/minimum" */
    const char *absolute_location; /* schema URI + "#" + pointer of the
                                      keyword: "#/$defs/port/minimum" */
    const char *keyword;           /* "minimum" */
    const char *message;           /* "80 is less than the minimum of 1024" */
    int line, column; /* of the value in its file (see _set_source); 0 */
} hc_schema_error;

HC_API hc_schema_report *hc_schema_report_new(void);
HC_API void hc_schema_report_free(hc_schema_report *report);
HC_API void hc_schema_report_clear(hc_schema_report *report);
/*
 * Names the document the next validations are about: source (copied) is
 * the file name used by hc_schema_report_error, positions (borrowed; NULL
 * for none) the map filled while parsing it (hc_parse_options.positions).
 * Positions are looked up only for failing values. positions must outlive
 * the validations that use it.
 */
HC_API void hc_schema_report_set_source(hc_schema_report *report,
                                        const char *source,
                                        const hc_posmap *positions);
/* Stops collecting after max errors (0: no limit, the default). */
HC_API void hc_schema_report_set_max_errors(hc_schema_report *report,
                                            size_t max);
HC_API size_t hc_schema_report_count(const hc_schema_report *report);
/* Borrowed; NULL when i is out of range. Errors come in evaluation order. */
HC_API const hc_schema_error *
hc_schema_report_at(const hc_schema_report *report, size_t i);
/*
 * Error i as an hc_error: code HC_EVALIDATE, source, line/column (0 when
 * unknown), pointer = instance location, text = "POINTER: message"
 * ("(root): message" for the document itself), so hc_error_format() gives
 * "file.yaml:4:9: /service/port: 80 is less than the minimum of 1024".
 * Returns 0 or HC_ENOTFOUND when there is no error i.
 */
HC_API int hc_schema_report_error(const hc_schema_report *report, size_t i,
                                  hc_error *err);
/* Defaults filled in by the last validation (fill_defaults): how many, and
 * the JSON pointer of each (borrowed, like the errors). */
HC_API size_t hc_schema_report_filled_count(const hc_schema_report *report);
HC_API const char *hc_schema_report_filled_at(const hc_schema_report *report,
                                              size_t i);
/* The report as JSON: {"valid":B,"errors":[{"instanceLocation",
 * "keywordLocation","absoluteKeywordLocation","keyword","error","line",
 * "column"}...]} (new reference; NULL on ENOMEM). */
HC_API json_t *hc_schema_report_to_json(const hc_schema_report *report);

/*
 * Validates doc against schema. report may be NULL: the verdict only,
 * stopping at the first failure (the fastest; no allocation). With a
 * report, every error is collected (a value of the wrong "type" gets that
 * one error, not one per keyword that cannot apply to it). Strings in doc
 * must be valid UTF-8, as every hotconf parser and jansson guarantee
 * (patterns run without re-checking it).
 * Returns 0 when valid, HC_EVALIDATE when not, or another negative code
 * (HC_EINVAL, HC_ENOMEM). doc is modified only when the schema was
 * compiled with fill_defaults. Thread-safe for a shared schema.
 */
HC_API int hc_schema_validate(const hc_schema *schema, json_t *doc,
                              hc_schema_report *report);

/*
 * For pipelines: validates doc and, when it is invalid, fills err with the
 * first error as hc_schema_report_error does (code HC_EVALIDATE,
 * err->pointer its instance location, line/column from positions). source
 * names the document in err (NULL: "<string>"); positions may be NULL.
 * Allocates only when the document is invalid. Returns like
 * hc_schema_validate. Thread-safe for a shared schema.
 */
HC_API int hc_schema_check(const hc_schema *schema, json_t *doc,
                           const char *source, const hc_posmap *positions,
                           hc_error *err);

/* ====================================================================== */
/* Watch engine (src/engine/)                                              */
/* ====================================================================== */

/* HC-ENGINE-API: filled in by the engine module. */

#ifdef __cplusplus
}
#endif

#endif /* HOTCONF_H */
