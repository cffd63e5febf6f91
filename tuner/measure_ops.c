/* The measurers of spmm and of the low-rank product (tuner/): operands once per
 * problem from a recorded seed, the timing method of measure.c, and a check of a
 * sample of the result against a higher-precision reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mxtune/gemm.h"
#include "mxtune/sparse.h"
#include "tuner_internal.h"

#define CHECK_MAX MXT_MEASURE_CHECK_MAX

/* Worst |r - ref| / scale over the checked entries (NaN and Inf: infinite). */
static double rel_error(long double r, long double ref, long double scale) {
    if (!isfinite((double)r)) return INFINITY;
    long double d = fabsl(r - ref);
    return scale > 0 ? (double)(d / scale) : (d > 0 ? INFINITY : 0);
}

/* ---- spmm ---------------------------------------------------------------------------- */

#define PACK_CACHE 4 /* packed copies of A kept, one per tile shape (mr, kc) */

struct packed {
    int mr;
    int64_t kc;
    struct mxt_rosko *a;
    uint64_t used;
    double pack_s; /* seconds the packing took (once, by the bench's clock) */
};

struct mxt_spmm_bench {
    int64_t m, n, k;
    double density;
    int64_t *row_ptr; /* A in CSR, rows in order */
    int32_t *col;
    float *val;
    float *b, *c; /* column-major: B k x n, C m x n */
    int nrows, ncols;
    int64_t rows[CHECK_MAX], cols[CHECK_MAX];
    double ref[CHECK_MAX * CHECK_MAX], absref[CHECK_MAX * CHECK_MAX];
    struct packed cache[PACK_CACHE];
    uint64_t tick;
    struct mxt_flusher flush;
    const struct mxt_clock *clock;
};

int64_t mxt_spmm_bench_nnz(const struct mxt_spmm_bench *b) {
    return b->row_ptr[b->m];
}

void mxt_spmm_bench_destroy(struct mxt_spmm_bench *b) {
    if (!b) return;
    for (int i = 0; i < PACK_CACHE; i++)
        mxt_rosko_destroy(b->cache[i].a);
    free(b->row_ptr);
    free(b->col);
    free(b->val);
    free(b->b);
    free(b->c);
    mxt_flusher_release(&b->flush);
    free(b);
}

void mxt_spmm_bench_set_clock(struct mxt_spmm_bench *b, const struct mxt_clock *clock) {
    b->clock = clock ? clock : &mxt_clock_default;
}

/* Double-precision reference of the checked entries (products of floats are
 * exact in double). */
static void spmm_reference(struct mxt_spmm_bench *b) {
    for (int r = 0; r < b->nrows; r++) {
        const int64_t i = b->rows[r];
        for (int q = 0; q < b->ncols; q++) {
            const int64_t j = b->cols[q];
            double s = 0, sa = 0;
            for (int64_t e = b->row_ptr[i]; e < b->row_ptr[i + 1]; e++) {
                double x = (double)b->val[e] * (double)b->b[b->col[e] + j * b->k];
                s += x;
                sa += fabs(x);
            }
            b->ref[r * CHECK_MAX + q] = s;
            b->absref[r * CHECK_MAX + q] = sa;
        }
    }
}

int mxt_spmm_bench_create(int64_t m, int64_t n, int64_t k, double density, uint64_t seed,
                          struct mxt_spmm_bench **out) {
    *out = NULL;
    if (m < 1 || n < 1 || k < 1)
        return mxt_error(MXT_EINVAL, "sizes must be positive (M=%lld N=%lld K=%lld)", (long long)m,
                         (long long)n, (long long)k);
    if (!(density > 0 && density <= 1))
        return mxt_error(MXT_EINVAL, "density = %g is outside (0, 1]", density);
    if (k >= INT32_MAX) return mxt_error(MXT_EINVAL, "K = %lld is 2^31 or more", (long long)k);
    /* CSR (12 bytes a nonzero), the packed copies (about 10 each), B, C and B packed */
    const double nnz_e = density * (double)m * (double)k;
    const double need = nnz_e * (12.0 + 10.0 * PACK_CACHE) + 8.0 * (double)m +
                        4.0 * (2.0 * (double)k * (double)n + (double)m * (double)n);
    const double phys = mxt_measure_phys_bytes();
    if (need > 0x1p62 || (phys > 0 && need > 0.8 * phys))
        return mxt_error(MXT_ENOMEM,
                         "cannot allocate spmm %lldx%lldx%lld at density %g: needs %.3g GiB, this "
                         "machine has %.3g GiB",
                         (long long)m, (long long)n, (long long)k, density, need / 0x1p30,
                         phys / 0x1p30);
    struct mxt_spmm_bench *b = calloc(1, sizeof *b);
    if (!b) return mxt_error(MXT_ENOMEM, "out of memory");
    b->m = m;
    b->n = n;
    b->k = k;
    b->density = density;
    b->clock = &mxt_clock_default;
    uint64_t rng = seed ^ 0x6d78747573706d6dull; /* "mxtuspmm" */
    /* every element is a nonzero with probability density: a first pass counts */
    size_t cap = (size_t)(nnz_e + 6.0 * sqrt(nnz_e + 1.0) + 16.0);
    b->row_ptr = malloc(((size_t)m + 1) * sizeof *b->row_ptr);
    b->col = malloc(cap * sizeof *b->col);
    b->val = malloc(cap * sizeof *b->val);
    b->b = mxt_measure_alloc((size_t)k * (size_t)n, sizeof(float));
    b->c = mxt_measure_alloc((size_t)m * (size_t)n, sizeof(float));
    if (!b->row_ptr || !b->col || !b->val || !b->b || !b->c) goto nomem;
    size_t nnz = 0;
    b->row_ptr[0] = 0;
    for (int64_t i = 0; i < m; i++) {
        for (int64_t p = 0; p < k; p++) {
            double u = (double)(mxt_measure_rand(&rng) >> 11) * 0x1.0p-53;
            if (u >= density) continue;
            if (nnz == cap) {
                size_t nc = cap * 2;
                int32_t *c2 = realloc(b->col, nc * sizeof *c2);
                if (!c2) goto nomem;
                b->col = c2;
                float *v2 = realloc(b->val, nc * sizeof *v2);
                if (!v2) goto nomem;
                b->val = v2;
                cap = nc;
            }
            b->col[nnz] = (int32_t)p;
            b->val[nnz++] = (float)mxt_measure_uniform(&rng);
        }
        b->row_ptr[i + 1] = (int64_t)nnz;
    }
    mxt_measure_fill(b->b, MXT_F32, (size_t)k * (size_t)n, &rng);
    memset(b->c, 0, (size_t)m * (size_t)n * sizeof(float));
    b->nrows = mxt_measure_pick_indices(m, b->rows, &rng);
    b->ncols = mxt_measure_pick_indices(n, b->cols, &rng);
    spmm_reference(b);
    *out = b;
    return 0;
nomem:
    mxt_spmm_bench_destroy(b);
    return mxt_error(MXT_ENOMEM, "cannot allocate spmm %lldx%lldx%lld at density %g", (long long)m,
                     (long long)n, (long long)k, density);
}

/* A packed with tiles mr x kc: from the cache, else packed now (outside the
 * timed runs; how long it took is kept); the least recently used copy makes
 * room. mr or kc at 0: the packer's rules for this A (the copy is then filed
 * under the tile it got). */
static int spmm_packed(struct mxt_spmm_bench *b, int mr, int64_t kc, struct packed **out) {
    struct packed *slot = &b->cache[0];
    for (int i = 0; i < PACK_CACHE; i++) {
        struct packed *p = &b->cache[i];
        if (p->a && p->mr == mr && p->kc == kc) {
            p->used = ++b->tick;
            *out = p;
            return 0;
        }
        if (!p->a || (slot->a && p->used < slot->used)) slot = p;
    }
    mxt_rosko_destroy(slot->a);
    memset(slot, 0, sizeof *slot);
    const struct mxt_config tile = {.mr = mr, .kc = kc};
    const double t0 = mxt_clock_now(b->clock);
    int rc = mxt_rosko_create_csr(b->m, b->k, b->row_ptr, b->col, b->val, &tile, &slot->a);
    if (rc) return rc;
    slot->pack_s = mxt_clock_now(b->clock) - t0;
    struct mxt_rosko_info info;
    if ((rc = mxt_rosko_info(slot->a, &info))) return rc;
    slot->mr = info.mr;
    slot->kc = info.kc;
    slot->used = ++b->tick;
    *out = slot;
    return 0;
}

int mxt_spmm_bench_config(struct mxt_spmm_bench *b, const struct mxt_config *cfg,
                          struct mxt_config *out, double *pack_s) {
    const struct mxt_config none = {0};
    if (!cfg) cfg = &none;
    struct packed *p = NULL;
    int rc = spmm_packed(b, cfg->mr, cfg->kc, &p);
    if (rc) return rc;
    if ((rc = mxt_spmm_resolve_config(p->a, b->n, cfg, out))) return rc;
    if (pack_s) *pack_s = p->pack_s;
    return 0;
}

struct spmm_run {
    const struct mxt_spmm_bench *b;
    const struct mxt_rosko *a;
    const struct mxt_config *cfg;
};

static int spmm_run(void *ctx) {
    const struct spmm_run *r = ctx;
    const struct mxt_spmm_bench *b = r->b;
    return mxt_spmm(MXT_COL_MAJOR, b->m, b->n, b->k, 1.0f, r->a, b->b, b->k, 0.0f, b->c, b->m,
                    r->cfg);
}

static void spmm_check(const struct mxt_spmm_bench *b, struct mxt_measure_result *out) {
    double worst = 0;
    for (int r = 0; r < b->nrows; r++)
        for (int q = 0; q < b->ncols; q++) {
            double e = rel_error(b->c[b->rows[r] + b->cols[q] * b->m], b->ref[r * CHECK_MAX + q],
                                 b->absref[r * CHECK_MAX + q]);
            if (!(e <= worst)) worst = e;
        }
    out->checked = b->nrows * b->ncols;
    out->max_rel_error = worst;
    out->error_bound = MXT_MEASURE_BOUND_C * (double)b->k * 0x1p-24;
    out->within_bound = worst <= out->error_bound;
}

int mxt_spmm_bench_measure(void *bench, const struct mxt_config *cfg,
                           const struct mxt_measure_opts *o, struct mxt_measure_result *out) {
    struct mxt_spmm_bench *b = bench;
    struct mxt_measure_opts def;
    o = mxt_measure_begin(o, &def, out);
    if (cfg->mr < 1 || cfg->mr > MXT_ROSKO_MAX_MR || cfg->kc < 1)
        return mxt_error(MXT_EINVAL, "spmm: tile mr = %d, kc = %lld is not a Rosko tile", cfg->mr,
                         (long long)cfg->kc);
    struct mxt_config c = *cfg;
    if (c.mc && c.kc && c.nc) c.alpha = 0; /* blocks given: alpha is only their record */
    struct packed *p = NULL;
    int rc = spmm_packed(b, c.mr, c.kc, &p);
    if (rc) return rc;
    const struct mxt_rosko *a = p->a;
    struct mxt_config resolved;
    if ((rc = mxt_spmm_resolve_config(a, b->n, &c, &resolved))) return rc;
    if (o->check) {
        const size_t n = (size_t)b->m * (size_t)b->n;
        for (size_t i = 0; i < n; i++)
            b->c[i] = NAN; /* an entry never written fails the check */
    }
    struct spmm_run r = {b, a, &c};
    if ((rc = mxt_measure_runs(b->clock, &b->flush, o, spmm_run, &r, out))) return rc;
    if (o->check) spmm_check(b, out);
    return 0;
}

/* ---- low rank --------------------------------------------------------------------------- */

struct mxt_lowrank_bench {
    enum mxt_dtype dt;
    int64_t m, n, k, r;
    int order;
    void *u, *v, *x, *y; /* column-major: U m x r, V r x k, X k x n, Y m x n */
    int nrows, ncols;
    int64_t rows[CHECK_MAX], cols[CHECK_MAX];
    long double ref[CHECK_MAX * CHECK_MAX], absref[CHECK_MAX * CHECK_MAX];
    struct mxt_flusher flush;
    const struct mxt_clock *clock;
};

void mxt_lowrank_bench_destroy(struct mxt_lowrank_bench *b) {
    if (!b) return;
    free(b->u);
    free(b->v);
    free(b->x);
    free(b->y);
    mxt_flusher_release(&b->flush);
    free(b);
}

void mxt_lowrank_bench_set_clock(struct mxt_lowrank_bench *b, const struct mxt_clock *clock) {
    b->clock = clock ? clock : &mxt_clock_default;
}

static long double el(const void *p, enum mxt_dtype dt, int64_t i) {
    return dt == MXT_F32 ? (long double)((const float *)p)[i] : (long double)((const double *)p)[i];
}

/* Reference of the checked entries: W = U V row by row, then W X, accumulated
 * in long double (exact products of floats; 64-bit significands for f64). */
static int lowrank_reference(struct mxt_lowrank_bench *b) {
    long double *w = malloc((size_t)b->k * 2 * sizeof *w);
    if (!w) return mxt_error(MXT_ENOMEM, "out of memory");
    long double *aw = w + b->k;
    for (int rr = 0; rr < b->nrows; rr++) {
        const int64_t i = b->rows[rr];
        for (int64_t p = 0; p < b->k; p++) {
            long double s = 0, sa = 0;
            for (int64_t q = 0; q < b->r; q++) {
                long double t = el(b->u, b->dt, i + q * b->m) * el(b->v, b->dt, q + p * b->r);
                s += t;
                sa += fabsl(t);
            }
            w[p] = s;
            aw[p] = sa;
        }
        for (int qq = 0; qq < b->ncols; qq++) {
            const int64_t j = b->cols[qq];
            long double s = 0, sa = 0;
            for (int64_t p = 0; p < b->k; p++) {
                long double xv = el(b->x, b->dt, p + j * b->k);
                s += w[p] * xv;
                sa += aw[p] * fabsl(xv);
            }
            b->ref[rr * CHECK_MAX + qq] = s;
            b->absref[rr * CHECK_MAX + qq] = sa;
        }
    }
    free(w);
    return 0;
}

int mxt_lowrank_bench_create(enum mxt_dtype dt, int64_t m, int64_t n, int64_t k, int64_t rank,
                             int order, uint64_t seed, struct mxt_lowrank_bench **out) {
    *out = NULL;
    if (m < 1 || n < 1 || k < 1)
        return mxt_error(MXT_EINVAL, "sizes must be positive (M=%lld N=%lld K=%lld)", (long long)m,
                         (long long)n, (long long)k);
    if (rank < 1 || rank > (m < k ? m : k))
        return mxt_error(MXT_EINVAL, "rank = %lld is outside [1, min(m, k)]", (long long)rank);
    if (dt != MXT_F32 && dt != MXT_F64) return mxt_error(MXT_EINVAL, "unknown dtype %d", (int)dt);
    if (order != MXT_LOWRANK_U_VX && order != MXT_LOWRANK_UV_X)
        return mxt_error(MXT_EINVAL, "order %d is not U(VX) (0) or (UV)X (1)", order);
    const double s = mxt_dtype_size(dt), M = (double)m, N = (double)n, K = (double)k,
                 R = (double)rank;
    /* operands, the chain's workspace, and the larger stage's packing */
    const double need = s * (M * R + R * K + K * N + M * N) +
                        s * (order == MXT_LOWRANK_U_VX ? R * N : M * K) +
                        s * (M + N) * (K > R ? K : R);
    const double phys = mxt_measure_phys_bytes();
    if (need > 0x1p62 || (phys > 0 && need > 0.8 * phys))
        return mxt_error(MXT_ENOMEM,
                         "cannot allocate %s lowrank %lldx%lldx%lld rank %lld: needs %.3g GiB, "
                         "this machine has %.3g GiB",
                         mxt_dtype_name(dt), (long long)m, (long long)n, (long long)k,
                         (long long)rank, need / 0x1p30, phys / 0x1p30);
    struct mxt_lowrank_bench *b = calloc(1, sizeof *b);
    if (!b) return mxt_error(MXT_ENOMEM, "out of memory");
    b->dt = dt;
    b->m = m;
    b->n = n;
    b->k = k;
    b->r = rank;
    b->order = order;
    b->clock = &mxt_clock_default;
    const size_t esz = (size_t)mxt_dtype_size(dt);
    b->u = mxt_measure_alloc((size_t)m * (size_t)rank, esz);
    b->v = mxt_measure_alloc((size_t)rank * (size_t)k, esz);
    b->x = mxt_measure_alloc((size_t)k * (size_t)n, esz);
    b->y = mxt_measure_alloc((size_t)m * (size_t)n, esz);
    int rc;
    if (!b->u || !b->v || !b->x || !b->y) {
        rc = mxt_error(MXT_ENOMEM, "cannot allocate %s lowrank %lldx%lldx%lld rank %lld",
                       mxt_dtype_name(dt), (long long)m, (long long)n, (long long)k,
                       (long long)rank);
        goto fail;
    }
    uint64_t rng = seed ^ 0x6d7874756c6f7772ull; /* "mxtulowr" */
    mxt_measure_fill(b->u, dt, (size_t)m * (size_t)rank, &rng);
    mxt_measure_fill(b->v, dt, (size_t)rank * (size_t)k, &rng);
    mxt_measure_fill(b->x, dt, (size_t)k * (size_t)n, &rng);
    memset(b->y, 0, (size_t)m * (size_t)n * esz);
    b->nrows = mxt_measure_pick_indices(m, b->rows, &rng);
    b->ncols = mxt_measure_pick_indices(n, b->cols, &rng);
    if ((rc = lowrank_reference(b))) goto fail;
    *out = b;
    return 0;
fail:
    mxt_lowrank_bench_destroy(b);
    return rc;
}

struct lowrank_run {
    const struct mxt_lowrank_bench *b;
    const struct mxt_config *kcfg;
};

static int lowrank_run(void *ctx) {
    const struct lowrank_run *r = ctx;
    const struct mxt_lowrank_bench *b = r->b;
    const struct mxt_lowrank op = {.dtype = b->dt,
                                   .layout = MXT_COL_MAJOR,
                                   .m = b->m,
                                   .n = b->n,
                                   .k = b->k,
                                   .rank = b->r,
                                   .u = b->u,
                                   .ldu = b->m,
                                   .v = b->v,
                                   .ldv = b->r,
                                   .x = b->x,
                                   .ldx = b->k,
                                   .y = b->y,
                                   .ldy = b->m,
                                   .alpha = 1.0,
                                   .beta = 0.0,
                                   .order = b->order};
    int used = -1;
    int rc = mxt_lowrank_gemm(&op, r->kcfg, &used);
    if (rc == 0 && used != b->order)
        rc = mxt_error(MXT_EMEASURE, "the low-rank chain ran order %d, not %d", used, b->order);
    return rc;
}

static void lowrank_check(const struct mxt_lowrank_bench *b, struct mxt_measure_result *out) {
    const double u = b->dt == MXT_F32 ? 0x1p-24 : 0x1p-53;
    double worst = 0;
    for (int r = 0; r < b->nrows; r++)
        for (int q = 0; q < b->ncols; q++) {
            double e = rel_error(el(b->y, b->dt, b->rows[r] + b->cols[q] * b->m),
                                 b->ref[r * CHECK_MAX + q], b->absref[r * CHECK_MAX + q]);
            if (!(e <= worst)) worst = e;
        }
    out->checked = b->nrows * b->ncols;
    out->max_rel_error = worst;
    /* T = V X (or W = U V) within c K u (or c r u) of its |.||.|, then the second
     * product adds c r u (or c K u): together c (K + r) u of |U||V||X| */
    out->error_bound = MXT_MEASURE_BOUND_C * (double)(b->k + b->r) * u;
    out->within_bound = worst <= out->error_bound;
}

int mxt_lowrank_bench_measure(void *bench, const struct mxt_config *cfg,
                              const struct mxt_measure_opts *o, struct mxt_measure_result *out) {
    struct mxt_lowrank_bench *b = bench;
    struct mxt_measure_opts def;
    o = mxt_measure_begin(o, &def, out);
    struct mxt_config kcfg;
    int rc = mxt_measure_kernel_config(b->dt, cfg, &kcfg);
    if (rc) return rc;
    if (o->check) {
        const size_t n = (size_t)b->m * (size_t)b->n;
        for (size_t i = 0; i < n; i++) {
            if (b->dt == MXT_F32)
                ((float *)b->y)[i] = NAN;
            else
                ((double *)b->y)[i] = NAN;
        }
    }
    struct lowrank_run r = {b, &kcfg};
    if ((rc = mxt_measure_runs(b->clock, &b->flush, o, lowrank_run, &r, out))) return rc;
    if (o->check) lowrank_check(b, out);
    return 0;
}
