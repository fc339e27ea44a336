# Golden cases for the format rules (JSONC, multi-document YAML, INI names
# without a value and continuations, BOMs, .env nested defaults): one CTest
# per folder of tests/golden/formats (see tests/golden_formats.sh).
file(GLOB HC_FORMAT_GOLDEN LIST_DIRECTORIES true CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/tests/golden/formats/*)
foreach(dir ${HC_FORMAT_GOLDEN})
  if(IS_DIRECTORY ${dir})
    get_filename_component(case ${dir} NAME)
    add_test(NAME golden_${case}
             COMMAND sh ${CMAKE_SOURCE_DIR}/tests/golden_formats.sh
                     $<TARGET_FILE:hotconf_cli> ${dir})
    set_tests_properties(golden_${case} PROPERTIES LABELS "golden" TIMEOUT 60)
  endif()
endforeach()
