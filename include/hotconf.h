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
 *    atomic). The engine's versions of a config share the values that did
 *    not change (the same json_t in the old and the new document), which
 *    is one more reason never to modify a document you did not build.
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

/* Old names kept as aliases of the hc_noun_verb ones. Define
 * HC_WARN_DEPRECATED before including this header to get a compiler
 * warning where a program still uses them. */
#if defined(HC_WARN_DEPRECATED) && defined(__GNUC__)
#define HC_DEPRECATED(use) __attribute__((deprecated("use " use)))
#else
#define HC_DEPRECATED(use)
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
    XX(EPATH, -18, "malformed path expression")                                \
    XX(ENOTSUP, -19, "not supported here")                                     \
    XX(EVETO, -20, "vetoed by a prepare callback")

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
    HC_FORMAT_ENV,
    /* JSON with // and block comments and trailing commas (tsconfig.json,
     * .vscode settings); emitted as plain JSON (comments are not kept). */
    HC_FORMAT_JSONC
} hc_format;

/*
 * The format a file name implies: .json; .jsonc; .yaml/.yml;
 * .ini/.cfg/.conf; .env, *.env and .env.* ; HC_FORMAT_AUTO when it
 * implies none.
 */
HC_API hc_format hc_format_from_name(const char *filename);
/* "json", "yaml", "ini", "env", "jsonc" ("auto" for HC_FORMAT_AUTO). */
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

/* What a YAML stream of several documents reads as. */
typedef enum hc_yaml_multi {
    HC_YAML_MULTI_ERROR = 0, /* an error at the second document (default) */
    HC_YAML_MULTI_ARRAY,     /* an array, one element per document */
    HC_YAML_MULTI_MERGE      /* later documents deep-merged over earlier */
} hc_yaml_multi;

typedef struct hc_parse_options {
    size_t max_size;        /* bytes; 0: HC_DEFAULT_MAX_SIZE */
    int max_depth;          /* nesting; 0: HC_DEFAULT_MAX_DEPTH */
    size_t max_alias_nodes; /* YAML alias expansion budget; 0: default */
    const char *env_nest;   /* .env: nest keys on this separator ("__") */
    int no_typing;          /* INI/.env: keep every value a string */
    hc_posmap *positions;   /* optional: receives value positions */
    /* HC_FORMAT_JSON: nonzero reads the text as JSONC (comments and
     * trailing commas), for .json files that hold them. */
    int json_comments;
    /* YAML: several documents in one stream. ARRAY and MERGE skip empty
     * and null documents (a stray "---" at the end). MERGE: objects merge
     * key by key, recursively; any other value (arrays included) of a
     * later document replaces the earlier one. Anchors are per document. */
    hc_yaml_multi yaml_multi;
    /* INI: nonzero allows a line that is only a name ("skip-networking"
     * in my.cnf); its value is null. Zero: such a line is an error. */
    int ini_allow_no_value;
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
 * frees the buffer with free(). Only regular files are read: a FIFO,
 * socket, device or directory is refused without blocking (the file is
 * opened with O_NONBLOCK and checked with fstat) with HC_EIO and the text
 * "not a regular file (a FIFO); only regular files are read". */
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
/*
 * 1 when a change in cs concerns the value at prefix or anything under it,
 * else 0: for a conditional reload ("reconnect only when database.*
 * changed"). Segment-aware: "database" matches the paths "database",
 * "database.host" and "database[0]", never "databases". A change to a
 * parent counts when the value under prefix differs (a whole "database"
 * object added on the first load touches "database.host"). prefix is in
 * the syntax of hc_change.path (keys joined by '.', a key holding '.' in
 * brackets: labels["app.kubernetes.io/name"]); "" or NULL matches any
 * change. Thread-safe on a changeset nobody frees meanwhile.
 */
HC_API int hc_changeset_touches(const hc_changeset *cs, const char *prefix);

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
 * registry takes its own reference to doc. A registered document is read
 * (and must be a valid schema) only when a compiled schema refers to it;
 * one without "$schema" is read in the draft of the schema referring to
 * it. A registered document whose URI a "$schema" names acts as a custom
 * meta-schema. Returns 0, HC_EEXIST when uri is taken, HC_EINVAL, or
 * HC_ENOMEM.
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
/* Default bound on the work of one validation (see max_evaluations). */
#define HC_SCHEMA_DEFAULT_MAX_EVALUATIONS 10000000u

/* JSON Schema drafts. A schema's "$schema" picks its draft; a schema
 * without one is read as hc_schema_options.default_draft. */
typedef enum hc_schema_draft {
    HC_SCHEMA_DRAFT_DEFAULT = 0, /* 2020-12 */
    HC_SCHEMA_DRAFT_04 = 4,
    HC_SCHEMA_DRAFT_06 = 6,
    HC_SCHEMA_DRAFT_07 = 7,
    HC_SCHEMA_DRAFT_2019_09 = 2019,
    HC_SCHEMA_DRAFT_2020_12 = 2020
} hc_schema_draft;

typedef struct hc_schema_options {
    /* Documents $ref may resolve into; NULL for none. Only read during
     * compilation: it may be freed afterwards. */
    const hc_schema_registry *registry;
    /* Base URI of the root schema when it has no "$id". NULL: none, so a
     * relative $ref ("common.json#/$defs/port") resolves as written and
     * must match a registry URI exactly. */
    const char *base_uri;
    /* Nonzero: "format" asserts (date-time, date, time, duration, email,
     * hostname, idn-hostname, ipv4, ipv6, uri, uri-reference, iri,
     * iri-reference, uuid, regex, json-pointer, relative-json-pointer;
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
    /* The draft of a schema without "$schema" (0: 2020-12). A "$schema"
     * naming a draft (04, 06, 07, 2019-09, 2020-12) overrides it; one naming
     * a registered meta-schema takes that meta-schema's draft (and, in
     * 2019-09 and later, its $vocabulary); any other is a compile error. */
    hc_schema_draft default_draft;
    /* Bound on the work of one hc_schema_validate: schema nodes evaluated
     * against a value, plus items compared for uniqueItems (0: the default
     * above, about a second). A document that needs more is rejected with
     * an error naming this limit, so a hostile document cannot stall a
     * reload. */
    uint64_t max_evaluations;
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
 * Validates the schema itself against its draft's meta-schema (the one its
 * "$schema" names, else that of opts->default_draft; a registered custom
 * meta-schema is used as such). The meta-schemas of draft-04, -06, -07,
 * 2019-09 and 2020-12 are built into the library; nothing is fetched.
 * Returns 0 when the schema is valid, HC_EVALIDATE when not (report, if
 * given, then holds each error, its instance_location the JSON pointer into
 * the schema), or another code with err filled (an unknown "$schema" is
 * HC_ESCHEMA). opts may be NULL; only registry and default_draft are read.
 * Thread-safe.
 */
HC_API int hc_schema_validate_schema(json_t *schema,
                                     const hc_schema_options *opts,
                                     hc_schema_report *report, hc_error *err);

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

/*
 * The engine watches config files and keeps, per file, a live snapshot: the
 * last version that parsed and validated. Readers take it with
 * hc_config_get() from any thread without ever blocking; a file change runs
 * the apply pipeline (read with the size limit -> XXH3 hash, an unchanged
 * hash stops here -> parse -> validate -> diff -> commit the new snapshot,
 * push it on the history, bump the version -> notify the subscribers).
 * A version that fails to read, parse or validate never becomes live.
 *
 * Detection: inotify on the parent directory (not the file's inode), so
 * in-place writes, rename-over, delete + recreate, move away and back,
 * Kubernetes ConfigMap "..data" symlink swaps and a removed and recreated
 * directory are all seen; IN_Q_OVERFLOW rescans every config. A polling
 * backend (stat + hash) serves filesystems where inotify sees nothing; it
 * is chosen per watch or automatically. Nothing wakes while nothing
 * changes (polling aside).
 *
 * Threads and callbacks. The subscriber and on-error callbacks run never
 * with an engine lock held: in dispatch mode on the thread calling
 * hc_engine_dispatch(), one callback at a time; after hc_engine_start()
 * on the engine's delivery workers, where one config's callbacks run one
 * at a time and in version order, and different configs' callbacks run in
 * parallel, so a subscriber that sleeps on config A does not delay config
 * B (a worker is added, up to 64, whenever all are busy and a config
 * waits). Such a callback may therefore call
 * any engine function (hc_config_get, hc_rollback, hc_watch, hc_unwatch,
 * hc_subscribe, hc_engine_rescan, stats, history) without deadlock, except
 * hc_engine_dispatch() (returns HC_ESTATE) and hc_engine_free() (aborts).
 * Notifications are queued when a version is committed and delivered in
 * commit order: per config, versions arrive in increasing order, each
 * exactly once. Changes committed on another thread (the first load in
 * hc_watch, hc_rollback, hc_engine_rescan) are delivered by the dispatch
 * thread too; in dispatch mode when the application next calls
 * hc_engine_dispatch(). The validator runs wherever the file is applied
 * (the dispatch thread, or the thread in hc_watch / hc_engine_rescan) with
 * that config's apply lock held: it must be thread-safe and may call
 * hc_config_get, nothing else of the engine. The log callback runs on the
 * thread that met the condition and must not call the engine.
 */

typedef struct hc_engine hc_engine;

/* What made a version live (or what was being applied when it failed). */
typedef enum hc_trigger {
    HC_TRIGGER_INITIAL = 0, /* first load, in hc_watch */
    HC_TRIGGER_MODIFY,      /* written in place (close, or settle timer) */
    HC_TRIGGER_RENAME,      /* a file renamed over it (editors, mv back) */
    HC_TRIGGER_CREATE,      /* created anew (deleted and recreated, or it
                               appeared after being missing) */
    HC_TRIGGER_LINK,        /* a symlink on its path was swapped (..data) */
    HC_TRIGGER_RESCAN,      /* queue overflow, hc_engine_rescan, dir events */
    HC_TRIGGER_POLL,        /* the polling backend saw new content */
    HC_TRIGGER_ROLLBACK,    /* hc_rollback */
    HC_TRIGGER_REVERT,      /* a subscriber failed under the revert policy:
                               the previous version went live again */
    HC_TRIGGER_LAST_KNOWN_GOOD, /* at start the origin was bad or missing
                                   and a persisted good version went live */
    HC_TRIGGER_UPDATE /* a non-file source (etcd) delivered new content */
} hc_trigger;

/* "initial", "modify", "rename", "create", "link", "rescan", "poll",
 * "rollback", "revert", "last_known_good", "update". The file-specific
 * ones (modify, rename, create, link, poll) come only from file sources;
 * other sources use "update". Thread-safe. */
HC_API const char *hc_trigger_name(hc_trigger trigger);

/*
 * The change record a subscriber receives. Everything in it is borrowed and
 * valid only during the callback: hc_doc_retain() (or json_incref) a
 * document to keep it (documents are immutable; sharing them across
 * threads is safe).
 */
typedef struct hc_change_record {
    const char *path;            /* as given to hc_watch */
    uint64_t version;            /* new version, 1 for the first load */
    uint64_t old_version;        /* 0 when there was none */
    const json_t *old_doc;       /* NULL on the first load */
    const json_t *new_doc;       /* the document now live */
    const hc_changeset *changes; /* old_doc -> new_doc (hc_diff) */
    hc_trigger trigger;          /* what made it live */
    uint64_t hash;               /* XXH3_64bits of the file content */
    int64_t detected_ns;         /* CLOCK_MONOTONIC, change first seen */
    int64_t applied_ns;          /* CLOCK_MONOTONIC, snapshot swapped */
} hc_change_record;

/*
 * Subscriber: called once per committed version. A non-zero return counts
 * as a failure (stats: subscriber_failures; on_error gets HC_ECALLBACK);
 * the other subscribers are still called and the version stays live.
 */
typedef int (*hc_change_cb)(const hc_change_record *rec, void *user_data);

/*
 * An error about one config. error->code tells what happened:
 *  HC_EPARSE, HC_ELIMIT, HC_EFORMAT  the new content was rejected by the
 *                                    parser (error has file:line:col)
 *  HC_EVALIDATE                      rejected by the validator
 *  HC_ENOENT                         the file is missing (reported once,
 *                                    after the settle time)
 *  HC_EIO                            the file cannot be read
 *  HC_ECALLBACK                      a subscriber returned non-zero
 * In every case the live snapshot (live_version) stays what it was.
 */
typedef struct hc_error_record {
    const char *path;      /* as given to hc_watch */
    const hc_error *error; /* borrowed, valid during the callback */
    uint64_t live_version; /* the version still live, 0 when none */
    hc_trigger trigger;    /* what was being applied */
} hc_error_record;

typedef void (*hc_error_cb)(const hc_error_record *rec, void *user_data);

/*
 * Validator: return 0 to accept doc; non-zero to reject it, filling err
 * (hc_error's first-error-wins rule applies; a code of 0 becomes
 * HC_EVALIDATE). When err->line is 0 and err->pointer names a value, the
 * engine fills line and column from the value's position in the file.
 */
typedef int (*hc_validate_cb)(const json_t *doc, hc_error *err,
                              void *user_data);

/* Diagnostics (fallback to polling, queue overflow, subscriber failures);
 * level is HC_LOG_WARN or HC_LOG_INFO. Runs on whichever thread met the
 * condition, possibly with an engine lock held: do not call the engine. */
#define HC_LOG_WARN 1
#define HC_LOG_INFO 2
typedef void (*hc_log_cb)(int level, const char *msg, void *user_data);

typedef struct hc_engine_options {
    int settle_ms;        /* quiet time after IN_MODIFY without a close,
                             and before reporting a file missing; 0: 50.
                             A writer still writing holds the apply up
                             to 5 settle times (at least 500 ms); readers
                             (cat, tail -f) never do */
    int poll_interval_ms; /* default for polling watches; 0: 1000; >= 100 */
    int history_depth;    /* default per watch; 0: 10 */
    int force_poll;       /* non-zero: every watch polls */
    size_t max_size;      /* file size limit; 0: HC_DEFAULT_MAX_SIZE */
    hc_error_cb on_error; /* engine-wide, after the watch's own */
    void *on_error_data;
    hc_log_cb log; /* NULL: silent */
    void *log_data;

    /* ---- fields added after 0.1.0: read only through hc_engine_create /
     * hc_engine_new_sized (hc_engine_new passes the 0.1.0 size, so they
     * read as 0 for it). ---- */

    /* Where history and reload attempts persist: a directory (created
     * 0700) holding state.db (SQLite, WAL, 0600) and watcher.lock. NULL:
     * the memory store, nothing persisted. Borrowed for hc_engine_create
     * only (copied). With it, version numbers continue across restarts,
     * a start on the stored live content makes no new version, and a
     * config whose file is invalid or missing at hc_watch starts on its
     * last stored version (trigger HC_TRIGGER_LAST_KNOWN_GOOD; the error
     * is still reported to on_error and stays the config's last error,
     * and HC_WATCH_REQUIRE then succeeds). Every reload attempt (applied,
     * rejected, vetoed, missing, reverted, rolled back) is recorded, the
     * CLI's `hotconf log` / `history` / `status` read it. Writes go
     * through the store's own thread, off the engine lock and the apply
     * path; a failing write (full disk, read-only) is logged, never fails
     * an apply. One engine per directory at a time: when another holds
     * the lock (or the directory cannot be used) the engine logs a
     * warning (HC_LOG_WARN) and keeps history in memory. */
    const char *state_dir;
} hc_engine_options;

typedef enum hc_watch_mode {
    HC_WATCH_AUTO = 0, /* inotify; polling when it cannot watch the
                          directory or the filesystem is NFS/SMB/FUSE/9p */
    HC_WATCH_INOTIFY,  /* inotify, else polling (with a log warning) */
    HC_WATCH_POLL      /* stat + hash every poll_interval_ms */
} hc_watch_mode;

/* hc_watch fails instead of registering when the first load fails. */
#define HC_WATCH_REQUIRE 0x1

typedef struct hc_watch_options {
    hc_format format;              /* HC_FORMAT_AUTO: from the name */
    const hc_parse_options *parse; /* copied; positions ignored */
    hc_change_cb on_change;        /* first subscriber, may be NULL */
    void *user_data;               /* for on_change */
    hc_error_cb on_error;          /* may be NULL */
    void *on_error_data;
    hc_validate_cb validate; /* may be NULL */
    void *validate_data;
    /* JSON Schema checked after `validate` (borrowed: must outlive the
     * watch). A failure is a validation failure like the callback's, its
     * error names the file line of the offending value. A schema compiled
     * with fill_defaults fills defaults into each new version before it is
     * diffed, so filled values show in the change record. */
    const hc_schema *schema;
    int history_depth; /* versions kept; 0: engine default */
    hc_watch_mode mode;
    int poll_interval_ms; /* 0: engine default */
    int flags;            /* HC_WATCH_REQUIRE */

    /* ---- fields added after 0.1.0: programs built against an older
     * header pass a shorter struct (hc_watch, or hc_engine_watch with
     * their sizeof), and these read as 0 for them. ---- */

    /* Opt-in transactional apply: called for each version that parsed
     * and validated, before anything goes live, on the applying thread
     * with the config's apply lock held (the validator's rules: may call
     * hc_config_get, nothing else of the engine). rec is what subscribers
     * would get. Return 0 to let it go live; non-zero vetoes it: the
     * version is rejected (HC_EVETO, with the text the callback put in
     * err, counted in stats.vetoes) and the live version stays. */
    int (*prepare)(const hc_change_record *rec, hc_error *err, void *user_data);
    void *prepare_data;
    /* What happens when a subscriber fails (returns non-zero) after a
     * version went live: HC_ON_FAILURE_KEEP (0) keeps it; with
     * HC_ON_FAILURE_REVERT the previous version goes live again, as a new
     * version with trigger HC_TRIGGER_REVERT (stats.reverts). The origin
     * is not rewritten: the rejected content stays there, and only a new
     * change is applied again. */
    int on_failure;
    /* By default a new version whose content is empty (0 bytes, or only
     * blank and comment lines) is refused with "file is empty" when the
     * live version is not empty: it is far more often a writer caught
     * between truncating and writing than a wish to clear every key.
     * Non-zero applies it (as an empty document). */
    int allow_empty;
} hc_watch_options;

#define HC_ON_FAILURE_KEEP   0
#define HC_ON_FAILURE_REVERT 1

/* Zero-fills o: every field at its default. Use it so that fields added
 * in later versions start at their defaults too. */
HC_API void hc_watch_options_init(hc_watch_options *o);
HC_API void hc_engine_options_init(hc_engine_options *o);

/*
 * A new engine (opts NULL: defaults). Nothing runs until hc_engine_start()
 * or hc_engine_dispatch(). Returns NULL on failure (out of memory, or no
 * epoll/eventfd/timerfd); when inotify itself is unavailable the engine
 * works and every watch polls. Thread-safe.
 */
HC_API hc_engine *hc_engine_new(const hc_engine_options *opts);

/*
 * Stops the monitor thread (waits for a callback in progress), drops every
 * watch, undelivered notification and history, closes the fds and frees
 * the engine. References returned by hc_config_get stay valid. Accepts
 * NULL. Call it from a thread that is not inside an engine callback
 * (aborts otherwise) and when no other thread uses the engine any more.
 */
HC_API void hc_engine_free(hc_engine *e);

/*
 * Starts one monitor thread that waits for changes and runs the callbacks
 * (all signals blocked in it). Returns 0, HC_ESTATE when already started,
 * HC_ESYS when the thread cannot be created. Any thread; again after
 * hc_engine_stop().
 */
HC_API int hc_engine_start(hc_engine *e);

/*
 * For embedding in your own loop instead of hc_engine_start(): an fd that
 * becomes readable (poll/epoll/select) when hc_engine_dispatch() has work.
 * Owned by the engine; do not close or read it. Thread-safe.
 */
HC_API int hc_engine_fd(hc_engine *e);

/*
 * Waits up to timeout_ms (0: do not wait; -1: forever) for work, handles
 * the file events and timers that are due and delivers the queued
 * notifications on the calling thread. Returns the number of callbacks
 * run (>= 0), HC_ESTATE after hc_engine_start() or when re-entered (from a
 * callback, or from two threads at once), HC_ESYS when epoll fails.
 */
HC_API int hc_engine_dispatch(hc_engine *e, int timeout_ms);

/*
 * Starts watching path and loads it now (synchronously, on the calling
 * thread): when this returns, hc_config_get() sees version 1 if the file
 * parsed and validated. The initial notification (trigger
 * HC_TRIGGER_INITIAL, or an error record) is delivered by the dispatch
 * thread. A missing or invalid file is watched anyway (it is applied when
 * it becomes valid) unless opts->flags has HC_WATCH_REQUIRE.
 * Returns 0; HC_EEXIST when path is already watched (add subscribers with
 * hc_subscribe); HC_EINVAL on bad options; HC_ENOMEM; with
 * HC_WATCH_REQUIRE the first load's error (HC_ENOENT, HC_EPARSE, ...).
 * The message is in hc_engine_last_error() (hc_engine_watch: in its err).
 * Thread-safe; callable from a callback.
 */
HC_API HC_DEPRECATED("hc_engine_watch") int hc_watch(
    hc_engine *e, const char *path, const hc_watch_options *opts);

/*
 * Stops watching path: its snapshot, history and stats go away (the
 * engine totals keep its counts). When it returns, none of its callbacks
 * is running or will run, unless it was called from such a callback
 * (then none runs after that callback returns). Returns 0 or
 * HC_ENOTWATCHED. Thread-safe; callable from a callback.
 */
HC_API HC_DEPRECATED("hc_engine_unwatch") int hc_unwatch(hc_engine *e,
                                                         const char *path);

/*
 * Adds a subscriber to a watched path. Returns an id > 0 for
 * hc_unsubscribe, or HC_ENOTWATCHED, HC_EINVAL (cb NULL), HC_ENOMEM. The
 * subscriber receives versions committed after this call. Thread-safe;
 * callable from a callback.
 */
HC_API HC_DEPRECATED("hc_config_subscribe") int hc_subscribe(hc_engine *e,
                                                             const char *path,
                                                             hc_change_cb cb,
                                                             void *user_data);

/* Removes a subscriber; same guarantee as hc_unwatch about callbacks in
 * progress. Returns 0 or HC_ENOTWATCHED. Thread-safe. */
HC_API HC_DEPRECATED("hc_engine_unsubscribe") int hc_unsubscribe(hc_engine *e,
                                                                 int id);

/*
 * The live document of path: a new reference (hc_doc_release or
 * json_decref it), valid for as long as you hold it, never modified. NULL
 * when path is not watched or no version of it was ever valid. Lock-free
 * (hazard pointers): it never blocks behind a reload, a rollback or
 * another reader, from any thread (callbacks included); a thread's first
 * call allocates its 64-byte hazard record, kept for the thread's next
 * owner. path is found as given to hc_watch or as the file's absolute
 * path (another spelling costs a getcwd).
 */
HC_API json_t *hc_config_get(hc_engine *e, const char *path);

/* Same, also returning the snapshot's version (0 with NULL), read
 * atomically with the document. */
HC_API json_t *hc_config_snapshot(hc_engine *e, const char *path,
                                  uint64_t *version);

/*
 * json_incref / json_decref for documents shared between threads, done
 * with atomic loads as well as atomic updates. jansson's inline versions
 * read the count with a plain load first, which is harmless on real
 * hardware but a data race to ThreadSanitizer (jansson issue #648); the
 * engine uses these, and so should code checked with TSan. Accept NULL.
 * Thread-safe.
 */
HC_API json_t *hc_doc_retain(json_t *doc);
HC_API void hc_doc_release(json_t *doc);

/*
 * The last error of path's config (rejected version, missing or unreadable
 * file) copied into out; cleared when a version is applied or the file
 * comes back with the live content. Returns that error's code (0: none)
 * or HC_ENOTWATCHED. Thread-safe.
 */
HC_API int hc_config_last_error(hc_engine *e, const char *path, hc_error *out);

/*
 * The last error returned by an engine function (code, message) copied
 * into out; returns its code. Shared by the engine's threads: with several
 * threads calling it, trust the return codes. Thread-safe.
 */
HC_API int hc_engine_last_error(hc_engine *e, hc_error *out);

/*
 * Re-resolves path (NULL: every config) and applies its content when it
 * changed, as after an inotify queue overflow (trigger HC_TRIGGER_RESCAN).
 * Runs on the calling thread. Returns 0 or HC_ENOTWATCHED. Thread-safe;
 * callable from a callback.
 */
HC_API int hc_engine_rescan(hc_engine *e, const char *path);

/* ---- history and rollback ------------------------------------------- */

typedef struct hc_version_info {
    uint64_t version;
    int64_t time_ns; /* CLOCK_REALTIME when it became live */
    uint64_t hash;   /* XXH3_64bits of the content */
    size_t size;     /* content bytes */
    hc_trigger trigger;
} hc_version_info;

/*
 * The kept versions of path, newest (live) first, into out[0..max).
 * Returns how many are kept (may exceed max: only max are written), or
 * HC_ENOTWATCHED. Thread-safe.
 */
HC_API HC_DEPRECATED("hc_config_history") int hc_history(hc_engine *e,
                                                         const char *path,
                                                         hc_version_info *out,
                                                         int max);

/*
 * One kept version: *content (malloc'd copy, NUL-terminated, free() it)
 * and *len, and/or *doc (new reference); each out-pointer may be NULL.
 * Returns 0, HC_ENOTWATCHED, or HC_EHISTORY when version is not kept.
 * Thread-safe.
 */
HC_API HC_DEPRECATED("hc_config_history_get") int hc_history_get(
    hc_engine *e, const char *path, uint64_t version, char **content,
    size_t *len, json_t **doc);

/*
 * Makes the version versions_back steps behind the live one live at once,
 * as a new version (trigger HC_TRIGGER_ROLLBACK; so a rollback can itself
 * be rolled back), and rewrites the file atomically with that version's
 * content (temp file in the same directory, fsync, rename; mode and owner
 * kept; through a symlink, the target is rewritten) so that disk and
 * memory agree and the watcher does not flip back. Subscribers are
 * notified by the dispatch thread. Nothing changes when it fails:
 * HC_EINVAL (versions_back < 1), HC_ENOTWATCHED, HC_EHISTORY (fewer
 * versions kept), HC_ESYS (the file cannot be written; message in
 * hc_engine_last_error). Thread-safe; callable from a callback.
 */
HC_API HC_DEPRECATED("hc_config_rollback") int hc_rollback(hc_engine *e,
                                                           const char *path,
                                                           int versions_back);

/* ---- statistics ------------------------------------------------------- */

/* Latency histogram: bucket 0 counts < 1 us, bucket i (1..N-2) counts
 * [2^(i-1), 2^i) us, the last one everything above. */
#define HC_STATS_BUCKETS 24

typedef struct hc_stats {
    uint64_t files;          /* configs watched (per config: 1) */
    uint64_t files_polled;   /* of which polled */
    uint64_t loads;          /* first loads applied */
    uint64_t reloads;        /* later versions applied from the file */
    uint64_t rollbacks;      /* versions applied by hc_rollback */
    uint64_t unchanged;      /* events whose content hash was the same */
    uint64_t parse_failures; /* rejected by the parser or size limit */
    uint64_t validation_failures;
    uint64_t read_failures; /* unreadable file */
    uint64_t missing;       /* times the file went missing */
    uint64_t subscriber_failures;
    uint64_t rescans; /* overflow / requested rescans */
    /* detection-to-apply latency of reloads (not loads or rollbacks) */
    uint64_t latency_count;
    uint64_t latency_last_ns, latency_max_ns, latency_mean_ns;
    uint64_t latency_hist[HC_STATS_BUCKETS];
    /* ---- added after 0.1.0 (0 for callers of hc_engine_stats built
     * against an older header; hc_engine_stats_sized fills them) ---- */
    uint64_t vetoes;  /* versions a prepare callback refused */
    uint64_t reverts; /* versions reverted after a subscriber failed */
} hc_stats;

/* The engine's totals (configs since unwatched included). Thread-safe. */
HC_API void hc_engine_stats(hc_engine *e, hc_stats *out);

/* One config's counters. Returns 0 or HC_ENOTWATCHED. Thread-safe. */
HC_API int hc_config_stats(hc_engine *e, const char *path, hc_stats *out);

/* The same for a struct of size bytes (pass sizeof(hc_stats)): fields
 * past size are not written, so a program built against an older header
 * keeps working. hc_engine_stats / hc_config_stats write the 0.1.0
 * fields only. Thread-safe. */
HC_API void hc_engine_stats_sized(hc_engine *e, hc_stats *out, size_t size);
HC_API int hc_config_stats_sized(hc_engine *e, const char *path, hc_stats *out,
                                 size_t size);

/*
 * {"total":{...},"configs":{PATH:{... ,"version":N,"mode":"inotify",
 * "healthy":B},...}} with the hc_stats fields (latencies as
 * latency_last_us, latency_mean_us, latency_max_us: whole microseconds,
 * rounded; the histogram as {"<1us":n,"<2us":n,...} without empty
 * buckets). Per config, "version" is the live version (0: none), "mode"
 * the source following it, "healthy" true when the config has no last
 * error (hc_config_last_error() would return 0). New reference, NULL on
 * ENOMEM. Thread-safe.
 */
HC_API json_t *hc_engine_stats_json(hc_engine *e);

/* ---- hc_noun_verb names, per-call errors, growth-safe options --------
 *
 * The same operations as above under hc_noun_verb names, each with an
 * hc_error *err out-parameter (may be NULL) that receives this call's
 * error, so two threads failing at once each get their own (the shared
 * hc_engine_last_error() is still set, for the old names). A config is
 * named by its identity string: a path for files, a URI for other
 * sources: "etcd://HOST:PORT[,HOST:PORT...]/KEY" (built with
 * HC_WITH_ETCD) is followed from etcd on a thread of its own, its first
 * version read before hc_engine_watch returns; a deleted key is reported
 * like a missing file (HC_ENOENT, the live version stays), and
 * hc_config_rollback writes back with a compare-and-swap on the live
 * version's revision (HC_ESTATE when someone else wrote since). The watch
 * mode and poll interval concern files only. Options are passed
 * with the size the caller was compiled with (the macros do it), so a
 * program built against an older header keeps working.
 */

/* hc_engine_new for an options struct of opts_size bytes. */
HC_API hc_engine *hc_engine_new_sized(const hc_engine_options *opts,
                                      size_t opts_size);
#define hc_engine_create(opts)                                                 \
    hc_engine_new_sized((opts), sizeof(hc_engine_options))

/* hc_watch with per-call errors; opts_size is sizeof(hc_watch_options) of
 * the caller's header (hc_engine_watch passes it). */
HC_API int hc_engine_watch_sized(hc_engine *e, const char *id,
                                 const hc_watch_options *opts, size_t opts_size,
                                 hc_error *err);
#define hc_engine_watch(e, id, opts, err)                                      \
    hc_engine_watch_sized((e), (id), (opts), sizeof(hc_watch_options), (err))

HC_API int hc_engine_unwatch(hc_engine *e, const char *id, hc_error *err);
HC_API int hc_config_subscribe(hc_engine *e, const char *id, hc_change_cb cb,
                               void *user_data, hc_error *err);
HC_API int hc_engine_unsubscribe(hc_engine *e, int subscription, hc_error *err);
HC_API int hc_config_rollback(hc_engine *e, const char *id, int versions_back,
                              hc_error *err);
HC_API int hc_config_history(hc_engine *e, const char *id, hc_version_info *out,
                             int max, hc_error *err);
HC_API int hc_config_history_get(hc_engine *e, const char *id, uint64_t version,
                                 char **content, size_t *len, json_t **doc,
                                 hc_error *err);
HC_API int hc_config_rescan(hc_engine *e, const char *id, hc_error *err);

/* ---- engine-wide subscription (dashboards, logs) ----------------------- */

typedef enum hc_event_kind {
    HC_EVENT_CHANGE = 0, /* a version went live (change is set) */
    HC_EVENT_REJECTION,  /* a version or read failed (error is set) */
    HC_EVENT_REMOVAL     /* the config was unwatched (neither is set) */
} hc_event_kind;

/* One event about one config. Everything is borrowed, valid during the
 * callback only (as for hc_change_cb). */
typedef struct hc_event {
    hc_event_kind kind;
    const char *id;                 /* the config's identity */
    const hc_change_record *change; /* HC_EVENT_CHANGE, else NULL */
    const hc_error_record *error;   /* HC_EVENT_REJECTION, else NULL */
} hc_event;

typedef void (*hc_event_cb)(const hc_event *ev, void *user_data);

/*
 * Subscribes to every config's changes, rejections and removals, from
 * this call on (configs watched later included). cb runs where that
 * config's callbacks run (see "Threads and callbacks"), after the
 * config's own subscribers: per config in order; for different configs
 * possibly at the same time on different threads. Returns an id > 0 for
 * hc_engine_unsubscribe, HC_EINVAL, HC_ENOMEM, or HC_ELIMIT when
 * HC_ENGINE_SUBSCRIBERS_MAX are subscribed already (the dashboard and the
 * etcd rollout reporter use one each). Thread-safe; callable from a
 * callback.
 */
#define HC_ENGINE_SUBSCRIBERS_MAX 8
HC_API int hc_engine_subscribe(hc_engine *e, hc_event_cb cb, void *user_data,
                               hc_error *err);

/*
 * Stops the monitor thread started by hc_engine_start (waits for the
 * callback in progress); watches, snapshots and history stay, and changes
 * made meanwhile are picked up by the next hc_engine_start() or
 * hc_engine_dispatch(). Returns 0, HC_ESTATE when not started or when
 * called from a callback on the monitor thread. Thread-safe.
 */
HC_API int hc_engine_stop(hc_engine *e);

/* ---- service integration (the convenience layer) ---------------------- */

/* Receives a service's new document (borrowed, valid during the call). */
typedef int (*hc_service_cb)(const char *service, const json_t *doc,
                             void *user_data);

/*
 * Registers a named service: watches path on e (NULL: the default engine,
 * started on first use), or subscribes when path is already watched, and
 * calls cb with the document of every version, the first included.
 * Returns 0; HC_EEXIST (name taken), HC_EINVAL, HC_ENOMEM, or hc_watch's
 * error. Thread-safe.
 */
HC_API int hc_service_register(hc_engine *e, const char *name, const char *path,
                               hc_service_cb cb, void *user_data);
/* The service's live document (new reference) or NULL. Thread-safe (a
 * short lock on the service table, then the lock-free hc_config_get). */
HC_API json_t *hc_service_config(const char *name);
/* Unsubscribes the service (the watch stays while others use it).
 * Returns 0 or HC_ENOTWATCHED. Thread-safe. */
HC_API int hc_service_unregister(const char *name);

/*
 * The process-wide default engine, created and started on first use;
 * NULL when it cannot be created. Thread-safe.
 */
HC_API hc_engine *hc_default_engine(void);

/*
 * One line for programs: watch path on the default engine (or subscribe
 * when it is already watched) and call cb on every version, the first
 * included, on the default engine's monitor thread. Returns a subscription
 * id > 0 (for hc_unsubscribe(hc_default_engine(), id)) or a negative
 * error. Thread-safe.
 */
HC_API int hc_watch_config(const char *path, hc_change_cb cb, void *user_data);

/* Frees the default engine and the services (at exit, if you want a
 * valgrind-clean process). Not from a callback. */
HC_API void hc_default_engine_shutdown(void);

/*
 * Options of the convenience layer, so that a service is not silent:
 * hc_service_register_opts() and hc_watch_config_opts(). Fill with
 * hc_service_options_init() (which sets size), then set what you need;
 * fields are only ever appended, and size tells the library which ones
 * your program knows.
 *
 * Threads: cb (the change callback), on_error and log run on the
 * engine's delivery threads (its monitor thread or a delivery worker),
 * one call at a time per service and in order, never under a library
 * lock (they may call the library). log also runs on the registering
 * thread for what happens during the call. Ownership: strings are copied
 * (schema_path is loaded once, at registration, and the compiled schema
 * is the service's); user_data is yours and passed as is.
 */
typedef struct hc_service_options {
    size_t size;             /* sizeof(hc_service_options), set by _init */
    const char *schema_path; /* JSON Schema file every version must pass
                                (NULL: none) */
    hc_format format;        /* HC_FORMAT_AUTO: from the file name */
    void *user_data;         /* given to on_error and log */
    /* A version rejected (parse, schema, veto), the file missing or
     * unreadable, a change callback that failed (HC_ECALLBACK). */
    hc_error_cb on_error;
    /* One line per event of this service: HC_LOG_INFO for a version
     * that went live ("app: version 3 live (modify, 2 changes)"),
     * HC_LOG_WARN for each error as on_error sees it
     * ("app.yaml:4:9: ..."). */
    hc_log_cb log;
} hc_service_options;

HC_API void hc_service_options_init(hc_service_options *o);

/* Receives every version of a service with its change record: the new
 * and old documents and the diff between them (all borrowed, valid
 * during the call). Non-zero: a failure (on_error gets HC_ECALLBACK; the
 * version stays live). */
typedef int (*hc_service_change_cb)(const char *service,
                                    const hc_change_record *rec,
                                    void *user_data);

/*
 * hc_service_register with options: watches path on e (NULL: the default
 * engine), calls cb with the change record of every version, the first
 * included, and reports errors (options above). The watch is the
 * service's: path must not be watched already (HC_EEXIST), and
 * hc_service_unregister ends it. opts may be NULL (defaults); err (may
 * be NULL) receives the reason of a failure. Returns 0; HC_EEXIST (name
 * taken, or path already watched), HC_EINVAL, HC_ENOMEM, a schema
 * loading error, or hc_watch's error. A missing file is not a failure
 * here: on_error hears of it, and its first version applies when it
 * appears. Thread-safe.
 */
HC_API int hc_service_register_opts(hc_engine *e, const char *name,
                                    const char *path, hc_service_change_cb cb,
                                    void *user_data,
                                    const hc_service_options *opts,
                                    hc_error *err);

/*
 * hc_watch_config with options: watches path on the default engine with
 * the schema, format and error reporting of opts (NULL: defaults) and
 * subscribes cb (the change record, diff included). path must not be
 * watched already (HC_EEXIST). Returns a subscription id > 0 or a
 * negative error (err filled). The watch, its schema and its callbacks
 * stay until hc_default_engine_shutdown(). Thread-safe.
 */
HC_API int hc_watch_config_opts(const char *path, hc_change_cb cb,
                                void *user_data, const hc_service_options *opts,
                                hc_error *err);

/* ====================================================================== */
/* Dashboard, JSON API and metrics over HTTP (src/http/)                    */
/* ====================================================================== */

/*
 * hc_http_start() serves a live dashboard for an engine: HTML pages (the
 * web/ folder, embedded at build time), a JSON API under /api/, Server-Sent
 * Events on /api/events and Prometheus metrics on /metrics (README:
 * "Dashboard"). It can also keep a static, self-refreshing HTML page on
 * disk (dashboard_file), with or without the HTTP listener.
 *
 * The HTTP listener needs libmicrohttpd (CMake option HC_WITH_HTTP, on by
 * default); hc_http_has_server() tells whether this build has it. The
 * static page needs nothing else.
 *
 * Threads: the hc_http subscribes to the engine (hc_engine_subscribe);
 * its callback, on the engine's delivery thread, only queues a copy of the
 * event (no lock of the hc_http's views, no I/O). A hub thread of the
 * hc_http then reads the configs named (stats, last error, live
 * snapshot), sends each event to the SSE clients and rewrites
 * dashboard_file. So changes reach the page as the engine delivers them:
 * after hc_engine_start() at once, in dispatch mode when the application
 * calls hc_engine_dispatch(). libmicrohttpd runs one thread per
 * connection (at most max_connections). None of them runs engine
 * callbacks or holds an engine lock while answering. The attempt log and
 * history are read from the engine's store (hc_config_attempts,
 * hc_config_history: persisted with hc_engine_options.state_dir). A
 * rollback asked over HTTP is hc_rollback() on the connection's thread;
 * its notification is delivered by the engine's dispatch thread as usual.
 */
typedef struct hc_http hc_http;

/* hc_http_options.port: no HTTP listener (only dashboard_file). */
#define HC_HTTP_NO_LISTEN (-1)

typedef struct hc_http_options {
    size_t size; /* sizeof(hc_http_options), set by hc_http_options_init */
    /* Address to bind: an IPv4 or IPv6 literal. NULL: "127.0.0.1". Any
     * non-loopback address is logged as a warning (HC_LOG_WARN). */
    const char *address;
    /* TCP port; 0 picks a free one (hc_http_port tells which);
     * HC_HTTP_NO_LISTEN serves nothing. */
    int port;
    /* Bearer token for state-changing requests (POST). NULL: read from
     * state_dir/http.token, created there (mode 0600, 32 random bytes in
     * hex) on first start. Copied. */
    const char *token;
    /* Folder of http.token. NULL: /var/lib/hotconf for root, else
     * $XDG_STATE_HOME/hotconf, else $HOME/.local/state/hotconf (created
     * 0700). Copied. */
    const char *state_dir;
    /* Rewritten atomically (temp file, fsync, rename) after every change,
     * a page that reloads itself every 5 s. NULL: none. Copied. */
    const char *dashboard_file;
    int max_connections; /* 0: 64 (SSE clients: half of that) */
    int timeout_s;       /* idle time before a connection is closed; 0: 10 */
    size_t max_header_bytes; /* request line + headers; 0: 16384 */
    size_t max_body_bytes;   /* POST body; 0: 4096 */
    hc_log_cb log;           /* warnings and start-up notes; NULL: silent */
    void *log_data;
} hc_http_options;

/* Fills defaults (every field 0 or NULL except size). Thread-safe. */
HC_API void hc_http_options_init(hc_http_options *opts);

/*
 * Starts serving engine e (borrowed: stop the hc_http before freeing the
 * engine). opts may be NULL (defaults; then the token comes from the
 * default state folder). Returns a new hc_http, or NULL with err filled:
 * HC_EINVAL (bad options or address), HC_ESYS (cannot bind, token file),
 * HC_ENOTSUP (a listener was asked of a build without libmicrohttpd).
 * Thread-safe.
 */
HC_API hc_http *hc_http_start(hc_engine *e, const hc_http_options *opts,
                              hc_error *err);

/* Stops the listener (open SSE streams end, requests in progress finish),
 * the watcher thread, writes dashboard_file a last time and frees h.
 * Accepts NULL. Call it before hc_engine_free, from a thread that is not
 * inside an engine callback. */
HC_API void hc_http_stop(hc_http *h);

/* The bound TCP port (after port 0), 0 without a listener. Thread-safe. */
HC_API int hc_http_port(const hc_http *h);

/* The bearer token in use (borrowed, lives as long as h). Thread-safe. */
HC_API const char *hc_http_token(const hc_http *h);

/* 1 when this build has the HTTP listener (libmicrohttpd), else 0. */
HC_API int hc_http_has_server(void);

/*
 * Writes the static dashboard of e's current state to file, atomically
 * (temp file in the same folder, fsync, rename; mode 0644): one
 * self-contained HTML page (no server, no network), with config values
 * escaped and secrets masked, that reloads itself every 5 s. Returns 0 or
 * HC_ESYS / HC_ENOMEM with err filled. Thread-safe.
 */
HC_API int hc_dashboard_export(hc_engine *e, const char *file, hc_error *err);

/* ---- reload attempts (the attempt log the dashboard and `hotconf log`
 * show) ---------------------------------------------------------------- */

/*
 * One reload attempt of a config: what was tried, what became of it. A
 * fixed layout (it never grows: a later field would come with a new call),
 * filled by hc_config_attempts. Strings marked malloc'd belong to the
 * caller and are freed, with the array of changed paths, by
 * hc_attempt_info_free.
 */
typedef struct hc_attempt_info {
    int64_t time_ns;     /* CLOCK_REALTIME when it was decided */
    const char *outcome; /* static: "applied", "rejected", "vetoed",
                            "missing", "reverted", "rolled_back" (as
                            `hotconf log` prints them) */
    hc_trigger trigger;  /* what was being applied */
    uint64_t version;    /* the version it made live; 0 when none */
    char *error;         /* malloc'd, as hc_error_format writes it:
                            "file:line:col: message" (a schema error names
                            its JSON pointer in the message); NULL when the
                            attempt succeeded */
    int64_t latency_us;  /* change detected -> decided; 0 when unknown */
    char **changed;      /* malloc'd array of nchanged malloc'd paths (as
                            hc_get spells them) changed from the previous
                            version; NULL when none */
    size_t nchanged;
} hc_attempt_info;

/*
 * The recorded reload attempts of config id, newest first, into
 * out[0..max). With hc_engine_options.state_dir they are the persisted
 * log (attempts of earlier runs included, as many as the store keeps:
 * 1000 per config, 30 days); without, the last 100 of this process, each
 * with at most 32 changed paths. Returns how many are kept (may exceed
 * max: only max are written; free them with hc_attempt_info_free), or
 * HC_ENOTWATCHED, HC_EINVAL, HC_ENOMEM with err filled. Thread-safe; reads
 * the store with no engine lock held.
 */
HC_API int hc_config_attempts(hc_engine *e, const char *id,
                              hc_attempt_info *out, int max, hc_error *err);

/* Frees the strings of out[0..n) (as filled by hc_config_attempts) and
 * zeroes the entries. NULL is fine. */
HC_API void hc_attempt_info_free(hc_attempt_info *out, int n);
/* ---- etcd (built with HC_WITH_ETCD, libcurl) ---------------------------
 * url names an etcd key: etcd://HOST:PORT[,HOST:PORT...]/KEY, spoken to
 * through etcd's v3 JSON gateway; endpoints are tried in order. Both calls
 * block (bounded by a 2 s connect and a 5 s request timeout per endpoint)
 * and are thread-safe. Without HC_WITH_ETCD they return HC_ENOTSUP.
 * libcurl.so.4 is dlopen'ed on the first etcd call, not linked; when it
 * cannot be loaded every etcd call (and an etcd:// watch) returns
 * HC_ENOTSUP, err saying so.
 */

/* Reads the key: *value (malloc'd, NUL-terminated, free()) is NULL and
 * *mod_revision 0 when it does not exist. Returns 0, HC_EINVAL (not an
 * etcd name) or HC_EIO (err says which endpoint failed how). */
HC_API int hc_etcd_read(const char *url, char **value, size_t *len,
                        int64_t *mod_revision, hc_error *err);

/* Writes value to the key. expect_mod_revision >= 0: compare-and-swap,
 * written only if the key's mod_revision is still that (0: the key must
 * not exist); < 0: unconditionally. *revision (may be NULL) receives the
 * revision written. Returns 0; HC_ESTATE when someone else wrote first
 * (err names the mod_revision found); HC_EINVAL; HC_EIO. */
HC_API int hc_etcd_write(const char *url, const char *value, size_t len,
                         int64_t expect_mod_revision, int64_t *revision,
                         hc_error *err);

/* ====================================================================== */
/* Composition: layers, folders, struct binding (src/compose/)             */
/* ====================================================================== */

/*
 * One config built from ordered layers, as Viper, koanf and convict do:
 * defaults, then files (a conf.d folder or a glob is one layer of several
 * files, in lexical order), then environment variables, then explicit
 * overrides. Whatever order the hc_layers_add_* calls come in, they merge
 * in the order they were added; the CLI adds them as defaults, files,
 * environment, overrides.
 *
 * Merge rules: an object merges into an object key by key, recursively;
 * anything else (a scalar, an array, an object over a non-object, or a
 * non-object over an object) replaces what the earlier layers had. null is
 * a value like any other (it replaces; it does not delete).
 *
 * Provenance: after hc_layers_load(), hc_layers_explain() tells which
 * layer a value came from: the file name, "defaults", "env:NAME" or
 * "override".
 *
 * Threads: an hc_layers is used by one thread at a time.
 */
typedef struct hc_layers hc_layers;

/* Editor and temporary files that folders and globs skip by default
 * (fnmatch patterns on the base name). */
#define HC_COMPOSE_IGNORE_DEFAULT "*~", ".*.swp", "#*#", ".#*", "*.tmp"

typedef struct hc_layers_options {
    size_t size; /* sizeof(hc_layers_options), set by hc_layers_options_init */
    /* How files are parsed (copied; positions ignored: every file layer
     * records its own). NULL: defaults. */
    const hc_parse_options *parse;
    /* Base-name patterns (fnmatch) that folder and glob layers skip,
     * NULL-terminated; copied. NULL: HC_COMPOSE_IGNORE_DEFAULT. A list
     * holding only NULL ignores nothing. */
    const char *const *ignore;
} hc_layers_options;

/* hc_layers_add_file flags. */
#define HC_LAYER_OPTIONAL 0x1 /* a missing file (or folder) is skipped */
#define HC_LAYER_DEFAULTS 0x2 /* the file is named "defaults" by explain */

/* One layer's claim on a value (strings borrowed from the hc_layers,
 * valid until its next hc_layers_load or hc_layers_free). */
typedef struct hc_layer_origin {
    const char *name; /* "conf.d/10-a.yaml", "defaults", "env:APP_X",
                         "override" */
    const char *file; /* the file it was read from, NULL for none */
    int line, column; /* of the value in file; 0 when unknown */
    int layer;        /* 0-based index of the hc_layers_add_* call */
} hc_layer_origin;

/* Fills defaults (every field 0 or NULL except size). */
HC_API void hc_layers_options_init(hc_layers_options *o);
/* A new empty layer list (opts may be NULL), NULL on ENOMEM. */
HC_API hc_layers *hc_layers_new_sized(const hc_layers_options *opts,
                                      size_t opts_size);
#define hc_layers_new(opts)                                                    \
    hc_layers_new_sized((opts), sizeof(hc_layers_options))
HC_API void hc_layers_free(hc_layers *l);

/* A defaults document (an object; deep-copied). Returns 0, HC_EINVAL,
 * HC_ENOMEM. */
HC_API int hc_layers_add_defaults(hc_layers *l, const json_t *doc,
                                  hc_error *err);
/* The "default"s of a JSON Schema as a defaults layer: every "default"
 * found under "properties" (recursively, and through allOf), placed at
 * its property's path; a "default" of an object schema is the base its
 * properties' defaults merge over. $refs are not followed. */
HC_API int hc_layers_add_schema_defaults(hc_layers *l, const json_t *schema,
                                         hc_error *err);
/*
 * A file, a folder or a glob pattern (a name holding *, ? or [), read at
 * each hc_layers_load. A folder contributes its regular files whose name
 * implies a format (hc_format_from_name), a pattern its matches; both in
 * lexical (byte) order, the ignore list skipped, each file a source of
 * its own for explain. Flags: HC_LAYER_OPTIONAL, HC_LAYER_DEFAULTS. A
 * pattern matching nothing is an empty layer, never an error. Returns 0,
 * HC_EINVAL, HC_ENOMEM.
 */
HC_API int hc_layers_add_file(hc_layers *l, const char *path, int flags,
                              hc_error *err);
/*
 * Environment variables named PREFIX... (prefix "APP_"; "APP" means the
 * same), read at each load: the rest of the name is lower-cased and split
 * on sep (NULL: "__") into a path, APP_SERVICE__PORT=9090 setting
 * service.port; values are typed like .env scalars (9090 an integer,
 * true a boolean, 1.5 a real, anything else a string). Variables are
 * applied in name order; one with an empty segment (APP___X) is skipped.
 */
HC_API int hc_layers_add_env(hc_layers *l, const char *prefix, const char *sep,
                             hc_error *err);
/*
 * An override "PATH=VALUE" (hc_get path syntax, keys only). VALUE is
 * typed like an environment value, except that one starting with '[',
 * '{' or '"' is read as JSON (servers=["a","b"]). Returns 0, HC_EINVAL
 * (no '='), HC_EPATH (bad or indexed path), HC_EPARSE (bad JSON),
 * HC_ENOMEM; err says which.
 */
HC_API int hc_layers_add_override(hc_layers *l, const char *assignment,
                                  hc_error *err);

/*
 * Reads every layer now and merges them. Returns the merged document (a
 * new reference; an object, {} when every layer is empty), or NULL with
 * err filled: a file's parse error with its file:line:col, HC_ENOENT for
 * a missing required file, HC_ETYPE for a file whose top level is not an
 * object. The provenance of the result is kept for hc_layers_explain.
 */
HC_API json_t *hc_layers_load(hc_layers *l, hc_error *err);

/*
 * Which layers gave the value at path (hc_get syntax) in the last loaded
 * document. out[0] is the deciding one: for a scalar or an array, the
 * layer that set it; for an object, the last layer that contributed to
 * it, then out[1..] the earlier contributors, latest first. Writes at
 * most max entries and returns how many there are (>= 1), HC_ENOTFOUND
 * (no such value, or nothing loaded), HC_EPATH.
 */
HC_API int hc_layers_explain(const hc_layers *l, const char *path,
                             hc_layer_origin *out, size_t max);
/*
 * The files a folder or a glob pattern names now, as a layer reads them
 * (see hc_layers_add_file; ignore NULL: HC_COMPOSE_IGNORE_DEFAULT): a
 * malloc'd array of *n malloc'd paths, lexical order, for
 * hc_compose_files_free. A plain file name gives itself when it exists.
 * Returns 0, HC_ENOENT (no such folder or file), HC_ENOMEM. Thread-safe.
 */
HC_API int hc_compose_files(const char *path, const char *const *ignore,
                            char ***files, size_t *n);
HC_API void hc_compose_files_free(char **files, size_t n);

/* The same for a JSON pointer ("/service/port"), e.g. a schema error's
 * instance location: the deciding layer and the value's position in it.
 * Returns 0 or HC_ENOTFOUND. */
HC_API int hc_layers_origin_at(const hc_layers *l, const char *pointer,
                               hc_layer_origin *out);

/*
 * Folders, globs and layers as watch targets: an hc_group follows what
 * appears in and disappears from folders.
 *
 * Per file (the default): hc_group_watch(e, PATTERN or "conf.d"), PATTERN
 * a glob such as conf.d/ followed by *.yaml,
 * watches each matching file with hc_engine_watch (so each is a config of
 * its own, identity = its path as listed: "conf.d/10-a.yaml"), watches a
 * file that appears (once written: close after write, or moved in) and
 * unwatches one that is deleted or moved away and has not come back after
 * settle_ms (an editor's save by rename is not a removal). Changes to a
 * followed file are the engine's, as for any watch.
 *
 * Merged (HC_GROUP_MERGE, or hc_group_watch_layers): the files, in
 * lexical order, or the layers, merge into one document (see hc_layers),
 * which is validated as a whole (watch->validate and watch->schema, errors
 * at the layer's file:line:col) and then written, as JSON, to merged_file
 * (mode 0600) that the engine watches as the config: history, diffs,
 * snapshots, stats and the dashboard work as for one file, under that
 * identity (hc_group_id). A change in any layer merges again; the event
 * names the layer that caused it. Only the last path component of a
 * pattern may hold wildcards. The environment is read at each merge.
 *
 * Threads: the group's own inotify fd is read by hc_group_dispatch() on
 * the caller's thread (embed hc_group_fd() in your loop, as with the
 * engine), or by a thread of the group's after hc_group_start(). The
 * ADDED, REMOVED, REJECTED events (and watch->on_error for a rejected
 * merge) run there; CHANGED (merged mode) runs where the engine runs the
 * merged config's subscribers. Group calls are not thread-safe, except
 * hc_group_id and what the callbacks receive.
 */
typedef struct hc_group hc_group;

typedef enum hc_group_event_kind {
    HC_GROUP_ADDED = 0, /* per file: a file is now watched */
    HC_GROUP_REMOVED,   /* per file: a file went away and was unwatched */
    HC_GROUP_CHANGED,   /* merged: a version went live (change is set) */
    HC_GROUP_REJECTED   /* merged: a merge failed (error is set) */
} hc_group_event_kind;

/* Everything borrowed, valid during the callback. */
typedef struct hc_group_event {
    hc_group_event_kind kind;
    const char *id;                 /* the config: the file, or hc_group_id() */
    const char *layer;              /* what caused it: a file name, "defaults",
                                       "env", "initial" (the first merge) */
    const hc_change_record *change; /* HC_GROUP_CHANGED */
    const hc_error *error;          /* HC_GROUP_REJECTED */
} hc_group_event;

typedef void (*hc_group_cb)(const hc_group_event *ev, void *user_data);

#define HC_GROUP_MERGE 0x1 /* hc_group_options.flags */

typedef struct hc_group_options {
    size_t size; /* sizeof(hc_group_options), set by hc_group_options_init */
    /* Options of every watch the group makes (per file: each file;
     * merged: the merged config). The struct is copied, what it points to
     * is borrowed (must outlive the group). NULL: defaults. */
    const hc_watch_options *watch;
    /* Base-name patterns that are not configs (copied); NULL:
     * HC_COMPOSE_IGNORE_DEFAULT. */
    const char *const *ignore;
    int flags;     /* HC_GROUP_MERGE */
    int settle_ms; /* wait before a vanished file counts as removed; 0: 100 */
    /* Merged: the file the merged document is written to and watched as
     * (copied). NULL: $XDG_RUNTIME_DIR (else /tmp) /hotconf-UID/
     * merged-HASH.json, HASH of the layers' kinds and absolute paths, so
     * that a restart with the same layers watches the same identity (its
     * history in a state folder continues); the folder is made 0700 and
     * must be the user's; the file is removed by hc_group_free. */
    const char *merged_file;
    hc_group_cb on_event; /* may be NULL */
    void *user_data;
} hc_group_options;

HC_API void hc_group_options_init(hc_group_options *o);

/*
 * Watches a folder (its files whose name tells a format) or a pattern
 * (a glob: only its last part may hold wildcards) on e, loading what is there
 * now. Returns the group, or NULL with err filled: HC_EINVAL (wildcards before
 * the last component), HC_ENOENT (no such folder), HC_ESYS (inotify), or the
 * first load's error in merged mode with HC_WATCH_REQUIRE.
 */
HC_API hc_group *hc_group_watch_sized(hc_engine *e, const char *target,
                                      const hc_group_options *opts,
                                      size_t opts_size, hc_error *err);
#define hc_group_watch(e, target, opts, err)                                   \
    hc_group_watch_sized((e), (target), (opts), sizeof(hc_group_options), (err))

/* The same, merged, for layers (taken: the group frees them, also on
 * failure); each file, folder and pattern layer is followed. */
HC_API hc_group *hc_group_watch_layers_sized(hc_engine *e, hc_layers *layers,
                                             const hc_group_options *opts,
                                             size_t opts_size, hc_error *err);
#define hc_group_watch_layers(e, layers, opts, err)                            \
    hc_group_watch_layers_sized((e), (layers), (opts),                         \
                                sizeof(hc_group_options), (err))

/* The group's inotify fd: readable when hc_group_dispatch has work. */
HC_API int hc_group_fd(const hc_group *g);
/* Waits up to timeout_ms (-1: forever, 0: not at all) for folder events
 * and handles them and the timers due. Returns the events delivered
 * (>= 0), HC_ESTATE after hc_group_start, HC_ESYS. */
HC_API int hc_group_dispatch(hc_group *g, int timeout_ms);
/* The next time hc_group_dispatch must run (a removal or merge waits),
 * in ms from now; -1 when nothing waits. For your own loop's timeout. */
HC_API int hc_group_timeout(const hc_group *g);
/* Starts a thread that dispatches. Returns 0, HC_ESTATE, HC_ESYS. */
HC_API int hc_group_start(hc_group *g);
/* Merged: the merged config's identity (borrowed); per file: the target.
 * Thread-safe. */
HC_API const char *hc_group_id(const hc_group *g);
/* Per file: how many files are watched now; merged: 1. */
HC_API size_t hc_group_count(const hc_group *g);
/* Stops the thread, unwatches the group's configs, frees it. Not from a
 * group or engine callback. Accepts NULL. */
HC_API void hc_group_free(hc_group *g);

/*
 * Binding a config into a C struct: a table of fields says, for each
 * member, its path, type, offset, default and limits. Each version the
 * engine is about to apply is decoded first (the binding's validator), so
 * a value that does not fit rejects the version, with the value's
 * position; each version that went live is decoded into a new struct that
 * is published like a snapshot: readers take it lock-free and get one
 * consistent struct, never a mix of two versions.
 *
 *   struct cfg { int64_t port; int64_t timeout_ns; uint64_t cache;
 *                const char *host; int level; };
 *   static const char *const levels[] = {"debug", "info", "warn", NULL};
 *   static const hc_field fields[] = {
 *       {"service.port", HC_FIELD_INT, offsetof(struct cfg, port), "8080",
 *        "1", "65535"},
 *       {"service.timeout", HC_FIELD_DURATION,
 *        offsetof(struct cfg, timeout_ns), "30s"},
 *       {"cache.size", HC_FIELD_SIZE, offsetof(struct cfg, cache), "64MiB"},
 *       {"service.host", HC_FIELD_STRING, offsetof(struct cfg, host),
 *        "localhost"},
 *       {"log.level", HC_FIELD_ENUM, offsetof(struct cfg, level), "info",
 *        .choices = levels}};
 *
 * Member types: BOOL int (0/1); INT int64_t; DOUBLE double; STRING
 * const char * (NUL-terminated, owned by the struct's snapshot: valid
 * until hc_binding_release); DURATION int64_t nanoseconds ("30s", "1.5m",
 * "1h30m", "250ms", "10us", "5ns", "2d"; a bare number is seconds); SIZE
 * uint64_t bytes ("64MiB", "1.5GB", "512k": B, kB/KB, MB, GB, TB are
 * powers of 1000, KiB, MiB, GiB, TiB and a bare k, m, g, t powers of
 * 1024; a bare number is bytes); ENUM int, the index of the value in
 * choices. A config value must have the field's type (INT an integer,
 * DOUBLE any number, DURATION and SIZE a string or a number, ENUM one of
 * the choices).
 */
typedef enum hc_field_type {
    HC_FIELD_BOOL = 0,
    HC_FIELD_INT,
    HC_FIELD_DOUBLE,
    HC_FIELD_STRING,
    HC_FIELD_DURATION,
    HC_FIELD_SIZE,
    HC_FIELD_ENUM
} hc_field_type;

/* hc_field.flags */
#define HC_FIELD_REQUIRED 0x1 /* a missing value rejects the version */

typedef struct hc_field {
    const char *path; /* hc_get syntax */
    hc_field_type type;
    size_t offset; /* offsetof(your struct, member) */
    /* The value when the path is missing, written as in a config
     * ("30s", "64MiB", "true", "info"); NULL: zero (NULL for a string). */
    const char *def;
    /* Inclusive limits written like def (STRING: lengths in bytes); NULL:
     * none. Not for BOOL and ENUM. */
    const char *min, *max;
    const char *const *choices; /* ENUM: NULL-terminated names */
    int flags;                  /* HC_FIELD_REQUIRED */
} hc_field;

typedef struct hc_binding hc_binding;

/*
 * A binding of fields[0..nfields) (copied: the table may be freed; the
 * strings it points to must outlive the binding) into structs of
 * struct_size bytes. Returns NULL with err filled: HC_EINVAL for a field
 * whose default or limits do not parse or fit (err names the field).
 */
HC_API hc_binding *hc_binding_new(const hc_field *fields, size_t nfields,
                                  size_t struct_size, hc_error *err);

/*
 * Decodes doc into out (struct_size bytes, every field written; strings
 * borrowed from doc or the table). Returns 0, or HC_EVALIDATE with err
 * filled: err->pointer the value's JSON pointer, err->text "POINTER:
 * what is wrong" ("/service/port: 70000 is greater than the maximum of
 * 65535"). Thread-safe.
 */
HC_API int hc_binding_decode(const hc_binding *b, const json_t *doc, void *out,
                             hc_error *err);

/*
 * Installs the binding's validator in wo (the one wo had, if any, runs
 * first), so that a version that does not decode is rejected by the
 * engine with the value's file:line:col. Use wo for hc_engine_watch or
 * an hc_group. Returns 0 or HC_EINVAL.
 */
HC_API int hc_binding_watch_options(hc_binding *b, hc_watch_options *wo);

/*
 * Follows config id on e: publishes a struct for the live version now
 * (when there is one) and for every version that goes live after, in
 * version order, on the thread that runs the config's subscribers. One
 * config per binding. Returns 0, HC_ESTATE (already attached),
 * HC_ENOTWATCHED, HC_ENOMEM.
 */
HC_API int hc_binding_attach(hc_binding *b, hc_engine *e, const char *id,
                             hc_error *err);

/*
 * The live struct (NULL before the first version), and its config
 * version in *version (may be NULL). Lock-free (a hazard pointer while
 * the struct's reference count is raised): never blocks behind a reload
 * or another reader. The struct, its strings included, stays valid and
 * unchanged until hc_binding_release; hold it for one request, not
 * forever (each version you hold keeps its memory). Thread-safe.
 */
HC_API const void *hc_binding_acquire(hc_binding *b, uint64_t *version);
HC_API void hc_binding_release(hc_binding *b, const void *data);

/* Detaches (unsubscribes) and frees the binding. Readers must have
 * released their structs (hc_binding_free does not wait for them). Not
 * from the config's callbacks. Accepts NULL. */
HC_API void hc_binding_free(hc_binding *b);

/*
 * Connection options for every etcd call of the process (hc_etcd_read,
 * hc_etcd_write, the etcd source, the status reporter), taken when a
 * connection target is made: a follower keeps the options it started
 * with. Strings are copied. Auth: the user's token comes from POST
 * /v3/auth/authenticate and is sent in the Authorization header; a token
 * etcd calls invalid or expired is replaced once per request. TLS (https)
 * is used when cacert or cert is set: cacert verifies the server, cert +
 * key authenticate us. NULL fields: not used. Set size with
 * hc_etcd_options_init (fields may be added at the end).
 */
typedef struct hc_etcd_options {
    size_t size;
    const char *user;     /* auth user name, NULL: no auth */
    const char *password; /* its password (never logged) */
    const char *cacert;   /* PEM CA bundle that signed the server */
    const char *cert;     /* PEM client certificate */
    const char *key;      /* PEM private key of cert */
} hc_etcd_options;

HC_API void hc_etcd_options_init(hc_etcd_options *o);
/* Replaces the options (NULL: back to none). Returns 0, HC_EINVAL (size
 * unset, a password without a user, a key without a cert) or HC_ENOMEM;
 * HC_ENOTSUP without HC_WITH_ETCD. Thread-safe. */
HC_API int hc_etcd_configure(const hc_etcd_options *o, hc_error *err);

/*
 * Fleet rollout status: from now on every etcd config of e reports its
 * outcome under KEY/.status/NODE (node: NULL for the host name; [A-Za-z0-9
 * ._-] only) as one JSON object {"node", "revision" (the mod_revision
 * live here, 0: none), "hash" (of the live content, 16 hex digits),
 * "outcome" ("applied" or "rejected": the last revision tried),
 * "attempted" (that revision), "error" (why it was rejected, else null),
 * "time" (UTC, of the report)}, bound to a lease of ttl_s seconds (0: 10)
 * kept alive by the reporter's own thread, so a dead node's report goes
 * away after ttl_s; hc_engine_free revokes it. Network I/O never runs in
 * an engine callback. A config reports from its next attempt on: call
 * this before hc_engine_watch so the first load is reported. Returns 0,
 * HC_EINVAL (bad node), HC_EEXIST (already on), HC_ESYS, HC_ENOTSUP
 * without HC_WITH_ETCD.
 */
HC_API int hc_etcd_report_status(hc_engine *e, const char *node, int ttl_s,
                                 hc_error *err);

#ifdef __cplusplus
}
#endif

#endif /* HOTCONF_H */
