/* Packers of the Rosko format (kernels/, MODELS.md §4): CSR (validated) or dense
 * with a threshold into mr x kc tiles that keep only the columns holding a
 * nonzero; the packed matrix owns its memory (mxtune/sparse.h, mxt_spmm.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_kernels.h"
#include "mxt_spmm.h"

/* mr when the configuration leaves it at 0: with nr = 64 a 128 x 64 C tile (32 KiB)
 * still sits in a 48 KiB L1, and 128 rows give a kept column about twice the
 * nonzeros of 64 rows at low density, so each B row loaded serves more FMAs
 * (measured faster than 32 and 64 at 1-20 % density, docs/sparse.md). */
#define MR_DEFAULT 128

/* ---- tile sizes ------------------------------------------------------------------- */

/* kc when the configuration leaves it at 0: the Rosko L2 rule (MODELS.md §4)
 * a*kc^2 + 2*nr*kc <= L2/s with a = 2.5*d packed floats per element of A. */
static int64_t kc_fallback(int mr, int64_t k, double d) {
    long l2b = sysconf(_SC_LEVEL2_CACHE_SIZE);
    const double cap = (double)(l2b > 0 ? l2b : 1 << 20) / 4.0;
    const double a = 2.5 * d, b = 2.0 * MXT_SPMM_NR_DEFAULT;
    const double kc = a > 0 ? (-b + sqrt(b * b + 4.0 * a * cap)) / (2.0 * a) : cap / b;
    if (kc >= (double)k) return mxt_max64(k, 1); /* one tile column covers K */
    const int64_t kci = (int64_t)kc / mr * mr;
    return mxt_max64(kci, mr);
}

static int tile_config(const struct mxt_config *cfg, int64_t k, double d, int *mr, int64_t *kc) {
    static const struct mxt_config zero;
    if (!cfg) cfg = &zero;
    if (cfg->mr < 0 || cfg->mr > MXT_ROSKO_MAX_MR)
        return mxt_error(MXT_EINVAL, "mr=%d out of range [1, %d] for a Rosko tile", cfg->mr,
                         MXT_ROSKO_MAX_MR);
    if (cfg->kc < 0) return mxt_error(MXT_EINVAL, "kc=%lld is negative", (long long)cfg->kc);
    *mr = cfg->mr ? cfg->mr : MR_DEFAULT;
    *kc = cfg->kc ? cfg->kc : kc_fallback(*mr, k, d);
    if ((double)*mr * (double)mxt_min64(*kc, k) >= 4294967295.0)
        return mxt_error(MXT_EINVAL,
                         "a tile of mr=%d x kc=%lld could hold more nonzeros than "
                         "its 4-byte count",
                         *mr, (long long)*kc);
    return 0;
}

/* ---- the packer, one row panel at a time ------------------------------------------ */

/* Where the nonzeros come from. */
struct source {
    /* CSR */
    const int64_t *row_ptr;
    const int32_t *col_idx;
    const float *values;
    /* dense: element (i, l) at a[i*rs + l*cs]; kept when |a| > thr */
    const float *a;
    int64_t rs, cs;
    float thr;
};

struct packer {
    struct mxt_rosko *r;
    size_t cap;     /* bytes allocated at r->data */
    int64_t ecap;   /* entries allocated */
    uint32_t *ecol; /* the panel's entries in row order */
    uint8_t *erow;
    float *eval;
    uint32_t *scol; /* sorted by column (rows ascending within a column) */
    uint8_t *srow;
    float *sval;
    int64_t *pos;      /* per column of A: count, then the next slot; 0 between panels */
    int32_t *last;     /* per column: last row + 1 seen in this panel (duplicates) */
    uint32_t *touched; /* the distinct columns of the panel */
};

static int grow_entries(struct packer *p, int64_t need) {
    if (need <= p->ecap) return 0;
    int64_t cap = mxt_max64(need, 2 * p->ecap);
    uint32_t *ecol = realloc(p->ecol, (size_t)cap * 4);
    if (ecol) p->ecol = ecol;
    uint8_t *erow = realloc(p->erow, (size_t)cap);
    if (erow) p->erow = erow;
    float *eval = realloc(p->eval, (size_t)cap * 4);
    if (eval) p->eval = eval;
    uint32_t *scol = realloc(p->scol, (size_t)cap * 4);
    if (scol) p->scol = scol;
    uint8_t *srow = realloc(p->srow, (size_t)cap);
    if (srow) p->srow = srow;
    float *sval = realloc(p->sval, (size_t)cap * 4);
    if (sval) p->sval = sval;
    if (!ecol || !erow || !eval || !scol || !srow || !sval)
        return mxt_error(MXT_ENOMEM, "cannot allocate %lld entries for packing", (long long)cap);
    p->ecap = cap;
    return 0;
}

static int reserve_bytes(struct packer *p, size_t add) {
    const size_t need = p->r->bytes + add;
    if (need <= p->cap) return 0;
    size_t cap = need > 2 * p->cap ? need : 2 * p->cap;
    unsigned char *d = realloc(p->r->data, cap);
    if (!d) return mxt_error(MXT_ENOMEM, "cannot allocate %zu bytes for the packed matrix", cap);
    p->r->data = d;
    p->cap = cap;
    return 0;
}

/* Collect the nonzeros of rows [r0, r1) in row order into p->e*; returns the count
 * or a negative code (a repeated column in a CSR row). */
static int64_t collect(struct packer *p, const struct source *s, int64_t r0, int64_t r1) {
    const int64_t K = p->r->k;
    int64_t n = 0;
    if (s->row_ptr) {
        int rc = grow_entries(p, s->row_ptr[r1] - s->row_ptr[r0]);
        if (rc) return rc;
        for (int64_t i = r0; i < r1; i++)
            for (int64_t e = s->row_ptr[i]; e < s->row_ptr[i + 1]; e++) {
                const uint32_t c = (uint32_t)s->col_idx[e];
                if (p->last[c] == (int32_t)(i - r0) + 1)
                    return mxt_error(MXT_EFORMAT, "column %u appears twice in row %lld", c,
                                     (long long)i);
                p->last[c] = (int32_t)(i - r0) + 1;
                p->ecol[n] = c;
                p->erow[n] = (uint8_t)(i - r0);
                p->eval[n++] = s->values[e];
            }
        return n;
    }
    for (int64_t i = r0; i < r1; i++) {
        int rc = grow_entries(p, n + K);
        if (rc) return rc;
        for (int64_t l = 0; l < K; l++) {
            const float v = s->a[i * s->rs + l * s->cs];
            if (fabsf(v) <= s->thr) continue;
            p->ecol[n] = (uint32_t)l;
            p->erow[n] = (uint8_t)(i - r0);
            p->eval[n++] = v;
        }
    }
    return n;
}

static int cmp_u32(const void *a, const void *b) {
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Append the tiles of row panel `panel` from its n collected entries. */
static int pack_panel(struct packer *p, int64_t panel, int64_t n) {
    struct mxt_rosko *r = p->r;
    /* counting sort by column; the distinct columns in ascending order */
    int64_t nd = 0;
    for (int64_t e = 0; e < n; e++)
        if (p->pos[p->ecol[e]]++ == 0) p->touched[nd++] = p->ecol[e];
    if (nd > r->k / 8) { /* dense enough: a scan is cheaper than a sort */
        nd = 0;
        for (int64_t c = 0; c < r->k; c++)
            if (p->pos[c]) p->touched[nd++] = (uint32_t)c;
    } else {
        qsort(p->touched, (size_t)nd, sizeof(uint32_t), cmp_u32);
    }
    int64_t at = 0;
    for (int64_t q = 0; q < nd; q++) {
        const int64_t cnt = p->pos[p->touched[q]];
        p->pos[p->touched[q]] = at;
        at += cnt;
    }
    for (int64_t e = 0; e < n; e++) { /* stable: rows stay ascending within a column */
        const int64_t s = p->pos[p->ecol[e]]++;
        p->scol[s] = p->ecol[e];
        p->srow[s] = p->erow[e];
        p->sval[s] = p->eval[e];
    }
    for (int64_t q = 0; q < nd; q++) {
        p->pos[p->touched[q]] = 0;
        p->last[p->touched[q]] = 0;
    }
    /* one tile per kc columns */
    int64_t q = 0, s = 0;
    for (int64_t j = 0; j < r->tiles_k; j++) {
        const uint32_t cend = (uint32_t)mxt_min64(r->k, (j + 1) * r->kc);
        int64_t q1 = q, s1 = s;
        while (q1 < nd && p->touched[q1] < cend)
            q1++;
        while (s1 < n && p->scol[s1] < cend)
            s1++;
        const int64_t ncols = q1 - q, nnz = s1 - s;
        const size_t tb = mxt_rosko_tile_bytes(ncols, nnz);
        int rc = reserve_bytes(p, tb);
        if (rc) return rc;
        r->tile_off[panel * r->tiles_k + j] = (int64_t)r->bytes;
        unsigned char *t = r->data + r->bytes;
        memset(t, 0, tb);
        const uint32_t hdr[2] = {(uint32_t)ncols, (uint32_t)nnz};
        memcpy(t, hdr, 8);
        unsigned char *cols = t + 8, *vals = cols + 4 * ncols;
        uint8_t *cnts = vals + 4 * (nnz + 1), *rows = cnts + ncols;
        if (nnz > 0) { /* (the entry arrays are NULL until a panel has a nonzero) */
            memcpy(cols, p->touched + q, 4 * (size_t)ncols);
            memcpy(vals, p->sval + s, 4 * (size_t)nnz);
            memcpy(rows, p->srow + s, (size_t)nnz);
        }
        for (int64_t c = 0, e = s; c < ncols; c++) {
            int64_t e1 = e;
            while (e1 < s1 && p->scol[e1] == p->touched[q + c])
                e1++;
            cnts[c] = (uint8_t)(e1 - e);
            e = e1;
        }
        r->bytes += tb;
        r->nnz += nnz;
        r->kept += ncols;
        q = q1;
        s = s1;
    }
    r->panel_nnz[panel + 1] = r->panel_nnz[panel] + n;
    return 0;
}

static void packer_release(struct packer *p) {
    free(p->ecol);
    free(p->erow);
    free(p->eval);
    free(p->scol);
    free(p->srow);
    free(p->sval);
    free(p->pos);
    free(p->last);
    free(p->touched);
}

static int pack(int64_t M, int64_t K, const struct source *s, double d,
                const struct mxt_config *cfg, struct mxt_rosko **out) {
    struct packer p = {0};
    struct mxt_rosko *r = NULL;
    int mr = 0;
    int64_t kc = 0;
    int rc = tile_config(cfg, K, d, &mr, &kc);
    if (rc) return rc;
    r = calloc(1, sizeof(*r));
    if (!r) return mxt_error(MXT_ENOMEM, "cannot allocate a packed matrix");
    *r = (struct mxt_rosko){.m = M, .k = K, .kc = kc, .mr = mr};
    r->tiles_m = mxt_ceil_div(M, mr);
    r->tiles_k = K > 0 ? mxt_ceil_div(K, kc) : 0;
    const int64_t ntiles = r->tiles_m * r->tiles_k;
    r->tile_off = calloc((size_t)ntiles + 1, sizeof(int64_t));
    r->panel_nnz = calloc((size_t)r->tiles_m + 1, sizeof(int64_t));
    p.r = r;
    p.pos = calloc((size_t)K + 1, sizeof(int64_t));
    p.last = calloc((size_t)K + 1, sizeof(int32_t));
    p.touched = calloc((size_t)K + 1, sizeof(uint32_t));
    if (!r->tile_off || !r->panel_nnz || !p.pos || !p.last || !p.touched) {
        rc = mxt_error(MXT_ENOMEM, "cannot allocate the index of a %lld x %lld packed matrix",
                       (long long)M, (long long)K);
        goto fail;
    }
    if ((rc = reserve_bytes(&p, 64))) goto fail;
    for (int64_t i = 0; i < r->tiles_m; i++) {
        const int64_t r0 = i * mr, r1 = mxt_min64(M, r0 + mr);
        const int64_t n = collect(&p, s, r0, r1);
        if (n < 0) {
            rc = (int)n;
            goto fail;
        }
        if ((rc = pack_panel(&p, i, n))) goto fail;
    }
    r->tile_off[ntiles] = (int64_t)r->bytes;
    packer_release(&p);
    *out = r;
    return 0;
fail:
    packer_release(&p);
    mxt_rosko_destroy(r);
    return rc;
}

/* ---- public entry points ---------------------------------------------------------- */

static int check_out_and_sizes(struct mxt_rosko **out, int64_t M, int64_t K) {
    if (!out) return mxt_error(MXT_EINVAL, "no output pointer for the packed matrix");
    *out = NULL;
    if (M < 0 || K < 0)
        return mxt_error(MXT_EINVAL, "negative size M=%lld K=%lld", (long long)M, (long long)K);
    if (K > INT32_MAX)
        return mxt_error(MXT_EINVAL, "K=%lld exceeds the 4-byte column index (2^31 - 1)",
                         (long long)K);
    return 0;
}

int mxt_rosko_create_csr(int64_t M, int64_t K, const int64_t *row_ptr, const int32_t *col_idx,
                         const float *values, const struct mxt_config *cfg,
                         struct mxt_rosko **out) {
    int rc = check_out_and_sizes(out, M, K);
    if (rc) return rc;
    if (!row_ptr) return mxt_error(MXT_EINVAL, "row_ptr is NULL");
    if (row_ptr[0] != 0)
        return mxt_error(MXT_EFORMAT, "row_ptr[0]=%lld, expected 0", (long long)row_ptr[0]);
    for (int64_t i = 0; i < M; i++)
        if (row_ptr[i + 1] < row_ptr[i])
            return mxt_error(MXT_EFORMAT, "row_ptr decreases at row %lld (%lld then %lld)",
                             (long long)i, (long long)row_ptr[i], (long long)row_ptr[i + 1]);
    const int64_t nnz = row_ptr[M];
    if (nnz > 0 && (!col_idx || !values))
        return mxt_error(MXT_EINVAL, "%s is NULL with %lld nonzeros",
                         col_idx ? "values" : "col_idx", (long long)nnz);
    for (int64_t i = 0; i < M; i++)
        for (int64_t e = row_ptr[i]; e < row_ptr[i + 1]; e++)
            if (col_idx[e] < 0 || col_idx[e] >= K)
                return mxt_error(MXT_EFORMAT, "column index %d out of range [0, %lld) in row %lld",
                                 (int)col_idx[e], (long long)K, (long long)i);
    const struct source s = {.row_ptr = row_ptr, .col_idx = col_idx, .values = values};
    const double d = M > 0 && K > 0 ? (double)nnz / ((double)M * (double)K) : 0.0;
    return pack(M, K, &s, d, cfg, out);
}

int mxt_rosko_create_dense(enum mxt_layout layout, int64_t M, int64_t K, const float *A,
                           int64_t lda, float threshold, const struct mxt_config *cfg,
                           struct mxt_rosko **out) {
    int rc = check_out_and_sizes(out, M, K);
    if (rc) return rc;
    if (layout != MXT_ROW_MAJOR && layout != MXT_COL_MAJOR)
        return mxt_error(MXT_EINVAL, "unknown layout %d", (int)layout);
    if (!(threshold >= 0))
        return mxt_error(MXT_EINVAL, "threshold=%g must be >= 0", (double)threshold);
    const int64_t need = mxt_max64(1, layout == MXT_ROW_MAJOR ? K : M);
    if (lda < need)
        return mxt_error(MXT_EINVAL, "lda=%lld is smaller than %lld", (long long)lda,
                         (long long)need);
    if (M > 0 && K > 0 && !A) return mxt_error(MXT_EINVAL, "A is NULL");
    const struct source s = {.a = A,
                             .rs = layout == MXT_ROW_MAJOR ? lda : 1,
                             .cs = layout == MXT_ROW_MAJOR ? 1 : lda,
                             .thr = threshold};
    int64_t nnz = 0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t l = 0; l < K; l++)
            nnz += fabsf(A[i * s.rs + l * s.cs]) > threshold;
    const double d = M > 0 && K > 0 ? (double)nnz / ((double)M * (double)K) : 0.0;
    return pack(M, K, &s, d, cfg, out);
}

void mxt_rosko_destroy(struct mxt_rosko *A) {
    if (!A) return;
    free(A->tile_off);
    free(A->panel_nnz);
    free(A->data);
    free(A);
}

int mxt_rosko_info(const struct mxt_rosko *A, struct mxt_rosko_info *info) {
    if (!A || !info) return mxt_error(MXT_EINVAL, "NULL packed matrix or info");
    const int64_t ntiles = A->tiles_m * A->tiles_k;
    *info = (struct mxt_rosko_info){
        .m = A->m,
        .k = A->k,
        .mr = A->mr,
        .kc = A->kc,
        .nnz = A->nnz,
        .kept_columns = A->kept,
        .tiles = ntiles,
        .bytes = (int64_t)A->bytes + (ntiles + 1 + A->tiles_m + 1) * (int64_t)sizeof(int64_t),
        .density = A->m > 0 && A->k > 0 ? (double)A->nnz / ((double)A->m * (double)A->k) : 0.0};
    return 0;
}
