/* The macro-kernel shared by every schedule (kernels/): the jr and ir loops over a
 * packed A block and a packed B block, one micro-kernel call per mr x nr tile of C.
 * Edge tiles are computed into a small buffer and merged, so C is only touched
 * inside [0, m) x [0, n). Also C *= beta for the alpha == 0 / K == 0 cases. */
#include "mxt_kernels.h"

static void macro_f32(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                      const float *ap, const float *bp, float *c, float beta) {
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t ldc = plan->prob.ldc;
    const float alpha = (float)plan->prob.alpha;
    const mxt_ukr_f32_fn ukr = plan->ukr->f32;
    _Alignas(64) float tile[MXT_TILE_MAX];
    for (int64_t jr = 0; jr < n; jr += nr) {
        const int64_t nb = mxt_min64(nr, n - jr);
        const float *b = bp + jr * k;
        for (int64_t ir = 0; ir < m; ir += mr) {
            const int64_t mb = mxt_min64(mr, m - ir);
            const float *a = ap + ir * k;
            float *cc = c + ir + jr * ldc;
            if (mb == mr && nb == nr) {
                ukr(k, a, b, cc, ldc, alpha, beta);
                continue;
            }
            ukr(k, a, b, tile, mr, alpha, 0.0f);
            for (int64_t j = 0; j < nb; j++) {
                float *cj = cc + j * ldc;
                const float *tj = tile + j * mr;
                if (beta == 0.0f)
                    for (int64_t i = 0; i < mb; i++)
                        cj[i] = tj[i];
                else
                    for (int64_t i = 0; i < mb; i++)
                        cj[i] = tj[i] + beta * cj[i];
            }
        }
    }
}

static void macro_f64(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                      const double *ap, const double *bp, double *c, double beta) {
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t ldc = plan->prob.ldc;
    const double alpha = plan->prob.alpha;
    const mxt_ukr_f64_fn ukr = plan->ukr->f64;
    _Alignas(64) double tile[MXT_TILE_MAX];
    for (int64_t jr = 0; jr < n; jr += nr) {
        const int64_t nb = mxt_min64(nr, n - jr);
        const double *b = bp + jr * k;
        for (int64_t ir = 0; ir < m; ir += mr) {
            const int64_t mb = mxt_min64(mr, m - ir);
            const double *a = ap + ir * k;
            double *cc = c + ir + jr * ldc;
            if (mb == mr && nb == nr) {
                ukr(k, a, b, cc, ldc, alpha, beta);
                continue;
            }
            ukr(k, a, b, tile, mr, alpha, 0.0);
            for (int64_t j = 0; j < nb; j++) {
                double *cj = cc + j * ldc;
                const double *tj = tile + j * mr;
                if (beta == 0.0)
                    for (int64_t i = 0; i < mb; i++)
                        cj[i] = tj[i];
                else
                    for (int64_t i = 0; i < mb; i++)
                        cj[i] = tj[i] + beta * cj[i];
            }
        }
    }
}

void mxt_macro_kernel(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                      const void *ap, const void *bp, void *c, double beta) {
    if (m <= 0 || n <= 0) return;
    if (plan->prob.dtype == MXT_F32)
        macro_f32(plan, m, n, k, ap, bp, c, (float)beta);
    else
        macro_f64(plan, m, n, k, ap, bp, c, beta);
}
void mxt_scale_c(enum mxt_dtype dtype, int64_t m, int64_t n, void *c, int64_t ldc, double beta) {
    for (int64_t j = 0; j < n; j++) {
        if (dtype == MXT_F32) {
            float *cj = (float *)c + j * ldc;
            const float b = (float)beta;
            for (int64_t i = 0; i < m; i++)
                cj[i] = b == 0.0f ? 0.0f : b * cj[i];
        } else {
            double *cj = (double *)c + j * ldc;
            for (int64_t i = 0; i < m; i++)
                cj[i] = beta == 0.0 ? 0.0 : beta * cj[i];
        }
    }
}
