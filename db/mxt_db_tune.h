/* The tuning part of the database (schema version 2): problems with typed
 * columns, every measurement, the winner per problem and machine, and the
 * model's calibration per machine. Internal to mxtune (tuner/, reports/, cli/);
 * other libraries use include/mxtune/lookup.h.
 *
 * Every write is its own transaction and is committed when the call returns,
 * so a killed search loses nothing it had measured. Rows are keyed by machine
 * fingerprint; measurements carry the kernel version, and rows measured by an
 * older kernel version are reported as stale, never silently reused.
 */
#ifndef MXT_DB_TUNE_H
#define MXT_DB_TUNE_H

#include <stdint.h>
#include "mxt_db.h"
#include "mxtune/config.h"

/* The version of the kernels' code that measurements are tied to: a row
 * measured with another version is stale (reported, never silently reused).
 * Bump it when a kernel change can change which configuration wins. */
#define MXT_KERNEL_VERSION "3"

/* One problem: every field a typed column; UNIQUE over all of them. */
struct mxt_db_problem {
    char op[16]; /* "gemm", "spmm", "lowrank", "contract" */
    enum mxt_dtype dtype;
    int64_t m, n, k; /* contract: the group products I, J, P */
    int64_t batch;   /* 1 unless a batched contraction */
    int64_t rank;    /* lowrank: r; 0 otherwise */
    double density;  /* spmm / lowrank U: density; 1 for dense */
    char spec[128];  /* contract: "abc,cd->abd a=..,b=.."; "" otherwise */
    int col_major;   /* 0 row-major, 1 column-major */
    int trans_a, trans_b;
    int beta_zero; /* 1 when beta == 0 (C not read) */
    int threads;   /* threads the problem runs on (>= 1: resolve "all cores" first) */
};

/* A gemm problem with every other field at its default: batch 1, rank 0,
 * density 1, spec "", column-major, no transposes, beta_zero 1. */
void mxt_db_problem_init(struct mxt_db_problem *p, const char *op, enum mxt_dtype dtype, int64_t m,
                         int64_t n, int64_t k, int threads);

/* Canonical text of a configuration, used as its key ("cake-kmn/avx512/f32/
 * 32x12/mc=..,kc=..,nc=..,a=..,p=.."). buf >= 160 bytes. */
void mxt_db_config_key(enum mxt_dtype dtype, const struct mxt_config *cfg, char *buf, size_t size);

/* The kernel version reads compare against for the stale flag (default
 * MXT_KERNEL_VERSION; copied, at most 23 characters). */
int mxt_db_set_kernel_version(struct mxt_db *db, const char *kernel_version);

struct mxt_db_measurement {
    int64_t id;
    struct mxt_config config;             /* resolved: nothing left at 0 */
    char kernel_version[24];              /* MXT_KERNEL_VERSION of the kernels measured */
    double median_s, min_s, q20_s, q80_s; /* seconds per call */
    int repeats;
    double gflops;           /* from median_s */
    double predicted_s;      /* the model's prediction (0 if none) */
    uint64_t seed;           /* of the search that measured it */
    char strategy[16];       /* "model", "anneal", "random", "exhaustive", "bench" */
    char created[32];        /* ISO 8601 UTC, filled by the db */
    int stale;               /* read back: 1 if kernel_version differs from the current */
    char mxtune_version[16]; /* read back: filled by the db when stored */
    char compiler[48];       /* read back: filled by the db when stored ("gcc 12.2.0") */
};

/* A problem as the JSON object of the export format (mxtune.db_export/1):
 * one key per typed column. NULL when out of memory; the caller deletes it. */
struct cJSON;
struct cJSON *mxt_db_problem_json(const struct mxt_db_problem *p);
/* A configuration as CLI.md's JSON object (schedule, isa, mr, nr, mc, kc, nc,
 * alpha, threads), the one every command and export writes. NULL when out of
 * memory; the caller deletes it. */
struct cJSON *mxt_db_config_json(const struct mxt_config *c);

/* The problem's id; creates the row when create != 0 (else MXT_ENOTFOUND). */
int mxt_db_problem_id(struct mxt_db *db, const struct mxt_db_problem *p, int create, int64_t *id);

/* Store a measurement of (machine fingerprint, problem) and commit. The machine
 * must be stored (a probe ran): MXT_ENOTFOUND otherwise, saying to run probe. A
 * second measurement of the same (problem, machine, config, kernel version)
 * replaces the first. */
int mxt_db_add_measurement(struct mxt_db *db, const char *fingerprint,
                           const struct mxt_db_problem *p, const struct mxt_db_measurement *ms,
                           int64_t *id);

/* The stored measurement of one configuration with the current kernel version
 * (MXT_ENOTFOUND if none): how a resumed search skips what it measured. */
int mxt_db_find_measurement(struct mxt_db *db, const char *fingerprint,
                            const struct mxt_db_problem *p, enum mxt_dtype dtype,
                            const struct mxt_config *cfg, const char *kernel_version,
                            struct mxt_db_measurement *out);

/* Every measurement of a machine (p NULL: of every problem), oldest first
 * (a replaced measurement counts from its replacement). fn
 * returning non-zero stops the walk and is returned. */
int mxt_db_list_measurements(struct mxt_db *db, const char *fingerprint,
                             const struct mxt_db_problem *p,
                             int (*fn)(const struct mxt_db_problem *p,
                                       const struct mxt_db_measurement *m, void *ctx),
                             void *ctx);

/* The winner of a problem on a machine. provenance: a short JSON object
 * (strategy, measured count, budget, seed, model rank of the winner, ...),
 * under 512 bytes; NULL or "" store "{}". The measurement must be one of this
 * problem on this machine (MXT_EINVAL otherwise). Listed by op, dtype, shape. */
struct mxt_db_tuned {
    struct mxt_db_problem problem;
    struct mxt_db_measurement best;
    char provenance[512];
    char created[32];
    int stale;
};
int mxt_db_set_tuned(struct mxt_db *db, const char *fingerprint, const struct mxt_db_problem *p,
                     int64_t measurement_id, const char *provenance_json);
int mxt_db_get_tuned(struct mxt_db *db, const char *fingerprint, const struct mxt_db_problem *p,
                     struct mxt_db_tuned *out);
int mxt_db_list_tuned(struct mxt_db *db, const char *fingerprint,
                      int (*fn)(const struct mxt_db_tuned *t, void *ctx), void *ctx);

/* The model's fitted constants for a machine and kernel (a JSON object; get:
 * malloc'd, caller frees). Storing again replaces. */
int mxt_db_store_calibration(struct mxt_db *db, const char *fingerprint, const char *kernel,
                             const char *params_json);
int mxt_db_get_calibration(struct mxt_db *db, const char *fingerprint, const char *kernel,
                           char **params_json);

/* Export every machine (or one fingerprint) with its problems, measurements,
 * winners and calibrations as one JSON document ("mxtune.db_export/1"). */
int mxt_db_export_json(struct mxt_db *db, const char *fingerprint, char **json);
/* Import such a document in one transaction: any bad entry rolls the whole
 * import back (MXT_EFORMAT naming the entry) and the database is unchanged.
 * merge: keep existing rows and add the new ones (a measurement present on
 * both sides keeps the faster median); otherwise an entry that already exists
 * is an error. Machines stay apart by fingerprint. */
int mxt_db_import_json(struct mxt_db *db, const char *json, int merge, int *added);
/* Merge another database file (its export, imported with merge = 1). */
int mxt_db_merge_file(struct mxt_db *db, const char *other_path, int *added);

/* One measuring process per machine: an exclusive lock on "<db path>.lock"
 * (flock; db_path NULL: the default path). wait: block up to timeout_s (<= 0:
 * no limit), saying once through notify "waiting for another mxtune measuring
 * on this machine (pid N)..."; MXT_EBUSY naming the holder after the timeout,
 * MXT_EINTR when mxt_interrupted is set while waiting. wait 0: MXT_EBUSY at
 * once. The lock is dropped by mxt_db_unlock or by the process's death. */
struct mxt_db_lock;
int mxt_db_lock_measure(const char *db_path, int wait, double timeout_s,
                        void (*notify)(const char *msg, void *ctx), void *ctx,
                        struct mxt_db_lock **out);
void mxt_db_unlock(struct mxt_db_lock *lock);

#endif
