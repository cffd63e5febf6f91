/* Packing of op(A) into mr-row micro-panels and op(B) into nr-column micro-panels
 * (kernels/), zero-padded at the tails, for any strides (both layouts, both
 * transpose cases). Both are one operation on a panel of w "lines" (rows of A,
 * columns of B) over k steps: dst[p*w + i] = line i at step p. Packing is a copy,
 * so the generic body serves f32 and f64 by element size; AVX-512 plans use the
 * vector primitives of pack_avx512.c for the two common stride patterns. */
#include <stdlib.h>
#include <string.h>
#include "mxt_kernels.h"

#define MXT_INLINE static inline __attribute__((always_inline))

MXT_INLINE void copy_elem(char *dst, const char *src, size_t esz) {
    memcpy(dst, src, esz);
}

/* Element (line i, step p) at src[i*li + p*lk] for i < nb; lines nb..w-1 are zero. */
MXT_INLINE void panel_generic(size_t esz, int w, int64_t nb, int64_t k, const char *src, int64_t li,
                              int64_t lk, char *dst) {
    const size_t pad = (size_t)(w - nb) * esz, row = (size_t)w * esz;
    if (li == 1) { /* the nb lines are contiguous at each step */
        for (int64_t p = 0; p < k; p++) {
            char *d = dst + (size_t)p * row;
            const char *s = src + (size_t)(p * lk) * esz;
            for (int64_t i = 0; i < nb; i++)
                copy_elem(d + (size_t)i * esz, s + (size_t)i * esz, esz);
            if (pad) memset(d + (size_t)nb * esz, 0, pad);
        }
        return;
    }
    if (pad)
        for (int64_t p = 0; p < k; p++)
            memset(dst + (size_t)p * row + (size_t)nb * esz, 0, pad);
    if (lk == 1) { /* each line contiguous along k: read it once, scatter by w */
        for (int64_t i = 0; i < nb; i++) {
            const char *s = src + (size_t)(i * li) * esz;
            char *d = dst + (size_t)i * esz;
            for (int64_t p = 0; p < k; p++)
                copy_elem(d + (size_t)p * row, s + (size_t)p * esz, esz);
        }
        return;
    }
    for (int64_t p = 0; p < k; p++)
        for (int64_t i = 0; i < nb; i++)
            copy_elem(dst + (size_t)p * row + (size_t)i * esz,
                      src + (size_t)(i * li + p * lk) * esz, esz);
}

static void pack_panel(enum mxt_isa isa, size_t esz, int w, int64_t nb, int64_t k, const char *src,
                       int64_t li, int64_t lk, char *dst) {
#ifdef MXT_KERNELS_X86
    if (isa == MXT_ISA_AVX512 && (li == 1 || lk == 1)) {
        const int copy = li == 1;
        const int64_t ld = copy ? lk : li;
        if (esz == 4 && copy)
            mxt_pack_copy_avx512_f32(w, nb, k, (const float *)src, ld, (float *)dst);
        else if (esz == 4)
            mxt_pack_trans_avx512_f32(w, nb, k, (const float *)src, ld, (float *)dst);
        else if (copy)
            mxt_pack_copy_avx512_f64(w, nb, k, (const double *)src, ld, (double *)dst);
        else
            mxt_pack_trans_avx512_f64(w, nb, k, (const double *)src, ld, (double *)dst);
        return;
    }
#else
    (void)isa;
#endif
    if (esz == 4)
        panel_generic(4, w, nb, k, src, li, lk, dst);
    else
        panel_generic(8, w, nb, k, src, li, lk, dst);
}

/* Panels [q0, q1) of w lines each out of `lines` lines. When the lines are contiguous
 * at each step (li == 1) the steps run outermost in short chunks, so that the source
 * is read along its contiguous direction across all panels (one stream per step)
 * rather than a few lines per step and panel. */
static void pack_panels(enum mxt_isa isa, size_t esz, int w, int64_t lines, int64_t k,
                        const char *src, int64_t li, int64_t lk, char *dst, int64_t q0,
                        int64_t q1) {
    const int64_t chunk = li == 1 ? 8 : k;
    for (int64_t p0 = 0; p0 < k; p0 += chunk) {
        const int64_t kb = mxt_min64(chunk, k - p0);
        for (int64_t q = q0; q < q1; q++) {
            const int64_t i0 = q * w;
            pack_panel(isa, esz, w, mxt_min64(w, lines - i0), kb,
                       src + (size_t)(i0 * li + p0 * lk) * esz, li, lk,
                       dst + (size_t)(q * w * k + p0 * w) * esz);
        }
    }
}

void mxt_pack_a(enum mxt_isa isa, size_t esz, int mr, int64_t m, int64_t k, const void *a,
                int64_t rs, int64_t cs, void *dst, int64_t q0, int64_t q1) {
    const double t0 = mxt_prof_start();
    pack_panels(isa, esz, mr, m, k, a, rs, cs, dst, q0, q1);
    mxt_prof_stop(MXT_PROF_PACK_A, t0);
}

void mxt_pack_b(enum mxt_isa isa, size_t esz, int nr, int64_t k, int64_t n, const void *b,
                int64_t rs, int64_t cs, void *dst, int64_t q0, int64_t q1) {
    const double t0 = mxt_prof_start();
    pack_panels(isa, esz, nr, n, k, b, cs, rs, dst, q0, q1);
    mxt_prof_stop(MXT_PROF_PACK_B, t0);
}
