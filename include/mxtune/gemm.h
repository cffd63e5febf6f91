/* Packed GEMM with an explicit configuration: C = alpha * op(A) * op(B) + beta * C.
 *
 * The kernels of mxtune (kernels/) run one configuration exactly as given: a
 * schedule (CAKE KMN/MKN/NKM or the Goto/BLIS five loops), a micro-kernel
 * (isa, mr x nr), cache blocks (mc, kc, nc or alpha) and a thread count. They
 * decide nothing beyond simple fallbacks for fields left at 0 (documented at
 * mxt_gemm_resolve_config). The convenience entry points without a
 * configuration (mxt_sgemm, mxt_dgemm: tuned config from the database, else the
 * model's) live in tuner/.
 *
 * All calls are safe from several threads at once: each call takes its own packing
 * buffers (from a mutex-guarded cache of freed ones, see mxt_kernels_release_cache).
 *
 * Errors: 0 on success or a negative MXT_E* code (mxtune/errors.h) with a
 * message for mxt_last_error():
 *   MXT_EINVAL       bad argument (NULL matrix, negative size, leading dimension
 *                    too small, illegal configuration: the message says why)
 *   MXT_EUNSUPPORTED the configuration (or MXT_ISA) asks for an ISA this CPU or
 *                    build cannot run
 *   MXT_ENOMEM       the packing buffers could not be allocated
 */
#ifndef MXTUNE_GEMM_H
#define MXTUNE_GEMM_H

#include <stdint.h>
#include "mxtune/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Storage order of all three matrices (as in CBLAS). */
enum mxt_layout { MXT_ROW_MAJOR = 0, MXT_COL_MAJOR = 1 };
/* op(X) = X or X^T. */
enum mxt_trans { MXT_NO_TRANS = 0, MXT_TRANS = 1 };

/* C = alpha * op(A) * op(B) + beta * C with op(A) M x K, op(B) K x N, C M x N.
 *
 * Sizes and leading dimensions follow CBLAS: in column-major order lda >=
 * max(1, transA ? K : M), ldb >= max(1, transB ? N : K), ldc >= max(1, M); in
 * row-major order lda >= max(1, transA ? M : K), ldb >= max(1, transB ? K : N),
 * ldc >= max(1, N). A (or B, C) may be NULL only when it has no elements to
 * read (or write). When beta == 0, C is not read (NaN or Inf in C are
 * overwritten); when alpha == 0 or K == 0, A and B are not read.
 *
 * cfg: the configuration to run (borrowed); NULL means all fields 0, i.e. every
 * fallback of mxt_gemm_resolve_config. The caller keeps ownership of all
 * arrays. Returns 0 or MXT_EINVAL / MXT_EUNSUPPORTED / MXT_ENOMEM. */
int mxt_sgemm_ex(enum mxt_layout layout, enum mxt_trans transA, enum mxt_trans transB, int64_t M,
                 int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                 int64_t ldb, float beta, float *C, int64_t ldc, const struct mxt_config *cfg);
int mxt_dgemm_ex(enum mxt_layout layout, enum mxt_trans transA, enum mxt_trans transB, int64_t M,
                 int64_t N, int64_t K, double alpha, const double *A, int64_t lda, const double *B,
                 int64_t ldb, double beta, double *C, int64_t ldc, const struct mxt_config *cfg);

/* Check that cfg is a configuration the kernels can run for dtype on this CPU,
 * without looking at a problem size: schedule and ISA known, ISA runnable
 * here and not above MXT_ISA when that is set (MXT_ISA=avx2 caps explicit ISAs
 * so that nothing runs AVX-512 under valgrind), mr and nr both 0 or
 * naming a registered micro-kernel, mc a multiple of mr, nc a multiple of nr,
 * no negative block, alpha finite and >= 0, threads in [0, MXT_MAX_THREADS].
 * Returns 0, MXT_EINVAL or MXT_EUNSUPPORTED with the reason. */
/* Configurations are stored, printed and exported in the model's convention
 * (CLI.md): for cake-nkm, mc is the block along M and nc each thread's slice of
 * N. The kernels' NKM driver reads the two the other way round; this gives the
 * form mxt_sgemm_ex / mxt_dgemm_ex take (other schedules are copied as they are;
 * with all three blocks given, alpha is only a record and is cleared). in and
 * out may be the same. */
void mxt_gemm_config_from_model(const struct mxt_config *in, struct mxt_config *out);

int mxt_gemm_check_config(enum mxt_dtype dtype, const struct mxt_config *cfg);

#define MXT_MAX_THREADS 1024

/* Packing buffers are recycled between calls through a small process-wide cache
 * (at most 1 GiB). Goto uses kc*nc + threads*mc*kc elements per call, CAKE
 * (M + N)*K. This returns the cached memory to the system; calls running at the
 * same time are not affected. */
void mxt_kernels_release_cache(void);

/* The environment the kernels read: MXT_ISA (avx512, avx2, generic: caps the
 * instruction set) and MXT_HUGEPAGES (0, off: plain pages, the default; 1, on: huge
 * pages for large packing buffers). 0, or MXT_EINVAL / MXT_EUNSUPPORTED with a
 * message naming the variable. Every GEMM call checks them too. */
int mxt_kernels_check_environment(void);

/* Fill every 0 field of cfg (NULL: all 0) for the problem M x N x K in the given
 * layout, as mxt_sgemm_ex / mxt_dgemm_ex would run it, into *out. The schedules
 * are defined on the column-major form of the problem: a row-major call computes
 * C^T = op(B)^T op(A)^T, so for MXT_ROW_MAJOR the roles of M and N (and of A and
 * B) trade places inside the schedule; this function accounts for that.
 *
 * Fields left at 0 get fallbacks, so that a config with holes still runs
 * sensibly; the model supplies proper values through the tuner:
 *   isa      MXT_ISA from the environment if set, else the widest the CPU runs
 *   mr, nr   the first registered kernel of that ISA and dtype; a shape given
 *            with isa auto takes the widest runnable ISA that has it
 *   threads  the CPUs this process may run on (sched_getaffinity)
 *   goto:    kc: the kc x nr B micro-panel fills about half of L1d (a multiple
 *            of 8 in [16, 1024]); mc: the mc x kc A block about half of L2,
 *            multiple of mr; nc: 4096 rounded up to nr
 *   cake:    mc: largest multiple of mr with mc^2 + 2*nr*mc <= L2 / (2s) (the
 *            CAKE authors' L2 rule); kc = mc; alpha = 1; nc = alpha*p*mc
 *            rounded down to a multiple of nr (at least nr)
 *   MXT_SCHED_CAKE resolves to KMN, MKN or NKM by the I/O comparison of
 *            MODELS.md §2 with block extent x = p*mc
 * L1d and L2 sizes come from sysconf (_SC_LEVEL1_DCACHE_SIZE,
 * _SC_LEVEL2_CACHE_SIZE), 32 KiB and 1 MiB when unknown. Explicit values are
 * kept as given; blocks larger than the problem simply cover it. Returns 0 or
 * the errors of mxt_gemm_check_config (MXT_EINVAL also for negative sizes). */
int mxt_gemm_resolve_config(enum mxt_dtype dtype, enum mxt_layout layout, int64_t M, int64_t N,
                            int64_t K, const struct mxt_config *cfg, struct mxt_config *out);

/* How the schedules use the configuration (p = threads, on the column-major form
 * of the problem; see kernels/gemm_cake.c and kernels/gemm_goto.c).
 *
 * CAKE (as in the authors' code) packs all of A and B once, up front and in
 * parallel, into kc-deep chunks of micro-panels: extra memory (M + N) * K elements
 * (rounded up to mr, nr), read back block by block; C is updated in place.
 *   cake-kmn: CB block (p*mc) x kc x nc; thread s owns mc rows of the block (its A
 *             slice), the kc x nc slice of B is shared; for each n-block, for each
 *             m-block, the K walk is innermost and the C block stays resident.
 *   cake-mkn: block (p*mc) x (p*kc) x nc; the (p*kc) x nc B block is shared and
 *             stays while the m-blocks stream; each thread walks the p kc chunks.
 *   cake-nkm: A and B trade roles: block nc x (p*kc) x (p*mc); the nc x (p*kc) A
 *             block is shared and stays while the n-blocks stream; each thread
 *             owns mc columns (in this order mc is rounded up to nr, nc to mr).
 * The blocks are walked in serpentine order (the middle loop reverses on odd
 * outer blocks, the inner one on odd outer + middle), so the first block after a
 * turn reuses the operand block just used. A partial last block is split evenly
 * among the p threads (rounded to mr or nr). An explicit nc wins over alpha.
 *
 * goto: jc (nc) -> pc (kc) -> ic (mc) -> jr (nr) -> ir (mr); B panels (kc x nc)
 * are packed by all threads together, A blocks (mc x kc) by each thread for its
 * own rows: threads split the ic loop (an even share of the rows, rounded to mr),
 * or the jr loop when M has fewer mr-row panels than threads. */

/* The registry of micro-kernels, for the model and the tuner to enumerate.
 * Within one (isa, dtype) the first entry is the default kernel. */
struct mxt_kernel_info {
    enum mxt_isa isa;
    enum mxt_dtype dtype;
    int mr, nr;       /* register tile: mr rows (vector direction) x nr columns; the
                         CAKE authors' "6x16" row-major tile is 16x6 here */
    const char *name; /* e.g. "avx512_f32_32x12" */
};

/* Number of registered micro-kernels (all ISAs built, runnable here or not). */
int mxt_kernels_count(void);
/* Entry i in [0, count), or NULL when out of range. Static storage. */
const struct mxt_kernel_info *mxt_kernels_get(int i);
/* The entry for (isa, dtype, mr, nr) or NULL; isa must be a concrete ISA. */
const struct mxt_kernel_info *mxt_kernels_find(enum mxt_isa isa, enum mxt_dtype dtype, int mr,
                                               int nr);
/* 1 if this CPU and build can run isa (AUTO and GENERIC: always 1), else 0. */
int mxt_kernels_isa_supported(enum mxt_isa isa);
/* The ISA an AUTO configuration runs with: MXT_ISA from the environment
 * (MXT_EINVAL if it is not avx512|avx2|generic, MXT_EUNSUPPORTED if this CPU
 * cannot run it), else the widest ISA this CPU runs. */
int mxt_kernels_default_isa(enum mxt_isa *out);

#ifdef __cplusplus
}
#endif
#endif
