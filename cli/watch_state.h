/*
 * watch_state.h - hotconf watch --state DIR: every applied version and
 * every attempt of the watched configs go into the state database
 * (src/stores/sqlite.h), so the operator verbs can read them, across
 * restarts: version numbers continue from the stored ones and a file whose
 * content is already the stored live version makes no new version.
 * Everything here runs on the thread that dispatches the engine (the
 * watch loop). Writes are queued to the store's own thread.
 */
#ifndef HC_CLI_WATCH_STATE_H
#define HC_CLI_WATCH_STATE_H

#include "cli.h"

typedef struct cli_wstate cli_wstate;

/* Opens DIR for this watcher, keeping keep_versions versions per config
 * (0: 10). Prints the reason and returns NULL when another watcher holds
 * DIR. */
cli_wstate *cli_wstate_open(const char *dir, int keep_versions);
/* Before hc_watch(path): reads the stored numbering of path. */
void cli_wstate_attach(cli_wstate *ws, const char *path, hc_format format,
                       const char *schema_path);
/* From the change and error callbacks. */
void cli_wstate_change(cli_wstate *ws, hc_engine *e,
                       const hc_change_record *rec);
void cli_wstate_error(cli_wstate *ws, const hc_error_record *rec);
/* The stored version number of an engine version (what to print). */
uint64_t cli_wstate_version(const cli_wstate *ws, const char *path,
                            uint64_t engine_version);
/* Waits until everything recorded so far is in the database. */
void cli_wstate_flush(cli_wstate *ws);
void cli_wstate_close(cli_wstate *ws);

#endif
