# reports/: roofline ceilings and .dat writers against a fixture database,
# quoting of stored names, gnuplot missing or failing, unwritable directories.
mxt_unit_test(test_reports LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_reports.c
              LIBS mxt_reports mxt_db mxt_probes mxt_common)
