mxt_unit_test(test_spmm LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spmm.c
              LIBS mxt_kernels mxt_common)
