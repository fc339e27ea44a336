/*
 * timer.c - the engine's only timer: one timerfd armed for the earliest
 * source deadline of any config (a file source's settle, missing-file
 * confirmation or next poll: sources/file.c), and disarmed when there is
 * none, so an idle engine never wakes. What a deadline means is the
 * source's: when it is due the timer calls the source's on_timer. The
 * list of configs with a deadline is short (pending settles, polled
 * files); it is scanned linearly.
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <sys/timerfd.h>

void hc__timer_remove(hc_engine *e, hc__config *c)
{
    if (c->timed_idx < 0)
        return;
    e->timed[c->timed_idx] = e->timed[--e->ntimed];
    e->timed[c->timed_idx]->timed_idx = c->timed_idx;
    c->timed_idx = -1;
}

void hc__timer_changed(hc_engine *e, hc__config *c)
{
    if (!c->source_at) {
        hc__timer_remove(e, c);
        return;
    }
    if (c->timed_idx >= 0)
        return;
    if (e->ntimed == e->captimed) {
        size_t n = e->captimed ? e->captimed * 2 : 16;
        hc__config **nt = realloc(e->timed, n * sizeof *nt);
        if (!nt) {
            /* Cannot track it: act now rather than never. */
            hc__work_add(e, c, HC__WORK_CHECK | HC__WORK_CONFIRM,
                         HC_TRIGGER_RESCAN, hc__now_ns());
            c->source_at = 0;
            return;
        }
        e->timed = nt;
        e->captimed = n;
    }
    c->timed_idx = (ssize_t)e->ntimed;
    e->timed[e->ntimed++] = c;
}

void hc__timer_rearm(hc_engine *e)
{
    int64_t at = 0;
    struct itimerspec its = {{0, 0}, {0, 0}};
    for (size_t i = 0; i < e->ntimed; i++) {
        int64_t t = e->timed[i]->source_at;
        if (t && (!at || t < at))
            at = t;
    }
    if (at == e->timer_at)
        return;
    e->timer_at = at;
    if (at) {
        its.it_value.tv_sec = at / 1000000000;
        its.it_value.tv_nsec = at % 1000000000;
    }
    timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void hc__timer_soon(hc_engine *e, int64_t at)
{
    struct itimerspec its = {{0, 0}, {0, 0}};
    if (!at || (e->timer_at && e->timer_at <= at))
        return; /* armed for earlier already: that round rearms */
    e->timer_at = at;
    its.it_value.tv_sec = at / 1000000000;
    its.it_value.tv_nsec = at % 1000000000;
    timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Hands the due deadlines to their sources (which queue work and set
 * the next deadline). */
void hc__timer_expire(hc_engine *e, int64_t now)
{
    hc__config *local[16], **due = local;
    size_t n = 0;
    for (size_t i = 0; i < e->ntimed; i++)
        if (e->timed[i]->source_at <= now)
            n++;
    if (n > sizeof local / sizeof local[0] &&
        !(due = malloc(n * sizeof *due))) {
        due = local; /* the rest wait for the next round */
        n = sizeof local / sizeof local[0];
    }
    /* Collected first: on_timer moves configs in and out of e->timed. */
    for (size_t i = 0, k = 0; i < e->ntimed && k < n; i++)
        if (e->timed[i]->source_at <= now)
            due[k++] = e->timed[i];
    for (size_t k = 0; k < n; k++) {
        hc__config *c = due[k];
        if (c->src && c->src->ops->on_timer)
            c->src->ops->on_timer(c->src, c, now);
        else
            hc__source_deadline_locked(c, 0);
    }
    if (due != local)
        free(due);
}
