/* What the files of db/ share and nothing else sees: the handle, the SQLite
 * error mapping and small statement helpers. Only db/ includes sqlite3.h. */
#ifndef MXT_DB_INTERNAL_H
#define MXT_DB_INTERNAL_H

#include <limits.h>
#include <sqlite3.h>
#include "mxt_db.h"

/* PRAGMA application_id of every mxtune database: 'MXTU'. */
#define MXT_DB_APPLICATION_ID 0x4d585455

/* How long a connection waits for another's lock before MXT_EBUSY. */
#define DB_BUSY_TIMEOUT_MS 5000

struct mxt_db {
    sqlite3 *sql;
    int readonly; /* opened with MXT_DB_READONLY: writes are refused */
    char path[PATH_MAX];
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

#endif
