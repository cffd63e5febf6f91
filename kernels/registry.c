/* The const table of micro-kernels (kernels/): ISA, dtype, register tile and entry
 * point of each. The model and the tuner enumerate it through mxt_kernels_get; the
 * drivers look kernels up by (isa, dtype, mr, nr). The first entry of each
 * (isa, dtype) is its default kernel. */
#include <stddef.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

static const struct mxt_ukr registry[] = {
#ifdef MXT_KERNELS_X86
    {{MXT_ISA_AVX512, MXT_F32, 32, 12, "avx512_f32_32x12"},
     mxt_ukr_avx512_f32_32x12,
     NULL,
     .edge_rows = 16,
     .f32_edge = {NULL, mxt_ukr_avx512_f32_32x12_e1}},
    {{MXT_ISA_AVX512, MXT_F32, 48, 8, "avx512_f32_48x8"},
     mxt_ukr_avx512_f32_48x8,
     NULL,
     .edge_rows = 16,
     .f32_edge = {NULL, mxt_ukr_avx512_f32_48x8_e1, mxt_ukr_avx512_f32_48x8_e2}},
    {{MXT_ISA_AVX512, MXT_F32, 32, 6, "avx512_f32_32x6"},
     mxt_ukr_avx512_f32_32x6,
     NULL,
     .edge_rows = 16,
     .f32_edge = {NULL, mxt_ukr_avx512_f32_32x6_e1}},
    {{MXT_ISA_AVX512, MXT_F32, 16, 14, "avx512_f32_16x14"},
     mxt_ukr_avx512_f32_16x14,
     NULL,
     .edge_rows = 0},
    {{MXT_ISA_AVX512, MXT_F64, 24, 8, "avx512_f64_24x8"},
     NULL,
     mxt_ukr_avx512_f64_24x8,
     .edge_rows = 8,
     .f64_edge = {NULL, mxt_ukr_avx512_f64_24x8_e1, mxt_ukr_avx512_f64_24x8_e2}},
    {{MXT_ISA_AVX512, MXT_F64, 16, 12, "avx512_f64_16x12"},
     NULL,
     mxt_ukr_avx512_f64_16x12,
     .edge_rows = 8,
     .f64_edge = {NULL, mxt_ukr_avx512_f64_16x12_e1}},
    {{MXT_ISA_AVX512, MXT_F64, 16, 6, "avx512_f64_16x6"},
     NULL,
     mxt_ukr_avx512_f64_16x6,
     .edge_rows = 8,
     .f64_edge = {NULL, mxt_ukr_avx512_f64_16x6_e1}},
    {{MXT_ISA_AVX512, MXT_F64, 8, 14, "avx512_f64_8x14"},
     NULL,
     mxt_ukr_avx512_f64_8x14,
     .edge_rows = 0},
    {{MXT_ISA_AVX2, MXT_F32, 16, 6, "avx2_f32_16x6"},
     mxt_ukr_avx2_f32_16x6,
     NULL,
     .edge_rows = 8,
     .f32_edge = {NULL, mxt_ukr_avx2_f32_16x6_e1}},
    {{MXT_ISA_AVX2, MXT_F32, 24, 4, "avx2_f32_24x4"},
     mxt_ukr_avx2_f32_24x4,
     NULL,
     .edge_rows = 8,
     .f32_edge = {NULL, mxt_ukr_avx2_f32_24x4_e1, mxt_ukr_avx2_f32_24x4_e2}},
    {{MXT_ISA_AVX2, MXT_F64, 8, 6, "avx2_f64_8x6"},
     NULL,
     mxt_ukr_avx2_f64_8x6,
     .edge_rows = 4,
     .f64_edge = {NULL, mxt_ukr_avx2_f64_8x6_e1}},
    {{MXT_ISA_AVX2, MXT_F64, 12, 4, "avx2_f64_12x4"},
     NULL,
     mxt_ukr_avx2_f64_12x4,
     .edge_rows = 4,
     .f64_edge = {NULL, mxt_ukr_avx2_f64_12x4_e1, mxt_ukr_avx2_f64_12x4_e2}},
#endif
    {{MXT_ISA_GENERIC, MXT_F32, 8, 4, "generic_f32_8x4"},
     mxt_ukr_generic_f32_8x4,
     NULL,
     .edge_rows = 0},
    {{MXT_ISA_GENERIC, MXT_F64, 4, 4, "generic_f64_4x4"},
     NULL,
     mxt_ukr_generic_f64_4x4,
     .edge_rows = 0},
};

int mxt_kernels_count(void) {
    return (int)MXT_ARRAY_LEN(registry);
}

const struct mxt_kernel_info *mxt_kernels_get(int i) {
    if (i < 0 || i >= mxt_kernels_count()) return NULL;
    return &registry[i].info;
}

const struct mxt_ukr *mxt_ukr_find(enum mxt_isa isa, enum mxt_dtype dtype, int mr, int nr) {
    for (size_t i = 0; i < MXT_ARRAY_LEN(registry); i++) {
        const struct mxt_kernel_info *k = &registry[i].info;
        if (k->isa == isa && k->dtype == dtype && k->mr == mr && k->nr == nr) return &registry[i];
    }
    return NULL;
}

const struct mxt_ukr *mxt_ukr_default(enum mxt_isa isa, enum mxt_dtype dtype) {
    for (size_t i = 0; i < MXT_ARRAY_LEN(registry); i++)
        if (registry[i].info.isa == isa && registry[i].info.dtype == dtype) return &registry[i];
    return NULL;
}

const struct mxt_kernel_info *mxt_kernels_find(enum mxt_isa isa, enum mxt_dtype dtype, int mr,
                                               int nr) {
    const struct mxt_ukr *u = mxt_ukr_find(isa, dtype, mr, nr);
    return u ? &u->info : NULL;
}
