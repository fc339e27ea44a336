/*
 * test_compose_group.c - folders, globs and layers as watch targets
 * (src/compose/group.c) on real folders with real inotify, in dispatch
 * mode on the test's thread: a folder of 100 files with one changed, a
 * file added and one removed, editor swap files ignored, the folder
 * deleted and made again (per file and merged), and a merged group of 4
 * layers whose change events name the layer.
 */
#include "hotconf.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char *dir;

typedef struct rec {
    int added, removed, changed, rejected, applied;
    int outcomes; /* changed or rejected */
    char last_added[512], last_removed[512], last_layer[512];
    char last_error[512];
} rec;

static void on_event(const hc_group_event *ev, void *ud)
{
    rec *r = ud;
    switch (ev->kind) {
    case HC_GROUP_ADDED:
        r->added++;
        snprintf(r->last_added, sizeof r->last_added, "%s", ev->id);
        break;
    case HC_GROUP_REMOVED:
        r->removed++;
        snprintf(r->last_removed, sizeof r->last_removed, "%s", ev->id);
        break;
    case HC_GROUP_CHANGED:
        r->changed++;
        r->outcomes++;
        snprintf(r->last_layer, sizeof r->last_layer, "%s", ev->layer);
        break;
    case HC_GROUP_REJECTED:
        r->rejected++;
        r->outcomes++;
        hc_error_format(ev->error, r->last_error, sizeof r->last_error);
        break;
    }
}

static int on_change(const hc_change_record *c, void *ud)
{
    (void)c;
    ((rec *)ud)->applied++;
    return 0;
}

/* The group's and its files' callbacks, all into r. */
static void opts_into(hc_group_options *go, hc_watch_options *wo, rec *r)
{
    hc_watch_options_init(wo);
    wo->on_change = on_change;
    wo->user_data = r;
    hc_group_options_init(go);
    go->watch = wo;
    go->on_event = on_event;
    go->user_data = r;
}

static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Dispatches both until *counter reaches want (or 10 s pass: a failure
 * then shows as the assertion on the counter, not as a hang). */
static void pump(hc_engine *e, hc_group *g, const int *counter, int want)
{
    int64_t end = ms_now() + 10000;
    while (*counter < want && ms_now() < end) {
        hc_group_dispatch(g, 5);
        hc_engine_dispatch(e, 5);
    }
}

static long long version_of(hc_engine *e, const char *path)
{
    uint64_t v = 0;
    json_t *doc = hc_config_snapshot(e, path, &v);
    hc_doc_release(doc);
    return doc ? (long long)v : -1;
}

static void put(const char *name, const char *text)
{
    char *p = tu_join(dir, name);
    tu_write(p, text, strlen(text));
    free(p);
}

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    free(dir);
    return 0;
}

static void hundred_files_one_changed(void **state)
{
    hc_engine *e = hc_engine_new(NULL);
    hc_group_options go;
    hc_watch_options wo;
    rec r = {0};
    hc_error err;
    char *cd = tu_join(dir, "h.d"), name[64], *p;
    hc_group *g;
    (void)state;
    mkdir(cd, 0755);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "h.d/%03d.yaml", i);
        put(name, "v: 1\n");
    }
    opts_into(&go, &wo, &r);
    g = hc_group_watch(e, cd, &go, &err);
    assert_non_null(g);
    assert_int_equal(hc_group_count(g), 100);
    assert_int_equal(r.added, 100);
    pump(e, g, &r.applied, 100); /* the first loads */
    assert_int_equal(r.applied, 100);
    put("h.d/042.yaml", "v: 2\n");
    pump(e, g, &r.applied, 101);
    assert_int_equal(r.applied, 101);
    p = tu_join(dir, "h.d/042.yaml");
    assert_int_equal(version_of(e, p), 2);
    free(p);
    p = tu_join(dir, "h.d/041.yaml");
    assert_int_equal(version_of(e, p), 1);
    free(p);
    assert_int_equal(r.added, 100);
    hc_group_free(g);
    assert_null(hc_config_get(e, cd)); /* unwatched with the group */
    hc_engine_free(e);
    free(cd);
}

/* A file added and one removed; editor swap and temp files ignored (a
 * real file written after them is the fence: its event comes later). */
static void added_removed_swap_ignored(void **state)
{
    hc_engine *e = hc_engine_new(NULL);
    hc_group_options go;
    hc_watch_options wo;
    rec r = {0};
    hc_error err;
    char *pat, *p;
    hc_group *g;
    (void)state;
    p = tu_join(dir, "a.d");
    mkdir(p, 0755);
    free(p);
    put("a.d/one.yaml", "v: 1\n");
    put("a.d/two.yaml", "v: 2\n");
    put("a.d/other.json", "{}");
    opts_into(&go, &wo, &r);
    go.settle_ms = 20;
    pat = tu_join(dir, "a.d/*.yaml");
    g = hc_group_watch(e, pat, &go, &err);
    assert_non_null(g);
    assert_int_equal(hc_group_count(g), 2); /* other.json does not match */
    pump(e, g, &r.applied, 2);

    put("a.d/.three.yaml.swp", "x: [\n");
    put("a.d/three.yaml~", "x: [\n");
    put("a.d/#three.yaml#", "x: [\n");
    put("a.d/.#three.yaml", "x: [\n");
    put("a.d/three.yaml.tmp", "x: [\n");
    put("a.d/three.yaml", "v: 3\n");
    pump(e, g, &r.added, 3);
    assert_int_equal(r.added, 3);
    assert_non_null(strstr(r.last_added, "a.d/three.yaml"));
    pump(e, g, &r.applied, 3);
    assert_int_equal(version_of(e, r.last_added), 1);
    assert_int_equal(hc_group_count(g), 3);

    p = tu_join(dir, "a.d/one.yaml");
    unlink(p);
    pump(e, g, &r.removed, 1);
    assert_int_equal(r.removed, 1);
    assert_string_equal(r.last_removed, p);
    assert_int_equal(version_of(e, p), -1); /* unwatched */
    free(p);
    assert_int_equal(hc_group_count(g), 2);
    /* a save by rename is a change, not a removal and an addition */
    put("a.d/two.yaml.new", "v: 22\n");
    {
        char *from = tu_join(dir, "a.d/two.yaml.new");
        char *to = tu_join(dir, "a.d/two.yaml");
        assert_int_equal(rename(from, to), 0);
        pump(e, g, &r.applied, 4);
        assert_int_equal(version_of(e, to), 2);
        free(from);
        free(to);
    }
    assert_int_equal(r.removed, 1);
    assert_int_equal(r.added, 3);
    hc_group_free(g);
    hc_engine_free(e);
    free(pat);
}

/* The watched folder deleted (rm -rf) and made again: its files are
 * reported removed, and a file made in the new folder is a new config,
 * applied (for a folder target and for a pattern in it). */
static void folder_recreated(const char *target)
{
    hc_engine *e = hc_engine_new(NULL);
    hc_group_options go;
    hc_watch_options wo;
    rec r = {0};
    hc_error err;
    char *cd = tu_join(dir, "r.d"), *watched = tu_join(dir, target), *p;
    hc_group *g;
    tu_rmtree(cd); /* what a failed run before left */
    mkdir(cd, 0755);
    put("r.d/one.yaml", "v: 1\n");
    opts_into(&go, &wo, &r);
    go.settle_ms = 20;
    g = hc_group_watch(e, watched, &go, &err);
    assert_non_null(g);
    pump(e, g, &r.applied, 1);
    assert_int_equal(r.applied, 1);

    tu_rmtree(cd);
    pump(e, g, &r.removed, 1);
    assert_int_equal(r.removed, 1);
    assert_int_equal(hc_group_count(g), 0);

    mkdir(cd, 0755);
    put("r.d/two.yaml", "v: 2\n");
    pump(e, g, &r.applied, 2);
    assert_int_equal(r.added, 2);
    p = tu_join(dir, "r.d/two.yaml");
    assert_string_equal(r.last_added, p);
    assert_int_equal(version_of(e, p), 1);
    free(p);
    assert_int_equal(hc_group_count(g), 1);
    /* and the new folder is watched: a later file is noticed too */
    put("r.d/three.yaml", "v: 3\n");
    pump(e, g, &r.applied, 3);
    assert_int_equal(r.added, 3);
    assert_int_equal(hc_group_count(g), 2);
    hc_group_free(g);
    hc_engine_free(e);
    tu_rmtree(cd);
    free(cd);
    free(watched);
}

static void folder_recreated_dir(void **state)
{
    (void)state;
    folder_recreated("r.d");
}

static void folder_recreated_glob(void **state)
{
    (void)state;
    folder_recreated("r.d/*.yaml");
}

/* Merged: the conf.d folder deleted and made again; what the new folder
 * holds is merged in. */
static void merged_folder_recreated(void **state)
{
    hc_engine *e = hc_engine_new(NULL);
    hc_layers *l = hc_layers_new(NULL);
    hc_group_options go;
    hc_watch_options wo;
    rec r = {0};
    hc_error err;
    json_t *doc;
    char *cfg = tu_join(dir, "n.yaml"), *cd = tu_join(dir, "n.d");
    char *merged = tu_join(dir, "n-merged.json"),
         *tmp = tu_join(dir, "n.d.new");
    hc_group *g;
    int before;
    (void)state;
    mkdir(cd, 0755);
    put("n.yaml", "name: base\n");
    put("n.d/10.yaml", "name: a\n");
    assert_int_equal(hc_layers_add_file(l, cfg, 0, &err), 0);
    assert_int_equal(hc_layers_add_file(l, cd, 0, &err), 0);
    opts_into(&go, &wo, &r);
    go.settle_ms = 20;
    go.merged_file = merged;
    g = hc_group_watch_layers(e, l, &go, &err);
    assert_non_null(g);
    pump(e, g, &r.applied, 1);
    assert_int_equal(r.applied, 1);

    tu_rmtree(cd);
    /* merged without it, or refused (a folder layer that is required):
     * either way an outcome */
    pump(e, g, &r.outcomes, 2);
    assert_int_equal(r.outcomes, 2);
    /* back with its file at once (made aside, renamed in) */
    before = r.changed;
    mkdir(tmp, 0755);
    put("n.d.new/10.yaml", "name: again\n");
    assert_int_equal(rename(tmp, cd), 0);
    pump(e, g, &r.changed, before + 1);
    doc = hc_config_get(e, merged);
    assert_non_null(doc);
    assert_string_equal(hc_get_string(doc, "name", "", NULL), "again");
    hc_doc_release(doc);
    hc_group_free(g);
    hc_engine_free(e);
    free(cfg);
    free(cd);
    free(tmp);
    free(merged);
}

/* 4 layers (defaults, a file, a conf.d folder, the environment over the
 * file) watched as one config; a change names its layer; a bad layer is
 * rejected at its file:line:col and the live version stays. */
static void merged_layers(void **state)
{
    hc_engine *e = hc_engine_new(NULL);
    hc_layers *l = hc_layers_new(NULL);
    hc_group_options go;
    hc_watch_options wo;
    rec r = {0};
    hc_error err;
    json_t *doc;
    char *cfg = tu_join(dir, "m.yaml"), *cd = tu_join(dir, "m.d"), *merged;
    hc_group *g;
    (void)state;
    mkdir(cd, 0755);
    put("m.yaml", "port: 8080\nlog: info\n");
    put("m.d/10.yaml", "name: a\n");
    setenv("TCG_PORT", "9090", 1);
    json_t *defs = json_pack("{s:i,s:s,s:b}", "port", 1, "name", "x", "tls", 0);
    assert_int_equal(hc_layers_add_defaults(l, defs, &err), 0);
    json_decref(defs);
    assert_int_equal(hc_layers_add_file(l, cfg, 0, &err), 0);
    assert_int_equal(hc_layers_add_file(l, cd, 0, &err), 0);
    assert_int_equal(hc_layers_add_env(l, "TCG_", NULL, &err), 0);
    opts_into(&go, &wo, &r);
    merged = tu_join(dir, "merged.json");
    go.merged_file = merged;
    g = hc_group_watch_layers(e, l, &go, &err);
    assert_non_null(g);
    assert_string_equal(hc_group_id(g), merged);
    pump(e, g, &r.applied, 1);
    doc = hc_config_get(e, merged);
    assert_non_null(doc);
    assert_int_equal(hc_get_int(doc, "port", 0, NULL), 9090); /* env */
    assert_string_equal(hc_get_string(doc, "name", "", NULL), "a");
    assert_string_equal(hc_get_string(doc, "log", "", NULL), "info");
    hc_doc_release(doc);
    {
        struct stat st;
        assert_int_equal(stat(merged, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }

    put("m.d/20.yaml", "log: debug\n");
    pump(e, g, &r.changed, 2);
    assert_int_equal(r.changed, 2);
    assert_non_null(strstr(r.last_layer, "m.d/20.yaml"));
    doc = hc_config_get(e, merged);
    assert_string_equal(hc_get_string(doc, "log", "", NULL), "debug");
    hc_doc_release(doc);

    put("m.yaml", "port: 8080\nlog: [\n");
    pump(e, g, &r.rejected, 1);
    assert_int_equal(r.rejected, 1);
    assert_non_null(strstr(r.last_error, "m.yaml:2:"));
    assert_int_equal(version_of(e, merged), 2);

    put("m.yaml", "port: 8080\ntls: true\n");
    pump(e, g, &r.changed, 3);
    assert_int_equal(r.changed, 3);
    assert_non_null(strstr(r.last_layer, "m.yaml"));
    doc = hc_config_get(e, merged);
    assert_true(hc_get_bool(doc, "tls", 0, NULL));
    assert_int_equal(hc_get_int(doc, "port", 0, NULL), 9090);
    hc_doc_release(doc);
    unsetenv("TCG_PORT");
    hc_group_free(g);
    hc_engine_free(e);
    free(cfg);
    free(cd);
    free(merged);
}

/* A merged folder validated as a whole: the schema rejects the merge with
 * the position in the file that gave the value. */
static void merged_folder_schema(void **state)
{
    hc_engine *e = hc_engine_new(NULL);
    json_t *sdoc =
        json_loads("{\"properties\":{\"port\":{\"maximum\":65535}}}", 0, NULL);
    hc_schema *schema = hc_schema_compile(sdoc, NULL);
    hc_group_options go;
    hc_watch_options wo;
    rec r = {0};
    hc_error err;
    char *cd = tu_join(dir, "s.d");
    hc_group *g;
    (void)state;
    mkdir(cd, 0755);
    put("s.d/10.yaml", "port: 80\n");
    hc_watch_options_init(&wo);
    wo.schema = schema;
    wo.on_change = on_change;
    wo.user_data = &r;
    hc_group_options_init(&go);
    go.watch = &wo;
    go.flags = HC_GROUP_MERGE;
    go.on_event = on_event;
    go.user_data = &r;
    g = hc_group_watch(e, cd, &go, &err);
    assert_non_null(g);
    pump(e, g, &r.applied, 1);
    put("s.d/20.yaml", "name: x\nport: 70000\n");
    pump(e, g, &r.rejected, 1);
    assert_int_equal(r.rejected, 1);
    assert_non_null(strstr(r.last_error, "s.d/20.yaml:2:7: /port:"));
    assert_int_equal(version_of(e, hc_group_id(g)), 1);
    hc_group_free(g);
    hc_engine_free(e);
    hc_schema_free(schema);
    json_decref(sdoc);
    free(cd);
}

/* Threaded: the group's own thread and the engine's workers; an optional
 * layer in a folder that does not exist is skipped, not an error. */
static atomic_int changed_n;
static void count_changed(const hc_group_event *ev, void *ud)
{
    (void)ud;
    if (ev->kind == HC_GROUP_CHANGED)
        atomic_fetch_add(&changed_n, 1);
}

static void threaded_group_optional_layer(void **state)
{
    hc_engine *e = hc_engine_new(NULL);
    hc_layers *l = hc_layers_new(NULL);
    hc_group_options go;
    hc_error err;
    char *cfg = tu_join(dir, "t.yaml"), *opt = tu_join(dir, "nodir/x.yaml");
    hc_group *g;
    json_t *doc;
    int64_t end;
    (void)state;
    put("t.yaml", "v: 1\n");
    assert_int_equal(hc_layers_add_file(l, cfg, 0, &err), 0);
    assert_int_equal(hc_layers_add_file(l, opt, HC_LAYER_OPTIONAL, &err), 0);
    hc_group_options_init(&go);
    go.on_event = count_changed;
    g = hc_group_watch_layers(e, l, &go, &err);
    assert_non_null(g);
    assert_int_equal(hc_engine_start(e), 0);
    assert_int_equal(hc_group_start(g), 0);
    assert_int_equal(hc_group_dispatch(g, 0), HC_ESTATE);
    put("t.yaml", "v: 2\n");
    for (end = ms_now() + 10000; ms_now() < end;) {
        doc = hc_config_get(e, hc_group_id(g));
        long long v = hc_get_int(doc, "v", 0, NULL);
        hc_doc_release(doc);
        if (v == 2)
            break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    doc = hc_config_get(e, hc_group_id(g));
    assert_int_equal(hc_get_int(doc, "v", 0, NULL), 2);
    hc_doc_release(doc);
    /* The event reaches the group's callback on a delivery thread after
     * readers already see the version: wait for it (bounded) before the
     * group goes, or a slow delivery fails the count below (the rare
     * failure seen under -j2). */
    for (end = ms_now() + 10000;
         atomic_load(&changed_n) < 1 && ms_now() < end;) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    hc_group_free(g);
    hc_engine_free(e);
    assert_true(atomic_load(&changed_n) >= 1);
    free(cfg);
    free(opt);
}

/* The default merged file is the same for the same layers (a restart
 * keeps the identity, and its history), private, and removed at the end. */
static void default_merged_file_is_stable(void **state)
{
    hc_engine *e = hc_engine_new(NULL);
    char *cfg = tu_join(dir, "d.yaml"), *id1;
    hc_error err;
    hc_group *g;
    struct stat st;
    (void)state;
    put("d.yaml", "v: 1\n");
    for (int round = 0; round < 2; round++) {
        hc_layers *l = hc_layers_new(NULL);
        assert_int_equal(hc_layers_add_file(l, cfg, 0, &err), 0);
        g = hc_group_watch_layers(e, l, NULL, &err);
        assert_non_null(g);
        if (round == 0) {
            id1 = strdup(hc_group_id(g));
            assert_non_null(strstr(id1, "/merged-"));
        } else {
            assert_string_equal(hc_group_id(g), id1);
        }
        assert_int_equal(stat(id1, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        hc_group_free(g);
        assert_int_not_equal(stat(id1, &st), 0);
    }
    *strrchr(id1, '/') = '\0';
    assert_int_equal(stat(id1, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    hc_engine_free(e);
    free(id1);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hundred_files_one_changed),
        cmocka_unit_test(added_removed_swap_ignored),
        cmocka_unit_test(folder_recreated_dir),
        cmocka_unit_test(folder_recreated_glob),
        cmocka_unit_test(merged_layers),
        cmocka_unit_test(merged_folder_recreated),
        cmocka_unit_test(merged_folder_schema),
        cmocka_unit_test(threaded_group_optional_layer),
        cmocka_unit_test(default_merged_file_is_stable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
