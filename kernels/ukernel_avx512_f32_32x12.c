/* AVX-512 f32 micro-kernel with a 32x12 register tile: 2 vectors of A per k
 * times 12 broadcasts of B, 2x12 accumulators held in registers (kernels/).
 * The body is ukernel_avx512_f32.h, with its edge kernels (ukernel_family.h); this
 * file only fixes the shape. */
#define MXT_UKR_MV 2
#define MXT_UKR_NR 12
#define MXT_UKR_BASE mxt_ukr_avx512_f32_32x12
#define MXT_UKR_ISA_HEADER "ukernel_avx512_f32.h"
#include "ukernel_family.h"
