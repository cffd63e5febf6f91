# Export (header, JSON, BLIS) and the tuner's rows in the reports (roofline
# points, model against measured) against a fixture database built through the
# db API; the exported header is compiled alone with the C compiler (unit).
mxt_unit_test(test_export LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_export.c
              LIBS mxt_reports mxt_db mxt_model mxt_common cjson SQLite::SQLite3)
target_compile_definitions(test_export PRIVATE MXT_TEST_CC="${CMAKE_C_COMPILER}")
# examples/tuned_gemm: the header exported from a fixture database into the
# build directory, the example built against it and libmxtune, and run (cli).
add_subdirectory(${CMAKE_SOURCE_DIR}/examples ${CMAKE_BINARY_DIR}/examples)
