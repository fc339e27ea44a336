/* mask.c - secret keys, masked documents and masked error texts (see
 * mask.h). */
#include "mask.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- keys ------------------------------------------------------------- */

/* key in one spelling: lower case, '-' and a camelCase hump as '_'. */
static size_t spell(const char *key, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 2 < cap; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (isupper(ch) && i > 0 && islower((unsigned char)key[i - 1]))
            out[n++] = '_';
        out[n++] = ch == '-' ? '_' : (char)tolower(ch);
    }
    out[n] = '\0';
    return n;
}

/* Does seg[0..n) end in word after a '_', or equal it? */
static int ends_in(const char *seg, size_t n, const char *word, size_t wl)
{
    return wl && n >= wl && memcmp(seg + n - wl, word, wl) == 0 &&
           (n == wl || seg[n - wl - 1] == '_');
}

int hc__mask_key(const char *key, const char *list)
{
    char low[256], word[128];
    const char *seg;
    size_t n;
    if (!key)
        return 0;
    if (!list) {
        list = getenv("HOTCONF_SECRET_KEYS");
        if (!list || !*list)
            list = HC__MASK_KEYS_DEFAULT;
    }
    spell(key, strlen(key), low, sizeof low);
    /* the last segment of a dotted key (INI "db.password") */
    seg = strrchr(low, '.');
    seg = seg ? seg + 1 : low;
    n = strlen(seg);
    while (*list) {
        const char *c = strchr(list, ',');
        size_t len = c ? (size_t)(c - list) : strlen(list), wl;
        while (len && isspace((unsigned char)*list)) {
            list++;
            len--;
        }
        while (len && isspace((unsigned char)list[len - 1]))
            len--;
        wl = len < sizeof word ? spell(list, len, word, sizeof word) : 0;
        /* passwords, secrets, credentials: the plural too */
        if (ends_in(seg, n, word, wl) ||
            (n > 1 && seg[n - 1] == 's' && ends_in(seg, n - 1, word, wl)))
            return 1;
        list = c ? c + 1 : list + strlen(list);
    }
    return 0;
}

/* ---- the schema's writeOnly marks ---------------------------------------- */

/* The subschema for a step, following "properties" (and "items" for an
 * index): enough for writeOnly marks, which sit on properties. */
static const json_t *sub_step(const json_t *schema, const char *key, int index)
{
    const json_t *p;
    if (!schema)
        return NULL;
    if (index)
        return json_object_get(schema, "items");
    p = json_object_get(schema, "properties");
    return p ? json_object_get(p, key) : NULL;
}

static int write_only(const json_t *schema)
{
    return schema && json_is_true(json_object_get(schema, "writeOnly"));
}

/* One step of a path or pointer: secret by key or by the schema. *sub
 * moves along. */
static int step_secret(const char *key, int index, const char *list,
                       const json_t **sub)
{
    *sub = sub_step(*sub, key, index);
    return (!index && hc__mask_key(key, list)) || write_only(*sub);
}

int hc__mask_path(const char *path, const char *list, const json_t *schema)
{
    const json_t *sub = schema;
    const char *p = path;
    char seg[256];
    if (!p)
        return 0;
    while (*p) {
        size_t n = 0;
        if (*p == '[') {
            const char *end = p + 1;
            if (*end == '"') {
                /* ["quoted key"]: a JSON string */
                json_t *s;
                for (end++; *end && *end != '"'; end++)
                    if (*end == '\\' && end[1])
                        end++;
                s = *end ? json_loadb(p + 1, (size_t)(end - p), JSON_DECODE_ANY,
                                      NULL)
                         : NULL;
                if (json_is_string(s) &&
                    step_secret(json_string_value(s), 0, list, &sub)) {
                    json_decref(s);
                    return 1;
                }
                json_decref(s);
            } else if (step_secret("", 1, list, &sub)) {
                return 1;
            }
            while (*end && *end != ']')
                end++;
            p = *end ? end + 1 : end;
            continue;
        }
        if (*p == '.')
            p++;
        while (p[n] && p[n] != '.' && p[n] != '[')
            n++;
        if (n >= sizeof seg)
            n = sizeof seg - 1;
        memcpy(seg, p, n);
        seg[n] = '\0';
        p += n;
        while (*p && *p != '.' && *p != '[')
            p++; /* the rest of an overlong key */
        if (step_secret(seg, 0, list, &sub))
            return 1;
    }
    return 0;
}

int hc__mask_pointer(const char *pointer, const char *list,
                     const json_t *schema)
{
    const json_t *sub = schema;
    const char *p = pointer;
    char seg[256];
    if (!p)
        return 0;
    while (*p == '/') {
        size_t n = 0;
        int digits = 1;
        for (p++; *p && *p != '/'; p++) {
            char ch = *p;
            if (ch == '~' && (p[1] == '0' || p[1] == '1'))
                ch = *++p == '0' ? '~' : '/';
            if (!isdigit((unsigned char)ch))
                digits = 0;
            if (n + 1 < sizeof seg)
                seg[n++] = ch;
        }
        seg[n] = '\0';
        /* "0" may be a key or an index: try the key's subschema first */
        if (step_secret(seg, digits && n && !sub_step(sub, seg, 0), list, &sub))
            return 1;
    }
    return 0;
}

/* ---- documents ---------------------------------------------------------- */

void hc__mask_doc(json_t *v, const char *list, const json_t *schema,
                  const char *mask)
{
    const char *k;
    json_t *child;
    size_t i;
    if (!mask)
        mask = HC__MASK;
    if (json_is_object(v)) {
        json_object_foreach(v, k, child)
        {
            const json_t *sub = sub_step(schema, k, 0);
            if (hc__mask_key(k, list) || write_only(sub))
                json_object_set_new(v, k, json_string(mask));
            else
                hc__mask_doc(child, list, sub, mask);
        }
    } else if (json_is_array(v)) {
        const json_t *items = sub_step(schema, NULL, 1);
        json_array_foreach(v, i, child)
        {
            if (write_only(items))
                json_array_set_new(v, i, json_string(mask));
            else
                hc__mask_doc(child, list, items, mask);
        }
    }
}

json_t *hc__mask_copy(const json_t *v, const char *list, const json_t *schema,
                      const char *mask)
{
    json_t *out;
    if (!v)
        return json_null();
    out = json_deep_copy(v);
    hc__mask_doc(out, list, schema, mask);
    return out;
}

/* ---- error texts -------------------------------------------------------- */

/* Is ch where a '...' quote may open or close (not inside a word, as the
 * apostrophe of "can't" is)? */
static int word_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* The quoted spans of text as ***, and for a schema error (pointer set)
 * a bare value after the pointer. Returns 1 when something changed. */
static int mask_text(char *text, size_t cap, const char *pointer)
{
    char out[HC_ERROR_TEXT_LENGTH];
    size_t o = 0, i = 0, len = strlen(text), pl = pointer ? strlen(pointer) : 0;
    const char *v;
    int changed = 0;
    if (cap > sizeof out)
        cap = sizeof out;
    if (pointer && pl && !strncmp(text, pointer, pl) &&
        !strncmp(text + pl, ": ", 2)) {
        /* a schema message names its pointer first: kept as it is */
        i = pl + 2;
        memcpy(out, text, i);
        o = i;
    }
    v = text + i;
    if (pointer && (isdigit((unsigned char)v[0]) || v[0] == '-' ||
                    !strncmp(v, "true ", 5) || !strncmp(v, "false ", 6) ||
                    !strncmp(v, "null ", 5))) {
        /* then the value: "/pin: 12345 is greater than ..." */
        while (text[i] && text[i] != ' ')
            i++;
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", HC__MASK);
        changed = 1;
    }
    while (i < len && o + 1 < cap) {
        char q = text[i];
        size_t end = i + 1;
        if (q == '"') {
            while (end < len && text[end] != '"')
                end += text[end] == '\\' && end + 1 < len ? 2 : 1;
        } else if (q == '\'' && (i == 0 || !word_char(text[i - 1]))) {
            while (end < len &&
                   !(text[end] == '\'' &&
                     (end + 1 == len || !word_char(text[end + 1]))))
                end++;
        } else {
            out[o++] = text[i++];
            continue;
        }
        if (end >= len) { /* an unterminated quote is text */
            out[o++] = text[i++];
            continue;
        }
        if (o + 6 >= cap)
            break;
        o += (size_t)snprintf(out + o, cap - o, "%c%s%c", q, HC__MASK, q);
        i = end + 1;
        changed = 1;
    }
    out[o < cap ? o : cap - 1] = '\0';
    if (changed)
        memcpy(text, out, strlen(out) + 1);
    return changed;
}

/* The key of the value that ends before limit in line[0..len): the token
 * before the last ':' or '=' outside quotes. 1 when found. */
static int key_before(const char *line, size_t len, size_t limit, char *key,
                      size_t cap)
{
    size_t sep = 0, i, start, end;
    int found = 0;
    char q = 0;
    if (limit > len)
        limit = len;
    for (i = 0; i < limit; i++) {
        char ch = line[i];
        if (q) {
            if (ch == '\\' && q == '"')
                i++;
            else if (ch == q)
                q = 0;
        } else if (ch == '"' ||
                   (ch == '\'' && (!i || !word_char(line[i - 1])))) {
            q = ch;
        } else if (ch == ':' || ch == '=') {
            sep = i;
            found = 1;
        }
    }
    if (!found)
        return 0;
    end = sep;
    while (end > 0 && isspace((unsigned char)line[end - 1]))
        end--;
    if (end > 0 && (line[end - 1] == '"' || line[end - 1] == '\'')) {
        char quote = line[--end];
        start = end;
        while (start > 0 && line[start - 1] != quote)
            start--;
    } else {
        start = end;
        while (start > 0 && !isspace((unsigned char)line[start - 1]) &&
               !strchr("{[,", line[start - 1]))
            start--;
    }
    if (end <= start || end - start >= cap)
        return 0;
    memcpy(key, line + start, end - start);
    key[end - start] = '\0';
    return 1;
}

/* The key on line `line` of file before column col (the whole line when
 * 0), else on the nearest non-blank line before it. 1 when found. */
static int key_at(const char *file, int line, int col, char *key, size_t cap)
{
    FILE *f = fopen(file, "re");
    char *buf = NULL, *prev = NULL;
    size_t bcap = 0;
    ssize_t n;
    int at = 0, found = 0;
    if (!f)
        return 0;
    while ((n = getline(&buf, &bcap, f)) >= 0 && ++at < line) {
        size_t k = 0;
        while (k < (size_t)n && isspace((unsigned char)buf[k]))
            k++;
        if (k < (size_t)n) {
            free(prev);
            prev = strdup(buf);
        }
    }
    if (at == line && n >= 0)
        found = key_before(buf, (size_t)n, col > 0 ? (size_t)col - 1 : SIZE_MAX,
                           key, cap);
    if (!found && prev)
        found = key_before(prev, strlen(prev), SIZE_MAX, key, cap);
    free(buf);
    free(prev);
    fclose(f);
    return found;
}

int hc__mask_error(hc_error *err, const char *list, const json_t *schema)
{
    char key[256];
    if (!err || !err->code || !err->text[0])
        return 0;
    if (err->pointer[0])
        return hc__mask_pointer(err->pointer, list, schema) &&
               mask_text(err->text, sizeof err->text, err->pointer);
    if (err->code == HC_EPARSE && err->line > 0 &&
        key_at(err->source, err->line, err->column, key, sizeof key) &&
        hc__mask_key(key, list))
        return mask_text(err->text, sizeof err->text, NULL);
    return 0;
}

char *hc__mask_error_format(const hc_error *err, const char *list,
                            const json_t *schema, char *buf, size_t size)
{
    hc_error copy = *err;
    hc__mask_error(&copy, list, schema);
    return hc_error_format(&copy, buf, size);
}
