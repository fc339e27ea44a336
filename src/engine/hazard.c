/*
 * hazard.c - hazard pointers (Michael, 2004) so that readers of the live
 * snapshots never block and never touch freed memory.
 *
 * Why hazard pointers: a reader must turn the live pointer into a document
 * reference without a lock (a reload may hold the engine for milliseconds),
 * and a plain "load pointer, then incref" races with the writer freeing the
 * old snapshot in between. A reader publishes the pointer it is about to
 * use in its own slot and re-checks that it is still live; a writer retires
 * what it replaced and frees it only once no slot holds it. Readers do two
 * seq_cst stores and never wait; writers (already serialised by the engine
 * lock) pay a scan of the slots. An epoch scheme would make a writer wait
 * for every reader thread to pass a quiescent point; a spinlock would make
 * readers spin behind each other. Records are one per thread, process-wide
 * (shared by every engine), recycled when a thread exits, never freed.
 */
#include "engine_internal.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

static _Atomic(hc__hprec *) hp_head;
static pthread_key_t hp_key;
static pthread_once_t hp_once = PTHREAD_ONCE_INIT;
static int hp_key_ok;
static _Thread_local hc__hprec *tl_rec;

/* Thread exit: hand the record to the next new thread. */
static void hp_release(void *p)
{
    hc__hprec *r = p;
    for (int i = 0; i < HC__HP_SLOTS; i++)
        atomic_store(&r->hp[i], NULL);
    /* A later destructor of this thread that reads a config takes a new
     * record rather than sharing this one with its next owner. */
    tl_rec = NULL;
    atomic_store(&r->active, 0);
}

static void hp_init(void)
{
    hp_key_ok = pthread_key_create(&hp_key, hp_release) == 0;
}

hc__hprec *hc__hp_self(void)
{
    hc__hprec *r = tl_rec;
    if (r)
        return r;
    pthread_once(&hp_once, hp_init);
    for (r = atomic_load(&hp_head); r; r = r->next) {
        int idle = 0;
        if (atomic_compare_exchange_strong(&r->active, &idle, 1))
            goto got;
    }
    r = aligned_alloc(_Alignof(hc__hprec), sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    atomic_init(&r->active, 1);
    r->next = atomic_load(&hp_head);
    while (!atomic_compare_exchange_weak(&hp_head, &r->next, r))
        ;
got:
    tl_rec = r;
    if (hp_key_ok)
        pthread_setspecific(hp_key, r);
    return r;
}

static int hazarded(const void *p)
{
    for (hc__hprec *r = atomic_load(&hp_head); r; r = r->next)
        for (int i = 0; i < HC__HP_SLOTS; i++)
            if (atomic_load(&r->hp[i]) == p)
                return 1;
    return 0;
}

void hc__retire(hc__retired **list, hc__retired *node, void *ptr,
                void (*destroy)(void *))
{
    node->ptr = ptr;
    node->destroy = destroy;
    node->next = *list;
    *list = node;
    hc__reclaim(list, 0);
}

void hc__reclaim(hc__retired **list, int wait)
{
    for (;;) {
        hc__retired **pp = list;
        while (*pp) {
            hc__retired *n = *pp;
            if (hazarded(n->ptr)) {
                pp = &n->next;
                continue;
            }
            /* n usually lives inside *ptr: unlink before destroying. */
            *pp = n->next;
            n->destroy(n->ptr);
        }
        if (!wait || !*list)
            return;
        /* A reader holds a hazard for a few instructions; let it finish. */
        sched_yield();
    }
}
