# Core: errors, parse dispatch, JSON, path access, diff; JSONTestSuite;
# the CLI contract (check, convert, get, diff) end to end.
hc_unit_test(test_core SOURCES ${CMAKE_SOURCE_DIR}/tests/test_core.c)
hc_unit_test(test_json_conformance
             SOURCES ${CMAKE_SOURCE_DIR}/tests/test_json_conformance.c
             LABELS conformance)
add_test(NAME test_cli COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_cli.sh $<TARGET_FILE:hotconf_cli>)
set_tests_properties(test_cli PROPERTIES LABELS "cli" TIMEOUT 300)
if(HC_SANITIZE STREQUAL "address")
  set(HC_INSTALL_TEST_CFLAGS "-fsanitize=address,undefined")
elseif(HC_SANITIZE STREQUAL "thread")
  set(HC_INSTALL_TEST_CFLAGS "-fsanitize=thread")
endif()
add_test(NAME test_install COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_install.sh
         ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} "${HC_INSTALL_TEST_CFLAGS}")
set_tests_properties(test_install PROPERTIES LABELS "install" TIMEOUT 300)
# hc_changeset_touches (src/diff.c): conditional reload on a prefix.
hc_unit_test(test_diff_touches SOURCES ${CMAKE_SOURCE_DIR}/tests/test_diff_touches.c)
# The reusing parse (src/format/reuse.h): equal to hc_parse on random edit
# chains, sharing what did not change; the engine shares between versions.
hc_unit_test(test_reuse SOURCES ${CMAKE_SOURCE_DIR}/tests/test_reuse.c
             ${CMAKE_SOURCE_DIR}/tests/test_engine_common.c LABELS threaded)
