/* AVX-512 Rosko micro-kernels (kernels/): for each kept column of a packed tile the
 * nr-wide B row (1 to 4 zmm) stays in registers and each nonzero does one FMA per
 * vector, its value broadcast from memory, into the C tile row its index selects. */
#include <immintrin.h>
#include "mxt_spmm.h"

/* B rows of the column this many kept columns ahead are prefetched: their
 * addresses are known from the tile, unlike anything a hardware prefetcher sees. */
#define PF_COLS 8

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* C row cr (V aligned vectors) += v * bv. */
static ALWAYS_INLINE void row_fma(float *cr, const float *v, const __m512 *bv, const int V) {
    const __m512 vb = _mm512_set1_ps(*v);
    for (int i = 0; i < V; i++)
        _mm512_store_ps(cr + 16 * i, _mm512_fmadd_ps(vb, bv[i], _mm512_load_ps(cr + 16 * i)));
}

/* C rows are indexed at run time, so the mr x nr accumulators live in the C tile (in
 * L1) rather than in registers: one load, FMA and store per vector and nonzero.
 * A column's count is data, and a loop over it mispredicts its exit about once per
 * column; with slots == 2 the second nonzero is done without a branch (into the
 * scratch row mr when the column has only one), so only counts above 2 loop. */
static ALWAYS_INLINE void spmm_avx512(const unsigned char *tile, const float *restrict b,
                                      float *restrict c, const int mr, const int V,
                                      const int slots) {
    struct mxt_rosko_tile t;
    mxt_rosko_tile_view(tile, &t);
    const size_t nr = 16 * (size_t)V;
    const uint32_t nc = t.ncols;
    const uint32_t *cols = t.cols;
    const uint8_t *cnts = t.cnts, *rows = t.rows;
    const float *vals = t.vals;
    for (uint32_t q = 0; q < nc; q++) {
        const float *br = b + (size_t)cols[q] * nr;
        const uint32_t qp = q + PF_COLS < nc ? q + PF_COLS : q;
        const char *pf = (const char *)(b + (size_t)cols[qp] * nr);
        for (int i = 0; i < V; i++)
            _mm_prefetch(pf + 64 * i, _MM_HINT_T0);
        __m512 bv[4];
        for (int i = 0; i < V; i++)
            bv[i] = _mm512_loadu_ps(br + 16 * i);
        const unsigned n = cnts[q];
        row_fma(c + (size_t)rows[0] * nr, vals, bv, V);
        unsigned e = 1;
        if (slots == 2) {
            /* row 1, or the scratch row mr: selected with a mask, since compilers turn
             * the plain conditional into the very branch this slot is meant to avoid */
            const size_t keep = (size_t)0 - (size_t)(n > 1);
            const size_t r1 = ((size_t)rows[1] & keep) | ((size_t)mr & ~keep);
            row_fma(c + r1 * nr, vals + 1, bv, V);
            e = 2;
        }
        for (; e < n; e++)
            row_fma(c + (size_t)rows[e] * nr, vals + e, bv, V);
        rows += n;
        vals += n;
    }
}

/* Two slots pay a wasted row update for every column with one nonzero, one slot a
 * likely misprediction for every column with more: the tile's average count (nnz /
 * kept columns) picks, two slots from 1.5 nonzeros per column on. */
static ALWAYS_INLINE void spmm_dispatch(const unsigned char *tile, const float *restrict b,
                                        float *restrict c, const int mr, const int V) {
    uint32_t h[2];
    memcpy(h, tile, 8);
    if (2 * (uint64_t)h[1] >= 3 * (uint64_t)h[0])
        spmm_avx512(tile, b, c, mr, V, 2);
    else
        spmm_avx512(tile, b, c, mr, V, 1);
}

void mxt_spmm_ukr_avx512_16(const unsigned char *tile, const float *restrict b, float *restrict c,
                            int mr) {
    spmm_dispatch(tile, b, c, mr, 1);
}

void mxt_spmm_ukr_avx512_32(const unsigned char *tile, const float *restrict b, float *restrict c,
                            int mr) {
    spmm_dispatch(tile, b, c, mr, 2);
}

void mxt_spmm_ukr_avx512_48(const unsigned char *tile, const float *restrict b, float *restrict c,
                            int mr) {
    spmm_dispatch(tile, b, c, mr, 3);
}

void mxt_spmm_ukr_avx512_64(const unsigned char *tile, const float *restrict b, float *restrict c,
                            int mr) {
    spmm_dispatch(tile, b, c, mr, 4);
}
