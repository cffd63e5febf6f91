/* The database module's interface (internal to mxtune; the public lookup API
 * comes with the tuner). Only db/ includes sqlite3.h.
 *
 * Location: an explicit path, else $MXTUNE_DB, else $XDG_DATA_HOME/mxtune/mxtune.db
 * (~/.local/share/mxtune/mxtune.db). WAL, busy timeout, foreign keys, schema
 * version in PRAGMA user_version with forward migrations. A file that is not
 * an SQLite database, or one whose user_version is newer than this build knows,
 * is refused (MXT_EDBCORRUPT / MXT_EDBNEWER) and left byte-for-byte untouched.
 */
#ifndef MXT_DB_H
#define MXT_DB_H

#include <stddef.h>
#include <stdint.h>
#include "mxtune/machine.h"

struct mxt_db;

/* MXT_DB_READONLY: the file must exist (else MXT_ENOTFOUND, "no database at
 * '<path>': run 'mxtune probe' first"); writes through the handle are refused
 * (MXT_EINVAL). An older schema is still migrated forward if the file is
 * writable; a file the user may not write is read as it is.
 * MXT_DB_CREATE: create the file and its directories (mkdir -p) if missing;
 * a path that cannot be created or written gives MXT_EIO naming it. */
enum mxt_db_flags {
    MXT_DB_READONLY = 0, /* fail with MXT_ENOTFOUND if the file does not exist */
    MXT_DB_CREATE = 1    /* create the file (and its directory) on first use */
};

/* Resolve the default path into buf (MXT_EINVAL if neither $MXTUNE_DB,
 * $XDG_DATA_HOME nor $HOME is set). */
int mxt_db_default_path(char *buf, size_t size);

/* Open (path NULL = default). On success *out is a handle to close. */
int mxt_db_open(const char *path, int flags, struct mxt_db **out);
void mxt_db_close(struct mxt_db *db);
const char *mxt_db_path(const struct mxt_db *db);
int mxt_db_schema_version(struct mxt_db *db); /* PRAGMA user_version */
#define MXT_DB_SCHEMA_VERSION 2

/* Store a probe run: upserts the machine row (profile JSON under its
 * fingerprint) and inserts the probe_run with the raw curves, in one
 * transaction. curves_json may be NULL. mode is "quick", "default" or
 * "thorough". *run_id (may be NULL) receives the new row id. */
int mxt_db_store_probe(struct mxt_db *db, const struct mxt_machine *m, const char *mode,
                       const char *curves_json, int64_t *run_id);

/* 1 when a default or thorough probe of this machine is stored: its profile is
 * then kept when a quick probe is stored (the quick run is kept as a run). */
int mxt_db_machine_has_full_probe(struct mxt_db *db, const char *fingerprint);

/* The stored profile of a fingerprint (MXT_ENOTFOUND if none). */
int mxt_db_get_machine(struct mxt_db *db, const char *fingerprint, struct mxt_machine *m);
/* The stored mxtune.machine/1 document of a fingerprint, as stored (malloc'd,
 * caller frees; MXT_ENOTFOUND if none). */
int mxt_db_get_machine_json(struct mxt_db *db, const char *fingerprint, char **json);

/* One row per stored machine, newest first. */
struct mxt_db_machine_row {
    char fingerprint[40];
    char name[64];
    char brand[64];
    char created[32]; /* ISO 8601 UTC */
    char updated[32];
    int probe_runs;
};
/* Calls fn for each machine; stops early if fn returns non-zero (that value is returned). */
int mxt_db_list_machines(struct mxt_db *db,
                         int (*fn)(const struct mxt_db_machine_row *row, void *ctx), void *ctx);

/* The raw curves JSON of the newest probe run of a fingerprint that stored
 * curves (malloc'd; MXT_ENOTFOUND if none). */
int mxt_db_latest_curves(struct mxt_db *db, const char *fingerprint, char **curves_json);

/* Table names with their row counts, by name (for `mxtune db list`); stops
 * early if fn returns non-zero (that value is returned). */
int mxt_db_table_counts(struct mxt_db *db, int (*fn)(const char *table, int64_t rows, void *ctx),
                        void *ctx);

#endif
