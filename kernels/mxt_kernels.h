/* Internal interface of kernels/: micro-kernel signatures and registry, packing,
 * the thread team, and the plan that the GEMM drivers (Goto, CAKE) execute.
 * Not part of the public API (that is include/mxtune/gemm.h). */
#ifndef MXT_KERNELS_H
#define MXT_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include "mxtune/config.h"
#include "mxtune/gemm.h"

#define MXT_UNROLL _Pragma("GCC unroll 32")

/* Prefetch distance of the packed A stream in the SIMD micro-kernels, in k steps. */
#ifndef MXT_UKR_PF_STEPS
#define MXT_UKR_PF_STEPS 8
#endif
/* Prefetch distance of A's source columns in the packing variants, in k steps. */
#ifndef MXT_UKR_SRC_PF_STEPS
#define MXT_UKR_SRC_PF_STEPS 16
#endif

/* Largest register tile mr * nr in the registry (elements): the macro-kernel's edge buffer. */
#define MXT_TILE_MAX 512

/* Alignment of every packed buffer (bytes): one cache line, one zmm register. */
#define MXT_PACK_ALIGN 64

/* A micro-kernel: C[0:mr, 0:nr] = alpha * Ap * Bp + beta * C, where Ap is a packed
 * mr x k micro-panel (element (i, p) at a[p*mr + i], 64-byte aligned), Bp a packed
 * k x nr micro-panel (element (p, j) at b[p*nr + j]), and C column-major with
 * leading dimension ldc (C(i, j) at c[i + j*ldc]). beta == 0: C is not read. */
typedef void mxt_ukr_f32_kernel(int64_t k, const float *restrict a, const float *restrict b,
                                float *restrict c, int64_t ldc, float alpha, float beta);
typedef void mxt_ukr_f64_kernel(int64_t k, const double *restrict a, const double *restrict b,
                                double *restrict c, int64_t ldc, double alpha, double beta);
typedef mxt_ukr_f32_kernel *mxt_ukr_f32_fn;
typedef mxt_ukr_f64_kernel *mxt_ukr_f64_fn;
/* The packing variant of a full-tile SIMD micro-kernel: the same tile, with A read
 * from its source, column p of the micro-panel at asrc + p*lda (mr contiguous
 * elements, any alignment), and stored into the packed micro-panel apk (as
 * mxt_pack_a would) on the way. The first column strip of a block runs it, so A's
 * packing overlaps with arithmetic instead of preceding it. */
typedef void mxt_ukr_f32_pa_kernel(int64_t k, const float *restrict asrc, int64_t lda,
                                   float *restrict apk, const float *restrict b, float *restrict c,
                                   int64_t ldc, float alpha, float beta);
typedef void mxt_ukr_f64_pa_kernel(int64_t k, const double *restrict asrc, int64_t lda,
                                   double *restrict apk, const double *restrict b,
                                   double *restrict c, int64_t ldc, double alpha, double beta);

struct mxt_ukr {
    struct mxt_kernel_info info;
    mxt_ukr_f32_fn f32; /* set when info.dtype == MXT_F32 */
    mxt_ukr_f64_fn f64; /* set when info.dtype == MXT_F64 */
    /* Edge kernels (ukernel_family.h): [v] computes the first v * edge_rows rows of
     * the same packed A micro-panel, for a partial row tile; NULL where none. */
    int edge_rows;
    mxt_ukr_f32_fn f32_edge[3];
    mxt_ukr_f64_fn f64_edge[3];
    /* The packing variant (SIMD kernels); NULL where none. */
    mxt_ukr_f32_pa_kernel *f32_pa;
    mxt_ukr_f64_pa_kernel *f64_pa;
};

/* The registered kernel for (concrete isa, dtype, mr, nr), or NULL. */
const struct mxt_ukr *mxt_ukr_find(enum mxt_isa isa, enum mxt_dtype dtype, int mr, int nr);
/* The default kernel of (concrete isa, dtype): the first registered one. */
const struct mxt_ukr *mxt_ukr_default(enum mxt_isa isa, enum mxt_dtype dtype);

/* The micro-kernels, one per file ukernel_<isa>_<dtype>_<mr>x<nr>.c, and the edge
 * kernels _e1, _e2 and packing variants _pa of the SIMD ones (ukernel_family.h). */
mxt_ukr_f32_kernel mxt_ukr_generic_f32_8x4;
mxt_ukr_f64_kernel mxt_ukr_generic_f64_4x4;
#ifdef MXT_KERNELS_X86
mxt_ukr_f32_kernel mxt_ukr_avx512_f32_32x12, mxt_ukr_avx512_f32_32x12_e1;
mxt_ukr_f32_kernel mxt_ukr_avx512_f32_48x8, mxt_ukr_avx512_f32_48x8_e1, mxt_ukr_avx512_f32_48x8_e2;
mxt_ukr_f32_kernel mxt_ukr_avx512_f32_32x6, mxt_ukr_avx512_f32_32x6_e1;
mxt_ukr_f32_kernel mxt_ukr_avx512_f32_16x14;
mxt_ukr_f64_kernel mxt_ukr_avx512_f64_24x8, mxt_ukr_avx512_f64_24x8_e1, mxt_ukr_avx512_f64_24x8_e2;
mxt_ukr_f64_kernel mxt_ukr_avx512_f64_16x12, mxt_ukr_avx512_f64_16x12_e1;
mxt_ukr_f64_kernel mxt_ukr_avx512_f64_16x6, mxt_ukr_avx512_f64_16x6_e1;
mxt_ukr_f64_kernel mxt_ukr_avx512_f64_8x14;
mxt_ukr_f32_kernel mxt_ukr_avx2_f32_16x6, mxt_ukr_avx2_f32_16x6_e1;
mxt_ukr_f32_kernel mxt_ukr_avx2_f32_24x4, mxt_ukr_avx2_f32_24x4_e1, mxt_ukr_avx2_f32_24x4_e2;
mxt_ukr_f64_kernel mxt_ukr_avx2_f64_8x6, mxt_ukr_avx2_f64_8x6_e1;
mxt_ukr_f64_kernel mxt_ukr_avx2_f64_12x4, mxt_ukr_avx2_f64_12x4_e1, mxt_ukr_avx2_f64_12x4_e2;
mxt_ukr_f32_pa_kernel mxt_ukr_avx512_f32_32x12_pa, mxt_ukr_avx512_f32_48x8_pa,
    mxt_ukr_avx512_f32_32x6_pa, mxt_ukr_avx512_f32_16x14_pa, mxt_ukr_avx2_f32_16x6_pa,
    mxt_ukr_avx2_f32_24x4_pa;
mxt_ukr_f64_pa_kernel mxt_ukr_avx512_f64_24x8_pa, mxt_ukr_avx512_f64_16x12_pa,
    mxt_ukr_avx512_f64_16x6_pa, mxt_ukr_avx512_f64_8x14_pa, mxt_ukr_avx2_f64_8x6_pa,
    mxt_ukr_avx2_f64_12x4_pa;
#endif

/* Packing (pack.c). Operands are described by strides so that both layouts and
 * both transpose cases are one code path: element (i, p) of op(A) is at
 * a[i*rs + p*cs]; (p, j) of op(B) is at b[p*rs + j*cs]. esz is 4 or 8; isa is the
 * plan's (AVX-512 plans pack with AVX-512 instructions, others with plain C).
 *
 * mxt_pack_a: rows [0, m) x columns [0, k) of op(A) into ceil(m/mr) micro-panels
 * of mr x k (panel q at dst + q*mr*k elements), rows past m zero-filled. Only
 * micro-panels [q0, q1) are written, so that threads can share one block.
 * mxt_pack_b: rows [0, k) x columns [0, n) of op(B) into ceil(n/nr) micro-panels
 * of k x nr (panel q at dst + q*nr*k), columns past n zero-filled; [q0, q1) as above. */
void mxt_pack_a(enum mxt_isa isa, size_t esz, int mr, int64_t m, int64_t k, const void *a,
                int64_t rs, int64_t cs, void *dst, int64_t q0, int64_t q1);
void mxt_pack_b(enum mxt_isa isa, size_t esz, int nr, int64_t k, int64_t n, const void *b,
                int64_t rs, int64_t cs, void *dst, int64_t q0, int64_t q1);
#ifdef MXT_KERNELS_X86
/* pack_avx512.c: dst[p*w + i] = i < nb ? line i at step p : 0, for p < k, i < w <= 64,
 * where line i at step p is src[p*ld + i] ("copy") or src[i*ld + p] ("trans"). */
void mxt_pack_copy_avx512_f32(int w, int64_t nb, int64_t k, const float *src, int64_t ld,
                              float *dst);
void mxt_pack_copy_avx512_f64(int w, int64_t nb, int64_t k, const double *src, int64_t ld,
                              double *dst);
void mxt_pack_trans_avx512_f32(int w, int64_t nb, int64_t k, const float *src, int64_t ld,
                               float *dst);
void mxt_pack_trans_avx512_f64(int w, int64_t nb, int64_t k, const double *src, int64_t ld,
                               double *dst);
#endif

/* A team of threads running one function (parallel.c): OpenMP when the build has
 * it, else POSIX threads. fn runs once per thread with tid in [0, nt); nt may be
 * smaller than asked (e.g. inside an enclosing OpenMP region), so work must be
 * split by the nt that fn receives. */
struct mxt_team;
typedef void (*mxt_team_fn)(struct mxt_team *team, int tid, int nt, void *arg);
int mxt_team_run(int nthreads, mxt_team_fn fn, void *arg); /* 0 or MXT_ENOMEM */
void mxt_team_barrier(struct mxt_team *team);

/* A normalized problem: C is column-major m x n, C(i, j) at c[i + j*ldc];
 * op(A)(i, p) at a[i*rsa + p*csa]; op(B)(p, j) at b[p*rsb + j*csb]. A row-major
 * call is turned into this form by computing C^T = op(B)^T op(A)^T. */
struct mxt_gemm_prob {
    enum mxt_dtype dtype;
    int64_t m, n, k;
    const void *a;
    int64_t rsa, csa;
    const void *b;
    int64_t rsb, csb;
    void *c;
    int64_t ldc;
    double alpha, beta; /* exact for f32 too (converted from float) */
};

/* What a driver executes: the problem, a resolved configuration (no 0 field but
 * nc/alpha as the schedule needs) and its kernel. */
struct mxt_gemm_plan {
    struct mxt_gemm_prob prob;
    struct mxt_config cfg;
    const struct mxt_ukr *ukr;
    size_t esz;
    int pack_a_fused; /* the kernel has a packing variant and the A block fits half of L2 */
};

/* Macro-kernel (macro.c): C[0:m, 0:n] (column-major, ldc) = alpha * Ap * Bp + beta * C
 * over packed blocks, Ap holding ceil(m/mr) micro-panels of mr x k, Bp ceil(n/nr)
 * micro-panels of k x nr; jr loop outside, ir inside. Tails go through a
 * register-tile buffer so that only C[0:m, 0:n] is touched. */
void mxt_macro_kernel(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                      const void *ap, const void *bp, void *c, double beta);
/* mxt_pack_a of the whole block (op(A)'s rows [0, m) from a, strides rs, cs, into
 * ap) followed by mxt_macro_kernel. When the plan allows it (pack_a_fused), A's
 * rows are contiguous (rs == 1) and the first column strip is full (n >= nr), the
 * full micro-panels are packed by the kernel's packing variant during the first
 * column strip. */
void mxt_pack_a_macro_kernel(const struct mxt_gemm_plan *plan, int64_t m, int64_t n, int64_t k,
                             const void *a, int64_t rs, int64_t cs, void *ap, const void *bp,
                             void *c, double beta);

/* Time profile (profile.c): while mxt_kernels_profile(1) is in effect, the wall time
 * inside mxt_pack_a, mxt_pack_b and mxt_macro_kernel is added up per part, over all
 * threads, in nanoseconds; mxt_kernels_profile_take reads and clears the sums.
 * mxt_prof_start returns 0 when profiling is off, and mxt_prof_stop then does nothing. */
enum mxt_prof_part { MXT_PROF_PACK_A, MXT_PROF_PACK_B, MXT_PROF_MACRO, MXT_PROF_PARTS };
void mxt_kernels_profile(int on);
void mxt_kernels_profile_take(uint64_t ns[MXT_PROF_PARTS]);
double mxt_prof_start(void);
void mxt_prof_stop(enum mxt_prof_part part, double t0);
/* Row micro-panels that a goto-jc thread took over from another's last B panel
 * (gemm_goto.c), counted while the profile is on; the take reads and clears. */
void mxt_prof_count_stolen(int64_t micro_panels);
uint64_t mxt_kernels_profile_take_stolen(void);
/* Tests only (gemm_goto.c): while on, the last thread of a goto-jc team waits with
 * its last panel until another thread has taken rows of it. */
void mxt_kernels_test_jc_hold(int on);

/* C[0:m, 0:n] *= beta (beta == 0: set to 0 without reading C). */
void mxt_scale_c(enum mxt_dtype dtype, int64_t m, int64_t n, void *c, int64_t ldc, double beta);

/* The drivers (0 or MXT_ENOMEM). */
/* The ranges every kernel's configuration shares: threads in [0, MXT_MAX_THREADS],
 * cache blocks not negative, alpha finite and not negative. 0 or MXT_EINVAL. */
int mxt_config_check_ranges(const struct mxt_config *cfg);
int mxt_gemm_run_goto(const struct mxt_gemm_plan *plan);
int mxt_gemm_run_cake(const struct mxt_gemm_plan *plan);

/* Packing buffers (pool.c): 64-byte aligned, recycled between calls; NULL on failure
 * or overflow. mxt_pack_free(NULL) does nothing. */
void *mxt_pack_alloc(size_t count, size_t esz);
void mxt_pack_free(void *p);
/* Reads MXT_HUGEPAGES (unset, 0, off: plain pages; 1, on: large buffers are marked
 * for transparent huge pages): 0, or MXT_EINVAL naming a bad value. */
int mxt_pack_env_check(void);

/* The ISA a configuration runs with (dense and sparse kernels alike): want when
 * this CPU runs it and MXT_ISA does not cap it below, auto: MXT_ISA, else the widest
 * available. MXT_ISA caps explicit ISAs too (MXT_ISA=avx2 under valgrind must never
 * run AVX-512 code). A bad MXT_ISA or MXT_HUGEPAGES is refused by name. */
int mxt_kernels_resolve_isa(enum mxt_isa want, enum mxt_isa *out);

static inline int64_t mxt_ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}
static inline int64_t mxt_round_up(int64_t a, int64_t b) {
    return mxt_ceil_div(a, b) * b;
}
static inline int64_t mxt_min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}
static inline int64_t mxt_max64(int64_t a, int64_t b) {
    return a > b ? a : b;
}

#endif
