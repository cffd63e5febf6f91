/* The const table of micro-kernels (kernels/): ISA, dtype, register tile and entry
 * point of each. The model and the tuner enumerate it through mxt_kernels_get; the
 * drivers look kernels up by (isa, dtype, mr, nr). The first entry of each
 * (isa, dtype) is its default kernel. */
#include <stddef.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

/* KERNEL(isa, dtype, mr, nr, edge_rows, edges): the kernel
 * mxt_ukr_<isa>_<dtype>_<mr>x<nr> and its `edges` edge kernels _e1, _e2 (0 to 2:
 * the vectors of rows less one), each edge_rows (one vector) taller than the last. */
#define EDGES_0(dt, fn, rows) .edge_rows = 0
#define EDGES_1(dt, fn, rows) .edge_rows = rows, .dt##_edge = {NULL, fn##_e1}
#define EDGES_2(dt, fn, rows) .edge_rows = rows, .dt##_edge = {NULL, fn##_e1, fn##_e2}
#define ISA_generic MXT_ISA_GENERIC
#define ISA_avx2 MXT_ISA_AVX2
#define ISA_avx512 MXT_ISA_AVX512
#define DT_f32 MXT_F32
#define DT_f64 MXT_F64
/* The SIMD kernels (ukernel_simd.h) have a packing variant _pa; the generic ones not. */
#define PA_generic(dt, fn) .dt##_pa = NULL
#define PA_avx2(dt, fn) .dt##_pa = fn##_pa
#define PA_avx512(dt, fn) .dt##_pa = fn##_pa
#define KERNEL(isa, dt, mr, nr, rows, edges)                                                       \
    {                                                                                              \
        {ISA_##isa, DT_##dt, mr, nr, #isa "_" #dt "_" #mr "x" #nr},                                \
            .dt = mxt_ukr_##isa##_##dt##_##mr##x##nr,                                              \
            EDGES_##edges(dt, mxt_ukr_##isa##_##dt##_##mr##x##nr, rows),                           \
            PA_##isa(dt, mxt_ukr_##isa##_##dt##_##mr##x##nr)                                       \
    }

static const struct mxt_ukr registry[] = {
#ifdef MXT_KERNELS_X86
    KERNEL(avx512, f32, 32, 12, 16, 1), KERNEL(avx512, f32, 48, 8, 16, 2),
    KERNEL(avx512, f32, 32, 6, 16, 1),  KERNEL(avx512, f32, 16, 14, 16, 0),
    KERNEL(avx512, f64, 24, 8, 8, 2),   KERNEL(avx512, f64, 16, 12, 8, 1),
    KERNEL(avx512, f64, 16, 6, 8, 1),   KERNEL(avx512, f64, 8, 14, 8, 0),
    KERNEL(avx2, f32, 16, 6, 8, 1),     KERNEL(avx2, f32, 24, 4, 8, 2),
    KERNEL(avx2, f64, 8, 6, 4, 1),      KERNEL(avx2, f64, 12, 4, 4, 2),
#endif
    KERNEL(generic, f32, 8, 4, 8, 0),   KERNEL(generic, f64, 4, 4, 4, 0),
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
