/*
 * yaml_core.h - the YAML 1.2 core schema's typing rules for plain scalars,
 * shared by the parser (which types what it reads) and the emitter (which
 * must quote any string that would read back as something else). Keeping
 * them in one file is what makes a dump-then-parse round trip exact.
 */
#ifndef HC_FORMAT_YAML_CORE_H
#define HC_FORMAT_YAML_CORE_H

#include "internal.h"

/* Kinds a scalar resolves to. */
enum {
    HC__SC_STR,
    HC__SC_NULL,
    HC__SC_BOOL,
    HC__SC_INT,
    HC__SC_FLOAT,
    HC__SC_NONFINITE,   /* .inf / .nan: not representable */
    HC__SC_INT_RANGE,   /* an integer that does not fit in 64 bits */
    HC__SC_FLOAT_RANGE, /* a float beyond the range of a double */
    HC__SC_NOMEM
};

typedef struct hc__yaml_scalar {
    json_int_t i;
    double d;
    int b;
} hc__yaml_scalar;

/* A plain, untagged scalar: returns an HC__SC_* kind and fills v. */
int hc__yaml_resolve_plain(const char *s, size_t n, hc__yaml_scalar *v);
/* Core-schema integer (decimal, 0o, 0x): HC__SC_INT, HC__SC_INT_RANGE, or
 * -1 when the text is not an integer. */
int hc__yaml_core_int(const char *s, size_t n, json_int_t *out);
/* True when s is a core-schema float (not .inf/.nan). */
int hc__yaml_is_core_float(const char *s, size_t n);
/* Reads a core float: HC__SC_FLOAT, HC__SC_FLOAT_RANGE or HC__SC_NOMEM. */
int hc__yaml_core_float(const char *s, size_t n, double *out);
int hc__yaml_is_nonfinite(const char *s, size_t n);
/* 1 true, 0 false, -1 neither. */
int hc__yaml_bool_text(const char *s, size_t n);
int hc__yaml_is_null(const char *s, size_t n);

#endif
