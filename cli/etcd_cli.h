/*
 * etcd_cli.h - what the verbs share about etcd configs (cli/etcd_cli.c):
 * the connection flags, history and rollback on etcd's own revisions, the
 * fleet rollout status and push --wait.
 */
#ifndef HC_CLI_ETCD_H
#define HC_CLI_ETCD_H

#include "cli.h"

#include <stdint.h>

/* --etcd-user USER, --etcd-password-file FILE, --etcd-cacert FILE,
 * --etcd-cert FILE, --etcd-key FILE. */
typedef struct cli_etcd_opts {
    const char *user, *password_file, *cacert, *cert, *key;
} cli_etcd_opts;

#define CLI_ETCD_OPTS_HELP                                                     \
    "  --etcd-user USER  authenticate to etcd as USER (token refreshed)\n"     \
    "  --etcd-password-file FILE  USER's password: FILE's first line\n"        \
    "                  (never on the command line; default\n"                  \
    "                  $HOTCONF_ETCD_PASSWORD_FILE)\n"                         \
    "  --etcd-cacert FILE  speak TLS; FILE (PEM) signed etcd's certificate\n"  \
    "  --etcd-cert FILE --etcd-key FILE  TLS client certificate and key\n"

/* Is s an etcd config name? */
int cli_is_etcd(const char *s);
/* Does any argument name an etcd config? Is opt (--opt or --opt=...)
 * among the arguments? */
int cli_any_etcd(int argc, char **argv);
int cli_has_opt(int argc, char **argv, const char *opt);

/* If argv[*i] is one of the etcd flags, consumes it: 1; 0 not one; -1
 * usage error (printed, naming verb). */
int cli_etcd_opt(const char *verb, int argc, char **argv, int *i,
                 cli_etcd_opts *o);
/* Reads the password file and calls hc_etcd_configure. 0, or an exit
 * status (message printed). */
int cli_etcd_configure(const char *verb, const cli_etcd_opts *o);

/* hotconf history / rollback when the config is etcd://...: the whole
 * verb (own argument parsing). */
int cli_etcd_history(int argc, char **argv);
int cli_etcd_rollback(int argc, char **argv);

/* For watch: follow an etcd config already watched on e (until the
 * engine routes etcd:// ids itself), and report rollout status as node
 * (NULL: host name). 0 or an exit status (printed). */
int cli_etcd_follow(hc_engine *e, const char *id);
int cli_etcd_report(hc_engine *e, const char *node, int ttl);

/* For push --wait: waits until every node reporting under url's status
 * prefix has applied rev (0), or one rejected it (1, named on stderr), or
 * timeout_ms passed (1). */
int cli_etcd_wait(const char *url, int64_t rev, long timeout_ms);

#endif /* HC_CLI_ETCD_H */
