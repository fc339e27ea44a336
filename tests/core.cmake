# Core: errors, parse dispatch, JSON, path access, diff; JSONTestSuite;
# the CLI contract (check, convert, get, diff) end to end.
hc_unit_test(test_core SOURCES ${CMAKE_SOURCE_DIR}/tests/test_core.c)
hc_unit_test(test_json_conformance
             SOURCES ${CMAKE_SOURCE_DIR}/tests/test_json_conformance.c
             LABELS conformance)
add_test(NAME test_cli COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_cli.sh $<TARGET_FILE:hotconf_cli>)
set_tests_properties(test_cli PROPERTIES LABELS "cli" TIMEOUT 300)
