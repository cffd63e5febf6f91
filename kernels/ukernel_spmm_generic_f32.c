/* Portable Rosko micro-kernels (kernels/): outer products of the kept columns of a
 * packed tile with nr-wide rows of a packed B panel into the C tile rows that the
 * row indices select (mxt_spmm.h). Plain C that compilers vectorize for any ISA. */
#include "mxt_spmm.h"

/* nr is a constant in each caller below. The B row is copied to a local array and each
 * C row is updated through a temporary: in this form GCC's SLP vectorizer handles the
 * row (it gives up on the in-place `cr[j] += v * br[j]`). */
static inline void spmm_generic(const unsigned char *tile, const float *restrict b,
                                float *restrict c, const int nr) {
    struct mxt_rosko_tile t;
    mxt_rosko_tile_view(tile, &t);
    const float *vals = t.vals;
    const uint8_t *rows = t.rows;
    float bl[64];
    for (uint32_t q = 0; q < t.ncols; q++) {
        memcpy(bl, b + (size_t)t.cols[q] * (size_t)nr, (size_t)nr * sizeof(float));
        const unsigned n = t.cnts[q];
        for (unsigned e = 0; e < n; e++) {
            float *cr = c + (size_t)rows[e] * (size_t)nr, tmp[64];
            const float v = vals[e];
            for (int j = 0; j < nr; j++)
                tmp[j] = cr[j] + v * bl[j];
            memcpy(cr, tmp, (size_t)nr * sizeof(float));
        }
        rows += n;
        vals += n;
    }
}

void mxt_spmm_ukr_generic_16(const unsigned char *tile, const float *restrict b, float *restrict c,
                             int mr) {
    (void)mr;
    spmm_generic(tile, b, c, 16);
}

void mxt_spmm_ukr_generic_32(const unsigned char *tile, const float *restrict b, float *restrict c,
                             int mr) {
    (void)mr;
    spmm_generic(tile, b, c, 32);
}

void mxt_spmm_ukr_generic_48(const unsigned char *tile, const float *restrict b, float *restrict c,
                             int mr) {
    (void)mr;
    spmm_generic(tile, b, c, 48);
}

void mxt_spmm_ukr_generic_64(const unsigned char *tile, const float *restrict b, float *restrict c,
                             int mr) {
    (void)mr;
    spmm_generic(tile, b, c, 64);
}
