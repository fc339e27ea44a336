/* thread.c - starting the library's own threads (see internal.h). */
#include "internal.h"

#include <signal.h>

int hc__thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    /* A thread inherits the creator's mask: block everything around the
     * create, so that a process-directed signal (SIGTERM for hotconf
     * watch's signalfd, an application's handler) is never delivered to
     * one of ours, whichever thread of the application starts it. */
    sigset_t all, old;
    int rc;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
