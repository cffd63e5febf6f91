/* libmxtune's GEMM without a configuration (tuner/): one process-wide lookup
 * handle opened on first use, then lookup -> mxt_sgemm_ex / mxt_dgemm_ex. The
 * policy lives here so that kernels/ stay free of it (ARCHITECTURE.md). */
#include <pthread.h>
#include <stddef.h>
#include "mxtune/gemm.h"
#include "mxtune/lookup.h"
#include "mxtune/mxtune_gemm_auto.h"

static pthread_once_t handle_once = PTHREAD_ONCE_INIT;
static struct mxt_handle *handle; /* written once under handle_once, then only read */

static void open_handle(void) {
    /* A database that is there but unusable (corrupt, newer): run untuned. */
    if (mxt_open(NULL, &handle) != 0) handle = NULL;
}

int mxt_gemm_auto_config(enum mxt_dtype dtype, int64_t M, int64_t N, int64_t K,
                         struct mxt_lookup_result *out) {
    pthread_once(&handle_once, open_handle);
    struct mxt_lookup_query q = {.op = "gemm", .dtype = dtype, .m = M, .n = N, .k = K};
    return mxt_lookup(handle, &q, out);
}

/* The configuration for a call, or NULL (the kernels' fallbacks) when the
 * shape is degenerate or the stored answer cannot run here. The tuner measures
 * column-major problems; the kernels run a row-major call as the column-major
 * C^T = op(B)^T op(A)^T, i.e. the problem N x M x K, so that is what is looked up. */
static const struct mxt_config *choose(enum mxt_dtype dtype, enum mxt_layout layout, int64_t M,
                                       int64_t N, int64_t K, struct mxt_lookup_result *r) {
    if (M < 1 || N < 1 || K < 1) return NULL;
    int64_t m = layout == MXT_ROW_MAJOR ? N : M, n = layout == MXT_ROW_MAJOR ? M : N;
    if (mxt_gemm_auto_config(dtype, m, n, K, r) != 0) return NULL;
    if (mxt_gemm_check_config(dtype, &r->config) != 0) return NULL;
    return &r->config;
}

int mxt_sgemm(enum mxt_layout layout, enum mxt_trans transA, enum mxt_trans transB, int64_t M,
              int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
              int64_t ldb, float beta, float *C, int64_t ldc) {
    struct mxt_lookup_result r;
    const struct mxt_config *cfg = choose(MXT_F32, layout, M, N, K, &r);
    return mxt_sgemm_ex(layout, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, cfg);
}

int mxt_dgemm(enum mxt_layout layout, enum mxt_trans transA, enum mxt_trans transB, int64_t M,
              int64_t N, int64_t K, double alpha, const double *A, int64_t lda, const double *B,
              int64_t ldb, double beta, double *C, int64_t ldc) {
    struct mxt_lookup_result r;
    const struct mxt_config *cfg = choose(MXT_F64, layout, M, N, K, &r);
    return mxt_dgemm_ex(layout, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, cfg);
}
