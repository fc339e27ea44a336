# Watch engine benchmarks (run by bench/engine.sh; figures in RESULTS.md).
foreach(b engine_latency engine_memory engine_idle engine_reads)
  add_executable(bench_${b} ${CMAKE_SOURCE_DIR}/bench/${b}.c)
  target_link_libraries(bench_${b} PRIVATE hotconf_static)
endforeach()
