/* Parses a config given on the command line and prints one value. */
#include <hotconf.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    hc_error err;
    json_t *doc;
    if (argc < 2)
        return 2;
    doc = hc_parse_file(argv[1], HC_FORMAT_AUTO, NULL, &err);
    if (!doc)
        return 1;
    printf("%s port %d\n", hc_version(),
           (int)hc_get_int(doc, "service.port", 0, NULL));
    json_decref(doc);
    return 0;
}
