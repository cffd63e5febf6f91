/* The CAKE GEMM drivers (kernels/, MODELS.md §2; Kung, Natesh, Sabot, SC'21):
 * constant-bandwidth (CB) blocks walked in serpentine order, p = cfg.threads slots.
 * As in the authors' implementation, A and B are packed once, up front and in
 * parallel, into kc-deep chunks of mr-row / nr-column micro-panels; the walk then
 * only reads packed panels, and C is updated in place (not packed).
 *   KMN: block (p*mc) x kc x nc. Slot s owns mc rows of the block (its A slice);
 *        the kc x nc slice of B is shared. For each n-block, for each m-block, the
 *        K walk runs innermost, so each slot's mc x nc C tile stays resident.
 *   MKN: block (p*mc) x (p*kc) x nc. The (p*kc) x nc B block is shared and stays
 *        while all m-blocks stream past it; each slot walks the p kc chunks.
 *   NKM: A and B trade roles: block nc x (p*kc) x (p*mc); the nc x (p*kc) A block
 *        is shared and stays while the n-blocks stream; slot s owns mc columns
 *        (mc rounded up to nr, nc to mr).
 * Serpentine: the middle loop reverses on odd outer blocks and the inner loop runs
 * forwards when (outer + middle) is even, so the first block after a turn reuses
 * the operand block just used. A last, partial block is split evenly among the
 * slots (rounded to the register tile). Every C tile belongs to one slot and the
 * operands are packed before the walk, so threads need no barrier for correctness;
 * they meet after each K walk (KMN) or inner walk (MKN, NKM) to stay in step over
 * the shared operand. A barrier after every CB block cost the slower thread's time
 * on every block (about 8 % at 2048^3 on 2 cores). */
#include <stdlib.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

struct cake_ctx {
    const struct mxt_gemm_plan *plan;
    int p;         /* slots: the CB block geometry's thread count */
    int64_t unit;  /* slot extent: rows (KMN, MKN) or columns (NKM) */
    int64_t kc;    /* k chunk, <= K */
    int64_t outer; /* n-block width (KMN, MKN) or m-block height (NKM) */
    int64_t mpad;  /* M rounded up to mr */
    int64_t npad;  /* N rounded up to nr */
    char *ap, *bp; /* packed A: chunk c at ap + c*kc*mpad; packed B: bp + c*kc*npad */
};

static void share(int64_t n, int tid, int nt, int64_t *lo, int64_t *hi) {
    *lo = n * tid / nt;
    *hi = n * (tid + 1) / nt;
}

/* [*lo, *hi) of slot s in a block of extent ext: `unit` each when the block is
 * full (ext == p * unit), else an even share rounded up to `align`. */
static void slot_range(int64_t ext, int64_t unit, int p, int s, int align, int64_t *lo,
                       int64_t *hi) {
    const int64_t h = ext == unit * p ? unit : mxt_round_up(mxt_ceil_div(ext, p), align);
    *lo = mxt_min64(ext, h * s);
    *hi = mxt_min64(ext, *lo + h);
}

static inline int64_t serp(int fwd, int64_t i, int64_t n) {
    return fwd ? i : n - 1 - i;
}

/* Packed A rows from `row` (a multiple of mr) in k chunk c, which is kb deep. */
static const char *packed_a(const struct cake_ctx *x, int64_t c, int64_t kb, int64_t row) {
    return x->ap + (size_t)(c * x->kc * x->mpad + row * kb) * x->plan->esz;
}
/* Packed B columns from `col` (a multiple of nr) in k chunk c. */
static const char *packed_b(const struct cake_ctx *x, int64_t c, int64_t kb, int64_t col) {
    return x->bp + (size_t)(c * x->kc * x->npad + col * kb) * x->plan->esz;
}
static char *c_at(const struct mxt_gemm_prob *pr, int64_t i, int64_t j, size_t esz) {
    return (char *)pr->c + (size_t)(i + j * pr->ldc) * esz;
}

/* All of A and B into chunked micro-panels, the panels shared among the threads. */
static void pack_all(struct mxt_team *team, int tid, int nt, const struct cake_ctx *x) {
    const struct mxt_gemm_plan *plan = x->plan;
    const struct mxt_gemm_prob *pr = &plan->prob;
    const size_t esz = plan->esz;
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t nkc = mxt_ceil_div(pr->k, x->kc), aq = x->mpad / mr, bq = x->npad / nr;
    /* Per k chunk, each thread packs a contiguous range of panels in one call, so
     * that the packing routine streams along the source across panels. */
    for (int64_t c = 0; c < nkc; c++) {
        const int64_t k0 = c * x->kc, kb = mxt_min64(x->kc, pr->k - k0);
        int64_t q0, q1;
        share(aq, tid, nt, &q0, &q1);
        mxt_pack_a(plan->cfg.isa, esz, mr, pr->m, kb,
                   (const char *)pr->a + (size_t)(k0 * pr->csa) * esz, pr->rsa, pr->csa,
                   (char *)packed_a(x, c, kb, 0), q0, q1);
        share(bq, tid, nt, &q0, &q1);
        mxt_pack_b(plan->cfg.isa, esz, nr, kb, pr->n,
                   (const char *)pr->b + (size_t)(k0 * pr->rsb) * esz, pr->rsb, pr->csb,
                   (char *)packed_b(x, c, kb, 0), q0, q1);
    }
    mxt_team_barrier(team);
}

/* One CB block of a walk: its block indices and whether it starts a K walk (the
 * first visit of its C tiles, which applies beta). */
struct step {
    int64_t outer, mid, k; /* KMN: n, m, k; MKN: n, k, m; NKM: m, k, n (block indices) */
    int first;
};

/* Step t of a three-level serpentine walk with extents n0 (outer), n1, n2 (inner):
 * the middle index runs backwards on odd outer indices, the inner one forwards
 * when outer + middle is even. */
static void serp_step(int64_t t, int64_t n0, int64_t n1, int64_t n2, int64_t *i0, int64_t *i1,
                      int64_t *i2, int64_t *inner_pos, int64_t *mid_pos) {
    (void)n0;
    *i0 = t / (n1 * n2);
    const int64_t r = t % (n1 * n2);
    *mid_pos = r / n2;
    *inner_pos = r % n2;
    *i1 = serp(*i0 % 2 == 0, *mid_pos, n1);
    *i2 = serp((*i0 + *i1) % 2 == 0, *inner_pos, n2);
}

/* KMN: outer n-blocks, middle m-blocks, K walk innermost (C resident). */
static struct step kmn_step(int64_t t, int64_t nnb, int64_t nmb, int64_t nkb) {
    struct step st;
    int64_t ki, mi;
    serp_step(t, nnb, nmb, nkb, &st.outer, &st.mid, &st.k, &ki, &mi);
    st.first = ki == 0;
    return st;
}

/* MKN / NKM: outer block, then the K blocks (middle), then the streamed blocks. */
static struct step kfirst_step(int64_t t, int64_t n_outer, int64_t nkb, int64_t n_inner) {
    struct step st;
    int64_t ii, ki;
    serp_step(t, n_outer, nkb, n_inner, &st.outer, &st.k, &st.mid, &ii, &ki);
    st.first = ki == 0;
    return st;
}

static void kmn_thread(struct mxt_team *team, int tid, int nt, void *arg) {
    const struct cake_ctx *x = arg;
    const struct mxt_gemm_plan *plan = x->plan;
    const struct mxt_gemm_prob *pr = &plan->prob;
    const size_t esz = plan->esz;
    const int mr = plan->cfg.mr, p = x->p;
    const int64_t mblk = p * x->unit, kc = x->kc, nc = x->outer;
    const int64_t nmb = mxt_ceil_div(pr->m, mblk), nnb = mxt_ceil_div(pr->n, nc);
    const int64_t nkb = mxt_ceil_div(pr->k, kc), steps = nnb * nmb * nkb;
    pack_all(team, tid, nt, x);
    for (int64_t t = 0; t < steps; t++) {
        const struct step st = kmn_step(t, nnb, nmb, nkb);
        const int64_t n0 = st.outer * nc, nb = mxt_min64(nc, pr->n - n0);
        const int64_t m0 = st.mid * mblk, mext = mxt_min64(mblk, pr->m - m0);
        const int64_t kb = mxt_min64(kc, pr->k - st.k * kc);
        /* C stays resident over the K walk: beta on the first visit only. */
        const double beta = st.first ? pr->beta : 1.0;
        for (int s = tid; s < p; s += nt) {
            int64_t r0, r1;
            slot_range(mext, x->unit, p, s, mr, &r0, &r1);
            mxt_macro_kernel(plan, r1 - r0, nb, kb, packed_a(x, st.k, kb, m0 + r0),
                             packed_b(x, st.k, kb, n0), c_at(pr, m0 + r0, n0, esz), beta);
        }
        /* Meet once per K walk (the C block is done), not after every CB block: a
         * barrier per block costs the slower thread's time on every block. */
        if (t + 1 == steps || kmn_step(t + 1, nnb, nmb, nkb).first) mxt_team_barrier(team);
    }
}

/* MKN (nkm = 0) and NKM (nkm = 1): the K block of p chunks is the middle loop; the
 * shared operand block (B for MKN, A for NKM) stays while the private one streams. */
static void kfirst_walk(struct mxt_team *team, int tid, int nt, const struct cake_ctx *x, int nkm) {
    const struct mxt_gemm_plan *plan = x->plan;
    const struct mxt_gemm_prob *pr = &plan->prob;
    const size_t esz = plan->esz;
    const int p = x->p, align = nkm ? plan->cfg.nr : plan->cfg.mr;
    const int64_t kc = x->kc, blk = p * x->unit, outer = x->outer;
    const int64_t n_outer = mxt_ceil_div(nkm ? pr->m : pr->n, outer);
    const int64_t n_inner = mxt_ceil_div(nkm ? pr->n : pr->m, blk);
    const int64_t nkc = mxt_ceil_div(pr->k, kc), nkb = mxt_ceil_div(nkc, p);
    const int64_t steps = n_outer * nkb * n_inner;
    pack_all(team, tid, nt, x);
    for (int64_t t = 0; t < steps; t++) {
        const struct step st = kfirst_step(t, n_outer, nkb, n_inner);
        const int64_t o0 = st.outer * outer;
        const int64_t oext = mxt_min64(outer, (nkm ? pr->m : pr->n) - o0);
        const int64_t i0 = st.mid * blk, iext = mxt_min64(blk, (nkm ? pr->n : pr->m) - i0);
        const int64_t c0 = st.k * p, c1 = mxt_min64(nkc, c0 + p);
        for (int s = tid; s < p; s += nt) {
            int64_t lo, hi;
            slot_range(iext, x->unit, p, s, align, &lo, &hi);
            for (int64_t c = c0; c < c1; c++) {
                const int64_t kb = mxt_min64(kc, pr->k - c * kc);
                const double beta = st.first && c == c0 ? pr->beta : 1.0;
                if (nkm)
                    mxt_macro_kernel(plan, oext, hi - lo, kb, packed_a(x, c, kb, o0),
                                     packed_b(x, c, kb, i0 + lo), c_at(pr, o0, i0 + lo, esz), beta);
                else
                    mxt_macro_kernel(plan, hi - lo, oext, kb, packed_a(x, c, kb, i0 + lo),
                                     packed_b(x, c, kb, o0), c_at(pr, i0 + lo, o0, esz), beta);
            }
        }
        /* Meet when the shared block changes (after the inner walk), not after every
         * block: a barrier per block costs the slower thread's time on each one. */
        if ((t + 1) % n_inner == 0) mxt_team_barrier(team);
    }
}

static void mkn_thread(struct mxt_team *team, int tid, int nt, void *arg) {
    kfirst_walk(team, tid, nt, arg, 0);
}

static void nkm_thread(struct mxt_team *team, int tid, int nt, void *arg) {
    kfirst_walk(team, tid, nt, arg, 1);
}

int mxt_gemm_run_cake(const struct mxt_gemm_plan *plan) {
    const struct mxt_gemm_prob *pr = &plan->prob;
    const struct mxt_config *cfg = &plan->cfg;
    const int mr = cfg->mr, nr = cfg->nr;
    struct cake_ctx x = {.plan = plan,
                         .p = cfg->threads,
                         .kc = mxt_min64(cfg->kc, pr->k),
                         .mpad = mxt_round_up(pr->m, mr),
                         .npad = mxt_round_up(pr->n, nr)};
    mxt_team_fn fn;
    /* Blocks larger than the problem are clamped to it: a partial block is split
     * evenly among the slots anyway. */
    if (cfg->schedule == MXT_SCHED_CAKE_NKM) {
        x.unit = mxt_min64(mxt_round_up(cfg->mc, nr), x.npad);
        x.outer = mxt_min64(mxt_round_up(cfg->nc, mr), x.mpad);
        fn = nkm_thread;
    } else {
        x.unit = mxt_min64(cfg->mc, x.mpad);
        x.outer = mxt_min64(cfg->nc, x.npad);
        fn = cfg->schedule == MXT_SCHED_CAKE_MKN ? mkn_thread : kmn_thread;
    }
    const int64_t kpad = mxt_ceil_div(pr->k, x.kc) * x.kc; /* chunk stride: kc*pad */
    int rc = 0;
    if (kpad > INT64_MAX / mxt_max64(x.mpad, x.npad)) goto nomem;
    x.ap = mxt_pack_alloc((size_t)(kpad * x.mpad), plan->esz);
    x.bp = mxt_pack_alloc((size_t)(kpad * x.npad), plan->esz);
    if (!x.ap || !x.bp) goto nomem;
    rc = mxt_team_run(x.p, fn, &x);
    goto out;
nomem:
    rc = mxt_error(MXT_ENOMEM,
                   "cannot allocate CAKE packing buffers for A (%lld x %lld) and B (%lld x %lld)",
                   (long long)x.mpad, (long long)pr->k, (long long)pr->k, (long long)x.npad);
out:
    mxt_pack_free(x.ap);
    mxt_pack_free(x.bp);
    return rc;
}
