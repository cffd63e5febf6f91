# Priors from recorded sysfs trees and CPUID dumps (probes/priors.c), replayed
# without touching the machine's own caches.
mxt_unit_test(test_priors LABEL replay SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_priors.c
              LIBS mxt_probes mxt_common)
