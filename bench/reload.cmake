# Reload path, step by step (bench_reload_steps; figures in RESULTS.md).
add_executable(bench_reload_steps ${CMAKE_SOURCE_DIR}/bench/reload_steps.c)
target_link_libraries(bench_reload_steps PRIVATE hotconf_static)
# xxHash header-only, as in the library (see the top-level CMakeLists.txt)
target_compile_definitions(bench_reload_steps PRIVATE XXH_INLINE_ALL)
target_include_directories(bench_reload_steps PRIVATE ${XXHASH_INCLUDE_DIRS}
                           ${CMAKE_SOURCE_DIR}/src)
