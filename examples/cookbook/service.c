/*
 * service.c - the cookbook's service registration (README "Library
 * cookbook"): a named service gets its config on the default engine
 * (created and started on first use) and is called with every version,
 * the first included. Usage: service FILE
 */
#include <hotconf.h>

#include <stdio.h>

/* [cookbook:service] */
/* Runs on the default engine's monitor thread. */
static int apply_config(const char *service, const json_t *doc, void *user_data)
{
    (void)user_data;
    printf("%s: workers = %lld\n", service,
           (long long)hc_get_int(doc, "workers", 1, NULL));
    return 0;
}
/* [/cookbook:service] */

int main(int argc, char **argv)
{
    json_t *doc;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    /* [cookbook:register] */
    /* */
    if (hc_service_register(NULL, "api", argv[1], apply_config, NULL) != 0)
        return 1;
    doc = hc_service_config("api"); /* the live document, from anywhere */
    printf("live workers = %lld\n",
           (long long)hc_get_int(doc, "workers", 1, NULL));
    hc_doc_release(doc);
    hc_service_unregister("api");
    /* [/cookbook:register] */
    hc_default_engine_shutdown();
    return 0;
}
