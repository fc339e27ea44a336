# YAML's reusing parse against a full parse (bench_yaml_reuse; figures in
# RESULTS.md, "YAML reusing parse").
add_executable(bench_yaml_reuse ${CMAKE_SOURCE_DIR}/bench/yaml_reuse.c)
target_link_libraries(bench_yaml_reuse PRIVATE hotconf_static)
target_include_directories(bench_yaml_reuse PRIVATE ${CMAKE_SOURCE_DIR}/src)
