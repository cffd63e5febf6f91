/* The Goto/BLIS five-loop GEMM driver (kernels/, MODELS.md §1): jc over N by nc
 * (B panel kc x nc, shared, packed by all threads) -> pc over K by kc -> ic over M
 * by mc (A block mc x kc, one per thread) -> jr by nr -> ir by mr.
 * Threads split the ic loop: each owns an even share of the rows, rounded to mr,
 * packs its own A blocks and, once done, takes over the end of a slower thread's
 * share (take_rows). When M has fewer micro-panels than threads they
 * split the jr loop instead, sharing one A block.
 * The goto-jc schedule splits the jc loop instead (goto_thread_jc): each thread
 * owns a slice of the columns and runs the five loops on it alone, then takes over
 * row blocks of the others' last B panels. Which is faster
 * depends on the machine (measured in docs/benchmarks.md): on the 2-vCPU Zen 5 guest
 * goto-jc was 4-17 % faster on 2 threads at 512^3-4096^3; on the 16-core Xeon guest
 * goto was faster at 2-16 threads. The tuner measures both. */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

struct goto_ctx {
    const struct mxt_gemm_plan *plan;
    char *bbuf;               /* kc x nc packed B panel, shared */
    char **abuf;              /* one mc x kc A block per thread (ic split) */
    _Atomic uint64_t *ranges; /* per B panel and thread: micro-panels of rows left */
    char *ashared;            /* the shared A block (jr split) */
    char **bown;              /* jc split: one B panel per thread */
    int split_jr;
};

/* Even share [*lo, *hi) of n items for thread tid of nt. */
static void share(int64_t n, int tid, int nt, int64_t *lo, int64_t *hi) {
    *lo = n * tid / nt;
    *hi = n * (tid + 1) / nt;
}

/* Row work of one B panel: each thread owns a contiguous range of micro-panels of
 * rows ([lo, hi), packed in one atomic word: lo in the low half) and takes blocks
 * of at most mcq micro-panels (mc rows) from its front; near the end the blocks
 * shrink so that a thread that is done (the other ran on a busy core, or from a
 * colder cache) can take the back half of what is left of another's range. Each
 * thread stays in its own rows until then: interleaving the threads' blocks, so
 * that both write neighbouring rows of the same C pages at once, ran 12 % slower
 * on 2 cores (f64 2048^3). */
static uint64_t range_word(uint64_t lo, uint64_t hi) {
    return lo | hi << 32;
}

/* The next block of rem micro-panels, at most mcq, all blocks even: no short one
 * is left at the end. */
static int64_t even_block(int64_t rem, int64_t mcq) {
    return mxt_ceil_div(rem, mxt_ceil_div(rem, mcq));
}

/* Takes up to mcq micro-panels from the front (own range, steal = 0) or the back
 * (steal = 1) of *r; blocks shrink near the end only when there are thieves
 * (shrink = 1), since short blocks reuse each B micro-panel for fewer tiles.
 * Returns how many (0: the range is empty), the first in *q. */
static int64_t take_rows(_Atomic uint64_t *r, int64_t mcq, int steal, int shrink, int64_t *q) {
    uint64_t w = atomic_load_explicit(r, memory_order_relaxed), nw;
    int64_t lo, hi, cnt;
    do {
        lo = (int64_t)(w & 0xffffffffu);
        hi = (int64_t)(w >> 32);
        const int64_t rem = hi - lo;
        if (rem <= 0) return 0;
        if (steal || (shrink && rem <= 2 * mcq))
            cnt = mxt_min64(mcq, mxt_max64(1, rem / 2));
        else
            cnt = even_block(rem, mcq);
        nw = steal ? range_word((uint64_t)lo, (uint64_t)(hi - cnt))
                   : range_word((uint64_t)(lo + cnt), (uint64_t)hi);
    } while (!atomic_compare_exchange_weak_explicit(r, &w, nw, memory_order_relaxed,
                                                    memory_order_relaxed));
    *q = steal ? hi - cnt : lo;
    return cnt;
}

/* Rows [ic, ic + cnt*mr) of panel (pc, jc): pack their A block into ab and run the
 * macro-kernel against the packed B panel bp (nb columns, kb deep); the packing of
 * full micro-panels happens inside the first column strip when it can
 * (mxt_pack_a_macro_kernel). */
static void row_block(const struct mxt_gemm_plan *plan, int64_t ic, int64_t cnt, int64_t pc,
                      int64_t kb, int64_t jc, int64_t nb, char *ab, const char *bp, double beta) {
    const struct mxt_gemm_prob *pr = &plan->prob;
    const size_t esz = plan->esz;
    const int64_t mb = mxt_min64(cnt * plan->cfg.mr, pr->m - ic);
    mxt_pack_a_macro_kernel(
        plan, mb, nb, kb, (const char *)pr->a + (size_t)(ic * pr->rsa + pc * pr->csa) * esz,
        pr->rsa, pr->csa, ab, bp, (char *)pr->c + (size_t)(ic + jc * pr->ldc) * esz, beta);
}

static void goto_thread(struct mxt_team *team, int tid, int nt, void *arg) {
    const struct goto_ctx *ctx = arg;
    const struct mxt_gemm_plan *plan = ctx->plan;
    const struct mxt_gemm_prob *pr = &plan->prob;
    const size_t esz = plan->esz;
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t mc = plan->cfg.mc, kc = plan->cfg.kc, nc = plan->cfg.nc;
    const char *A = pr->a, *B = pr->b;
    char *C = pr->c;

    /* ic split: micro-panels of rows, per panel, from own range then others' (take_rows). */
    const int64_t mcq = mxt_max64(1, mc / mr);
    int64_t panel = 0; /* B panels so far: ranges[panel * nt ...] are this panel's */
    for (int64_t jc = 0; jc < pr->n; jc += nc) {
        const int64_t nb = mxt_min64(nc, pr->n - jc);
        const int64_t nq = mxt_ceil_div(nb, nr);
        for (int64_t pc = 0; pc < pr->k; pc += kc) {
            const int64_t kb = mxt_min64(kc, pr->k - pc);
            const double beta = pc == 0 ? pr->beta : 1.0;
            int64_t q0, q1;
            share(nq, tid, nt, &q0, &q1);
            mxt_team_barrier(team); /* everyone is done with the previous B panel */
            mxt_pack_b(plan->cfg.isa, esz, nr, kb, nb,
                       B + (size_t)(pc * pr->rsb + jc * pr->csb) * esz, pr->rsb, pr->csb, ctx->bbuf,
                       q0, q1);
            mxt_team_barrier(team);
            if (!ctx->split_jr) {
                char *ab = ctx->abuf[tid];
                _Atomic uint64_t *ranges = ctx->ranges + panel * nt;
                int64_t q, cnt;
                for (int v = 0; v < nt; v++) {
                    const int victim = (tid + v) % nt;
                    while ((cnt = take_rows(&ranges[victim], mcq, v > 0, nt > 1, &q)) > 0)
                        row_block(plan, q * mr, cnt, pc, kb, jc, nb, ab, ctx->bbuf, beta);
                }
                panel++;
                continue;
            }
            for (int64_t ic = 0; ic < pr->m; ic += mc) {
                const int64_t mb = mxt_min64(mc, pr->m - ic);
                int64_t a0, a1;
                share(mxt_ceil_div(mb, mr), tid, nt, &a0, &a1);
                mxt_team_barrier(team); /* everyone is done with the previous A block */
                mxt_pack_a(plan->cfg.isa, esz, mr, mb, kb,
                           A + (size_t)(ic * pr->rsa + pc * pr->csa) * esz, pr->rsa, pr->csa,
                           ctx->ashared, a0, a1);
                mxt_team_barrier(team);
                const int64_t j0 = q0 * nr, j1 = mxt_min64(nb, q1 * nr);
                mxt_macro_kernel(plan, mb, j1 - j0, kb, ctx->ashared,
                                 ctx->bbuf + (size_t)(j0 * kb) * esz,
                                 C + (size_t)(ic + (jc + j0) * pr->ldc) * esz, beta);
            }
        }
    }
}

/* The columns [n0, n1) that goto-jc gives thread tid of nt (a multiple of nr). */
static void jc_slice(const struct mxt_gemm_plan *plan, int tid, int nt, int64_t *n0, int64_t *n1) {
    int64_t q0, q1;
    share(mxt_ceil_div(plan->prob.n, plan->cfg.nr), tid, nt, &q0, &q1);
    *n0 = q0 * plan->cfg.nr;
    *n1 = mxt_min64(plan->prob.n, q1 * plan->cfg.nr);
}

/* A thread's last B panel (the last K block of its last column block): the only
 * one that stays in its buffer until the call ends, so the only one whose row
 * blocks other threads may take over. */
struct jc_last {
    int64_t jc, nb, pc, kb;
    double beta;
};

static struct jc_last jc_last_panel(const struct mxt_gemm_plan *plan, int64_t n0, int64_t n1) {
    const struct mxt_gemm_prob *pr = &plan->prob;
    const int64_t nc = plan->cfg.nc, kc = plan->cfg.kc;
    struct jc_last l;
    l.jc = n0 + (n1 - n0 - 1) / nc * nc;
    l.nb = mxt_min64(nc, n1 - l.jc);
    l.pc = (pr->k - 1) / kc * kc;
    l.kb = mxt_min64(kc, pr->k - l.pc);
    l.beta = l.pc == 0 ? pr->beta : 1.0;
    return l;
}

/* Test hook (mxt_kernels_test_jc_hold): the last thread of a goto-jc team leaves
 * its last panel's rows until another thread has taken some, so that a test sees
 * the take-over whatever the scheduler does. Off: one relaxed load a call. */
static atomic_int jc_hold;

void mxt_kernels_test_jc_hold(int on) {
    atomic_store_explicit(&jc_hold, on != 0, memory_order_relaxed);
}

/* ranges[t] before thread t has packed its last B panel: nothing to take yet. */
#define JC_NOT_READY (range_word(1, 0))

/* Until thread t's range is ready (acquire: its packed panel is then visible).
 * Spins briefly, then yields, in case the team has more threads than CPUs. */
static void wait_ready(_Atomic uint64_t *r) {
    for (unsigned i = 0; atomic_load_explicit(r, memory_order_acquire) == JC_NOT_READY; i++) {
        if (i < 1024) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        } else {
            sched_yield();
        }
    }
}

/* jc split: thread tid owns columns [n0, n1) and runs the whole five-loop
 * algorithm on them with its own A block and B panel: no barrier, at the price of
 * every thread packing all of A. Only the end is shared: the rows of each thread's
 * last B panel form a range (as in take_rows), which threads done with their own
 * columns take from the back. */
static void goto_thread_jc(struct mxt_team *team, int tid, int nt, void *arg) {
    (void)team;
    const struct goto_ctx *ctx = arg;
    const struct mxt_gemm_plan *plan = ctx->plan;
    const struct mxt_gemm_prob *pr = &plan->prob;
    const struct mxt_config *cf = &plan->cfg;
    int64_t n0, n1;
    jc_slice(plan, tid, nt, &n0, &n1);
    const int64_t mcq = mxt_max64(1, cf->mc / cf->mr), mq = mxt_ceil_div(pr->m, cf->mr);
    char *ab = ctx->abuf[tid], *bb = ctx->bown[tid];
    const struct jc_last last = jc_last_panel(plan, n0, n1);
    for (int64_t jc = n0; jc < n1; jc += cf->nc) {
        const int64_t nb = mxt_min64(cf->nc, n1 - jc);
        for (int64_t pc = 0; pc < pr->k; pc += cf->kc) {
            const int64_t kb = mxt_min64(cf->kc, pr->k - pc);
            const double beta = pc == 0 ? pr->beta : 1.0;
            mxt_pack_b(cf->isa, plan->esz, cf->nr, kb, nb,
                       (const char *)pr->b + (size_t)(pc * pr->rsb + jc * pr->csb) * plan->esz,
                       pr->rsb, pr->csb, bb, 0, mxt_ceil_div(nb, cf->nr));
            if (jc == last.jc && pc == last.pc) {
                /* The last panel: its rows become a range that threads done with
                 * their own columns take from the back (release: the packed panel
                 * is visible to whoever sees the range). */
                atomic_store_explicit(&ctx->ranges[tid], range_word(0, (uint64_t)mq),
                                      memory_order_release);
                if (nt > 1 && tid == nt - 1 && mq > 0 &&
                    atomic_load_explicit(&jc_hold, memory_order_relaxed))
                    while (atomic_load_explicit(&ctx->ranges[tid], memory_order_relaxed) ==
                           range_word(0, (uint64_t)mq))
                        sched_yield();
                int64_t q, cnt;
                while ((cnt = take_rows(&ctx->ranges[tid], mcq, 0, 1, &q)) > 0)
                    row_block(plan, q * cf->mr, cnt, pc, kb, jc, nb, ab, bb, beta);
                continue;
            }
            for (int64_t q = 0, cnt; q < mq; q += cnt) {
                cnt = even_block(mq - q, mcq);
                row_block(plan, q * cf->mr, cnt, pc, kb, jc, nb, ab, bb, beta);
            }
        }
    }
    /* No last panel (K = 0 or no rows): say so, so that nobody waits for it. */
    uint64_t nr_word = JC_NOT_READY;
    atomic_compare_exchange_strong_explicit(&ctx->ranges[tid], &nr_word, range_word(0, 0),
                                            memory_order_release, memory_order_relaxed);
    /* Done with its own columns: help the others finish their last panels. A
     * thread that is still on an earlier panel is waited for (this one would
     * otherwise only wait at the end of the call). On the 2-vCPU Zen 5 guest the
     * vCPUs run at different speeds from minute to minute (docs/benchmarks.md);
     * without this the faster thread idled until the slower was done. */
    for (int v = 1; v < nt; v++) {
        const int victim = (tid + v) % nt;
        wait_ready(&ctx->ranges[victim]);
        int64_t vn0, vn1, q, cnt;
        jc_slice(plan, victim, nt, &vn0, &vn1);
        const struct jc_last vl = jc_last_panel(plan, vn0, vn1);
        while ((cnt = take_rows(&ctx->ranges[victim], mcq, 1, 1, &q)) > 0) {
            mxt_prof_count_stolen(cnt);
            row_block(plan, q * cf->mr, cnt, vl.pc, vl.kb, vl.jc, vl.nb, ab, ctx->bown[victim],
                      vl.beta);
        }
    }
}

int mxt_gemm_run_goto(const struct mxt_gemm_plan *plan) {
    const struct mxt_gemm_prob *pr = &plan->prob;
    const int p = plan->cfg.threads;
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t kc = mxt_min64(plan->cfg.kc, pr->k);
    const int64_t nc = mxt_min64(plan->cfg.nc, mxt_round_up(pr->n, nr));
    const int64_t mc = mxt_min64(plan->cfg.mc, mxt_round_up(pr->m, mr));
    struct goto_ctx ctx = {.plan = plan, .split_jr = mxt_ceil_div(pr->m, mr) < p};
    /* goto-jc: columns only with more than one thread and a micro-panel of columns
     * each; otherwise it runs as goto */
    const int split_jc =
        plan->cfg.schedule == MXT_SCHED_GOTO_JC && p > 1 && mxt_ceil_div(pr->n, nr) >= p;
    if (split_jc) ctx.split_jr = 0;
    if (mxt_ceil_div(pr->m, mr) > (int64_t)UINT32_MAX) /* take_rows keeps 32-bit counts */
        return mxt_error(MXT_EINVAL, "M = %lld has too many row micro-panels for the goto driver",
                         (long long)pr->m);
    int rc = 0;
    ctx.abuf = calloc((size_t)p, sizeof(*ctx.abuf));
    if (!ctx.abuf) goto nomem;
    if (split_jc) { /* a B panel per thread, as wide as its slice at most */
        const int64_t ncj = mxt_min64(nc, mxt_ceil_div(mxt_ceil_div(pr->n, nr), p) * nr);
        ctx.bown = calloc((size_t)p, sizeof(*ctx.bown));
        if (!ctx.bown) goto nomem;
        for (int t = 0; t < p; t++) {
            ctx.bown[t] = mxt_pack_alloc((size_t)kc * (size_t)ncj, plan->esz);
            if (!ctx.bown[t]) goto nomem;
        }
        ctx.ranges = malloc((size_t)p * sizeof(*ctx.ranges)); /* each thread's last panel */
        if (!ctx.ranges) goto nomem;
        for (int t = 0; t < p; t++)
            atomic_init(&ctx.ranges[t], JC_NOT_READY);
    } else {
        ctx.bbuf = mxt_pack_alloc((size_t)kc * (size_t)mxt_round_up(nc, nr), plan->esz);
        const int64_t panels = mxt_ceil_div(pr->n, nc) * mxt_ceil_div(pr->k, kc);
        const int64_t mq = mxt_ceil_div(pr->m, mr);
        ctx.ranges = malloc((size_t)mxt_max64(1, panels * p) * sizeof(*ctx.ranges));
        if (!ctx.bbuf || !ctx.ranges) goto nomem;
        for (int64_t i = 0; i < panels; i++)
            for (int t = 0; t < p; t++)
                atomic_init(&ctx.ranges[i * p + t],
                            range_word((uint64_t)(mq * t / p), (uint64_t)(mq * (t + 1) / p)));
    }
    if (ctx.split_jr) {
        ctx.ashared = mxt_pack_alloc((size_t)mc * (size_t)kc, plan->esz);
        if (!ctx.ashared) goto nomem;
    } else {
        for (int t = 0; t < p; t++) {
            ctx.abuf[t] = mxt_pack_alloc((size_t)mc * (size_t)kc, plan->esz);
            if (!ctx.abuf[t]) goto nomem;
        }
    }
    rc = mxt_team_run(p, split_jc ? goto_thread_jc : goto_thread, &ctx);
    goto out;
nomem:
    rc = mxt_error(MXT_ENOMEM,
                   "cannot allocate packing buffers (mc=%lld kc=%lld nc=%lld, %d threads)",
                   (long long)mc, (long long)kc, (long long)nc, p);
out:
    if (ctx.abuf)
        for (int t = 0; t < p; t++)
            mxt_pack_free(ctx.abuf[t]);
    free(ctx.abuf);
    free((void *)ctx.ranges);
    if (ctx.bown)
        for (int t = 0; t < p; t++)
            mxt_pack_free(ctx.bown[t]);
    free(ctx.bown);
    mxt_pack_free(ctx.ashared);
    mxt_pack_free(ctx.bbuf);
    return rc;
}
