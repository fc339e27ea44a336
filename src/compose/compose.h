/*
 * compose.h - what the composition modules (layers.c, group.c, bind.c)
 * share and nobody else needs.
 */
#ifndef HC_COMPOSE_H
#define HC_COMPOSE_H

#include "internal.h"

/* Layer kinds, in the order hc_layers_add_* made them. */
typedef enum hc__layer_kind {
    HC__LAYER_DOC,     /* a defaults document */
    HC__LAYER_FILE,    /* one file */
    HC__LAYER_DIR,     /* a folder's files */
    HC__LAYER_GLOB,    /* a pattern's matches */
    HC__LAYER_ENV,     /* environment variables */
    HC__LAYER_OVERRIDE /* PATH=VALUE */
} hc__layer_kind;

/* 1 when base (a file's base name) matches one of the NULL-terminated
 * ignore patterns. */
int hc__compose_ignored(const char *const *ignore, const char *base);

/* The default ignore list (HC_COMPOSE_IGNORE_DEFAULT), NULL-terminated. */
extern const char *const hc__compose_ignore_default[];

/*
 * The files a folder (kind DIR: its regular files whose name implies a
 * format) or a pattern (GLOB) names now, lexical byte order, ignored
 * names skipped: a malloc'd array of malloc'd paths (*n of them) that
 * hc__compose_list_free releases. Returns 0, HC_ENOENT (a folder that is
 * not there), HC_ENOMEM.
 */
int hc__compose_list(hc__layer_kind kind, const char *path,
                     const char *const *ignore, char ***out, size_t *n);
void hc__compose_list_free(char **list, size_t n);

/* The number of layers, and layer i's kind, path (files, folders,
 * patterns; else NULL) and flags, for the group to watch what was added. */
size_t hc__layers_count(const hc_layers *l);
hc__layer_kind hc__layers_kind(const hc_layers *l, size_t i, const char **path,
                               int *flags);
/* The ignore list the layers were created with (NULL-terminated). */
const char *const *hc__layers_ignore(const hc_layers *l);
/* The parse options the layers use (never NULL). */
const hc_parse_options *hc__layers_parse(const hc_layers *l);

/*
 * Deep merge of src into dst (an object) as the layers do: objects key by
 * key, anything else replaces. Objects of src are copied, other values
 * shared (they are never modified). Returns 0 or HC_ENOMEM.
 */
int hc__compose_merge(json_t *dst, json_t *src);

#endif /* HC_COMPOSE_H */
