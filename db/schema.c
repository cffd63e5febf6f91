/* The database schema and its forward migrations (db/): one step per version,
 * each applied in its own transaction, plus the schema queries behind
 * `mxtune db list`. Version 2 adds the tuner's tables (problem, measurement,
 * tuned, calibration). */
#include <stdio.h>
#include "db_internal.h"
#include "mxt_common.h"

/* steps[v] takes a database from user_version v to v + 1. */
static const char *const steps[] = {
    /* 0 -> 1: machines under their fingerprint, and the probe runs that
     * measured them with the raw curves. Timestamps are ISO 8601 UTC. */
    "CREATE TABLE machine ("
    "  id INTEGER PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  brand TEXT NOT NULL DEFAULT '',"
    "  profile_json TEXT NOT NULL,"
    "  created TEXT NOT NULL,"
    "  updated TEXT NOT NULL);"
    "CREATE TABLE probe_run ("
    "  id INTEGER PRIMARY KEY,"
    "  machine_id INTEGER NOT NULL REFERENCES machine(id) ON DELETE CASCADE,"
    "  mode TEXT NOT NULL,"
    "  started TEXT NOT NULL,"
    "  profile_json TEXT NOT NULL,"
    "  curves_json TEXT,"
    "  mxtune_version TEXT NOT NULL);"
    "CREATE INDEX probe_run_machine ON probe_run(machine_id, id);",

    /* 1 -> 2: the tuner (TUNER_DB.md). A problem is one typed column per
     * descriptor field, UNIQUE over all of them; every measurement of a
     * (problem, machine, configuration, kernel version), replaced when measured
     * again; the winner per problem and machine with its provenance; the model's
     * fitted constants per machine and kernel. Only new tables: every v1 row
     * stays as it is. */
    "CREATE TABLE problem ("
    "  id INTEGER PRIMARY KEY,"
    "  op TEXT NOT NULL CHECK (op IN ('gemm', 'spmm', 'lowrank', 'contract')),"
    "  dtype TEXT NOT NULL CHECK (dtype IN ('f32', 'f64')),"
    "  m INTEGER NOT NULL CHECK (m > 0),"
    "  n INTEGER NOT NULL CHECK (n > 0),"
    "  k INTEGER NOT NULL CHECK (k > 0),"
    "  batch INTEGER NOT NULL DEFAULT 1 CHECK (batch > 0),"
    "  rank INTEGER NOT NULL DEFAULT 0 CHECK (rank >= 0),"
    "  density REAL NOT NULL DEFAULT 1 CHECK (density > 0 AND density <= 1),"
    "  spec TEXT NOT NULL DEFAULT '',"
    "  col_major INTEGER NOT NULL DEFAULT 1 CHECK (col_major IN (0, 1)),"
    "  trans_a INTEGER NOT NULL DEFAULT 0 CHECK (trans_a IN (0, 1)),"
    "  trans_b INTEGER NOT NULL DEFAULT 0 CHECK (trans_b IN (0, 1)),"
    "  beta_zero INTEGER NOT NULL DEFAULT 1 CHECK (beta_zero IN (0, 1)),"
    "  threads INTEGER NOT NULL CHECK (threads > 0),"
    "  UNIQUE (op, dtype, m, n, k, batch, rank, density, spec, col_major, trans_a, trans_b,"
    "          beta_zero, threads));"
    "CREATE TABLE measurement ("
    "  id INTEGER PRIMARY KEY,"
    "  problem_id INTEGER NOT NULL REFERENCES problem(id) ON DELETE CASCADE,"
    "  machine_id INTEGER NOT NULL REFERENCES machine(id) ON DELETE CASCADE,"
    "  config_key TEXT NOT NULL,"
    "  schedule TEXT NOT NULL,"
    "  isa TEXT NOT NULL,"
    "  mr INTEGER NOT NULL,"
    "  nr INTEGER NOT NULL,"
    "  mc INTEGER NOT NULL,"
    "  kc INTEGER NOT NULL,"
    "  nc INTEGER NOT NULL,"
    "  alpha REAL NOT NULL,"
    "  threads INTEGER NOT NULL,"
    "  kernel_version TEXT NOT NULL,"
    "  mxtune_version TEXT NOT NULL,"
    "  compiler TEXT NOT NULL,"
    "  median_s REAL NOT NULL CHECK (median_s > 0),"
    "  min_s REAL NOT NULL,"
    "  q20_s REAL NOT NULL,"
    "  q80_s REAL NOT NULL,"
    "  repeats INTEGER NOT NULL,"
    "  gflops REAL NOT NULL,"
    "  predicted_s REAL NOT NULL DEFAULT 0,"
    "  seed INTEGER NOT NULL DEFAULT 0,"
    "  strategy TEXT NOT NULL,"
    "  created TEXT NOT NULL,"
    "  UNIQUE (problem_id, machine_id, config_key, kernel_version));"
    "CREATE INDEX measurement_machine ON measurement(machine_id, problem_id, id);"
    "CREATE TABLE tuned ("
    "  id INTEGER PRIMARY KEY,"
    "  problem_id INTEGER NOT NULL REFERENCES problem(id) ON DELETE CASCADE,"
    "  machine_id INTEGER NOT NULL REFERENCES machine(id) ON DELETE CASCADE,"
    "  measurement_id INTEGER NOT NULL REFERENCES measurement(id) ON DELETE CASCADE,"
    "  provenance_json TEXT NOT NULL DEFAULT '{}',"
    "  created TEXT NOT NULL,"
    "  UNIQUE (problem_id, machine_id));"
    "CREATE INDEX tuned_machine ON tuned(machine_id);"
    "CREATE INDEX tuned_measurement ON tuned(measurement_id);"
    "CREATE TABLE calibration ("
    "  id INTEGER PRIMARY KEY,"
    "  machine_id INTEGER NOT NULL REFERENCES machine(id) ON DELETE CASCADE,"
    "  kernel TEXT NOT NULL,"
    "  params_json TEXT NOT NULL,"
    "  created TEXT NOT NULL,"
    "  UNIQUE (machine_id, kernel));",
};

_Static_assert(MXT_ARRAY_LEN(steps) == MXT_DB_SCHEMA_VERSION,
               "one migration step per schema version");

/* Count the tables, indexes, views and triggers a blank file must not have. */
static int count_schema(struct mxt_db *db, int64_t *n) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        rc = db_sql_error(db, rc, "reading the schema");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_read_identity(struct mxt_db *db, int64_t *version) {
    int64_t app = 0, n = 0;
    /* One read transaction, so that a migration committed by another process
     * between two of these reads cannot mix old and new answers. */
    int own_txn = sqlite3_get_autocommit(db->sql);
    int rc = own_txn ? db_exec(db, "BEGIN", "reading the schema version") : 0;
    if (rc) return rc;
    if ((rc = db_pragma_int(db, "application_id", &app)) != 0) goto done;
    if ((rc = db_pragma_int(db, "user_version", version)) != 0) goto done;
    if (*version == 0 && (rc = count_schema(db, &n)) != 0) goto done;
    rc = db_check_identity(db->path, app, *version, *version == 0 ? n > 0 : 1);
done:
    if (own_txn) sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL); /* read only: cannot fail */
    return rc;
}

/* The journal mode as SQLite reports it after `sql` ("wal", "delete", ...). */
static int journal_mode(struct mxt_db *db, const char *sql, char *mode, size_t size) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(st, 0);
        mxt_strlcpy(mode, m ? m : "", size);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Switch to WAL once (the mode is stored in the file). The switch needs an
 * exclusive lock and SQLite does not wait for it through the busy handler, so
 * retry for as long as the busy timeout. */
static int use_wal(struct mxt_db *db) {
    char mode[16] = "";
    int rc = journal_mode(db, "PRAGMA journal_mode", mode, sizeof mode);
    for (int waited_ms = 0; rc == SQLITE_OK && sqlite3_stricmp(mode, "wal") != 0;) {
        rc = journal_mode(db, "PRAGMA journal_mode = WAL", mode, sizeof mode);
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= DB_BUSY_TIMEOUT_MS) break;
        sqlite3_sleep(10);
        waited_ms += 10;
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) return db_sql_error(db, rc, "switching to WAL");
    if (sqlite3_stricmp(mode, "wal") != 0)
        return mxt_error(MXT_EDB, "database '%s' cannot use WAL (journal mode stays '%s')",
                         db->path, mode);
    return 0;
}

/* Apply one step if the database (seen under the write lock) still needs it;
 * *done is set once it is at the current version. */
static int migrate_step(struct mxt_db *db, int *done) {
    char what[64], sql[96];
    int64_t version = 0;
    int rc = db_exec(db, "BEGIN IMMEDIATE", "starting a migration");
    if (rc) return rc;
    if ((rc = db_read_identity(db, &version)) != 0) goto rollback;
    if (version >= MXT_DB_SCHEMA_VERSION) { /* another process got there first */
        *done = 1;
        return db_exec(db, "COMMIT", "finishing the migration check");
    }
    snprintf(what, sizeof what, "migrating to schema version %lld", (long long)version + 1);
    if ((rc = db_exec(db, steps[version], what)) != 0) goto rollback;
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %lld",
             MXT_DB_APPLICATION_ID, (long long)version + 1);
    if ((rc = db_exec(db, sql, what)) != 0) goto rollback;
    if ((rc = db_exec(db, "COMMIT", what)) != 0) goto rollback;
    return 0;
rollback:
    sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL); /* keeps the first error */
    return rc;
}

int db_migrate(struct mxt_db *db) {
    int64_t version = 0;
    int done = 0, rc;
    /* Check before the journal mode changes anything in the file. */
    if ((rc = db_read_identity(db, &version)) != 0) return rc;
    if ((rc = use_wal(db)) != 0) return rc;
    if (version == MXT_DB_SCHEMA_VERSION) return 0;
    while (!done && rc == 0)
        rc = migrate_step(db, &done);
    return rc;
}

int mxt_db_schema_version(struct mxt_db *db) {
    int64_t v = 0;
    if (!db) return mxt_error(MXT_EINVAL, "no database");
    int rc = db_pragma_int(db, "user_version", &v);
    return rc ? rc : (int)v;
}

int mxt_db_table_counts(struct mxt_db *db, int (*fn)(const char *table, int64_t rows, void *ctx),
                        void *ctx) {
    if (!db || !fn) return mxt_error(MXT_EINVAL, "mxt_db_table_counts: missing argument");
    sqlite3_stmt *names = NULL, *count = NULL;
    char *sql = NULL;
    int rc = sqlite3_prepare_v2(db->sql,
                                "SELECT name FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                                -1, &names, NULL);
    if (rc != SQLITE_OK) {
        rc = db_sql_error(db, rc, "listing tables");
        goto done;
    }
    while ((rc = sqlite3_step(names)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(names, 0);
        sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", name ? name : "");
        if (!sql) {
            rc = mxt_error(MXT_ENOMEM, "out of memory counting rows");
            goto done;
        }
        rc = sqlite3_prepare_v2(db->sql, sql, -1, &count, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_step(count);
        if (rc != SQLITE_ROW) {
            rc = db_sql_error(db, rc, "counting rows");
            goto done;
        }
        if ((rc = fn(name, sqlite3_column_int64(count, 0), ctx)) != 0) goto done;
        sqlite3_finalize(count);
        count = NULL;
        sqlite3_free(sql);
        sql = NULL;
    }
    rc = rc == SQLITE_DONE ? 0 : db_sql_error(db, rc, "listing tables");
done:
    sqlite3_finalize(count);
    sqlite3_finalize(names);
    sqlite3_free(sql);
    return rc;
}
