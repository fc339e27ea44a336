/*
 * timer.c - the engine's only timer: one timerfd armed for the earliest
 * deadline of any config (settle after IN_MODIFY, missing-file
 * confirmation, the next poll), and disarmed when there is none, so an
 * idle engine never wakes. The list of configs with a deadline is short
 * (pending settles, polled files); it is scanned linearly.
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <sys/timerfd.h>

static int64_t next_deadline(const hc__config *c)
{
    int64_t t = 0;
    if (c->settle_at && (!t || c->settle_at < t))
        t = c->settle_at;
    if (c->confirm_at && (!t || c->confirm_at < t))
        t = c->confirm_at;
    if (c->poll_at && (!t || c->poll_at < t))
        t = c->poll_at;
    return t;
}

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
    int64_t t = next_deadline(c);
    if (!t) {
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
            hc__work_add(e, c, HC__P_CHECK | HC__P_CONFIRM, HC_TRIGGER_RESCAN,
                         hc__now_ns());
            c->settle_at = c->confirm_at = 0;
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
        int64_t t = next_deadline(e->timed[i]);
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

/* Turns due deadlines into work items. */
void hc__timer_expire(hc_engine *e, int64_t now)
{
    for (size_t i = 0; i < e->ntimed;) {
        hc__config *c = e->timed[i];
        int64_t hold =
            c->settle_detect + (int64_t)hc__hold_open_ms(e) * 1000000;
        if (c->settle_at && c->settle_at <= now && now < hold &&
            hc__inotify_held_open(c)) {
            /* A writer still holds the file: its content may be half
             * written. Its close applies it; a writer that never closes
             * is applied once the hold time passed. */
            c->settle_at = hold;
            c->settle_held = 1;
        } else if (c->settle_at && c->settle_at <= now) {
            hc__work_add(e, c, HC__P_CHECK | HC__P_CONFIRM, c->settle_trigger,
                         c->settle_detect);
            c->settle_at = 0;
        }
        if (!c->settle_at)
            c->settle_held = 0;
        if (c->confirm_at && c->confirm_at <= now) {
            hc__work_add(e, c, HC__P_CHECK | HC__P_CONFIRM, HC_TRIGGER_CREATE,
                         now);
            c->confirm_at = 0;
        }
        if (c->poll_at && c->poll_at <= now) {
            hc__work_add(e, c, HC__P_POLL, HC_TRIGGER_POLL, now);
            c->poll_at = now + (int64_t)c->poll_ms * 1000000;
        }
        if (!next_deadline(c))
            hc__timer_remove(e, c); /* moved the last one into slot i */
        else
            i++;
    }
}
