/* The macro-kernel's jr/ir loops for one element type (kernels/macro.c includes
 * it once per dtype): one micro-kernel call per mr x nr tile of C; edge tiles go
 * through a buffer and are merged, so C is only touched inside [0, m) x [0, n). */
#include "mxt_kernels.h"

#if !defined(MXT_MACRO_T) || !defined(MXT_MACRO_FN) || !defined(MXT_MACRO_UKR) ||                  \
    !defined(MXT_MACRO_EDGE) || !defined(MXT_MACRO_NAME)
#error "define MXT_MACRO_T, MXT_MACRO_FN, MXT_MACRO_UKR, MXT_MACRO_EDGE and MXT_MACRO_NAME first"
#endif

static void MXT_MACRO_NAME(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                           const MXT_MACRO_T *ap, const MXT_MACRO_T *bp, MXT_MACRO_T *c,
                           MXT_MACRO_T beta) {
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t ldc = plan->prob.ldc;
    const MXT_MACRO_T alpha = (MXT_MACRO_T)plan->prob.alpha;
    const MXT_MACRO_FN ukr = plan->ukr->MXT_MACRO_UKR;
    const MXT_MACRO_FN *edges = plan->ukr->MXT_MACRO_EDGE;
    const int64_t edge_rows = plan->ukr->edge_rows;
    _Alignas(64) MXT_MACRO_T tile[MXT_TILE_MAX];
    for (int64_t jr = 0; jr < n; jr += nr) {
        const int64_t nb = mxt_min64(nr, n - jr);
        const MXT_MACRO_T *b = bp + jr * k;
        for (int64_t ir = 0; ir < m; ir += mr) {
            const int64_t mb = mxt_min64(mr, m - ir);
            const MXT_MACRO_T *a = ap + ir * k;
            MXT_MACRO_T *cc = c + ir + jr * ldc;
            if (mb == mr && nb == nr) {
                ukr(k, a, b, cc, ldc, alpha, beta);
                continue;
            }
            /* A partial row tile: the narrowest edge kernel that covers mb rows. */
            MXT_MACRO_FN f = ukr;
            int64_t rows = mr;
            if (mb < mr && edge_rows > 0) {
                const int64_t v = (mb + edge_rows - 1) / edge_rows;
                if (v < 3 && edges[v]) f = edges[v], rows = v * edge_rows;
            }
            if (rows == mb && nb == nr) {
                f(k, a, b, cc, ldc, alpha, beta);
                continue;
            }
            f(k, a, b, tile, mr, alpha, (MXT_MACRO_T)0);
            for (int64_t j = 0; j < nb; j++) {
                MXT_MACRO_T *cj = cc + j * ldc;
                const MXT_MACRO_T *tj = tile + j * mr;
                if (beta == (MXT_MACRO_T)0)
                    for (int64_t i = 0; i < mb; i++)
                        cj[i] = tj[i];
                else
                    for (int64_t i = 0; i < mb; i++)
                        cj[i] = tj[i] + beta * cj[i];
            }
        }
    }
}

#undef MXT_MACRO_T
#undef MXT_MACRO_FN
#undef MXT_MACRO_UKR
#undef MXT_MACRO_EDGE
#undef MXT_MACRO_NAME
