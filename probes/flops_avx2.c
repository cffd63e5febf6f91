/* FMA-throughput kernels at 128 and 256 bits (probes/), compiled with -mavx2 -mfma. */
#include <immintrin.h>
#include "flops_kernels.h"

#define FMA _mm256_fmadd_ps
MXT_FMA_BODY(yps, __m256, _mm256_set1_ps, FMA, _mm256_add_ps, _mm256_storeu_ps, float)
#undef FMA
#define FMA _mm256_fmadd_pd
MXT_FMA_BODY(ypd, __m256d, _mm256_set1_pd, FMA, _mm256_add_pd, _mm256_storeu_pd, double)
#undef FMA
#define FMA _mm_fmadd_ps
MXT_FMA_BODY(xps, __m128, _mm_set1_ps, FMA, _mm_add_ps, _mm_storeu_ps, float)
#undef FMA
#define FMA _mm_fmadd_pd
MXT_FMA_BODY(xpd, __m128d, _mm_set1_pd, FMA, _mm_add_pd, _mm_storeu_pd, double)
#undef FMA

#define W_YPS(n) MXT_FMA_WRAP(yps, n)
#define W_YPD(n) MXT_FMA_WRAP(ypd, n)
#define W_XPS(n) MXT_FMA_WRAP(xps, n)
#define W_XPD(n) MXT_FMA_WRAP(xpd, n)
MXT_FMA_CHAINS(W_YPS)
MXT_FMA_CHAINS(W_YPD)
MXT_FMA_CHAINS(W_XPS)
MXT_FMA_CHAINS(W_XPD)
#define N_OF(n) n,
#define F_YPS(n) yps_##n,
#define F_YPD(n) ypd_##n,
#define F_XPS(n) xps_##n,
#define F_XPD(n) xpd_##n,

static const struct mxt_fma_set sets[] = {
    {128, 0, 4, {MXT_FMA_CHAINS(N_OF)}, {MXT_FMA_CHAINS(F_XPS)}},
    {128, 1, 2, {MXT_FMA_CHAINS(N_OF)}, {MXT_FMA_CHAINS(F_XPD)}},
    {256, 0, 8, {MXT_FMA_CHAINS(N_OF)}, {MXT_FMA_CHAINS(F_YPS)}},
    {256, 1, 4, {MXT_FMA_CHAINS(N_OF)}, {MXT_FMA_CHAINS(F_YPD)}},
};

int mxt_fma_sets_avx2(const struct mxt_fma_set **out) {
    *out = sets;
    return 4;
}
