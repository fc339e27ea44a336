# State: the SQLite history store and the operator verbs (history, show,
# rollback, log, status, stats), the man pages.
hc_unit_test(test_state_store SOURCES ${CMAKE_SOURCE_DIR}/tests/test_state_store.c
  LABELS threaded)
add_test(NAME test_state_cli COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_state_cli.sh
         $<TARGET_FILE:hotconf_cli>)
set_tests_properties(test_state_cli PROPERTIES LABELS "cli" TIMEOUT 300)
