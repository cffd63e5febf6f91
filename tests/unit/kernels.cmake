mxt_unit_test(test_kernels LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kernels.c
              LIBS mxt_kernels mxt_common)
