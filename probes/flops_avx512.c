/* FMA-throughput kernels at 512 bits (probes/), compiled with -mavx512f. */
#include <immintrin.h>
#include "flops_kernels.h"

#define FMA _mm512_fmadd_ps
MXT_FMA_BODY(zps, __m512, _mm512_set1_ps, FMA, _mm512_add_ps, _mm512_storeu_ps, float)
#undef FMA
#define FMA _mm512_fmadd_pd
MXT_FMA_BODY(zpd, __m512d, _mm512_set1_pd, FMA, _mm512_add_pd, _mm512_storeu_pd, double)
#undef FMA

#define W_ZPS(n) MXT_FMA_WRAP(zps, n)
#define W_ZPD(n) MXT_FMA_WRAP(zpd, n)
MXT_FMA_CHAINS(W_ZPS)
MXT_FMA_CHAINS(W_ZPD)
#define N_OF(n) n,
#define F_ZPS(n) zps_##n,
#define F_ZPD(n) zpd_##n,

static const struct mxt_fma_set sets[] = {
    {512, 0, 16, {MXT_FMA_CHAINS(N_OF)}, {MXT_FMA_CHAINS(F_ZPS)}},
    {512, 1, 8, {MXT_FMA_CHAINS(N_OF)}, {MXT_FMA_CHAINS(F_ZPD)}},
};

int mxt_fma_sets_avx512(const struct mxt_fma_set **out) {
    *out = sets;
    return 2;
}
