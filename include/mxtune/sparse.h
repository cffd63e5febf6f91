/* Sparse times dense (Rosko) and low-rank products of mxtune's kernels.
 *
 * Rosko (Natesh et al., "Rosko: Row Skipping Outer Products for Sparse Matrix
 * Multiplication Kernels", arXiv 2307.03930; shared/design/MODELS.md §4): a sparse
 * A (M x K, f32) is packed once into tiles of mr rows x kc columns. Per tile only
 * the columns that hold a nonzero are kept: each with its column index (4 bytes),
 * a count (1 byte) and its values with 1-byte row indices. A column with no
 * nonzero in the tile is skipped, so the matching row of B is never loaded. The
 * kernel (mxt_spmm) runs outer products: for each kept column, the nr-wide row
 * segment of B is multiplied by every nonzero of the column into the C row that
 * the row index selects. About 10 bytes per nonzero at low density.
 *
 * Low rank (MODELS.md §5): Y = alpha * (U V) X + beta * Y in the order U(VX) or
 * (UV)X through the dense GEMM (mxtune/gemm.h), U optionally Rosko-packed.
 *
 * Errors: 0 or a negative MXT_E* code (mxtune/errors.h) with a message for
 * mxt_last_error():
 *   MXT_EINVAL       a bad argument (NULL pointer, negative size, leading
 *                    dimension too small, sizes that disagree with the packed
 *                    matrix, an illegal configuration: the message says which)
 *   MXT_EFORMAT      CSR arrays that do not describe a matrix (row_ptr not
 *                    starting at 0 or decreasing, a column index out of range,
 *                    a column repeated in a row: the message names the row)
 *   MXT_EUNSUPPORTED the ISA asked for (or MXT_ISA) cannot run here; a sparse U
 *                    with f64
 *   MXT_ENOMEM       memory for the packed matrix, the packed B or the
 *                    workspace could not be allocated
 * All calls are safe from several threads at once; a packed matrix may be
 * shared by concurrent mxt_spmm calls (it is read only).
 */
#ifndef MXTUNE_SPARSE_H
#define MXTUNE_SPARSE_H

#include <stdint.h>
#include "mxtune/config.h"
#include "mxtune/gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A Rosko-packed f32 matrix (opaque). Whoever creates it destroys it. */
struct mxt_rosko;

/* Largest mr of a Rosko tile: row indices and per-column counts are one byte. */
#define MXT_ROSKO_MAX_MR 255

/* What a packed matrix holds (mxt_rosko_info). */
struct mxt_rosko_info {
    int64_t m, k;         /* the matrix is m x k */
    int mr;               /* tile rows */
    int64_t kc;           /* tile columns */
    int64_t nnz;          /* nonzeros stored */
    int64_t kept_columns; /* sum over tiles of the columns with a nonzero */
    int64_t tiles;        /* ceil(m/mr) * ceil(k/kc) */
    int64_t bytes;        /* packed tiles and their index, in bytes */
    double density;       /* nnz / (m*k); 0 for an empty matrix */
};

/* Pack a CSR matrix (M x K, zero-based): row i holds the nonzeros
 * values[row_ptr[i] .. row_ptr[i+1]) in columns col_idx[...] (any order within a
 * row). Checked: row_ptr[0] == 0, row_ptr non-decreasing, every col_idx in
 * [0, K), no column twice in a row (MXT_EFORMAT naming the row otherwise);
 * K < 2^31. Explicit zeros in values are kept (they cost a stored nonzero).
 * col_idx and values may be NULL when row_ptr[M] == 0.
 *
 * cfg (borrowed; NULL: all fields 0) gives the tile: mr in [1, 255] (0: 64) and
 * kc (0: the Rosko L2 rule of MODELS.md §4 with the matrix's own density d,
 * 2.5*d*kc^2 + 2*nr*kc <= L2/4 elements for L2 from sysconf (1 MiB when unknown),
 * nr the default spmm register width 64, rounded down to a multiple of mr, at
 * least mr and at most K; nothing below 256 unless K is). Other fields are not used.
 * On success *out owns a new packed matrix. */
int mxt_rosko_create_csr(int64_t M, int64_t K, const int64_t *row_ptr, const int32_t *col_idx,
                         const float *values, const struct mxt_config *cfg, struct mxt_rosko **out);

/* Pack a dense M x K matrix (layout and lda as in CBLAS: lda >= max(1, K) for
 * row-major, max(1, M) for column-major), dropping every element with
 * |a| <= threshold (threshold >= 0; 0 drops exact zeros only; NaN is kept).
 * cfg as for mxt_rosko_create_csr. */
int mxt_rosko_create_dense(enum mxt_layout layout, int64_t M, int64_t K, const float *A,
                           int64_t lda, float threshold, const struct mxt_config *cfg,
                           struct mxt_rosko **out);

/* Free a packed matrix; NULL is allowed. */
void mxt_rosko_destroy(struct mxt_rosko *A);

/* Describe a packed matrix. MXT_EINVAL for NULL arguments. */
int mxt_rosko_info(const struct mxt_rosko *A, struct mxt_rosko_info *info);

/* C = alpha * A * B + beta * C with A (M x K) packed, B (K x N) and C (M x N) dense
 * f32 in the given layout: row-major ldb >= max(1, N), ldc >= max(1, N);
 * column-major ldb >= max(1, K), ldc >= max(1, M). M and K must equal the packed
 * matrix's. When beta == 0, C is not read (NaN in C is overwritten); when
 * alpha == 0, K == 0 or A has no nonzero, A and B are not read (B may then be NULL).
 *
 * cfg (borrowed; NULL: all 0) runs as given, fields at 0 take the fallbacks of
 * mxt_spmm_resolve_config. Threads split the rows (balanced by nonzeros, in whole
 * tiles) and, when there are fewer row tiles than threads, the columns too.
 * Loop nest of one thread (the Rosko/CAKE K-first order, C resident for the whole
 * K walk; MODELS.md §4):
 *   for jc over N by nc: B[:, jc:jc+nc] is packed by all threads into nr-wide
 *                        panels (K x nr each, zero-padded)
 *     for ic over the thread's rows by mc: an mc x nc C block accumulates in a
 *                        per-thread buffer, then C = alpha*block + beta*C
 *       for pc over K by kc (the packed tile width):
 *         for jr over the block by nr: for ir over ic by mr: micro-kernel on
 *                        tile (ir, pc), B panel jr, C tile (ir, jr) */
int mxt_spmm(enum mxt_layout layout, int64_t M, int64_t N, int64_t K, float alpha,
             const struct mxt_rosko *A, const float *B, int64_t ldb, float beta, float *C,
             int64_t ldc, const struct mxt_config *cfg);

/* Fill every 0 field of cfg (NULL: all 0) as mxt_spmm would run it with A and
 * N columns of B, into *out:
 *   schedule  cake-kmn (the only order spmm runs; cake and cake-kmn are accepted,
 *             goto/mkn/nkm are refused)
 *   isa       MXT_ISA if set, else the widest the CPU runs; the Rosko kernels
 *             exist for avx512 and generic: avx2 runs the generic kernel
 *   mr, kc    the packed matrix's (a different explicit value is refused)
 *   nr        register width in floats: avx512 16, 32, 48 or 64 (default 64),
 *             generic the same set (default 16)
 *   threads   the CPUs this process may run on
 *   mc        4 * mr (a multiple of mr)
 *   nc        alpha * threads * mc when alpha > 0 (Rosko's nc = p*mc at alpha 1),
 *             else the C block mc x nc takes at most half of L2 (at least nr);
 *             rounded to a multiple of nr
 * Returns 0, MXT_EINVAL or MXT_EUNSUPPORTED with the reason. */
int mxt_spmm_resolve_config(const struct mxt_rosko *A, int64_t N, const struct mxt_config *cfg,
                            struct mxt_config *out);

/* ---- low rank ---------------------------------------------------------------------- */

/* Order of the low-rank product (MODELS.md §5). */
enum mxt_lowrank_order {
    MXT_LOWRANK_AUTO = -1, /* the cheaper in flops (sparse U counted at its density) */
    MXT_LOWRANK_U_VX = 0,  /* T = V X (r x N), then Y = U T */
    MXT_LOWRANK_UV_X = 1   /* W = U V (M x K), then Y = W X */
};

/* Y (M x N) = alpha * (U V) X + beta * Y with U (M x r), V (r x K), X (K x N), all in
 * one layout with CBLAS leading dimensions (row-major: ldu >= r, ldv >= K,
 * ldx >= N, ldy >= N; column-major: ldu >= M, ldv >= r, ldx >= K, ldy >= M;
 * each at least 1). */
struct mxt_lowrank {
    enum mxt_dtype dtype;
    enum mxt_layout layout;
    int64_t m, n, k, rank;
    const void *u; /* dense U, or NULL when u_sparse is set */
    int64_t ldu;
    const struct mxt_rosko *u_sparse; /* f32 only: U packed (M x r); its stage runs mxt_spmm */
    const void *v;
    int64_t ldv;
    const void *x;
    int64_t ldx;
    void *y;
    int64_t ldy;
    double alpha, beta; /* f32: converted to float */
    int order;          /* enum mxt_lowrank_order */
};

/* Run the chain: the first stage into an internal workspace (r x N for U(VX),
 * M x K for (UV)X, freed before returning) with alpha 1 and beta 0, the second
 * into Y with alpha and beta. Dense stages call mxt_sgemm_ex / mxt_dgemm_ex with
 * cfg (NULL: fallbacks); a sparse U stage calls mxt_spmm with cfg's isa and
 * threads only. order_used (may be NULL) receives the order run. beta == 0: Y is
 * not read. Returns 0 or the codes above. */
int mxt_lowrank_gemm(const struct mxt_lowrank *op, const struct mxt_config *cfg, int *order_used);

/* The order MXT_LOWRANK_AUTO picks for (M, N, K, r) and U's density d (1 for a
 * dense U): U(VX) costs r*K*N + d*M*r*N MACs, (UV)X costs d*M*r*K + M*K*N;
 * ties go to U(VX). */
int mxt_lowrank_choose_order(int64_t M, int64_t N, int64_t K, int64_t r, double d);

#ifdef __cplusplus
}
#endif
#endif
