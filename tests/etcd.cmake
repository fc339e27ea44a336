# etcd as a config source (issue 12): real etcd processes on loopback
# ports, stopped by PID. Skipped (77) when etcd-server is not installed.
if(HC_WITH_ETCD)
  hc_unit_test(test_etcd SOURCES ${CMAKE_SOURCE_DIR}/tests/test_etcd.c
    ${CMAKE_SOURCE_DIR}/tests/test_engine_common.c LABELS threaded)
  set_tests_properties(test_etcd PROPERTIES RUN_SERIAL TRUE)
endif()
if(HC_WITH_ETCD)
  add_test(NAME test_etcd_push COMMAND sh ${CMAKE_SOURCE_DIR}/tests/test_etcd_push.sh
           $<TARGET_FILE:hotconf_cli>)
  set_tests_properties(test_etcd_push PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
                       LABELS "unit")
endif()
# fleet (issue 12 parts 2-3): history/rollback on etcd revisions, rollout
# status with 5 real watchers, push --wait --auto-rollback; auth and TLS.
if(HC_WITH_ETCD)
  foreach(t test_etcd_fleet test_etcd_secure)
    add_test(NAME ${t} COMMAND sh ${CMAKE_SOURCE_DIR}/tests/${t}.sh
             $<TARGET_FILE:hotconf_cli>)
    set_tests_properties(${t} PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
                         LABELS "unit" TIMEOUT 300)
  endforeach()
endif()
# libcurl is dlopen'ed on first use (src/etcd/curl_dl.c, issue 7): not in
# the maps of a program until it calls etcd; HC_CURL_LIBRARY (tests only)
# names a library that is not there, for the HC_ENOTSUP path.
if(HC_WITH_ETCD)
  hc_unit_test(test_curl_dl SOURCES ${CMAKE_SOURCE_DIR}/tests/test_curl_dl.c)
  add_test(NAME test_curl_dl_missing COMMAND test_curl_dl)
  set_tests_properties(test_curl_dl_missing PROPERTIES LABELS "unit"
                       ENVIRONMENT "HC_CURL_LIBRARY=libhc-no-such-curl.so.4")
endif()
