# Database tests: create, migrate, refuse newer or foreign files, store and read
# machines, concurrent writers. The test uses sqlite3 directly to forge files.
mxt_unit_test(test_db LABEL db SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_db.c ${CMAKE_CURRENT_LIST_DIR}/db_test_util.c
              LIBS mxt_db mxt_common SQLite::SQLite3)
