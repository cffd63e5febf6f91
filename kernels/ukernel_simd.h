/* The body of every SIMD micro-kernel (kernels/), written once over a small set
 * of vector operations. An ISA header (ukernel_<isa>_<dtype>.h) defines them --
 * MXT_SIMD_V (vector type), MXT_SIMD_E (element type), MXT_SIMD_W (lanes),
 * MXT_SIMD_LOAD/LOADU/STOREU/SET1/FMA/MUL/ZERO -- and each kernel file defines
 * MXT_UKR_MV (vectors per column, mr = W * MV), MXT_UKR_NR and MXT_UKR_NAME.
 * Broadcast-FMA register blocking: all MV x NR accumulators live in registers for
 * the whole k loop; A comes as aligned vectors, B as broadcasts. */
#include <immintrin.h>
#include "mxt_kernels.h"

#if !defined(MXT_SIMD_V) || !defined(MXT_SIMD_E) || !defined(MXT_SIMD_W)
#error "include an ukernel_<isa>_<dtype>.h header, not this body"
#endif
#if !defined(MXT_UKR_MV) || !defined(MXT_UKR_NR) || !defined(MXT_UKR_NAME) || !defined(MXT_UKR_CAT)
#error "include this body through ukernel_family.h, with MXT_UKR_MV, MXT_UKR_NR and MXT_UKR_NAME"
#endif

#define MXT_UKR_MR (MXT_SIMD_W * MXT_UKR_MV)
/* Elements of packed A per k step: mr, or a wider kernel's mr for its edge kernels
 * (ukernel_family.h), which compute the first MV vectors of rows of its panels. */
#ifndef MXT_UKR_ASTEP
#define MXT_UKR_ASTEP MXT_UKR_MR
#define MXT_UKR_ASTEP_DEFAULT
#endif

/* One rank-1 update acc += a[0:mr] * b[0:nr] (update s_ of a group of 4), plus a
 * prefetch of the A lines needed MXT_UKR_PF_STEPS updates later (the packed A
 * micro-panel streams from L2; the B micro-panel stays in L1). With fused_ set,
 * A comes from its source (column s_ at a + s_ * lda, mr contiguous elements,
 * prefetched MXT_UKR_SRC_PF_STEPS columns ahead, the last element too since the
 * column need not start on a line) and is stored into the packed micro-panel at
 * apk as it goes. The loops have constant trip counts and are fully unrolled, so
 * the accumulator array is scalarized into registers.
 * The empty asm statements keep each broadcast and A vector alive until its last
 * FMA has been issued: otherwise GCC 12 writes some FMA results into the dying
 * input's register, the accumulators change registers from step to step, and the
 * unrolled loop of a 24-accumulator kernel needed 6-7 register moves and 6-10
 * stack accesses per 4 steps (none with the statements; 177 instead of 189
 * instructions per 4 steps for f64 24x8). On the 16-core Xeon that was worth 5-9 %
 * for f64 2048^3 and 1-6 % for f32 4096^3 at 8-16 threads (docs/benchmarks.md); on
 * the Zen 5 guest no difference showed on one thread. */
#define MXT_UKR_STEP(s_, fused_)                                                                   \
    do {                                                                                           \
        MXT_SIMD_V av_[MXT_UKR_MV];                                                                \
        MXT_UNROLL for (int i_ = 0; i_ < MXT_UKR_MV; i_++) {                                       \
            if (fused_) {                                                                          \
                const MXT_SIMD_E *src_ = a + (s_)*lda + MXT_SIMD_W * i_;                           \
                av_[i_] = MXT_SIMD_LOADU(src_);                                                    \
                MXT_SIMD_STOREU(apk + (s_)*MXT_UKR_ASTEP + MXT_SIMD_W * i_, av_[i_]);              \
                _mm_prefetch((const char *)(src_ + MXT_UKR_SRC_PF_STEPS * lda), _MM_HINT_T0);      \
                if (i_ == MXT_UKR_MV - 1)                                                          \
                    _mm_prefetch(                                                                  \
                        (const char *)(a + (s_ + MXT_UKR_SRC_PF_STEPS) * lda + MXT_UKR_MR - 1),    \
                        _MM_HINT_T0);                                                              \
            } else {                                                                               \
                const MXT_SIMD_E *pa_ = a + (s_)*MXT_UKR_ASTEP + MXT_SIMD_W * i_;                  \
                av_[i_] = MXT_SIMD_LOAD(pa_);                                                      \
                _mm_prefetch((const char *)(pa_ + MXT_UKR_PF_STEPS * MXT_UKR_ASTEP), _MM_HINT_T0); \
            }                                                                                      \
        }                                                                                          \
        MXT_UNROLL for (int j_ = 0; j_ < MXT_UKR_NR; j_++) {                                       \
            const MXT_SIMD_V bj_ = MXT_SIMD_SET1(b[(s_)*MXT_UKR_NR + j_]);                         \
            MXT_UNROLL for (int i_ = 0; i_ < MXT_UKR_MV; i_++) acc[i_][j_] =                       \
                MXT_SIMD_FMA(av_[i_], bj_, acc[i_][j_]);                                           \
            if (MXT_UKR_MV > 1) __asm__("" ::"v"(bj_));                                            \
        }                                                                                          \
        if (MXT_UKR_MV > 1) {                                                                      \
            MXT_UNROLL for (int i_ = 0; i_ < MXT_UKR_MV; i_++) __asm__("" ::"v"(av_[i_]));         \
        }                                                                                          \
    } while (0)

/* The body, once for the kernel and once for its packing variant (fused constant). */
static inline __attribute__((always_inline)) void
MXT_UKR_CAT(MXT_UKR_NAME, _body)(int64_t k, const MXT_SIMD_E *restrict a, int64_t lda,
                                 MXT_SIMD_E *restrict apk, const MXT_SIMD_E *restrict b,
                                 MXT_SIMD_E *restrict c, int64_t ldc, MXT_SIMD_E alpha,
                                 MXT_SIMD_E beta, const int fused) {
    MXT_SIMD_V acc[MXT_UKR_MV][MXT_UKR_NR];
    MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
        MXT_UNROLL for (int i = 0; i < MXT_UKR_MV; i++) acc[i][j] = MXT_SIMD_ZERO();
    }
    /* The C tile (every line of each column: MXT_UKR_CL prefetches a column, at each
     * 64-byte step and at its last element) is asked for one line per 4 updates from
     * the middle of the k loop on: late enough that A's stream through L1 does not
     * evict it before the end, spread so that its misses do not take every L1 miss
     * buffer at once while A streams from L2. When k is too short for that, every
     * line is asked for now. */
    enum { MXT_UKR_LE = 64 / (int)sizeof(MXT_SIMD_E), MXT_UKR_CL = MXT_UKR_MR / MXT_UKR_LE + 1 };
#define MXT_UKR_CLINE(l_)                                                                          \
    (c + (l_) / MXT_UKR_CL * ldc +                                                                 \
     ((l_) % MXT_UKR_CL * MXT_UKR_LE < MXT_UKR_MR ? (l_) % MXT_UKR_CL * MXT_UKR_LE                 \
                                                  : MXT_UKR_MR - 1))
    int64_t c_from = k / 2;
    if ((k - c_from) / 4 < MXT_UKR_CL * MXT_UKR_NR) {
        MXT_UNROLL for (int l = 0; l < MXT_UKR_CL * MXT_UKR_NR; l++)
            _mm_prefetch((const char *)MXT_UKR_CLINE(l), _MM_HINT_T0);
        c_from = k; /* nothing left to ask for in the loop */
    }
    const int64_t astride = fused ? lda : MXT_UKR_ASTEP; /* elements of a per update */
    int cl = 0;                                          /* C lines asked for so far in the loop */
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
        if (p >= c_from && cl < MXT_UKR_CL * MXT_UKR_NR) {
            _mm_prefetch((const char *)MXT_UKR_CLINE(cl), _MM_HINT_T0);
            cl++;
        }
        MXT_UKR_STEP(0, fused);
        MXT_UKR_STEP(1, fused);
        MXT_UKR_STEP(2, fused);
        MXT_UKR_STEP(3, fused);
        a += 4 * astride;
        if (fused) apk += 4 * MXT_UKR_ASTEP; /* apk is NULL otherwise */
        b += 4 * MXT_UKR_NR;
    }
    for (; p < k; p++) {
        MXT_UKR_STEP(0, fused);
        a += astride;
        if (fused) apk += MXT_UKR_ASTEP;
        b += MXT_UKR_NR;
    }
    const MXT_SIMD_V va = MXT_SIMD_SET1(alpha);
    if (beta == 0) { /* C is not read: NaN or Inf in C must not survive */
        MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
            MXT_UNROLL for (int i = 0; i < MXT_UKR_MV; i++)
                MXT_SIMD_STOREU(c + j * ldc + MXT_SIMD_W * i, MXT_SIMD_MUL(va, acc[i][j]));
        }
    } else if (beta == 1) {
        MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
            MXT_UNROLL for (int i = 0; i < MXT_UKR_MV; i++) {
                MXT_SIMD_E *cp = c + j * ldc + MXT_SIMD_W * i;
                MXT_SIMD_STOREU(cp, MXT_SIMD_FMA(va, acc[i][j], MXT_SIMD_LOADU(cp)));
            }
        }
    } else {
        const MXT_SIMD_V vb = MXT_SIMD_SET1(beta);
        MXT_UNROLL for (int j = 0; j < MXT_UKR_NR; j++) {
            MXT_UNROLL for (int i = 0; i < MXT_UKR_MV; i++) {
                MXT_SIMD_E *cp = c + j * ldc + MXT_SIMD_W * i;
                MXT_SIMD_STOREU(cp,
                                MXT_SIMD_FMA(va, acc[i][j], MXT_SIMD_MUL(vb, MXT_SIMD_LOADU(cp))));
            }
        }
    }
}

void MXT_UKR_NAME(int64_t k, const MXT_SIMD_E *restrict a, const MXT_SIMD_E *restrict b,
                  MXT_SIMD_E *restrict c, int64_t ldc, MXT_SIMD_E alpha, MXT_SIMD_E beta) {
    MXT_UKR_CAT(MXT_UKR_NAME, _body)(k, a, 0, NULL, b, c, ldc, alpha, beta, 0);
}

#ifdef MXT_UKR_PA_NAME
/* The packing variant (mxt_kernels.h, mxt_ukr_*_pa_kernel): the same tile, A read
 * from its source columns and packed on the way. */
void MXT_UKR_PA_NAME(int64_t k, const MXT_SIMD_E *restrict asrc, int64_t lda,
                     MXT_SIMD_E *restrict apk, const MXT_SIMD_E *restrict b, MXT_SIMD_E *restrict c,
                     int64_t ldc, MXT_SIMD_E alpha, MXT_SIMD_E beta) {
    MXT_UKR_CAT(MXT_UKR_NAME, _body)(k, asrc, lda, apk, b, c, ldc, alpha, beta, 1);
}
#endif

#undef MXT_UKR_STEP
#undef MXT_UKR_CLINE
#undef MXT_UKR_MR
#ifdef MXT_UKR_ASTEP_DEFAULT
#undef MXT_UKR_ASTEP
#undef MXT_UKR_ASTEP_DEFAULT
#endif
#undef MXT_SIMD_V
#undef MXT_SIMD_E
#undef MXT_SIMD_W
#undef MXT_SIMD_LOAD
#undef MXT_SIMD_LOADU
#undef MXT_SIMD_STOREU
#undef MXT_SIMD_SET1
#undef MXT_SIMD_FMA
#undef MXT_SIMD_MUL
#undef MXT_SIMD_ZERO
