/* Low-rank products in the model (model/): Y = W X with W ~ U V, the orders
 * U(VX) and (UV)X as chains of dense (sparse U: Rosko) products, the model's
 * choice, and the break-even rank in time (MODELS.md §5). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "model_internal.h"
#include "mxt_common.h"

/* One product of a chain; the sparse U goes through Rosko's model, which
 * runs the K-first schedule only. */
static int stage(const struct mxt_model_machine *mm, enum mxt_dtype dt, int64_t m, int64_t n,
                 int64_t k, double d, int prepacked, const struct mxt_config *cfg,
                 enum mxt_sizing sizing, const char *what, struct mxt_prediction *p,
                 struct mxt_stage *st) {
    int rc;
    memset(p, 0, sizeof *p);
    if (d < 1) {
        struct mxt_config c = cfg ? *cfg : (struct mxt_config){0};
        if (c.schedule != MXT_SCHED_CAKE && c.schedule != MXT_SCHED_CAKE_KMN) {
            c.schedule = MXT_SCHED_CAKE_KMN;
            c.mc = c.kc = c.nc = 0;
            c.alpha = 0;
            if (sizing == MXT_SIZING_MODEL) sizing = MXT_SIZING_DEFAULT;
        }
        rc = model_sparse(mm, dt, m, n, k, d, &c, sizing, p);
        p->op = MXT_OP_SPMM;
    } else {
        rc = model_dense(mm, dt, m, n, k, 0, prepacked, cfg, sizing, p);
        p->op = MXT_OP_GEMM;
    }
    if (rc) return rc;
    mxt_strlcpy(st->what, what, sizeof st->what);
    st->op = p->op;
    st->m = m;
    st->n = n;
    st->k = k;
    st->seconds = p->seconds;
    st->bound = p->bound;
    st->config = p->config;
    return 0;
}

/* The chain a then b as one prediction: sums of flops, bytes and time terms;
 * the configuration of the longer stage; the bound of the summed terms. */
static void combine(const struct mxt_prediction *a, const struct mxt_prediction *b,
                    struct mxt_prediction *out) {
    const struct mxt_prediction *big = a->seconds >= b->seconds ? a : b;
    *out = *big;
    out->flops = a->flops + b->flops;
    out->pack_bytes = a->pack_bytes + b->pack_bytes;
    out->syncs = a->syncs + b->syncs;
    out->seconds = a->seconds + b->seconds;
    out->assumed = a->assumed | b->assumed;
    for (int i = 0; i < MXT_NLVL; i++)
        out->bytes[i] = a->bytes[i] + b->bytes[i];
    for (int i = 0; i < MXT_MAX_LEVELS; i++)
        out->footprint[i] = fmax(a->footprint[i], b->footprint[i]);
    out->bound = MXT_BOUND_COMPUTE;
    for (int i = 0; i < MXT_NBOUNDS; i++) {
        out->time[i] = a->time[i] + b->time[i];
        if (out->time[i] > out->time[out->bound]) out->bound = (enum mxt_bound)i;
    }
    double block_dram = out->bytes[MXT_LVL_DRAM] - out->pack_bytes;
    out->required_dram_Bps = block_dram / out->time[MXT_BOUND_COMPUTE];
    out->gflops = out->flops / out->seconds / 1e9;
    for (int i = 0; i < MXT_NLVL; i++)
        out->intensity[i] = out->bytes[i] > 0 ? out->flops / out->bytes[i] : 0;
    for (int i = 0; i < MXT_NBOUNDS; i++)
        out->ceiling_gflops[i] = out->time[i] > 0 ? out->flops / out->time[i] / 1e9 : 0;
}

int model_lowrank(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                  const struct mxt_config *cfg, enum mxt_sizing sizing,
                  struct mxt_prediction *out) {
    const int64_t M = pb->m, N = pb->n, K = pb->k, r = pb->rank;
    const double d = pb->density == 0 ? 1.0 : pb->density;
    const enum mxt_dtype dt = pb->dtype;
    int rc;
    if ((rc = model_check_dim(M, "m")) || (rc = model_check_dim(N, "n")) ||
        (rc = model_check_dim(K, "k")))
        return rc;
    int64_t rmax = M < K ? M : K;
    if (r < 1) return mxt_error(MXT_ERANGE, "rank = %lld must be positive", (long long)r);
    if (r > rmax)
        return mxt_error(MXT_ERANGE, "rank = %lld exceeds min(m, k) = %lld", (long long)r,
                         (long long)rmax);
    if (!(d > 0 && d <= 1)) return mxt_error(MXT_ERANGE, "density = %g is outside (0, 1]", d);

    /* U is M x r, V is r x K, X is K x N; the weights U, V, W are packed ahead
     * of time, the intermediate UV is not */
    struct mxt_prediction p[5];
    struct mxt_stage st[5];
    if ((rc = stage(mm, dt, r, N, K, 1, 1, cfg, sizing, "V*X", &p[0], &st[0])) ||
        (rc = stage(mm, dt, M, N, r, d, 1, cfg, sizing, "U*(VX)", &p[1], &st[1])) ||
        (rc = stage(mm, dt, M, K, r, d, 1, cfg, sizing, "U*V", &p[2], &st[2])) ||
        (rc = stage(mm, dt, M, N, K, 1, 0, cfg, sizing, "(UV)*X", &p[3], &st[3])) ||
        (rc = stage(mm, dt, M, N, K, 1, 1, cfg, sizing, "W*X", &p[4], &st[4])))
        return rc;
    double t0 = p[0].seconds + p[1].seconds, t1 = p[2].seconds + p[3].seconds;
    int order = t1 < t0 ? 1 : 0;
    combine(&p[2 * order], &p[2 * order + 1], out);
    out->order = order;
    out->order_seconds[0] = t0;
    out->order_seconds[1] = t1;
    out->dense_seconds = p[4].seconds;
    out->rank = r;
    out->density = d;
    out->n_stages = 2;
    out->stages[0] = st[2 * order];
    out->stages[1] = st[2 * order + 1];
    out->m = M;
    out->n = N;
    out->k = K;
    return 0;
}

/* Binary search for the largest rank whose better order still beats dense
 * (time grows with the rank). */
int model_lowrank_breakeven(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                            const struct mxt_config *cfg, enum mxt_sizing sizing,
                            struct mxt_prediction *out) {
    struct mxt_problem q = *pb;
    struct mxt_prediction t;
    int64_t lo = 0, hi = pb->m < pb->k ? pb->m : pb->k;
    int rc;
    q.rank = hi;
    if ((rc = model_lowrank(mm, &q, cfg, sizing, &t))) return rc;
    if (t.seconds <= t.dense_seconds) {
        out->breakeven_rank = hi;
        return 0;
    }
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        q.rank = mid;
        if ((rc = model_lowrank(mm, &q, cfg, sizing, &t))) return rc;
        if (t.seconds <= t.dense_seconds)
            lo = mid;
        else
            hi = mid;
    }
    out->breakeven_rank = lo;
    return 0;
}
