/* Opening the mxtune database (db/): where it lives, the check that a file is
 * ours before SQLite may touch it, the connection settings (WAL, busy timeout,
 * foreign keys) and the mapping of SQLite errors to MXT_E* codes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "db_internal.h"
#include "mxt_common.h"
#include "mxt_db_tune.h"

/* The fields of the 100-byte SQLite header that say whose file it is
 * (https://www.sqlite.org/fileformat.html, "The Database Header"). */
struct db_header {
    int empty;              /* zero-length file: a new database */
    int64_t user_version;   /* offset 60, big-endian */
    int64_t application_id; /* offset 68, big-endian */
    int has_schema;         /* page 1 (sqlite_schema) holds any entry */
};

int mxt_db_default_path(char *buf, size_t size) {
    if (!buf || size == 0) return mxt_error(MXT_EINVAL, "no buffer for the database path");
    const char *env;
    int n;
    if ((env = getenv("MXTUNE_DB")) && env[0])
        n = snprintf(buf, size, "%s", env);
    else if ((env = getenv("XDG_DATA_HOME")) && env[0] == '/') /* relative: ignored (XDG) */
        n = snprintf(buf, size, "%s/mxtune/mxtune.db", env);
    else if ((env = getenv("HOME")) && env[0])
        n = snprintf(buf, size, "%s/.local/share/mxtune/mxtune.db", env);
    else
        return mxt_error(MXT_EINVAL,
                         "no database location: set $MXTUNE_DB or $HOME, or pass --db PATH");
    if (n < 0 || (size_t)n >= size)
        return mxt_error(MXT_EINVAL, "database path under '%s' is too long", env);
    return 0;
}

int db_sql_error(struct mxt_db *db, int sqlite_rc, const char *what) {
    const char *msg = db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(sqlite_rc);
    switch (sqlite_rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return mxt_error(MXT_EDBCORRUPT, "database '%s' is damaged (%s): %s", db->path, what, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return mxt_error(MXT_EBUSY, "database '%s' is busy (%s): another writer holds the lock",
                         db->path, what);
    case SQLITE_NOMEM:
        return mxt_error(MXT_ENOMEM, "out of memory (%s)", what);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_FULL:
        return mxt_error(MXT_EIO, "database '%s' (%s): %s", db->path, what, msg);
    default:
        return mxt_error(MXT_EDB, "database '%s' (%s): %s", db->path, what, msg);
    }
}

int db_prepare(struct mxt_db *db, const char *sql, sqlite3_stmt **st, const char *what) {
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, st, NULL);
    return rc == SQLITE_OK ? 0 : db_sql_error(db, rc, what);
}

int db_bind_text(sqlite3_stmt *st, int i, const char *s) {
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

int db_step_done(struct mxt_db *db, sqlite3_stmt *st, const char *what) {
    int rc = sqlite3_step(st);
    return rc == SQLITE_DONE ? 0 : db_sql_error(db, rc, what);
}

const char *db_column_text(sqlite3_stmt *st, int i) {
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? s : "";
}

#define DB_STR2(x) #x
#define DB_STR(x) DB_STR2(x)

const char *db_compiler(void) {
#if defined(__clang__)
    return "clang " DB_STR(__clang_major__) "." DB_STR(__clang_minor__) "." DB_STR(
        __clang_patchlevel__);
#elif defined(__GNUC__)
    return "gcc " DB_STR(__GNUC__) "." DB_STR(__GNUC_MINOR__) "." DB_STR(__GNUC_PATCHLEVEL__);
#else
    return "unknown";
#endif
}

int db_write_txn(struct mxt_db *db, const char *what, int (*fn)(struct mxt_db *db, void *ctx),
                 void *ctx) {
    if (db->readonly) return mxt_error(MXT_EINVAL, "database '%s' was opened read-only", db->path);
    for (int attempt = 0;; attempt++) {
        int rc = db_exec(db, "BEGIN IMMEDIATE", what);
        if (rc == 0) {
            rc = fn(db, ctx);
            if (rc == 0) rc = db_exec(db, "COMMIT", what);
            /* keeps the first error; a failed COMMIT leaves the transaction open */
            if (rc != 0 && !sqlite3_get_autocommit(db->sql))
                sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        }
        if (rc != MXT_EBUSY || attempt >= DB_WRITE_RETRIES) return rc;
        /* Another writer held the lock past the busy timeout: back off, then
         * run the whole transaction again (nothing of it was kept). */
        sqlite3_sleep(10 + 20 * attempt);
    }
}

int db_exec(struct mxt_db *db, const char *sql, const char *what) {
    int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_sql_error(db, rc, what);
}

int db_pragma_int(struct mxt_db *db, const char *pragma, int64_t *out) {
    char sql[64];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof sql, "PRAGMA %s", pragma);
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        rc = db_sql_error(db, rc, pragma);
    }
    sqlite3_finalize(st);
    return rc;
}

int db_check_identity(const char *path, int64_t application_id, int64_t user_version,
                      int has_tables) {
    /* An mxtune database carries our application_id from its first migration
     * on; before that it must be a blank SQLite file (version 0, no tables). */
    int blank = application_id == 0 && user_version == 0 && !has_tables;
    if ((application_id != MXT_DB_APPLICATION_ID && !blank) || user_version < 0)
        return mxt_error(MXT_EDBCORRUPT, "'%s' is not an mxtune database", path);
    if (user_version > MXT_DB_SCHEMA_VERSION)
        return mxt_error(MXT_EDBNEWER,
                         "database '%s' has schema version %lld, newer than this mxtune (%d): "
                         "upgrade mxtune",
                         path, (long long)user_version, MXT_DB_SCHEMA_VERSION);
    return 0;
}

void db_now_iso(char *buf, size_t size) {
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        mxt_strlcpy(buf, "1970-01-01T00:00:00Z", size);
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read the header with plain read(2), so that a file which is not ours is
 * never opened by SQLite (which may create -wal/-shm files or write). */
static int read_header(const char *path, struct db_header *h) {
    static const char magic[16] = "SQLite format 3"; /* with its NUL */
    unsigned char buf[108];
    size_t got = 0;
    int rc = 0;
    memset(h, 0, sizeof *h);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mxt_error(MXT_EIO, "cannot read database '%s': %s", path, strerror(errno));
    while (got < sizeof buf) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = mxt_error(MXT_EIO, "cannot read database '%s': %s", path, strerror(errno));
            goto done;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    if (got == 0) {
        h->empty = 1;
        goto done;
    }
    unsigned page = (unsigned)buf[16] << 8 | buf[17];
    if (page == 1) page = 65536;
    if (got < sizeof buf || memcmp(buf, magic, sizeof magic) != 0 || page < 512 ||
        (page & (page - 1)) != 0) {
        rc = mxt_error(MXT_EDBCORRUPT, "'%s' is not an mxtune database", path);
        goto done;
    }
    h->user_version = (int32_t)be32(buf + 60);
    h->application_id = (int32_t)be32(buf + 68);
    /* Page 1's b-tree header follows the file header: an empty sqlite_schema is
     * a leaf table page (0x0d) with no cells. */
    h->has_schema = !(buf[100] == 0x0d && buf[103] == 0 && buf[104] == 0);
done:
    close(fd);
    return rc;
}

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path) {
    char dir[PATH_MAX];
    if (mxt_strlcpy(dir, path, sizeof dir) >= sizeof dir)
        return mxt_error(MXT_EINVAL, "database path '%s' is too long", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 0;
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        struct stat st;
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return mxt_error(MXT_EIO, "cannot create directory '%s' for database '%s': %s", dir,
                             path, strerror(errno));
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return mxt_error(MXT_EIO, "cannot create database '%s': '%s' is not a directory", path,
                             dir);
        *p = saved;
        if (saved == '\0') return 0;
    }
}

/* Make sure a file is there (created empty: SQLite reads a zero-length file as
 * a blank database), so SQLite itself never needs to create anything. */
static int create_file(const char *path) {
    int rc = make_parents(path);
    if (rc) return rc;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
        return mxt_error(MXT_EIO, "cannot create database '%s': %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return 0;
}

/* Everything that must hold before SQLite opens the file. */
static int check_file(const char *path, int flags, int *writable) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return mxt_error(MXT_EIO, "cannot open database '%s': %s", path, strerror(errno));
        if (!(flags & MXT_DB_CREATE))
            return mxt_error(MXT_ENOTFOUND, "no database at '%s': run 'mxtune probe' first", path);
        int rc = create_file(path);
        if (rc) return rc;
        if (stat(path, &st) != 0)
            return mxt_error(MXT_EIO, "cannot open database '%s': %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return mxt_error(MXT_EIO, "cannot open database '%s': is a directory", path);
    if (!S_ISREG(st.st_mode))
        return mxt_error(MXT_EDBCORRUPT, "'%s' is not an mxtune database", path);

    struct db_header h;
    int rc = read_header(path, &h);
    if (rc) return rc;
    rc = db_check_identity(path, h.application_id, h.user_version, h.has_schema);
    if (rc) return rc;

    *writable = access(path, W_OK) == 0;
    if (!*writable && (flags & MXT_DB_CREATE))
        return mxt_error(MXT_EIO, "database '%s' is not writable: %s", path, strerror(errno));
    if (!*writable && (h.empty || h.user_version < MXT_DB_SCHEMA_VERSION))
        return mxt_error(MXT_EIO,
                         "database '%s' needs upgrading to schema version %d but is not writable",
                         path, MXT_DB_SCHEMA_VERSION);
    return 0;
}

/* A database this user may read but not write (one shared by an
 * administrator). SQLite reads a WAL database read-only only if its -shm file
 * exists or can be created; when no writer is active (no -wal file) nothing
 * can change under us, so open it as immutable instead. */
static int open_unwritable(struct mxt_db *db) {
    char wal[PATH_MAX + 8];
    struct stat st;
    const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
    int rc;
    snprintf(wal, sizeof wal, "%s-wal", db->path);
    if (stat(wal, &st) == 0) {
        rc = sqlite3_open_v2(db->path, &db->sql, flags, NULL);
        return rc == SQLITE_OK ? 0 : db_sql_error(db, rc, "opening read-only");
    }
    /* file:///abs/path?immutable=1, with %, ? and # percent-encoded. */
    char *uri = malloc(3 * strlen(db->path) + 32);
    if (!uri) return mxt_error(MXT_ENOMEM, "out of memory opening the database");
    size_t k = (size_t)snprintf(uri, 16, "file:%s", db->path[0] == '/' ? "//" : "");
    for (const char *p = db->path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            k += (size_t)snprintf(uri + k, 4, "%%%02X", (unsigned char)*p);
        else
            uri[k++] = *p;
    }
    snprintf(uri + k, 16, "?immutable=1");
    rc = sqlite3_open_v2(uri, &db->sql, flags | SQLITE_OPEN_URI, NULL);
    free(uri);
    return rc == SQLITE_OK ? 0 : db_sql_error(db, rc, "opening read-only");
}

int mxt_db_open(const char *path, int flags, struct mxt_db **out) {
    if (!out) return mxt_error(MXT_EINVAL, "mxt_db_open: no handle to fill");
    *out = NULL;
    if (flags != MXT_DB_READONLY && flags != MXT_DB_CREATE)
        return mxt_error(MXT_EINVAL, "mxt_db_open: unknown flags %d", flags);
    if (path && !path[0]) return mxt_error(MXT_EINVAL, "empty database path");
    struct mxt_db *db = calloc(1, sizeof *db);
    if (!db) return mxt_error(MXT_ENOMEM, "out of memory opening the database");
    int rc = 0, writable = 0;
    if (path) {
        if (mxt_strlcpy(db->path, path, sizeof db->path) >= sizeof db->path) {
            rc = mxt_error(MXT_EINVAL, "database path '%.64s...' is too long", path);
            goto fail;
        }
    } else if ((rc = mxt_db_default_path(db->path, sizeof db->path)) != 0) {
        goto fail;
    }
    db->readonly = !(flags & MXT_DB_CREATE);
    mxt_strlcpy(db->kernel_version, MXT_KERNEL_VERSION, sizeof db->kernel_version);
    if ((rc = check_file(db->path, flags, &writable)) != 0) goto fail;

    /* The file exists now: SQLite must not create one, only open it. */
    if (writable) {
        int src =
            sqlite3_open_v2(db->path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (src != SQLITE_OK) {
            rc = db_sql_error(db, src, "opening");
            goto fail;
        }
    } else if ((rc = open_unwritable(db)) != 0) {
        goto fail;
    }
    sqlite3_busy_timeout(db->sql, DB_BUSY_TIMEOUT_MS);
    if ((rc = db_exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys")) != 0) goto fail;
    if (writable) {
        if ((rc = db_migrate(db)) != 0) goto fail;
        /* A read-only handle on a writable file still checkpoints and removes
         * the WAL on close; query_only refuses writes. */
        if (db->readonly && (rc = db_exec(db, "PRAGMA query_only = ON", "opening read-only")))
            goto fail;
    } else {
        int64_t version = 0;
        if ((rc = db_read_identity(db, &version)) != 0) goto fail;
        if (version != MXT_DB_SCHEMA_VERSION) {
            rc = mxt_error(MXT_EIO, "database '%s' needs upgrading but is not writable", db->path);
            goto fail;
        }
    }
    *out = db;
    return 0;
fail:
    mxt_db_close(db);
    return rc;
}

void mxt_db_close(struct mxt_db *db) {
    if (!db) return;
    sqlite3_close_v2(db->sql);
    free(db);
}

const char *mxt_db_path(const struct mxt_db *db) {
    return db ? db->path : "";
}
