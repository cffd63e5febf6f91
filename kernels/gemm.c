/* Public entry points of the packed GEMM (kernels/, include/mxtune/gemm.h): argument
 * checks, configuration check and fallbacks, turning both layouts and the four
 * transpose cases into one column-major problem, and dispatch to the Goto or
 * CAKE driver. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

/* ---- configuration ---------------------------------------------------------------- */

/* The kernel for cfg: (isa, mr, nr) when given; with isa auto and a shape, the
 * widest runnable ISA (from the resolved one down) that has the shape. */
static int config_kernel(enum mxt_dtype dtype, const struct mxt_config *cfg,
                         const struct mxt_ukr **out) {
    enum mxt_isa isa;
    int rc = mxt_kernels_resolve_isa(cfg->isa, &isa);
    if (rc) return rc;
    if (cfg->mr == 0 && cfg->nr == 0) {
        *out = mxt_ukr_default(isa, dtype);
        if (!*out)
            return mxt_error(MXT_EUNSUPPORTED, "no %s kernel for isa '%s'", mxt_dtype_name(dtype),
                             mxt_isa_name(isa));
        return 0;
    }
    if (cfg->mr <= 0 || cfg->nr <= 0)
        return mxt_error(MXT_EINVAL, "mr=%d nr=%d: give both register tile sizes or neither",
                         cfg->mr, cfg->nr);
    for (int i = isa; i >= MXT_ISA_GENERIC; i--) {
        if (!mxt_kernels_isa_supported((enum mxt_isa)i)) continue;
        *out = mxt_ukr_find((enum mxt_isa)i, dtype, cfg->mr, cfg->nr);
        if (*out) return 0;
        if (cfg->isa != MXT_ISA_AUTO) break;
    }
    return mxt_error(MXT_EINVAL, "no %s micro-kernel %dx%d for isa '%s'", mxt_dtype_name(dtype),
                     cfg->mr, cfg->nr, mxt_isa_name(cfg->isa == MXT_ISA_AUTO ? isa : cfg->isa));
}

int mxt_config_check_ranges(const struct mxt_config *cfg) {
    if (cfg->threads < 0 || cfg->threads > MXT_MAX_THREADS)
        return mxt_error(MXT_EINVAL, "threads=%d out of range [0, %d]", cfg->threads,
                         MXT_MAX_THREADS);
    if (cfg->mc < 0 || cfg->kc < 0 || cfg->nc < 0)
        return mxt_error(MXT_EINVAL, "negative cache block (mc=%lld kc=%lld nc=%lld)",
                         (long long)cfg->mc, (long long)cfg->kc, (long long)cfg->nc);
    if (!isfinite(cfg->alpha) || cfg->alpha < 0)
        return mxt_error(MXT_EINVAL, "alpha=%g must be finite and >= 0", cfg->alpha);
    return 0;
}

int mxt_gemm_check_config(enum mxt_dtype dtype, const struct mxt_config *cfg) {
    static const struct mxt_config zero;
    if (!cfg) cfg = &zero;
    if (dtype != MXT_F32 && dtype != MXT_F64)
        return mxt_error(MXT_EINVAL, "unknown dtype %d", (int)dtype);
    if (cfg->schedule < MXT_SCHED_CAKE || cfg->schedule > MXT_SCHED_LAST)
        return mxt_error(MXT_EINVAL, "unknown schedule %d", (int)cfg->schedule);
    int rc = mxt_config_check_ranges(cfg);
    if (rc) return rc;
    const struct mxt_ukr *u;
    if ((rc = config_kernel(dtype, cfg, &u))) return rc;
    if (cfg->mc % u->info.mr != 0)
        return mxt_error(MXT_EINVAL, "mc=%lld is not a multiple of mr=%d", (long long)cfg->mc,
                         u->info.mr);
    if (cfg->nc % u->info.nr != 0)
        return mxt_error(MXT_EINVAL, "nc=%lld is not a multiple of nr=%d", (long long)cfg->nc,
                         u->info.nr);
    return 0;
}

#define B_PANEL_BYTES ((int64_t)4 << 20) /* the goto fallback's B panel, at most */

static int64_t cache_bytes(int name, int64_t fallback) {
    long v = sysconf(name);
    return v > 0 ? (int64_t)v : fallback;
}

/* resolve_config on the column-major form of the problem. */
static int resolve_colmajor(enum mxt_dtype dtype, int64_t M, int64_t N, int64_t K,
                            const struct mxt_config *cfg, struct mxt_config *out) {
    static const struct mxt_config zero;
    if (!cfg) cfg = &zero;
    if (!out) return mxt_error(MXT_EINVAL, "no output configuration");
    if (M < 0 || N < 0 || K < 0)
        return mxt_error(MXT_EINVAL, "negative size M=%lld N=%lld K=%lld", (long long)M,
                         (long long)N, (long long)K);
    int rc = mxt_gemm_check_config(dtype, cfg);
    if (rc) return rc;
    const struct mxt_ukr *u;
    rc = config_kernel(dtype, cfg, &u);
    if (rc) return rc;
    struct mxt_config r = *cfg;
    r.isa = u->info.isa;
    r.mr = u->info.mr;
    r.nr = u->info.nr;
    if (r.threads == 0) r.threads = mxt_min64(mxt_cpus_allowed(), MXT_MAX_THREADS);
    const int64_t s = mxt_dtype_size(dtype), mr = r.mr, nr = r.nr, p = r.threads;
    const int64_t l1 = cache_bytes(_SC_LEVEL1_DCACHE_SIZE, 32 << 10);
    const int64_t l2 = cache_bytes(_SC_LEVEL2_CACHE_SIZE, 1 << 20);

    if (mxt_schedule_is_goto(r.schedule)) {
        /* Fallbacks in the spirit of Low et al. (MODELS.md §1) without the
         * associativity terms: B micro-panel in half of L1, A block in half of L2.
         * kc is then raised to the next power of two while the B micro-panel stays
         * within 2/3 of L1: fewer passes over C. On the Zen 5 guest (48 KiB L1) that
         * makes f64 24x8 kc = 512 (mc = 120) instead of 384 (mc = 168), 1-2 % faster
         * at 2048^3 on one thread (docs/benchmarks.md); f32 32x12 is at 512 already. */
        if (r.kc == 0) {
            int64_t kc = mxt_max64(16, mxt_min64(1024, (l1 / 2) / (nr * s) / 8 * 8)), up = 16;
            while (up < kc)
                up *= 2;
            r.kc = up <= 1024 && up * nr * s <= 2 * l1 / 3 ? up : kc;
        }
        if (r.mc == 0) r.mc = mxt_max64(mr, (l2 / 2) / (r.kc * s) / mr * mr);
        /* nc: the B panel (kc x nc) about B_PANEL_BYTES. It lives in L3, which on
         * our guests other tenants share: with an 8 MiB panel (f64 kc = 512, nc =
         * 2048) 2048^3 f64 on one thread ran 81-105 GFLOP/s from one process to the
         * next, with 4 MiB (nc = 1024) 93-104, and won 16 of 22 interleaved pairs at
         * 2048^3 and 4096^3 (docs/benchmarks.md, session 4). N is cut into the
         * nearest whole number of such panels, of equal width: a narrow last panel
         * would cost a whole extra packing of A (f32 N = 2048 with nc = 2040). */
        if (r.nc == 0) {
            const int64_t kb = mxt_max64(1, mxt_min64(r.kc, K)); /* the panel's depth */
            const int64_t cap = mxt_max64(nr, B_PANEL_BYTES / (kb * s));
            const int64_t blocks = mxt_max64(1, (N + cap / 2) / cap);
            r.nc = mxt_round_up(mxt_ceil_div(mxt_max64(N, 1), blocks), nr);
        }
        return *out = r, 0;
    }
    /* CAKE: the authors' L2 rule for mc (mc^2 + 2*nr*mc <= L2/(2s)), kc = mc,
     * alpha = 1, nc = alpha*p*mc (MODELS.md §2). */
    if (r.mc == 0) {
        const double cap = (double)l2 / (2.0 * (double)s);
        int64_t mc = (int64_t)(sqrt((double)(nr * nr) + cap) - (double)nr);
        r.mc = mxt_max64(mr, mc / mr * mr);
    }
    if (r.kc == 0) r.kc = r.mc;
    if (r.alpha == 0) r.alpha = 1.0;
    if (r.nc == 0) r.nc = mxt_max64(nr, (int64_t)(r.alpha * (double)(p * r.mc)) / nr * nr);
    if (r.schedule == MXT_SCHED_CAKE) {
        /* I/O comparison with block extent x = p*mc (MODELS.md §2). */
        const double x = (double)(p * r.mc), m = (double)M, n = (double)N, k = (double)K;
        if (N <= M && k <= 2.0 * m * x / (x + m))
            r.schedule = MXT_SCHED_CAKE_MKN;
        else if (M <= N && k <= 2.0 * n * x / (x + n))
            r.schedule = MXT_SCHED_CAKE_NKM;
        else
            r.schedule = MXT_SCHED_CAKE_KMN;
    }
    *out = r;
    return 0;
}

int mxt_gemm_resolve_config(enum mxt_dtype dtype, enum mxt_layout layout, int64_t M, int64_t N,
                            int64_t K, const struct mxt_config *cfg, struct mxt_config *out) {
    if (layout != MXT_ROW_MAJOR && layout != MXT_COL_MAJOR)
        return mxt_error(MXT_EINVAL, "unknown layout %d", (int)layout);
    if (layout == MXT_ROW_MAJOR) return resolve_colmajor(dtype, N, M, K, cfg, out);
    return resolve_colmajor(dtype, M, N, K, cfg, out);
}

/* ---- arguments -------------------------------------------------------------------- */

struct gemm_args {
    enum mxt_dtype dtype;
    enum mxt_layout layout;
    enum mxt_trans ta, tb;
    int64_t m, n, k;
    double alpha, beta;
    const void *a, *b;
    void *c;
    int64_t lda, ldb, ldc;
};

static int check_ld(const char *name, int64_t ld, int64_t need) {
    if (need < 1) need = 1;
    if (ld < need)
        return mxt_error(MXT_EINVAL, "%s=%lld is smaller than %lld", name, (long long)ld,
                         (long long)need);
    return 0;
}

static int check_args(const struct gemm_args *g) {
    if (g->layout != MXT_ROW_MAJOR && g->layout != MXT_COL_MAJOR)
        return mxt_error(MXT_EINVAL, "unknown layout %d", (int)g->layout);
    if ((g->ta != MXT_NO_TRANS && g->ta != MXT_TRANS) ||
        (g->tb != MXT_NO_TRANS && g->tb != MXT_TRANS))
        return mxt_error(MXT_EINVAL, "unknown transpose flag (transA=%d transB=%d)", (int)g->ta,
                         (int)g->tb);
    if (g->m < 0 || g->n < 0 || g->k < 0)
        return mxt_error(MXT_EINVAL, "negative size M=%lld N=%lld K=%lld", (long long)g->m,
                         (long long)g->n, (long long)g->k);
    /* Rows x columns of A, B, C as stored. */
    const int64_t ar = g->ta ? g->k : g->m, ac = g->ta ? g->m : g->k;
    const int64_t br = g->tb ? g->n : g->k, bc = g->tb ? g->k : g->n;
    const int col = g->layout == MXT_COL_MAJOR;
    int rc = check_ld("lda", g->lda, col ? ar : ac);
    if (!rc) rc = check_ld("ldb", g->ldb, col ? br : bc);
    if (!rc) rc = check_ld("ldc", g->ldc, col ? g->m : g->n);
    if (rc) return rc;
    /* Overflow of the largest offset touched (ld * lines) makes no valid array. */
    if ((ar && ac && g->lda > INT64_MAX / mxt_max64(ar, ac)) ||
        (br && bc && g->ldb > INT64_MAX / mxt_max64(br, bc)) ||
        (g->m && g->n && g->ldc > INT64_MAX / mxt_max64(g->m, g->n)))
        return mxt_error(MXT_EINVAL, "leading dimension times size overflows");
    const int need_ab = g->m > 0 && g->n > 0 && g->k > 0 && g->alpha != 0.0;
    if (g->m > 0 && g->n > 0 && !g->c) return mxt_error(MXT_EINVAL, "C is NULL");
    if (need_ab && !g->a) return mxt_error(MXT_EINVAL, "A is NULL");
    if (need_ab && !g->b) return mxt_error(MXT_EINVAL, "B is NULL");
    return 0;
}

/* Describe op(A), op(B) and C by strides; a row-major C is computed as the
 * column-major C^T = op(B)^T op(A)^T. */
static void normalize(const struct gemm_args *g, struct mxt_gemm_prob *pr) {
    const int col = g->layout == MXT_COL_MAJOR;
    /* stored X(r, c) at r*rs + c*cs: column-major (1, ld), row-major (ld, 1) */
    int64_t rsa = col ? 1 : g->lda, csa = col ? g->lda : 1;
    int64_t rsb = col ? 1 : g->ldb, csb = col ? g->ldb : 1;
    if (g->ta) {
        int64_t t = rsa;
        rsa = csa;
        csa = t;
    }
    if (g->tb) {
        int64_t t = rsb;
        rsb = csb;
        csb = t;
    }
    *pr = (struct mxt_gemm_prob){
        .dtype = g->dtype, .c = g->c, .ldc = g->ldc, .alpha = g->alpha, .beta = g->beta, .k = g->k};
    if (col) {
        pr->m = g->m, pr->n = g->n;
        pr->a = g->a, pr->rsa = rsa, pr->csa = csa;
        pr->b = g->b, pr->rsb = rsb, pr->csb = csb;
    } else { /* C^T (n x m) = op(B)^T (n x k) * op(A)^T (k x m) */
        pr->m = g->n, pr->n = g->m;
        pr->a = g->b, pr->rsa = csb, pr->csa = rsb;
        pr->b = g->a, pr->rsb = csa, pr->csb = rsa;
    }
}

static int gemm_run(const struct gemm_args *g, const struct mxt_config *cfg) {
    int rc = check_args(g);
    if (rc) return rc;
    struct mxt_gemm_plan plan = {.esz = (size_t)mxt_dtype_size(g->dtype)};
    normalize(g, &plan.prob);
    const struct mxt_gemm_prob *pr = &plan.prob;
    rc = resolve_colmajor(g->dtype, pr->m, pr->n, pr->k, cfg, &plan.cfg);
    if (rc) return rc;
    if (pr->m == 0 || pr->n == 0) return 0;
    if (pr->k == 0 || pr->alpha == 0.0) {
        mxt_scale_c(g->dtype, pr->m, pr->n, pr->c, pr->ldc, pr->beta);
        return 0;
    }
    plan.ukr = mxt_ukr_find(plan.cfg.isa, g->dtype, plan.cfg.mr, plan.cfg.nr);
    if (!plan.ukr || plan.cfg.mr * plan.cfg.nr > MXT_TILE_MAX)
        return mxt_error(MXT_EINVAL, "no usable micro-kernel %dx%d", plan.cfg.mr, plan.cfg.nr);
    /* Packing A inside the first column strip (mxt_pack_a_macro_kernel) only with a
     * kernel that has a packing variant, and for A blocks within half of L2. The variant passes the
     * whole block's source and packed lines through L2 in row-tile order; with a block of 7/8 of L2
     * (goto f64 1024x192x512, mc 448, kc 256, 8x6) cachegrind counted 16 % more L2
     * misses than with the block packed first, and on the Zen 5 guest blocks of
     * that size gained nothing (0.994-1.003, docs/benchmarks.md, session 7). */
    const int64_t ablock = mxt_min64(plan.cfg.mc, mxt_round_up(pr->m, plan.cfg.mr)) *
                           mxt_min64(plan.cfg.kc, pr->k) * (int64_t)plan.esz;
    const int has_pa = g->dtype == MXT_F32 ? plan.ukr->f32_pa != NULL : plan.ukr->f64_pa != NULL;
    plan.pack_a_fused = has_pa && ablock <= cache_bytes(_SC_LEVEL2_CACHE_SIZE, 1 << 20) / 2;
    if (mxt_schedule_is_goto(plan.cfg.schedule)) return mxt_gemm_run_goto(&plan);
    return mxt_gemm_run_cake(&plan);
}

int mxt_sgemm_ex(enum mxt_layout layout, enum mxt_trans transA, enum mxt_trans transB, int64_t M,
                 int64_t N, int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                 int64_t ldb, float beta, float *C, int64_t ldc, const struct mxt_config *cfg) {
    const struct gemm_args g = {MXT_F32, layout, transA, transB, M,   N,   K,  alpha,
                                beta,    A,      B,      C,      lda, ldb, ldc};
    return gemm_run(&g, cfg);
}

int mxt_dgemm_ex(enum mxt_layout layout, enum mxt_trans transA, enum mxt_trans transB, int64_t M,
                 int64_t N, int64_t K, double alpha, const double *A, int64_t lda, const double *B,
                 int64_t ldb, double beta, double *C, int64_t ldc, const struct mxt_config *cfg) {
    const struct gemm_args g = {MXT_F64, layout, transA, transB, M,   N,   K,  alpha,
                                beta,    A,      B,      C,      lda, ldb, ldc};
    return gemm_run(&g, cfg);
}

void mxt_gemm_config_from_model(const struct mxt_config *in, struct mxt_config *out) {
    struct mxt_config c = *in;
    if (in->schedule == MXT_SCHED_CAKE_NKM) {
        c.mc = in->nc; /* the kernels: each thread's slot of columns */
        c.nc = in->mc; /* the kernels: the block along M */
    }
    if (c.mc && c.kc && c.nc) c.alpha = 0;
    *out = c;
}
