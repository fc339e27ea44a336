# Dashboard benchmark (bench/http.sh; figures in RESULTS.md).
if(HC_WITH_HTTP)
  add_executable(bench_http ${CMAKE_SOURCE_DIR}/bench/http_bench.c)
  target_link_libraries(bench_http PRIVATE hotconf_static)
endif()
