/* embed.c - parse a config, read typed values, diff two versions. */
#include <hotconf.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    hc_error err;
    json_t *old_cfg, *new_cfg;
    if (argc < 3) {
        fprintf(stderr, "usage: %s OLD NEW\n", argv[0]);
        return 2;
    }
    old_cfg = hc_parse_file(argv[1], HC_FORMAT_AUTO, NULL, &err);
    if (!old_cfg) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.source, err.line, err.column,
                err.text);
        return 1;
    }
    printf("port %lld\n",
           (long long)hc_get_int(old_cfg, "service.port", 80, NULL));
    new_cfg = hc_parse_file(argv[2], HC_FORMAT_AUTO, NULL, &err);
    if (new_cfg) {
        hc_changeset *cs = hc_diff(old_cfg, new_cfg);
        for (size_t i = 0; i < hc_changeset_count(cs); i++)
            printf("%s %s\n", hc_change_op_name(hc_changeset_at(cs, i)->op),
                   hc_changeset_at(cs, i)->path);
        hc_changeset_free(cs);
        json_decref(new_cfg);
    }
    json_decref(old_cfg);
    return 0;
}
