/* AVX2+FMA f32 micro-kernel with a 24x4 register tile: 3 vectors of A per k
 * times 4 broadcasts of B, 3x4 accumulators held in registers (kernels/).
 * The body is ukernel_avx2_f32.h; this file only fixes the shape. */
#define MXT_UKR_MV 3
#define MXT_UKR_NR 4
#define MXT_UKR_NAME mxt_ukr_avx2_f32_24x4
#include "ukernel_avx2_f32.h"
