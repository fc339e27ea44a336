/*
 * schema_opts.c - --format-assert and --schema-ref for check and watch.
 * A referenced schema is registered under its "$id" and under its path
 * relative to the main schema's folder ("other.json", "defs/port.json",
 * "../common/x.json"), so that a relative "$ref" written in the main
 * schema resolves as it would on disk; nothing is fetched.
 */
#include "schema_opts.h"

#include "cli.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_schema_opt(int argc, char **argv, int *i, cli_schema_opts *o,
                   const char *verb)
{
    const char *v;
    int r;
    if (!strcmp(argv[*i], "--format-assert")) {
        o->format_assert = 1;
        return 1;
    }
    r = cli_opt_value(argc, argv, i, "--schema-ref", &v);
    if (r < 0 || (r > 0 && !*v)) {
        cli_usage_error(verb, "--schema-ref needs a file or a folder");
        return -1;
    }
    if (r > 0)
        o->refs[o->nrefs++] = v;
    return r;
}

/* path relative to the folder dir (both absolute, canonical) */
static char *relative_to(const char *dir, const char *path)
{
    size_t common = 0, ups = 0, len;
    char *out, *p;
    for (size_t k = 0; dir[k] && dir[k] == path[k]; k++)
        if (dir[k] == '/')
            common = k;
    if (!strncmp(dir, path, strlen(dir)) && path[strlen(dir)] == '/')
        common = strlen(dir);
    for (const char *q = dir + common; *q; q++)
        if (*q == '/')
            ups++;
    len = ups * 3 + strlen(path + common + 1) + 1;
    out = p = malloc(len);
    if (!out)
        return NULL;
    for (size_t k = 0; k < ups; k++, p += 3)
        memcpy(p, "../", 3);
    strcpy(p, path + common + 1);
    return out;
}

static int add_file(hc_schema_registry *reg, const char *main_dir,
                    const char *path)
{
    char real[PATH_MAX];
    char *rel, *id = NULL;
    hc_error err;
    json_t *doc, *idv;
    int rc = 0;
    if (!realpath(path, real)) {
        fprintf(stderr, "%s: error: cannot resolve the path\n", path);
        return -1;
    }
    /* its "$id", when it parses here (else the library's reading below
     * reports why, or reads big integers as reals) */
    hc_error_init(&err);
    doc = hc_parse_file(real, HC_FORMAT_AUTO, NULL, &err);
    idv = json_object_get(doc, "$id");
    if (!json_is_string(idv))
        idv = json_object_get(doc, "id"); /* draft-04 */
    if (json_is_string(idv) && json_string_value(idv)[0] != '#')
        id = strndup(json_string_value(idv),
                     strcspn(json_string_value(idv), "#"));
    json_decref(doc);
    rel = relative_to(main_dir, real);
    if (!rel) {
        free(id);
        fprintf(stderr, "hotconf: out of memory\n");
        return -1;
    }
    hc_error_init(&err);
    rc = hc_schema_registry_load(reg, rel, real, &err);
    if (rc == 0 && id)
        rc = hc_schema_registry_load(reg, id, real, &err);
    if (rc == HC_EEXIST)
        rc = 0; /* the same schema given twice */
    if (rc)
        cli_print_error(&err);
    free(rel);
    free(id);
    return rc ? -1 : 0;
}

static int add_dir(hc_schema_registry *reg, const char *main_dir,
                   const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;
    if (!d) {
        fprintf(stderr, "%s: error: cannot open the folder\n", dir);
        return -1;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 16)
            rc = add_dir(reg, main_dir, path, depth + 1);
        else if (S_ISREG(st.st_mode) &&
                 ((l > 5 && !strcmp(de->d_name + l - 5, ".json")) ||
                  (l > 5 && !strcmp(de->d_name + l - 5, ".yaml")) ||
                  (l > 4 && !strcmp(de->d_name + l - 4, ".yml"))))
            rc = add_file(reg, main_dir, path);
    }
    closedir(d);
    return rc;
}

int cli_schema_options(cli_schema_opts *o, const char *schema_path,
                       hc_schema_options *so)
{
    char main_dir[PATH_MAX];
    char *slash;
    so->format_assert = o->format_assert;
    if (o->nrefs == 0)
        return 0;
    if (!realpath(schema_path, main_dir)) {
        fprintf(stderr, "%s: error: cannot resolve the path\n", schema_path);
        return -1;
    }
    slash = strrchr(main_dir, '/');
    if (slash)
        *slash = '\0';
    if (!(o->reg = hc_schema_registry_new())) {
        fprintf(stderr, "hotconf: out of memory\n");
        return -1;
    }
    for (int k = 0; k < o->nrefs; k++) {
        struct stat st;
        int rc;
        if (stat(o->refs[k], &st) != 0) {
            fprintf(stderr, "%s: error: no such file or folder\n", o->refs[k]);
            return -1;
        }
        rc = S_ISDIR(st.st_mode) ? add_dir(o->reg, main_dir, o->refs[k], 0)
                                 : add_file(o->reg, main_dir, o->refs[k]);
        if (rc)
            return -1;
    }
    so->registry = o->reg;
    return 0;
}

void cli_schema_opts_free(cli_schema_opts *o)
{
    hc_schema_registry_free(o->reg);
    o->reg = NULL;
}
