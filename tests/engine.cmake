# Engine: detection, apply pipeline, snapshots, history, stats, service
# layer, and the watch/demo verbs end to end. Tests labelled "threaded"
# are re-run under ThreadSanitizer by `make test`.
set(HC_ENGINE_TEST_COMMON ${CMAKE_SOURCE_DIR}/tests/test_engine_common.c)

hc_unit_test(test_engine_patterns SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_engine_patterns.c ${HC_ENGINE_TEST_COMMON})
hc_unit_test(test_engine_apply SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_engine_apply.c ${HC_ENGINE_TEST_COMMON})
# Issue 7's API seams: REQUIRE/on_error, per-call errors, struct sizes,
# veto and revert; the threaded half (stop + start, errors from two
# threads) runs under TSan too.
hc_unit_test(test_engine_api SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_engine_api.c ${HC_ENGINE_TEST_COMMON})
hc_unit_test(test_engine_api_threads SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_engine_api_threads.c ${HC_ENGINE_TEST_COMMON}
  LABELS threaded)
hc_unit_test(test_engine_threads SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_engine_threads.c ${HC_ENGINE_TEST_COMMON}
  LABELS threaded)
# The CLI end to end: `hotconf watch` and `hotconf demo` as child processes.
hc_unit_test(test_engine_cli SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_engine_cli.c ${HC_ENGINE_TEST_COMMON}
  LABELS cli ARGS $<TARGET_FILE:hotconf_cli>)
add_dependencies(test_engine_cli hotconf_cli)
# Issue 8: a config caught mid-write (empty, or still open for writing),
# chmod noticed, a FIFO renamed over a config.
hc_unit_test(test_engine_midwrite SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_engine_midwrite.c ${HC_ENGINE_TEST_COMMON})
# Issue 7: readers cost nothing (cat, tail -f), touch is a hash check, an
# overflow forgets writers whose close it swallowed.
hc_unit_test(test_engine_readers SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_engine_readers.c ${HC_ENGINE_TEST_COMMON})
# Issue 7: the convenience layer with options (diff, on_error, log).
hc_unit_test(test_service SOURCES
  ${CMAKE_SOURCE_DIR}/tests/test_service.c ${HC_ENGINE_TEST_COMMON}
  LABELS threaded)
