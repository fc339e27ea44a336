# YAML: parser and emitter unit tests, and the yaml-test-suite.
hc_unit_test(test_yaml SOURCES ${CMAKE_SOURCE_DIR}/tests/test_yaml.c)
hc_unit_test(test_yaml_conformance
  SOURCES ${CMAKE_SOURCE_DIR}/tests/test_yaml_conformance.c
  LABELS conformance)
hc_unit_test(test_yaml_threads
  SOURCES ${CMAKE_SOURCE_DIR}/tests/test_yaml_threads.c
  LABELS threaded)
# the reusing parse (src/format/yaml_reuse.c) against full parses
hc_unit_test(test_yaml_reuse SOURCES ${CMAKE_SOURCE_DIR}/tests/test_yaml_reuse.c)
