/* GEMM without a configuration: libmxtune picks one (tuner/dispatch.c).
 *
 * mxt_sgemm / mxt_dgemm take the arguments of mxt_sgemm_ex / mxt_dgemm_ex
 * (mxtune/gemm.h) minus the configuration. On first use the process opens one
 * lookup handle (mxtune/lookup.h) on $MXTUNE_DB, else the default database;
 * each call then looks up M x N x K (exact winner, else the nearest tuned
 * shape, else the model's pick from this machine's profile) and runs the
 * kernels with that configuration. Winners are tuned column-major; a
 * row-major call runs as the column-major N x M x K problem (see
 * mxt_gemm_resolve_config), so N x M x K is looked up for it. Nothing tuned, no profile or no
 * database at all never makes a call fail: it runs the fixed default configuration. A stored
 * configuration the kernels refuse here (e.g. MXT_ISA caps the ISA) is replaced by the kernels' own
 * fallbacks.
 *
 * Thread-safe: the handle is opened once (pthread_once) and only read after.
 * Errors: those of mxt_sgemm_ex / mxt_dgemm_ex (bad arguments, MXT_ENOMEM).
 */
#ifndef MXTUNE_GEMM_AUTO_H
#define MXTUNE_GEMM_AUTO_H

#include <stdint.h>
#include "mxtune/gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

int mxt_sgemm(enum mxt_layout layout, enum mxt_trans transA, enum mxt_trans transB, int64_t M,
              int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
              int64_t ldb, float beta, float *C, int64_t ldc);
int mxt_dgemm(enum mxt_layout layout, enum mxt_trans transA, enum mxt_trans transB, int64_t M,
              int64_t N, int64_t K, double alpha, const double *A, int64_t lda, const double *B,
              int64_t ldb, double beta, double *C, int64_t ldc);

/* The configuration mxt_sgemm / mxt_dgemm would run for the column-major
 * problem M x N x K, and where it came from (for logging); never fails for a
 * valid shape. */
struct mxt_lookup_result;
int mxt_gemm_auto_config(enum mxt_dtype dtype, int64_t M, int64_t N, int64_t K,
                         struct mxt_lookup_result *out);

#ifdef __cplusplus
}
#endif
#endif
