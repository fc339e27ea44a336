# etcd source latency (issue 12): bench/etcd.sh starts etcd and runs it.
if(HC_WITH_ETCD)
  add_executable(bench_etcd_latency ${CMAKE_SOURCE_DIR}/bench/etcd_latency.c)
  target_include_directories(bench_etcd_latency PRIVATE ${HC_INTERNAL_INCLUDE})
  target_link_libraries(bench_etcd_latency PRIVATE hotconf_static)
endif()
