/* The macro-kernel's jr/ir loops for one element type (kernels/macro.c includes
 * it once per dtype): one micro-kernel call per mr x nr tile of C; edge tiles go
 * through a buffer and are merged, so C is only touched inside [0, m) x [0, n). */
#include "mxt_kernels.h"

#if !defined(MXT_MACRO_T) || !defined(MXT_MACRO_FN) || !defined(MXT_MACRO_UKR) ||                  \
    !defined(MXT_MACRO_EDGE) || !defined(MXT_MACRO_PA) || !defined(MXT_MACRO_NAME)
#error "define MXT_MACRO_T, _FN, _UKR, _EDGE, _PA and MXT_MACRO_NAME first"
#endif

#define MXT_MACRO_CAT_(x, y) x##y
#define MXT_MACRO_CAT(x, y) MXT_MACRO_CAT_(x, y)
#define MXT_MACRO_TILE MXT_MACRO_CAT(MXT_MACRO_NAME, _tile)
#define MXT_MACRO_FIRST_PA MXT_MACRO_CAT(MXT_MACRO_NAME, _first_pa)

/* One mb x nb tile of C at cc from micro-panels a and b: the full kernel, else the
 * narrowest edge kernel that covers mb rows, through the buffer when it would
 * write outside the tile. */
static inline void MXT_MACRO_TILE(const struct mxt_gemm_plan *plan, int64_t mb, int64_t nb,
                                  int64_t k, const MXT_MACRO_T *a, const MXT_MACRO_T *b,
                                  MXT_MACRO_T *cc, MXT_MACRO_T beta) {
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t ldc = plan->prob.ldc;
    const MXT_MACRO_T alpha = (MXT_MACRO_T)plan->prob.alpha;
    const MXT_MACRO_FN ukr = plan->ukr->MXT_MACRO_UKR;
    if (mb == mr && nb == nr) {
        ukr(k, a, b, cc, ldc, alpha, beta);
        return;
    }
    const MXT_MACRO_FN *edges = plan->ukr->MXT_MACRO_EDGE;
    const int64_t edge_rows = plan->ukr->edge_rows;
    MXT_MACRO_FN f = ukr;
    int64_t rows = mr;
    if (mb < mr && edge_rows > 0) {
        const int64_t v = (mb + edge_rows - 1) / edge_rows;
        if (v < 3 && edges[v]) f = edges[v], rows = v * edge_rows;
    }
    if (rows == mb && nb == nr) {
        f(k, a, b, cc, ldc, alpha, beta);
        return;
    }
    _Alignas(64) MXT_MACRO_T tile[MXT_TILE_MAX];
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

/* Column strips [jr0, n) of the block: jr outside, ir inside. */
static void MXT_MACRO_NAME(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                           const MXT_MACRO_T *ap, const MXT_MACRO_T *bp, MXT_MACRO_T *c,
                           MXT_MACRO_T beta, int64_t jr0) {
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t ldc = plan->prob.ldc;
    for (int64_t jr = jr0; jr < n; jr += nr) {
        const int64_t nb = mxt_min64(nr, n - jr);
        for (int64_t ir = 0; ir < m; ir += mr)
            MXT_MACRO_TILE(plan, mxt_min64(mr, m - ir), nb, k, ap + ir * k, bp + jr * k,
                           c + ir + jr * ldc, beta);
    }
}

/* The first column strip (full: n >= nr) with the packing variant: each full row
 * tile packs its micro-panel from A's source columns (asrc, column stride lda)
 * while it computes; a partial last one must already be packed in ap. */
static void MXT_MACRO_FIRST_PA(const struct mxt_gemm_plan *plan, int64_t m, int64_t k,
                               const MXT_MACRO_T *asrc, int64_t lda, MXT_MACRO_T *ap,
                               const MXT_MACRO_T *bp, MXT_MACRO_T *c, MXT_MACRO_T beta) {
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    for (int64_t ir = 0; ir < m; ir += mr) {
        if (m - ir >= mr)
            plan->ukr->MXT_MACRO_PA(k, asrc + ir, lda, ap + ir * k, bp, c + ir, plan->prob.ldc,
                                    (MXT_MACRO_T)plan->prob.alpha, beta);
        else
            MXT_MACRO_TILE(plan, m - ir, nr, k, ap + ir * k, bp, c + ir, beta);
    }
}

#undef MXT_MACRO_TILE
#undef MXT_MACRO_FIRST_PA
#undef MXT_MACRO_CAT
#undef MXT_MACRO_CAT_
#undef MXT_MACRO_T
#undef MXT_MACRO_FN
#undef MXT_MACRO_UKR
#undef MXT_MACRO_EDGE
#undef MXT_MACRO_PA
#undef MXT_MACRO_NAME
