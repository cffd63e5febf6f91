/* AVX-512 f64 micro-kernel with a 24x8 register tile: 3 vectors of A per k
 * times 8 broadcasts of B, 3x8 accumulators held in registers (kernels/).
 * The body is ukernel_avx512_f64.h, with its edge kernels (ukernel_family.h); this
 * file only fixes the shape. */
#define MXT_UKR_MV 3
#define MXT_UKR_NR 8
#define MXT_UKR_BASE mxt_ukr_avx512_f64_24x8
#define MXT_UKR_ISA_HEADER "ukernel_avx512_f64.h"
#include "ukernel_family.h"
