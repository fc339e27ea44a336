# Dashboard (src/http/): real HTTP on 127.0.0.1, SSE, promtool, the token,
# the static page, the CLI flags; the browser test drives Debian's chromium.
if(HC_WITH_HTTP)
  hc_unit_test(test_http SOURCES ${CMAKE_SOURCE_DIR}/tests/test_http.c
    LABELS http threaded)
  add_test(NAME test_http_cli COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_http_cli.sh
           $<TARGET_FILE:hotconf_cli>)
  set_tests_properties(test_http_cli PROPERTIES LABELS "cli;http" TIMEOUT 120)
  add_test(NAME test_http_browser
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/browser/run.sh $<TARGET_FILE:hotconf_cli>
            ${CMAKE_BINARY_DIR})
  set_tests_properties(test_http_browser PROPERTIES LABELS "http;browser"
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
