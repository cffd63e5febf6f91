/* Internal interface of the Rosko sparse kernels (kernels/): the packed matrix,
 * the byte layout of one tile, and the micro-kernels. Public API: mxtune/sparse.h.
 * Not installed; only kernels/spmm*.c and ukernel_spmm_*.c include it. */
#ifndef MXT_SPMM_H
#define MXT_SPMM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "mxtune/sparse.h"

/* One tile of A (mr rows x kc columns), at an 8-byte aligned offset of the data:
 *   uint32 ncols, nnz             the kept columns and the nonzeros of the tile
 *   uint32 cols[ncols]            column index in A (absolute, < K) per kept column
 *   float  vals[nnz + 1]          values, column by column, rows ascending
 *   uint8  cnts[ncols]            nonzeros per kept column (1..mr)
 *   uint8  rows[nnz + 1]          row index within the tile per value
 *   padding to 8 bytes
 * The extra value and row (zeros) let a micro-kernel read one slot past the last
 * column without a branch (see ukernel_spmm_avx512_f32.c). */
#define MXT_ROSKO_TILE_ALIGN 8

static inline size_t mxt_rosko_tile_bytes(int64_t ncols, int64_t nnz) {
    size_t b = 8 + 4 * (size_t)ncols + 4 * (size_t)(nnz + 1) + (size_t)ncols + (size_t)(nnz + 1);
    return (b + MXT_ROSKO_TILE_ALIGN - 1) / MXT_ROSKO_TILE_ALIGN * MXT_ROSKO_TILE_ALIGN;
}

/* The arrays of the tile at t. */
struct mxt_rosko_tile {
    uint32_t ncols, nnz;
    const uint32_t *cols;
    const float *vals;
    const uint8_t *cnts;
    const uint8_t *rows;
};

static inline void mxt_rosko_tile_view(const unsigned char *t, struct mxt_rosko_tile *v) {
    memcpy(&v->ncols, t, 4);
    memcpy(&v->nnz, t + 4, 4);
    v->cols = (const uint32_t *)(const void *)(t + 8);
    v->vals = (const float *)(const void *)(t + 8 + 4 * (size_t)v->ncols);
    v->cnts = (const uint8_t *)(t + 8 + 4 * (size_t)v->ncols + 4 * ((size_t)v->nnz + 1));
    v->rows = v->cnts + v->ncols;
}

struct mxt_rosko {
    int64_t m, k, kc;
    int mr;
    int64_t tiles_m, tiles_k; /* ceil(m/mr), ceil(k/kc) */
    int64_t nnz, kept;
    int64_t *tile_off;  /* tiles_m * tiles_k + 1 byte offsets, tile (i, j) at i*tiles_k + j */
    int64_t *panel_nnz; /* tiles_m + 1 prefix sums of the nonzeros per row panel */
    unsigned char *data;
    size_t bytes;
};

static inline const unsigned char *mxt_rosko_tile_at(const struct mxt_rosko *a, int64_t i,
                                                     int64_t j) {
    return a->data + a->tile_off[i * a->tiles_k + j];
}

/* The default register width (floats) of the Rosko kernels; the kc fallback of the
 * packers sizes for it. */
#define MXT_SPMM_NR_DEFAULT 64

/* A Rosko micro-kernel: for each kept column q of the tile, C[row, 0:nr] +=
 * val * B[cols[q], 0:nr] for every nonzero (row, val) of the column.
 * b: a packed B panel of nr floats per row, row k at b + k*nr for every column index
 * k of the tile; c: the C tile, (mr + 1) rows of nr floats, row r at c + r*nr; row mr
 * is scratch that the kernel may write (never read back by the caller). */
typedef void (*mxt_spmm_ukr_fn)(const unsigned char *tile, const float *restrict b,
                                float *restrict c, int mr);

/* The kernel for (concrete isa, nr), or NULL: isa avx512 or generic (avx2 takes
 * the generic one), nr 16, 32, 48 or 64. */
mxt_spmm_ukr_fn mxt_spmm_ukr_find(enum mxt_isa isa, int nr);

void mxt_spmm_ukr_generic_16(const unsigned char *tile, const float *restrict b, float *restrict c,
                             int mr);
void mxt_spmm_ukr_generic_32(const unsigned char *tile, const float *restrict b, float *restrict c,
                             int mr);
void mxt_spmm_ukr_generic_48(const unsigned char *tile, const float *restrict b, float *restrict c,
                             int mr);
void mxt_spmm_ukr_generic_64(const unsigned char *tile, const float *restrict b, float *restrict c,
                             int mr);
#ifdef MXT_KERNELS_X86
void mxt_spmm_ukr_avx512_16(const unsigned char *tile, const float *restrict b, float *restrict c,
                            int mr);
void mxt_spmm_ukr_avx512_32(const unsigned char *tile, const float *restrict b, float *restrict c,
                            int mr);
void mxt_spmm_ukr_avx512_48(const unsigned char *tile, const float *restrict b, float *restrict c,
                            int mr);
void mxt_spmm_ukr_avx512_64(const unsigned char *tile, const float *restrict b, float *restrict c,
                            int mr);
#endif

#endif
