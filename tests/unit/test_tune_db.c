/* Unit tests for the tuner's tables of db/ (schema v2): migration from v1,
 * measurements (round trip, replace, resume, stale), winners, calibration,
 * export/import/merge with whole rollback, concurrent writers and the lock. */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_db_tune.h"
#include "db_test_util.h"
#include "mxt_test.h"
#include "mxtune/machine.h"

/* ---- helpers ---- */

static const char *const all_tables[] = {"machine",     "probe_run", "problem",
                                         "measurement", "tuned",     "calibration"};

/* A hash of every row of every table, in id order: the database's content
 * (0 if the file cannot be opened). */
static uint64_t content_hash(const char *path) {
    sqlite3 *h = NULL;
    uint64_t hash = 1469598103934665603ULL;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return 0;
    for (size_t t = 0; t < MXT_ARRAY_LEN(all_tables); t++) {
        char sql[64];
        sqlite3_stmt *st = NULL;
        snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY id", all_tables[t]);
        /* a table that is not there (v1) hashes as an empty one */
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) st = NULL;
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *v = sqlite3_column_text(st, c);
                hash = mxt_fnv1a64(v ? (const char *)v : "\x01NULL",
                                   v ? strlen((const char *)v) : 5, hash);
                hash = mxt_fnv1a64("|", 1, hash);
            }
        }
        sqlite3_finalize(st);
        hash = mxt_fnv1a64(all_tables[t], strlen(all_tables[t]), hash);
    }
    sqlite3_close(h);
    return hash;
}

static int64_t rows(const char *path, const char *table) {
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    return raw_int(path, sql);
}

/* A database at dir/name with machine fp probed once. */
static int make_db(const char *path, const char *fp) {
    struct mxt_db *db = NULL;
    struct mxt_machine m;
    sample_machine(&m, fp, "Test CPU");
    int rc = mxt_db_open(path, MXT_DB_CREATE, &db);
    if (rc == 0) rc = mxt_db_store_probe(db, &m, "quick", "{\"curve\":[1,2]}", NULL);
    mxt_db_close(db);
    return rc;
}

static struct mxt_db_problem gemm(int64_t m, int64_t n, int64_t k) {
    struct mxt_db_problem p;
    mxt_db_problem_init(&p, "gemm", MXT_F32, m, n, k, 2);
    return p;
}

static struct mxt_db_measurement meas(int mc, double median) {
    struct mxt_db_measurement ms;
    memset(&ms, 0, sizeof ms);
    ms.config = (struct mxt_config){.schedule = MXT_SCHED_GOTO,
                                    .isa = MXT_ISA_AVX2,
                                    .mr = 16,
                                    .nr = 6,
                                    .mc = mc,
                                    .kc = 256,
                                    .nc = 4092,
                                    .alpha = 0,
                                    .threads = 2};
    mxt_strlcpy(ms.kernel_version, MXT_KERNEL_VERSION, sizeof ms.kernel_version);
    ms.median_s = median;
    ms.min_s = median * 0.95;
    ms.q20_s = median * 0.97;
    ms.q80_s = median * 1.04;
    ms.repeats = 9;
    ms.gflops = 1.0 / median;
    ms.predicted_s = median * 1.1;
    ms.seed = 18446744073709551557ULL; /* above 2^63: stored as a signed integer */
    mxt_strlcpy(ms.strategy, "model", sizeof ms.strategy);
    return ms;
}

struct seen {
    int n, stale;
    struct mxt_db_measurement last;
    struct mxt_db_problem last_p;
};

static int count_meas(const struct mxt_db_problem *p, const struct mxt_db_measurement *m,
                      void *ctx) {
    struct seen *s = ctx;
    s->n++;
    s->stale += m->stale;
    s->last = *m;
    s->last_p = *p;
    return 0;
}

/* ---- migration ---- */

MXT_TEST(migrate_v1_to_v2_keeps_rows) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_tdb_") == 0);
    join(path, sizeof path, dir, "v1.db");
    /* A database exactly as schema version 1 left it, with a machine and a run. */
    CHECK_EQ_INT(raw_exec(path,
                          "PRAGMA journal_mode = WAL;"
                          "CREATE TABLE machine (id INTEGER PRIMARY KEY, fingerprint TEXT NOT "
                          "NULL UNIQUE, name TEXT NOT NULL DEFAULT '', brand TEXT NOT NULL "
                          "DEFAULT '', profile_json TEXT NOT NULL, created TEXT NOT NULL, updated "
                          "TEXT NOT NULL);"
                          "CREATE TABLE probe_run (id INTEGER PRIMARY KEY, machine_id INTEGER NOT "
                          "NULL REFERENCES machine(id) ON DELETE CASCADE, mode TEXT NOT NULL, "
                          "started TEXT NOT NULL, profile_json TEXT NOT NULL, curves_json TEXT, "
                          "mxtune_version TEXT NOT NULL);"
                          "CREATE INDEX probe_run_machine ON probe_run(machine_id, id);"
                          "INSERT INTO machine VALUES (7, 'fp-old', 'old box', 'Old CPU', "
                          "'{\"cores\":2}', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z');"
                          "INSERT INTO probe_run VALUES (3, 7, 'quick', '2024-01-02T00:00:00Z', "
                          "'{\"cores\":2}', '{\"x\":[1]}', '0.1.0');"
                          "PRAGMA application_id = 1297634389; PRAGMA user_version = 1;"),
                 SQLITE_OK);
    uint64_t before = content_hash(path);
    CHECK(before != 0);
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_READONLY, &db), 0);
    CHECK_EQ_INT(mxt_db_schema_version(db), 2);
    mxt_db_close(db);
    CHECK_EQ_INT(raw_int(path, "PRAGMA user_version"), 2);
    CHECK_EQ_INT(rows(path, "machine"), 1);
    CHECK_EQ_INT(rows(path, "probe_run"), 1);
    CHECK_EQ_INT(raw_int(path, "SELECT id FROM probe_run WHERE machine_id = 7 AND "
                               "curves_json = '{\"x\":[1]}'"),
                 3);
    CHECK(content_hash(path) == before); /* the new tables are empty; old rows identical */
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name "
                               "IN ('problem', 'measurement', 'tuned', 'calibration')"),
                 4);
    rm_tree(dir);
}

/* A new directory with t.db holding machine fp-a, opened: 0, or the first
 * failure (-1 for the directory, else the db's code). */
static int fresh_db(char *dir, size_t dsize, char *path, size_t psize, struct mxt_db **db) {
    if (make_tmpdir(dir, dsize, "mxt_tdb_") != 0) return -1;
    join(path, psize, dir, "t.db");
    int rc = make_db(path, "fp-a");
    return rc ? rc : mxt_db_open(path, MXT_DB_CREATE, db);
}

/* ---- measurements ---- */

MXT_TEST(measurement_round_trip) {
    char dir[64], path[PATH_MAX];
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(fresh_db(dir, sizeof dir, path, sizeof path, &db), 0);
    struct mxt_db_problem p = gemm(512, 256, 1024);
    struct mxt_db_measurement ms = meas(96, 0.002);
    int64_t id = 0;
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &ms, &id), 0);
    CHECK(id > 0);
    struct seen s = {0};
    CHECK_EQ_INT(mxt_db_list_measurements(db, "fp-a", NULL, count_meas, &s), 0);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.stale, 0);
    CHECK_EQ_INT(s.last.id, id);
    CHECK(memcmp(&s.last.config, &ms.config, sizeof ms.config) == 0);
    CHECK(s.last.median_s == ms.median_s && s.last.min_s == ms.min_s);
    CHECK(s.last.q20_s == ms.q20_s && s.last.q80_s == ms.q80_s);
    CHECK(s.last.gflops == ms.gflops && s.last.predicted_s == ms.predicted_s);
    CHECK(s.last.seed == ms.seed);
    CHECK_EQ_INT(s.last.repeats, 9);
    CHECK(strcmp(s.last.strategy, "model") == 0);
    CHECK(strcmp(s.last.kernel_version, MXT_KERNEL_VERSION) == 0);
    CHECK(strcmp(s.last.mxtune_version, MXT_VERSION) == 0);
    CHECK(s.last.compiler[0] != '\0');
    CHECK(strlen(s.last.created) == 20 && s.last.created[10] == 'T');
    CHECK(memcmp(&s.last_p, &p, sizeof p) == 0);
    /* by problem: this one has it, another does not */
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT(mxt_db_list_measurements(db, "fp-a", &p, count_meas, &s), 0);
    CHECK_EQ_INT(s.n, 1);
    struct mxt_db_problem other = gemm(512, 256, 1000);
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT(mxt_db_list_measurements(db, "fp-a", &other, count_meas, &s), 0);
    CHECK_EQ_INT(s.n, 0);
    /* problem ids: found, created once */
    int64_t pid = 0, pid2 = 0;
    CHECK_EQ_INT(mxt_db_problem_id(db, &p, 0, &pid), 0);
    CHECK_EQ_INT(mxt_db_problem_id(db, &p, 1, &pid2), 0);
    CHECK_EQ_INT(pid, pid2);
    CHECK_EQ_INT(mxt_db_problem_id(db, &other, 0, &pid), MXT_ENOTFOUND);
    /* config key names everything */
    char key[160];
    mxt_db_config_key(MXT_F32, &ms.config, key, sizeof key);
    CHECK(strcmp(key, "goto/avx2/f32/16x6/mc=96,kc=256,nc=4092,a=0,p=2") == 0);
    mxt_db_close(db);
    rm_tree(dir);
}

MXT_TEST(measurement_needs_machine_and_valid_values) {
    char dir[64], path[PATH_MAX];
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(fresh_db(dir, sizeof dir, path, sizeof path, &db), 0);
    struct mxt_db_problem p = gemm(64, 64, 64);
    struct mxt_db_measurement ms = meas(96, 0.001);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-unknown", &p, &ms, NULL), MXT_ENOTFOUND);
    CHECK(strstr(mxt_last_error(), "mxtune probe") != NULL);
    ms.median_s = -1;
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &ms, NULL), MXT_EINVAL);
    ms = meas(96, 0.001);
    p.threads = 0;
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &ms, NULL), MXT_EINVAL);
    mxt_db_close(db);
    CHECK_EQ_INT(rows(path, "measurement"), 0);
    CHECK_EQ_INT(rows(path, "problem"), 0); /* the failed writes left nothing */
    /* a read-only handle refuses writes */
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_READONLY, &db), 0);
    p = gemm(64, 64, 64);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &ms, NULL), MXT_EINVAL);
    mxt_db_close(db);
    rm_tree(dir);
}

MXT_TEST(measurement_same_key_replaces) {
    char dir[64], path[PATH_MAX];
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(fresh_db(dir, sizeof dir, path, sizeof path, &db), 0);
    struct mxt_db_problem p = gemm(128, 128, 128);
    struct mxt_db_measurement ms = meas(96, 0.004);
    int64_t id1 = 0, id2 = 0, id3 = 0;
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &ms, &id1), 0);
    ms.median_s = 0.003;
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &ms, &id2), 0);
    CHECK_EQ_INT(id1, id2); /* the same row, so a winner pointing at it stays valid */
    /* another kernel version is another row */
    mxt_strlcpy(ms.kernel_version, "99", sizeof ms.kernel_version);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &ms, &id3), 0);
    CHECK(id3 != id1);
    mxt_db_close(db);
    CHECK_EQ_INT(rows(path, "measurement"), 2);
    CHECK_EQ_INT(rows(path, "problem"), 1);
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM measurement WHERE median_s = 0.003"), 2);
    rm_tree(dir);
}

MXT_TEST(resume_find_measurement) {
    char dir[64], path[PATH_MAX];
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(fresh_db(dir, sizeof dir, path, sizeof path, &db), 0);
    struct mxt_db_problem p = gemm(256, 256, 256);
    /* a "killed" search stored three of its candidates */
    for (int mc = 48; mc <= 144; mc += 48) {
        struct mxt_db_measurement ms = meas(mc, 0.001 * mc);
        CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &ms, NULL), 0);
    }
    mxt_db_close(db);
    /* the resumed search (a new process, a new handle) skips them */
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    struct mxt_db_measurement out;
    for (int mc = 48; mc <= 192; mc += 48) {
        struct mxt_db_measurement want = meas(mc, 0);
        int rc = mxt_db_find_measurement(db, "fp-a", &p, MXT_F32, &want.config, MXT_KERNEL_VERSION,
                                         &out);
        if (mc <= 144) {
            CHECK_EQ_INT(rc, 0);
            CHECK(out.median_s == 0.001 * mc);
            CHECK_EQ_INT(out.config.mc, mc);
            CHECK_EQ_INT(out.stale, 0);
        } else {
            CHECK_EQ_INT(rc, MXT_ENOTFOUND);
        }
    }
    /* a newer kernel version must measure again */
    struct mxt_db_measurement want = meas(48, 0);
    CHECK_EQ_INT(mxt_db_find_measurement(db, "fp-a", &p, MXT_F32, &want.config, "99", &out),
                 MXT_ENOTFOUND);
    /* another machine, another problem or another dtype: not found */
    CHECK_EQ_INT(
        mxt_db_find_measurement(db, "fp-b", &p, MXT_F32, &want.config, MXT_KERNEL_VERSION, &out),
        MXT_ENOTFOUND);
    struct mxt_db_problem q = gemm(256, 256, 255);
    CHECK_EQ_INT(
        mxt_db_find_measurement(db, "fp-a", &q, MXT_F32, &want.config, MXT_KERNEL_VERSION, &out),
        MXT_ENOTFOUND);
    mxt_db_close(db);
    rm_tree(dir);
}

static int collect_tuned(const struct mxt_db_tuned *t, void *ctx) {
    struct mxt_db_tuned *out = ctx;
    out[0].stale += t->stale;
    out[1] = *t;
    out[0].best.repeats++; /* the count */
    return 0;
}

MXT_TEST(stale_flag) {
    char dir[64], path[PATH_MAX];
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(fresh_db(dir, sizeof dir, path, sizeof path, &db), 0);
    struct mxt_db_problem p = gemm(256, 256, 256);
    struct mxt_db_measurement old = meas(48, 0.002), cur = meas(96, 0.003);
    mxt_strlcpy(old.kernel_version, "0", sizeof old.kernel_version);
    int64_t old_id = 0;
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &old, &old_id), 0);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &cur, NULL), 0);
    struct seen s = {0};
    CHECK_EQ_INT(mxt_db_list_measurements(db, "fp-a", NULL, count_meas, &s), 0);
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_INT(s.stale, 1);
    CHECK_EQ_INT(mxt_db_set_tuned(db, "fp-a", &p, old_id, "{\"strategy\":\"model\"}"), 0);
    struct mxt_db_tuned t;
    CHECK_EQ_INT(mxt_db_get_tuned(db, "fp-a", &p, &t), 0);
    CHECK_EQ_INT(t.stale, 1);
    CHECK_EQ_INT(t.best.stale, 1);
    /* the tuner says which version is current */
    CHECK_EQ_INT(mxt_db_set_kernel_version(db, "0"), 0);
    CHECK_EQ_INT(mxt_db_get_tuned(db, "fp-a", &p, &t), 0);
    CHECK_EQ_INT(t.stale, 0);
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT(mxt_db_list_measurements(db, "fp-a", NULL, count_meas, &s), 0);
    CHECK_EQ_INT(s.stale, 1); /* now the current version's row is the other one */
    mxt_db_close(db);
    rm_tree(dir);
}

MXT_TEST(tuned_and_calibration_round_trip) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_tdb_") == 0);
    join(path, sizeof path, dir, "t.db");
    CHECK_EQ_INT(make_db(path, "fp-a"), 0);
    CHECK_EQ_INT(make_db(path, "fp-b"), 0);
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    struct mxt_db_problem p = gemm(300, 200, 100), q = gemm(64, 64, 64);
    struct mxt_db_measurement a = meas(48, 0.002), b = meas(96, 0.001);
    int64_t ida = 0, idb = 0, idq = 0;
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &a, &ida), 0);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &b, &idb), 0);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &q, &b, &idq), 0);
    struct mxt_db_tuned t;
    CHECK_EQ_INT(mxt_db_get_tuned(db, "fp-a", &p, &t), MXT_ENOTFOUND);
    CHECK_EQ_INT(mxt_db_set_tuned(db, "fp-a", &p, ida, NULL), 0);
    CHECK_EQ_INT(mxt_db_set_tuned(db, "fp-a", &p, idb, "{\"strategy\":\"anneal\",\"measured\":7}"),
                 0);
    CHECK_EQ_INT(mxt_db_get_tuned(db, "fp-a", &p, &t), 0);
    CHECK_EQ_INT(t.best.id, idb);
    CHECK_EQ_INT(t.best.config.mc, 96);
    CHECK(strcmp(t.provenance, "{\"strategy\":\"anneal\",\"measured\":7}") == 0);
    CHECK(memcmp(&t.problem, &p, sizeof p) == 0);
    /* a measurement of another problem, or another machine, cannot win */
    CHECK_EQ_INT(mxt_db_set_tuned(db, "fp-a", &p, idq, NULL), MXT_EINVAL);
    CHECK_EQ_INT(mxt_db_set_tuned(db, "fp-b", &p, idb, NULL), MXT_EINVAL);
    CHECK_EQ_INT(mxt_db_get_tuned(db, "fp-b", &p, &t), MXT_ENOTFOUND);
    struct mxt_db_tuned all[2];
    memset(all, 0, sizeof all);
    CHECK_EQ_INT(mxt_db_list_tuned(db, "fp-a", collect_tuned, all), 0);
    CHECK_EQ_INT(all[0].best.repeats, 1);
    /* calibration: stored, replaced, per machine and kernel */
    char *json = NULL;
    CHECK_EQ_INT(mxt_db_get_calibration(db, "fp-a", "goto", &json), MXT_ENOTFOUND);
    CHECK_EQ_INT(mxt_db_store_calibration(db, "fp-a", "goto", "{\"eta0\":0.8}"), 0);
    CHECK_EQ_INT(mxt_db_store_calibration(db, "fp-a", "goto", "{\"eta0\":0.85}"), 0);
    CHECK_EQ_INT(mxt_db_get_calibration(db, "fp-a", "goto", &json), 0);
    CHECK(strcmp(json, "{\"eta0\":0.85}") == 0);
    free(json);
    CHECK_EQ_INT(mxt_db_get_calibration(db, "fp-b", "goto", &json), MXT_ENOTFOUND);
    CHECK_EQ_INT(mxt_db_store_calibration(db, "fp-x", "goto", "{}"), MXT_ENOTFOUND);
    mxt_db_close(db);
    CHECK_EQ_INT(rows(path, "tuned"), 1);
    CHECK_EQ_INT(rows(path, "calibration"), 1);
    rm_tree(dir);
}

/* ---- export, import, merge ---- */

/* fp's database: two problems, three measurements, a winner, a calibration. */
static int fill(const char *path, const char *fp, double scale) {
    struct mxt_db *db = NULL;
    int rc = make_db(path, fp);
    if (rc == 0) rc = mxt_db_open(path, MXT_DB_CREATE, &db);
    struct mxt_db_problem p = gemm(512, 512, 512), q = gemm(100, 200, 300);
    struct mxt_db_measurement a = meas(48, 0.002 * scale), b = meas(96, 0.001 * scale);
    int64_t id = 0;
    if (rc == 0) rc = mxt_db_add_measurement(db, fp, &p, &a, NULL);
    if (rc == 0) rc = mxt_db_add_measurement(db, fp, &p, &b, &id);
    if (rc == 0) rc = mxt_db_add_measurement(db, fp, &q, &a, NULL);
    if (rc == 0) rc = mxt_db_set_tuned(db, fp, &p, id, "{\"strategy\":\"model\"}");
    if (rc == 0) rc = mxt_db_store_calibration(db, fp, "goto", "{\"eta0\":0.9}");
    mxt_db_close(db);
    return rc;
}

static char *export_of(const char *path, const char *fp) {
    struct mxt_db *db = NULL;
    char *json = NULL;
    int rc = mxt_db_open(path, MXT_DB_READONLY, &db);
    if (rc == 0) rc = mxt_db_export_json(db, fp, &json);
    mxt_db_close(db);
    if (rc) return NULL;
    char *copy = strdup(json); /* a fresh heap pointer (gcc's dangling-pointer analysis) */
    free(json);
    return copy;
}

static int import_into(const char *path, const char *json, int merge, int *added) {
    struct mxt_db *db = NULL;
    int rc = mxt_db_open(path, MXT_DB_CREATE, &db);
    if (rc == 0) rc = mxt_db_import_json(db, json, merge, added);
    mxt_db_close(db);
    return rc;
}

MXT_TEST(export_import_round_trip) {
    char dir[64], a[PATH_MAX], b[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_tdb_") == 0);
    join(a, sizeof a, dir, "a.db");
    join(b, sizeof b, dir, "b.db");
    CHECK_EQ_INT(fill(a, "fp-a", 1), 0);
    char *ja = export_of(a, NULL);
    CHECK(ja != NULL);
    CHECK(strstr(ja, "\"mxtune.db_export/1\"") != NULL);
    int added = 0;
    CHECK_EQ_INT(import_into(b, ja, 0, &added), 0);
    CHECK_EQ_INT(added, 1 + 1 + 3 + 1 + 1); /* machine, probe run, measurements, winner,
                                               calibration */
    for (size_t t = 0; t < MXT_ARRAY_LEN(all_tables); t++)
        CHECK_EQ_INT(rows(b, all_tables[t]), rows(a, all_tables[t]));
    char *jb = export_of(b, NULL);
    CHECK(jb != NULL);
    /* the same document but for its own creation time */
    CHECK(strcmp(strstr(ja, "\"machines\""), strstr(jb, "\"machines\"")) == 0);
    /* one fingerprint only; an unknown one is an error */
    char *one = export_of(a, "fp-a");
    CHECK(one != NULL);
    free(one);
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(a, MXT_DB_READONLY, &db), 0);
    CHECK_EQ_INT(mxt_db_export_json(db, "fp-none", &one), MXT_ENOTFOUND);
    mxt_db_close(db);
    free(ja);
    free(jb);
    rm_tree(dir);
}

/* Replace the first occurrence of from by to in a malloc'd string. */
static char *replace(const char *s, const char *from, const char *to) {
    const char *at = strstr(s, from);
    if (!at) return NULL;
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    if (!out) return NULL;
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

MXT_TEST(import_rolls_back_on_bad_entry) {
    char dir[64], a[PATH_MAX], b[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_tdb_") == 0);
    join(a, sizeof a, dir, "a.db");
    join(b, sizeof b, dir, "b.db");
    CHECK_EQ_INT(fill(a, "fp-a", 1), 0);
    CHECK_EQ_INT(fill(b, "fp-b", 2), 0);
    char *ja = export_of(a, NULL);
    CHECK(ja != NULL);
    /* The last measurement (the third entry) gets an impossible median; the
     * machine, its probe run and two measurements before it are fine. */
    const char *last = strstr(ja, "\"median_s\":");
    CHECK(last != NULL);
    const char *third = strstr(strstr(last + 1, "\"median_s\":") + 1, "\"median_s\":");
    CHECK(third != NULL);
    char *pretty = strdup(ja);
    CHECK(pretty != NULL);
    size_t off = (size_t)(third - ja);
    memcpy(pretty + off, "\"median_s\":-", 12); /* "median_s":\t0.002 -> "median_s":-0.002 */
    uint64_t before = content_hash(b);
    int64_t counts[MXT_ARRAY_LEN(all_tables)];
    for (size_t t = 0; t < MXT_ARRAY_LEN(all_tables); t++)
        counts[t] = rows(b, all_tables[t]);
    CHECK_EQ_INT(import_into(b, pretty, 0, NULL), MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "machines[0].measurements[2]") != NULL);
    CHECK(content_hash(b) == before);
    for (size_t t = 0; t < MXT_ARRAY_LEN(all_tables); t++)
        CHECK_EQ_INT(rows(b, all_tables[t]), counts[t]);
    /* a winner without its measurement */
    const char *tuned = strstr(ja, "\"tuned\":");
    CHECK(tuned != NULL);
    char current[64];
    snprintf(current, sizeof current, "\"kernel_version\":\t\"%s\"", MXT_KERNEL_VERSION);
    char *orphan = replace(tuned, current, "\"kernel_version\":\t\"99\"");
    CHECK(orphan != NULL);
    const size_t doc_size = (size_t)(tuned - ja) + strlen(orphan) + 1;
    char *doc = malloc(doc_size);
    CHECK(doc != NULL);
    snprintf(doc, doc_size, "%.*s%s", (int)(tuned - ja), ja, orphan);
    CHECK_EQ_INT(import_into(b, doc, 0, NULL), MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "machines[0].tuned[0]") != NULL);
    CHECK(content_hash(b) == before);
    free(orphan);
    free(doc);
    /* an existing entry is an error without merge */
    CHECK_EQ_INT(import_into(b, ja, 0, NULL), 0);
    uint64_t after = content_hash(b);
    CHECK(after != before);
    CHECK_EQ_INT(import_into(b, ja, 0, NULL), MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "already") != NULL);
    CHECK(content_hash(b) == after);
    free(pretty);
    free(ja);
    rm_tree(dir);
}

MXT_TEST(import_corrupt_document) {
    char dir[64], b[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_tdb_") == 0);
    join(b, sizeof b, dir, "b.db");
    CHECK_EQ_INT(fill(b, "fp-b", 1), 0);
    uint64_t before = content_hash(b);
    const char *bad[] = {"",
                         "{\"schema\": \"mxtune.db_export/1\", \"machines\": [",
                         "not json at all",
                         "{\"schema\": \"mxtune.machine/1\", \"machines\": []}",
                         "{\"schema\": \"mxtune.db_export/1\"}",
                         "{\"schema\": \"mxtune.db_export/1\", \"machines\": [42]}",
                         "{\"schema\": \"mxtune.db_export/1\", \"machines\": [{\"fingerprint\": "
                         "\"fp-z\", \"profile\": {\"cores\": 2, \"caches\": [{\"level\": 1, "
                         "\"size_bytes\": 32768}]}, \"measurements\": [{\"problem\": {}}]}]}",
                         "[1, 2, 3]"};
    for (size_t i = 0; i < MXT_ARRAY_LEN(bad); i++) {
        int rc = import_into(b, bad[i], i % 2, NULL);
        if (rc != MXT_EFORMAT) fprintf(stderr, "document %zu: %d %s\n", i, rc, mxt_last_error());
        CHECK_EQ_INT(rc, MXT_EFORMAT);
        CHECK(content_hash(b) == before);
    }
    rm_tree(dir);
}

static int count_for(const char *path, const char *fp) {
    struct mxt_db *db = NULL;
    struct seen s = {0};
    if (mxt_db_open(path, MXT_DB_READONLY, &db) != 0) return -1;
    int rc = mxt_db_list_measurements(db, fp, NULL, count_meas, &s);
    mxt_db_close(db);
    return rc ? -1 : s.n;
}

MXT_TEST(merge_keeps_machines_apart) {
    char dir[64], a[PATH_MAX], b[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_tdb_") == 0);
    join(a, sizeof a, dir, "a.db");
    join(b, sizeof b, dir, "b.db");
    CHECK_EQ_INT(fill(a, "fp-a", 1), 0);
    CHECK_EQ_INT(fill(b, "fp-b", 2), 0);
    /* b also measured a configuration on fp-a, faster than a did, and a new one */
    struct mxt_db *db = NULL;
    struct mxt_machine m;
    sample_machine(&m, "fp-a", "Test CPU");
    CHECK_EQ_INT(mxt_db_open(b, MXT_DB_CREATE, &db), 0);
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "default", NULL, NULL), 0);
    struct mxt_db_problem p = gemm(512, 512, 512);
    struct mxt_db_measurement fast = meas(48, 0.0015), slow = meas(96, 0.5), extra = meas(144, 1);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &fast, NULL), 0);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &slow, NULL), 0);
    CHECK_EQ_INT(mxt_db_add_measurement(db, "fp-a", &p, &extra, NULL), 0);
    mxt_db_close(db);

    CHECK_EQ_INT(mxt_db_open(a, MXT_DB_CREATE, &db), 0);
    int added = 0;
    CHECK_EQ_INT(mxt_db_merge_file(db, b, &added), 0);
    CHECK(added > 0);
    mxt_db_close(db);
    CHECK_EQ_INT(rows(a, "machine"), 2);
    CHECK_EQ_INT(count_for(a, "fp-b"), 3);
    CHECK_EQ_INT(count_for(a, "fp-a"), 4); /* its 3 and the extra one */
    /* a measurement on both sides keeps the faster median */
    CHECK_EQ_INT(raw_int(a, "SELECT count(*) FROM measurement ms JOIN machine m ON m.id = "
                            "ms.machine_id WHERE m.fingerprint = 'fp-a' AND ms.mc = 48 AND "
                            "ms.median_s = 0.0015"),
                 1);
    CHECK_EQ_INT(raw_int(a, "SELECT count(*) FROM measurement ms JOIN machine m ON m.id = "
                            "ms.machine_id WHERE m.fingerprint = 'fp-a' AND ms.mc = 96 AND "
                            "ms.median_s = 0.001"),
                 1);
    /* winners stay with their machine */
    CHECK_EQ_INT(raw_int(a, "SELECT count(*) FROM tuned t JOIN measurement ms ON ms.id = "
                            "t.measurement_id WHERE ms.machine_id <> t.machine_id OR "
                            "ms.problem_id <> t.problem_id"),
                 0);
    CHECK_EQ_INT(rows(a, "tuned"), 2);
    /* merging again changes nothing */
    uint64_t h = content_hash(a);
    CHECK_EQ_INT(mxt_db_open(a, MXT_DB_CREATE, &db), 0);
    CHECK_EQ_INT(mxt_db_merge_file(db, b, &added), 0);
    CHECK_EQ_INT(added, 0);
    mxt_db_close(db);
    CHECK(content_hash(a) == h);
    rm_tree(dir);
}

/* ---- two processes ---- */

static int writer(const char *path, int which, int n) {
    struct mxt_db *db = NULL;
    int rc = mxt_db_open(path, MXT_DB_CREATE, &db);
    struct mxt_db_problem p = gemm(256, 256, 256);
    for (int i = 0; i < n && rc == 0; i++) {
        struct mxt_db_measurement ms = meas(8 * (which * n + i + 1), 0.001 + 1e-6 * i);
        rc = mxt_db_add_measurement(db, "fp-a", &p, &ms, NULL);
    }
    if (rc) fprintf(stderr, "writer %d: %s\n", which, mxt_last_error());
    mxt_db_close(db);
    return rc;
}

MXT_TEST(concurrent_writers_lose_nothing) {
    enum { N = 40 };
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_tdb_") == 0);
    join(path, sizeof path, dir, "shared.db");
    CHECK_EQ_INT(make_db(path, "fp-a"), 0);
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        CHECK(pid[i] >= 0);
        if (pid[i] == 0) _exit(writer(path, i, N) == 0 ? 0 : 1);
    }
    for (int i = 0; i < 2; i++) {
        int status = 0;
        CHECK(waitpid(pid[i], &status, 0) == pid[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_EQ_INT(rows(path, "measurement"), 2 * N);
    CHECK_EQ_INT(rows(path, "problem"), 1);
    rm_tree(dir);
}

struct notes {
    int n;
    char msg[160];
};

static void note(const char *msg, void *ctx) {
    struct notes *n = ctx;
    n->n++;
    mxt_strlcpy(n->msg, msg, sizeof n->msg);
}

MXT_TEST(lock_busy_and_wait) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_tdb_") == 0);
    join(path, sizeof path, dir, "m.db");
    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct mxt_db_lock *lock = NULL;
        char c = 0;
        if (mxt_db_lock_measure(path, 0, 0, NULL, NULL, &lock) != 0) _exit(1);
        if (write(ready[1], "x", 1) != 1) _exit(2);
        if (read(go[0], &c, 1) != 1) _exit(3); /* hold until told */
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
        mxt_db_unlock(lock);
        _exit(0);
    }
    char c = 0;
    CHECK(read(ready[0], &c, 1) == 1);
    struct mxt_db_lock *lock = NULL;
    struct notes n = {0};
    /* no wait: busy at once, naming the holder */
    CHECK_EQ_INT(mxt_db_lock_measure(path, 0, 0, note, &n, &lock), MXT_EBUSY);
    CHECK(lock == NULL);
    CHECK_EQ_INT(n.n, 0);
    char pid_text[32];
    snprintf(pid_text, sizeof pid_text, "pid %ld", (long)child);
    CHECK(strstr(mxt_last_error(), pid_text) != NULL);
    /* wait with a short timeout: gives up */
    CHECK_EQ_INT(mxt_db_lock_measure(path, 1, 0.2, note, &n, &lock), MXT_EBUSY);
    CHECK_EQ_INT(n.n, 1);
    /* wait: the holder lets go, we get it, having said so once */
    memset(&n, 0, sizeof n);
    CHECK(write(go[1], "x", 1) == 1);
    CHECK_EQ_INT(mxt_db_lock_measure(path, 1, 30, note, &n, &lock), 0);
    CHECK(lock != NULL);
    CHECK_EQ_INT(n.n, 1);
    char want[128];
    snprintf(want, sizeof want, "waiting for another mxtune measuring on this machine (pid %ld)...",
             (long)child);
    CHECK(strcmp(n.msg, want) == 0);
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* ours now: another taker is busy until we unlock */
    struct mxt_db_lock *second = NULL;
    pid_t probe = fork();
    CHECK(probe >= 0);
    if (probe == 0)
        _exit(mxt_db_lock_measure(path, 0, 0, NULL, NULL, &second) == MXT_EBUSY ? 0 : 1);
    CHECK(waitpid(probe, &status, 0) == probe);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    mxt_db_unlock(lock);
    CHECK_EQ_INT(mxt_db_lock_measure(path, 0, 0, NULL, NULL, &second), 0);
    mxt_db_unlock(second);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    rm_tree(dir);
}
