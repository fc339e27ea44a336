/*
 * jfast.h - reads of object members and string bytes without a call into
 * libjansson per access. Validation of a large document walks tens of
 * thousands of members, and four out-of-line calls each (iter_next, key,
 * key_len, value) were an eighth of its instructions. jansson keeps these
 * structs private, so the layout used here (jansson 2.14's hashtable_pair
 * and json_string_t) is not trusted blindly: hc__jfast_init checks it once
 * against the public API on real values, and when it differs (another
 * jansson) every accessor falls back to the library's calls.
 */
#ifndef HC_SCHEMA_JFAST_H
#define HC_SCHEMA_JFAST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* hashtable_list { prev, next } */
typedef struct hc__jlist {
    struct hc__jlist *prev, *next;
} hc__jlist;

/* hashtable_pair, from its ordered_list member on (the iterator points
 * there): hash, value, key_len, key[] */
typedef struct hc__jpair {
    hc__jlist ordered;
    size_t hash;
    json_t *value;
    size_t key_len;
    char key[];
} hc__jpair;

/* json_object_t: json_t, then hashtable_t { size, buckets, order, list,
 * ordered_list } */
typedef struct hc__jobject {
    json_t json;
    size_t size;
    void *buckets;
    size_t order;
    hc__jlist list, ordered;
} hc__jobject;

typedef struct hc__jstring {
    json_t json;
    char *value;
    size_t length;
} hc__jstring;

typedef struct hc__jarray {
    json_t json;
    size_t capacity, entries;
    json_t **table;
} hc__jarray;

/* true when the layout above was verified (set once, before any
 * validation, by hc__jfast_init; read-only afterwards) */
extern bool hc__jfast_ok;

/* Verifies the layout once per process (thread-safe). */
void hc__jfast_init(void);

/* The hash jansson keeps in the pair of member name (len bytes) in every
 * object of this process (its seed is fixed from the first object on);
 * false when the layout is not verified or out of memory. */
bool hc__jfast_key_hash(const char *name, size_t len, size_t *hash);

/* Member iteration: it = hc__jmember_first(o); it; it = hc__jmember_next(o,
 * it). The _f forms take hc__jfast_ok as read once by a hot loop: a local
 * stays in a register across the loop's calls, the global is reloaded. */
static inline void *hc__jmember_first_f(bool fast, json_t *o)
{
    if (fast) {
        hc__jobject *jo = (hc__jobject *)o;
        return jo->ordered.next == &jo->ordered ? NULL : jo->ordered.next;
    }
    return json_object_iter(o);
}

static inline void *hc__jmember_first(json_t *o)
{
    return hc__jmember_first_f(hc__jfast_ok, o);
}

static inline void *hc__jmember_next_f(bool fast, json_t *o, void *it)
{
    if (fast) {
        hc__jlist *n = ((hc__jlist *)it)->next;
        return n == &((hc__jobject *)o)->ordered ? NULL : n;
    }
    return json_object_iter_next(o, it);
}

static inline void *hc__jmember_next(json_t *o, void *it)
{
    return hc__jmember_next_f(hc__jfast_ok, o, it);
}

static inline const char *hc__jmember_key_f(bool fast, void *it, size_t *len)
{
    if (fast) {
        *len = ((hc__jpair *)it)->key_len;
        return ((hc__jpair *)it)->key;
    }
    *len = json_object_iter_key_len(it);
    return json_object_iter_key(it);
}

static inline const char *hc__jmember_key(void *it, size_t *len)
{
    return hc__jmember_key_f(hc__jfast_ok, it, len);
}

static inline json_t *hc__jmember_value_f(bool fast, void *it)
{
    return fast ? ((hc__jpair *)it)->value : json_object_iter_value(it);
}

static inline json_t *hc__jmember_value(void *it)
{
    return hc__jmember_value_f(hc__jfast_ok, it);
}

static inline size_t hc__jobject_size(const json_t *o)
{
    return hc__jfast_ok ? ((const hc__jobject *)o)->size : json_object_size(o);
}

/* For a value known to be an array; i < its size. */
static inline size_t hc__jarray_size_f(bool fast, const json_t *a)
{
    return fast ? ((const hc__jarray *)a)->entries : json_array_size(a);
}

static inline size_t hc__jarray_size(const json_t *a)
{
    return hc__jarray_size_f(hc__jfast_ok, a);
}

static inline json_t *hc__jarray_at_f(bool fast, const json_t *a, size_t i)
{
    return fast ? ((const hc__jarray *)a)->table[i] : json_array_get(a, i);
}

static inline json_t *hc__jarray_at(const json_t *a, size_t i)
{
    return hc__jarray_at_f(hc__jfast_ok, a, i);
}

/* For a value known to be a string. */
static inline const char *hc__jstr(const json_t *s, size_t *len)
{
    if (hc__jfast_ok) {
        *len = ((const hc__jstring *)s)->length;
        return ((const hc__jstring *)s)->value;
    }
    *len = json_string_length(s);
    return json_string_value(s);
}

#endif
