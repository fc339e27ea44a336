# Core: errors, parse dispatch, JSON, path access, diff.
hc_unit_test(test_core SOURCES ${CMAKE_SOURCE_DIR}/tests/test_core.c)
