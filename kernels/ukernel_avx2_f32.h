/* The AVX2+FMA f32 operations of the SIMD micro-kernel body (kernels/): each
 * ukernel_avx2_f32_<mr>x<nr>.c fixes the shape and includes this header. */
#include <immintrin.h>

#define MXT_SIMD_V __m256
#define MXT_SIMD_E float
#define MXT_SIMD_W 8
#define MXT_SIMD_LOAD _mm256_load_ps
#define MXT_SIMD_LOADU _mm256_loadu_ps
#define MXT_SIMD_STOREU _mm256_storeu_ps
#define MXT_SIMD_SET1 _mm256_set1_ps
#define MXT_SIMD_FMA _mm256_fmadd_ps
#define MXT_SIMD_MUL _mm256_mul_ps
#define MXT_SIMD_ZERO _mm256_setzero_ps
#include "ukernel_simd.h"
