/* The low-rank chain (kernels/, MODELS.md §5): Y = alpha * (U V) X + beta * Y as
 * U(VX) or (UV)X, two calls of the packed GEMM (or mxt_spmm for a Rosko-packed U)
 * through a workspace allocated here; AUTO picks the order by MACs. */
#include <math.h>
#include <stdlib.h>
#include "mxt_common.h"
#include "mxt_kernels.h"
#include "mxt_spmm.h"

int mxt_lowrank_choose_order(int64_t M, int64_t N, int64_t K, int64_t r, double d) {
    const double m = (double)M, n = (double)N, k = (double)K, rr = (double)r;
    const double u_vx = rr * k * n + d * m * rr * n; /* V X, then U T */
    const double uv_x = d * m * rr * k + m * k * n;  /* U V, then W X */
    return uv_x < u_vx ? MXT_LOWRANK_UV_X : MXT_LOWRANK_U_VX;
}

static int check_ld(const char *name, int64_t ld, int64_t need) {
    need = mxt_max64(need, 1);
    if (ld < need)
        return mxt_error(MXT_EINVAL, "%s=%lld is smaller than %lld", name, (long long)ld,
                         (long long)need);
    return 0;
}

static int check_op(const struct mxt_lowrank *op) {
    if (op->dtype != MXT_F32 && op->dtype != MXT_F64)
        return mxt_error(MXT_EINVAL, "unknown dtype %d", (int)op->dtype);
    if (op->layout != MXT_ROW_MAJOR && op->layout != MXT_COL_MAJOR)
        return mxt_error(MXT_EINVAL, "unknown layout %d", (int)op->layout);
    if (op->m < 0 || op->n < 0 || op->k < 0 || op->rank < 0)
        return mxt_error(MXT_EINVAL, "negative size M=%lld N=%lld K=%lld r=%lld", (long long)op->m,
                         (long long)op->n, (long long)op->k, (long long)op->rank);
    if (op->order != MXT_LOWRANK_AUTO && op->order != MXT_LOWRANK_U_VX &&
        op->order != MXT_LOWRANK_UV_X)
        return mxt_error(MXT_EINVAL, "order=%d is not -1 (auto), 0 (U(VX)) or 1 ((UV)X)",
                         op->order);
    if (op->u && op->u_sparse) return mxt_error(MXT_EINVAL, "U is given both dense and packed");
    if (op->u_sparse) {
        if (op->dtype != MXT_F32)
            return mxt_error(MXT_EUNSUPPORTED, "a Rosko-packed U needs dtype f32");
        struct mxt_rosko_info in;
        int rc = mxt_rosko_info(op->u_sparse, &in);
        if (rc) return rc;
        if (in.m != op->m || in.k != op->rank)
            return mxt_error(MXT_EINVAL, "packed U is %lld x %lld, expected M x r = %lld x %lld",
                             (long long)in.m, (long long)in.k, (long long)op->m,
                             (long long)op->rank);
    }
    const int row = op->layout == MXT_ROW_MAJOR;
    int rc = 0;
    if (!op->u_sparse) rc = check_ld("ldu", op->ldu, row ? op->rank : op->m);
    if (!rc) rc = check_ld("ldv", op->ldv, row ? op->k : op->rank);
    if (!rc) rc = check_ld("ldx", op->ldx, row ? op->n : op->k);
    if (!rc) rc = check_ld("ldy", op->ldy, row ? op->n : op->m);
    if (rc) return rc;
    const int nonempty = op->m > 0 && op->n > 0;
    if (nonempty && !op->y) return mxt_error(MXT_EINVAL, "Y is NULL");
    const int need = nonempty && op->k > 0 && op->rank > 0 && op->alpha != 0.0;
    if (need && !op->u && !op->u_sparse) return mxt_error(MXT_EINVAL, "U is NULL");
    if (need && !op->v) return mxt_error(MXT_EINVAL, "V is NULL");
    if (need && !op->x) return mxt_error(MXT_EINVAL, "X is NULL");
    return 0;
}

/* C = alpha * A * B + beta * C in op's dtype and layout (no transposes). */
static int gemm(const struct mxt_lowrank *op, int64_t m, int64_t n, int64_t k, double alpha,
                const void *a, int64_t lda, const void *b, int64_t ldb, double beta, void *c,
                int64_t ldc, const struct mxt_config *cfg) {
    if (op->dtype == MXT_F32)
        return mxt_sgemm_ex(op->layout, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, (float)alpha, a, lda,
                            b, ldb, (float)beta, c, ldc, cfg);
    return mxt_dgemm_ex(op->layout, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, alpha, a, lda, b, ldb,
                        beta, c, ldc, cfg);
}

/* The product with U: dense GEMM, or mxt_spmm with cfg's isa and threads only. */
static int u_times(const struct mxt_lowrank *op, int64_t n, double alpha, const void *b,
                   int64_t ldb, double beta, void *c, int64_t ldc, const struct mxt_config *cfg) {
    if (!op->u_sparse)
        return gemm(op, op->m, n, op->rank, alpha, op->u, op->ldu, b, ldb, beta, c, ldc, cfg);
    const struct mxt_config sc = {.isa = cfg ? cfg->isa : MXT_ISA_AUTO,
                                  .threads = cfg ? cfg->threads : 0};
    return mxt_spmm(op->layout, op->m, n, op->rank, (float)alpha, op->u_sparse, b, ldb, (float)beta,
                    c, ldc, &sc);
}

int mxt_lowrank_gemm(const struct mxt_lowrank *op, const struct mxt_config *cfg, int *order_used) {
    if (!op) return mxt_error(MXT_EINVAL, "no low-rank operation");
    int rc = check_op(op);
    if (rc) return rc;
    int order = op->order;
    if (order == MXT_LOWRANK_AUTO) {
        double d = 1.0;
        if (op->u_sparse) {
            struct mxt_rosko_info in;
            mxt_rosko_info(op->u_sparse, &in);
            d = in.density;
        }
        order = mxt_lowrank_choose_order(op->m, op->n, op->k, op->rank, d);
    }
    if (order_used) *order_used = order;
    if (op->m == 0 || op->n == 0) return 0;
    const int row = op->layout == MXT_ROW_MAJOR;
    if (op->k == 0 || op->rank == 0 || op->alpha == 0.0) { /* (U V) X contributes nothing */
        mxt_scale_c(op->dtype, row ? op->n : op->m, row ? op->m : op->n, op->y, op->ldy, op->beta);
        return 0;
    }
    const size_t esz = (size_t)mxt_dtype_size(op->dtype);
    /* workspace: T = V X (r x N) or W = U V (M x K) */
    const int64_t wr = order == MXT_LOWRANK_U_VX ? op->rank : op->m;
    const int64_t wc = order == MXT_LOWRANK_U_VX ? op->n : op->k;
    const int64_t ldw = mxt_max64(1, row ? wc : wr);
    if ((size_t)wr > SIZE_MAX / 2 / esz / (size_t)wc)
        return mxt_error(MXT_ENOMEM, "workspace of %lld x %lld elements overflows", (long long)wr,
                         (long long)wc);
    const size_t bytes = (size_t)(wr * wc) * esz;
    void *w = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!w)
        return mxt_error(MXT_ENOMEM, "cannot allocate a %lld x %lld low-rank workspace",
                         (long long)wr, (long long)wc);
    if (order == MXT_LOWRANK_U_VX) {
        rc =
            gemm(op, op->rank, op->n, op->k, 1.0, op->v, op->ldv, op->x, op->ldx, 0.0, w, ldw, cfg);
        if (!rc) rc = u_times(op, op->n, op->alpha, w, ldw, op->beta, op->y, op->ldy, cfg);
    } else {
        rc = u_times(op, op->k, 1.0, op->v, op->ldv, 0.0, w, ldw, cfg);
        if (!rc)
            rc = gemm(op, op->m, op->n, op->k, op->alpha, w, ldw, op->x, op->ldx, op->beta, op->y,
                      op->ldy, cfg);
    }
    free(w);
    return rc;
}
