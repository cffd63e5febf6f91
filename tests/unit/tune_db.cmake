# The tuner's database (schema v2: measurements, winners, export/import/merge,
# concurrent writers, the measuring lock) and the lookup for other libraries
# (exact -> nearest -> model, thread safety, mxt_sgemm without a database).
mxt_unit_test(test_tune_db LABEL db SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tune_db.c ${CMAKE_CURRENT_LIST_DIR}/db_test_util.c
              LIBS mxt_db mxt_common SQLite::SQLite3)
mxt_unit_test(test_lookup LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_lookup.c
              LIBS mxt_tuner mxt_db mxt_probes mxt_kernels mxt_common Threads::Threads m)
