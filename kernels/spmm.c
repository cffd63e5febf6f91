/* The Rosko SpMM driver (kernels/, MODELS.md §4): C = alpha * A * B + beta * C with A
 * packed by spmm_pack.c; configuration checks and fallbacks, B packed into nr-wide
 * panels by all threads, the K-first loop nest over per-thread C blocks. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_kernels.h"
#include "mxt_spmm.h"

mxt_spmm_ukr_fn mxt_spmm_ukr_find(enum mxt_isa isa, int nr) {
    static const struct {
        enum mxt_isa isa;
        int nr;
        mxt_spmm_ukr_fn fn;
    } table[] = {
#ifdef MXT_KERNELS_X86
        {MXT_ISA_AVX512, 64, mxt_spmm_ukr_avx512_64},
        {MXT_ISA_AVX512, 48, mxt_spmm_ukr_avx512_48},
        {MXT_ISA_AVX512, 32, mxt_spmm_ukr_avx512_32},
        {MXT_ISA_AVX512, 16, mxt_spmm_ukr_avx512_16},
#endif
        {MXT_ISA_GENERIC, 16, mxt_spmm_ukr_generic_16},
        {MXT_ISA_GENERIC, 32, mxt_spmm_ukr_generic_32},
        {MXT_ISA_GENERIC, 48, mxt_spmm_ukr_generic_48},
        {MXT_ISA_GENERIC, 64, mxt_spmm_ukr_generic_64},
    };
    if (isa == MXT_ISA_AVX2) isa = MXT_ISA_GENERIC; /* no AVX2 Rosko kernel */
    for (size_t i = 0; i < MXT_ARRAY_LEN(table); i++)
        if (table[i].isa == isa && table[i].nr == nr) return table[i].fn;
    return NULL;
}

/* ---- configuration ---------------------------------------------------------------- */

int mxt_spmm_resolve_config(const struct mxt_rosko *A, int64_t N, const struct mxt_config *cfg,
                            struct mxt_config *out) {
    static const struct mxt_config zero;
    if (!cfg) cfg = &zero;
    if (!A || !out) return mxt_error(MXT_EINVAL, "NULL packed matrix or output configuration");
    if (N < 0) return mxt_error(MXT_EINVAL, "negative size N=%lld", (long long)N);
    if (cfg->schedule != MXT_SCHED_CAKE && cfg->schedule != MXT_SCHED_CAKE_KMN)
        return mxt_error(MXT_EINVAL,
                         "spmm runs Rosko's K-first order: schedule cake or cake-kmn, "
                         "not '%s'",
                         mxt_schedule_name(cfg->schedule));
    int rc = mxt_config_check_ranges(cfg);
    if (rc) return rc;
    if (cfg->mr != 0 && cfg->mr != A->mr)
        return mxt_error(MXT_EINVAL, "mr=%d but the matrix was packed with mr=%d", cfg->mr, A->mr);
    if (cfg->kc != 0 && cfg->kc != A->kc)
        return mxt_error(MXT_EINVAL, "kc=%lld but the matrix was packed with kc=%lld",
                         (long long)cfg->kc, (long long)A->kc);
    struct mxt_config r = *cfg;
    if ((rc = mxt_kernels_resolve_isa(cfg->isa, &r.isa))) return rc;
    if (r.nr == 0) r.nr = r.isa == MXT_ISA_AVX512 ? MXT_SPMM_NR_DEFAULT : 16;
    if (!mxt_spmm_ukr_find(r.isa, r.nr))
        return mxt_error(MXT_EINVAL, "no Rosko kernel with nr=%d for isa '%s' (16, 32, 48, 64)",
                         r.nr, mxt_isa_name(r.isa));
    r.schedule = MXT_SCHED_CAKE_KMN;
    r.mr = A->mr;
    r.kc = A->kc;
    if (r.mc % r.mr != 0)
        return mxt_error(MXT_EINVAL, "mc=%lld is not a multiple of mr=%d", (long long)r.mc, r.mr);
    if (r.nc % r.nr != 0)
        return mxt_error(MXT_EINVAL, "nc=%lld is not a multiple of nr=%d", (long long)r.nc, r.nr);
    if (r.threads == 0) r.threads = mxt_min64(mxt_cpus_allowed(), MXT_MAX_THREADS);
    if (r.mc == 0) r.mc = 4 * (int64_t)r.mr;
    if (r.nc == 0) {
        double nc;
        if (r.alpha > 0) {
            nc = r.alpha * (double)r.threads * (double)r.mc;
        } else {
            const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
            nc = (l2 > 0 ? (double)l2 : 1048576.0) / 2.0 / ((double)r.mc * sizeof(float));
        }
        r.nc = (int64_t)fmin(nc, 1e15) / r.nr * r.nr;
        r.nc = mxt_max64(r.nc, r.nr);
    }
    *out = r;
    return 0;
}

/* Largest packed B block (bytes) when nc is smaller: a share of a shared L3 (sysconf's
 * L3 size is not trusted: virtual machines report whole-socket or invented sizes). */
#define MXT_SPMM_BPACK_MAX ((int64_t)8 << 20)

/* ---- the driver ------------------------------------------------------------------- */

struct spmm_ctx {
    const struct mxt_rosko *a;
    struct mxt_config cfg;
    mxt_spmm_ukr_fn ukr;
    int64_t n;
    const float *b;
    int64_t rsb, csb; /* B(k, j) at b[k*rsb + j*csb] */
    float *c;
    int64_t rsc, csc; /* C(i, j) at c[i*rsc + j*csc] */
    float alpha, beta;
    float *bp;    /* the packed B block: panel q (K x nr) at bp + q*K*nr */
    int64_t bw;   /* columns of B per packed block (a multiple of nr) */
    float **cbuf; /* per thread: mc/mr x (panels) C tiles of (mr+1) x nr */
    int64_t cbuf_panels;
    atomic_llong *next; /* the next work item of the current B block */
};

/* Even share [*lo, *hi) of n items for part t of np. */
static void share(int64_t n, int64_t t, int64_t np, int64_t *lo, int64_t *hi) {
    *lo = n * t / np;
    *hi = n * (t + 1) / np;
}

/* Pack rows [k0, k1) of panel q of the B block that starts at column j0 (nb wide),
 * with the GEMM's packing (AVX-512 copy or transpose when the plan runs AVX-512). */
static void pack_b_rows(const struct spmm_ctx *x, int64_t j0, int64_t nb, int64_t q, int64_t k0,
                        int64_t k1) {
    const int64_t nr = x->cfg.nr, K = x->a->k, jq = j0 + q * nr;
    mxt_pack_b(x->cfg.isa, sizeof(float), (int)nr, k1 - k0, mxt_min64(nr, nb - q * nr),
               x->b + k0 * x->rsb + jq * x->csb, x->rsb, x->csb,
               x->bp + (size_t)(q * K + k0) * (size_t)nr, 0, 1);
}

/* This thread's share of packing the B block [j0, j0 + nb): panel-major rows. */
static void pack_b_share(const struct spmm_ctx *x, int64_t j0, int64_t nb, int tid, int nt) {
    const int64_t K = x->a->k, np = mxt_ceil_div(nb, x->cfg.nr);
    int64_t lo, hi;
    share(np * K, tid, nt, &lo, &hi);
    while (lo < hi) {
        const int64_t q = lo / K, k0 = lo % K, k1 = mxt_min64(K, k0 + (hi - lo));
        pack_b_rows(x, j0, nb, q, k0, k1);
        lo += k1 - k0;
    }
}

/* C = alpha * (the C block in cb) + beta * C over rows [r0, r1), columns [j0, j1)
 * of the block, whose tiles are (mr+1) x nr, tile (ir, jr) at cb + (ir*np + jr)*tsz. */
static void merge_block(const struct spmm_ctx *x, const float *cb, int64_t np, int64_t r0,
                        int64_t r1, int64_t j0, int64_t j1) {
    const int64_t mr = x->a->mr, nr = x->cfg.nr, tsz = (mr + 1) * nr;
    const float alpha = x->alpha, beta = x->beta;
    if (x->csc == 1) { /* row-major C: rows of the tiles are contiguous in C */
        for (int64_t i = r0; i < r1; i++) {
            const float *trow = cb + ((i - r0) / mr) * np * tsz + ((i - r0) % mr) * nr;
            float *crow = x->c + i * x->rsc;
            for (int64_t jr = 0; jr < np; jr++) {
                const float *src = trow + jr * tsz;
                const int64_t js = j0 + jr * nr, w = mxt_min64(nr, j1 - js);
                float *dst = crow + js;
                if (beta == 0.0f)
                    for (int64_t j = 0; j < w; j++)
                        dst[j] = alpha * src[j];
                else
                    for (int64_t j = 0; j < w; j++)
                        dst[j] = alpha * src[j] + beta * dst[j];
            }
        }
        return;
    }
    /* column-major C: walk each tile column along C's contiguous rows */
    for (int64_t ir = 0; ir * mr < r1 - r0; ir++) {
        const int64_t is = r0 + ir * mr, h = mxt_min64(mr, r1 - is);
        for (int64_t jr = 0; jr < np; jr++) {
            const float *tile = cb + (ir * np + jr) * tsz;
            const int64_t js = j0 + jr * nr, w = mxt_min64(nr, j1 - js);
            for (int64_t j = 0; j < w; j++) {
                float *dst = x->c + is + (js + j) * x->csc;
                if (beta == 0.0f)
                    for (int64_t i = 0; i < h; i++)
                        dst[i] = alpha * tile[i * nr + j];
                else
                    for (int64_t i = 0; i < h; i++)
                        dst[i] = alpha * tile[i * nr + j] + beta * dst[i];
            }
        }
    }
}

/* Work of one packed B block [jb, jb + nb): items of mcp row tiles x a chunk of at
 * most nc columns, handed out through an atomic counter so that a thread slowed down
 * (by denser rows, or by another process on its core) takes fewer. Each item zeroes
 * its C block, walks all of K (C stays in the buffer) and merges into C. */
static void spmm_block(const struct spmm_ctx *x, int64_t jb, int64_t nb, float *cb, int nt) {
    const struct mxt_rosko *a = x->a;
    const int64_t mr = a->mr, nr = x->cfg.nr, K = a->k, N = x->n;
    const int64_t mcp = x->cfg.mc / mr, tsz = (mr + 1) * nr;
    const int64_t np = mxt_ceil_div(nb, nr), nrow = mxt_ceil_div(a->tiles_m, mcp);
    int64_t cwp = x->cfg.nc / nr, nch = mxt_ceil_div(np, cwp);
    if (nrow * nch < 4 * (int64_t)nt) { /* smaller chunks, so that every thread has work */
        nch = mxt_min64(np, mxt_ceil_div(4 * (int64_t)nt, nrow));
        cwp = mxt_ceil_div(np, nch);
        nch = mxt_ceil_div(np, cwp);
    }
    for (;;) {
        const int64_t it = atomic_fetch_add(x->next, 1);
        if (it >= nrow * nch) break;
        const int64_t ic = (it / nch) * mcp, ie = mxt_min64(a->tiles_m, ic + mcp);
        const int64_t pa = (it % nch) * cwp, pb = mxt_min64(np, pa + cwp), mp = pb - pa;
        memset(cb, 0, (size_t)((ie - ic) * mp * tsz) * sizeof(float));
        for (int64_t pc = 0; pc < a->tiles_k; pc++)
            for (int64_t jr = 0; jr < mp; jr++) {
                const float *bpan = x->bp + (size_t)((pa + jr) * K) * (size_t)nr;
                for (int64_t ir = ic; ir < ie; ir++) {
                    const unsigned char *t = mxt_rosko_tile_at(a, ir, pc);
                    uint32_t ncols;
                    memcpy(&ncols, t, 4);
                    if (ncols) x->ukr(t, bpan, cb + ((ir - ic) * mp + jr) * tsz, (int)mr);
                }
            }
        merge_block(x, cb, mp, ic * mr, mxt_min64(a->m, ie * mr), jb + pa * nr,
                    mxt_min64(N, jb + pb * nr));
    }
}

static void spmm_thread(struct mxt_team *team, int tid, int nt, void *arg) {
    const struct spmm_ctx *x = arg;
    for (int64_t jb = 0; jb < x->n; jb += x->bw) {
        const int64_t nb = mxt_min64(x->bw, x->n - jb);
        if (jb > 0) mxt_team_barrier(team); /* everyone is done with the previous B block */
        pack_b_share(x, jb, nb, tid, nt);
        if (tid == 0) atomic_store(x->next, 0);
        mxt_team_barrier(team);
        spmm_block(x, jb, nb, x->cbuf[tid], nt);
    }
}

/* C[0:m, 0:n] *= beta (rows at rsc, columns at csc); beta == 0 writes zeros. */
static void scale_c(float *c, int64_t m, int64_t n, int64_t rsc, int64_t csc, float beta) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float *p = c + i * rsc + j * csc;
            *p = beta == 0.0f ? 0.0f : beta * *p;
        }
}

int mxt_spmm(enum mxt_layout layout, int64_t M, int64_t N, int64_t K, float alpha,
             const struct mxt_rosko *A, const float *B, int64_t ldb, float beta, float *C,
             int64_t ldc, const struct mxt_config *cfg) {
    if (layout != MXT_ROW_MAJOR && layout != MXT_COL_MAJOR)
        return mxt_error(MXT_EINVAL, "unknown layout %d", (int)layout);
    if (M < 0 || N < 0 || K < 0)
        return mxt_error(MXT_EINVAL, "negative size M=%lld N=%lld K=%lld", (long long)M,
                         (long long)N, (long long)K);
    if (!A) return mxt_error(MXT_EINVAL, "the packed matrix A is NULL");
    if (A->m != M || A->k != K)
        return mxt_error(MXT_EINVAL, "A was packed as %lld x %lld, the call says %lld x %lld",
                         (long long)A->m, (long long)A->k, (long long)M, (long long)K);
    const int row = layout == MXT_ROW_MAJOR;
    const int64_t needb = mxt_max64(1, row ? N : K), needc = mxt_max64(1, row ? N : M);
    if (ldb < needb)
        return mxt_error(MXT_EINVAL, "ldb=%lld is smaller than %lld", (long long)ldb,
                         (long long)needb);
    if (ldc < needc)
        return mxt_error(MXT_EINVAL, "ldc=%lld is smaller than %lld", (long long)ldc,
                         (long long)needc);
    if ((K && N && ldb > INT64_MAX / mxt_max64(K, N)) ||
        (M && N && ldc > INT64_MAX / mxt_max64(M, N)))
        return mxt_error(MXT_EINVAL, "leading dimension times size overflows");
    const int need_b = M > 0 && N > 0 && K > 0 && alpha != 0.0f && A->nnz > 0;
    if (M > 0 && N > 0 && !C) return mxt_error(MXT_EINVAL, "C is NULL");
    if (need_b && !B) return mxt_error(MXT_EINVAL, "B is NULL");
    struct spmm_ctx x = {.a = A,
                         .n = N,
                         .b = B,
                         .rsb = row ? ldb : 1,
                         .csb = row ? 1 : ldb,
                         .c = C,
                         .rsc = row ? ldc : 1,
                         .csc = row ? 1 : ldc,
                         .alpha = alpha,
                         .beta = beta};
    int rc = mxt_spmm_resolve_config(A, N, cfg, &x.cfg);
    if (rc) return rc;
    if (M == 0 || N == 0) return 0;
    if (!need_b) {
        scale_c(C, M, N, x.rsc, x.csc, beta);
        return 0;
    }
    x.ukr = mxt_spmm_ukr_find(x.cfg.isa, x.cfg.nr);
    const int p = x.cfg.threads, nr = x.cfg.nr;
    const int64_t nc = mxt_min64(x.cfg.nc, mxt_round_up(N, nr));
    const int64_t mcp = mxt_min64(x.cfg.mc / A->mr, A->tiles_m);
    x.cfg.nc = nc;
    x.cbuf_panels = mxt_ceil_div(nc, nr);
    /* B is packed in blocks of whole nc chunks up to MXT_SPMM_BPACK_MAX, so that a block
     * is still in the shared cache when the kernels read it (a whole 4096^2 B packed
     * at once doubled the time at 1 % density) */
    x.bw = mxt_max64(nc, (int64_t)(MXT_SPMM_BPACK_MAX / sizeof(float)) / mxt_max64(K, 1) / nc * nc);
    x.bw = mxt_min64(x.bw, mxt_round_up(N, nr));
    x.bp = mxt_pack_alloc((size_t)K * (size_t)x.bw, sizeof(float));
    if ((double)mcp * (double)x.cbuf_panels * (double)(A->mr + 1) * nr > 1e15) goto nomem;
    x.cbuf = calloc((size_t)p, sizeof(*x.cbuf));
    if (!x.bp || !x.cbuf) goto nomem;
    for (int t = 0; t < p; t++) {
        x.cbuf[t] = mxt_pack_alloc(
            (size_t)mcp * (size_t)x.cbuf_panels * (size_t)(A->mr + 1) * (size_t)nr, sizeof(float));
        if (!x.cbuf[t]) goto nomem;
    }
    atomic_llong next = 0;
    x.next = &next;
    rc = mxt_team_run(p, spmm_thread, &x);
    goto out;
nomem:
    rc = mxt_error(MXT_ENOMEM, "cannot allocate spmm buffers (K=%lld nc=%lld mc=%lld, %d threads)",
                   (long long)K, (long long)nc, (long long)x.cfg.mc, p);
out:
    if (x.cbuf)
        for (int t = 0; t < p; t++)
            mxt_pack_free(x.cbuf[t]);
    free(x.cbuf);
    mxt_pack_free(x.bp);
    return rc;
}
