/* Private to tuner/: the tuner handle shared by session.c and calibrate.c. */
#ifndef MXT_TUNER_INTERNAL_H
#define MXT_TUNER_INTERNAL_H

#include "mxt_tuner.h"

struct mxt_tuner {
    struct mxt_db *db; /* borrowed; NULL: nothing stored or reused */
    char fingerprint[40];
    struct mxt_model_machine mm; /* uncalibrated */
    int ncalib;
    struct mxt_model_calib *calib; /* MXT_CALIB_INDEX(registry index, schedule) */
    int n_fits;                    /* calibrations stored for this machine */
};

/* Load the stored calibrations of this machine into t->calib (priors elsewhere). */
int mxt_tuner_load_calibration(struct mxt_tuner *t);

/* ---- the timing method, shared by the measurers (measure.c, measure_ops.c) ---- */

#define MXT_MEASURE_CHECK_MAX 32 /* rows and columns of the result checked */

/* The buffer written and read between runs when the caches are flushed. */
struct mxt_flusher {
    unsigned char *buf;
    size_t bytes;
    volatile unsigned char sink;
};
void mxt_flusher_release(struct mxt_flusher *f);

/* Warm-up, then timed calls of run(ctx) until o's minimum time and count (or
 * its cut-off); fills out's times, runs and cut_off, not the check. 0,
 * MXT_EINTR, run's error or MXT_EMEASURE. */
int mxt_measure_runs(const struct mxt_clock *clk, struct mxt_flusher *fl,
                     const struct mxt_measure_opts *o, int (*run)(void *ctx), void *ctx,
                     struct mxt_measure_result *out);

/* splitmix64, and uniform numbers in [-1, 1) from it. */
uint64_t mxt_measure_rand(uint64_t *x);
double mxt_measure_uniform(uint64_t *x);
/* 64-byte aligned elems x esz bytes (free()). */
void *mxt_measure_alloc(size_t elems, size_t esz);
/* n uniform numbers in [-1, 1) of dtype dt. */
void mxt_measure_fill(void *p, enum mxt_dtype dt, size_t n, uint64_t *rng);
/* Up to MXT_MEASURE_CHECK_MAX distinct indices in [0, n): all when n is small,
 * else the first, the last and random ones. Returns how many. */
int mxt_measure_pick_indices(int64_t n, int64_t *out, uint64_t *rng);
/* Physical memory in bytes (0: unknown). */
double mxt_measure_phys_bytes(void);

/* The kernels' form of a space configuration (mxt_tuner_kernel_config) in *kcfg,
 * checked by the kernels: what the GEMM-based measurers run. */
int mxt_measure_kernel_config(enum mxt_dtype dt, const struct mxt_config *cfg,
                              struct mxt_config *kcfg);

/* The start of every measuring function: the options (o, or the defaults written
 * into *def when o is NULL) and a cleared result that is within its bound. */
const struct mxt_measure_opts *mxt_measure_begin(const struct mxt_measure_opts *o,
                                                 struct mxt_measure_opts *def,
                                                 struct mxt_measure_result *out);

#endif
