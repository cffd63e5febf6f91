# The tuner: candidate space and legality, strategies against a fake measurement,
# budgets, noise policy, shapes files (unit); resume after a kill, calibration and
# accuracy against a real database (db).
mxt_unit_test(test_tuner LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tuner.c
              LIBS mxt_tuner mxt_common)
mxt_unit_test(test_tuner_db LABEL db SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tuner_db.c
              LIBS mxt_tuner mxt_db mxt_common)
