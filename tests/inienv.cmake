# INI and .env: the typing rule, both parsers and emitters, and the inih and
# dotenv conformance suites (data in HC_CONFORMANCE_DIR, never copied here).
hc_unit_test(test_scalar SOURCES ${CMAKE_SOURCE_DIR}/tests/test_scalar.c)
hc_unit_test(test_ini SOURCES ${CMAKE_SOURCE_DIR}/tests/test_ini.c)
hc_unit_test(test_env SOURCES ${CMAKE_SOURCE_DIR}/tests/test_env.c)
hc_unit_test(test_ini_conformance
  SOURCES ${CMAKE_SOURCE_DIR}/tests/test_ini_conformance.c
  LABELS conformance)
hc_unit_test(test_env_conformance
  SOURCES ${CMAKE_SOURCE_DIR}/tests/test_env_conformance.c
  LABELS conformance)
