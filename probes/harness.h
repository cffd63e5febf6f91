/* The one timing method of the probes (probes/). A probe kernel is a pure loop
 * `run(ctx, iters)`; the harness alone reads the clock: it warms up, doubles
 * the iteration count until one sample lasts at least min_sample_s, then keeps
 * `repeats` samples (capped by max_total_s) and reports per-iteration times.
 * The clock is injectable so tests can drive the harness without timing. */
#ifndef MXT_HARNESS_H
#define MXT_HARNESS_H

#include <stdint.h>
#include "mxt_common.h"

typedef void (*mxt_probe_kernel)(void *ctx, uint64_t iters);

struct mxt_harness {
    const struct mxt_clock *clock; /* NULL = CLOCK_MONOTONIC */
    double min_sample_s;           /* a sample must last this long (default 2e-3) */
    int repeats;                   /* samples kept after calibration (default 5) */
    double max_total_s;            /* cap on the whole measurement (default 1.0) */
    uint64_t max_iters;            /* cap on iterations per sample (default 2^40) */
};

struct mxt_timing {
    uint64_t iters;         /* iterations per sample */
    int samples;            /* samples kept */
    double best;            /* seconds per iteration: minimum over samples */
    struct mxt_stats stats; /* seconds per iteration over the samples */
};

void mxt_harness_defaults(struct mxt_harness *h);

/* Measure kernel(ctx, iters). Returns 0, MXT_EINTR if interrupted, or
 * MXT_EMEASURE if the clock does not advance. */
int mxt_harness_time(const struct mxt_harness *h, mxt_probe_kernel kernel, void *ctx,
                     struct mxt_timing *out);

#endif
