/* Compute probes (probes/): the core clock from a dependent-add chain, and FMA
 * throughput for f32 and f64 at each vector width with 1..16 independent
 * chains (one chain gives the FMA latency, saturation the throughput), then
 * the widest width on all threads at once. */
#include <math.h>
#include <omp.h>
#include <string.h>
#include "flops_kernels.h"
#include "probes.h"

/* 64 dependent single-cycle register-register adds per iteration. Not adds of
 * an immediate: recent Intel cores (Golden Cove) fold chains of those at
 * rename, which made a Sapphire Rapids guest look like an 8 GHz part. */
static void add_chain_kernel(void *ctx, uint64_t iters) {
    uint64_t x = (uint64_t)(uintptr_t)ctx, one = (uint64_t)(uintptr_t)ctx;
    for (uint64_t i = 0; i < iters; i++) {
        __asm__ volatile(".rept 64\n\taddq %1, %0\n\t.endr" : "+r"(x) : "r"(one));
    }
    __asm__ volatile("" ::"r"(x));
}

int mxt_clock_probe(const struct mxt_harness *h, double *ghz) {
    struct mxt_timing t;
    int rc = mxt_harness_time(h, add_chain_kernel, (void *)(uintptr_t)1, &t);
    if (rc) return rc;
    *ghz = 64.0 / t.best / 1e9;
    return 0;
}

struct fma_ctx {
    mxt_fma_kernel fn;
    int threads;
    double sink[64][8]; /* per thread, a line apart */
};

static void fma_1t(void *p, uint64_t iters) {
    struct fma_ctx *c = p;
    c->fn(c->sink[0], iters);
}

static void fma_all(void *p, uint64_t iters) {
    struct fma_ctx *c = p;
#pragma omp parallel num_threads(c->threads)
    c->fn(c->sink[omp_get_thread_num() & 63], iters);
}

static int collect_sets(const struct mxt_fma_set **out, int max) {
    int n = 0;
    const struct mxt_fma_set *s;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        int k = mxt_fma_sets_avx2(&s);
        for (int i = 0; i < k && n < max; i++)
            out[n++] = &s[i];
    }
    if (__builtin_cpu_supports("avx512f")) {
        int k = mxt_fma_sets_avx512(&s);
        for (int i = 0; i < k && n < max; i++)
            out[n++] = &s[i];
    }
    return n;
}

int mxt_flops_probe(const struct mxt_harness *h, int threads, double clock_ghz,
                    struct mxt_flops_result *r) {
    memset(r, 0, sizeof *r);
    const struct mxt_fma_set *sets[8];
    int ns = collect_sets(sets, 8);
    if (ns == 0)
        return mxt_error(MXT_EUNSUPPORTED, "no FMA instructions on this CPU: peak not measured");
    struct fma_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    const struct mxt_fma_set *widest[2] = {NULL, NULL};
    int best_chains[2] = {0, 0};
    for (int s = 0; s < ns; s++) {
        const struct mxt_fma_set *set = sets[s];
        double best = 0, lat_ns = 0;
        int sat = 0;
        for (int k = 0; k < MXT_FMA_NCHAINS; k++) {
            ctx.fn = set->fn[k];
            struct mxt_timing t;
            int rc = mxt_harness_time(h, fma_1t, &ctx, &t);
            if (rc) return rc;
            double fmas = (double)set->chains[k] * MXT_FMA_UNROLL;
            double gflops = fmas * set->lanes * 2.0 / t.best / 1e9;
            if (k == 0) lat_ns = t.best * 1e9 / MXT_FMA_UNROLL; /* one chain: latency per FMA */
            if (gflops > best * 1.03) sat = set->chains[k];
            if (gflops > best) best = gflops;
        }
        int wi = set->bits == 512 ? 2 : set->bits == 256 ? 1 : 0;
        r->per_width[wi][set->dtype] = best;
        if (!widest[set->dtype] || set->bits > widest[set->dtype]->bits) {
            widest[set->dtype] = set;
            best_chains[set->dtype] = sat;
            if (set->dtype == 0) {
                r->fma_latency_cycles = lat_ns * clock_ghz;
                r->fma_latency_ns = lat_ns;
                r->chains_to_saturate = sat;
                r->widest_bits = set->bits;
                r->fma_per_cycle = clock_ghz > 0 ? best / (set->lanes * 2.0 * clock_ghz) : 0;
            }
        }
    }
    r->f32_1t = r->per_width[widest[0]->bits == 512 ? 2 : widest[0]->bits == 256 ? 1 : 0][0];
    r->f64_1t = r->per_width[widest[1]->bits == 512 ? 2 : widest[1]->bits == 256 ? 1 : 0][1];
    /* All threads at once, at the widest width with the saturating chain count.
     * Waking threads is a fixed cost per sample, so samples are longer here; a
     * result below one thread's (another program on a core) is measured again. */
    struct mxt_harness hm = *h;
    if (hm.min_sample_s < 5e-3) hm.min_sample_s = 5e-3;
    if (hm.max_total_s < 0.2) hm.max_total_s = 0.2;
    for (int d = 0; d < 2; d++) {
        const struct mxt_fma_set *set = widest[d];
        int k = MXT_FMA_NCHAINS - 1;
        for (int i = 0; i < MXT_FMA_NCHAINS; i++)
            if (set->chains[i] >= (best_chains[d] ? best_chains[d] : 16)) {
                k = i;
                break;
            }
        /* One more chain than saturation is free and guards against noise. */
        if (k + 1 < MXT_FMA_NCHAINS) k++;
        ctx.fn = set->fn[k];
        ctx.threads = threads;
        double one = d == 0 ? r->f32_1t : r->f64_1t, g = 0;
        for (int attempt = 0; attempt < 2; attempt++) {
            struct mxt_harness ha = hm;
            ha.min_sample_s *= attempt ? 4 : 1;
            ha.max_total_s *= attempt ? 2.5 : 1;
            struct mxt_timing t;
            int rc = mxt_harness_time(&ha, fma_all, &ctx, &t);
            if (rc) return rc;
            double v =
                (double)threads * set->chains[k] * MXT_FMA_UNROLL * set->lanes * 2.0 / t.best / 1e9;
            if (v > g) g = v;
            if (threads == 1 || g >= 0.9 * one) break;
        }
        if (d == 0)
            r->f32_all = g;
        else
            r->f64_all = g;
    }
    return 0;
}
