/*
 * layers.c - one document from ordered layers (defaults, files, conf.d
 * folders and globs, environment variables, overrides), with the
 * provenance of every value (hotconf.h, "Composition").
 *
 * Provenance is a flat table JSON pointer -> source index, built while
 * merging: a non-object value's entry names the source that set it, an
 * object's entry the last source that touched anything under it. When a
 * non-object replaces an object, the entries under it are dropped, so a
 * walk from the root that stops at the first non-object never meets a
 * stale entry, and an object's contributors are exactly the entries under
 * it.
 */
#include "compose/compose.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

extern char **environ;

const char *const hc__compose_ignore_default[] = {HC_COMPOSE_IGNORE_DEFAULT,
                                                  NULL};

typedef struct layer {
    hc__layer_kind kind;
    int flags;
    char *path;   /* FILE, DIR, GLOB */
    json_t *doc;  /* DOC; OVERRIDE: the nested {a:{b:value}} */
    char *prefix; /* ENV */
    char *sep;    /* ENV */
} layer;

/* A source of values in the last load: one file, one variable, ... */
typedef struct origin {
    char *name;
    char *file;
    hc_posmap *pos; /* borrowed from the file cache */
    int layer;
} origin;

/*
 * A file parsed at an earlier load, reused while its stat says it is the
 * same: a reload parses only the layers that changed. A file modified
 * less than RACY_NS before it was read is not trusted (its next write may
 * keep the same size and, with coarse file timestamps, the same mtime),
 * as git does with racily clean index entries.
 */
#define RACY_NS ((int64_t)20000000)
typedef struct fcache {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns, ctime_ns;
    int trusted;
    json_t *doc;
    hc_posmap *pos;
    hc_posmap *old_pos; /* replaced during this load: origins may use it */
} fcache;

struct hc_layers {
    layer *v;
    size_t n, cap;
    hc_parse_options parse;
    char **ignore; /* NULL-terminated copy */
    origin *o;
    size_t no, ocap;
    json_t *doc;  /* last loaded */
    json_t *prov; /* pointer -> origin index */
    fcache *fc;
    size_t nfc, fccap;
};

void hc_layers_options_init(hc_layers_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
}

static char **copy_list(const char *const *list)
{
    size_t n = 0;
    char **out;
    while (list[n])
        n++;
    out = calloc(n + 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(out[i] = strdup(list[i]))) {
            while (i > 0)
                free(out[--i]);
            free(out);
            return NULL;
        }
    }
    return out;
}

hc_layers *hc_layers_new_sized(const hc_layers_options *opts, size_t opts_size)
{
    hc_layers_options o;
    hc_layers *l;
    hc_layers_options_init(&o);
    if (opts)
        memcpy(&o, opts, opts_size < sizeof o ? opts_size : sizeof o);
    l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (o.parse)
        l->parse = *o.parse;
    l->parse.positions = NULL;
    l->ignore = copy_list(o.ignore ? o.ignore : hc__compose_ignore_default);
    if (!l->ignore) {
        free(l);
        return NULL;
    }
    return l;
}

static void origins_clear(hc_layers *l)
{
    for (size_t i = 0; i < l->no; i++) {
        free(l->o[i].name);
        free(l->o[i].file);
    }
    l->no = 0;
    for (size_t i = 0; i < l->nfc; i++) {
        hc_posmap_free(l->fc[i].old_pos);
        l->fc[i].old_pos = NULL;
    }
}

void hc_layers_free(hc_layers *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        json_decref(l->v[i].doc);
        free(l->v[i].prefix);
        free(l->v[i].sep);
    }
    free(l->v);
    for (size_t i = 0; l->ignore[i]; i++)
        free(l->ignore[i]);
    free(l->ignore);
    origins_clear(l);
    free(l->o);
    for (size_t i = 0; i < l->nfc; i++) {
        free(l->fc[i].path);
        json_decref(l->fc[i].doc);
        hc_posmap_free(l->fc[i].pos);
        hc_posmap_free(l->fc[i].old_pos);
    }
    free(l->fc);
    json_decref(l->doc);
    json_decref(l->prov);
    free(l);
}

static layer *push_layer(hc_layers *l, hc__layer_kind kind, hc_error *err)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? 2 * l->cap : 8;
        layer *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) {
            hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
            return NULL;
        }
        l->v = nv;
        l->cap = ncap;
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    l->v[l->n].kind = kind;
    return &l->v[l->n++];
}

static int fail(hc_error *err, int code, const char *source, const char *msg)
{
    hc__error_set(err, code, source, 0, 0, 0, "%s", msg);
    return code;
}

int hc_layers_add_defaults(hc_layers *l, const json_t *doc, hc_error *err)
{
    layer *y;
    json_t *copy;
    hc_error_init(err);
    if (!l || !json_is_object(doc))
        return fail(err, HC_EINVAL, "defaults", "defaults must be an object");
    if (!(copy = json_deep_copy(doc)))
        return fail(err, HC_ENOMEM, NULL, "out of memory");
    if (!(y = push_layer(l, HC__LAYER_DOC, err))) {
        json_decref(copy);
        return HC_ENOMEM;
    }
    y->doc = copy;
    return 0;
}

/* Collects the defaults of schema s into out (an object's own default is
 * the base, its properties' defaults merge over it). */
static int schema_defaults(const json_t *s, json_t *out)
{
    const json_t *def, *props, *all;
    if (!json_is_object(s))
        return 0;
    def = json_object_get(s, "default");
    if (json_is_object(def) && hc__compose_merge(out, (json_t *)def) != 0)
        return HC_ENOMEM;
    all = json_object_get(s, "allOf");
    if (json_is_array(all)) {
        size_t i;
        const json_t *sub;
        json_array_foreach(all, i, sub) if (schema_defaults(sub, out) !=
                                            0) return HC_ENOMEM;
    }
    props = json_object_get(s, "properties");
    if (json_is_object(props)) {
        const char *k;
        const json_t *sub;
        json_object_foreach((json_t *)props, k, sub)
        {
            const json_t *d = json_object_get(sub, "default");
            json_t *child;
            if (!json_is_object(sub))
                continue;
            if (d && !json_is_object(d)) {
                if (json_object_set(out, k, (json_t *)d) != 0)
                    return HC_ENOMEM;
                continue;
            }
            child = json_object_get(out, k);
            if (!json_is_object(child)) {
                child = json_object();
                if (!child || json_object_set_new(out, k, child) != 0)
                    return HC_ENOMEM;
            }
            if (schema_defaults(sub, child) != 0)
                return HC_ENOMEM;
            if (json_object_size(child) == 0 && !d)
                json_object_del(out, k); /* no default under it */
        }
    }
    return 0;
}

int hc_layers_add_schema_defaults(hc_layers *l, const json_t *schema,
                                  hc_error *err)
{
    json_t *doc;
    int rc;
    hc_error_init(err);
    if (!l || !schema)
        return fail(err, HC_EINVAL, "defaults", "no schema");
    doc = json_object();
    if (!doc || schema_defaults(schema, doc) != 0) {
        json_decref(doc);
        return fail(err, HC_ENOMEM, NULL, "out of memory");
    }
    rc = hc_layers_add_defaults(l, doc, err);
    json_decref(doc);
    return rc;
}

int hc_layers_add_file(hc_layers *l, const char *path, int flags, hc_error *err)
{
    struct stat st;
    hc__layer_kind kind = HC__LAYER_FILE;
    layer *y;
    char *copy;
    hc_error_init(err);
    if (!l || !path || !*path)
        return fail(err, HC_EINVAL, NULL, "no file name");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        kind = HC__LAYER_DIR;
    else if (strpbrk(path, "*?[") && lstat(path, &st) != 0)
        kind = HC__LAYER_GLOB; /* a file of that literal name wins */
    if (!(copy = strdup(path)))
        return fail(err, HC_ENOMEM, NULL, "out of memory");
    if (!(y = push_layer(l, kind, err))) {
        free(copy);
        return HC_ENOMEM;
    }
    y->path = copy;
    y->flags = flags;
    return 0;
}

int hc_layers_add_env(hc_layers *l, const char *prefix, const char *sep,
                      hc_error *err)
{
    layer *y;
    size_t plen;
    char *p, *s;
    hc_error_init(err);
    if (!l || !prefix || !*prefix)
        return fail(err, HC_EINVAL, "env", "no environment prefix");
    if (sep && !*sep)
        return fail(err, HC_EINVAL, "env", "empty nesting separator");
    plen = strlen(prefix);
    p = malloc(plen + 2);
    s = strdup(sep ? sep : "__");
    if (!p || !s) {
        free(p);
        free(s);
        return fail(err, HC_ENOMEM, NULL, "out of memory");
    }
    /* "APP" reads as Viper's "APP_" */
    snprintf(p, plen + 2, "%s%s", prefix, prefix[plen - 1] != '_' ? "_" : "");
    if (!(y = push_layer(l, HC__LAYER_ENV, err))) {
        free(p);
        free(s);
        return HC_ENOMEM;
    }
    y->prefix = p;
    y->sep = s;
    return 0;
}

/* Builds {k1:{k2:...{kn:value}}} from path segments. */
typedef struct nest_state {
    json_t *root, *cur;
    char *last; /* the pending key: the value goes under the last one */
} nest_state;

static int nest_step(void *data, const char *key, size_t klen, size_t idx)
{
    nest_state *ns = data;
    (void)idx;
    if (!key)
        return HC_EPATH; /* indexes: overrides set object keys only */
    if (ns->last) {
        json_t *o = json_object();
        if (!o || json_object_set_new(ns->cur, ns->last, o) != 0)
            return HC_ENOMEM;
        ns->cur = o;
        free(ns->last);
    }
    ns->last = strndup(key, klen);
    return ns->last ? 0 : HC_ENOMEM;
}

/* The nested object that puts value at path (hc_get syntax); steals
 * value. NULL with *rc set on failure. */
static json_t *nest_path(const char *path, json_t *value, int *rc)
{
    nest_state ns = {json_object(), NULL, NULL};
    ns.cur = ns.root;
    *rc = ns.root ? hc__path_segments(path, nest_step, &ns) : HC_ENOMEM;
    if (*rc == 0 && !ns.last)
        *rc = HC_EPATH; /* the empty path */
    if (*rc == 0 && json_object_set(ns.cur, ns.last, value) != 0)
        *rc = HC_ENOMEM;
    free(ns.last);
    json_decref(value);
    if (*rc != 0) {
        json_decref(ns.root);
        return NULL;
    }
    return ns.root;
}

/* A variable's or override's text as a value. */
static json_t *typed_value(const char *s, size_t len, hc_error *err)
{
    if (len > 0 && (s[0] == '[' || s[0] == '{' || s[0] == '"')) {
        json_error_t je;
        json_t *v = json_loadb(s, len, JSON_DECODE_ANY, &je);
        if (!v)
            hc__error_set(err, HC_EPARSE, "override", je.line, je.column,
                          (size_t)je.position, "%s", je.text);
        return v;
    }
    return hc__scalar_typed(s, len);
}

int hc_layers_add_override(hc_layers *l, const char *assignment, hc_error *err)
{
    const char *eq;
    char *path;
    json_t *v, *doc;
    layer *y;
    int rc;
    hc_error_init(err);
    if (!l || !assignment || !(eq = strchr(assignment, '=')) ||
        eq == assignment)
        return fail(err, HC_EINVAL, "override",
                    "an override is PATH=VALUE (service.port=9090)");
    if (!(v = typed_value(eq + 1, strlen(eq + 1), err)))
        return err && err->code ? err->code : HC_EPARSE;
    if (!(path = strndup(assignment, (size_t)(eq - assignment)))) {
        json_decref(v);
        return fail(err, HC_ENOMEM, NULL, "out of memory");
    }
    doc = nest_path(path, v, &rc);
    if (!doc) {
        hc__error_set(err, rc, "override", 0, 0, 0, "'%s': %s", path,
                      rc == HC_EPATH ? "not a path of object keys "
                                       "(service.port, a[\"b.c\"])"
                                     : "out of memory");
        free(path);
        return rc;
    }
    free(path);
    if (!(y = push_layer(l, HC__LAYER_OVERRIDE, err))) {
        json_decref(doc);
        return HC_ENOMEM;
    }
    y->doc = doc;
    return 0;
}

/* ---- listing folders and patterns ------------------------------------- */

int hc__compose_ignored(const char *const *ignore, const char *base)
{
    for (size_t i = 0; ignore && ignore[i]; i++)
        if (fnmatch(ignore[i], base, 0) == 0)
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void hc__compose_list_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static int list_push(char ***v, size_t *n, size_t *cap, char *s)
{
    if (!s)
        return HC_ENOMEM;
    if (*n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 16;
        char **nv = realloc(*v, ncap * sizeof *nv);
        if (!nv) {
            free(s);
            return HC_ENOMEM;
        }
        *v = nv;
        *cap = ncap;
    }
    (*v)[(*n)++] = s;
    return 0;
}

static int is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int hc__compose_list(hc__layer_kind kind, const char *path,
                     const char *const *ignore, char ***out, size_t *n)
{
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (kind == HC__LAYER_DIR) {
        DIR *d = opendir(path);
        struct dirent *de;
        size_t plen = strlen(path);
        if (!d)
            return errno == ENOENT || errno == ENOTDIR ? HC_ENOENT : HC_EIO;
        while (rc == 0 && (de = readdir(d)) != NULL) {
            char *full;
            if (de->d_name[0] == '.' &&
                (!de->d_name[1] || !strcmp(de->d_name, "..")))
                continue;
            if (hc_format_from_name(de->d_name) == HC_FORMAT_AUTO ||
                hc__compose_ignored(ignore, de->d_name))
                continue;
            size_t flen = plen + strlen(de->d_name) + 2;
            full = malloc(flen);
            if (!full) {
                rc = HC_ENOMEM;
                break;
            }
            snprintf(full, flen, "%s%s%s", path,
                     plen && path[plen - 1] == '/' ? "" : "/", de->d_name);
            if (!is_regular(full)) {
                free(full);
                continue;
            }
            rc = list_push(&v, &cnt, &cap, full);
        }
        closedir(d);
    } else {
        glob_t g;
        int grc = glob(path, GLOB_NOSORT, NULL, &g);
        if (grc != 0 && grc != GLOB_NOMATCH)
            return grc == GLOB_NOSPACE ? HC_ENOMEM : HC_EIO;
        for (size_t i = 0; grc == 0 && rc == 0 && i < g.gl_pathc; i++) {
            const char *p = g.gl_pathv[i], *base = strrchr(p, '/');
            base = base ? base + 1 : p;
            if (hc__compose_ignored(ignore, base) || !is_regular(p))
                continue;
            rc = list_push(&v, &cnt, &cap, strdup(p));
        }
        if (grc == 0)
            globfree(&g);
    }
    if (rc != 0) {
        hc__compose_list_free(v, cnt);
        return rc;
    }
    if (cnt > 1)
        qsort(v, cnt, sizeof *v, cmp_str);
    *out = v;
    *n = cnt;
    return 0;
}

int hc_compose_files(const char *path, const char *const *ignore, char ***files,
                     size_t *n)
{
    struct stat st;
    if (!path || !files || !n)
        return HC_EINVAL;
    if (!ignore)
        ignore = hc__compose_ignore_default;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return hc__compose_list(HC__LAYER_DIR, path, ignore, files, n);
    if (strpbrk(path, "*?[") && lstat(path, &st) != 0)
        return hc__compose_list(HC__LAYER_GLOB, path, ignore, files, n);
    *files = NULL;
    *n = 0;
    if (lstat(path, &st) != 0)
        return HC_ENOENT;
    {
        char **one = malloc(sizeof *one);
        if (!one || !(one[0] = strdup(path))) {
            free(one);
            return HC_ENOMEM;
        }
        *files = one;
        *n = 1;
    }
    return 0;
}

void hc_compose_files_free(char **files, size_t n)
{
    hc__compose_list_free(files, n);
}

/* ---- merging ---------------------------------------------------------- */

typedef struct merge_ctx {
    json_t *prov; /* NULL: no provenance */
    json_t *oidx; /* the source's index, shared by its entries */
    char *buf;    /* the JSON pointer being walked */
    size_t cap;
} merge_ctx;

/* Drops the entries under pointer p (a non-object replaced an object). */
static void prov_purge(json_t *prov, const char *p, size_t len)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(prov, tmp, k,
                             v) if (!strncmp(k, p, len) && k[len] == '/')
        json_object_del(prov, k);
}

static int merge_rec(merge_ctx *m, json_t *dst, json_t *src, size_t len)
{
    const char *k;
    json_t *v;
    json_object_foreach(src, k, v)
    {
        json_t *cur = json_object_get(dst, k);
        size_t n = len;
        if (m->prov) {
            n = hc__pointer_push(&m->buf, &m->cap, len, k, strlen(k));
            if (n == len)
                return HC_ENOMEM;
        }
        if (json_is_object(v)) {
            if (!json_is_object(cur)) {
                cur = json_object();
                if (!cur || json_object_set_new(dst, k, cur) != 0)
                    return HC_ENOMEM;
            }
            if (m->prov && json_object_set(m->prov, m->buf, m->oidx) != 0)
                return HC_ENOMEM;
            if (merge_rec(m, cur, v, n) != 0)
                return HC_ENOMEM;
        } else {
            if (m->prov && json_is_object(cur))
                prov_purge(m->prov, m->buf, n);
            /* arrays copied: a caller may fill defaults into objects
             * inside them, and the layer's document is cached */
            if ((json_is_array(v)
                     ? json_object_set_new(dst, k, json_deep_copy(v))
                     : json_object_set(dst, k, v)) != 0 ||
                (m->prov && json_object_set(m->prov, m->buf, m->oidx) != 0))
                return HC_ENOMEM;
        }
        if (m->prov)
            m->buf[len] = '\0';
    }
    return 0;
}

int hc__compose_merge(json_t *dst, json_t *src)
{
    merge_ctx m = {0};
    return merge_rec(&m, dst, src, 0);
}

/* ---- loading ---------------------------------------------------------- */

static int add_origin(hc_layers *l, int layer_i, const char *name,
                      const char *file, hc_posmap *pos)
{
    origin *o;
    if (l->no == l->ocap) {
        size_t ncap = l->ocap ? 2 * l->ocap : 16;
        origin *no = realloc(l->o, ncap * sizeof *no);
        if (!no)
            return HC_ENOMEM;
        l->o = no;
        l->ocap = ncap;
    }
    o = &l->o[l->no];
    o->name = strdup(name);
    o->file = file ? strdup(file) : NULL;
    o->pos = pos;
    o->layer = layer_i;
    if (!o->name || (file && !o->file)) {
        free(o->name);
        free(o->file);
        return HC_ENOMEM;
    }
    l->no++;
    return 0;
}

/* Merges doc as the newest origin. */
static int merge_origin(hc_layers *l, json_t *doc, json_t *prov)
{
    merge_ctx m = {prov, json_integer((json_int_t)(l->no - 1)), NULL, 0};
    int rc;
    if (!m.oidx)
        return HC_ENOMEM;
    rc = merge_rec(&m, l->doc, doc, 0);
    json_decref(m.oidx);
    free(m.buf);
    return rc;
}

static int64_t ts_ns(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static fcache *cache_find(hc_layers *l, const char *path)
{
    for (size_t i = 0; i < l->nfc; i++)
        if (!strcmp(l->fc[i].path, path))
            return &l->fc[i];
    return NULL;
}

/* The parsed document of path (a new reference) and its positions
 * (borrowed from the cache), parsing only when the file changed. NULL
 * with err filled when it cannot be read or parsed. */
static json_t *cached_parse(hc_layers *l, const char *path, hc_posmap **pos,
                            hc_error *err)
{
    hc_parse_options po = l->parse;
    struct stat st;
    struct timespec now;
    fcache *c = cache_find(l, path);
    json_t *doc;
    int have_st = stat(path, &st) == 0;
    if (c && have_st && c->trusted && c->dev == st.st_dev &&
        c->ino == st.st_ino && c->size == st.st_size &&
        c->mtime_ns == ts_ns(st.st_mtim) && c->ctime_ns == ts_ns(st.st_ctim)) {
        *pos = c->pos;
        return json_incref(c->doc);
    }
    clock_gettime(CLOCK_REALTIME, &now);
    if (!(po.positions = hc_posmap_new())) {
        fail(err, HC_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    doc = hc_parse_file(path, HC_FORMAT_AUTO, &po, err);
    if (doc && json_is_null(doc)) { /* an empty YAML file: an empty layer */
        json_decref(doc);
        doc = json_object();
    }
    if (!doc || !have_st) { /* not cached: nothing to compare it with
                             * (and, rare as it is, no positions) */
        hc_posmap_free(po.positions);
        *pos = NULL;
        return doc;
    }
    if (!c) {
        if (l->nfc == l->fccap) {
            size_t ncap = l->fccap ? 2 * l->fccap : 16;
            fcache *nf = realloc(l->fc, ncap * sizeof *nf);
            if (!nf || !(path = strdup(path))) {
                if (nf)
                    l->fc = nf;
                hc_posmap_free(po.positions);
                json_decref(doc);
                fail(err, HC_ENOMEM, NULL, "out of memory");
                return NULL;
            }
            l->fc = nf;
            l->fccap = ncap;
        } else if (!(path = strdup(path))) {
            hc_posmap_free(po.positions);
            json_decref(doc);
            fail(err, HC_ENOMEM, NULL, "out of memory");
            return NULL;
        }
        c = &l->fc[l->nfc++];
        memset(c, 0, sizeof *c);
        c->path = (char *)path;
    } else {
        json_decref(c->doc);
        if (c->old_pos) /* read twice in one load: that origin is
                         * shadowed by the same path's later one */
            hc_posmap_free(c->old_pos);
        c->old_pos = c->pos;
    }
    c->dev = st.st_dev;
    c->ino = st.st_ino;
    c->size = st.st_size;
    c->mtime_ns = ts_ns(st.st_mtim);
    c->ctime_ns = ts_ns(st.st_ctim);
    c->trusted = c->mtime_ns < ts_ns(now) - RACY_NS &&
                 c->ctime_ns < ts_ns(now) - RACY_NS;
    c->doc = json_incref(doc);
    c->pos = po.positions;
    *pos = c->pos;
    return doc;
}

static int load_file(hc_layers *l, int li, const char *path, int flags,
                     json_t *prov, hc_error *err)
{
    hc_posmap *pos = NULL;
    json_t *doc;
    int rc;
    doc = cached_parse(l, path, &pos, err);
    if (!doc) {
        if (err && err->code == HC_ENOENT && (flags & HC_LAYER_OPTIONAL)) {
            hc_error_init(err);
            return 0;
        }
        return err && err->code ? err->code : HC_EIO;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return fail(err, HC_ETYPE, path,
                    "the top level of a layer must be an object (a mapping)");
    }
    rc = add_origin(l, li, (flags & HC_LAYER_DEFAULTS) ? "defaults" : path,
                    path, pos);
    if (rc == 0)
        rc = merge_origin(l, doc, prov);
    json_decref(doc);
    return rc ? fail(err, rc, NULL, "out of memory") : 0;
}

/* APP_SERVICE__PORT (rest "SERVICE__PORT") -> {"service":{"port":v}} */
static json_t *env_doc(const char *rest, const char *sep, const char *value)
{
    size_t slen = strlen(sep);
    json_t *root = json_object(), *cur = root;
    const char *p = rest;
    if (!root)
        return NULL;
    for (;;) {
        const char *e = strstr(p, sep);
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *key;
        json_t *next;
        if (n == 0) {
            json_decref(root);
            return json_null(); /* an empty segment: skipped */
        }
        if (!(key = strndup(p, n))) {
            json_decref(root);
            return NULL;
        }
        for (char *c = key; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        next = e ? json_object() : hc__scalar_typed(value, strlen(value));
        if (!next || json_object_set_new(cur, key, next) != 0) {
            free(key);
            json_decref(root);
            return NULL;
        }
        free(key);
        if (!e)
            return root;
        cur = next;
        p = e + slen;
    }
}

static int load_env(hc_layers *l, int li, const layer *y, json_t *prov)
{
    size_t plen = strlen(y->prefix), cnt = 0, cap = 0;
    char **names = NULL;
    int rc = 0;
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, y->prefix, plen) && (*e)[plen] && (*e)[plen] != '=')
            if ((rc = list_push(&names, &cnt, &cap, strdup(*e))) != 0)
                break;
    if (rc == 0 && cnt > 1)
        qsort(names, cnt, sizeof *names, cmp_str);
    for (size_t i = 0; rc == 0 && i < cnt; i++) {
        char *eq = strchr(names[i], '='), label[HC_ERROR_SOURCE_LENGTH];
        json_t *doc;
        if (!eq)
            continue;
        *eq = '\0';
        doc = env_doc(names[i] + plen, y->sep, eq + 1);
        if (!doc) {
            rc = HC_ENOMEM;
        } else if (json_is_object(doc)) {
            snprintf(label, sizeof label, "env:%s", names[i]);
            rc = add_origin(l, li, label, NULL, NULL);
            if (rc == 0)
                rc = merge_origin(l, doc, prov);
        }
        json_decref(doc);
    }
    hc__compose_list_free(names, cnt);
    return rc;
}

static int load_layer(hc_layers *l, int li, json_t *prov, hc_error *err)
{
    const layer *y = &l->v[li];
    hc__layer_kind kind = y->kind;
    struct stat st;
    int rc = 0;
    /* an optional conf.d that did not exist when it was added, and does
     * now: read it as the folder it is */
    if (kind == HC__LAYER_FILE && stat(y->path, &st) == 0 &&
        S_ISDIR(st.st_mode))
        kind = HC__LAYER_DIR;
    switch (kind) {
    case HC__LAYER_DOC:
    case HC__LAYER_OVERRIDE:
        rc = add_origin(l, li,
                        y->kind == HC__LAYER_DOC ? "defaults" : "override",
                        NULL, NULL);
        if (rc == 0) {
            /* a copy: the caller may modify the result (a schema filling
             * defaults), and this layer is merged again at every load */
            json_t *copy = json_deep_copy(y->doc);
            rc = copy ? merge_origin(l, copy, prov) : HC_ENOMEM;
            json_decref(copy);
        }
        break;
    case HC__LAYER_FILE: return load_file(l, li, y->path, y->flags, prov, err);
    case HC__LAYER_DIR:
    case HC__LAYER_GLOB: {
        char **files;
        size_t n;
        rc = hc__compose_list(kind, y->path, (const char *const *)l->ignore,
                              &files, &n);
        if (rc == HC_ENOENT && (y->flags & HC_LAYER_OPTIONAL))
            return 0;
        if (rc == HC_ENOENT || rc == HC_EIO) {
            hc__error_set(err, rc, y->path, 0, 0, 0, "cannot read the folder");
            return rc;
        }
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = load_file(l, li, files[i], y->flags & ~HC_LAYER_OPTIONAL, prov,
                           err);
        hc__compose_list_free(files, n);
        return rc;
    }
    case HC__LAYER_ENV: rc = load_env(l, li, y, prov); break;
    }
    return rc ? fail(err, rc, NULL, "out of memory") : 0;
}

json_t *hc_layers_load(hc_layers *l, hc_error *err)
{
    json_t *prov;
    hc_error_init(err);
    if (!l) {
        fail(err, HC_EINVAL, NULL, "no layers");
        return NULL;
    }
    origins_clear(l);
    json_decref(l->doc);
    json_decref(l->prov);
    l->doc = json_object();
    l->prov = prov = json_object();
    if (!l->doc || !prov) {
        fail(err, HC_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (load_layer(l, (int)i, prov, err) != 0) {
            json_decref(l->doc);
            l->doc = NULL;
            return NULL;
        }
    }
    return json_incref(l->doc);
}

/* ---- provenance ------------------------------------------------------- */

typedef struct walk {
    const hc_layers *l;
    const json_t *cur;
    char *buf; /* pointer walked so far */
    size_t cap, len;
    long leaf; /* origin of the first non-object met, -1 none yet */
} walk;

static int walk_step(walk *w, const char *key, size_t klen, int has_idx,
                     size_t idx)
{
    char num[24];
    if (!key) {
        klen = (size_t)snprintf(num, sizeof num, "%zu", idx);
        key = num;
    }
    if (json_is_object(w->cur)) {
        w->cur = has_idx ? NULL : json_object_getn(w->cur, key, klen);
    } else if (json_is_array(w->cur)) {
        char *end;
        unsigned long long i = strtoull(key, &end, 10);
        w->cur = (*key >= '0' && *key <= '9' && end == key + klen)
                     ? json_array_get(w->cur, (size_t)i)
                     : NULL;
    } else {
        w->cur = NULL;
    }
    if (!w->cur)
        return HC_ENOTFOUND;
    w->len = hc__pointer_push(&w->buf, &w->cap, w->len, key, klen);
    if (!w->buf)
        return HC_ENOMEM;
    if (w->leaf < 0 && !json_is_object(w->cur)) {
        json_t *o = json_object_get(w->l->prov, w->buf);
        w->leaf = o ? (long)json_integer_value(o) : -1;
        if (w->leaf < 0)
            return HC_ENOTFOUND;
    }
    return 0;
}

static int path_step(void *data, const char *key, size_t klen, size_t idx)
{
    return walk_step(data, key, klen, key == NULL, idx);
}

static void fill_origin(const hc_layers *l, size_t oi, const char *pointer,
                        hc_layer_origin *out)
{
    const origin *o = &l->o[oi];
    out->name = o->name;
    out->file = o->file;
    out->layer = o->layer;
    out->line = out->column = 0;
    if (o->pos)
        hc_posmap_lookup(o->pos, pointer, &out->line, &out->column);
}

static int cmp_desc(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x < y) - (x > y);
}

/* The walk's result: a leaf's origin, or an object's contributors. */
static int explain_walked(const walk *w, hc_layer_origin *out, size_t max)
{
    const hc_layers *l = w->l;
    const char *ptr = w->buf ? w->buf : "";
    size_t len = w->buf ? w->len : 0, cnt = 0;
    long *seen;
    const char *k;
    json_t *v;
    if (w->leaf >= 0) {
        if (max > 0)
            fill_origin(l, (size_t)w->leaf, ptr, &out[0]);
        return 1;
    }
    seen = calloc(l->no ? l->no : 1, sizeof *seen);
    if (!seen)
        return HC_ENOMEM;
    for (size_t i = 0; i < l->no; i++)
        seen[i] = -1;
    json_object_foreach(l->prov, k, v)
    {
        if (!strncmp(k, ptr, len) && (k[len] == '/' || k[len] == '\0')) {
            long oi = (long)json_integer_value(v);
            if (oi >= 0 && (size_t)oi < l->no)
                seen[oi] = oi;
        }
    }
    qsort(seen, l->no, sizeof *seen, cmp_desc);
    for (size_t i = 0; i < l->no && seen[i] >= 0; i++, cnt++)
        if (cnt < max)
            fill_origin(l, (size_t)seen[i], ptr, &out[cnt]);
    free(seen);
    return cnt > 0 ? (int)cnt : HC_ENOTFOUND;
}

int hc_layers_explain(const hc_layers *l, const char *path,
                      hc_layer_origin *out, size_t max)
{
    walk w = {l, NULL, NULL, 0, 0, -1};
    int rc;
    if (!l || !path)
        return HC_EINVAL;
    if (!l->doc)
        return HC_ENOTFOUND;
    w.cur = l->doc;
    /* first, so that a malformed path is HC_EPATH whatever the document */
    if ((rc = hc_lookup(l->doc, path, NULL)) != 0)
        return rc;
    rc = hc__path_segments(path, path_step, &w);
    if (rc == 0)
        rc = explain_walked(&w, out, max);
    free(w.buf);
    return rc;
}

int hc_layers_origin_at(const hc_layers *l, const char *pointer,
                        hc_layer_origin *out)
{
    walk w = {l, NULL, NULL, 0, 0, -1};
    char *tok = NULL;
    int rc = 0;
    if (!l || !pointer || !out || (*pointer && *pointer != '/'))
        return HC_EINVAL;
    if (!l->doc)
        return HC_ENOTFOUND;
    w.cur = l->doc;
    if (*pointer && !(tok = malloc(strlen(pointer) + 1)))
        return HC_ENOMEM;
    for (const char *p = pointer; rc == 0 && *p == '/';) {
        size_t n = 0;
        for (p++; *p && *p != '/'; p++) {
            if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
                tok[n++] = p[1] == '0' ? '~' : '/';
                p++;
            } else {
                tok[n++] = *p;
            }
        }
        tok[n] = '\0';
        rc = walk_step(&w, tok, n, 0, 0);
    }
    free(tok);
    if (rc == 0)
        rc = explain_walked(&w, out, 1) > 0 ? 0 : HC_ENOTFOUND;
    free(w.buf);
    return rc;
}

/* ---- for the group ---------------------------------------------------- */

size_t hc__layers_count(const hc_layers *l)
{
    return l->n;
}

hc__layer_kind hc__layers_kind(const hc_layers *l, size_t i, const char **path,
                               int *flags)
{
    if (path)
        *path = l->v[i].path;
    if (flags)
        *flags = l->v[i].flags;
    return l->v[i].kind;
}

const char *const *hc__layers_ignore(const hc_layers *l)
{
    return (const char *const *)l->ignore;
}

const hc_parse_options *hc__layers_parse(const hc_layers *l)
{
    return &l->parse;
}
