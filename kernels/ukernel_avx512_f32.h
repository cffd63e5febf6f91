/* The AVX-512 f32 operations of the SIMD micro-kernel body (kernels/): each
 * ukernel_avx512_f32_<mr>x<nr>.c fixes the shape and includes this header. */
#include <immintrin.h>

#define MXT_SIMD_V __m512
#define MXT_SIMD_E float
#define MXT_SIMD_W 16
#define MXT_SIMD_LOAD _mm512_load_ps
#define MXT_SIMD_LOADU _mm512_loadu_ps
#define MXT_SIMD_STOREU _mm512_storeu_ps
#define MXT_SIMD_SET1 _mm512_set1_ps
#define MXT_SIMD_FMA _mm512_fmadd_ps
#define MXT_SIMD_MUL _mm512_mul_ps
#define MXT_SIMD_ZERO _mm512_setzero_ps
#include "ukernel_simd.h"
