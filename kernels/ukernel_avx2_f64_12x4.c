/* AVX2+FMA f64 micro-kernel with a 12x4 register tile: 3 vectors of A per k
 * times 4 broadcasts of B, 3x4 accumulators held in registers (kernels/).
 * The body is ukernel_avx2_f64.h, with its edge kernels (ukernel_family.h); this
 * file only fixes the shape. */
#define MXT_UKR_MV 3
#define MXT_UKR_NR 4
#define MXT_UKR_BASE mxt_ukr_avx2_f64_12x4
#define MXT_UKR_ISA_HEADER "ukernel_avx2_f64.h"
#include "ukernel_family.h"
