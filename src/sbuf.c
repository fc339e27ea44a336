/*
 * sbuf.c - a growable byte buffer for the INI/.env parsers and emitters.
 * Failure is sticky (see internal.h) so that hot loops append without a
 * check per call and test once at the end.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static int sbuf_reserve(hc__sbuf *b, size_t extra)
{
    size_t need, ncap;
    char *nd;
    if (b->failed)
        return 0;
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = 1;
        return 0;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 1;
    ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    nd = realloc(b->data, ncap);
    if (!nd) {
        b->failed = 1;
        return 0;
    }
    b->data = nd;
    b->cap = ncap;
    return 1;
}

void hc__sbuf_append(hc__sbuf *b, const char *s, size_t n)
{
    if (!sbuf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void hc__sbuf_putc(hc__sbuf *b, char c)
{
    hc__sbuf_append(b, &c, 1);
}

void hc__sbuf_puts(hc__sbuf *b, const char *s)
{
    hc__sbuf_append(b, s, strlen(s));
}

int hc__sbuf_failed(const hc__sbuf *b)
{
    return b->failed;
}

char *hc__sbuf_take(hc__sbuf *b)
{
    char *d;
    if (b->failed) {
        hc__sbuf_free(b);
        return NULL;
    }
    if (!sbuf_reserve(b, 0)) {
        hc__sbuf_free(b);
        return NULL;
    }
    d = b->data;
    d[b->len] = '\0'; /* a buffer nothing was appended to is "" */
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

char *hc__sbuf_result(hc__sbuf *b, hc_error *err)
{
    char *s = hc__sbuf_take(b);
    if (!s)
        hc__error_set(err, HC_ENOMEM, NULL, 0, 0, 0, "out of memory");
    return s;
}

void hc__sbuf_free(hc__sbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
