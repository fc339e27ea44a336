/*
 * bind.c - a config decoded into a C struct per version and published
 * like a snapshot (hotconf.h, "Binding a config into a C struct").
 *
 * Publication: each struct lives in a block with a reference count; the
 * binding's live pointer holds one reference. A reader protects the live
 * block with a hazard pointer (the engine's, engine/hazard.c) for the few
 * instructions it takes to raise the count, so a writer swapping the
 * pointer never frees a block between the reader's load and its
 * increment; after that the reader's reference keeps it, however long it
 * is held. The writer retires the block it replaced and drops the live
 * reference once no hazard holds it; the last release frees it.
 */
#include "compose/compose.h"
#include "engine/engine_internal.h"

#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct block {
    atomic_long refs;
    hc__retired node;
    uint64_t version;
    json_t *doc; /* keeps the strings the struct points to */
    alignas(max_align_t) unsigned char data[];
} block;

/* A field's default and limits, parsed once. */
typedef struct field {
    hc_field f;
    json_t *def, *min, *max; /* as config values; NULL: none */
} field;

struct hc_binding {
    field *v;
    size_t n, size;
    _Atomic(block *) live;
    pthread_mutex_t lock; /* writers: publication, the retired list */
    hc__retired *retired;
    hc_engine *e;
    char *id;
    int sub;
    hc_validate_cb prev; /* the validator installed before ours */
    void *prev_data;
};

/* ---- units ------------------------------------------------------------ */

/* "1h30m", "1.5m", "250ms" -> ns. Returns 0 or -1. */
static int parse_duration(const char *s, int64_t *out)
{
    static const struct {
        const char *u;
        double ns;
    } units[] = {{"ns", 1},  {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},      {"d", 86400e9}};
    double total = 0;
    int neg = 0;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!*s)
        return -1;
    while (*s) {
        double v;
        size_t used, best = 0;
        double mult = 0;
        if (hc__strtod_c(s, strcspn(s, "abcdefghijklmnopqrstuvwxyz\xc2"), &v,
                         &used) < 0 ||
            used == 0 || !(v >= 0))
            return -1;
        s += used;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t ul = strlen(units[i].u);
            if (!strncmp(s, units[i].u, ul) && ul > best) {
                best = ul;
                mult = units[i].ns;
            }
        }
        if (!best)
            return -1;
        s += best;
        total += v * mult;
    }
    if (!(total < 9.2e18))
        return -1;
    *out = (int64_t)llround(neg ? -total : total);
    return 0;
}

/* "64MiB", "1.5GB", "512k" -> bytes. Returns 0 or -1. */
static int parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *u;
        double b;
    } units[] = {{"", 1},
                 {"b", 1},
                 {"k", 1024.0},
                 {"kb", 1e3},
                 {"kib", 1024.0},
                 {"m", 1048576.0},
                 {"mb", 1e6},
                 {"mib", 1048576.0},
                 {"g", 1073741824.0},
                 {"gb", 1e9},
                 {"gib", 1073741824.0},
                 {"t", 1099511627776.0},
                 {"tb", 1e12},
                 {"tib", 1099511627776.0}};
    double v;
    size_t used;
    char unit[8];
    size_t n = 0;
    if (hc__strtod_c(s, strlen(s), &v, &used) < 0 || used == 0 || !(v >= 0))
        return -1;
    s += used;
    while (*s == ' ')
        s++;
    for (; *s && n + 1 < sizeof unit; s++)
        unit[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    if (*s)
        return -1;
    unit[n] = '\0';
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (!strcmp(unit, units[i].u)) {
            double b = v * units[i].b;
            if (!(b < 1.8e19) || b != floor(b))
                return -1; /* a fraction of a byte */
            *out = (uint64_t)b;
            return 0;
        }
    }
    return -1;
}

/* ---- decoding --------------------------------------------------------- */

typedef union value {
    int b;
    int64_t i;
    double d;
    const char *s;
    uint64_t u;
} value;

static int bad(hc_error *err, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(hc_error *err, const char *ptr, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    hc__error_set(err, HC_EVALIDATE, NULL, 0, 0, 0, "%s", "");
    if (!err)
        return HC_EVALIDATE;
    snprintf(err->pointer, sizeof err->pointer, "%s", ptr);
    snprintf(err->text, sizeof err->text, "%s: ", ptr[0] ? ptr : "(root)");
    n = strlen(err->text);
    va_start(ap, fmt);
    vsnprintf(err->text + n, sizeof err->text - n, fmt, ap);
    va_end(ap);
    return HC_EVALIDATE;
}

static char *text_of(const json_t *v)
{
    return json_is_string(v) ? strdup(json_string_value(v))
                             : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* The value v (of field f) as a member value; 0 or HC_EVALIDATE. */
static int convert(const hc_field *f, const json_t *v, const char *ptr,
                   value *out, hc_error *err)
{
    const char *want = NULL;
    switch (f->type) {
    case HC_FIELD_BOOL:
        if (!json_is_boolean(v))
            want = "a boolean";
        else
            out->b = json_is_true(v);
        break;
    case HC_FIELD_INT:
        if (!json_is_integer(v))
            want = "an integer";
        else
            out->i = json_integer_value(v);
        break;
    case HC_FIELD_DOUBLE:
        if (!json_is_number(v))
            want = "a number";
        else
            out->d = json_number_value(v);
        break;
    case HC_FIELD_STRING:
        if (!json_is_string(v))
            want = "a string";
        else
            out->s = json_string_value(v);
        break;
    case HC_FIELD_DURATION:
        if (json_is_number(v) && fabs(json_number_value(v)) < 9.2e9)
            out->i = (int64_t)llround(json_number_value(v) * 1e9);
        else if (!json_is_string(v) ||
                 parse_duration(json_string_value(v), &out->i) != 0)
            want = "a duration (30s, 1.5m, 1h30m, 250ms)";
        break;
    case HC_FIELD_SIZE:
        if (json_is_integer(v) && json_integer_value(v) >= 0)
            out->u = (uint64_t)json_integer_value(v);
        else if (!json_is_string(v) ||
                 parse_size(json_string_value(v), &out->u) != 0)
            want = "a size (512, 64KiB, 64MiB, 1.5GB)";
        break;
    case HC_FIELD_ENUM:
        if (json_is_string(v) && f->choices) {
            for (int i = 0; f->choices[i]; i++) {
                if (!strcmp(f->choices[i], json_string_value(v))) {
                    out->i = i;
                    return 0;
                }
            }
        }
        {
            char list[200] = "";
            size_t n = 0;
            for (int i = 0; f->choices && f->choices[i]; i++)
                n += (size_t)snprintf(list + n,
                                      n < sizeof list ? sizeof list - n : 0,
                                      "%s%s", i ? ", " : "", f->choices[i]);
            char *t = text_of(v);
            int rc =
                bad(err, ptr, "%s is not one of %s", t ? t : "value", list);
            free(t);
            return rc;
        }
    }
    if (want) {
        char *t = text_of(v);
        int rc = bad(err, ptr, "%s is not %s", t ? t : "the value", want);
        free(t);
        return rc;
    }
    return 0;
}

/* -1, 0, 1 as a is below, equal to, above b (same field type). */
static int compare(hc_field_type t, const value *a, const value *b)
{
    switch (t) {
    case HC_FIELD_DOUBLE: return (a->d > b->d) - (a->d < b->d);
    case HC_FIELD_SIZE: return (a->u > b->u) - (a->u < b->u);
    default: return (a->i > b->i) - (a->i < b->i);
    }
}

static int check_limits(const field *fd, const json_t *v, const value *x,
                        const char *ptr, hc_error *err)
{
    value lim, len;
    const value *subject = x;
    hc_field_type t = fd->f.type;
    if (t == HC_FIELD_STRING) { /* limits on the length */
        len.i = (int64_t)strlen(x->s);
        subject = &len;
        t = HC_FIELD_INT;
    }
    for (int k = 0; k < 2; k++) {
        const json_t *l = k ? fd->max : fd->min;
        hc_field lf = fd->f;
        lf.type = t;
        if (!l || convert(&lf, l, ptr, &lim, NULL) != 0)
            continue;
        if (k ? compare(t, subject, &lim) > 0 : compare(t, subject, &lim) < 0) {
            char *vt = fd->f.type == HC_FIELD_STRING ? NULL : text_of(v);
            char *lt = text_of(l);
            int rc;
            if (fd->f.type == HC_FIELD_STRING)
                rc = bad(err, ptr, "the string is %s than the %s of %s bytes",
                         k ? "longer" : "shorter", k ? "maximum" : "minimum",
                         lt ? lt : "?");
            else
                rc = bad(err, ptr, "%s is %s than the %s of %s",
                         vt ? vt : "value", k ? "greater" : "less",
                         k ? "maximum" : "minimum", lt ? lt : "?");
            free(vt);
            free(lt);
            return rc;
        }
    }
    return 0;
}

static void store(const hc_field *f, void *out, const value *x)
{
    char *p = (char *)out + f->offset;
    switch (f->type) {
    case HC_FIELD_BOOL: memcpy(p, &x->b, sizeof(int)); break;
    case HC_FIELD_ENUM: {
        int i = (int)x->i;
        memcpy(p, &i, sizeof i);
        break;
    }
    case HC_FIELD_INT:
    case HC_FIELD_DURATION: memcpy(p, &x->i, sizeof(int64_t)); break;
    case HC_FIELD_DOUBLE: memcpy(p, &x->d, sizeof(double)); break;
    case HC_FIELD_STRING: memcpy(p, &x->s, sizeof x->s); break;
    case HC_FIELD_SIZE: memcpy(p, &x->u, sizeof(uint64_t)); break;
    }
}

/* A path in hc_get syntax as a JSON pointer, for errors. */
typedef struct ptr_buf {
    char *buf;
    size_t cap, len;
} ptr_buf;

static int ptr_step(void *data, const char *key, size_t klen, size_t idx)
{
    ptr_buf *p = data;
    char num[24];
    if (!key) {
        klen = (size_t)snprintf(num, sizeof num, "%zu", idx);
        key = num;
    }
    p->len = hc__pointer_push(&p->buf, &p->cap, p->len, key, klen);
    return p->buf ? 0 : HC_ENOMEM;
}

static void path_pointer(const char *path, char *out, size_t size)
{
    ptr_buf p = {NULL, 0, 0};
    hc__path_segments(path, ptr_step, &p);
    snprintf(out, size, "%s", p.buf ? p.buf : "");
    free(p.buf);
}

static size_t member_size(hc_field_type t)
{
    switch (t) {
    case HC_FIELD_BOOL:
    case HC_FIELD_ENUM: return sizeof(int);
    case HC_FIELD_DOUBLE: return sizeof(double);
    case HC_FIELD_STRING: return sizeof(const char *);
    default: return sizeof(int64_t);
    }
}

int hc_binding_decode(const hc_binding *b, const json_t *doc, void *out,
                      hc_error *err)
{
    hc_error_init(err);
    if (!b || !out)
        return HC_EINVAL;
    memset(out, 0, b->size);
    for (size_t i = 0; i < b->n; i++) {
        const field *fd = &b->v[i];
        const json_t *v = doc ? hc_get(doc, fd->f.path) : NULL;
        char ptr[HC_ERROR_POINTER_LENGTH];
        value x;
        int rc;
        memset(&x, 0, sizeof x);
        path_pointer(fd->f.path, ptr, sizeof ptr);
        if (!v && (fd->f.flags & HC_FIELD_REQUIRED))
            return bad(err, ptr, "a value is required here");
        if (!v)
            v = fd->def; /* NULL: zero */
        if (v && ((rc = convert(&fd->f, v, ptr, &x, err)) != 0 ||
                  (rc = check_limits(fd, v, &x, ptr, err)) != 0))
            return rc;
        store(&fd->f, out, &x);
    }
    return 0;
}

/* ---- the table -------------------------------------------------------- */

/* A default or limit text as a config value: typed like an environment
 * value, a STRING default kept as written. */
static json_t *text_value(const hc_field *f, const char *s, int is_default)
{
    if (f->type == HC_FIELD_STRING && is_default)
        return json_string(s);
    return hc__scalar_typed(s, strlen(s));
}

hc_binding *hc_binding_new(const hc_field *fields, size_t nfields,
                           size_t struct_size, hc_error *err)
{
    hc_binding *b;
    hc_error_init(err);
    if (!fields || !nfields || !struct_size) {
        hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "no fields");
        return NULL;
    }
    if (!(b = calloc(1, sizeof *b)) ||
        !(b->v = calloc(nfields, sizeof *b->v))) {
        free(b);
        hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
        return NULL;
    }
    b->n = nfields;
    b->size = struct_size;
    pthread_mutex_init(&b->lock, NULL);
    for (size_t i = 0; i < nfields; i++) {
        field *fd = &b->v[i];
        const hc_field *f = &fields[i];
        char ptr[HC_ERROR_POINTER_LENGTH];
        value x;
        const char *why = NULL;
        fd->f = *f;
        if (!f->path || f->type > HC_FIELD_ENUM ||
            f->offset + member_size(f->type) > struct_size)
            why = "bad path, type or offset";
        else if (f->type == HC_FIELD_ENUM && !f->choices)
            why = "an enum needs choices";
        else if ((f->min || f->max) &&
                 (f->type == HC_FIELD_BOOL || f->type == HC_FIELD_ENUM))
            why = "limits on a bool or an enum";
        if (!why && f->def && !(fd->def = text_value(f, f->def, 1)))
            why = "out of memory";
        if (!why && f->min && !(fd->min = text_value(f, f->min, 0)))
            why = "out of memory";
        if (!why && f->max && !(fd->max = text_value(f, f->max, 0)))
            why = "out of memory";
        if (!why) {
            hc_field lf = *f;
            if (f->type == HC_FIELD_STRING)
                lf.type = HC_FIELD_INT;
            path_pointer(f->path, ptr, sizeof ptr);
            if ((fd->min && convert(&lf, fd->min, ptr, &x, NULL) != 0) ||
                (fd->max && convert(&lf, fd->max, ptr, &x, NULL) != 0))
                why = "its limits do not parse as its type";
            else if (fd->def && (convert(f, fd->def, ptr, &x, NULL) != 0 ||
                                 check_limits(fd, fd->def, &x, ptr, NULL)))
                why = "its default does not parse or is out of its limits";
        }
        if (why) {
            hc__error_set(err, HC_EINVAL, NULL, 0, 0, 0, "field %zu (%s): %s",
                          i, f->path ? f->path : "no path", why);
            b->n = i + 1;
            hc_binding_free(b);
            return NULL;
        }
    }
    return b;
}

/* ---- publication ------------------------------------------------------ */

static void block_unref(block *k)
{
    if (atomic_fetch_sub(&k->refs, 1) == 1) {
        hc_doc_release(k->doc);
        free(k);
    }
}

static void retire_cb(void *p)
{
    block_unref(p);
}

/* Decodes doc of version and makes it live, unless a newer one is. */
static int publish(hc_binding *b, const json_t *doc, uint64_t version)
{
    block *k = malloc(sizeof *k + b->size), *old;
    hc_error err;
    if (!k)
        return HC_ENOMEM;
    atomic_init(&k->refs, 1);
    k->version = version;
    k->doc = hc_doc_retain((json_t *)doc);
    if (hc_binding_decode(b, doc, k->data, &err) != 0) {
        /* the validator let it through: only when the binding was
         * installed after the version was applied */
        block_unref(k);
        return err.code;
    }
    pthread_mutex_lock(&b->lock);
    old = atomic_load(&b->live);
    if (old && old->version >= version) {
        pthread_mutex_unlock(&b->lock);
        block_unref(k);
        return 0;
    }
    atomic_store(&b->live, k);
    if (old)
        hc__retire(&b->retired, &old->node, old, retire_cb);
    pthread_mutex_unlock(&b->lock);
    return 0;
}

static int on_change(const hc_change_record *rec, void *ud)
{
    /* a version that cannot be decoded never went live through our
     * validator; keep the struct we have */
    publish(ud, rec->new_doc, rec->version);
    return 0;
}

static int validate(const json_t *doc, hc_error *err, void *ud)
{
    hc_binding *b = ud;
    unsigned char small[512];
    void *tmp;
    int rc;
    if (b->prev && (rc = b->prev(doc, err, b->prev_data)) != 0)
        return rc;
    tmp = b->size <= sizeof small ? small : malloc(b->size);
    if (!tmp)
        return HC_ENOMEM;
    rc = hc_binding_decode(b, doc, tmp, err);
    if (tmp != small)
        free(tmp);
    return rc;
}

int hc_binding_watch_options(hc_binding *b, hc_watch_options *wo)
{
    if (!b || !wo)
        return HC_EINVAL;
    if (wo->validate != validate) {
        b->prev = wo->validate;
        b->prev_data = wo->validate_data;
    }
    wo->validate = validate;
    wo->validate_data = b;
    return 0;
}

int hc_binding_attach(hc_binding *b, hc_engine *e, const char *id,
                      hc_error *err)
{
    uint64_t version = 0;
    json_t *doc;
    int sub;
    hc_error_init(err);
    if (!b || !e || !id)
        return HC_EINVAL;
    if (b->e) {
        hc__error_set(err, HC_ESTATE, id, 0, 0, 0, "already attached");
        return HC_ESTATE;
    }
    if (!(b->id = strdup(id)))
        return HC_ENOMEM;
    /* subscribe first, then read the live version: a version committed in
     * between arrives through the subscription, and publish() keeps the
     * newest whichever comes first */
    sub = hc_config_subscribe(e, id, on_change, b, err);
    if (sub < 0) {
        free(b->id);
        b->id = NULL;
        return sub;
    }
    b->e = e;
    b->sub = sub;
    doc = hc_config_snapshot(e, id, &version);
    if (doc)
        publish(b, doc, version);
    hc_doc_release(doc);
    return 0;
}

const void *hc_binding_acquire(hc_binding *b, uint64_t *version)
{
    hc__hprec *r;
    block *k;
    if (version)
        *version = 0;
    if (!b || !(r = hc__hp_self()))
        return NULL;
    for (;;) {
        k = atomic_load(&b->live);
        if (!k)
            return NULL;
        atomic_store(&r->hp[0], k);
        if (atomic_load(&b->live) == k)
            break;
    }
    atomic_fetch_add(&k->refs, 1);
    atomic_store_explicit(&r->hp[0], NULL, memory_order_release);
    if (version)
        *version = k->version;
    return k->data;
}

void hc_binding_release(hc_binding *b, const void *data)
{
    (void)b;
    if (data)
        block_unref(
            (block *)(void *)((char *)(uintptr_t)data - offsetof(block, data)));
}

void hc_binding_free(hc_binding *b)
{
    block *k;
    if (!b)
        return;
    if (b->e)
        hc_engine_unsubscribe(b->e, b->sub, NULL);
    pthread_mutex_lock(&b->lock);
    k = atomic_exchange(&b->live, NULL);
    if (k)
        hc__retire(&b->retired, &k->node, k, retire_cb);
    hc__reclaim(&b->retired, 1);
    pthread_mutex_unlock(&b->lock);
    pthread_mutex_destroy(&b->lock);
    for (size_t i = 0; i < b->n; i++) {
        json_decref(b->v[i].def);
        json_decref(b->v[i].min);
        json_decref(b->v[i].max);
    }
    free(b->v);
    free(b->id);
    free(b);
}
