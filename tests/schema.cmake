# Schema: JSON Schema 2020-12 validator (unit tests, the official suite,
# and hotconf check --schema through the real binary).
hc_unit_test(test_schema SOURCES ${CMAKE_SOURCE_DIR}/tests/test_schema.c
             LABELS threaded ARGS $<TARGET_FILE:hotconf_cli>)
hc_unit_test(test_schema_suite SOURCES ${CMAKE_SOURCE_DIR}/tests/test_schema_suite.c
             LABELS conformance)
add_test(NAME test_watch_schema COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_watch_schema.sh
         $<TARGET_FILE:hotconf_cli>)
set_tests_properties(test_watch_schema PROPERTIES LABELS "cli" TIMEOUT 120)
