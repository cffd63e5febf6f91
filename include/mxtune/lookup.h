/* Tuned configurations for other libraries (libmxtune's lookup API).
 *
 * A handle opens the mxtune database read-only, identifies this machine by
 * its fingerprint (what the OS and CPUID report; nothing is measured) and
 * keeps this machine's tuned rows in memory, so a lookup costs microseconds.
 * A lookup answers, in this order: the exact problem tuned on this machine;
 * else the nearest tuned shape of the same op, dtype and threads (smallest
 * log-distance over M, N, K, preferring shapes whose blocks divide the query);
 * else the model's best configuration from this machine's stored profile. It
 * says which (source). Handles are safe to use from several threads at once:
 * nothing in them changes after mxt_open.
 *
 * Nothing tuned is not an error: without a database, or without a profile of
 * this machine in it (`mxtune probe` not run here), mxt_open still succeeds and
 * every lookup answers with source "model" and a fixed safe default
 * configuration (goto, the widest ISA's default micro-kernel, the kernels'
 * block fallbacks), saying so in the result's note.
 *
 * Errors: 0 or a negative MXT_E* code (include/mxtune/errors.h) with
 * mxt_last_error(): MXT_EDBNEWER / MXT_EDBCORRUPT / MXT_EIO (a database is
 * there but unusable), MXT_ENOMEM, MXT_EINVAL (bad query).
 */
#ifndef MXTUNE_LOOKUP_H
#define MXTUNE_LOOKUP_H

#include <stdint.h>
#include "mxtune/config.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mxt_handle;

/* db_path NULL: $MXTUNE_DB, else $XDG_DATA_HOME/mxtune/mxtune.db. The
 * database is opened read-only, read once and closed again; *out owns the
 * copy in memory. Winners measured with another kernel version (stale) are
 * not used. Close with mxt_close (NULL is ignored). */
int mxt_open(const char *db_path, struct mxt_handle **out);
void mxt_close(struct mxt_handle *h);

/* What a handle holds: this machine's fingerprint ("" if it could not be
 * identified), whether a profile was found, how many winners were loaded
 * (stale ones left out, counted apart) and a note on what is missing ("" when
 * nothing is). Borrowed strings, valid until mxt_close. */
struct mxt_handle_info {
    const char *fingerprint;
    const char *db_path;
    int have_profile;
    int tuned;
    int stale;
    const char *note;
};
int mxt_handle_info(const struct mxt_handle *h, struct mxt_handle_info *out);

enum mxt_lookup_source { MXT_SOURCE_EXACT = 0, MXT_SOURCE_NEAREST = 1, MXT_SOURCE_MODEL = 2 };
const char *mxt_lookup_source_name(enum mxt_lookup_source s); /* "exact", "nearest", "model" */

struct mxt_lookup_query {
    const char *op; /* "gemm" (also "spmm", "lowrank") */
    enum mxt_dtype dtype;
    int64_t m, n, k;
    int threads;    /* 0: all cores */
    double density; /* spmm: density of A (0 means 1) */
    int64_t rank;   /* lowrank: r */
};

struct mxt_lookup_result {
    enum mxt_lookup_source source;
    struct mxt_config config; /* ready for mxt_sgemm_ex / mxt_dgemm_ex */
    double gflops;            /* measured GFLOP/s of the tuned row; model's prediction for model
                                 (0 for the fixed default) */
    int64_t tuned_m, tuned_n, tuned_k; /* the shape the answer was tuned for (exact/nearest) */
    double distance;                   /* nearest: the log-distance to the tuned shape; else 0 */
    char note[192];                    /* why the answer is the fixed default, or "" */
};

/* Nearest-shape rule: among winners of the same op, dtype and threads (spmm:
 * any density, lowrank: any rank), the smallest
 *   d = sqrt(ln(M/Mt)^2 + ln(N/Nt)^2 + ln(K/Kt)^2)
 * (spmm adds ln(density/dt)^2, lowrank ln(r/rt)^2); equal d (within 1e-9):
 * the winner whose mc, kc, nc divide more of the query's M, K, N; then the
 * faster one. Other ops and dtypes are never matched.
 * Model: the model's faster of schedules cake and goto with the default
 * micro-kernel of the widest ISA the kernels run here, blocks by the default
 * sizing rule. h may be NULL: the fixed default, as without a database.
 * q->threads 0 means all cores of this machine. */
int mxt_lookup(const struct mxt_handle *h, const struct mxt_lookup_query *q,
               struct mxt_lookup_result *out);

#ifdef __cplusplus
}
#endif
#endif
