/* AVX2+FMA f32 micro-kernel with a 16x6 register tile: 2 vectors of A per k
 * times 6 broadcasts of B, 2x6 accumulators held in registers (kernels/).
 * The body is ukernel_avx2_f32.h; this file only fixes the shape. */
#define MXT_UKR_MV 2
#define MXT_UKR_NR 6
#define MXT_UKR_NAME mxt_ukr_avx2_f32_16x6
#include "ukernel_avx2_f32.h"
