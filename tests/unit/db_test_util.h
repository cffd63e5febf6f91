/* Helpers shared by the database unit tests (test_db.c, test_tune_db.c):
 * temporary directories, raw SQLite access to forge or inspect files, and a
 * complete sample machine. */
#ifndef MXT_DB_TEST_UTIL_H
#define MXT_DB_TEST_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include "mxtune/machine.h"

/* mkdtemp of /tmp/<prefix>XXXXXX into dir: 0 or -1. */
int make_tmpdir(char *dir, size_t size, const char *prefix);
/* Remove dir and everything under it (read-only entries included). */
void rm_tree(const char *dir);
/* out = dir/name. */
void join(char *out, size_t size, const char *dir, const char *name);
/* Run SQL on a file with SQLite directly (to forge files the way other programs
 * or a newer mxtune would leave them): SQLite's result code. */
int raw_exec(const char *path, const char *sql);
/* The first column of the first row of a query, or -1. */
int64_t raw_int(const char *path, const char *sql);
/* A machine profile with every section filled (caches, DRAM, compute). */
void sample_machine(struct mxt_machine *m, const char *fingerprint, const char *brand);

#endif
