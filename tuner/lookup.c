/* The lookup for other libraries (tuner/, include/mxtune/lookup.h): this
 * machine's winners and profile read once into an immutable handle, then
 * exact problem -> nearest tuned shape (log-distance) -> the model's pick. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_db_tune.h"
#include "mxtune/gemm.h"
#include "mxtune/lookup.h"
#include "mxtune/model.h"
#include "probes.h"

/* Ops the lookup answers, by index (the tuned rows store the index). */
static const char *const lookup_ops[] = {"gemm", "spmm", "lowrank"};

/* One winner, flattened for the scan: logs precomputed. */
struct lk_row {
    int op;
    enum mxt_dtype dtype;
    int threads;
    int64_t m, n, k, rank;
    double density;
    double lm, ln, lk, lextra; /* ln of m, n, k and of density (spmm) or rank (lowrank) */
    struct mxt_config config;
    double gflops;
};

struct mxt_handle {
    char fingerprint[40];
    char db_path[4096];
    char note[192];
    int have_profile;
    int cores;
    struct mxt_model_machine mm;
    int n_rows, cap_rows, n_stale;
    struct lk_row *rows;
};

const char *mxt_lookup_source_name(enum mxt_lookup_source s) {
    switch (s) {
    case MXT_SOURCE_EXACT:
        return "exact";
    case MXT_SOURCE_NEAREST:
        return "nearest";
    case MXT_SOURCE_MODEL:
        return "model";
    }
    return "unknown";
}

static int op_index(const char *op) {
    for (size_t i = 0; op && i < MXT_ARRAY_LEN(lookup_ops); i++)
        if (strcmp(op, lookup_ops[i]) == 0) return (int)i;
    return -1;
}

/* ln of the op's extra dimension: density for spmm, rank for lowrank. */
static double extra_log(int op, double density, int64_t rank) {
    if (op == 1) return log(density > 0 ? density : 1);
    if (op == 2) return log(rank > 0 ? (double)rank : 1);
    return 0;
}

static int add_row(const struct mxt_db_tuned *t, void *ctx) {
    struct mxt_handle *h = ctx;
    int op = op_index(t->problem.op);
    if (op < 0) return 0; /* contractions are not looked up */
    if (t->stale) {
        h->n_stale++;
        return 0;
    }
    if (h->n_rows == h->cap_rows) {
        int cap = h->cap_rows ? 2 * h->cap_rows : 64;
        struct lk_row *rows = realloc(h->rows, (size_t)cap * sizeof *rows);
        if (!rows) return mxt_error(MXT_ENOMEM, "out of memory loading tuned configurations");
        h->rows = rows;
        h->cap_rows = cap;
    }
    struct lk_row *r = &h->rows[h->n_rows++];
    r->op = op;
    r->dtype = t->problem.dtype;
    r->threads = t->problem.threads;
    r->m = t->problem.m;
    r->n = t->problem.n;
    r->k = t->problem.k;
    r->rank = t->problem.rank;
    r->density = t->problem.density;
    r->lm = log((double)r->m);
    r->ln = log((double)r->n);
    r->lk = log((double)r->k);
    r->lextra = extra_log(op, r->density, r->rank);
    r->config = t->best.config;
    r->gflops = t->best.gflops;
    return 0;
}

static int online_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Read the profile and the winners of this machine; what is missing is a note. */
static int load(struct mxt_handle *h, const char *db_path) {
    struct mxt_machine id, m;
    struct mxt_db *db = NULL;
    int rc;
    if (mxt_probe_identify(NULL, &id) != 0) {
        snprintf(h->note, sizeof h->note, "this machine could not be identified (%.120s)",
                 mxt_last_error());
        return 0;
    }
    mxt_strlcpy(h->fingerprint, id.fingerprint, sizeof h->fingerprint);
    if (id.cores > 0) h->cores = id.cores;
    rc = mxt_db_open(db_path, MXT_DB_READONLY, &db);
    if (rc == MXT_ENOTFOUND || (rc == MXT_EINVAL && !db_path)) {
        snprintf(h->note, sizeof h->note, "no database (%.120s)", mxt_last_error());
        return 0;
    }
    if (rc) return rc;
    mxt_strlcpy(h->db_path, mxt_db_path(db), sizeof h->db_path);
    rc = mxt_db_get_machine(db, h->fingerprint, &m);
    if (rc == MXT_ENOTFOUND) {
        snprintf(h->note, sizeof h->note,
                 "no profile of this machine (%s) in the database: run 'mxtune probe'",
                 h->fingerprint);
        rc = 0;
        goto done;
    }
    if (rc) goto done;
    if (m.cores > 0) h->cores = m.cores;
    if (mxt_model_machine_init(&h->mm, &m) == 0) {
        h->have_profile = 1;
    } else {
        snprintf(h->note, sizeof h->note, "the stored profile is unusable by the model (%.100s)",
                 mxt_last_error());
    }
    rc = mxt_db_list_tuned(db, h->fingerprint, add_row, h);
done:
    mxt_db_close(db);
    return rc;
}

int mxt_open(const char *db_path, struct mxt_handle **out) {
    if (!out) return mxt_error(MXT_EINVAL, "mxt_open: no handle to fill");
    *out = NULL;
    struct mxt_handle *h = calloc(1, sizeof *h);
    if (!h) return mxt_error(MXT_ENOMEM, "out of memory opening the lookup");
    h->cores = online_cores();
    int rc = load(h, db_path);
    if (rc) {
        mxt_close(h);
        return rc;
    }
    *out = h;
    return 0;
}

void mxt_close(struct mxt_handle *h) {
    if (!h) return;
    free(h->rows);
    free(h);
}

int mxt_handle_info(const struct mxt_handle *h, struct mxt_handle_info *out) {
    if (!h || !out) return mxt_error(MXT_EINVAL, "mxt_handle_info: missing argument");
    out->fingerprint = h->fingerprint;
    out->db_path = h->db_path;
    out->have_profile = h->have_profile;
    out->tuned = h->n_rows;
    out->stale = h->n_stale;
    out->note = h->note;
    return 0;
}

/* ---- the three answers ---- */

/* How many of the query's M, K, N the winner's mc, kc, nc divide. */
static int divides(const struct lk_row *r, const struct mxt_lookup_query *q) {
    const struct mxt_config *c = &r->config;
    return (c->mc > 0 && q->m % c->mc == 0) + (c->kc > 0 && q->k % c->kc == 0) +
           (c->nc > 0 && q->n % c->nc == 0);
}

static int same_extra(int op, const struct lk_row *r, double density, int64_t rank) {
    if (op == 1) return fabs(r->density - density) <= 1e-12 * density;
    if (op == 2) return r->rank == rank;
    return 1;
}

/* Exact or nearest among the winners; 0 if none of this op, dtype, threads. */
static int from_tuned(const struct mxt_handle *h, const struct mxt_lookup_query *q, int op,
                      int threads, double density, struct mxt_lookup_result *out) {
    const double lm = log((double)q->m), ln = log((double)q->n), lk = log((double)q->k);
    const double lx = extra_log(op, density, q->rank);
    const struct lk_row *best = NULL, *exact = NULL;
    double best_d = 0;
    int best_div = 0;
    for (int i = 0; i < h->n_rows; i++) {
        const struct lk_row *r = &h->rows[i];
        if (r->op != op || r->dtype != q->dtype || r->threads != threads) continue;
        if (r->m == q->m && r->n == q->n && r->k == q->k && same_extra(op, r, density, q->rank)) {
            if (!exact || r->gflops > exact->gflops) exact = r;
            continue;
        }
        if (exact) continue;
        double dm = lm - r->lm, dn = ln - r->ln, dk = lk - r->lk, dx = lx - r->lextra;
        double d = sqrt(dm * dm + dn * dn + dk * dk + dx * dx);
        if (best && d > best_d + 1e-9) continue;
        int div = divides(r, q);
        if (best && d >= best_d - 1e-9) { /* a tie: divisibility, then speed */
            if (div < best_div || (div == best_div && r->gflops <= best->gflops)) continue;
        }
        best = r;
        best_d = d;
        best_div = div;
    }
    const struct lk_row *r = exact ? exact : best;
    if (!r) return 0;
    out->source = exact ? MXT_SOURCE_EXACT : MXT_SOURCE_NEAREST;
    out->config = r->config;
    out->gflops = r->gflops;
    out->tuned_m = r->m;
    out->tuned_n = r->n;
    out->tuned_k = r->k;
    out->distance = exact ? 0 : best_d;
    return 1;
}

/* The kernels' default micro-kernel of the widest ISA they run here, no wider
 * than the model's machine (when there is one). */
static void default_kernel(const struct mxt_handle *h, enum mxt_dtype dt, struct mxt_config *c) {
    enum mxt_isa isa = MXT_ISA_GENERIC;
    if (mxt_kernels_default_isa(&isa) != 0) isa = MXT_ISA_GENERIC;
    if (h && h->have_profile && isa > h->mm.isa) isa = h->mm.isa;
    for (;; isa = (enum mxt_isa)(isa - 1)) {
        for (int i = 0, n = mxt_kernels_count(); i < n; i++) {
            const struct mxt_kernel_info *k = mxt_kernels_get(i);
            if (k && k->isa == isa && k->dtype == dt) {
                c->isa = isa;
                c->mr = k->mr;
                c->nr = k->nr;
                return;
            }
        }
        if (isa <= MXT_ISA_GENERIC) break;
    }
    c->isa = MXT_ISA_AUTO; /* no kernel registered: let the kernels choose */
    c->mr = c->nr = 0;
}

/* The fixed safe default: goto, the default micro-kernel, the kernels' own
 * block fallbacks (resolved for this shape so that the answer is concrete). */
static void fixed_default(const struct mxt_handle *h, const struct mxt_lookup_query *q, int threads,
                          const char *why, struct mxt_lookup_result *out) {
    struct mxt_config c = {.schedule = MXT_SCHED_GOTO, .threads = threads};
    default_kernel(h, q->dtype, &c);
    if (mxt_gemm_resolve_config(q->dtype, MXT_COL_MAJOR, q->m, q->n, q->k, &c, &out->config) != 0)
        out->config = c;
    out->source = MXT_SOURCE_MODEL;
    out->gflops = 0;
    snprintf(out->note, sizeof out->note, "fixed default configuration: %.150s", why);
}

/* The model's prediction for the kernels' own fallback blocks with goto and the
 * micro-kernel of `kern`: what mxt_sgemm_ex / mxt_dgemm_ex run given only that. */
static int score_fallback(const struct mxt_handle *h, const struct mxt_lookup_query *q,
                          const struct mxt_problem *pb, const struct mxt_config *kern,
                          struct mxt_prediction *pred) {
    struct mxt_config in = *kern, fb;
    in.schedule = MXT_SCHED_GOTO;
    if (in.mr <= 0 ||
        mxt_gemm_resolve_config(q->dtype, MXT_COL_MAJOR, q->m, q->n, q->k, &in, &fb) != 0)
        return -1;
    fb.alpha = 0; /* the blocks are given: the model takes them as they are */
    return mxt_model_evaluate(&h->mm, pb, &fb, MXT_SIZING_DEFAULT, pred);
}

static int from_model(const struct mxt_handle *h, const struct mxt_lookup_query *q, int op,
                      int threads, double density, struct mxt_lookup_result *out) {
    static const enum mxt_schedule schedules[] = {MXT_SCHED_CAKE, MXT_SCHED_GOTO};
    struct mxt_problem pb = {.op = (enum mxt_op)op,
                             .dtype = q->dtype,
                             .m = q->m,
                             .n = q->n,
                             .k = q->k,
                             .density = density,
                             .rank = q->rank};
    struct mxt_prediction pred;
    struct mxt_config kern = {.threads = threads}; /* the micro-kernel of every candidate */
    default_kernel(h, q->dtype, &kern);
    double best = 0;
    int found = 0;
    for (size_t i = 0; i < MXT_ARRAY_LEN(schedules); i++) {
        if (op == MXT_OP_SPMM && schedules[i] == MXT_SCHED_GOTO) continue; /* Rosko: CAKE only */
        struct mxt_config c = kern;
        c.schedule = schedules[i];
        if (mxt_model_evaluate(&h->mm, &pb, &c, MXT_SIZING_DEFAULT, &pred) != 0) continue;
        if (!(pred.seconds > 0) || (found && pred.seconds >= best)) continue;
        if (mxt_gemm_check_config(q->dtype, &pred.config) != 0) continue;
        best = pred.seconds;
        found = 1;
        out->config = pred.config;
        out->gflops = pred.gflops;
    }
    /* The kernels' own blocks, scored by the same model: on the Zen 5 guest the
     * model's Goto sizing (f64 2048^3 on one thread: mc 576, kc 170, nc 16184) ran
     * 4 % below them (100.1 against 104.2 GFLOP/s, docs/benchmarks.md), and the
     * model puts them ahead as well (102.4 against 101.6). */
    if (op == MXT_OP_GEMM && score_fallback(h, q, &pb, &kern, &pred) == 0 && pred.seconds > 0 &&
        (!found || pred.seconds < best)) {
        found = 1;
        out->config = pred.config;
        out->gflops = pred.gflops;
    }
    if (!found) {
        char why[160];
        snprintf(why, sizeof why, "the model could not score this problem (%.100s)",
                 mxt_last_error());
        fixed_default(h, q, threads, why, out);
        return 0;
    }
    out->source = MXT_SOURCE_MODEL;
    return 0;
}

int mxt_lookup(const struct mxt_handle *h, const struct mxt_lookup_query *q,
               struct mxt_lookup_result *out) {
    if (!q || !out) return mxt_error(MXT_EINVAL, "mxt_lookup: missing argument");
    memset(out, 0, sizeof *out);
    int op = op_index(q->op);
    if (op < 0)
        return mxt_error(MXT_EINVAL, "lookup: unknown op '%s' (gemm, spmm, lowrank)",
                         q->op ? q->op : "");
    if (q->dtype != MXT_F32 && q->dtype != MXT_F64)
        return mxt_error(MXT_EINVAL, "lookup: unknown dtype %d", (int)q->dtype);
    if (q->m < 1 || q->n < 1 || q->k < 1 || q->m > MXT_MODEL_MAX_DIM || q->n > MXT_MODEL_MAX_DIM ||
        q->k > MXT_MODEL_MAX_DIM)
        return mxt_error(MXT_EINVAL, "lookup: m, n, k = %lld, %lld, %lld must be in [1, 2^40]",
                         (long long)q->m, (long long)q->n, (long long)q->k);
    if (q->threads < 0 || q->threads > MXT_MAX_THREADS)
        return mxt_error(MXT_EINVAL, "lookup: threads = %d is not in [0, %d]", q->threads,
                         MXT_MAX_THREADS);
    double density = q->density == 0 ? 1 : q->density;
    if (!(density > 0 && density <= 1))
        return mxt_error(MXT_EINVAL, "lookup: density %g is not in (0, 1]", q->density);
    if (q->rank < 0 || (op == MXT_OP_LOWRANK && q->rank < 1))
        return mxt_error(MXT_EINVAL, "lookup: rank %lld must be positive for lowrank",
                         (long long)q->rank);
    int threads = q->threads ? q->threads : h ? h->cores : online_cores();
    out->tuned_m = out->tuned_n = out->tuned_k = 0;
    /* Tuned rows and the model speak the model's convention; answer in the
     * kernels' form, ready for mxt_sgemm_ex / mxt_dgemm_ex. */
    if (h && from_tuned(h, q, op, threads, density, out)) {
        mxt_gemm_config_from_model(&out->config, &out->config);
        return 0;
    }
    if (!h) {
        fixed_default(NULL, q, threads, "no lookup handle", out);
        return 0;
    }
    if (!h->have_profile) {
        fixed_default(h, q, threads, h->note, out);
        return 0;
    }
    int rc = from_model(h, q, op, threads, density, out);
    if (rc == 0) mxt_gemm_config_from_model(&out->config, &out->config);
    return rc;
}
