/*
 * describe.c - short renderings of JSON values for compile and validation
 * messages.
 */
#include "schema_internal.h"

#include <stdio.h>
#include <string.h>

const char *hc__type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL:
    default: return "null";
    }
}

void hc__brief(const json_t *v, char *buf, size_t size)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v), o = 0, i;
        const size_t max_chars = 40;
        if (size < 16) {
            snprintf(buf, size, "a string");
            return;
        }
        buf[o++] = '"';
        for (i = 0; i < n && o + 10 < size; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (i >= max_chars && (ch & 0xC0) != 0x80)
                break;
            if (ch == '"' || ch == '\\') {
                buf[o++] = '\\';
                buf[o++] = (char)ch;
            } else if (ch == '\n') {
                buf[o++] = '\\';
                buf[o++] = 'n';
            } else if (ch == '\t') {
                buf[o++] = '\\';
                buf[o++] = 't';
            } else if (ch < 0x20 || ch == 0x7f) {
                o += (size_t)snprintf(buf + o, size - o, "\\u%04x", ch);
            } else {
                buf[o++] = (char)ch;
            }
        }
        if (i < n) {
            /* cut on a character boundary */
            while (o > 1 && ((unsigned char)buf[o - 1] & 0xC0) == 0x80)
                o--;
            if (o > 1 && ((unsigned char)buf[o - 1] & 0xC0) == 0xC0)
                o--;
            snprintf(buf + o, size - o, "...\"");
        } else {
            snprintf(buf + o, size - o, "\"");
        }
        return;
    }
    case JSON_INTEGER:
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;
    case JSON_REAL: {
        double d = json_real_value(v);
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, size, "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
        return;
    }
    case JSON_TRUE: snprintf(buf, size, "true"); return;
    case JSON_FALSE: snprintf(buf, size, "false"); return;
    case JSON_NULL: snprintf(buf, size, "null"); return;
    case JSON_OBJECT: snprintf(buf, size, "an object"); return;
    case JSON_ARRAY:
    default: snprintf(buf, size, "an array"); return;
    }
}
