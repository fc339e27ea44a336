/*
 * mask.h - the one rule set for secret values (src/mask.c), used by the
 * CLI (show, diff, log, watch --events), the state store's recorded
 * errors and the dashboard (src/http/views.c), so a value hidden in one
 * place is hidden in all of them.
 *
 * A key looks secret when, spelled one way (lower case, '-' and a
 * camelCase hump as '_': DB-PASSWORD, apiKey -> db_password, api_key),
 * its last '.' segment ends in a list entry after a '_' or is the entry,
 * a plural 's' aside (passwords). The list is comma separated; NULL means
 * $HOTCONF_SECRET_KEYS, else HC__MASK_KEYS_DEFAULT; "" masks no key. A
 * value is also secret when the schema marks it "writeOnly": true
 * (schema may be NULL everywhere: keys only).
 *
 * Pure functions of their arguments (and the environment): any thread.
 */
#ifndef HC_MASK_H
#define HC_MASK_H

#include "internal.h"

#define HC__MASK "***"
#define HC__MASK_KEYS_DEFAULT                                                  \
    "password,passwd,secret,token,api_key,apikey,private_key,credential,"      \
    "credentials"

/* 1 when key (an object key) looks secret. */
int hc__mask_key(const char *key, const char *list);

/* 1 when any key of a change path (a.b[0].c, a["x.y"]) looks secret or
 * the schema marks one of its steps writeOnly: a change inside a secret
 * object is as secret as the object. */
int hc__mask_path(const char *path, const char *list, const json_t *schema);

/* The same for a JSON pointer (/db/password, ~0 and ~1 escapes). */
int hc__mask_pointer(const char *pointer, const char *list,
                     const json_t *schema);

/* Replaces, in place, each secret value of doc by the string mask (NULL:
 * HC__MASK); a secret object or array goes whole. */
void hc__mask_doc(json_t *doc, const char *list, const json_t *schema,
                  const char *mask);

/* A masked deep copy of v (NULL gives json null). New reference. */
json_t *hc__mask_copy(const json_t *v, const char *list, const json_t *schema,
                      const char *mask);

/*
 * An error message may quote the value it is about: a schema error
 * (`"hunter2" is not of type integer` at /db/password) or a parse error
 * (`invalid token near 'hunter2'`). When the value is secret, every
 * complete "..." and '...' in err->text, and a bare leading number or
 * literal, become *** (the quotes stay). Secret means: err->pointer
 * names a secret (hc__mask_pointer); or, for a parse error without a
 * pointer, the key on the error's line of err->source (read again, so a
 * file rewritten in between is judged by its new line) looks secret.
 * Returns 1 when it masked something.
 */
int hc__mask_error(hc_error *err, const char *list, const json_t *schema);

/* hc_error_format of a masked copy of err. Returns buf. */
char *hc__mask_error_format(const hc_error *err, const char *list,
                            const json_t *schema, char *buf, size_t size);

#endif /* HC_MASK_H */
