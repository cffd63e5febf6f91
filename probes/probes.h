/* Internal interface of the probes module (probes/): curves, the individual
 * probes, level detection and the orchestrating `mxt_probe_run`. */
#ifndef MXT_PROBES_H
#define MXT_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include "harness.h"
#include "membuf.h"
#include "mxtune/machine.h"

#define MXT_CURVE_MAX 512

/* A measured curve: y against x (sizes in bytes, or any x). */
struct mxt_curve {
    int n;
    double x[MXT_CURVE_MAX];
    double y[MXT_CURVE_MAX];
};

void mxt_curve_sort(struct mxt_curve *c);
int mxt_curve_add(struct mxt_curve *c, double x, double y);

/* ---- latency (latency.c) ---- */

/* Link every `stride`-spaced slot of [base, base+bytes) into one random cycle
 * (prefetch-proof). Needs a scratch array of bytes/stride uint32 entries. */
int mxt_chain_build(void *base, size_t bytes, size_t stride, unsigned long long seed);
/* Chase a chain for `steps` dependent loads (kernel for the harness). */
struct mxt_chase_ctx {
    void *start;
    void *volatile sink;
};
void mxt_chase_kernel(void *ctx, uint64_t steps);

struct mxt_sweep_opts {
    size_t min_bytes, max_bytes;
    int points_per_octave;
    double refine_ratio; /* refine where neighbours differ more than this (1.35) */
    int refine_depth;    /* bisections per gap */
    int stop_on_plateau; /* quick mode: stop after 3 points on the last plateau */
    const struct mxt_harness *harness;
    void (*progress)(const char *what, double frac, void *ctx);
    void *progress_ctx;
};
/* Latency in ns per dependent load against working-set size. */
int mxt_latency_sweep(const struct mxt_sweep_opts *o, struct mxt_curve *out);

/* Line size by the paired-access test (bytes), in a region of region_bytes. */
int mxt_line_size_probe(const struct mxt_harness *h, size_t region_bytes, int *line,
                        struct mxt_curve *curve);
/* L1 ways by the same-set test: k addresses set_stride apart (4 KiB). */
int mxt_l1_ways_probe(const struct mxt_harness *h, size_t set_stride, int *ways,
                      struct mxt_curve *curve);

/* ---- level detection (levels.c), pure: replayable on recorded curves ---- */

struct mxt_level {
    double plateau_ns;      /* latency of the plateau */
    uint64_t nominal_bytes; /* transition midpoint, snapped to {1,1.25,1.5,1.75}x2^k */
    uint64_t usable_bytes;  /* largest size within 10 % of the plateau latency */
    uint64_t edge_bytes;    /* unsnapped transition midpoint */
    int points;             /* points on the plateau */
    double confidence;      /* 0..1 */
};

struct mxt_levels {
    int n_cache; /* cache levels found (the last plateau is memory) */
    struct mxt_level level[MXT_MAX_LEVELS];
    double dram_ns; /* plateau beyond the last cache, 0 if not reached */
    int dram_points;
};

/* Detect cache levels from a latency curve (x bytes, y ns). exclusive_llc:
 * the last level is a victim cache of the one above (AMD): its nominal and
 * usable sizes have the level above subtracted. */
int mxt_levels_detect(const struct mxt_curve *latency, int exclusive_llc, struct mxt_levels *out);
uint64_t mxt_snap_size(double bytes);

/* ---- compute (flops.c) ---- */

struct mxt_flops_result {
    double f32_1t, f64_1t, f32_all, f64_all; /* GFLOP/s at the widest width */
    double per_width[3][2];                  /* [128,256,512][f32,f64] 1-thread GFLOP/s */
    int widest_bits;
    double fma_latency_cycles; /* at clock_ghz */
    double fma_latency_ns;
    int chains_to_saturate;
    double fma_per_cycle; /* vector FMAs per cycle at the widest width */
};
/* Core clock from a dependent-add chain (GHz). */
int mxt_clock_probe(const struct mxt_harness *h, double *ghz);
int mxt_flops_probe(const struct mxt_harness *h, int threads, double clock_ghz,
                    struct mxt_flops_result *r);

/* ---- bandwidth (bandwidth.c) ---- */

enum mxt_bw_kernel {
    MXT_BW_READ = 0,
    MXT_BW_WRITE,
    MXT_BW_COPY,
    MXT_BW_SCALE,
    MXT_BW_ADD,
    MXT_BW_TRIAD
};
/* STREAM byte counting: read + written bytes, no write-allocate. */
struct mxt_bw_sample {
    double best_GBps, median_GBps, p10_GBps, p90_GBps;
};
/* bytes = total array footprint; threads >= 1 (each first-touches its part). */
int mxt_bandwidth(const struct mxt_harness *h, enum mxt_bw_kernel k, size_t bytes, int threads,
                  struct mxt_bw_sample *out);
/* Read bandwidth (one thread) against size. */
int mxt_bandwidth_sweep(const struct mxt_harness *h, size_t min_bytes, size_t max_bytes,
                        int points_per_octave, struct mxt_curve *out);

/* ---- the whole probe (probe.c) ---- */

enum mxt_probe_mode { MXT_PROBE_QUICK = 0, MXT_PROBE_DEFAULT, MXT_PROBE_THOROUGH };

struct mxt_probe_opts {
    enum mxt_probe_mode mode;
    const char *sysfs_root; /* NULL = $MXT_SYSFS_ROOT or the real one */
    size_t max_sweep_bytes; /* 0 = mode default, capped at 25 % of free memory */
    void (*progress)(const char *phase, double frac, void *ctx);
    void *progress_ctx;
};

struct mxt_probe_curves {
    struct mxt_curve latency;   /* bytes -> ns */
    struct mxt_curve bandwidth; /* bytes -> GB/s (read, 1 thread) */
    struct mxt_curve line;      /* stride -> ns */
    struct mxt_curve ways;      /* addresses -> ns */
    struct mxt_curve fma;       /* chains -> GFLOP/s (f32, widest) */
    /* Bandwidth (GB/s) at half of each level's usable size, and DRAM in the
     * last row: [level][load, store, copy, triad][1 thread, all threads]. */
    int n_levels; /* rows used: cache levels + 1 (DRAM) */
    double level_bw[MXT_MAX_LEVELS + 1][4][2];
    double clock_before_ghz, clock_after_ghz;
    double noise_cv;
    double seconds; /* wall time of the whole probe */
};

/* Run the probe and fill the profile. curves may be NULL. */
int mxt_probe_run(const struct mxt_probe_opts *o, struct mxt_machine *m,
                  struct mxt_probe_curves *curves);
/* Curves as a JSON document (malloc'd), and back (for replay tests and reports). */
int mxt_probe_curves_to_json(const struct mxt_probe_curves *c, char **out);
int mxt_probe_curves_from_json(const char *text, struct mxt_probe_curves *c);

/* This machine's fingerprint and stable profile part (priors only, no measuring). */
int mxt_probe_identify(const char *sysfs_root, struct mxt_machine *m);

#endif
