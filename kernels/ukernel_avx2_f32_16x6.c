/* AVX2+FMA f32 micro-kernel with a 16x6 register tile: 2 vectors of A per k
 * times 6 broadcasts of B, 2x6 accumulators held in registers (kernels/).
 * The body is ukernel_avx2_f32.h, with its edge kernels (ukernel_family.h); this
 * file only fixes the shape. */
#define MXT_UKR_MV 2
#define MXT_UKR_NR 6
#define MXT_UKR_BASE mxt_ukr_avx2_f32_16x6
#define MXT_UKR_ISA_HEADER "ukernel_avx2_f32.h"
#include "ukernel_family.h"
