# Dashboard (src/http/): real HTTP on 127.0.0.1, SSE, promtool, the token,
# the static page; the browser test drives Debian's chromium.
if(HC_WITH_HTTP)
  hc_unit_test(test_http SOURCES ${CMAKE_SOURCE_DIR}/tests/test_http.c
    LABELS http threaded)
endif()
