/* A micro-kernel, its packing variant BASE_pa and its edge kernels (kernels/). A
 * kernel file defines
 * MXT_UKR_BASE (the kernel's name), MXT_UKR_MV (vectors of rows, 1 to 3),
 * MXT_UKR_NR and MXT_UKR_ISA_HEADER (ukernel_<isa>_<dtype>.h), then includes this.
 * It instantiates the body once for the full mv x nr tile and once per narrower
 * tile, BASE_e<v> for v < MV: v vectors of rows over the same packed A micro-panel
 * (mr elements per k step), for the last, partial row tile of a block, which would
 * otherwise cost as much as a full one (f64 24x8 at M = 2048: 8 rows in the last
 * tile of every column strip). */
#if !defined(MXT_UKR_BASE) || !defined(MXT_UKR_MV) || !defined(MXT_UKR_ISA_HEADER)
#error "define MXT_UKR_BASE, MXT_UKR_MV, MXT_UKR_NR and MXT_UKR_ISA_HEADER first"
#endif
#define MXT_UKR_CAT_(a, b) a##b
#define MXT_UKR_CAT(a, b) MXT_UKR_CAT_(a, b)

#define MXT_UKR_NAME MXT_UKR_BASE
#define MXT_UKR_PA_NAME MXT_UKR_CAT(MXT_UKR_BASE, _pa)
#include MXT_UKR_ISA_HEADER
#undef MXT_UKR_NAME
#undef MXT_UKR_PA_NAME

#if MXT_UKR_MV >= 2
#if MXT_UKR_MV == 2
#define MXT_UKR_MV_FULL 2
#else
#define MXT_UKR_MV_FULL 3
#endif
#define MXT_UKR_ASTEP (MXT_SIMD_W * MXT_UKR_MV_FULL)
#undef MXT_UKR_MV
#define MXT_UKR_MV 1
#define MXT_UKR_NAME MXT_UKR_CAT(MXT_UKR_BASE, _e1)
#include MXT_UKR_ISA_HEADER
#undef MXT_UKR_NAME
#if MXT_UKR_MV_FULL == 3
#undef MXT_UKR_MV
#define MXT_UKR_MV 2
#define MXT_UKR_NAME MXT_UKR_CAT(MXT_UKR_BASE, _e2)
#include MXT_UKR_ISA_HEADER
#undef MXT_UKR_NAME
#endif
#endif
