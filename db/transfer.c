/* Export, import and merge of the database (db/) as one JSON document,
 * "mxtune.db_export/1": machines by fingerprint with their probe runs,
 * measurements, winners and calibrations. Import runs in one transaction and
 * rolls back whole on the first bad entry, naming it (FFTW wisdom's rule). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db_internal.h"
#include "mxt_common.h"
#include "mxtune/machine.h"

#define EXPORT_SCHEMA "mxtune.db_export/1"

static const char *const probe_modes[] = {"quick", "default", "thorough"};

static int oom(void) {
    return mxt_error(MXT_ENOMEM, "out of memory writing the export");
}

/* ---- export ---- */

cJSON *mxt_db_problem_json(const struct mxt_db_problem *p) {
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "op", p->op) ||
        !cJSON_AddStringToObject(o, "dtype", mxt_dtype_name(p->dtype)) ||
        !cJSON_AddNumberToObject(o, "m", (double)p->m) ||
        !cJSON_AddNumberToObject(o, "n", (double)p->n) ||
        !cJSON_AddNumberToObject(o, "k", (double)p->k) ||
        !cJSON_AddNumberToObject(o, "batch", (double)p->batch) ||
        !cJSON_AddNumberToObject(o, "rank", (double)p->rank) ||
        !cJSON_AddNumberToObject(o, "density", p->density) ||
        !cJSON_AddStringToObject(o, "spec", p->spec) ||
        !cJSON_AddNumberToObject(o, "col_major", p->col_major) ||
        !cJSON_AddNumberToObject(o, "trans_a", p->trans_a) ||
        !cJSON_AddNumberToObject(o, "trans_b", p->trans_b) ||
        !cJSON_AddNumberToObject(o, "beta_zero", p->beta_zero) ||
        !cJSON_AddNumberToObject(o, "threads", p->threads)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *mxt_db_config_json(const struct mxt_config *c) {
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "schedule", mxt_schedule_name(c->schedule)) ||
        !cJSON_AddStringToObject(o, "isa", mxt_isa_name(c->isa)) ||
        !cJSON_AddNumberToObject(o, "mr", c->mr) || !cJSON_AddNumberToObject(o, "nr", c->nr) ||
        !cJSON_AddNumberToObject(o, "mc", (double)c->mc) ||
        !cJSON_AddNumberToObject(o, "kc", (double)c->kc) ||
        !cJSON_AddNumberToObject(o, "nc", (double)c->nc) ||
        !cJSON_AddNumberToObject(o, "alpha", c->alpha) ||
        !cJSON_AddNumberToObject(o, "threads", c->threads)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Add stored JSON text as a parsed value (null when text is NULL). */
static int add_stored_json(struct mxt_db *db, cJSON *o, const char *name, const char *text) {
    cJSON *v = text ? cJSON_Parse(text) : cJSON_CreateNull();
    if (!v && text)
        return mxt_error(MXT_EDBCORRUPT, "database '%s': a stored '%s' is not valid JSON", db->path,
                         name);
    if (!v || !cJSON_AddItemToObject(o, name, v)) {
        cJSON_Delete(v);
        return oom();
    }
    return 0;
}

static int export_measurement(const struct mxt_db_problem *p, const struct mxt_db_measurement *m,
                              void *ctx) {
    cJSON *arr = ctx, *o = cJSON_CreateObject(), *pj = mxt_db_problem_json(p),
          *cj = mxt_db_config_json(&m->config);
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->seed);
    if (!o || !pj || !cj) goto fail;
    cJSON_AddItemToObject(o, "problem", pj);
    pj = NULL;
    cJSON_AddItemToObject(o, "config", cj);
    cj = NULL;
    if (!cJSON_AddStringToObject(o, "kernel_version", m->kernel_version) ||
        !cJSON_AddStringToObject(o, "mxtune_version", m->mxtune_version) ||
        !cJSON_AddStringToObject(o, "compiler", m->compiler) ||
        !cJSON_AddNumberToObject(o, "median_s", m->median_s) ||
        !cJSON_AddNumberToObject(o, "min_s", m->min_s) ||
        !cJSON_AddNumberToObject(o, "q20_s", m->q20_s) ||
        !cJSON_AddNumberToObject(o, "q80_s", m->q80_s) ||
        !cJSON_AddNumberToObject(o, "repeats", m->repeats) ||
        !cJSON_AddNumberToObject(o, "gflops", m->gflops) ||
        !cJSON_AddNumberToObject(o, "predicted_s", m->predicted_s) ||
        !cJSON_AddStringToObject(o, "seed", seed) ||
        !cJSON_AddStringToObject(o, "strategy", m->strategy) ||
        !cJSON_AddStringToObject(o, "created", m->created) || !cJSON_AddItemToArray(arr, o))
        goto fail;
    return 0;
fail:
    cJSON_Delete(o);
    cJSON_Delete(pj);
    cJSON_Delete(cj);
    return oom();
}

struct tuned_export {
    struct mxt_db *db;
    cJSON *arr;
};

static int export_tuned(const struct mxt_db_tuned *t, void *ctx) {
    struct tuned_export *x = ctx;
    cJSON *o = cJSON_CreateObject(), *pj = mxt_db_problem_json(&t->problem),
          *cj = mxt_db_config_json(&t->best.config);
    int rc = 0;
    if (!o || !pj || !cj) goto fail;
    cJSON_AddItemToObject(o, "problem", pj);
    pj = NULL;
    cJSON_AddItemToObject(o, "config", cj);
    cj = NULL;
    if (!cJSON_AddStringToObject(o, "kernel_version", t->best.kernel_version) ||
        !cJSON_AddNumberToObject(o, "median_s", t->best.median_s) ||
        !cJSON_AddNumberToObject(o, "gflops", t->best.gflops) ||
        !cJSON_AddStringToObject(o, "created", t->created))
        goto fail;
    if ((rc = add_stored_json(x->db, o, "provenance", t->provenance)) != 0) {
        cJSON_Delete(o);
        return rc;
    }
    if (!cJSON_AddItemToArray(x->arr, o)) goto fail;
    return 0;
fail:
    cJSON_Delete(o);
    cJSON_Delete(pj);
    cJSON_Delete(cj);
    return oom();
}

/* One column of an exported row: copied as text, or parsed as stored JSON (SQL
 * NULL becomes null). */
struct export_col {
    const char *name;
    int col;
    int json;
};

/* Every row of `sql` (its ?1 bound to machine_id) as an object of `cols` appended
 * to arr; `what` names the step in errors. */
static int export_rows(struct mxt_db *db, int64_t machine_id, const char *sql, const char *what,
                       const struct export_col *cols, int ncols, cJSON *arr) {
    sqlite3_stmt *st = NULL;
    int rc = db_prepare(db, sql, &st, what);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, machine_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            rc = oom();
            goto done;
        }
        for (int i = 0; i < ncols; i++) {
            const struct export_col *c = &cols[i];
            if (c->json) {
                const char *text = (const char *)sqlite3_column_text(st, c->col);
                if ((rc = add_stored_json(db, o, c->name, text)) != 0) goto done;
            } else if (!cJSON_AddStringToObject(o, c->name, db_column_text(st, c->col))) {
                rc = oom();
                goto done;
            }
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_sql_error(db, rc, what);
done:
    sqlite3_finalize(st);
    return rc;
}

static int export_probe_runs(struct mxt_db *db, int64_t machine_id, cJSON *arr) {
    static const struct export_col cols[] = {{"mode", 0, 0},
                                             {"started", 1, 0},
                                             {"mxtune_version", 2, 0},
                                             {"profile", 3, 1},
                                             {"curves", 4, 1}};
    return export_rows(db, machine_id,
                       "SELECT mode, started, mxtune_version, profile_json, curves_json FROM "
                       "probe_run WHERE machine_id = ?1 ORDER BY id",
                       "exporting probe runs", cols, (int)MXT_ARRAY_LEN(cols), arr);
}

static int export_calibrations(struct mxt_db *db, int64_t machine_id, cJSON *arr) {
    static const struct export_col cols[] = {{"kernel", 0, 0}, {"created", 2, 0}, {"params", 1, 1}};
    return export_rows(db, machine_id,
                       "SELECT kernel, params_json, created FROM calibration WHERE "
                       "machine_id = ?1 ORDER BY kernel",
                       "exporting calibrations", cols, (int)MXT_ARRAY_LEN(cols), arr);
}

static int export_machine(struct mxt_db *db, sqlite3_stmt *row, cJSON *machines) {
    int64_t id = sqlite3_column_int64(row, 0);
    const char *fp = db_column_text(row, 1);
    cJSON *o = cJSON_CreateObject(), *arr;
    int rc;
    if (!o || !cJSON_AddItemToArray(machines, o)) {
        cJSON_Delete(o);
        return oom();
    }
    if (!cJSON_AddStringToObject(o, "fingerprint", fp) ||
        !cJSON_AddStringToObject(o, "name", db_column_text(row, 2)) ||
        !cJSON_AddStringToObject(o, "brand", db_column_text(row, 3)) ||
        !cJSON_AddStringToObject(o, "created", db_column_text(row, 5)) ||
        !cJSON_AddStringToObject(o, "updated", db_column_text(row, 6)))
        return oom();
    if ((rc = add_stored_json(db, o, "profile", db_column_text(row, 4))) != 0) return rc;
    if (!(arr = cJSON_AddArrayToObject(o, "probe_runs"))) return oom();
    if ((rc = export_probe_runs(db, id, arr)) != 0) return rc;
    if (!(arr = cJSON_AddArrayToObject(o, "measurements"))) return oom();
    if ((rc = mxt_db_list_measurements(db, fp, NULL, export_measurement, arr)) != 0) return rc;
    struct tuned_export x = {db, cJSON_AddArrayToObject(o, "tuned")};
    if (!x.arr) return oom();
    if ((rc = mxt_db_list_tuned(db, fp, export_tuned, &x)) != 0) return rc;
    if (!(arr = cJSON_AddArrayToObject(o, "calibrations"))) return oom();
    return export_calibrations(db, id, arr);
}

int mxt_db_export_json(struct mxt_db *db, const char *fingerprint, char **json) {
    sqlite3_stmt *st = NULL;
    cJSON *root = NULL, *machines;
    char now[32];
    int rc, own_txn = 0, found = 0;
    if (!db || !json) return mxt_error(MXT_EINVAL, "mxt_db_export_json: missing argument");
    *json = NULL;
    db_now_iso(now, sizeof now);
    root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "schema", EXPORT_SCHEMA) ||
        !cJSON_AddStringToObject(root, "mxtune_version", MXT_VERSION) ||
        !cJSON_AddStringToObject(root, "created", now) ||
        !(machines = cJSON_AddArrayToObject(root, "machines"))) {
        rc = oom();
        goto done;
    }
    /* One read transaction: a consistent snapshot while searches write. */
    if ((rc = db_exec(db, "BEGIN", "exporting")) != 0) goto done;
    own_txn = 1;
    if ((rc = db_prepare(db,
                         "SELECT id, fingerprint, name, brand, profile_json, created, updated "
                         "FROM machine WHERE ?1 IS NULL OR fingerprint = ?1 ORDER BY fingerprint",
                         &st, "exporting machines")) != 0)
        goto done;
    db_bind_text(st, 1, fingerprint);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        found++;
        if ((rc = export_machine(db, st, machines)) != 0) goto done;
    }
    if (rc != SQLITE_DONE) {
        rc = db_sql_error(db, rc, "exporting machines");
        goto done;
    }
    rc = 0;
    if (fingerprint && !found) {
        rc = mxt_error(MXT_ENOTFOUND, "no machine with fingerprint '%s' in database '%s'",
                       fingerprint, db->path);
        goto done;
    }
    if (!(*json = cJSON_Print(root))) rc = oom();
done:
    sqlite3_finalize(st);
    if (own_txn) sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL); /* read only */
    cJSON_Delete(root);
    return rc;
}

/* ---- import ---- */

/* Where in the document an entry sits, for messages: "machines[1].tuned[3]". */
struct entry {
    char where[96];
};

/* Turn the last error into MXT_EFORMAT prefixed with the entry. */
static int bad(const struct entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(const struct entry *e, const char *fmt, ...) {
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mxt_error(MXT_EFORMAT, "import: entry %s: %s", e->where, msg);
}

static int bad_last(const struct entry *e) {
    char why[384];
    mxt_strlcpy(why, mxt_last_error(), sizeof why);
    return bad(e, "%s", why);
}

static const cJSON *member(const cJSON *o, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int get_str(const struct entry *e, const cJSON *o, const char *name, int required, char *buf,
                   size_t size) {
    const cJSON *v = member(o, name);
    if (!v && !required) {
        buf[0] = '\0';
        return 0;
    }
    if (!cJSON_IsString(v)) return bad(e, "'%s' is missing or not a string", name);
    if (mxt_strlcpy(buf, v->valuestring, size) >= size)
        return bad(e, "'%s' is longer than %zu characters", name, size - 1);
    return 0;
}

static int get_num(const struct entry *e, const cJSON *o, const char *name, int required,
                   double dflt, double *out) {
    const cJSON *v = member(o, name);
    if (!v && !required) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return bad(e, "'%s' is missing or not a number", name);
    *out = v->valuedouble;
    return 0;
}

static int get_int(const struct entry *e, const cJSON *o, const char *name, int required,
                   int64_t dflt, int64_t lo, int64_t hi, int64_t *out) {
    double d = 0;
    int rc = get_num(e, o, name, required, (double)dflt, &d);
    if (rc) return rc;
    if (d != floor(d) || d < (double)lo || d > (double)hi)
        return bad(e, "'%s' = %g is not an integer in [%lld, %lld]", name, d, (long long)lo,
                   (long long)hi);
    *out = (int64_t)d;
    return 0;
}

static int get_flag(const struct entry *e, const cJSON *o, const char *name, int dflt, int *out) {
    int64_t v;
    int rc = get_int(e, o, name, 0, dflt, 0, 1, &v);
    if (rc == 0) *out = (int)v;
    return rc;
}

static int get_object(const struct entry *e, const cJSON *o, const char *name, int nullable,
                      const cJSON **out) {
    const cJSON *v = member(o, name);
    if (nullable && (!v || cJSON_IsNull(v))) {
        *out = NULL;
        return 0;
    }
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return bad(e, "'%s' is missing or not a JSON object", name);
    *out = v;
    return 0;
}

static int parse_problem(const struct entry *e, const cJSON *o, struct mxt_db_problem *p) {
    const cJSON *pj = member(o, "problem");
    char dtype[8];
    int64_t v = 0;
    double d = 1;
    int rc;
    if (!cJSON_IsObject(pj)) return bad(e, "'problem' is missing or not an object");
    memset(p, 0, sizeof *p);
    if ((rc = get_str(e, pj, "op", 1, p->op, sizeof p->op)) != 0) return rc;
    if ((rc = get_str(e, pj, "dtype", 1, dtype, sizeof dtype)) != 0) return rc;
    if (mxt_dtype_parse(dtype, &p->dtype) != 0) return bad_last(e);
    if ((rc = get_int(e, pj, "m", 1, 0, 1, INT64_MAX / 2, &p->m)) != 0) return rc;
    if ((rc = get_int(e, pj, "n", 1, 0, 1, INT64_MAX / 2, &p->n)) != 0) return rc;
    if ((rc = get_int(e, pj, "k", 1, 0, 1, INT64_MAX / 2, &p->k)) != 0) return rc;
    if ((rc = get_int(e, pj, "batch", 0, 1, 1, INT64_MAX / 2, &p->batch)) != 0) return rc;
    if ((rc = get_int(e, pj, "rank", 0, 0, 0, INT64_MAX / 2, &p->rank)) != 0) return rc;
    if ((rc = get_num(e, pj, "density", 0, 1, &d)) != 0) return rc;
    p->density = d;
    if ((rc = get_str(e, pj, "spec", 0, p->spec, sizeof p->spec)) != 0) return rc;
    if ((rc = get_flag(e, pj, "col_major", 1, &p->col_major)) != 0) return rc;
    if ((rc = get_flag(e, pj, "trans_a", 0, &p->trans_a)) != 0) return rc;
    if ((rc = get_flag(e, pj, "trans_b", 0, &p->trans_b)) != 0) return rc;
    if ((rc = get_flag(e, pj, "beta_zero", 1, &p->beta_zero)) != 0) return rc;
    if ((rc = get_int(e, pj, "threads", 1, 0, 1, 1 << 20, &v)) != 0) return rc;
    p->threads = (int)v;
    return db_problem_check(p) ? bad_last(e) : 0;
}

static int parse_config(const struct entry *e, const cJSON *o, struct mxt_config *c) {
    const cJSON *cj = member(o, "config");
    char name[16];
    int64_t v;
    int rc;
    if (!cJSON_IsObject(cj)) return bad(e, "'config' is missing or not an object");
    memset(c, 0, sizeof *c);
    if ((rc = get_str(e, cj, "schedule", 1, name, sizeof name)) != 0) return rc;
    if (mxt_schedule_parse(name, &c->schedule) != 0) return bad_last(e);
    if ((rc = get_str(e, cj, "isa", 1, name, sizeof name)) != 0) return rc;
    if (mxt_isa_parse(name, &c->isa) != 0) return bad_last(e);
    if ((rc = get_int(e, cj, "mr", 1, 0, 1, 4096, &v)) != 0) return rc;
    c->mr = (int)v;
    if ((rc = get_int(e, cj, "nr", 1, 0, 1, 4096, &v)) != 0) return rc;
    c->nr = (int)v;
    if ((rc = get_int(e, cj, "mc", 1, 0, 0, INT64_MAX / 2, &c->mc)) != 0) return rc;
    if ((rc = get_int(e, cj, "kc", 1, 0, 0, INT64_MAX / 2, &c->kc)) != 0) return rc;
    if ((rc = get_int(e, cj, "nc", 1, 0, 0, INT64_MAX / 2, &c->nc)) != 0) return rc;
    if ((rc = get_num(e, cj, "alpha", 0, 0, &c->alpha)) != 0) return rc;
    if (c->alpha < 0) return bad(e, "'alpha' = %g is negative", c->alpha);
    if ((rc = get_int(e, cj, "threads", 1, 0, 0, 1 << 20, &v)) != 0) return rc;
    c->threads = (int)v;
    return 0;
}

static int parse_seed(const struct entry *e, const cJSON *o, uint64_t *seed) {
    const cJSON *v = member(o, "seed");
    *seed = 0;
    if (!v) return 0;
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble) ||
            v->valuedouble > 9007199254740992.0)
            return bad(e, "'seed' is not an unsigned integer");
        *seed = (uint64_t)v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v) || !v->valuestring[0] || v->valuestring[0] == '-')
        return bad(e, "'seed' is not an unsigned integer");
    char *end = NULL;
    errno = 0;
    unsigned long long s = strtoull(v->valuestring, &end, 10);
    if (errno || *end) return bad(e, "'seed' = '%s' is not an unsigned integer", v->valuestring);
    *seed = s;
    return 0;
}

struct import_ctx {
    const cJSON *machines;
    enum db_put_mode mode;
    int added;
};

/* The machine of entry i: inserted when new, else the stored one is kept. */
static int import_machine_row(struct mxt_db *db, const struct entry *e, const cJSON *mj,
                              int64_t *machine_id, int *added) {
    char fp[40], name[64], brand[64], created[32], updated[32], now[32];
    const cJSON *profile = NULL;
    char *text = NULL;
    sqlite3_stmt *st = NULL;
    struct mxt_machine m;
    int rc;
    if ((rc = get_str(e, mj, "fingerprint", 1, fp, sizeof fp)) != 0) return rc;
    if (!fp[0]) return bad(e, "'fingerprint' is empty");
    if ((rc = get_str(e, mj, "name", 0, name, sizeof name)) != 0) return rc;
    if ((rc = get_str(e, mj, "brand", 0, brand, sizeof brand)) != 0) return rc;
    if ((rc = get_str(e, mj, "created", 0, created, sizeof created)) != 0) return rc;
    if ((rc = get_str(e, mj, "updated", 0, updated, sizeof updated)) != 0) return rc;
    if ((rc = get_object(e, mj, "profile", 0, &profile)) != 0) return rc;
    if (!(text = cJSON_PrintUnformatted(profile))) return oom();
    if (mxt_machine_from_json(text, &m) != 0) {
        rc = bad_last(e);
        goto done;
    }
    if (m.fingerprint[0] && strcmp(m.fingerprint, fp) != 0) {
        rc = bad(e, "the profile's fingerprint '%s' is not the machine's '%s'", m.fingerprint, fp);
        goto done;
    }
    rc = db_machine_id(db, fp, machine_id);
    if (rc != MXT_ENOTFOUND) goto done; /* stored already (kept as it is) or an error */
    db_now_iso(now, sizeof now);
    if ((rc = db_prepare(db,
                         "INSERT INTO machine (fingerprint, name, brand, profile_json, created, "
                         "updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         &st, "importing a machine")) != 0)
        goto done;
    db_bind_text(st, 1, fp);
    db_bind_text(st, 2, name[0] ? name : m.name);
    db_bind_text(st, 3, brand[0] ? brand : m.brand);
    db_bind_text(st, 4, text);
    db_bind_text(st, 5, created[0] ? created : now);
    db_bind_text(st, 6, updated[0] ? updated : now);
    if ((rc = db_step_done(db, st, "importing a machine")) != 0) goto done;
    *machine_id = sqlite3_last_insert_rowid(db->sql);
    *added = 1;
done:
    sqlite3_finalize(st);
    free(text);
    return rc;
}

static int import_probe_run(struct mxt_db *db, const struct entry *e, const cJSON *o,
                            int64_t machine_id, enum db_put_mode mode, int *added) {
    char mode_s[16], started[32], version[32];
    const cJSON *profile = NULL, *curves = NULL;
    char *ptext = NULL, *ctext = NULL;
    sqlite3_stmt *st = NULL;
    int rc, known = 0;
    *added = 0;
    if ((rc = get_str(e, o, "mode", 1, mode_s, sizeof mode_s)) != 0) return rc;
    for (size_t i = 0; i < MXT_ARRAY_LEN(probe_modes); i++)
        known |= strcmp(mode_s, probe_modes[i]) == 0;
    if (!known) return bad(e, "probe mode '%s' is not quick, default or thorough", mode_s);
    if ((rc = get_str(e, o, "started", 1, started, sizeof started)) != 0) return rc;
    if ((rc = get_str(e, o, "mxtune_version", 1, version, sizeof version)) != 0) return rc;
    if ((rc = get_object(e, o, "profile", 0, &profile)) != 0) return rc;
    if ((rc = get_object(e, o, "curves", 1, &curves)) != 0) return rc;
    if (!(ptext = cJSON_PrintUnformatted(profile)) ||
        (curves && !(ctext = cJSON_PrintUnformatted(curves)))) {
        rc = oom();
        goto done;
    }
    if ((rc = db_prepare(db,
                         "SELECT count(*) FROM probe_run WHERE machine_id = ?1 AND mode = ?2 AND "
                         "started = ?3 AND profile_json = ?4",
                         &st, "importing a probe run")) != 0)
        goto done;
    sqlite3_bind_int64(st, 1, machine_id);
    db_bind_text(st, 2, mode_s);
    db_bind_text(st, 3, started);
    db_bind_text(st, 4, ptext);
    rc = sqlite3_step(st);
    int exists = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
    rc = rc == SQLITE_ROW ? 0 : db_sql_error(db, rc, "importing a probe run");
    sqlite3_finalize(st);
    st = NULL;
    if (rc) goto done;
    if (exists) {
        if (mode == DB_PUT_NEW) rc = bad(e, "this probe run is already in the database");
        goto done;
    }
    if ((rc = db_prepare(db,
                         "INSERT INTO probe_run (machine_id, mode, started, profile_json, "
                         "curves_json, mxtune_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         &st, "importing a probe run")) != 0)
        goto done;
    sqlite3_bind_int64(st, 1, machine_id);
    db_bind_text(st, 2, mode_s);
    db_bind_text(st, 3, started);
    db_bind_text(st, 4, ptext);
    db_bind_text(st, 5, ctext);
    db_bind_text(st, 6, version);
    if ((rc = db_step_done(db, st, "importing a probe run")) == 0) *added = 1;
done:
    sqlite3_finalize(st);
    free(ptext);
    free(ctext);
    return rc;
}

static int import_measurement(struct mxt_db *db, const struct entry *e, const cJSON *o,
                              int64_t machine_id, enum db_put_mode mode, int *added) {
    struct mxt_db_problem p;
    struct mxt_db_measurement ms;
    int64_t problem_id, id, repeats;
    double gflops;
    int rc;
    memset(&ms, 0, sizeof ms);
    if ((rc = parse_problem(e, o, &p)) != 0) return rc;
    if ((rc = parse_config(e, o, &ms.config)) != 0) return rc;
    if ((rc = get_str(e, o, "kernel_version", 1, ms.kernel_version, sizeof ms.kernel_version)))
        return rc;
    if ((rc = get_str(e, o, "mxtune_version", 0, ms.mxtune_version, sizeof ms.mxtune_version)))
        return rc;
    if ((rc = get_str(e, o, "compiler", 0, ms.compiler, sizeof ms.compiler)) != 0) return rc;
    if ((rc = get_num(e, o, "median_s", 1, 0, &ms.median_s)) != 0) return rc;
    if ((rc = get_num(e, o, "min_s", 0, ms.median_s, &ms.min_s)) != 0) return rc;
    if ((rc = get_num(e, o, "q20_s", 0, ms.median_s, &ms.q20_s)) != 0) return rc;
    if ((rc = get_num(e, o, "q80_s", 0, ms.median_s, &ms.q80_s)) != 0) return rc;
    if ((rc = get_int(e, o, "repeats", 0, 1, 0, INT32_MAX, &repeats)) != 0) return rc;
    ms.repeats = (int)repeats;
    if ((rc = get_num(e, o, "gflops", 1, 0, &gflops)) != 0) return rc;
    ms.gflops = gflops;
    if ((rc = get_num(e, o, "predicted_s", 0, 0, &ms.predicted_s)) != 0) return rc;
    if ((rc = parse_seed(e, o, &ms.seed)) != 0) return rc;
    if ((rc = get_str(e, o, "strategy", 0, ms.strategy, sizeof ms.strategy)) != 0) return rc;
    if ((rc = get_str(e, o, "created", 0, ms.created, sizeof ms.created)) != 0) return rc;
    if (!ms.mxtune_version[0]) mxt_strlcpy(ms.mxtune_version, "unknown", sizeof ms.mxtune_version);
    if (!ms.compiler[0]) mxt_strlcpy(ms.compiler, "unknown", sizeof ms.compiler);
    if (db_measurement_check(&ms) != 0) return bad_last(e);
    if ((rc = db_problem_lookup(db, &p, 1, &problem_id)) != 0) return rc;
    rc = db_put_measurement(db, machine_id, problem_id, p.dtype, &ms, 1, mode, &id, added);
    return rc == MXT_EFORMAT ? bad_last(e) : rc;
}

static int import_tuned(struct mxt_db *db, const struct entry *e, const cJSON *o,
                        int64_t machine_id, enum db_put_mode mode, int *added) {
    struct mxt_db_problem p;
    struct mxt_config c;
    char version[24], created[32], key[192], *prov = NULL;
    const cJSON *pj = NULL;
    int64_t problem_id, measurement_id;
    int rc;
    if ((rc = parse_problem(e, o, &p)) != 0) return rc;
    if ((rc = parse_config(e, o, &c)) != 0) return rc;
    if ((rc = get_str(e, o, "kernel_version", 1, version, sizeof version)) != 0) return rc;
    if ((rc = get_str(e, o, "created", 0, created, sizeof created)) != 0) return rc;
    if ((rc = get_object(e, o, "provenance", 1, &pj)) != 0) return rc;
    if (pj && !cJSON_IsObject(pj)) return bad(e, "'provenance' is not an object");
    if (pj && !(prov = cJSON_PrintUnformatted(pj))) return oom();
    if (prov && strlen(prov) >= sizeof((struct mxt_db_tuned *)0)->provenance) {
        rc = bad(e, "'provenance' is longer than %zu bytes",
                 sizeof((struct mxt_db_tuned *)0)->provenance - 1);
        goto done;
    }
    mxt_db_config_key(p.dtype, &c, key, sizeof key);
    rc = db_problem_lookup(db, &p, 0, &problem_id);
    if (rc == 0)
        rc = db_measurement_key_id(db, machine_id, problem_id, key, version, &measurement_id, NULL);
    if (rc == MXT_ENOTFOUND) {
        rc = bad(e,
                 "the winner '%s' (kernel version %s) has no measurement in the document or "
                 "the database",
                 key, version);
        goto done;
    }
    if (rc) goto done;
    rc = db_put_tuned(db, machine_id, problem_id, measurement_id, prov, created, mode, added);
    if (rc == MXT_EFORMAT) rc = bad_last(e);
done:
    free(prov);
    return rc;
}

static int import_calibration(struct mxt_db *db, const struct entry *e, const cJSON *o,
                              int64_t machine_id, enum db_put_mode mode, int *added) {
    char kernel[64], created[32], *params = NULL;
    const cJSON *pj = NULL;
    int rc;
    if ((rc = get_str(e, o, "kernel", 1, kernel, sizeof kernel)) != 0) return rc;
    if (!kernel[0]) return bad(e, "'kernel' is empty");
    if ((rc = get_str(e, o, "created", 0, created, sizeof created)) != 0) return rc;
    if ((rc = get_object(e, o, "params", 0, &pj)) != 0) return rc;
    if (!(params = cJSON_PrintUnformatted(pj))) return oom();
    rc = db_put_calibration(db, machine_id, kernel, params, created, mode, added);
    if (rc == MXT_EFORMAT) rc = bad_last(e);
    free(params);
    return rc;
}

typedef int (*import_fn)(struct mxt_db *db, const struct entry *e, const cJSON *o,
                         int64_t machine_id, enum db_put_mode mode, int *added);

/* The entries of one list of a machine, in order (a missing list is empty). */
static int import_list(struct mxt_db *db, struct import_ctx *c, const cJSON *mj, int mi,
                       const char *list, int64_t machine_id, import_fn fn) {
    const cJSON *arr = member(mj, list), *o;
    struct entry e;
    int j = 0, rc;
    if (!arr) return 0;
    snprintf(e.where, sizeof e.where, "machines[%d].%s", mi, list);
    if (!cJSON_IsArray(arr)) return bad(&e, "not an array");
    cJSON_ArrayForEach(o, arr) {
        int added = 0;
        snprintf(e.where, sizeof e.where, "machines[%d].%s[%d]", mi, list, j++);
        if (!cJSON_IsObject(o)) return bad(&e, "not an object");
        if ((rc = fn(db, &e, o, machine_id, c->mode, &added)) != 0) return rc;
        c->added += added;
    }
    return 0;
}

static int import_txn(struct mxt_db *db, void *ctx) {
    struct import_ctx *c = ctx;
    const cJSON *mj;
    int i = 0, rc;
    c->added = 0;
    cJSON_ArrayForEach(mj, c->machines) {
        struct entry e;
        int64_t machine_id = 0;
        snprintf(e.where, sizeof e.where, "machines[%d]", i);
        if (!cJSON_IsObject(mj)) return bad(&e, "not an object");
        int added = 0;
        if ((rc = import_machine_row(db, &e, mj, &machine_id, &added)) != 0) return rc;
        c->added += added;
        if ((rc = import_list(db, c, mj, i, "probe_runs", machine_id, import_probe_run)) != 0 ||
            (rc = import_list(db, c, mj, i, "measurements", machine_id, import_measurement)) != 0 ||
            (rc = import_list(db, c, mj, i, "tuned", machine_id, import_tuned)) != 0 ||
            (rc = import_list(db, c, mj, i, "calibrations", machine_id, import_calibration)) != 0)
            return rc;
        i++;
    }
    return 0;
}

int mxt_db_import_json(struct mxt_db *db, const char *json, int merge, int *added) {
    cJSON *root = NULL;
    const cJSON *schema;
    int rc;
    if (!db || !json) return mxt_error(MXT_EINVAL, "mxt_db_import_json: missing argument");
    if (added) *added = 0;
    if (db->readonly) return mxt_error(MXT_EINVAL, "database '%s' was opened read-only", db->path);
    const char *end = NULL;
    root = cJSON_ParseWithOpts(json, &end, 1);
    if (!root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        return mxt_error(MXT_EFORMAT, "import: the document is not valid JSON (near byte %zu)", at);
    }
    schema = member(root, "schema");
    if (!cJSON_IsObject(root) || !cJSON_IsString(schema) ||
        strcmp(schema->valuestring, EXPORT_SCHEMA) != 0) {
        rc = mxt_error(MXT_EFORMAT, "import: the document is not an %s export (schema '%s')",
                       EXPORT_SCHEMA, cJSON_IsString(schema) ? schema->valuestring : "");
        goto done;
    }
    struct import_ctx c = {member(root, "machines"), merge ? DB_PUT_FASTER : DB_PUT_NEW, 0};
    if (!cJSON_IsArray(c.machines)) {
        rc = mxt_error(MXT_EFORMAT, "import: 'machines' is missing or not an array");
        goto done;
    }
    rc = db_write_txn(db, merge ? "merging" : "importing", import_txn, &c);
    if (rc == 0 && added) *added = c.added;
done:
    cJSON_Delete(root);
    return rc;
}

int mxt_db_merge_file(struct mxt_db *db, const char *other_path, int *added) {
    struct mxt_db *other = NULL;
    char *json = NULL;
    if (!db || !other_path) return mxt_error(MXT_EINVAL, "mxt_db_merge_file: missing argument");
    if (added) *added = 0;
    int rc = mxt_db_open(other_path, MXT_DB_READONLY, &other);
    if (rc == 0) rc = mxt_db_export_json(other, NULL, &json);
    mxt_db_close(other);
    if (rc == 0) rc = mxt_db_import_json(db, json, 1, added);
    free(json);
    return rc;
}
