# Composition benchmarks (issue 14; figures in RESULTS.md): folder
# detect-to-callback, merging 4 layers, bound-struct reads.
add_executable(bench_compose ${CMAKE_SOURCE_DIR}/bench/compose_bench.c)
target_link_libraries(bench_compose PRIVATE hotconf_static)
