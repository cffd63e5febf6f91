/* Body of the AVX-512 f64 micro-kernels, included by each ukernel_avx512_f64_<mr>x<nr>.c
 * after it defines MXT_UKR_MV (zmm vectors per column, mr = 8 * MV), MXT_UKR_NR and
 * MXT_UKR_NAME. Broadcast-FMA register blocking: all MV x NR accumulators live in zmm
 * registers for the whole k loop; A comes as aligned vectors, B as broadcasts. */
#include <immintrin.h>
#include "mxt_kernels.h"

#if !defined(MXT_UKR_MV) || !defined(MXT_UKR_NR) || !defined(MXT_UKR_NAME)
#error "define MXT_UKR_MV, MXT_UKR_NR and MXT_UKR_NAME before including this body"
#endif

#define MXT_UKR_MR (8 * MXT_UKR_MV)

/* One rank-1 update acc += a[0:mr] * b[0:nr], plus a prefetch of the A lines needed
 * MXT_UKR_PF_STEPS updates later (the packed A micro-panel streams from L2; the B
 * micro-panel stays in L1). The loops have constant trip counts and are fully
 * unrolled, so the accumulator array is scalarized into registers. */
#define MXT_UKR_STEP(a_, b_)                                                                       \
    do {                                                                                           \
        __m512d av_[MXT_UKR_MV];                                                                   \
        MXT_UNROLL for (int i_ = 0; i_ < MXT_UKR_MV; i_++) {                                       \
            av_[i_] = _mm512_load_pd((a_) + 8 * i_);                                               \
            _mm_prefetch((const char *)((a_) + MXT_UKR_PF_STEPS * MXT_UKR_MR + 8 * i_),            \
                         _MM_HINT_T0);                                                             \
        }                                                                                          \
        MXT_UNROLL for (int j_ = 0; j_ < MXT_UKR_NR; j_++) {                                       \
            const __m512d bj_ = _mm512_set1_pd((b_)[j_]);                                          \
            MXT_UNROLL for (int i_ = 0; i_ < MXT_UKR_MV; i_++) acc[i_][j_] =                       \
                _mm512_fmadd_pd(av_[i_], bj_, acc[i_][j_]);                                        \
        }                                                                                          \
    } while (0)

void MXT_UKR_NAME(int64_t k, const double *restrict a, const double *restrict b, double *restrict c,
                  int64_t ldc, double alpha, double beta) {
    __m512d acc[MXT_UKR_MV][MXT_UKR_NR];
    MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
        MXT_UNROLL for (int i = 0; i < MXT_UKR_MV; i++) acc[i][j] = _mm512_setzero_pd();
    }
    /* Ask for the C tile now so that it is in L1 when the k loop ends. */
    MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
        _mm_prefetch((const char *)(c + j * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + j * ldc + MXT_UKR_MR - 1), _MM_HINT_T0);
    }
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        MXT_UKR_STEP(a, b);
        MXT_UKR_STEP(a + MXT_UKR_MR, b + MXT_UKR_NR);
        MXT_UKR_STEP(a + 2 * MXT_UKR_MR, b + 2 * MXT_UKR_NR);
        MXT_UKR_STEP(a + 3 * MXT_UKR_MR, b + 3 * MXT_UKR_NR);
        a += 4 * MXT_UKR_MR;
        b += 4 * MXT_UKR_NR;
    }
    for (; p < k; p++) {
        MXT_UKR_STEP(a, b);
        a += MXT_UKR_MR;
        b += MXT_UKR_NR;
    }
    const __m512d va = _mm512_set1_pd(alpha);
    if (beta == 0.0) { /* C is not read: NaN or Inf in C must not survive */
        MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
            MXT_UNROLL for (int i = 0; i < MXT_UKR_MV; i++)
                _mm512_storeu_pd(c + j * ldc + 8 * i, _mm512_mul_pd(va, acc[i][j]));
        }
    } else if (beta == 1.0) {
        MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
            MXT_UNROLL for (int i = 0; i < MXT_UKR_MV; i++) {
                double *cp = c + j * ldc + 8 * i;
                _mm512_storeu_pd(cp, _mm512_fmadd_pd(va, acc[i][j], _mm512_loadu_pd(cp)));
            }
        }
    } else {
        const __m512d vb = _mm512_set1_pd(beta);
        MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
            MXT_UNROLL for (int i = 0; i < MXT_UKR_MV; i++) {
                double *cp = c + j * ldc + 8 * i;
                _mm512_storeu_pd(
                    cp, _mm512_fmadd_pd(va, acc[i][j], _mm512_mul_pd(vb, _mm512_loadu_pd(cp))));
            }
        }
    }
}

#undef MXT_UKR_STEP
#undef MXT_UKR_MR
