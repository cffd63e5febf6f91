/* What the files of db/ share and nothing else sees: the handle, the SQLite
 * error mapping and small statement helpers. Only db/ includes sqlite3.h. */
#ifndef MXT_DB_INTERNAL_H
#define MXT_DB_INTERNAL_H

#include <limits.h>
#include <sqlite3.h>
#include "mxt_db.h"
#include "mxt_db_tune.h"

/* PRAGMA application_id of every mxtune database: 'MXTU'. */
#define MXT_DB_APPLICATION_ID 0x4d585455

/* How long a connection waits for another's lock before MXT_EBUSY. */
#define DB_BUSY_TIMEOUT_MS 5000

/* How many times a write transaction that met SQLITE_BUSY beyond the busy
 * timeout is retried whole before MXT_EBUSY. */
#define DB_WRITE_RETRIES 8

struct mxt_db {
    sqlite3 *sql;
    int readonly; /* opened with MXT_DB_READONLY: writes are refused */
    char path[PATH_MAX];
    char kernel_version[24]; /* reads flag rows of another version as stale */
};

/* Record the connection's last SQLite error for `what` ("storing the probe
 * run") and return the matching MXT_E* code. */
int db_sql_error(struct mxt_db *db, int sqlite_rc, const char *what);

/* Run SQL without results; MXT_E* on failure, with a message naming `what`. */
int db_exec(struct mxt_db *db, const char *sql, const char *what);

/* Read one integer PRAGMA (user_version, application_id) into *out. */
int db_pragma_int(struct mxt_db *db, const char *pragma, int64_t *out);

/* Whether a file with this application_id and user_version (and, for a blank
 * file, tables or not) is an mxtune database this build can open:
 * MXT_EDBCORRUPT or MXT_EDBNEWER with the message of TUNER_DB.md if not. */
int db_check_identity(const char *path, int64_t application_id, int64_t user_version,
                      int has_tables);

/* Read application_id and user_version (and whether tables exist) in one read
 * transaction and check them with db_check_identity (db/schema.c). */
int db_read_identity(struct mxt_db *db, int64_t *version);

/* Bring the schema forward to MXT_DB_SCHEMA_VERSION, one transaction per step
 * (db/schema.c). Refuses a newer or foreign database. */
int db_migrate(struct mxt_db *db);

/* The current time in ISO 8601 UTC ("2024-05-01T12:00:00Z"). */
void db_now_iso(char *buf, size_t size);

/* Run fn inside one BEGIN IMMEDIATE transaction and commit; roll back when
 * fn fails. The whole transaction is retried (up to DB_WRITE_RETRIES times)
 * when SQLite stays busy beyond the busy timeout. Refused on a read-only
 * handle (MXT_EINVAL). */
int db_write_txn(struct mxt_db *db, const char *what, int (*fn)(struct mxt_db *db, void *ctx),
                 void *ctx);

/* Statement helpers (db/db.c). */
int db_prepare(struct mxt_db *db, const char *sql, sqlite3_stmt **st, const char *what);
int db_bind_text(sqlite3_stmt *st, int i, const char *s);
int db_step_done(struct mxt_db *db, sqlite3_stmt *st, const char *what);
const char *db_column_text(sqlite3_stmt *st, int i);

/* The machine row id of a fingerprint (MXT_ENOTFOUND saying to run probe). */
int db_machine_id(struct mxt_db *db, const char *fingerprint, int64_t *id);

/* The compiler that built this mxtune ("gcc 12.2.0"). */
const char *db_compiler(void);

/* ---- the tuner's tables inside a transaction (db/tune.c), for import ---- */

/* What a put does when the row's key is already stored. */
enum db_put_mode {
    DB_PUT_REPLACE = 0, /* overwrite it (a search measuring again) */
    DB_PUT_NEW = 1,     /* fail with MXT_EFORMAT "already in the database" (import) */
    DB_PUT_FASTER = 2   /* keep the faster median / the newer row (merge) */
};

int db_problem_check(const struct mxt_db_problem *p);
int db_measurement_check(const struct mxt_db_measurement *ms);
/* Inside a transaction: the problem's id, created when create != 0. */
int db_problem_lookup(struct mxt_db *db, const struct mxt_db_problem *p, int create, int64_t *id);
/* Inside a transaction. from_file: ms carries its own created, mxtune_version
 * and compiler (an import); else they are now, this build and this compiler.
 * *added (may be NULL) is 1 when a row was inserted or changed. */
int db_put_measurement(struct mxt_db *db, int64_t machine_id, int64_t problem_id,
                       enum mxt_dtype dtype, const struct mxt_db_measurement *ms, int from_file,
                       enum db_put_mode mode, int64_t *id, int *added);
/* The id of a stored measurement by its key (MXT_ENOTFOUND if none). */
int db_measurement_key_id(struct mxt_db *db, int64_t machine_id, int64_t problem_id,
                          const char *config_key, const char *kernel_version, int64_t *id,
                          double *median_s);
int db_put_tuned(struct mxt_db *db, int64_t machine_id, int64_t problem_id, int64_t measurement_id,
                 const char *provenance_json, const char *created, enum db_put_mode mode,
                 int *added);
int db_put_calibration(struct mxt_db *db, int64_t machine_id, const char *kernel,
                       const char *params_json, const char *created, enum db_put_mode mode,
                       int *added);

#endif
