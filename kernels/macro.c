/* The macro-kernel shared by every schedule (kernels/): the jr and ir loops over a
 * packed A block and a packed B block, one micro-kernel call per mr x nr tile of C.
 * Edge tiles are computed into a small buffer and merged, so C is only touched
 * inside [0, m) x [0, n). Also C *= beta for the alpha == 0 / K == 0 cases. */
#include "mxt_kernels.h"

/* The jr/ir loops for one element type; macro_body.h is this loop written once
 * over MXT_MACRO_T (element type), MXT_MACRO_FN (micro-kernel pointer type),
 * MXT_MACRO_UKR, MXT_MACRO_EDGE and MXT_MACRO_PA (its members of struct mxt_ukr)
 * and MXT_MACRO_NAME. */
#define MXT_MACRO_T float
#define MXT_MACRO_FN mxt_ukr_f32_fn
#define MXT_MACRO_UKR f32
#define MXT_MACRO_EDGE f32_edge
#define MXT_MACRO_PA f32_pa
#define MXT_MACRO_NAME macro_f32
#include "macro_body.h"

#define MXT_MACRO_T double
#define MXT_MACRO_FN mxt_ukr_f64_fn
#define MXT_MACRO_UKR f64
#define MXT_MACRO_EDGE f64_edge
#define MXT_MACRO_PA f64_pa
#define MXT_MACRO_NAME macro_f64
#include "macro_body.h"

void mxt_macro_kernel(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                      const void *ap, const void *bp, void *c, double beta) {
    if (m <= 0 || n <= 0) return;
    const double t0 = mxt_prof_start();
    if (plan->prob.dtype == MXT_F32)
        macro_f32(plan, m, n, k, ap, bp, c, (float)beta, 0);
    else
        macro_f64(plan, m, n, k, ap, bp, c, beta, 0);
    mxt_prof_stop(MXT_PROF_MACRO, t0);
}

void mxt_pack_a_macro_kernel(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                             const void *a, int64_t rs, int64_t cs, void *ap, const void *bp,
                             void *c, double beta) {
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int f32 = plan->prob.dtype == MXT_F32;
    const int64_t panels = mxt_ceil_div(m, mr);
    if (m <= 0 || n < nr || rs != 1 || !plan->pack_a_fused) {
        mxt_pack_a(plan->cfg.isa, plan->esz, mr, m, k, a, rs, cs, ap, 0, panels);
        mxt_macro_kernel(plan, m, n, k, ap, bp, c, beta);
        return;
    }
    /* A's source is read while the FMA units work instead of before: on one thread
     * of the Zen 5 guest 1-1.4 % of an f64 2048^3 call, 2 % at 4096^3
     * (docs/benchmarks.md, session 7). */
    if (m % mr) /* the partial last micro-panel: packed as usual, zero-padded */
        mxt_pack_a(plan->cfg.isa, plan->esz, mr, m, k, a, rs, cs, ap, panels - 1, panels);
    const double t0 = mxt_prof_start();
    if (f32) {
        macro_f32_first_pa(plan, m, k, a, cs, ap, bp, c, (float)beta);
        macro_f32(plan, m, n, k, ap, bp, c, (float)beta, nr);
    } else {
        macro_f64_first_pa(plan, m, k, a, cs, ap, bp, c, beta);
        macro_f64(plan, m, n, k, ap, bp, c, beta, nr);
    }
    mxt_prof_stop(MXT_PROF_MACRO, t0);
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
