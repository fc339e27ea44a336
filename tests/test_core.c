#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "internal.h"
#include "testutil.h"

static void test_placeholder_json_parses(void **state)
{
    hc_error err;
    json_t *d;
    (void)state;
    hc_error_init(&err);
    d = hc_parse("{\"a\":1}", 7, HC_FORMAT_JSON, NULL, NULL, &err);
    assert_non_null(d);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholder_json_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
