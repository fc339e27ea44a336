# bench/schema: validations per second of the JSON Schema validator
# (bench/schema.sh runs it next to Ajv on the same files).
add_executable(bench_schema ${CMAKE_SOURCE_DIR}/bench/schema_bench.c)
target_link_libraries(bench_schema PRIVATE hotconf_static)
