/* Machines and their probe runs in the database (db/): storing a probe in one
 * transaction, reading a profile back by fingerprint, listing what is stored
 * and fetching the raw curves the report draws. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_internal.h"
#include "mxt_common.h"

static const char *const probe_modes[] = {"quick", "default", "thorough"};

static int prepare(struct mxt_db *db, const char *sql, sqlite3_stmt **st, const char *what) {
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, st, NULL);
    return rc == SQLITE_OK ? 0 : db_sql_error(db, rc, what);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s) {
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* Run a statement that returns no rows. */
static int step_done(struct mxt_db *db, sqlite3_stmt *st, const char *what) {
    int rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? 0 : db_sql_error(db, rc, what);
}

static const char *column_text(sqlite3_stmt *st, int i) {
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? s : "";
}

int mxt_db_store_probe(struct mxt_db *db, const struct mxt_machine *m, const char *mode,
                       const char *curves_json, int64_t *run_id) {
    static const char *const what = "storing the probe run";
    char *profile = NULL, now[32];
    sqlite3_stmt *st = NULL;
    int in_txn = 0, known_mode = 0, rc;
    if (!db || !m || !mode) return mxt_error(MXT_EINVAL, "mxt_db_store_probe: missing argument");
    if (db->readonly) return mxt_error(MXT_EINVAL, "database '%s' was opened read-only", db->path);
    if (!m->fingerprint[0])
        return mxt_error(MXT_EINVAL, "the machine profile has no fingerprint: cannot store it");
    for (size_t i = 0; i < MXT_ARRAY_LEN(probe_modes); i++)
        known_mode |= strcmp(mode, probe_modes[i]) == 0;
    if (!known_mode)
        return mxt_error(MXT_EINVAL, "probe mode '%s' is not quick, default or thorough", mode);
    if ((rc = mxt_machine_to_json(m, 0, &profile)) != 0) return rc;
    db_now_iso(now, sizeof now);

    if ((rc = db_exec(db, "BEGIN IMMEDIATE", what)) != 0) goto done;
    in_txn = 1;
    if ((rc = prepare(db,
                      /* A quick run never replaces the profile of a default or
                       * thorough one (it is kept as a probe run all the same). */
                      "INSERT INTO machine (fingerprint, name, brand, profile_json, created, "
                      "updated) VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (fingerprint) DO "
                      "UPDATE SET name = excluded.name, brand = excluded.brand, "
                      "profile_json = excluded.profile_json, updated = excluded.updated "
                      "WHERE ?6 <> 'quick' OR NOT EXISTS (SELECT 1 FROM probe_run r WHERE "
                      "r.machine_id = machine.id AND r.mode <> 'quick')",
                      &st, what)) != 0)
        goto done;
    bind_text(st, 1, m->fingerprint);
    bind_text(st, 2, m->name);
    bind_text(st, 3, m->brand);
    bind_text(st, 4, profile);
    bind_text(st, 5, now);
    bind_text(st, 6, mode);
    if ((rc = step_done(db, st, what)) != 0) goto done;
    sqlite3_finalize(st);
    st = NULL;

    /* The machine's id, whether inserted or updated (last_insert_rowid is not
     * set by the update branch of an upsert). */
    if ((rc = prepare(db,
                      "INSERT INTO probe_run (machine_id, mode, started, profile_json, "
                      "curves_json, mxtune_version) SELECT id, ?2, ?3, ?4, ?5, ?6 FROM machine "
                      "WHERE fingerprint = ?1",
                      &st, what)) != 0)
        goto done;
    bind_text(st, 1, m->fingerprint);
    bind_text(st, 2, mode);
    bind_text(st, 3, now);
    bind_text(st, 4, profile);
    bind_text(st, 5, curves_json);
    bind_text(st, 6, MXT_VERSION);
    if ((rc = step_done(db, st, what)) != 0) goto done;
    if (sqlite3_changes(db->sql) != 1) {
        rc = mxt_error(MXT_EDB, "database '%s': the machine row vanished while %s", db->path, what);
        goto done;
    }
    int64_t id = sqlite3_last_insert_rowid(db->sql);
    if ((rc = db_exec(db, "COMMIT", what)) != 0) goto done;
    in_txn = 0;
    if (run_id) *run_id = id;
done:
    sqlite3_finalize(st);
    if (in_txn) sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL); /* keeps the first error */
    free(profile);
    return rc;
}

int mxt_db_get_machine_json(struct mxt_db *db, const char *fingerprint, char **json) {
    sqlite3_stmt *st = NULL;
    int rc;
    if (!db || !fingerprint || !json)
        return mxt_error(MXT_EINVAL, "mxt_db_get_machine_json: missing argument");
    *json = NULL;
    if ((rc = prepare(db, "SELECT profile_json FROM machine WHERE fingerprint = ?1", &st,
                      "reading a machine")) != 0)
        return rc;
    bind_text(st, 1, fingerprint);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *json = strdup(column_text(st, 0));
        rc = *json ? 0 : mxt_error(MXT_ENOMEM, "out of memory reading a machine");
    } else if (rc == SQLITE_DONE) {
        rc = mxt_error(MXT_ENOTFOUND, "no machine with fingerprint '%s' in database '%s'",
                       fingerprint, db->path);
    } else {
        rc = db_sql_error(db, rc, "reading a machine");
    }
    sqlite3_finalize(st);
    return rc;
}

int mxt_db_get_machine(struct mxt_db *db, const char *fingerprint, struct mxt_machine *m) {
    char *json = NULL;
    if (!m) return mxt_error(MXT_EINVAL, "mxt_db_get_machine: missing argument");
    int rc = mxt_db_get_machine_json(db, fingerprint, &json);
    if (rc) return rc;
    rc = mxt_machine_from_json(json, m);
    if (rc) {
        char why[256];
        mxt_strlcpy(why, mxt_last_error(), sizeof why);
        rc =
            mxt_error(MXT_EDBCORRUPT, "database '%s': the stored profile of '%s' is malformed (%s)",
                      db->path, fingerprint, why);
    }
    free(json);
    return rc;
}

int mxt_db_list_machines(struct mxt_db *db,
                         int (*fn)(const struct mxt_db_machine_row *row, void *ctx), void *ctx) {
    sqlite3_stmt *st = NULL;
    int rc;
    if (!db || !fn) return mxt_error(MXT_EINVAL, "mxt_db_list_machines: missing argument");
    /* Newest first; within one second, the one probed last. */
    if ((rc = prepare(db,
                      "SELECT m.fingerprint, m.name, m.brand, m.created, m.updated, count(r.id), "
                      "max(r.id) AS last_run FROM machine m LEFT JOIN probe_run r "
                      "ON r.machine_id = m.id GROUP BY m.id "
                      "ORDER BY m.updated DESC, last_run DESC, m.id DESC",
                      &st, "listing machines")) != 0)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct mxt_db_machine_row row;
        memset(&row, 0, sizeof row);
        mxt_strlcpy(row.fingerprint, column_text(st, 0), sizeof row.fingerprint);
        mxt_strlcpy(row.name, column_text(st, 1), sizeof row.name);
        mxt_strlcpy(row.brand, column_text(st, 2), sizeof row.brand);
        mxt_strlcpy(row.created, column_text(st, 3), sizeof row.created);
        mxt_strlcpy(row.updated, column_text(st, 4), sizeof row.updated);
        row.probe_runs = sqlite3_column_int(st, 5);
        if ((rc = fn(&row, ctx)) != 0) goto done;
    }
    rc = rc == SQLITE_DONE ? 0 : db_sql_error(db, rc, "listing machines");
done:
    sqlite3_finalize(st);
    return rc;
}

int mxt_db_latest_curves(struct mxt_db *db, const char *fingerprint, char **curves_json) {
    sqlite3_stmt *st = NULL;
    int rc;
    if (!db || !fingerprint || !curves_json)
        return mxt_error(MXT_EINVAL, "mxt_db_latest_curves: missing argument");
    *curves_json = NULL;
    /* The newest run that recorded curves (a run may store none). */
    if ((rc = prepare(db,
                      "SELECT r.curves_json FROM probe_run r JOIN machine m "
                      "ON m.id = r.machine_id WHERE m.fingerprint = ?1 "
                      "AND r.curves_json IS NOT NULL ORDER BY r.id DESC LIMIT 1",
                      &st, "reading probe curves")) != 0)
        return rc;
    bind_text(st, 1, fingerprint);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *curves_json = strdup(column_text(st, 0));
        rc = *curves_json ? 0 : mxt_error(MXT_ENOMEM, "out of memory reading probe curves");
    } else if (rc == SQLITE_DONE) {
        rc = mxt_error(MXT_ENOTFOUND, "no probe curves for machine '%s' in database '%s'",
                       fingerprint, db->path);
    } else {
        rc = db_sql_error(db, rc, "reading probe curves");
    }
    sqlite3_finalize(st);
    return rc;
}

int mxt_db_machine_has_full_probe(struct mxt_db *db, const char *fingerprint) {
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (!db || !fingerprint) return 0;
    if (prepare(db,
                "SELECT 1 FROM probe_run r JOIN machine m ON m.id = r.machine_id WHERE "
                "m.fingerprint = ?1 AND r.mode <> 'quick' LIMIT 1",
                &st, "reading probe runs") == 0) {
        bind_text(st, 1, fingerprint);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}
