# State store benchmarks (issue 10; figures in RESULTS.md).
add_executable(bench_state ${CMAKE_SOURCE_DIR}/bench/state.c)
target_include_directories(bench_state PRIVATE ${HC_INTERNAL_INCLUDE})
target_link_libraries(bench_state PRIVATE hotconf_static)
