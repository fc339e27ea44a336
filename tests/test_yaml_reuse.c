/*
 * test_yaml_reuse.c - YAML's reusing parse (src/format/yaml_reuse.c) held
 * to a full parse: on chains of edits of many documents, the document (key
 * order included) or the error (code, text, line, column, offset) must be
 * hc_parse's; an edit of one entry shares every other top-level value with
 * the live document; and the documents whose entries could depend on each
 * other keep no record at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "format/reuse.h"
#include "testutil.h"

/* ---- text buffers and a fixed random sequence ---------------------------- */

typedef struct tbuf {
    char *s;
    size_t len, cap;
} tbuf;

static void tb_add(tbuf *b, const char *s, size_t n)
{
    if (!b->s || b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *ns;
        while (cap < b->len + n + 1)
            cap *= 2;
        ns = realloc(b->s, cap);
        if (!ns)
            abort();
        b->s = ns;
        b->cap = cap;
    }
    if (n)
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void tb_printf(tbuf *b, const char *fmt, ...) HC__PRINTF(2, 3);
static void tb_printf(tbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof tmp);
    tb_add(b, tmp, (size_t)n);
}

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33) % n;
}

/* ---- documents --------------------------------------------------------- */

/* bench/bench_util.h's service blocks: the benchmark's config. */
static void services(tbuf *b, size_t target)
{
    for (int i = 0; b->len < target; i++)
        tb_printf(b,
                  "service%d:\n  host: svc%d.internal\n  port: %d\n"
                  "  debug: %s\n  ratio: %d.25\n  tags: [a, b, c]\n"
                  "  limits:\n    cpu: %d\n    memory: 512Mi\n",
                  i, i, 1024 + i, i % 2 ? "true" : "false", i, i % 8);
}

/* Entries of every shape a config holds, with comments and blank lines
 * between them: the text the splice must cut at the right places. */
static void mixed(tbuf *b, size_t target, const char *nl)
{
    tb_printf(b, "# generated config%s# second comment line%s%s", nl, nl, nl);
    for (int i = 0; b->len < target; i++) {
        switch (rnd(12)) {
        case 0:
            tb_printf(b, "svc_%d:%s  host: h%d%s  port: %d%s", i, nl, i, nl,
                      8000 + i, nl);
            break;
        case 1:
            tb_printf(b, "list_%d:%s- one%s- two: 2%s  three: 3%s- [x, y]%s", i,
                      nl, nl, nl, nl, nl);
            break;
        case 2:
            tb_printf(b, "lit_%d: |%s  line one%s%s  line three%s", i, nl, nl,
                      nl, nl);
            break;
        case 3: tb_printf(b, "keep_%d: |+%s  kept%s%s", i, nl, nl, nl); break;
        case 4:
            tb_printf(b, "fold_%d: >-%s  folded%s  text%s", i, nl, nl, nl);
            break;
        case 5:
            tb_printf(b, "plain_%d: a plain%s  scalar on%s  three lines%s", i,
                      nl, nl, nl);
            break;
        case 6:
            tb_printf(b, "dq_%d: \"double%s  quoted \\t %d\"%s", i, nl, i, nl);
            break;
        case 7:
            tb_printf(b, "sq_%d: 'single''s%s%s  quoted'%s", i, nl, nl, nl);
            break;
        case 8:
            tb_printf(b, "flow_%d: {a: 1,%s  b: [2, 3],%s  c: \"x\"}%s", i, nl,
                      nl, nl);
            break;
        case 9:
            tb_printf(b, "# a comment before scalar_%d%s%sscalar_%d: %d%s", i,
                      nl, nl, i, i * 7, nl);
            break;
        case 10:
            tb_printf(b,
                      "deep_%d:%s  a:%s    b:%s      c: [1, {d: e}]%s  # "
                      "indented comment%s  f: null%s",
                      i, nl, nl, nl, nl, nl, nl);
            break;
        default:
            tb_printf(b, "num_%d: %d.5e3  # trailing comment%s", i, i, nl);
            break;
        }
    }
}

/* A hand-written config in the style of a deployment manifest. */
static const char *const manifest =
    "# deployment of the api\n"
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: api\n"
    "  labels: {app: api, tier: backend}\n"
    "  annotations:\n"
    "    description: >\n"
    "      The public API, behind the gateway.\n"
    "      Scaled by the HPA.\n"
    "spec:\n"
    "  replicas: 3\n"
    "  selector:\n"
    "    matchLabels:\n"
    "      app: api\n"
    "  template:\n"
    "    spec:\n"
    "      containers:\n"
    "        - name: api\n"
    "          image: \"registry.local/api:1.4.2\"\n"
    "          args: [\"--port\", \"8080\",\n"
    "                 \"--log-level\", 'info']\n"
    "          env:\n"
    "            - name: DB_URL\n"
    "              value: postgres://db:5432/api\n"
    "            - name: EMPTY\n"
    "              value: \"\"\n"
    "          resources:\n"
    "            limits: {cpu: 500m, memory: 256Mi}\n"
    "script: |\n"
    "  #!/bin/sh\n"
    "  set -eu\n"
    "\n"
    "  exec api --config /etc/api.yaml\n"
    "notes: 'It''s multi-line:\n"
    "  the second line'\n"
    "timeouts:\n"
    "  read: 5s\n"
    "  write: 10s\n"
    "  idle: ~\n"
    "retries: 3\n"
    "ratio: 0.75\n"
    "enabled: true\n"
    "hosts:\n"
    "- a.example\n"
    "- b.example\n";

/* ---- comparing against a full parse ------------------------------------ */

static hc_parse_options opts;

static char *dump(const json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    return s;
}

static size_t shared_values(const json_t *a, const json_t *b)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    if (!json_is_object(a) || !json_is_object(b))
        return 0;
    json_object_foreach((json_t *)a, k, v)
    {
        if (json_object_get(b, k) == v)
            n++;
    }
    return n;
}

static hc__reuse *live;

/* A failing case in files (the messages are cut short): the live text and
 * the new one, for a look with a diff. */
static void keep_case(const char *text, size_t len)
{
    char *dir = tu_mkdtemp(), *a = tu_join(dir, "live.yaml"),
         *b = tu_join(dir, "new.yaml");
    if (live)
        tu_write(a, live->src, live->len);
    tu_write(b, text, len);
    print_error("failing case kept in %s\n", dir);
    free(a);
    free(b);
    free(dir);
}

static size_t n_steps, n_shared, n_failed, n_with_record;

/* One version of the config: parsed with the live record, held to a full
 * parse of the same text; its record becomes the live one when it parses
 * (as the engine does). Returns whether it parsed. */
static int step(const char *text, size_t len)
{
    hc_error e1, e2;
    hc__reuse *next = (hc__reuse *)1;
    json_t *full, *re;
    hc_error_init(&e1);
    hc_error_init(&e2);
    full = hc_parse(text, len, HC_FORMAT_YAML, "t.yaml", &opts, &e1);
    re = hc__parse_reusing(text, len, HC_FORMAT_YAML, "t.yaml", &opts, live,
                           &next, &e2);
    n_steps++;
    if (!full) {
        if (re) {
            char *d = dump(re);
            keep_case(text, len);
            fail_msg("reusing parse gave %s where the full parse fails with "
                     "%d:%d: %s\n--- text ---\n%.*s",
                     d, e1.line, e1.column, e1.text, (int)len, text);
        }
        assert_null(next);
        if (strcmp(e1.text, e2.text) != 0 || e1.position != e2.position)
            keep_case(text, len);
        assert_int_equal(e1.code, e2.code);
        assert_string_equal(e1.text, e2.text);
        assert_int_equal(e1.line, e2.line);
        assert_int_equal(e1.column, e2.column);
        assert_int_equal(e1.position, e2.position);
        assert_string_equal(e1.source, e2.source);
        n_failed++;
        return 0;
    }
    if (!re)
        keep_case(text, len);
    if (!re)
        fail_msg("reusing parse fails (%d:%d: %s) where the full parse "
                 "succeeds\n--- text ---\n%.*s",
                 e2.line, e2.column, e2.text, (int)len, text);
    {
        char *a = dump(full), *b = dump(re);
        if (strcmp(a, b) != 0) {
            const char *k;
            json_t *v;
            keep_case(text, len);
            json_object_foreach(full, k, v)
            {
                json_t *w = json_object_get(re, k);
                if (!w || !json_equal(v, w)) {
                    char *x = dump(v), *y = w ? dump(w) : strdup("(none)");
                    print_error("key %s\nfull:  %s\nreuse: %s\n", k, x, y);
                    free(x);
                    free(y);
                }
            }
        }
        if (strcmp(a, b) != 0)
            fail_msg("documents differ\nfull:  %s\nreuse: %s\n--- text "
                     "---\n%.*s",
                     a, b, (int)len, text);
        free(a);
        free(b);
    }
    if (live) {
        n_with_record++;
        if (shared_values(re, live->doc))
            n_shared++;
    }
    json_decref(full);
    json_decref(re);
    hc__reuse_free(live);
    live = next;
    return 1;
}

/* ---- edits ------------------------------------------------------------- */

/* Offsets of line starts in t. */
static size_t line_starts(const tbuf *t, size_t *out, size_t max)
{
    size_t n = 0;
    out[n++] = 0;
    for (size_t i = 0; i < t->len && n < max; i++)
        if (t->s[i] == '\n' ||
            (t->s[i] == '\r' && (i + 1 >= t->len || t->s[i + 1] != '\n')))
            out[n++] = i + 1;
    return n;
}

static void replace(tbuf *t, size_t at, size_t del, const char *ins,
                    size_t ins_len)
{
    tbuf o = {0};
    if (at > t->len)
        at = t->len;
    if (del > t->len - at)
        del = t->len - at;
    tb_add(&o, t->s, at);
    tb_add(&o, ins, ins_len);
    tb_add(&o, t->s + at + del, t->len - at - del);
    free(t->s);
    *t = o;
}

/* Lines that change what a document means in every way the splice must
 * notice. */
static const char *const snippets[] = {
    "newkey: 1\n",
    "  nested: 2\n",
    "# a comment\n",
    "\n",
    "   \n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "- item\n",
    "anch: &a {x: 1}\n",
    "ali: *a\n",
    "  inner: *a\n",
    "<<: {m: 1}\n",
    "  <<: {m: 2}\n",
    "tagged: !!str 5\n",
    "  local: !foo bar\n",
    "dq: \"open\n",
    "  closed\"\n",
    "sq: 'open\n",
    "text: |\n",
    "text2: |+\n",
    "  block line\n",
    "flow: [a,\n",
    "  b]\n",
    "\t\n",
    "\xef\xbb\xbf"
    "bom: 1\n",
    "? complex\n",
    ": value\n",
    "a: b: c\n",
    "service3: dup\n",
    "svc_1: dup\n",
    "apiVersion: dup\n",
    "  host: dup\n",
    "-dash: 1\n",
    "'quoted key': 1\n",
    "\"dq key\": 2\n",
    "{flow: map}\n",
    "plain continued\n",
    "big: 123456789012345678901234567890\n",
    "inf: .inf\n",
    "ctl: \x01\n",
    "bad: \xc3\n",
    "crlf: 1\r\n",
    "cr: 1\r",
    "key_no_nl: 1",
};

static const char *const values[] = {
    "1",     "-2.5",    "true",   "null",        "~",     "\"s\"",
    "'q'",   "[1, 2]",  "{a: 1}", "|",           ">-",    "&x 1",
    "*x",    "!!int 3", "!!str",  "\"open",      "'open", "[open",
    "{open", "1e400",   ".nan",   "a: b",        "- x",   "#c",
    "",      "x #c",    "0x1F",   "\"\\u00e9\"", "'''",   "`",
};

static const char bytes[] = " \n:#\"'[]{}-|>&*!%\r\t,?a0\\\x80";

static void edit(tbuf *t)
{
    size_t ls[8192], n = line_starts(t, ls, 8192), l = rnd((uint32_t)n);
    size_t at = ls[l], end = l + 1 < n ? ls[l + 1] : t->len;
    switch (rnd(11)) {
    case 0: { /* change a value */
        const char *c = memchr(t->s + at, ':', end - at);
        const char *v = values[rnd(sizeof values / sizeof values[0])];
        if (c) {
            size_t from = (size_t)(c - t->s) + 1, to = end;
            while (to > from && (t->s[to - 1] == '\n' || t->s[to - 1] == '\r'))
                to--;
            replace(t, from, to - from, " ", 1);
            replace(t, from + 1, 0, v, strlen(v));
        }
        break;
    }
    case 1:
    case 2: { /* insert a line */
        const char *s = snippets[rnd(sizeof snippets / sizeof snippets[0])];
        replace(t, at, 0, s, strlen(s));
        break;
    }
    case 3: /* delete a line */ replace(t, at, end - at, "", 0); break;
    case 4: { /* delete or duplicate a top-level entry */
        size_t e = l + 1;
        while (e < n && (t->s[ls[e]] == ' ' || t->s[ls[e]] == '-' ||
                         t->s[ls[e]] == '\n' || t->s[ls[e]] == '#'))
            e++;
        size_t stop = e < n ? ls[e] : t->len;
        if (rnd(2)) {
            replace(t, at, stop - at, "", 0);
        } else {
            char *copy = malloc(stop - at + 1);
            size_t to = ls[rnd((uint32_t)n)];
            assert_non_null(copy);
            memcpy(copy, t->s + at, stop - at);
            if (to >= at && to < stop)
                to = at;
            replace(t, to, 0, copy, stop - at);
            free(copy);
        }
        break;
    }
    case 5: /* indentation */
        if (rnd(2))
            replace(t, at, 0, " ", 1);
        else if (at < t->len && t->s[at] == ' ')
            replace(t, at, 1, "", 0);
        break;
    case 6: { /* add a comment */
        static const char *const cm[] = {" # c", "# c\n", "  # c\n"};
        const char *c = cm[rnd(3)];
        size_t to = end;
        if (c[0] == ' ' && c[1] == '#')
            while (to > at && (t->s[to - 1] == '\n' || t->s[to - 1] == '\r'))
                to--;
        else
            to = at;
        replace(t, to, 0, c, strlen(c));
        break;
    }
    case 7: { /* a new entry with a multi-line value */
        char e[128];
        int k = snprintf(e, sizeof e, "new_%u:\n  a: %u\n  b: |\n    t\n",
                         rnd(1000), rnd(100));
        replace(t, at, 0, e, (size_t)k);
        break;
    }
    default: { /* random bytes */
        size_t pos = t->len ? rnd((uint32_t)t->len) : 0;
        char c = bytes[rnd(sizeof bytes - 1)];
        switch (rnd(3)) {
        case 0: replace(t, pos, 0, &c, 1); break;
        case 1:
            if (pos < t->len)
                replace(t, pos, 1, &c, 1);
            break;
        default:
            if (pos < t->len)
                replace(t, pos, 1, "", 0);
            break;
        }
        break;
    }
    }
}

/* HC_TEST_REUSE_SCALE=N runs N times as many edits (for a longer hunt). */
static int scale(void)
{
    const char *s = getenv("HC_TEST_REUSE_SCALE");
    int n = s ? atoi(s) : 1;
    return n > 0 ? n : 1;
}

/* A chain of edits from base: each edit goes to the latest text, or back
 * to the latest one that parsed once three in a row have failed. */
static void chain(const char *base, size_t len, int edits)
{
    tbuf cur = {0}, good = {0};
    int failing = 0;
    tb_add(&cur, base, len);
    tb_add(&good, base, len);
    hc__reuse_free(live);
    live = NULL;
    assert_true(step(cur.s, cur.len));
    assert_non_null(live);
    edits *= scale();
    for (int i = 0; i < edits; i++) {
        if (!live) {
            /* an anchor, a tag, a "---"...: a full parse from now on, so
             * start again from the base */
            cur.len = good.len = 0;
            tb_add(&cur, base, len);
            tb_add(&good, base, len);
            assert_true(step(cur.s, cur.len));
            failing = 0;
        }
        if (failing >= 3) {
            free(cur.s);
            cur = (tbuf){0};
            tb_add(&cur, good.s, good.len);
            failing = 0;
        }
        edit(&cur);
        if (rnd(4) == 0)
            edit(&cur); /* two edits apart */
        if (step(cur.s, cur.len)) {
            failing = 0;
            good.len = 0;
            tb_add(&good, cur.s, cur.len);
        } else {
            failing++;
        }
    }
    free(cur.s);
    free(good.s);
    hc__reuse_free(live);
    live = NULL;
}

static void test_differential_services(void **state)
{
    static const size_t sizes[] = {2100, 4000, 10240, 20000};
    (void)state;
    rng_state = 1;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        tbuf b = {0};
        services(&b, sizes[i]);
        chain(b.s, b.len, sizes[i] > 10000 ? 600 : 1500);
        free(b.s);
    }
}

static void test_differential_mixed(void **state)
{
    (void)state;
    rng_state = 2;
    for (int i = 0; i < 8; i++) {
        tbuf b = {0};
        mixed(&b, 2048 + rnd(8000), i % 3 == 2 ? "\r\n" : "\n");
        chain(b.s, b.len, 1200);
        free(b.s);
    }
}

static void test_differential_manifest(void **state)
{
    tbuf b = {0};
    (void)state;
    rng_state = 3;
    while (b.len < 2500) {
        /* the same manifest under numbered keys: a real file's shapes */
        size_t start = b.len, n = strlen(manifest);
        tb_add(&b, manifest, n);
        for (size_t i = start; i < b.len; i++)
            if ((i == 0 || b.s[i - 1] == '\n') && b.s[i] != ' ' &&
                b.s[i] != '-' && b.s[i] != '#' && b.s[i] != '\n') {
                char num[16];
                int k = snprintf(num, sizeof num, "%zu", start);
                replace(&b, i, 0, num, (size_t)k);
                i += (size_t)k;
            }
    }
    chain(b.s, b.len, 3000);
    free(b.s);
}

/* Every run above must have spliced for most of its versions, or it
 * proved nothing about the splice. */
static void test_differential_splices_happen(void **state)
{
    (void)state;
    print_message("%zu versions, %zu failed to parse, %zu parsed against a "
                  "record, %zu of them sharing values\n",
                  n_steps, n_failed, n_with_record, n_shared);
    assert_true(n_steps > 10000);
    assert_true(n_shared * 2 > n_with_record);
}

/* ---- sharing ----------------------------------------------------------- */

static json_t *reparse(const char *text, hc__reuse **next)
{
    hc_error e;
    json_t *doc = hc__parse_reusing(text, strlen(text), HC_FORMAT_YAML,
                                    "t.yaml", &opts, live, next, &e);
    assert_non_null(doc);
    return doc;
}

static void test_one_entry_edit_shares_every_other_value(void **state)
{
    tbuf b = {0};
    hc__reuse *next = NULL;
    json_t *doc, *full;
    hc_error err;
    char *at;
    const char *k;
    json_t *v;
    (void)state;
    services(&b, 10240);
    hc__reuse_free(live);
    live = NULL;
    assert_true(step(b.s, b.len));
    at = strstr(b.s, "port: 1029");
    assert_non_null(at);
    memcpy(at, "port: 9999", 10);
    doc = reparse(b.s, &next);
    full = hc_parse(b.s, b.len, HC_FORMAT_YAML, "t.yaml", &opts, &err);
    assert_true(json_equal(doc, full));
    assert_int_equal(json_object_size(doc), json_object_size(live->doc));
    json_object_foreach(doc, k, v)
    {
        if (strcmp(k, "service5") == 0)
            assert_ptr_not_equal(v, json_object_get(live->doc, k));
        else
            assert_ptr_equal(v, json_object_get(live->doc, k));
    }
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(doc, "service5"), "port")),
                     9999);
    /* the next version is spliced against this one's record */
    assert_non_null(next);
    hc__reuse_free(live);
    live = next;
    json_decref(full);
    json_decref(doc);
    memcpy(at, "port: 7777", 10);
    next = NULL;
    doc = reparse(b.s, &next);
    assert_ptr_equal(json_object_get(doc, "service0"),
                     json_object_get(live->doc, "service0"));
    assert_ptr_equal(json_object_get(doc, "service70"),
                     json_object_get(live->doc, "service70"));
    json_decref(doc);
    hc__reuse_free(next);
    hc__reuse_free(live);
    live = NULL;
    free(b.s);
}

static void test_identical_text_shares_everything(void **state)
{
    tbuf b = {0};
    hc__reuse *next = NULL;
    json_t *doc;
    (void)state;
    services(&b, 4000);
    hc__reuse_free(live);
    live = NULL;
    assert_true(step(b.s, b.len));
    doc = reparse(b.s, &next);
    assert_int_equal(shared_values(doc, live->doc), json_object_size(doc));
    json_decref(doc);
    hc__reuse_free(next);
    hc__reuse_free(live);
    live = NULL;
    free(b.s);
}

/* ---- where a splice would be wrong ------------------------------------- */

/* base, then base with its first "from" replaced by "to": the second must
 * equal a full parse and (when it parses) share no value with the first,
 * and keep no record when keeps is 0. */
static void fallback(const char *base_tail, const char *from, const char *to,
                     int keeps)
{
    tbuf b = {0}, e = {0};
    hc__reuse *next = NULL;
    char *at;
    hc_error err;
    json_t *doc;
    services(&b, 4000);
    tb_add(&b, base_tail, strlen(base_tail));
    hc__reuse_free(live);
    live = NULL;
    assert_true(step(b.s, b.len));
    assert_non_null(live);
    at = strstr(b.s, from);
    assert_non_null(at);
    tb_add(&e, b.s, (size_t)(at - b.s));
    tb_add(&e, to, strlen(to));
    tb_add(&e, at + strlen(from), strlen(at + strlen(from)));
    doc = hc__parse_reusing(e.s, e.len, HC_FORMAT_YAML, "t.yaml", &opts, live,
                            &next, &err);
    if (doc) {
        assert_int_equal(shared_values(doc, live->doc), 0);
        if (!keeps)
            assert_null(next);
    }
    json_decref(doc);
    hc__reuse_free(next);
    assert_true(step(e.s, e.len) || !doc); /* equal to the full parse */
    hc__reuse_free(live);
    live = NULL;
    free(b.s);
    free(e.s);
}

static void test_anchor_alias_tag_merge_fall_back(void **state)
{
    (void)state;
    fallback("", "  port: 1025\n", "  port: &p 1025\n", 0);
    fallback("", "  port: 1025\n", "  port: !!int 1025\n", 0);
    fallback("", "  port: 1025\n", "  port: &x 1025\n  alias: *x\n", 0);
    fallback("", "  port: 1025\n", "  <<: {q: 1}\n  port: 1025\n", 0);
    fallback("", "  port: 1025\n", "  port: 1025\n---\nz: 1\n", 0);
    fallback("", "  port: 1025\n", "  port: 1025\n...\n", 0);
    fallback("", "service0:", "%YAML 1.2\n---\nservice0:", 0);
    fallback("", "service0:", "\xef\xbb\xbfservice0:", 0);
}

static void test_keys_that_do_not_qualify_fall_back(void **state)
{
    (void)state;
    fallback("", "service1:", "\"service1\":", 0);
    fallback("", "service1:", "? service1\n:", 0);
    fallback("", "service1:", "-service1:", 0);
    fallback("", "service1:\n", "service1: {\n", 0);
}

static void test_duplicate_of_a_reused_key_is_the_full_error(void **state)
{
    hc_error e;
    (void)state;
    fallback("", "service20:", "service3:", 1);
    fallback("", "service20:", "service0:", 1);
    /* and its message is the full parse's */
    hc_error_init(&e);
    assert_null(
        hc_parse("a: 1\na: 2\n", 10, HC_FORMAT_YAML, "t.yaml", &opts, &e));
    assert_non_null(strstr(e.text, "duplicate key"));
}

/* An open quote or bracket runs on into the entries after it: the middle
 * alone does not end, and the splice is refused. */
static void test_text_that_runs_into_the_next_entry_falls_back(void **state)
{
    (void)state;
    fallback("z: \"end\"\n", "  host: svc30.internal\n",
             "  host: \"svc30.internal\n", 1);
    fallback("z: 'end'\n", "  host: svc30.internal\n",
             "  host: 'svc30.internal\n", 1);
    fallback("z: x]\n", "  tags: [a, b, c]\n", "  tags: [a, b, c\n", 1);
}

/* A kept block scalar takes the blank lines after it, up to the next key:
 * inserting one there changes the entry before the insertion. */
static void test_blank_line_after_a_kept_block_scalar(void **state)
{
    tbuf b = {0}, e = {0};
    hc_error err;
    json_t *doc;
    (void)state;
    services(&b, 4000);
    tb_add(&b, "keep: |+\n  x\nafter: 1\n", 22);
    assert_true(step(b.s, b.len));
    tb_add(&e, b.s, b.len - 9);
    tb_add(&e, "\n\nafter: 1\n", 11);
    assert_true(step(e.s, e.len));
    /* step() held it to the full parse; check the value as well */
    doc = hc_parse(e.s, e.len, HC_FORMAT_YAML, "t.yaml", &opts, &err);
    assert_string_equal(json_string_value(json_object_get(doc, "keep")),
                        "x\n\n\n");
    json_decref(doc);
    hc__reuse_free(live);
    live = NULL;
    free(b.s);
    free(e.s);
}

static void test_edits_at_the_ends(void **state)
{
    tbuf b = {0};
    (void)state;
    rng_state = 4;
    services(&b, 3000);
    hc__reuse_free(live);
    live = NULL;
    assert_true(step(b.s, b.len));
    /* append an entry, with and without a final newline */
    tb_add(&b, "tail: 1", 7);
    assert_true(step(b.s, b.len));
    tb_add(&b, "\n", 1);
    assert_true(step(b.s, b.len));
    /* a head comment, then an entry before the first */
    replace(&b, 0, 0, "# head\n", 7);
    assert_true(step(b.s, b.len));
    replace(&b, 7, 0, "first: 0\n", 9);
    assert_true(step(b.s, b.len));
    /* delete the first entry, then the head */
    replace(&b, 7, 9, "", 0);
    assert_true(step(b.s, b.len));
    replace(&b, 0, 7, "", 0);
    assert_true(step(b.s, b.len));
    hc__reuse_free(live);
    live = NULL;
    free(b.s);
}

/* The options a splice does not serve: other yaml_multi modes, and limits
 * other than the record's. */
static void test_options_that_change_the_parse(void **state)
{
    tbuf b = {0};
    hc__reuse *next = NULL, *rec = NULL;
    hc_parse_options o = {0};
    hc_error e;
    json_t *doc;
    (void)state;
    services(&b, 4000);
    doc = hc__parse_reusing(b.s, b.len, HC_FORMAT_YAML, "t.yaml", &o, NULL,
                            &rec, &e);
    assert_non_null(rec);
    json_decref(doc);
    o.yaml_multi = HC_YAML_MULTI_ARRAY;
    doc = hc__parse_reusing(b.s, b.len, HC_FORMAT_YAML, "t.yaml", &o, rec,
                            &next, &e);
    assert_true(json_is_array(doc));
    assert_null(next);
    json_decref(doc);
    o.yaml_multi = HC_YAML_MULTI_ERROR;
    o.max_depth = 2; /* the services nest three levels */
    doc = hc__parse_reusing(b.s, b.len, HC_FORMAT_YAML, "t.yaml", &o, rec,
                            &next, &e);
    assert_null(doc);
    assert_int_equal(e.code, HC_ELIMIT);
    hc__reuse_free(rec);
    free(b.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential_services),
        cmocka_unit_test(test_differential_mixed),
        cmocka_unit_test(test_differential_manifest),
        cmocka_unit_test(test_differential_splices_happen),
        cmocka_unit_test(test_one_entry_edit_shares_every_other_value),
        cmocka_unit_test(test_identical_text_shares_everything),
        cmocka_unit_test(test_anchor_alias_tag_merge_fall_back),
        cmocka_unit_test(test_keys_that_do_not_qualify_fall_back),
        cmocka_unit_test(test_duplicate_of_a_reused_key_is_the_full_error),
        cmocka_unit_test(test_text_that_runs_into_the_next_entry_falls_back),
        cmocka_unit_test(test_blank_line_after_a_kept_block_scalar),
        cmocka_unit_test(test_edits_at_the_ends),
        cmocka_unit_test(test_options_that_change_the_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
