/* Portable C f64 micro-kernel with a 4x4 register tile (kernels/): the fallback that
 * runs everywhere (MXT_ISA=generic) and the reference shape for the tests. Plain loops
 * with constant trip counts, which compilers vectorize with the baseline ISA. */
#include "mxt_kernels.h"

enum { MR = 4, NR = 4 };

void mxt_ukr_generic_f64_4x4(int64_t k, const double *restrict a, const double *restrict b,
                             double *restrict c, int64_t ldc, double alpha, double beta) {
    double acc[NR][MR] = {{0}};
    for (int64_t p = 0; p < k; p++) {
        for (int j = 0; j < NR; j++) {
            const double bj = b[p * NR + j];
            for (int i = 0; i < MR; i++)
                acc[j][i] += a[p * MR + i] * bj;
        }
    }
    for (int j = 0; j < NR; j++) {
        double *cj = c + j * ldc;
        if (beta == 0.0) { /* C is not read */
            for (int i = 0; i < MR; i++)
                cj[i] = alpha * acc[j][i];
        } else {
            for (int i = 0; i < MR; i++)
                cj[i] = alpha * acc[j][i] + beta * cj[i];
        }
    }
}
