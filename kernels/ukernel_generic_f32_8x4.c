/* Portable C f32 micro-kernel with an 8x4 register tile (kernels/): the fallback that
 * runs everywhere (MXT_ISA=generic) and the reference shape for the tests. Plain loops
 * with constant trip counts, which compilers vectorize with the baseline ISA. */
#include "mxt_kernels.h"

enum { MR = 8, NR = 4 };

void mxt_ukr_generic_f32_8x4(int64_t k, const float *restrict a, const float *restrict b,
                             float *restrict c, int64_t ldc, float alpha, float beta) {
    float acc[NR][MR] = {{0}};
    for (int64_t p = 0; p < k; p++) {
        for (int j = 0; j < NR; j++) {
            const float bj = b[p * NR + j];
            for (int i = 0; i < MR; i++)
                acc[j][i] += a[p * MR + i] * bj;
        }
    }
    for (int j = 0; j < NR; j++) {
        float *cj = c + j * ldc;
        if (beta == 0.0f) { /* C is not read */
            for (int i = 0; i < MR; i++)
                cj[i] = alpha * acc[j][i];
        } else {
            for (int i = 0; i < MR; i++)
                cj[i] = alpha * acc[j][i] + beta * cj[i];
        }
    }
}
