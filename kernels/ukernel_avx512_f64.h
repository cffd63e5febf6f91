/* The AVX-512 f64 operations of the SIMD micro-kernel body (kernels/): each
 * ukernel_avx512_f64_<mr>x<nr>.c fixes the shape and includes this header. */
#include <immintrin.h>

#define MXT_SIMD_V __m512d
#define MXT_SIMD_E double
#define MXT_SIMD_W 8
#define MXT_SIMD_LOAD _mm512_load_pd
#define MXT_SIMD_LOADU _mm512_loadu_pd
#define MXT_SIMD_STOREU _mm512_storeu_pd
#define MXT_SIMD_SET1 _mm512_set1_pd
#define MXT_SIMD_FMA _mm512_fmadd_pd
#define MXT_SIMD_MUL _mm512_mul_pd
#define MXT_SIMD_ZERO _mm512_setzero_pd
#include "ukernel_simd.h"
