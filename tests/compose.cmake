# Composition (src/compose/): layers merged into one document, folders and
# globs as watch targets, binding into C structs; the get/check/watch layer
# options end to end.
hc_unit_test(test_compose_layers
             SOURCES ${CMAKE_SOURCE_DIR}/tests/test_compose_layers.c)
hc_unit_test(test_compose_group
             SOURCES ${CMAKE_SOURCE_DIR}/tests/test_compose_group.c)
hc_unit_test(test_compose_bind
             SOURCES ${CMAKE_SOURCE_DIR}/tests/test_compose_bind.c)
hc_unit_test(test_compose_bind_threads
             SOURCES ${CMAKE_SOURCE_DIR}/tests/test_compose_bind.c
             ARGS threaded LABELS threaded)
add_test(NAME test_compose_cli COMMAND sh
         ${CMAKE_SOURCE_DIR}/tests/test_compose_cli.sh $<TARGET_FILE:hotconf_cli>)
set_tests_properties(test_compose_cli PROPERTIES LABELS "cli" TIMEOUT 300)
