/* AVX-512 packing primitives (kernels/): the two shapes every packing case reduces
 * to, for f32 and f64. "copy": the panel's lines are contiguous in the source at
 * each k; "transpose": each line is contiguous along k, so 16 (f32) or 8 (f64)
 * lines x as many k are transposed in registers. Used by pack.c for AVX-512 plans. */
#include <immintrin.h>
#include "mxt_kernels.h"

/* Software prefetch distance of the "copy" primitive, in steps (source rows). */
#define PACK_PF_STEPS 8

/* dst[p*w + i] = i < nb ? src[p*ld + i] : 0 for p < k, i < w (w <= 64). */
void mxt_pack_copy_avx512_f32(int w, int64_t nb, int64_t k, const float *src, int64_t ld,
                              float *dst) {
    for (int64_t p = 0; p < k; p++) {
        const float *s = src + p * ld;
        float *d = dst + p * w;
        for (int g = 0; g < nb; g += 16) /* the source strides by ld: help the prefetcher */
            _mm_prefetch((const char *)(s + PACK_PF_STEPS * ld + g), _MM_HINT_T0);
        for (int g = 0; g < w; g += 16) {
            const int64_t valid = nb - g < 0 ? 0 : nb - g > 16 ? 16 : nb - g;
            const int room = w - g > 16 ? 16 : w - g;
            if (valid == 16 && room == 16) { /* full vector: masks are slow on some cores */
                _mm512_storeu_ps(d + g, _mm512_loadu_ps(s + g));
                continue;
            }
            const __mmask16 lm = (__mmask16)((1u << valid) - 1u);
            const __mmask16 sm = (__mmask16)((1u << room) - 1u);
            _mm512_mask_storeu_ps(d + g, sm, _mm512_maskz_loadu_ps(lm, s + g));
        }
    }
}

void mxt_pack_copy_avx512_f64(int w, int64_t nb, int64_t k, const double *src, int64_t ld,
                              double *dst) {
    for (int64_t p = 0; p < k; p++) {
        const double *s = src + p * ld;
        double *d = dst + p * w;
        for (int g = 0; g < nb; g += 8)
            _mm_prefetch((const char *)(s + PACK_PF_STEPS * ld + g), _MM_HINT_T0);
        for (int g = 0; g < w; g += 8) {
            const int64_t valid = nb - g < 0 ? 0 : nb - g > 8 ? 8 : nb - g;
            const int room = w - g > 8 ? 8 : w - g;
            if (valid == 8 && room == 8) {
                _mm512_storeu_pd(d + g, _mm512_loadu_pd(s + g));
                continue;
            }
            const __mmask8 lm = (__mmask8)((1u << valid) - 1u);
            const __mmask8 sm = (__mmask8)((1u << room) - 1u);
            _mm512_mask_storeu_pd(d + g, sm, _mm512_maskz_loadu_pd(lm, s + g));
        }
    }
}

/* In-register transpose of 16 vectors of 16 floats: r[i][j] -> r[j][i]. */
static inline void transpose16_ps(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(
            _mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(
            _mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(
            _mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(
            _mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    /* r[4q + c] now holds, in each 128-bit lane l, rows 4q..4q+3 of column 4l + c. */
    for (int i = 0; i < 16; i += 8)
        for (int c = 0; c < 4; c++) {
            t[i + c] = _mm512_shuffle_f32x4(r[i + c], r[i + 4 + c], 0x88);
            t[i + 4 + c] = _mm512_shuffle_f32x4(r[i + c], r[i + 4 + c], 0xdd);
        }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0x88);
        r[8 + c] = _mm512_shuffle_f32x4(t[c], t[8 + c], 0xdd);
        r[4 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0x88);
        r[12 + c] = _mm512_shuffle_f32x4(t[4 + c], t[12 + c], 0xdd);
    }
}

/* dst[p*w + i] = i < nb ? src[i*ld + p] : 0 for p < k, i < w (w <= 64). */
void mxt_pack_trans_avx512_f32(int w, int64_t nb, int64_t k, const float *src, int64_t ld,
                               float *dst) {
    const int64_t k16 = k / 16 * 16;
    for (int g = 0; g < w; g += 16) {
        const int64_t valid = nb - g < 0 ? 0 : nb - g > 16 ? 16 : nb - g;
        const int room = w - g > 16 ? 16 : w - g;
        const __mmask16 sm = (__mmask16)((1u << room) - 1u);
        for (int64_t p = 0; p < k16; p += 16) {
            __m512 r[16];
            MXT_UNROLL for (int i = 0; i < 16; i++) {
                if (i < valid)
                    _mm_prefetch((const char *)(src + (g + i) * ld + p + 4 * 16), _MM_HINT_T0);
                r[i] = i < valid ? _mm512_loadu_ps(src + (g + i) * ld + p) : _mm512_setzero_ps();
            }
            transpose16_ps(r);
            MXT_UNROLL for (int i = 0; i < 16; i++)
                _mm512_mask_storeu_ps(dst + (p + i) * w + g, sm, r[i]);
        }
        for (int64_t p = k16; p < k; p++)
            for (int i = 0; i < room; i++)
                dst[p * w + g + i] = i < valid ? src[(g + i) * ld + p] : 0;
    }
}

/* In-register transpose of 8 vectors of 8 doubles. */
static inline void transpose8_pd(__m512d r[8]) {
    __m512d t[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    }
    /* t[2q + c] holds, in 128-bit lane l, rows 2q, 2q+1 of column 2l + c. */
    for (int c = 0; c < 2; c++) {
        r[c] = _mm512_shuffle_f64x2(t[c], t[2 + c], 0x88);
        r[2 + c] = _mm512_shuffle_f64x2(t[c], t[2 + c], 0xdd);
        r[4 + c] = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0x88);
        r[6 + c] = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0xdd);
    }
    for (int c = 0; c < 2; c++) {
        t[c] = _mm512_shuffle_f64x2(r[c], r[4 + c], 0x88);
        t[4 + c] = _mm512_shuffle_f64x2(r[c], r[4 + c], 0xdd);
        t[2 + c] = _mm512_shuffle_f64x2(r[2 + c], r[6 + c], 0x88);
        t[6 + c] = _mm512_shuffle_f64x2(r[2 + c], r[6 + c], 0xdd);
    }
    for (int i = 0; i < 8; i++)
        r[i] = t[i];
}

void mxt_pack_trans_avx512_f64(int w, int64_t nb, int64_t k, const double *src, int64_t ld,
                               double *dst) {
    const int64_t k8 = k / 8 * 8;
    for (int g = 0; g < w; g += 8) {
        const int64_t valid = nb - g < 0 ? 0 : nb - g > 8 ? 8 : nb - g;
        const int room = w - g > 8 ? 8 : w - g;
        const __mmask8 sm = (__mmask8)((1u << room) - 1u);
        for (int64_t p = 0; p < k8; p += 8) {
            __m512d r[8];
            MXT_UNROLL for (int i = 0; i < 8; i++) {
                if (i < valid)
                    _mm_prefetch((const char *)(src + (g + i) * ld + p + 4 * 8), _MM_HINT_T0);
                r[i] = i < valid ? _mm512_loadu_pd(src + (g + i) * ld + p) : _mm512_setzero_pd();
            }
            transpose8_pd(r);
            MXT_UNROLL for (int i = 0; i < 8; i++)
                _mm512_mask_storeu_pd(dst + (p + i) * w + g, sm, r[i]);
        }
        for (int64_t p = k8; p < k; p++)
            for (int i = 0; i < room; i++)
                dst[p * w + g + i] = i < valid ? src[(g + i) * ld + p] : 0;
    }
}
