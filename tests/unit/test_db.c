/* Unit tests for db/: create and reopen, migrations, refusal of newer and
 * foreign files (left byte-for-byte untouched), probe storage and listing,
 * unwritable paths, two processes writing at once. Files live in mkdtemp dirs. */
#include <grp.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "db_test_util.h"
#include "mxt_test.h"
#include "mxtune/machine.h"

/* ---- helpers ---- */

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int sidecar_exists(const char *path, const char *suffix) {
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    return exists(p);
}

/* No journal, WAL or shared-memory file beside the database. */
static int no_sidecars(const char *path) {
    return !sidecar_exists(path, "-wal") && !sidecar_exists(path, "-shm") &&
           !sidecar_exists(path, "-journal");
}

static int write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = fwrite(data, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

/* 1 if the file holds exactly len bytes equal to data. */
static int same_bytes(const char *path, const char *data, size_t len) {
    char *now = NULL;
    size_t now_len = 0;
    if (mxt_read_file(path, &now, &now_len) != 0) return 0;
    int same = now_len == len && memcmp(now, data, len) == 0;
    free(now);
    return same;
}

struct collected {
    int n;
    struct mxt_db_machine_row rows[8];
    int stop_after; /* return 7 after this many rows, 0 = never */
};

static int collect(const struct mxt_db_machine_row *row, void *ctx) {
    struct collected *c = ctx;
    if (c->n < 8) c->rows[c->n] = *row;
    c->n++;
    return c->stop_after && c->n >= c->stop_after ? 7 : 0;
}

struct counts {
    int64_t machine, probe_run;
    int tables;
};

static int count_tables(const char *table, int64_t rows, void *ctx) {
    struct counts *c = ctx;
    if (strcmp(table, "machine") == 0) c->machine = rows;
    if (strcmp(table, "probe_run") == 0) c->probe_run = rows;
    c->tables++;
    return 0;
}

/* Check that opening the forged file fails with code and changes nothing. */
static int refused_untouched(const char *path, int flags, int code) {
    char *before = NULL;
    size_t len = 0;
    struct mxt_db *db = NULL;
    if (mxt_read_file(path, &before, &len) != 0) return 0;
    int rc = mxt_db_open(path, flags, &db);
    int ok = rc == code && db == NULL && same_bytes(path, before, len) && no_sidecars(path);
    if (!ok)
        fprintf(stderr, "open('%s') = %d (%s), expected %d\n", path, rc, mxt_last_error(), code);
    mxt_db_close(db);
    free(before);
    return ok;
}

/* ---- cases ---- */

MXT_TEST(create_and_reopen) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "a/b/mxtune.db"); /* directories made on the way */
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    CHECK(strcmp(mxt_db_path(db), path) == 0);
    CHECK_EQ_INT(mxt_db_schema_version(db), MXT_DB_SCHEMA_VERSION);
    mxt_db_close(db);
    db = NULL;
    CHECK(exists(path));
    CHECK(no_sidecars(path)); /* the last close checkpoints and removes the WAL */
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_READONLY, &db), 0);
    CHECK_EQ_INT(mxt_db_schema_version(db), MXT_DB_SCHEMA_VERSION);
    struct collected c = {0};
    CHECK_EQ_INT(mxt_db_list_machines(db, collect, &c), 0);
    CHECK_EQ_INT(c.n, 0);
    mxt_db_close(db);
    db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    mxt_db_close(db);
    CHECK(no_sidecars(path));
    rm_tree(dir);
}

MXT_TEST(schema_version_set) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "mxtune.db");
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    mxt_db_close(db);
    CHECK_EQ_INT(raw_int(path, "PRAGMA user_version"), MXT_DB_SCHEMA_VERSION);
    CHECK_EQ_INT(raw_int(path, "PRAGMA application_id"), 0x4d585455);
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                               "name IN ('machine', 'probe_run')"),
                 2);
    /* WAL is recorded in the file header (bytes 18 and 19 are 2). */
    char *bytes = NULL;
    size_t len = 0;
    CHECK_EQ_INT(mxt_read_file(path, &bytes, &len), 0);
    CHECK(len >= 100 && bytes[18] == 2 && bytes[19] == 2);
    free(bytes);
    rm_tree(dir);
}

MXT_TEST(migrate_from_v0) {
    char dir[64], empty[PATH_MAX], blank[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    /* A zero-length file and an SQLite file with no tables, both version 0. */
    join(empty, sizeof empty, dir, "empty.db");
    join(blank, sizeof blank, dir, "blank.db");
    CHECK(write_bytes(empty, "", 0) == 0);
    CHECK_EQ_INT(raw_exec(blank, "PRAGMA page_size = 4096; VACUUM"), SQLITE_OK);
    CHECK_EQ_INT(raw_int(blank, "PRAGMA user_version"), 0);
    const char *paths[] = {empty, blank};
    for (int i = 0; i < 2; i++) {
        struct mxt_db *db = NULL;
        CHECK_EQ_INT(mxt_db_open(paths[i], i == 0 ? MXT_DB_CREATE : MXT_DB_READONLY, &db), 0);
        CHECK_EQ_INT(mxt_db_schema_version(db), MXT_DB_SCHEMA_VERSION);
        struct counts c = {0};
        CHECK_EQ_INT(mxt_db_table_counts(db, count_tables, &c), 0);
        CHECK_EQ_INT(c.tables, 6); /* v1: machine, probe_run; v2: problem, measurement, tuned,
                                      calibration */
        mxt_db_close(db);
        CHECK_EQ_INT(raw_int(paths[i], "PRAGMA user_version"), MXT_DB_SCHEMA_VERSION);
    }
    rm_tree(dir);
}

MXT_TEST(refuse_newer) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "mxtune.db");
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    struct mxt_machine m;
    sample_machine(&m, "fp-newer", "AMD Test");
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "quick", NULL, NULL), 0);
    mxt_db_close(db);
    db = NULL;
    CHECK_EQ_INT(raw_exec(path, "PRAGMA user_version = 99"), SQLITE_OK);
    CHECK(no_sidecars(path));
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBNEWER));
    char want[PATH_MAX + 128];
    snprintf(want, sizeof want,
             "database '%s' has schema version 99, newer than this mxtune (%d): upgrade mxtune",
             path, MXT_DB_SCHEMA_VERSION);
    CHECK(strcmp(mxt_last_error(), want) == 0);
    CHECK(refused_untouched(path, MXT_DB_READONLY, MXT_EDBNEWER));
    CHECK_EQ_INT(raw_int(path, "PRAGMA user_version"), 99);
    rm_tree(dir);
}

MXT_TEST(refuse_corrupt) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);

    /* Text. */
    join(path, sizeof path, dir, "notes.txt");
    const char *text = "these are my notes, not a database\n";
    CHECK(write_bytes(path, text, strlen(text)) == 0);
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBCORRUPT));
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "'%s' is not an mxtune database", path);
    CHECK(strcmp(mxt_last_error(), want) == 0);
    CHECK(refused_untouched(path, MXT_DB_READONLY, MXT_EDBCORRUPT));

    /* Random bytes (xorshift, fixed seed). */
    unsigned char noise[8192];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < sizeof noise; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise[i] = (unsigned char)(x >> 24);
    }
    join(path, sizeof path, dir, "noise.db");
    CHECK(write_bytes(path, noise, sizeof noise) == 0);
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBCORRUPT));

    /* The SQLite magic followed by garbage, and a file cut short. */
    memcpy(noise, "SQLite format 3", 16);
    join(path, sizeof path, dir, "magic.db");
    CHECK(write_bytes(path, noise, sizeof noise) == 0);
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBCORRUPT));
    join(path, sizeof path, dir, "short.db");
    CHECK(write_bytes(path, noise, 40) == 0);
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBCORRUPT));
    rm_tree(dir);
}

MXT_TEST(refuse_foreign_sqlite) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    /* Another program's database: tables, version 0, no application id. */
    join(path, sizeof path, dir, "other.db");
    CHECK_EQ_INT(raw_exec(path, "CREATE TABLE t(x); INSERT INTO t VALUES (1)"), SQLITE_OK);
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBCORRUPT));
    /* ... in WAL mode (SQLite would create -wal/-shm just by reading it). */
    join(path, sizeof path, dir, "other-wal.db");
    CHECK_EQ_INT(raw_exec(path, "PRAGMA journal_mode = WAL; CREATE TABLE t(x)"), SQLITE_OK);
    CHECK(no_sidecars(path));
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBCORRUPT));
    /* ... with its own application id and no tables. */
    join(path, sizeof path, dir, "app.db");
    CHECK_EQ_INT(raw_exec(path, "PRAGMA application_id = 1234; VACUUM"), SQLITE_OK);
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBCORRUPT));
    /* ... with a user_version of its own but no application id. */
    join(path, sizeof path, dir, "version.db");
    CHECK_EQ_INT(raw_exec(path, "PRAGMA user_version = 1; VACUUM"), SQLITE_OK);
    CHECK(refused_untouched(path, MXT_DB_CREATE, MXT_EDBCORRUPT));
    rm_tree(dir);
}

MXT_TEST(store_and_get_round_trip) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "mxtune.db");
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    struct mxt_machine m, back;
    sample_machine(&m, "fp-round-trip", "AMD Test 9000");
    const char *curves = "{\"latency\":[[4096,1.1],[65536,3.5]]}";
    int64_t run1 = 0, run2 = 0;
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "default", curves, &run1), 0);
    CHECK(run1 > 0);
    CHECK_EQ_INT(mxt_db_get_machine(db, "fp-round-trip", &back), 0);
    CHECK(strcmp(back.fingerprint, m.fingerprint) == 0);
    CHECK(strcmp(back.name, m.name) == 0);
    CHECK(strcmp(back.brand, m.brand) == 0);
    CHECK_EQ_INT(back.cores, 2);
    CHECK_EQ_INT(back.n_caches, 2);
    CHECK_EQ_INT(back.caches[0].size_bytes, 49152);
    CHECK_EQ_INT(back.caches[1].usable_bytes, 1000000);
    CHECK_NEAR(back.caches[0].latency_ns, 1.1, 1e-9);
    CHECK_NEAR(back.dram.triad_all, 65, 1e-9);
    CHECK_NEAR(back.compute.f32_1t, 225, 1e-9);
    CHECK_EQ_INT(back.n_priors, 1);
    CHECK_EQ_INT(back.priors[0].used, 0);
    CHECK(strcmp(back.priors[0].why, "larger than any measured plateau") == 0);
    CHECK_EQ_INT(back.n_warnings, 1);

    char *json = NULL, *expect = NULL;
    CHECK_EQ_INT(mxt_db_get_machine_json(db, "fp-round-trip", &json), 0);
    CHECK_EQ_INT(mxt_machine_to_json(&m, 0, &expect), 0);
    CHECK(strcmp(json, expect) == 0); /* stored as written */
    free(json);
    free(expect);

    char *got = NULL;
    CHECK_EQ_INT(mxt_db_latest_curves(db, "fp-round-trip", &got), 0);
    CHECK(strcmp(got, curves) == 0);
    free(got);

    /* A second run of the same machine: a new run, the profile replaced. */
    m.caches[0].latency_ns = 1.2;
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "thorough", NULL, &run2), 0);
    CHECK(run2 > run1);
    CHECK_EQ_INT(mxt_db_get_machine(db, "fp-round-trip", &back), 0);
    CHECK_NEAR(back.caches[0].latency_ns, 1.2, 1e-9);
    CHECK_EQ_INT(mxt_db_latest_curves(db, "fp-round-trip", &got), 0); /* the run with curves */
    CHECK(strcmp(got, curves) == 0);
    free(got);

    CHECK_EQ_INT(mxt_db_get_machine(db, "no-such-fp", &back), MXT_ENOTFOUND);
    CHECK_EQ_INT(mxt_db_latest_curves(db, "no-such-fp", &got), MXT_ENOTFOUND);
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "forever", NULL, NULL), MXT_EINVAL);
    struct mxt_machine nofp = m;
    nofp.fingerprint[0] = '\0';
    CHECK_EQ_INT(mxt_db_store_probe(db, &nofp, "quick", NULL, NULL), MXT_EINVAL);
    mxt_db_close(db);
    db = NULL;

    /* A read-only handle reads but does not write. */
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_READONLY, &db), 0);
    CHECK_EQ_INT(mxt_db_get_machine(db, "fp-round-trip", &back), 0);
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "quick", NULL, NULL), MXT_EINVAL);
    mxt_db_close(db);
    CHECK(no_sidecars(path));
    rm_tree(dir);
}

MXT_TEST(store_rolls_back_on_failure) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "mxtune.db");
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    mxt_db_close(db);
    db = NULL;
    /* Make the second statement of the transaction fail. */
    CHECK_EQ_INT(raw_exec(path, "CREATE TRIGGER fail_run BEFORE INSERT ON probe_run "
                                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"),
                 SQLITE_OK);
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    struct mxt_machine m;
    sample_machine(&m, "fp-rollback", "AMD Test");
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "quick", "{}", NULL), MXT_EDB);
    CHECK(strstr(mxt_last_error(), "injected failure") != NULL);
    struct counts c = {0};
    CHECK_EQ_INT(mxt_db_table_counts(db, count_tables, &c), 0);
    CHECK_EQ_INT(c.machine, 0); /* the machine row went with the failed run */
    CHECK_EQ_INT(c.probe_run, 0);
    /* The handle is usable after the rollback. */
    struct collected l = {0};
    CHECK_EQ_INT(mxt_db_list_machines(db, collect, &l), 0);
    CHECK_EQ_INT(l.n, 0);
    mxt_db_close(db);
    rm_tree(dir);
}

MXT_TEST(list_machines) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "mxtune.db");
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    struct mxt_machine a, b;
    sample_machine(&a, "fp-a", "Brand A");
    sample_machine(&b, "fp-b", "Brand B");
    CHECK_EQ_INT(mxt_db_store_probe(db, &a, "quick", NULL, NULL), 0);
    CHECK_EQ_INT(mxt_db_store_probe(db, &b, "default", NULL, NULL), 0);
    CHECK_EQ_INT(mxt_db_store_probe(db, &a, "thorough", NULL, NULL), 0);
    struct collected c = {0};
    CHECK_EQ_INT(mxt_db_list_machines(db, collect, &c), 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK(strcmp(c.rows[0].fingerprint, "fp-a") == 0); /* probed last */
    CHECK_EQ_INT(c.rows[0].probe_runs, 2);
    CHECK(strcmp(c.rows[0].brand, "Brand A") == 0);
    CHECK(strcmp(c.rows[0].name, "test box") == 0);
    CHECK(strcmp(c.rows[1].fingerprint, "fp-b") == 0);
    CHECK_EQ_INT(c.rows[1].probe_runs, 1);
    /* ISO 8601 UTC: 2024-05-01T12:00:00Z */
    CHECK_EQ_INT(strlen(c.rows[1].updated), 20);
    CHECK(c.rows[1].updated[10] == 'T' && c.rows[1].updated[19] == 'Z');
    CHECK(strcmp(c.rows[1].created, c.rows[1].updated) == 0);
    /* The callback stops the walk. */
    struct collected one = {.stop_after = 1};
    CHECK_EQ_INT(mxt_db_list_machines(db, collect, &one), 7);
    CHECK_EQ_INT(one.n, 1);
    struct counts n = {0};
    CHECK_EQ_INT(mxt_db_table_counts(db, count_tables, &n), 0);
    CHECK_EQ_INT(n.machine, 2);
    CHECK_EQ_INT(n.probe_run, 3);
    mxt_db_close(db);
    rm_tree(dir);
}

MXT_TEST(unwritable_path) {
    struct mxt_db *db = NULL;
    /* A path under a file. */
    CHECK_EQ_INT(mxt_db_open("/dev/null/x.db", MXT_DB_CREATE, &db), MXT_EIO);
    CHECK(db == NULL);
    CHECK(strstr(mxt_last_error(), "/dev/null/x.db") != NULL);
    CHECK_EQ_INT(mxt_db_open("/dev/null/sub/x.db", MXT_DB_CREATE, &db), MXT_EIO);
    CHECK(strstr(mxt_last_error(), "/dev/null/sub/x.db") != NULL);
    CHECK_EQ_INT(mxt_db_open("/dev/null/x.db", MXT_DB_READONLY, &db), MXT_EIO);
    /* A directory where the file should be. */
    char dir[64];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    CHECK_EQ_INT(mxt_db_open(dir, MXT_DB_CREATE, &db), MXT_EIO);
    rm_tree(dir);
}

/* Run fn(arg) as a user without root's power to write anywhere: as nobody in
 * a child process when we are root, else directly. 0 if it returned 0. */
static int as_unprivileged(int (*fn)(const char *), const char *arg) {
    if (geteuid() != 0) return fn(arg);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(77);
        _exit(fn(arg));
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: expected %s (%s)\n", __FILE__, __LINE__, #cond,                \
                    mxt_last_error());                                                             \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

/* In dir (read-only): no new database, and ro.db (read-only) readable only. */
static int unwritable_checks(const char *dir) {
    char path[PATH_MAX];
    struct mxt_db *db = NULL;
    join(path, sizeof path, dir, "x.db");
    EXPECT(mxt_db_open(path, MXT_DB_CREATE, &db) == MXT_EIO);
    EXPECT(strstr(mxt_last_error(), path) != NULL);
    EXPECT(!exists(path));
    join(path, sizeof path, dir, "sub/x.db");
    EXPECT(mxt_db_open(path, MXT_DB_CREATE, &db) == MXT_EIO);
    EXPECT(strstr(mxt_last_error(), path) != NULL);
    join(path, sizeof path, dir, "ro.db");
    EXPECT(mxt_db_open(path, MXT_DB_CREATE, &db) == MXT_EIO);
    EXPECT(strstr(mxt_last_error(), path) != NULL);
    /* Reading a database one may not write (a shared one) works. */
    EXPECT(mxt_db_open(path, MXT_DB_READONLY, &db) == 0);
    struct collected c = {0};
    EXPECT(mxt_db_list_machines(db, collect, &c) == 0);
    EXPECT(c.n == 1);
    struct mxt_machine m;
    EXPECT(mxt_db_get_machine(db, "fp-shared", &m) == 0);
    EXPECT(mxt_db_store_probe(db, &m, "quick", NULL, NULL) == MXT_EINVAL);
    mxt_db_close(db);
    EXPECT(no_sidecars(path));
    return 0;
}

MXT_TEST(unwritable_directory_and_file) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "ro.db");
    struct mxt_db *db = NULL;
    struct mxt_machine m;
    sample_machine(&m, "fp-shared", "Shared");
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "quick", NULL, NULL), 0);
    mxt_db_close(db);
    CHECK(chmod(path, 0444) == 0);
    CHECK(chmod(dir, 0555) == 0);
    int rc = as_unprivileged(unwritable_checks, dir);
    if (rc == 77) MXT_SKIP("cannot drop root privileges");
    CHECK_EQ_INT(rc, 0);
    rm_tree(dir);
}

MXT_TEST(readonly_missing) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "sub/mxtune.db");
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_READONLY, &db), MXT_ENOTFOUND);
    CHECK(db == NULL);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "no database at '%s': run 'mxtune probe' first", path);
    CHECK(strcmp(mxt_last_error(), want) == 0);
    CHECK(!exists(path));
    join(path, sizeof path, dir, "sub");
    CHECK(!exists(path)); /* no directory made either */
    rm_tree(dir);
}

MXT_TEST(default_path) {
    char buf[PATH_MAX];
    unsetenv("MXTUNE_DB");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/someone", 1);
    CHECK_EQ_INT(mxt_db_default_path(buf, sizeof buf), 0);
    CHECK(strcmp(buf, "/home/someone/.local/share/mxtune/mxtune.db") == 0);
    setenv("XDG_DATA_HOME", "relative/ignored", 1);
    CHECK_EQ_INT(mxt_db_default_path(buf, sizeof buf), 0);
    CHECK(strcmp(buf, "/home/someone/.local/share/mxtune/mxtune.db") == 0);
    setenv("XDG_DATA_HOME", "/data", 1);
    CHECK_EQ_INT(mxt_db_default_path(buf, sizeof buf), 0);
    CHECK(strcmp(buf, "/data/mxtune/mxtune.db") == 0);
    setenv("MXTUNE_DB", "/elsewhere/my.db", 1);
    CHECK_EQ_INT(mxt_db_default_path(buf, sizeof buf), 0);
    CHECK(strcmp(buf, "/elsewhere/my.db") == 0);
    CHECK_EQ_INT(mxt_db_default_path(buf, 8), MXT_EINVAL); /* too long for the buffer */
    unsetenv("MXTUNE_DB");
    unsetenv("XDG_DATA_HOME");
    unsetenv("HOME");
    CHECK_EQ_INT(mxt_db_default_path(buf, sizeof buf), MXT_EINVAL);

    /* mxt_db_open(NULL) creates the default database, directories included. */
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    setenv("XDG_DATA_HOME", dir, 1);
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(NULL, MXT_DB_CREATE, &db), 0);
    join(path, sizeof path, dir, "mxtune/mxtune.db");
    CHECK(strcmp(mxt_db_path(db), path) == 0);
    mxt_db_close(db);
    CHECK(exists(path));
    rm_tree(dir);
}

/* One writer process: open (racing the other on a fresh file) and store. */
static int writer(const char *path, const char *fingerprint, int runs) {
    struct mxt_db *db = NULL;
    struct mxt_machine m;
    int rc = mxt_db_open(path, MXT_DB_CREATE, &db);
    sample_machine(&m, fingerprint, "Racer");
    for (int i = 0; i < runs && rc == 0; i++)
        rc = mxt_db_store_probe(db, &m, "quick", "{\"curve\":[1,2,3]}", NULL);
    if (rc) fprintf(stderr, "writer %s: %s\n", fingerprint, mxt_last_error());
    mxt_db_close(db);
    return rc;
}

MXT_TEST(two_writers) {
    enum { RUNS = 40 };
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "shared.db");
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        CHECK(pid[i] >= 0);
        if (pid[i] == 0) _exit(writer(path, i ? "fp-one" : "fp-zero", RUNS) == 0 ? 0 : 1);
    }
    for (int i = 0; i < 2; i++) {
        int status = 0;
        CHECK(waitpid(pid[i], &status, 0) == pid[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_READONLY, &db), 0);
    struct counts n = {0};
    CHECK_EQ_INT(mxt_db_table_counts(db, count_tables, &n), 0);
    CHECK_EQ_INT(n.machine, 2);
    CHECK_EQ_INT(n.probe_run, 2 * RUNS);
    mxt_db_close(db);
    rm_tree(dir);
}

/* A quick probe never replaces the profile of a default one; it is kept as a run. */
MXT_TEST(quick_keeps_full_profile) {
    char dir[64], path[PATH_MAX];
    CHECK(make_tmpdir(dir, sizeof dir, "mxt_db_") == 0);
    join(path, sizeof path, dir, "mxtune.db");
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    struct mxt_machine m, back;
    sample_machine(&m, "fp-keep", "AMD Test 9000");
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "quick", NULL, NULL), 0);
    CHECK_EQ_INT(mxt_db_machine_has_full_probe(db, "fp-keep"), 0);
    m.caches[0].latency_ns = 1.25; /* a default run replaces a quick one */
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "default", NULL, NULL), 0);
    CHECK_EQ_INT(mxt_db_machine_has_full_probe(db, "fp-keep"), 1);
    m.caches[0].latency_ns = 9.0; /* a later quick run does not */
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "quick", NULL, NULL), 0);
    CHECK_EQ_INT(mxt_db_get_machine(db, "fp-keep", &back), 0);
    CHECK_NEAR(back.caches[0].latency_ns, 1.25, 1e-9);
    CHECK_EQ_INT(raw_int(path, "SELECT count(*) FROM probe_run"), 3);
    m.caches[0].latency_ns = 1.5; /* a thorough one does */
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "thorough", NULL, NULL), 0);
    CHECK_EQ_INT(mxt_db_get_machine(db, "fp-keep", &back), 0);
    CHECK_NEAR(back.caches[0].latency_ns, 1.5, 1e-9);
    mxt_db_close(db);
    rm_tree(dir);
}
