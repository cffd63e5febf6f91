mxt_unit_test(test_common LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_common.c
              LIBS mxt_common)
