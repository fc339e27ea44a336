# Hostile inputs (tests/hostile/<case>/): one CTest per folder, through the
# CLI with a timeout; see tests/hostile/README.md.
file(GLOB HC_HOSTILE_CASES LIST_DIRECTORIES true CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/tests/hostile/*)
foreach(dir ${HC_HOSTILE_CASES})
  if(IS_DIRECTORY ${dir})
    get_filename_component(case ${dir} NAME)
    add_test(NAME hostile_${case}
             COMMAND sh ${CMAKE_SOURCE_DIR}/tests/hostile/run.sh
                     $<TARGET_FILE:hotconf_cli> ${dir})
    set_tests_properties(hostile_${case} PROPERTIES LABELS "hostile;cli"
                         TIMEOUT 60 SKIP_RETURN_CODE 77)
  endif()
endforeach()
