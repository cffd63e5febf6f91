/* The probes' timing harness (probes/): calibrate the iteration count by
 * doubling, keep the best of repeats, cap the wall time. Owns all timing of
 * the probe kernels; see harness.h. */
#include <string.h>
#include "harness.h"

#define MXT_MAX_SAMPLES 64

void mxt_harness_defaults(struct mxt_harness *h) {
    memset(h, 0, sizeof *h);
    h->clock = NULL;
    h->min_sample_s = 2e-3;
    h->repeats = 5;
    h->max_total_s = 1.0;
    h->max_iters = (uint64_t)1 << 40;
}

static double sample(const struct mxt_clock *c, mxt_probe_kernel k, void *ctx, uint64_t iters) {
    double t0 = mxt_clock_now(c);
    k(ctx, iters);
    return mxt_clock_now(c) - t0;
}

int mxt_harness_time(const struct mxt_harness *h, mxt_probe_kernel kernel, void *ctx,
                     struct mxt_timing *out) {
    const struct mxt_clock *c = h->clock ? h->clock : &mxt_clock_default;
    memset(out, 0, sizeof *out);
    double start = mxt_clock_now(c);
    uint64_t iters = 1;
    double t = sample(c, kernel, ctx, iters); /* warm-up: page in, train predictors */
    /* Calibrate: double until a sample is long enough. */
    for (;;) {
        if (mxt_interrupted) return mxt_error(MXT_EINTR, "interrupted");
        t = sample(c, kernel, ctx, iters);
        if (t >= h->min_sample_s || iters >= h->max_iters) break;
        if (mxt_clock_now(c) - start > h->max_total_s) break;
        uint64_t grow = 2;
        if (t > 0) {
            double want = 1.2 * h->min_sample_s / t;
            if (want > 2) grow = want > 64 ? 64 : (uint64_t)want;
        }
        iters *= grow;
        if (iters > h->max_iters) iters = h->max_iters;
    }
    if (t <= 0) return mxt_error(MXT_EMEASURE, "the clock did not advance during a probe");
    /* A sample can be long because of a fixed cost (waking threads, a page
     * fault) rather than the work: double until doubling the iterations about
     * doubles the time, so the per-iteration figure measures the kernel. */
    while (iters < h->max_iters && mxt_clock_now(c) - start < h->max_total_s) {
        if (mxt_interrupted) return mxt_error(MXT_EINTR, "interrupted");
        double t2 = sample(c, kernel, ctx, 2 * iters);
        if (t2 <= 0) break;
        iters *= 2;
        int linear = t2 >= 1.8 * t;
        t = t2;
        if (linear) break;
    }
    double per[MXT_MAX_SAMPLES];
    int n = 0,
        want = h->repeats < 1 ? 1 : (h->repeats > MXT_MAX_SAMPLES ? MXT_MAX_SAMPLES : h->repeats);
    per[n++] = t / (double)iters;
    while (n < want) {
        if (mxt_interrupted) return mxt_error(MXT_EINTR, "interrupted");
        if (mxt_clock_now(c) - start > h->max_total_s) break;
        double s = sample(c, kernel, ctx, iters);
        if (s > 0) per[n++] = s / (double)iters;
    }
    out->iters = iters;
    out->samples = n;
    mxt_stats_compute(per, n, &out->stats);
    out->best = out->stats.min;
    return 0;
}
