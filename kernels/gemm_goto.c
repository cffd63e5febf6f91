/* The Goto/BLIS five-loop GEMM driver (kernels/, MODELS.md §1): jc over N by nc
 * (B panel kc x nc, shared, packed by all threads) -> pc over K by kc -> ic over M
 * by mc (A block mc x kc, one per thread) -> jr by nr -> ir by mr.
 * Threads split the ic loop: each owns an even share of the rows, rounded to mr,
 * and packs its own A blocks. When M has fewer micro-panels than threads they
 * split the jr loop instead, sharing one A block. */
#include <stdlib.h>
#include "mxt_common.h"
#include "mxt_kernels.h"

struct goto_ctx {
    const struct mxt_gemm_plan *plan;
    char *bbuf;    /* kc x nc packed B panel, shared */
    char **abuf;   /* one mc x kc A block per thread (ic split) */
    char *ashared; /* the shared A block (jr split) */
    int split_jr;
};

/* Even share [*lo, *hi) of n items for thread tid of nt. */
static void share(int64_t n, int tid, int nt, int64_t *lo, int64_t *hi) {
    *lo = n * tid / nt;
    *hi = n * (tid + 1) / nt;
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

    /* ic split: this thread's rows [m0, m1), a multiple of mr wide except the last. */
    const int64_t rows = mxt_round_up(mxt_ceil_div(pr->m, nt), mr);
    const int64_t m0 = mxt_min64(pr->m, rows * tid), m1 = mxt_min64(pr->m, m0 + rows);

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
                for (int64_t ic = m0; ic < m1; ic += mc) {
                    const int64_t mb = mxt_min64(mc, m1 - ic);
                    mxt_pack_a(plan->cfg.isa, esz, mr, mb, kb,
                               A + (size_t)(ic * pr->rsa + pc * pr->csa) * esz, pr->rsa, pr->csa,
                               ab, 0, mxt_ceil_div(mb, mr));
                    mxt_macro_kernel(plan, mb, nb, kb, ab, ctx->bbuf,
                                     C + (size_t)(ic + jc * pr->ldc) * esz, beta);
                }
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

int mxt_gemm_run_goto(const struct mxt_gemm_plan *plan) {
    const struct mxt_gemm_prob *pr = &plan->prob;
    const int p = plan->cfg.threads;
    const int mr = plan->cfg.mr, nr = plan->cfg.nr;
    const int64_t kc = mxt_min64(plan->cfg.kc, pr->k);
    const int64_t nc = mxt_min64(plan->cfg.nc, mxt_round_up(pr->n, nr));
    const int64_t mc = mxt_min64(plan->cfg.mc, mxt_round_up(pr->m, mr));
    struct goto_ctx ctx = {.plan = plan, .split_jr = mxt_ceil_div(pr->m, mr) < p};
    int rc = 0;
    ctx.bbuf = mxt_pack_alloc((size_t)kc * (size_t)mxt_round_up(nc, nr), plan->esz);
    ctx.abuf = calloc((size_t)p, sizeof(*ctx.abuf));
    if (!ctx.bbuf || !ctx.abuf) goto nomem;
    if (ctx.split_jr) {
        ctx.ashared = mxt_pack_alloc((size_t)mc * (size_t)kc, plan->esz);
        if (!ctx.ashared) goto nomem;
    } else {
        for (int t = 0; t < p; t++) {
            ctx.abuf[t] = mxt_pack_alloc((size_t)mc * (size_t)kc, plan->esz);
            if (!ctx.abuf[t]) goto nomem;
        }
    }
    rc = mxt_team_run(p, goto_thread, &ctx);
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
    mxt_pack_free(ctx.ashared);
    mxt_pack_free(ctx.bbuf);
    return rc;
}
