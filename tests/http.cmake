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
# etcd configs on the dashboard like files (a real etcd, tests/etcd_lib.sh)
if(HC_WITH_HTTP AND HC_WITH_ETCD)
  add_test(NAME test_http_etcd COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_http_etcd.sh
           $<TARGET_FILE:hotconf_cli>)
  set_tests_properties(test_http_etcd PROPERTIES LABELS "cli;http" SKIP_RETURN_CODE 77
                       RUN_SERIAL TRUE TIMEOUT 180)
endif()
