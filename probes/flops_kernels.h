/* FMA-throughput kernels, instantiated once per vector width in a source file
 * compiled with that ISA's flags (flops_avx2.c, flops_avx512.c). Each kernel
 * runs N independent accumulator chains, 4 FMAs per chain per iteration:
 * N = 1 exposes the FMA latency, enough chains saturate the FMA ports. */
#ifndef MXT_FLOPS_KERNELS_H
#define MXT_FLOPS_KERNELS_H

#include <stdint.h>

typedef void (*mxt_fma_kernel)(void *sink, uint64_t iters);

/* Chain counts offered by every width. */
#define MXT_FMA_CHAINS(X) X(1) X(2) X(3) X(4) X(5) X(6) X(8) X(10) X(12) X(16)
#define MXT_FMA_NCHAINS 10
#define MXT_FMA_UNROLL 4

struct mxt_fma_set {
    int bits;  /* 128, 256, 512 */
    int dtype; /* 0 f32, 1 f64 */
    int lanes;
    int chains[MXT_FMA_NCHAINS];
    mxt_fma_kernel fn[MXT_FMA_NCHAINS];
};

/* Defined in the ISA files; n_out receives how many sets they provide. */
int mxt_fma_sets_avx2(const struct mxt_fma_set **sets);
int mxt_fma_sets_avx512(const struct mxt_fma_set **sets);

/* clang-format off: its layout of this macro is not stable from run to run */
// clang-format off
/* Body generator: VT vector type, SET1, FMA intrinsic, ST store, ET element. */
#define MXT_FMA_STEP(k)                                                                            \
    if (N > k) a##k = FMA(a##k, b, c);
#define MXT_FMA_BODY(NAME, VT, SET1, FMA, ADD, STORE, ET)                                          \
    static inline                                                                                  \
        __attribute__((always_inline)) void NAME##_body(void *sink, uint64_t iters, const int N) { \
        VT b = SET1((ET)0.9999999), c = SET1((ET)1e-7);                                            \
        /* Distinct starting values, so the compiler cannot merge chains. */                       \
        VT a0 = SET1((ET)1.00), a1 = SET1((ET)1.01), a2 = SET1((ET)1.02), a3 = SET1((ET)1.03);     \
        VT a4 = SET1((ET)1.04), a5 = SET1((ET)1.05), a6 = SET1((ET)1.06), a7 = SET1((ET)1.07);     \
        VT a8 = SET1((ET)1.08), a9 = SET1((ET)1.09), a10 = SET1((ET)1.10), a11 = SET1((ET)1.11);   \
        VT a12 = SET1((ET)1.12), a13 = SET1((ET)1.13), a14 = SET1((ET)1.14);                       \
        VT a15 = SET1((ET)1.15);                                                                   \
        for (uint64_t i = 0; i < iters; i++) {                                                     \
            _Pragma("GCC unroll 4") for (int u = 0; u < MXT_FMA_UNROLL; u++) {                     \
                MXT_FMA_STEP(0)                                                                    \
                MXT_FMA_STEP(1)                                                                    \
                MXT_FMA_STEP(2)                                                                    \
                MXT_FMA_STEP(3)                                                                    \
                MXT_FMA_STEP(4)                                                                    \
                MXT_FMA_STEP(5) MXT_FMA_STEP(6) MXT_FMA_STEP(7) MXT_FMA_STEP(8) MXT_FMA_STEP(9)    \
                    MXT_FMA_STEP(10) MXT_FMA_STEP(11) MXT_FMA_STEP(12) MXT_FMA_STEP(13)            \
                        MXT_FMA_STEP(14) MXT_FMA_STEP(15)                                          \
            }                                                                                      \
        }                                                                                          \
        a0 = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                    \
        a8 = ADD(ADD(ADD(a8, a9), ADD(a10, a11)), ADD(ADD(a12, a13), ADD(a14, a15)));              \
        STORE((ET *)sink, ADD(a0, a8));                                                            \
    }

// clang-format on
#define MXT_FMA_WRAP(NAME, n)                                                                      \
    static void NAME##_##n(void *sink, uint64_t iters) {                                           \
        NAME##_body(sink, iters, n);                                                               \
    }

#endif
