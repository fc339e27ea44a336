/*
 * format.c - the cookbook's format override (README "Library cookbook"):
 * a file whose name does not say its format ("app.conf" holding YAML),
 * parsed once and watched. Usage: format FILE
 */
#include <hotconf.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    hc_error err;
    hc_engine *e;
    hc_watch_options wo = {0};
    json_t *doc;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    /* [cookbook:format] */
    /* HC_FORMAT_AUTO would go by the name; say it. */
    doc = hc_parse_file(argv[1], HC_FORMAT_YAML, NULL, &err);
    if (!doc) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.source, err.line, err.column,
                err.text);
        return 1;
    }
    json_decref(doc);

    e = hc_engine_new(NULL);
    wo.format = HC_FORMAT_YAML; /* the same override for a watch */
    if (!e || hc_watch(e, argv[1], &wo) != 0) {
        hc_engine_free(e);
        return 1;
    }
    /* [/cookbook:format] */
    doc = hc_config_get(e, argv[1]);
    printf("%s\n", hc_get_string(doc, "name", "(none)", NULL));
    hc_doc_release(doc);
    hc_engine_free(e);
    return 0;
}
