/*
 * jfast.c - the one-time check of jansson's private layout that jfast.h
 * relies on: the fast accessors are used only if they give exactly what
 * the public API gives on real values.
 */
#include "jfast.h"

#include <pthread.h>
#include <string.h>

bool hc__jfast_ok;

static pthread_once_t jfast_once = PTHREAD_ONCE_INIT;

static bool members_agree(json_t *o)
{
    hc__jobject *jo = (hc__jobject *)o;
    void *it = json_object_iter(o);
    hc__jlist *l = jo->ordered.next;
    for (; it; it = json_object_iter_next(o, it), l = l->next) {
        hc__jpair *p = (hc__jpair *)l;
        if ((void *)l != it || l == &jo->ordered ||
            p->key != json_object_iter_key(it) ||
            p->key_len != json_object_iter_key_len(it) ||
            p->value != json_object_iter_value(it))
            return false;
    }
    return l == &jo->ordered;
}

static void jfast_check(void)
{
#if JANSSON_MAJOR_VERSION != 2 || JANSSON_MINOR_VERSION < 14
    /* key_len in the pair came with 2.14; older ones keep the API */
    hc__jfast_ok = false;
#else
    json_t *empty = json_object(), *o = json_object();
    json_t *s = json_stringn("a\0bc", 4), *a = json_array();
    bool ok = empty && o && s && a;
    static const char *const keys[] = {"first", "b", "a longer key, 23 bytes"};
    for (size_t i = 0; ok && i < sizeof keys / sizeof keys[0]; i++)
        ok = json_object_set_new(o, keys[i], json_integer((json_int_t)i)) == 0;
    ok = ok && json_object_setn_new(o, "n\0ul", 4, json_null()) == 0;
    for (int i = 0; ok && i < 9; i++) /* 9: past the first growth */
        ok = json_array_append_new(a, json_integer(i)) == 0;
    ok = ok && ((hc__jarray *)a)->entries == json_array_size(a);
    for (size_t i = 0; ok && i < json_array_size(a); i++)
        ok = ((hc__jarray *)a)->table[i] == json_array_get(a, i);
    ok = ok && members_agree(empty) && members_agree(o) &&
         ((hc__jobject *)o)->size == json_object_size(o) &&
         ((hc__jstring *)s)->value == json_string_value(s) &&
         ((hc__jstring *)s)->length == json_string_length(s) &&
         !memcmp(((hc__jstring *)s)->value, "a\0bc", 5);
    json_decref(empty);
    json_decref(o);
    json_decref(s);
    json_decref(a);
    hc__jfast_ok = ok;
#endif
}

void hc__jfast_init(void)
{
    pthread_once(&jfast_once, jfast_check);
}

bool hc__jfast_key_hash(const char *name, size_t len, size_t *hash)
{
    json_t *o;
    bool ok;
    hc__jfast_init();
    if (!hc__jfast_ok)
        return false;
    o = json_object();
    ok = o && json_object_setn_new(o, name, len, json_null()) == 0;
    if (ok) {
        const hc__jobject *jo = (const hc__jobject *)o;
        *hash = ((const hc__jpair *)jo->ordered.next)->hash;
    }
    json_decref(o);
    return ok;
}
