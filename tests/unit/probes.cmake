# probes/: harness (fake clock), level detection replayed on recorded curves.
mxt_unit_test(test_probes LABEL replay SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_probes.c
              LIBS mxt_probes mxt_common)
