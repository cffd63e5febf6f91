/* AVX2+FMA f64 micro-kernel with an 8x6 register tile: 2 vectors of A per k
 * times 6 broadcasts of B, 2x6 accumulators held in registers (kernels/).
 * The body is ukernel_avx2_f64.h, with its edge kernels (ukernel_family.h); this
 * file only fixes the shape. */
#define MXT_UKR_MV 2
#define MXT_UKR_NR 6
#define MXT_UKR_BASE mxt_ukr_avx2_f64_8x6
#define MXT_UKR_ISA_HEADER "ukernel_avx2_f64.h"
#include "ukernel_family.h"
