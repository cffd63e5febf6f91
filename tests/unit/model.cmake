mxt_unit_test(test_model LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_model.c
              LIBS mxt_model mxt_common)
