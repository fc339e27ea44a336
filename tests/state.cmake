# State: the SQLite history store and the operator verbs (history, show,
# rollback, log, status, stats), the man pages.
hc_unit_test(test_state_store SOURCES ${CMAKE_SOURCE_DIR}/tests/test_state_store.c
  LABELS threaded)
# hc_engine_options.state_dir: the SQLite store behind the engine (numbering
# across restarts, last known good at start).
hc_unit_test(test_state_engine SOURCES ${CMAKE_SOURCE_DIR}/tests/test_state_engine.c
  LABELS threaded)
add_test(NAME test_state_cli COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_state_cli.sh
         $<TARGET_FILE:hotconf_cli>)
set_tests_properties(test_state_cli PROPERTIES LABELS "cli" TIMEOUT 300)
# Operating it: find_package(hotconf) from a fresh project, an rpath build
# that starts without LD_LIBRARY_PATH, man pages (mandoc -Tlint), bash
# completion and the systemd unit installed.
add_test(NAME test_state_install COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_state_install.sh
         ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} "${HC_INSTALL_TEST_CFLAGS}")
set_tests_properties(test_state_install PROPERTIES LABELS "install" TIMEOUT 300)
# sd_notify: a real hotconf watch sends READY=1 after its first load.
hc_unit_test(test_state_notify SOURCES ${CMAKE_SOURCE_DIR}/tests/test_state_notify.c
  LABELS cli ARGS $<TARGET_FILE:hotconf_cli>)
add_dependencies(test_state_notify hotconf_cli)
# src/mask.c: secret keys, paths, documents and error texts (CLI, store
# and dashboard share it).
hc_unit_test(test_mask SOURCES ${CMAKE_SOURCE_DIR}/tests/test_mask.c)
