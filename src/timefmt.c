/*
 * timefmt.c - the one spelling of a time for people and JSON alike
 * (dashboard, API, hotconf history/log/show): UTC, milliseconds.
 */
#include "internal.h"

#include <stdio.h>
#include <time.h>

const char *hc__time_text(int64_t realtime_ns, char buf[HC__TIME_TEXT])
{
    time_t t = (time_t)(realtime_ns / 1000000000);
    struct tm tm;
    char d[24];
    if (!gmtime_r(&t, &tm))
        return NULL;
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, HC__TIME_TEXT, "%s.%03dZ", d,
             (int)(realtime_ns % 1000000000 / 1000000));
    return buf;
}
