/* The AVX2+FMA f64 operations of the SIMD micro-kernel body (kernels/): each
 * ukernel_avx2_f64_<mr>x<nr>.c fixes the shape and includes this header. */
#include <immintrin.h>

#define MXT_SIMD_V __m256d
#define MXT_SIMD_E double
#define MXT_SIMD_W 4
#define MXT_SIMD_LOAD _mm256_load_pd
#define MXT_SIMD_LOADU _mm256_loadu_pd
#define MXT_SIMD_STOREU _mm256_storeu_pd
#define MXT_SIMD_SET1 _mm256_set1_pd
#define MXT_SIMD_FMA _mm256_fmadd_pd
#define MXT_SIMD_MUL _mm256_mul_pd
#define MXT_SIMD_ZERO _mm256_setzero_pd
#include "ukernel_simd.h"
