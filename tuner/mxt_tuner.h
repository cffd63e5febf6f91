/* The tuner's interface inside mxtune (tuner/): the one kernel-timing method,
 * the candidate space the model ranks, the search strategies behind one struct,
 * the search session with its budgets and noise policy, shapes files, and the
 * calibration of the model against stored measurements. Used by cli/ and the
 * tests; other programs use include/mxtune/lookup.h.
 *
 * Errors: 0 or a negative MXT_E* code with a message for mxt_last_error().
 * Nothing here prints; progress goes through a callback.
 */
#ifndef MXT_TUNER_H
#define MXT_TUNER_H

#include <stddef.h>
#include <stdint.h>
#include "mxt_common.h"
#include "mxtune/config.h"
#include "mxtune/model.h"

#include "mxt_db_tune.h" /* MXT_KERNEL_VERSION, struct mxt_db_problem */

/* ---- measuring one configuration (measure.c) ---- */

/* The error bound of the correctness check: every checked entry satisfies
 * |C - ref|_ij <= MXT_MEASURE_BOUND_C * K * u * (|A||B|)_ij, u the unit
 * round-off (2^-24 for f32, 2^-53 for f64), ref accumulated in double (f32) or
 * long double (f64). c = 2: the classic bound of a K-term dot product is
 * gamma_K = K*u/(1 - K*u) (Higham, Accuracy and Stability, §3.1), for any
 * summation order, blocking or FMA use; the factor 2 covers the final rounding
 * and the 1/(1 - K*u) term. */
#define MXT_MEASURE_BOUND_C 2.0

struct mxt_measure_opts {
    double min_time_s;  /* run until the timed runs add up to this (default 0.1 s) */
    int min_runs;       /* ... and at least this many (default 5) */
    int max_runs;       /* never more (default 1000) */
    int warmup;         /* untimed runs first (default 1) */
    int flush;          /* flush the caches before every timed run (default 0) */
    size_t flush_bytes; /* bytes written to flush (default 64 MiB) */
    double cutoff_s;    /* stop once a run (warm-up included) took longer (0: none) */
    int check;          /* check the result against the reference (default 1) */
};
void mxt_measure_defaults(struct mxt_measure_opts *o);

struct mxt_measure_result {
    double median_s, min_s, q20_s, q80_s; /* seconds per call over the timed runs */
    int runs;                             /* timed runs (the warm-up alone when cut off early) */
    int cut_off;                          /* stopped by cutoff_s: slower than 3x the best */
    int checked;                          /* entries of C checked (0: no check) */
    double max_rel_error;                 /* max over checked entries of |C - ref| / (|A||B|) */
    double error_bound;                   /* MXT_MEASURE_BOUND_C * K * u */
    int within_bound;                     /* max_rel_error <= error_bound (1 when not checked) */
};

/* The measuring function, injectable: the tuner calls measure(ctx, ...) for
 * every candidate; tests install a deterministic fake. cfg is in the tuner's
 * (the model's) convention. Returns 0, MXT_EINTR when interrupted, or an error
 * for this candidate (the search records it as failed and goes on). */
struct mxt_measurer {
    int (*measure)(void *ctx, const struct mxt_config *cfg, const struct mxt_measure_opts *o,
                   struct mxt_measure_result *out);
    void *ctx;
};

/* The real measurer: GEMM operands of one problem, column-major, allocated once
 * and filled with uniform random numbers in [-1, 1) from seed; the reference
 * for a sample of up to 32 x 32 entries of C is computed at creation.
 * MXT_ENOMEM (naming the sizes and the memory needed) when they cannot be
 * allocated or would not fit in this machine's memory. */
struct mxt_gemm_bench;
int mxt_gemm_bench_create(enum mxt_dtype dt, int64_t m, int64_t n, int64_t k, uint64_t seed,
                          struct mxt_gemm_bench **out);
void mxt_gemm_bench_destroy(struct mxt_gemm_bench *b);
/* Replace the clock (NULL: CLOCK_MONOTONIC). */
void mxt_gemm_bench_set_clock(struct mxt_gemm_bench *b, const struct mxt_clock *clock);
/* Time one configuration (the mxt_measurer.measure of the real kernels). */
int mxt_gemm_bench_measure(void *bench, const struct mxt_config *cfg,
                           const struct mxt_measure_opts *o, struct mxt_measure_result *out);
/* Bytes the operands and the kernels' packing buffers of a problem need. */
double mxt_gemm_bench_bytes(enum mxt_dtype dt, int64_t m, int64_t n, int64_t k);

/* The real measurer of spmm (f32, column-major B and C): A (m x k) is a random
 * sparse matrix in which every element is nonzero with probability `density`,
 * drawn with its values in [-1, 1) from seed, as B is; C = A B. A is packed into
 * Rosko's format outside the timed region, once per tile shape (mr, kc) asked
 * for and kept for the next candidate with that shape (the weights of a model
 * are packed ahead of time, as the model assumes); B is packed inside mxt_spmm,
 * so that cost is timed. Checked as GEMM: |C - ref| <= c K u (|A||B|). */
struct mxt_spmm_bench;
int mxt_spmm_bench_create(int64_t m, int64_t n, int64_t k, double density, uint64_t seed,
                          struct mxt_spmm_bench **out);
void mxt_spmm_bench_destroy(struct mxt_spmm_bench *b);
void mxt_spmm_bench_set_clock(struct mxt_spmm_bench *b, const struct mxt_clock *clock);
int mxt_spmm_bench_measure(void *bench, const struct mxt_config *cfg,
                           const struct mxt_measure_opts *o, struct mxt_measure_result *out);
/* Nonzeros the bench's A holds. */
int64_t mxt_spmm_bench_nnz(const struct mxt_spmm_bench *b);
/* The configuration mxt_spmm runs for cfg (NULL: all 0) with this A, every 0
 * field filled as mxt_spmm_resolve_config does (mr and kc: the packer's rules
 * for this A), into *out; A is packed with that tile now (kept for the
 * measurements) and *pack_s (may be NULL) receives the seconds that one packing
 * took by the bench's clock (outside every timed run). Returns 0, MXT_EINVAL or
 * MXT_EUNSUPPORTED with the reason, MXT_ENOMEM. */
int mxt_spmm_bench_config(struct mxt_spmm_bench *b, const struct mxt_config *cfg,
                          struct mxt_config *out, double *pack_s);

/* The real measurer of the low-rank product Y = (U V) X (column-major, dense U
 * m x r, V r x k, X k x n, random in [-1, 1) from seed), run by
 * mxt_lowrank_gemm in the given order (enum mxt_lowrank_order, not AUTO) with
 * the configuration for both of its GEMM stages; the intermediate product is
 * inside the timed region. Checked against |Y - ref| <= c (K + r) u
 * (|U||V||X|): the chain adds the two stages' dot-product bounds. */
struct mxt_lowrank_bench;
int mxt_lowrank_bench_create(enum mxt_dtype dt, int64_t m, int64_t n, int64_t k, int64_t rank,
                             int order, uint64_t seed, struct mxt_lowrank_bench **out);
void mxt_lowrank_bench_destroy(struct mxt_lowrank_bench *b);
void mxt_lowrank_bench_set_clock(struct mxt_lowrank_bench *b, const struct mxt_clock *clock);
int mxt_lowrank_bench_measure(void *bench, const struct mxt_config *cfg,
                              const struct mxt_measure_opts *o, struct mxt_measure_result *out);

/* The configuration the kernels run for a configuration of the tuner. The model
 * (and the command line, CLI.md) reads cake-nkm's mc as the block along M and
 * nc as each thread's slice along N (mc = alpha * p * nc); kernels/gemm_cake.c
 * reads them the other way round (mc: each slot's columns, nc: the M block).
 * This is the one place that maps one onto the other; everything the tuner
 * stores is in the model's convention. */
void mxt_tuner_kernel_config(const struct mxt_config *cfg, struct mxt_config *out);
/* cake-nkm only: round mc and nc up to multiples of lcm(mr, nr), so that both
 * readings run the same blocks and both legality checks pass. Returns 1 when a
 * block changed. */
int mxt_tuner_align_nkm(struct mxt_config *cfg);

/* ---- the candidate space (space.c) ---- */

enum {
    MXT_DIM_SCHED,
    MXT_DIM_KERNEL,
    MXT_DIM_THREADS,
    MXT_DIM_MC,
    MXT_DIM_KC,
    MXT_DIM_NC,
    MXT_NDIMS
};
#define MXT_SPACE_STEPS 5 /* grid points per block dimension: x0.5, x0.71, x1, x1.41, x2 */
#define MXT_SPACE_MAX_KERNELS 16
#define MXT_SPACE_MAX_THREADS 8
#define MXT_SPACE_MAX_REASONS 24

enum {
    MXT_CAND_COARSE = 1u << 0,  /* on the coarse grid (x0.5, x1, x2): exhaustive's grid */
    MXT_CAND_WIDEST = 1u << 1,  /* a kernel of the widest ISA, all the problem's threads */
    MXT_CAND_DEFAULT = 1u << 2, /* the default configuration (CLI.md) */
    MXT_CAND_BASE = 1u << 3,    /* the model's own sizing (factor 1 on every block) */
    MXT_CAND_OUTSIDE = 1u << 4, /* the default, outside the space the options asked for:
                                   measured as a baseline, never the winner; ranked last */
    MXT_CAND_FALLBACK = 1u << 5 /* the kernels' own blocks (mxt_gemm_resolve_config with
                                   none given: what mxt_*gemm_ex run), goto and goto-jc */
};

struct mxt_candidate {
    struct mxt_config cfg; /* complete: nothing left at 0 (alpha: informational) */
    int kernel;            /* index in the registry (mxt_kernels_get) */
    double predicted_s, predicted_gflops;
    enum mxt_bound bound;
    int rank;                 /* position in the model's order (0: the model's best) */
    uint8_t coord[MXT_NDIMS]; /* grid coordinates */
    unsigned flags;           /* MXT_CAND_* */
};

struct mxt_space_reason {
    char text[120];
    int count;
};

/* What to enumerate; zero fields mean "everything". */
struct mxt_space_opts {
    int threads;                /* the problem's threads (0: all cores) */
    enum mxt_schedule schedule; /* MXT_SCHED_CAKE: the three CAKE orders and goto */
    int only_schedule;          /* 1: only `schedule` (cake: the three CAKE orders) */
    enum mxt_isa isa;           /* MXT_ISA_AUTO: every ISA this CPU runs */
    int mr, nr;                 /* 0: every micro-kernel */
    int fixed_threads;          /* 1: candidates use exactly `threads` */
    /* the model's constants per (micro-kernel, schedule), indexed by
     * MXT_CALIB_INDEX (mxt_tuner_calibrations); NULL: the machine's own */
    const struct mxt_model_calib *calib;
};

struct mxt_space {
    struct mxt_problem pb;
    int threads;     /* the problem's threads */
    double flops;    /* useful flops of one call (GFLOP/s of every candidate): gemm 2mnk, spmm
                        2 d mnk, lowrank those of `order` */
    int order;       /* lowrank: the order every candidate runs (enum mxt_lowrank_order): the
                        one mxt_lowrank_gemm picks by MACs (MXT_LOWRANK_AUTO) */
    int model_order; /* lowrank: the order the model predicts faster for the model's first */
    int n;           /* legal candidates, in the model's order (rank = index) */
    struct mxt_candidate *c;
    int model_first; /* 0 */
    int dflt;        /* index of the default configuration */
    int n_illegal;   /* grid points refused, by reason below */
    int n_reasons;
    struct mxt_space_reason reasons[MXT_SPACE_MAX_REASONS];
    /* the grid */
    int dim[MXT_NDIMS];                      /* extent of each coordinate */
    enum mxt_schedule sched[MXT_SCHED_LAST]; /* values of MXT_DIM_SCHED (concrete ones) */
    int kernel[MXT_SPACE_MAX_KERNELS];       /* registry indices of MXT_DIM_KERNEL */
    int thread_count[MXT_SPACE_MAX_THREADS]; /* values of MXT_DIM_THREADS */
    int *grid; /* grid point -> candidate index, -1 illegal (a clamped duplicate maps to
                  the candidate it equals) */
    int grid_size;
};

/* Build the legal space of a problem, rank it with the model and find the
 * default configuration. Legality: the kernels accept the configuration
 * (mxt_gemm_check_config), the model evaluates it (registers, ISA, threads, ...)
 * and the blocks fit the caches that hold them (footprint of L2 and above no
 * larger than the level).
 *   gemm (f32, f64): schedules x micro-kernels x threads x mc/kc/nc grid.
 *   lowrank (f32, f64; pb->rank in [1, min(m, k)], dense U): the same grid for
 *     the configuration both GEMM stages run, in the order of sp->order; the
 *     model's time is that order's (mxt_prediction.order_seconds).
 *   spmm (f32; pb->density in (0, 1]): cake-kmn only (Rosko's order), one
 *     Rosko ISA (avx512 where it runs, else generic; MXT_DIM_KERNEL then
 *     indexes Rosko tiles mr x nr, not the GEMM registry), threads, and the
 *     mc/kc/nc grid (kc is the packed tile width). The default is what
 *     mxt_spmm runs with no configuration.
 * MXT_EUNSUPPORTED for an op without kernels (contract, spmm f64); MXT_ERANGE
 * for a density or rank out of range; MXT_EINVAL when nothing is legal (the
 * reasons say why). */
int mxt_space_build(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                    const struct mxt_space_opts *o, struct mxt_space *sp);
void mxt_space_release(struct mxt_space *sp);
/* The candidate at a grid point moved by `step` along dimension dim (-1: none). */
int mxt_space_neighbor(const struct mxt_space *sp, int cand, int dim, int step);
/* Index of the candidate with this configuration (-1: none). */
int mxt_space_find(const struct mxt_space *sp, const struct mxt_config *cfg);
/* Check one configuration for a problem as the space does: 0, or MXT_EINVAL /
 * MXT_EUNSUPPORTED with the reason; fills *pred when it is legal. */
int mxt_tuner_check_config(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                           const struct mxt_config *cfg, struct mxt_prediction *pred);
/* The model's prediction of one complete configuration as the space reads it
 * (spmm on Rosko's view of the machine, lowrank in the order of sp->order),
 * after the checks of mxt_tuner_check_config except the footprint rule: a
 * configuration asked for still runs when its blocks overflow a cache. */
int mxt_tuner_predict(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                      const struct mxt_config *cfg, struct mxt_prediction *pred);
/* Registry name of a configuration's micro-kernel ("avx512_f32_32x12"), or "?". */
const char *mxt_tuner_kernel_name(enum mxt_dtype dt, const struct mxt_config *cfg);
/* "goto avx512 32x12 mc=768 kc=256 nc=1032 p=2" (buf >= 128 bytes). */
void mxt_tuner_config_text(const struct mxt_config *cfg, char *buf, size_t size);

/* ---- strategies (strategy_*.c, registered in strategy.c) ---- */

/* What a strategy sees of the search. */
struct mxt_search_view {
    const struct mxt_space *space;
    const double *time; /* per candidate: seconds per call; 0 not yet known, < 0 failed */
    int best;           /* the incumbent (-1: none yet) */
    int evals;          /* candidates evaluated so far */
    int budget_evals;   /* the evaluation budget (0: none) */
    uint64_t *rng;      /* the strategy's random stream (seeded from --seed) */
};

/* One search strategy (FFTW's solver pattern: a const struct of functions, one
 * file each, a registration table in strategy.c). */
struct mxt_strategy {
    const char *name;
    const char *summary;
    /* 1 if the strategy can search this space */
    int (*applicable)(const struct mxt_space *sp);
    /* private state into *state (may stay NULL); 0 or MXT_ENOMEM */
    int (*init)(const struct mxt_search_view *v, void **state);
    /* the next candidate to evaluate, or -1 when the strategy has nothing more */
    int (*next)(void *state, const struct mxt_search_view *v);
    /* the result of a candidate (seconds per call, < 0 failed); called for
     * every candidate evaluated, those the session evaluates first included */
    void (*observe)(void *state, const struct mxt_search_view *v, int cand, double seconds);
    void (*fini)(void *state);
};

extern const struct mxt_strategy mxt_strategy_model;
extern const struct mxt_strategy mxt_strategy_anneal;
extern const struct mxt_strategy mxt_strategy_random;
extern const struct mxt_strategy mxt_strategy_exhaustive;

/* The registered strategies, in order; NULL past the end. */
const struct mxt_strategy *mxt_strategy_get(int i);
/* By name; MXT_EINVAL naming the known ones when unknown. */
int mxt_strategy_find(const char *name, const struct mxt_strategy **out);
#define MXT_DEFAULT_STRATEGY "anneal"

/* Random numbers for the strategies (splitmix64): reproducible for a seed. */
uint64_t mxt_rng_next(uint64_t *state);
/* Uniform in [0, n). */
int mxt_rng_below(uint64_t *state, int n);
/* Uniform in [0, 1). */
double mxt_rng_unit(uint64_t *state);

/* ---- the search session (session.c) ---- */

struct mxt_search_opts {
    const char *strategy; /* NULL: MXT_DEFAULT_STRATEGY */
    double budget_s;      /* wall time for this problem (0: none) */
    int max_evals;        /* candidates evaluated, stored ones included (0: none) */
    int patience;         /* stop after this many evaluations without a new best (0: none) */
    uint64_t seed;
    int rerun;            /* measure again what is stored (default: reuse it) */
    double improve;       /* a new best must be this much faster (0.02) */
    double suspicious;    /* re-measure a new best this much faster than the incumbent (0.10) */
    double cutoff_factor; /* stop a candidate once it ran this many times the best (3) */
    int playoff_rounds;   /* interleaved re-measurements of the finalists (3; 0: none) */
    struct mxt_measure_opts measure;
    const struct mxt_clock *clock; /* the budget's clock (NULL: CLOCK_MONOTONIC) */
    void (*progress)(void *ctx, const char *line);
    void *progress_ctx;
};
void mxt_search_defaults(struct mxt_search_opts *o);
#define MXT_SEARCH_DEFAULT_MAX_EVALS 32
#define MXT_SEARCH_DEFAULT_PATIENCE 14
#define MXT_SEARCH_DEFAULT_BUDGET_S 40.0 /* per problem */
#define MXT_SEARCH_DEFAULT_TOTAL_S 150.0 /* cap for a list of problems */

struct mxt_search_pick {
    int cand;       /* index in the space (-1: none) */
    double seconds; /* the fastest run's seconds per call, final */
    double gflops;
    int64_t measurement_id; /* the stored row (0: not stored) */
};

struct mxt_search_result {
    int measured; /* candidates measured in this session */
    int resumed;  /* candidates whose stored measurement was reused */
    int failed;   /* candidates that failed (error or wrong result) */
    int cut_off;  /* candidates stopped at 3x the best */
    int evals;    /* measured + resumed + failed */
    struct mxt_search_pick best, model_first, dflt;
    const char *stop; /* "max-evals", "budget", "patience", "exhausted", "interrupted" */
    double elapsed_s;
    int interrupted;
};

struct mxt_tuner;
/* A tuner for one machine. db (borrowed, may be NULL: nothing is stored or
 * reused) and fingerprint name the machine's rows; mm is copied. Calibrated
 * constants stored for this machine are loaded. */
int mxt_tuner_create(struct mxt_db *db, const char *fingerprint, const struct mxt_model_machine *mm,
                     struct mxt_tuner **out);
void mxt_tuner_destroy(struct mxt_tuner *t);
/* The tuner's model machine (uncalibrated; calibrations are per kernel). */
const struct mxt_model_machine *mxt_tuner_machine(const struct mxt_tuner *t);
/* The model's constants per (registry index k, schedule s) at MXT_CALIB_INDEX(k, s):
 * the fit stored for that schedule and micro-kernel, else the fit of the
 * micro-kernel over all schedules, else a prior (eta0 scaled by the kernel's
 * vector width over the machine's widest); calibrated = 1 for a fit. Stored
 * under the names "<micro-kernel>" and "<schedule>/<micro-kernel>"
 * ("avx512_f32_32x12", "goto/avx512_f32_32x12"): the drivers differ in overheads
 * the model does not spell out, so each pair gets its own efficiency. */
#define MXT_CALIB_SCHEDS (MXT_SCHED_LAST + 1) /* enum mxt_schedule values; slot 0: all */
#define MXT_CALIB_INDEX(k, s) ((k)*MXT_CALIB_SCHEDS + (int)(s))
const struct mxt_model_calib *mxt_tuner_calibrations(const struct mxt_tuner *t);

/* The database's description of a problem the tuner measures (column-major,
 * no transposes, beta 0, `threads` threads; spmm's density, lowrank's rank). */
void mxt_tuner_db_problem(const struct mxt_problem *pb, int threads, struct mxt_db_problem *out);

/* Search one problem over sp (built by the caller with mxt_space_build). The
 * model's first choice and the default configuration are evaluated first, then
 * the strategy's candidates until a budget ends; every measurement is stored as
 * it lands (when the tuner has a database) and the winner is stored with its
 * provenance. Returns 0 (also when a budget stopped it), MXT_EINTR after Ctrl-C
 * (res holds the best so far), or an error that stops the search. */
int mxt_tuner_search(struct mxt_tuner *t, const struct mxt_space *sp,
                     const struct mxt_measurer *meas, const struct mxt_search_opts *o,
                     struct mxt_search_result *res);

/* ---- problems to tune (shapes.c) ---- */

struct mxt_shape {
    int64_t m, n, k;
    enum mxt_dtype dtype;
    int line;         /* in the file (0: built in) */
    const char *what; /* built-in set: what the shape stands for */
};

/* Parse a shapes file's text: one problem per line, "M N K [dtype]", '#'
 * starts a comment, blank lines are skipped. name is used in messages
 * ("FILE:LINE: ..."). *out is malloc'd (caller frees). MXT_EFORMAT on a
 * malformed line or a file without shapes. */
int mxt_shapes_parse(const char *text, const char *name, enum mxt_dtype default_dtype,
                     struct mxt_shape **out, int *n);
/* Read and parse a file (MXT_EIO when it cannot be read). */
int mxt_shapes_load(const char *path, enum mxt_dtype default_dtype, struct mxt_shape **out, int *n);
/* The built-in problem set of `mxtune search --op gemm` without sizes: layers
 * of common ML models (docs/tuner.md). Static storage. */
int mxt_shapes_default(const struct mxt_shape **out);

/* ---- calibration and accuracy of the model (calibrate.c) ---- */

struct mxt_accuracy {
    int count;                   /* measured candidates compared */
    double median_abs_pct_error; /* median over them of |predicted - measured| / measured, % */
    double spearman;             /* rank correlation of predicted and measured time within
                                    each problem, averaged weighted by the problem's count */
    double spearman_pooled;      /* the same over all candidates at once */
    int problems;                /* problems with at least 3 candidates (for spearman) */
    int calibrated_kernels;      /* fitted (micro-kernel) and (schedule, micro-kernel) pairs */
    int censored;                /* measurements cut off at 3x the best (lower bounds), left out */
};

/* Fit the efficiency constants (eta0, barrier cost) of every micro-kernel with
 * at least 3 compute-bound measurements of this machine (mxt_model_calibrate,
 * after dropping outliers: runs slowed by other processes), store them
 * (mxt_db_store_calibration) and use them from now on. Measurements cut off
 * at 3x the best are lower bounds and left out, here and in the accuracy.
 * *fitted: how many kernels were fitted. */
int mxt_tuner_calibrate(struct mxt_tuner *t, int *fitted);
/* The model (with the stored calibration) against every current measurement
 * of this machine. MXT_ENOTFOUND when there is none. */
int mxt_tuner_accuracy(struct mxt_tuner *t, struct mxt_accuracy *acc);

#endif
