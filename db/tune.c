/* The tuner's tables in the database (db/, schema version 2): problems with
 * typed columns, every measurement committed as it lands, the winner per
 * problem and machine, and the model's calibration. Import reuses the puts. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_internal.h"
#include "mxt_common.h"

static const char *const ops[] = {"gemm", "spmm", "lowrank", "contract"};

/* The problem's 14 typed columns, in the order bind_problem and read_problem use. */
#define PROBLEM_COLS                                                                               \
    "p.op, p.dtype, p.m, p.n, p.k, p.batch, p.rank, p.density, p.spec, p.col_major, p.trans_a, "   \
    "p.trans_b, p.beta_zero, p.threads"
#define PROBLEM_NCOLS 14
#define PROBLEM_MATCH                                                                              \
    "p.op = ?1 AND p.dtype = ?2 AND p.m = ?3 AND p.n = ?4 AND p.k = ?5 AND p.batch = ?6 AND "      \
    "p.rank = ?7 AND p.density = ?8 AND p.spec = ?9 AND p.col_major = ?10 AND p.trans_a = ?11 "    \
    "AND p.trans_b = ?12 AND p.beta_zero = ?13 AND p.threads = ?14"

/* The measurement's columns read by read_measurement (23), then stale. */
#define MEASUREMENT_COLS                                                                           \
    "ms.id, ms.schedule, ms.isa, ms.mr, ms.nr, ms.mc, ms.kc, ms.nc, ms.alpha, ms.threads, "        \
    "ms.kernel_version, ms.median_s, ms.min_s, ms.q20_s, ms.q80_s, ms.repeats, ms.gflops, "        \
    "ms.predicted_s, ms.seed, ms.strategy, ms.created, ms.mxtune_version, ms.compiler"
#define MEASUREMENT_NCOLS 23

void mxt_db_problem_init(struct mxt_db_problem *p, const char *op, enum mxt_dtype dtype, int64_t m,
                         int64_t n, int64_t k, int threads) {
    memset(p, 0, sizeof *p);
    mxt_strlcpy(p->op, op ? op : "gemm", sizeof p->op);
    p->dtype = dtype;
    p->m = m;
    p->n = n;
    p->k = k;
    p->batch = 1;
    p->density = 1;
    p->col_major = 1;
    p->beta_zero = 1;
    p->threads = threads;
}

void mxt_db_config_key(enum mxt_dtype dtype, const struct mxt_config *cfg, char *buf, size_t size) {
    if (!buf || size == 0) return;
    if (!cfg) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, size, "%s/%s/%s/%dx%d/mc=%lld,kc=%lld,nc=%lld,a=%.6g,p=%d",
             mxt_schedule_name(cfg->schedule), mxt_isa_name(cfg->isa), mxt_dtype_name(dtype),
             cfg->mr, cfg->nr, (long long)cfg->mc, (long long)cfg->kc, (long long)cfg->nc,
             cfg->alpha, cfg->threads);
}

int mxt_db_set_kernel_version(struct mxt_db *db, const char *kernel_version) {
    if (!db || !kernel_version || !kernel_version[0])
        return mxt_error(MXT_EINVAL, "mxt_db_set_kernel_version: missing argument");
    if (strlen(kernel_version) >= sizeof db->kernel_version)
        return mxt_error(MXT_EINVAL, "kernel version '%s' is longer than %zu characters",
                         kernel_version, sizeof db->kernel_version - 1);
    mxt_strlcpy(db->kernel_version, kernel_version, sizeof db->kernel_version);
    return 0;
}

/* ---- checks ---- */

/* Stored JSON must parse back (export and show read it): an object. */
static int check_json_object(const char *json, const char *what) {
    cJSON *v = cJSON_Parse(json);
    int ok = cJSON_IsObject(v);
    cJSON_Delete(v);
    return ok ? 0 : mxt_error(MXT_EINVAL, "%s is not a JSON object", what);
}

static int terminated(const char *s, size_t size) {
    return memchr(s, '\0', size) != NULL;
}

int db_problem_check(const struct mxt_db_problem *p) {
    int known = 0;
    if (!terminated(p->op, sizeof p->op) || !terminated(p->spec, sizeof p->spec))
        return mxt_error(MXT_EINVAL, "problem: op or spec is not a terminated string");
    for (size_t i = 0; i < MXT_ARRAY_LEN(ops); i++)
        known |= strcmp(p->op, ops[i]) == 0;
    if (!known)
        return mxt_error(MXT_EINVAL, "problem: unknown op '%s' (gemm, spmm, lowrank, contract)",
                         p->op);
    if (p->dtype != MXT_F32 && p->dtype != MXT_F64)
        return mxt_error(MXT_EINVAL, "problem: unknown dtype %d", (int)p->dtype);
    if (p->m < 1 || p->n < 1 || p->k < 1)
        return mxt_error(MXT_EINVAL, "problem: m, n, k must be positive (%lld x %lld x %lld)",
                         (long long)p->m, (long long)p->n, (long long)p->k);
    if (p->batch < 1) return mxt_error(MXT_EINVAL, "problem: batch %lld < 1", (long long)p->batch);
    if (p->rank < 0) return mxt_error(MXT_EINVAL, "problem: rank %lld < 0", (long long)p->rank);
    if (!(p->density > 0 && p->density <= 1))
        return mxt_error(MXT_EINVAL, "problem: density %g is not in (0, 1]", p->density);
    if ((p->col_major | p->trans_a | p->trans_b | p->beta_zero) & ~1)
        return mxt_error(MXT_EINVAL, "problem: col_major, trans_a, trans_b, beta_zero are 0 or 1");
    if (p->threads < 1)
        return mxt_error(MXT_EINVAL, "problem: threads %d < 1 (resolve 'all cores' first)",
                         p->threads);
    return 0;
}

int db_measurement_check(const struct mxt_db_measurement *ms) {
    const struct mxt_config *c = &ms->config;
    if (!terminated(ms->kernel_version, sizeof ms->kernel_version) || !ms->kernel_version[0])
        return mxt_error(MXT_EINVAL, "measurement: no kernel version");
    if (!terminated(ms->strategy, sizeof ms->strategy))
        return mxt_error(MXT_EINVAL, "measurement: strategy is not a terminated string");
    if ((unsigned)c->schedule > MXT_SCHED_LAST)
        return mxt_error(MXT_EINVAL, "measurement: unknown schedule %d", (int)c->schedule);
    if ((unsigned)c->isa > MXT_ISA_AVX512)
        return mxt_error(MXT_EINVAL, "measurement: unknown ISA %d", (int)c->isa);
    if (c->mr < 1 || c->nr < 1)
        return mxt_error(MXT_EINVAL, "measurement: micro-kernel %dx%d is not resolved", c->mr,
                         c->nr);
    if (c->mc < 0 || c->kc < 0 || c->nc < 0 || c->threads < 0 || !isfinite(c->alpha) ||
        c->alpha < 0)
        return mxt_error(MXT_EINVAL, "measurement: negative block, alpha or threads");
    if (!isfinite(ms->median_s) || ms->median_s <= 0)
        return mxt_error(MXT_EINVAL, "measurement: median %g s is not a positive time",
                         ms->median_s);
    double v[] = {ms->min_s, ms->q20_s, ms->q80_s, ms->gflops, ms->predicted_s};
    for (size_t i = 0; i < MXT_ARRAY_LEN(v); i++)
        if (!isfinite(v[i]) || v[i] < 0)
            return mxt_error(MXT_EINVAL, "measurement: min, q20, q80, gflops and predicted "
                                         "must be finite and not negative");
    if (ms->repeats < 0) return mxt_error(MXT_EINVAL, "measurement: repeats %d < 0", ms->repeats);
    return 0;
}

/* ---- rows ---- */

static void bind_problem(sqlite3_stmt *st, const struct mxt_db_problem *p) {
    db_bind_text(st, 1, p->op);
    db_bind_text(st, 2, mxt_dtype_name(p->dtype));
    sqlite3_bind_int64(st, 3, p->m);
    sqlite3_bind_int64(st, 4, p->n);
    sqlite3_bind_int64(st, 5, p->k);
    sqlite3_bind_int64(st, 6, p->batch);
    sqlite3_bind_int64(st, 7, p->rank);
    sqlite3_bind_double(st, 8, p->density);
    db_bind_text(st, 9, p->spec);
    sqlite3_bind_int(st, 10, p->col_major);
    sqlite3_bind_int(st, 11, p->trans_a);
    sqlite3_bind_int(st, 12, p->trans_b);
    sqlite3_bind_int(st, 13, p->beta_zero);
    sqlite3_bind_int(st, 14, p->threads);
}

static int read_problem(struct mxt_db *db, sqlite3_stmt *st, int c, struct mxt_db_problem *p) {
    memset(p, 0, sizeof *p);
    mxt_strlcpy(p->op, db_column_text(st, c), sizeof p->op);
    if (mxt_dtype_parse(db_column_text(st, c + 1), &p->dtype) != 0)
        return mxt_error(MXT_EDBCORRUPT, "database '%s': a problem has dtype '%s'", db->path,
                         db_column_text(st, c + 1));
    p->m = sqlite3_column_int64(st, c + 2);
    p->n = sqlite3_column_int64(st, c + 3);
    p->k = sqlite3_column_int64(st, c + 4);
    p->batch = sqlite3_column_int64(st, c + 5);
    p->rank = sqlite3_column_int64(st, c + 6);
    p->density = sqlite3_column_double(st, c + 7);
    mxt_strlcpy(p->spec, db_column_text(st, c + 8), sizeof p->spec);
    p->col_major = sqlite3_column_int(st, c + 9);
    p->trans_a = sqlite3_column_int(st, c + 10);
    p->trans_b = sqlite3_column_int(st, c + 11);
    p->beta_zero = sqlite3_column_int(st, c + 12);
    p->threads = sqlite3_column_int(st, c + 13);
    return 0;
}

static int read_measurement(struct mxt_db *db, sqlite3_stmt *st, int c,
                            struct mxt_db_measurement *ms) {
    memset(ms, 0, sizeof *ms);
    ms->id = sqlite3_column_int64(st, c);
    if (mxt_schedule_parse(db_column_text(st, c + 1), &ms->config.schedule) != 0 ||
        mxt_isa_parse(db_column_text(st, c + 2), &ms->config.isa) != 0)
        return mxt_error(MXT_EDBCORRUPT,
                         "database '%s': measurement %lld has schedule '%s', isa '%s'", db->path,
                         (long long)ms->id, db_column_text(st, c + 1), db_column_text(st, c + 2));
    ms->config.mr = sqlite3_column_int(st, c + 3);
    ms->config.nr = sqlite3_column_int(st, c + 4);
    ms->config.mc = sqlite3_column_int64(st, c + 5);
    ms->config.kc = sqlite3_column_int64(st, c + 6);
    ms->config.nc = sqlite3_column_int64(st, c + 7);
    ms->config.alpha = sqlite3_column_double(st, c + 8);
    ms->config.threads = sqlite3_column_int(st, c + 9);
    mxt_strlcpy(ms->kernel_version, db_column_text(st, c + 10), sizeof ms->kernel_version);
    ms->median_s = sqlite3_column_double(st, c + 11);
    ms->min_s = sqlite3_column_double(st, c + 12);
    ms->q20_s = sqlite3_column_double(st, c + 13);
    ms->q80_s = sqlite3_column_double(st, c + 14);
    ms->repeats = sqlite3_column_int(st, c + 15);
    ms->gflops = sqlite3_column_double(st, c + 16);
    ms->predicted_s = sqlite3_column_double(st, c + 17);
    ms->seed = (uint64_t)sqlite3_column_int64(st, c + 18);
    mxt_strlcpy(ms->strategy, db_column_text(st, c + 19), sizeof ms->strategy);
    mxt_strlcpy(ms->created, db_column_text(st, c + 20), sizeof ms->created);
    mxt_strlcpy(ms->mxtune_version, db_column_text(st, c + 21), sizeof ms->mxtune_version);
    mxt_strlcpy(ms->compiler, db_column_text(st, c + 22), sizeof ms->compiler);
    ms->stale = strcmp(ms->kernel_version, db->kernel_version) != 0;
    return 0;
}

int db_machine_id(struct mxt_db *db, const char *fingerprint, int64_t *id) {
    sqlite3_stmt *st = NULL;
    int rc =
        db_prepare(db, "SELECT id FROM machine WHERE fingerprint = ?1", &st, "reading a machine");
    if (rc) return rc;
    db_bind_text(st, 1, fingerprint);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = mxt_error(MXT_ENOTFOUND,
                       "no machine with fingerprint '%s' in database '%s': run 'mxtune probe' "
                       "first",
                       fingerprint, db->path);
    } else {
        rc = db_sql_error(db, rc, "reading a machine");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_problem_lookup(struct mxt_db *db, const struct mxt_db_problem *p, int create, int64_t *id) {
    static const char *const what = "storing a problem";
    sqlite3_stmt *st = NULL;
    int rc;
    if (create) {
        rc = db_prepare(db,
                        "INSERT INTO problem (op, dtype, m, n, k, batch, rank, density, spec, "
                        "col_major, trans_a, trans_b, beta_zero, threads) VALUES (?1, ?2, ?3, ?4, "
                        "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT DO NOTHING",
                        &st, what);
        if (rc) return rc;
        bind_problem(st, p);
        rc = db_step_done(db, st, what);
        sqlite3_finalize(st);
        st = NULL;
        if (rc) return rc;
    }
    if ((rc = db_prepare(db, "SELECT p.id FROM problem p WHERE " PROBLEM_MATCH, &st,
                         "reading a problem")) != 0)
        return rc;
    bind_problem(st, p);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = mxt_error(MXT_ENOTFOUND, "problem %s %s %lld x %lld x %lld is not in database '%s'",
                       p->op, mxt_dtype_name(p->dtype), (long long)p->m, (long long)p->n,
                       (long long)p->k, db->path);
    } else {
        rc = db_sql_error(db, rc, "reading a problem");
    }
    sqlite3_finalize(st);
    return rc;
}

struct problem_id_ctx {
    const struct mxt_db_problem *p;
    int64_t id;
};

static int problem_id_txn(struct mxt_db *db, void *ctx) {
    struct problem_id_ctx *c = ctx;
    return db_problem_lookup(db, c->p, 1, &c->id);
}

int mxt_db_problem_id(struct mxt_db *db, const struct mxt_db_problem *p, int create, int64_t *id) {
    if (!db || !p || !id) return mxt_error(MXT_EINVAL, "mxt_db_problem_id: missing argument");
    int rc = db_problem_check(p);
    if (rc) return rc;
    if (!create) return db_problem_lookup(db, p, 0, id);
    struct problem_id_ctx c = {p, 0};
    if ((rc = db_write_txn(db, "storing a problem", problem_id_txn, &c)) != 0) return rc;
    *id = c.id;
    return 0;
}

int db_measurement_key_id(struct mxt_db *db, int64_t machine_id, int64_t problem_id,
                          const char *config_key, const char *kernel_version, int64_t *id,
                          double *median_s) {
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db,
                        "SELECT id, median_s FROM measurement WHERE problem_id = ?1 AND "
                        "machine_id = ?2 AND config_key = ?3 AND kernel_version = ?4",
                        &st, "reading a measurement");
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, problem_id);
    sqlite3_bind_int64(st, 2, machine_id);
    db_bind_text(st, 3, config_key);
    db_bind_text(st, 4, kernel_version);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        if (median_s) *median_s = sqlite3_column_double(st, 1);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = mxt_error(MXT_ENOTFOUND, "no measurement of '%s' (kernel version %s)", config_key,
                       kernel_version);
    } else {
        rc = db_sql_error(db, rc, "reading a measurement");
    }
    sqlite3_finalize(st);
    return rc;
}

int db_put_measurement(struct mxt_db *db, int64_t machine_id, int64_t problem_id,
                       enum mxt_dtype dtype, const struct mxt_db_measurement *ms, int from_file,
                       enum db_put_mode mode, int64_t *id, int *added) {
    static const char *const what = "storing a measurement";
    const struct mxt_config *c = &ms->config;
    char key[192], now[32];
    double old_median = 0;
    int64_t old_id = 0;
    sqlite3_stmt *st = NULL;
    if (added) *added = 0;
    mxt_db_config_key(dtype, c, key, sizeof key);
    int rc = db_measurement_key_id(db, machine_id, problem_id, key, ms->kernel_version, &old_id,
                                   &old_median);
    if (rc != 0 && rc != MXT_ENOTFOUND) return rc;
    int exists = rc == 0;
    if (exists && mode == DB_PUT_NEW)
        return mxt_error(MXT_EFORMAT,
                         "measurement of '%s' (kernel version %s) is already in the "
                         "database",
                         key, ms->kernel_version);
    if (exists && mode == DB_PUT_FASTER && old_median <= ms->median_s) {
        *id = old_id;
        return 0;
    }
    db_now_iso(now, sizeof now);
    /* An update keeps the row id, so a winner pointing at it stays valid. */
    rc = db_prepare(db,
                    exists ? "UPDATE measurement SET schedule = ?2, isa = ?3, mr = ?4, nr = ?5, "
                             "mc = ?6, kc = ?7, nc = ?8, alpha = ?9, threads = ?10, "
                             "mxtune_version = ?11, compiler = ?12, median_s = ?13, min_s = ?14, "
                             "q20_s = ?15, q80_s = ?16, repeats = ?17, gflops = ?18, "
                             "predicted_s = ?19, seed = ?20, strategy = ?21, created = ?22 "
                             "WHERE id = ?1"
                           : "INSERT INTO measurement (problem_id, machine_id, config_key, "
                             "kernel_version, schedule, isa, mr, nr, mc, kc, nc, alpha, threads, "
                             "mxtune_version, compiler, median_s, min_s, q20_s, q80_s, repeats, "
                             "gflops, predicted_s, seed, strategy, created) VALUES (?23, ?24, "
                             "?25, ?26, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                             "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
                    &st, what);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, old_id);
    db_bind_text(st, 2, mxt_schedule_name(c->schedule));
    db_bind_text(st, 3, mxt_isa_name(c->isa));
    sqlite3_bind_int(st, 4, c->mr);
    sqlite3_bind_int(st, 5, c->nr);
    sqlite3_bind_int64(st, 6, c->mc);
    sqlite3_bind_int64(st, 7, c->kc);
    sqlite3_bind_int64(st, 8, c->nc);
    sqlite3_bind_double(st, 9, c->alpha);
    sqlite3_bind_int(st, 10, c->threads);
    db_bind_text(st, 11, from_file ? ms->mxtune_version : MXT_VERSION);
    db_bind_text(st, 12, from_file ? ms->compiler : db_compiler());
    sqlite3_bind_double(st, 13, ms->median_s);
    sqlite3_bind_double(st, 14, ms->min_s);
    sqlite3_bind_double(st, 15, ms->q20_s);
    sqlite3_bind_double(st, 16, ms->q80_s);
    sqlite3_bind_int(st, 17, ms->repeats);
    sqlite3_bind_double(st, 18, ms->gflops);
    sqlite3_bind_double(st, 19, ms->predicted_s);
    sqlite3_bind_int64(st, 20, (int64_t)ms->seed);
    db_bind_text(st, 21, ms->strategy);
    db_bind_text(st, 22, from_file && ms->created[0] ? ms->created : now);
    if (!exists) {
        sqlite3_bind_int64(st, 23, problem_id);
        sqlite3_bind_int64(st, 24, machine_id);
        db_bind_text(st, 25, key);
        db_bind_text(st, 26, ms->kernel_version);
    }
    rc = db_step_done(db, st, what);
    sqlite3_finalize(st);
    if (rc) return rc;
    *id = exists ? old_id : sqlite3_last_insert_rowid(db->sql);
    if (added) *added = 1;
    return 0;
}

struct add_ctx {
    const char *fingerprint;
    const struct mxt_db_problem *p;
    const struct mxt_db_measurement *ms;
    int64_t id;
};

static int add_measurement_txn(struct mxt_db *db, void *ctx) {
    struct add_ctx *c = ctx;
    int64_t machine_id, problem_id;
    int rc = db_machine_id(db, c->fingerprint, &machine_id);
    if (rc == 0) rc = db_problem_lookup(db, c->p, 1, &problem_id);
    if (rc == 0)
        rc = db_put_measurement(db, machine_id, problem_id, c->p->dtype, c->ms, 0, DB_PUT_REPLACE,
                                &c->id, NULL);
    return rc;
}

int mxt_db_add_measurement(struct mxt_db *db, const char *fingerprint,
                           const struct mxt_db_problem *p, const struct mxt_db_measurement *ms,
                           int64_t *id) {
    if (!db || !fingerprint || !p || !ms)
        return mxt_error(MXT_EINVAL, "mxt_db_add_measurement: missing argument");
    int rc = db_problem_check(p);
    if (rc == 0) rc = db_measurement_check(ms);
    if (rc) return rc;
    struct add_ctx c = {fingerprint, p, ms, 0};
    if ((rc = db_write_txn(db, "storing a measurement", add_measurement_txn, &c)) != 0) return rc;
    if (id) *id = c.id;
    return 0;
}

int mxt_db_find_measurement(struct mxt_db *db, const char *fingerprint,
                            const struct mxt_db_problem *p, enum mxt_dtype dtype,
                            const struct mxt_config *cfg, const char *kernel_version,
                            struct mxt_db_measurement *out) {
    char key[192];
    sqlite3_stmt *st = NULL;
    if (!db || !fingerprint || !p || !cfg || !kernel_version || !out)
        return mxt_error(MXT_EINVAL, "mxt_db_find_measurement: missing argument");
    int rc = db_problem_check(p);
    if (rc) return rc;
    mxt_db_config_key(dtype, cfg, key, sizeof key);
    if ((rc = db_prepare(
             db,
             "SELECT " MEASUREMENT_COLS " FROM measurement ms JOIN problem p ON "
             "p.id = ms.problem_id JOIN machine mc ON mc.id = ms.machine_id WHERE " PROBLEM_MATCH
             " AND mc.fingerprint = ?15 AND ms.config_key = ?16 AND "
             "ms.kernel_version = ?17",
             &st, "reading a measurement")) != 0)
        return rc;
    bind_problem(st, p);
    db_bind_text(st, 15, fingerprint);
    db_bind_text(st, 16, key);
    db_bind_text(st, 17, kernel_version);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        rc = read_measurement(db, st, 0, out);
        /* stale against the version asked for, which is the current one */
        if (rc == 0) out->stale = strcmp(out->kernel_version, kernel_version) != 0;
    } else if (rc == SQLITE_DONE) {
        rc = mxt_error(MXT_ENOTFOUND, "no measurement of '%s' (kernel version %s) on '%s'", key,
                       kernel_version, fingerprint);
    } else {
        rc = db_sql_error(db, rc, "reading a measurement");
    }
    sqlite3_finalize(st);
    return rc;
}

int mxt_db_list_measurements(struct mxt_db *db, const char *fingerprint,
                             const struct mxt_db_problem *p,
                             int (*fn)(const struct mxt_db_problem *p,
                                       const struct mxt_db_measurement *m, void *ctx),
                             void *ctx) {
    sqlite3_stmt *st = NULL;
    if (!db || !fingerprint || !fn)
        return mxt_error(MXT_EINVAL, "mxt_db_list_measurements: missing argument");
    int rc = p ? db_problem_check(p) : 0;
    if (rc) return rc;
    rc = db_prepare(db,
                    p ? "SELECT " PROBLEM_COLS ", " MEASUREMENT_COLS " FROM measurement ms JOIN "
                        "problem p ON p.id = ms.problem_id JOIN machine mc ON "
                        "mc.id = ms.machine_id WHERE mc.fingerprint = ?15 AND " PROBLEM_MATCH
                        " ORDER BY ms.created, ms.id"
                      : "SELECT " PROBLEM_COLS ", " MEASUREMENT_COLS " FROM measurement ms JOIN "
                        "problem p ON p.id = ms.problem_id JOIN machine mc ON "
                        "mc.id = ms.machine_id WHERE mc.fingerprint = ?15 "
                        "ORDER BY ms.created, ms.id",
                    &st, "listing measurements");
    if (rc) return rc;
    if (p) bind_problem(st, p);
    db_bind_text(st, 15, fingerprint);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct mxt_db_problem rp;
        struct mxt_db_measurement ms;
        if ((rc = read_problem(db, st, 0, &rp)) != 0) goto done;
        if ((rc = read_measurement(db, st, PROBLEM_NCOLS, &ms)) != 0) goto done;
        if ((rc = fn(&rp, &ms, ctx)) != 0) goto done;
    }
    rc = rc == SQLITE_DONE ? 0 : db_sql_error(db, rc, "listing measurements");
done:
    sqlite3_finalize(st);
    return rc;
}

/* ---- winners ---- */

int db_put_tuned(struct mxt_db *db, int64_t machine_id, int64_t problem_id, int64_t measurement_id,
                 const char *provenance_json, const char *created, enum db_put_mode mode,
                 int *added) {
    static const char *const what = "storing a winner";
    sqlite3_stmt *st = NULL;
    char now[32];
    int rc;
    if (added) *added = 0;
    if (mode != DB_PUT_REPLACE) {
        /* NEW: an existing winner is an error; FASTER: keep the faster of the two. */
        rc = db_prepare(db,
                        "SELECT ms.median_s, (SELECT median_s FROM measurement WHERE id = ?3) "
                        "FROM tuned t JOIN measurement ms ON ms.id = t.measurement_id "
                        "WHERE t.problem_id = ?1 AND t.machine_id = ?2",
                        &st, what);
        if (rc) return rc;
        sqlite3_bind_int64(st, 1, problem_id);
        sqlite3_bind_int64(st, 2, machine_id);
        sqlite3_bind_int64(st, 3, measurement_id);
        rc = sqlite3_step(st);
        int exists = rc == SQLITE_ROW;
        double old_s = exists ? sqlite3_column_double(st, 0) : 0;
        double new_s = exists ? sqlite3_column_double(st, 1) : 0;
        sqlite3_finalize(st);
        st = NULL;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_sql_error(db, rc, what);
        if (exists && mode == DB_PUT_NEW)
            return mxt_error(MXT_EFORMAT, "a winner of this problem is already in the database");
        if (exists && old_s <= new_s) return 0;
    }
    db_now_iso(now, sizeof now);
    rc = db_prepare(db,
                    "INSERT INTO tuned (problem_id, machine_id, measurement_id, provenance_json, "
                    "created) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (problem_id, machine_id) "
                    "DO UPDATE SET measurement_id = excluded.measurement_id, "
                    "provenance_json = excluded.provenance_json, created = excluded.created",
                    &st, what);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, problem_id);
    sqlite3_bind_int64(st, 2, machine_id);
    sqlite3_bind_int64(st, 3, measurement_id);
    db_bind_text(st, 4, provenance_json && provenance_json[0] ? provenance_json : "{}");
    db_bind_text(st, 5, created && created[0] ? created : now);
    rc = db_step_done(db, st, what);
    sqlite3_finalize(st);
    if (rc == 0 && added) *added = 1;
    return rc;
}

struct tuned_ctx {
    const char *fingerprint;
    const struct mxt_db_problem *p;
    int64_t measurement_id;
    const char *provenance;
};

static int set_tuned_txn(struct mxt_db *db, void *ctx) {
    struct tuned_ctx *c = ctx;
    int64_t machine_id, problem_id, owner_machine = -1, owner_problem = -1;
    sqlite3_stmt *st = NULL;
    int rc = db_machine_id(db, c->fingerprint, &machine_id);
    if (rc == 0) rc = db_problem_lookup(db, c->p, 0, &problem_id);
    if (rc) return rc;
    if ((rc = db_prepare(db, "SELECT machine_id, problem_id FROM measurement WHERE id = ?1", &st,
                         "storing a winner")) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, c->measurement_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        owner_machine = sqlite3_column_int64(st, 0);
        owner_problem = sqlite3_column_int64(st, 1);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? 0 : db_sql_error(db, rc, "storing a winner");
    }
    sqlite3_finalize(st);
    if (rc) return rc;
    if (owner_machine != machine_id || owner_problem != problem_id)
        return mxt_error(MXT_EINVAL,
                         "measurement %lld is not a measurement of this problem on machine '%s'",
                         (long long)c->measurement_id, c->fingerprint);
    return db_put_tuned(db, machine_id, problem_id, c->measurement_id, c->provenance, NULL,
                        DB_PUT_REPLACE, NULL);
}

int mxt_db_set_tuned(struct mxt_db *db, const char *fingerprint, const struct mxt_db_problem *p,
                     int64_t measurement_id, const char *provenance_json) {
    if (!db || !fingerprint || !p)
        return mxt_error(MXT_EINVAL, "mxt_db_set_tuned: missing argument");
    int rc = db_problem_check(p);
    if (rc) return rc;
    if (provenance_json && strlen(provenance_json) >= sizeof((struct mxt_db_tuned *)0)->provenance)
        return mxt_error(MXT_EINVAL, "provenance is longer than %zu bytes",
                         sizeof((struct mxt_db_tuned *)0)->provenance - 1);
    if (provenance_json && provenance_json[0] &&
        (rc = check_json_object(provenance_json, "the winner's provenance")) != 0)
        return rc;
    struct tuned_ctx c = {fingerprint, p, measurement_id, provenance_json};
    return db_write_txn(db, "storing a winner", set_tuned_txn, &c);
}

#define TUNED_SELECT                                                                               \
    "SELECT " PROBLEM_COLS ", " MEASUREMENT_COLS ", t.provenance_json, t.created FROM tuned t "    \
    "JOIN machine mc ON mc.id = t.machine_id JOIN problem p ON p.id = t.problem_id "               \
    "JOIN measurement ms ON ms.id = t.measurement_id WHERE mc.fingerprint = ?15"

static int read_tuned(struct mxt_db *db, sqlite3_stmt *st, struct mxt_db_tuned *t) {
    const int c = PROBLEM_NCOLS + MEASUREMENT_NCOLS;
    memset(t, 0, sizeof *t);
    int rc = read_problem(db, st, 0, &t->problem);
    if (rc == 0) rc = read_measurement(db, st, PROBLEM_NCOLS, &t->best);
    if (rc) return rc;
    mxt_strlcpy(t->provenance, db_column_text(st, c), sizeof t->provenance);
    mxt_strlcpy(t->created, db_column_text(st, c + 1), sizeof t->created);
    t->stale = t->best.stale;
    return 0;
}

int mxt_db_get_tuned(struct mxt_db *db, const char *fingerprint, const struct mxt_db_problem *p,
                     struct mxt_db_tuned *out) {
    sqlite3_stmt *st = NULL;
    if (!db || !fingerprint || !p || !out)
        return mxt_error(MXT_EINVAL, "mxt_db_get_tuned: missing argument");
    int rc = db_problem_check(p);
    if (rc) return rc;
    if ((rc = db_prepare(db, TUNED_SELECT " AND " PROBLEM_MATCH, &st, "reading a winner")) != 0)
        return rc;
    bind_problem(st, p);
    db_bind_text(st, 15, fingerprint);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = read_tuned(db, st, out);
    else if (rc == SQLITE_DONE)
        rc = mxt_error(MXT_ENOTFOUND, "no winner of %s %s %lld x %lld x %lld on '%s'", p->op,
                       mxt_dtype_name(p->dtype), (long long)p->m, (long long)p->n, (long long)p->k,
                       fingerprint);
    else
        rc = db_sql_error(db, rc, "reading a winner");
    sqlite3_finalize(st);
    return rc;
}

int mxt_db_list_tuned(struct mxt_db *db, const char *fingerprint,
                      int (*fn)(const struct mxt_db_tuned *t, void *ctx), void *ctx) {
    sqlite3_stmt *st = NULL;
    if (!db || !fingerprint || !fn)
        return mxt_error(MXT_EINVAL, "mxt_db_list_tuned: missing argument");
    int rc = db_prepare(db, TUNED_SELECT " ORDER BY p.op, p.dtype, p.m, p.n, p.k, p.id", &st,
                        "listing winners");
    if (rc) return rc;
    db_bind_text(st, 15, fingerprint);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct mxt_db_tuned t;
        if ((rc = read_tuned(db, st, &t)) != 0) goto done;
        if ((rc = fn(&t, ctx)) != 0) goto done;
    }
    rc = rc == SQLITE_DONE ? 0 : db_sql_error(db, rc, "listing winners");
done:
    sqlite3_finalize(st);
    return rc;
}

/* ---- calibration ---- */

int db_put_calibration(struct mxt_db *db, int64_t machine_id, const char *kernel,
                       const char *params_json, const char *created, enum db_put_mode mode,
                       int *added) {
    static const char *const what = "storing a calibration";
    sqlite3_stmt *st = NULL;
    char now[32];
    int rc;
    if (added) *added = 0;
    db_now_iso(now, sizeof now);
    if (!created || !created[0]) created = now;
    if (mode != DB_PUT_REPLACE) {
        rc = db_prepare(db, "SELECT created FROM calibration WHERE machine_id = ?1 AND kernel = ?2",
                        &st, what);
        if (rc) return rc;
        sqlite3_bind_int64(st, 1, machine_id);
        db_bind_text(st, 2, kernel);
        rc = sqlite3_step(st);
        /* FASTER for a calibration: the newer fit wins (ISO 8601 sorts as text). */
        int keep = rc == SQLITE_ROW && strcmp(db_column_text(st, 0), created) >= 0;
        int exists = rc == SQLITE_ROW;
        sqlite3_finalize(st);
        st = NULL;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_sql_error(db, rc, what);
        if (exists && mode == DB_PUT_NEW)
            return mxt_error(MXT_EFORMAT, "a calibration of kernel '%s' is already in the database",
                             kernel);
        if (keep) return 0;
    }
    rc = db_prepare(db,
                    "INSERT INTO calibration (machine_id, kernel, params_json, created) VALUES "
                    "(?1, ?2, ?3, ?4) ON CONFLICT (machine_id, kernel) DO UPDATE SET "
                    "params_json = excluded.params_json, created = excluded.created",
                    &st, what);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, machine_id);
    db_bind_text(st, 2, kernel);
    db_bind_text(st, 3, params_json);
    db_bind_text(st, 4, created);
    rc = db_step_done(db, st, what);
    sqlite3_finalize(st);
    if (rc == 0 && added) *added = 1;
    return rc;
}

struct calib_ctx {
    const char *fingerprint, *kernel, *params;
};

static int calibration_txn(struct mxt_db *db, void *ctx) {
    struct calib_ctx *c = ctx;
    int64_t machine_id;
    int rc = db_machine_id(db, c->fingerprint, &machine_id);
    return rc ? rc
              : db_put_calibration(db, machine_id, c->kernel, c->params, NULL, DB_PUT_REPLACE,
                                   NULL);
}

int mxt_db_store_calibration(struct mxt_db *db, const char *fingerprint, const char *kernel,
                             const char *params_json) {
    if (!db || !fingerprint || !kernel || !kernel[0] || !params_json)
        return mxt_error(MXT_EINVAL, "mxt_db_store_calibration: missing argument");
    int rc = check_json_object(params_json, "the calibration");
    if (rc) return rc;
    struct calib_ctx c = {fingerprint, kernel, params_json};
    return db_write_txn(db, "storing a calibration", calibration_txn, &c);
}

int mxt_db_get_calibration(struct mxt_db *db, const char *fingerprint, const char *kernel,
                           char **params_json) {
    sqlite3_stmt *st = NULL;
    if (!db || !fingerprint || !kernel || !params_json)
        return mxt_error(MXT_EINVAL, "mxt_db_get_calibration: missing argument");
    *params_json = NULL;
    int rc = db_prepare(db,
                        "SELECT c.params_json FROM calibration c JOIN machine mc ON "
                        "mc.id = c.machine_id WHERE mc.fingerprint = ?1 AND c.kernel = ?2",
                        &st, "reading a calibration");
    if (rc) return rc;
    db_bind_text(st, 1, fingerprint);
    db_bind_text(st, 2, kernel);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *params_json = strdup(db_column_text(st, 0));
        rc = *params_json ? 0 : mxt_error(MXT_ENOMEM, "out of memory reading a calibration");
    } else if (rc == SQLITE_DONE) {
        rc = mxt_error(MXT_ENOTFOUND, "no calibration of kernel '%s' on '%s'", kernel, fingerprint);
    } else {
        rc = db_sql_error(db, rc, "reading a calibration");
    }
    sqlite3_finalize(st);
    return rc;
}
