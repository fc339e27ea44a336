/*
 * map.c - a small chained hash table for the engine's bookkeeping (dir
 * watches by wd and by path, interests by file name). Keys are borrowed
 * from the values; duplicates are allowed so one name can map to several
 * configs. Grows by doubling; never shrinks (sizes track the watch count).
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

uint64_t hc__hash_str(const char *s)
{
    return XXH3_64bits(s, strlen(s));
}

static uint64_t hash_int(intptr_t k)
{
    uint64_t x = (uint64_t)k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int grow(hc__map *m)
{
    size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
    hc__map_node **b = calloc(n, sizeof *b);
    if (!b)
        return -1;
    for (size_t i = 0; i < m->nbuckets; i++) {
        hc__map_node *node = m->buckets[i], *next;
        for (; node; node = next) {
            next = node->next;
            node->next = b[node->hash & (n - 1)];
            b[node->hash & (n - 1)] = node;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
    return 0;
}

static int put(hc__map *m, uint64_t h, const char *skey, intptr_t ikey,
               void *value)
{
    hc__map_node *node;
    if (m->count >= m->nbuckets && grow(m) != 0)
        return -1;
    node = malloc(sizeof *node);
    if (!node)
        return -1;
    node->hash = h;
    node->skey = skey;
    node->ikey = ikey;
    node->value = value;
    node->next = m->buckets[h & (m->nbuckets - 1)];
    m->buckets[h & (m->nbuckets - 1)] = node;
    m->count++;
    return 0;
}

int hc__map_put_str(hc__map *m, const char *key, void *value)
{
    return put(m, hc__hash_str(key), key, 0, value);
}

int hc__map_put_int(hc__map *m, intptr_t key, void *value)
{
    return put(m, hash_int(key), NULL, key, value);
}

static hc__map_node *find_str(hc__map_node *node, uint64_t h, const char *key)
{
    for (; node; node = node->next)
        if (node->hash == h && node->skey && strcmp(node->skey, key) == 0)
            return node;
    return NULL;
}

void *hc__map_get_str(const hc__map *m, const char *key, hc__map_node **it)
{
    uint64_t h;
    hc__map_node *node;
    if (!m->nbuckets)
        return NULL;
    h = hc__hash_str(key);
    node = find_str(m->buckets[h & (m->nbuckets - 1)], h, key);
    if (it)
        *it = node;
    return node ? node->value : NULL;
}

void *hc__map_next_str(hc__map_node **it, const char *key)
{
    hc__map_node *node;
    if (!*it)
        return NULL;
    node = find_str((*it)->next, (*it)->hash, key);
    *it = node;
    return node ? node->value : NULL;
}

void *hc__map_get_int(const hc__map *m, intptr_t key)
{
    uint64_t h;
    hc__map_node *node;
    if (!m->nbuckets)
        return NULL;
    h = hash_int(key);
    for (node = m->buckets[h & (m->nbuckets - 1)]; node; node = node->next)
        if (!node->skey && node->ikey == key)
            return node->value;
    return NULL;
}

static int del(hc__map *m, uint64_t h, const char *skey, intptr_t ikey,
               const void *value)
{
    hc__map_node **pp;
    if (!m->nbuckets)
        return 0;
    for (pp = &m->buckets[h & (m->nbuckets - 1)]; *pp; pp = &(*pp)->next) {
        hc__map_node *node = *pp;
        int match = skey ? (node->skey && node->value == value &&
                            strcmp(node->skey, skey) == 0)
                         : (!node->skey && node->ikey == ikey);
        if (match) {
            *pp = node->next;
            free(node);
            m->count--;
            return 1;
        }
    }
    return 0;
}

int hc__map_del_str(hc__map *m, const char *key, const void *value)
{
    return del(m, hc__hash_str(key), key, 0, value);
}

int hc__map_del_int(hc__map *m, intptr_t key)
{
    return del(m, hash_int(key), NULL, key, NULL);
}

void hc__map_free(hc__map *m)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        hc__map_node *node = m->buckets[i], *next;
        for (; node; node = next) {
            next = node->next;
            free(node);
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = m->count = 0;
}
