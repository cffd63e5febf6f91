/* AVX-512 f32 micro-kernel with a 16x14 register tile: 1 vector of A per k
 * times 14 broadcasts of B, 1x14 accumulators held in registers (kernels/).
 * The body is ukernel_avx512_f32.h, with its edge kernels (ukernel_family.h); this
 * file only fixes the shape. */
#define MXT_UKR_MV 1
#define MXT_UKR_NR 14
#define MXT_UKR_BASE mxt_ukr_avx512_f32_16x14
#define MXT_UKR_ISA_HEADER "ukernel_avx512_f32.h"
#include "ukernel_family.h"
