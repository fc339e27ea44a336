/*
 * equal.c - equality and hashing of JSON values as JSON Schema sees them
 * (enum, const, uniqueItems): numbers compare by value whatever their
 * representation (1 == 1.0, exact for 64-bit integers), objects ignore key
 * order. The hash agrees with the equality so uniqueItems can bucket.
 */
#include "schema_internal.h"

#include <math.h>
#include <string.h>
#include <xxhash.h>

/* An integral real that fits json_int_t, as that integer. */
static bool real_as_int(double d, json_int_t *out)
{
    /* 2^63 is exactly representable; anything >= it does not fit */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return false;
    if (floor(d) != d)
        return false;
    *out = (json_int_t)d;
    return true;
}

static bool num_equal(const json_t *a, const json_t *b)
{
    json_int_t i;
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_real(a) && json_is_real(b))
        return json_real_value(a) == json_real_value(b);
    if (json_is_real(a)) {
        const json_t *t = a;
        a = b;
        b = t;
    }
    /* a integer, b real */
    return real_as_int(json_real_value(b), &i) && i == json_integer_value(a);
}

bool hc__json_equal(const json_t *a, const json_t *b)
{
    if (a == b)
        return true;
    if (json_is_number(a) && json_is_number(b))
        return num_equal(a, b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b),
                      json_string_length(a)) == 0;
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!hc__json_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    case JSON_OBJECT: {
        const char *k;
        size_t kl;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_keylen_foreach((json_t *)a, k, kl, v)
        {
            json_t *w = json_object_getn(b, k, kl);
            if (!w || !hc__json_equal(v, w))
                return false;
        }
        return true;
    }
    default: return true; /* true, false, null: same type is equal */
    }
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t hc__json_hash(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return XXH3_64bits(json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return mix((uint64_t)json_integer_value(v) ^ 0x1234);
    case JSON_REAL: {
        double d = json_real_value(v);
        json_int_t i;
        uint64_t bits;
        if (real_as_int(d, &i))
            return mix((uint64_t)i ^ 0x1234);
        memcpy(&bits, &d, sizeof bits);
        return mix(bits);
    }
    case JSON_ARRAY: {
        uint64_t h = 0xa77a;
        for (size_t i = 0; i < json_array_size(v); i++)
            h = mix(h ^ hc__json_hash(json_array_get(v, i)));
        return h;
    }
    case JSON_OBJECT: {
        /* order-independent: a sum of per-member hashes */
        uint64_t h = 0x0b1ec7;
        const char *k;
        size_t kl;
        json_t *m;
        json_object_keylen_foreach((json_t *)v, k, kl, m)
        {
            h += mix(XXH3_64bits(k, kl) ^ (hc__json_hash(m) * 31));
        }
        return h;
    }
    case JSON_TRUE: return 0x7777;
    case JSON_FALSE: return 0x8888;
    default: return 0x9999;
    }
}
