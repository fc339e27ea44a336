/*
 * state.h - what the operator verbs (history, show, rollback, log, status,
 * stats) share: the state folder, opening the store, times, masking.
 * These verbs read the SQLite store directly (src/stores/sqlite.h), so
 * they work with no watcher running.
 */
#ifndef HC_CLI_STATE_H
#define HC_CLI_STATE_H

#include "cli.h"
#include "mask.h"
#include "stores/sqlite.h"

/* Options every state verb takes. */
typedef struct cli_state_opts {
    const char *state;       /* --state DIR, NULL: the default */
    int json;                /* --json */
    const char *secret_keys; /* --secret-keys LIST (comma separated) */
} cli_state_opts;

/* One argument of an operator verb: --help (prints help), --state DIR,
 * --json, --secret-keys LIST. Returns CLI_NEXT (consumed), CLI_MINE (not
 * a shared one: the verb's own), or an exit status to return at once (0
 * after --help, 2 after a usage error, printed). */
#define CLI_NEXT (-1)
#define CLI_MINE (-2)
int cli_state_arg(const char *verb, const char *help, int argc, char **argv,
                  int *i, cli_state_opts *so);

/* The state folder: --state, else $XDG_STATE_HOME/hotconf, else
 * ~/.local/state/hotconf; /var/lib/hotconf as root. malloc'd. */
char *cli_state_dir(const char *given);

/* Opens the store for reading (no database: message, NULL). */
hc__sq *cli_state_open(const char *verb, const cli_state_opts *so);

/* "2026-12-01T22:30:00.123Z" into buf (32 bytes). */
const char *cli_time(int64_t ns, char *buf);
/* ISO 8601 (UTC, "Z" optional; date only allowed), @EPOCH seconds, or a
 * relative age "30s", "15m", "2h", "7d". -1 when unreadable. */
int64_t cli_parse_time(const char *s);

/* Masks, in place, the values whose key looks secret (src/mask.h: the
 * list secret_keys, comma separated; NULL: $HOTCONF_SECRET_KEYS, else the
 * default; "": none) or that the schema marks writeOnly (schema may be
 * NULL). */
void cli_mask(json_t *doc, const char *secret_keys, const json_t *schema);
/* Does this diff path (a.b[0].c) end in a secret key? */
int cli_path_is_secret(const char *path, const char *secret_keys,
                       const json_t *schema);

/* Prints the changes as hotconf diff does, each line after indent, secret
 * values masked. */
void cli_print_changes(const hc_changeset *cs, const char *indent,
                       const char *secret_keys, const json_t *schema);

#define CLI_MASK                HC__MASK
#define CLI_SECRET_KEYS_DEFAULT HC__MASK_KEYS_DEFAULT

/* The changes as hc_changeset_to_json gives them, secret values masked. */
json_t *cli_changes_json(const hc_changeset *cs, const char *secret_keys,
                         const json_t *schema);

/* Parses a stored version with its stored format; NULL with err set. */
json_t *cli_version_doc(const hc__sq_version *v, const char *file,
                        hc_error *err);

/* The schema document for masking and rollback checks: given (--schema),
 * else the one the watcher recorded for file, else NULL. *path (may be
 * NULL) gets the path used, malloc'd. */
json_t *cli_state_schema(hc__sq *s, const char *file, const char *given,
                         char **path);
#endif
