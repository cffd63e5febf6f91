/* Rosko in the model (model/): sparse A of density d times dense B with
 * row-skipping outer products, its dense alternative, and the density below
 * which it wins (MODELS.md §4; Natesh et al., arXiv 2307.03930). */
#include <math.h>
#include <string.h>
#include "model_internal.h"
#include "mxt_common.h"

int model_sparse(const struct mxt_model_machine *mm, enum mxt_dtype dt, int64_t m, int64_t n,
                 int64_t k, double d, const struct mxt_config *cfg, enum mxt_sizing sizing,
                 struct mxt_prediction *out) {
    int rc;
    if (!(d > 0 && d <= 1)) return mxt_error(MXT_ERANGE, "density = %g is outside (0, 1]", d);
    if ((rc = model_check_problem(mm, dt, m, n, k))) return rc;
    struct resolved r;
    rc = model_resolve(mm, MXT_OP_SPMM, dt, m, n, k, d, cfg, sizing, &r);
    if (rc) return rc;
    /* A (the sparse weights) is converted to Rosko's format ahead of time */
    struct job jb = {.dtype = dt,
                     .m = m,
                     .n = n,
                     .k = k,
                     .batch = 1,
                     .rosko = 1,
                     .density = d,
                     .prepacked_a = 1};
    if ((rc = model_engine(mm, &jb, &r, out))) return rc;
    out->assumed |= MXT_ASSUME_PREPACKED;
    if (!mm->calib.calibrated) out->assumed |= MXT_ASSUME_SPARSE;

    /* the dense alternative with A packed ahead of time too: the better of
     * dense CAKE on Rosko's blocks and dense CAKE with its own sizing, so that
     * Rosko at d = 1 is never predicted cheaper than dense */
    struct mxt_prediction alt;
    memset(&alt, 0, sizeof alt);
    jb.rosko = 0;
    jb.density = 1;
    if ((rc = model_engine(mm, &jb, &r, &alt))) return rc;
    double best = alt.seconds;
    memset(&alt, 0, sizeof alt);
    if ((rc = model_dense(mm, dt, m, n, k, 0, 1, cfg, sizing, &alt))) return rc;
    out->dense_seconds = alt.seconds < best ? alt.seconds : best;
    out->density = d;
    return 0;
}

int model_spmm(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
               const struct mxt_config *cfg, enum mxt_sizing sizing, struct mxt_prediction *out) {
    double d = pb->density == 0 ? 1.0 : pb->density;
    return model_sparse(mm, pb->dtype, pb->m, pb->n, pb->k, d, cfg, sizing, out);
}

/* Rosko's time minus the dense alternative's at density d. */
static int gap(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
               const struct mxt_config *cfg, enum mxt_sizing sizing, double d, double *g) {
    struct mxt_prediction t;
    memset(&t, 0, sizeof t);
    int rc = model_sparse(mm, pb->dtype, pb->m, pb->n, pb->k, d, cfg, sizing, &t);
    if (rc) return rc;
    *g = t.seconds - t.dense_seconds;
    return 0;
}

/* Scan densities from 1 down to 1e-4 (log-spaced) for the first at which
 * Rosko wins, then bisect the crossing between it and the previous point. */
int model_spmm_breakeven(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                         const struct mxt_config *cfg, enum mxt_sizing sizing,
                         struct mxt_prediction *out) {
    const int steps = 60;
    double prev = 1, g;
    out->breakeven_density = 0;
    for (int i = 0; i <= steps; i++) {
        double d = pow(10.0, -4.0 * i / steps);
        int rc = gap(mm, pb, cfg, sizing, d, &g);
        if (rc) return rc;
        if (g > 0) {
            prev = d;
            continue;
        }
        if (i == 0) {
            out->breakeven_density = 1;
            return 0;
        }
        double lo = d, hi = prev; /* Rosko wins at lo, loses at hi */
        for (int it = 0; it < 40; it++) {
            double mid = sqrt(lo * hi);
            if ((rc = gap(mm, pb, cfg, sizing, mid, &g))) return rc;
            if (g <= 0)
                lo = mid;
            else
                hi = mid;
        }
        out->breakeven_density = lo;
        return 0;
    }
    return 0;
}
