/* The analytical model of mxtune: pure functions of (machine, problem,
 * configuration) that predict cache blocks, footprints, bytes moved across every
 * memory level, time and the resource that bounds it (model/).
 *
 * Equations and their sources: shared/design/MODELS.md, docs/model.md. Goto/BLIS
 * with the Low et al. sizing, CAKE (constant-bandwidth blocks) with the authors'
 * reference sizing and mxtune's bandwidth-aware sizing, mCAKE for tensor
 * contractions, Rosko for sparse A, and the two orders of a low-rank product.
 *
 * Units: bytes, seconds, flop/s (an FMA counts 2), bytes/s inside the structs;
 * GB/s and GFLOP/s (10^9) where a name says so. Every struct is caller-owned and
 * fixed-size; nothing here allocates, prints, times or stores, and
 * mxt_model_evaluate() for a dense problem costs well under a microsecond so the
 * tuner can rank whole search spaces.
 *
 * Errors: 0 or a negative MXT_E* code with a message for mxt_last_error():
 *   MXT_EINVAL / MXT_ERANGE  a bad problem or configuration (the message names
 *                            the value and the reason): usage errors
 *   MXT_ENODATA              the machine profile lacks a value the model needs
 *                            (DRAM bandwidth, peak GFLOP/s): says which
 *   MXT_EUNSUPPORTED         the machine cannot use this model (e.g. CAKE on a
 *                            machine without a shared cache)
 */
#ifndef MXTUNE_MODEL_H
#define MXTUNE_MODEL_H

#include <stdint.h>
#include "mxtune/config.h"
#include "mxtune/machine.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mxt_op { MXT_OP_GEMM = 0, MXT_OP_SPMM = 1, MXT_OP_LOWRANK = 2, MXT_OP_CONTRACT = 3 };

/* Block sizing rules (CLI.md): DEFAULT resolves to MODEL for goto and BANDWIDTH
 * for the CAKE schedules. REFERENCE is the CAKE authors' rule with its quirks;
 * MODEL is Low et al. for goto; BANDWIDTH is mxtune's rule for CAKE. */
enum mxt_sizing {
    MXT_SIZING_DEFAULT = 0,
    MXT_SIZING_REFERENCE = 1,
    MXT_SIZING_MODEL = 2,
    MXT_SIZING_BANDWIDTH = 3
};

/* What bounds a prediction: the largest of the time terms. */
enum mxt_bound {
    MXT_BOUND_COMPUTE = 0,
    MXT_BOUND_L1 = 1,
    MXT_BOUND_L2 = 2,
    MXT_BOUND_L3 = 3,
    MXT_BOUND_L4 = 4,
    MXT_BOUND_DRAM = 5,
    MXT_BOUND_OVERHEAD = 6
};
#define MXT_NBOUNDS 7

/* Per-level arrays: index l-1 for cache level l (L1..L4), MXT_LVL_DRAM for DRAM. */
#define MXT_LVL_DRAM 4
#define MXT_NLVL 5

const char *mxt_op_name(enum mxt_op op);
int mxt_op_parse(const char *name, enum mxt_op *out);
const char *mxt_sizing_name(enum mxt_sizing s);
int mxt_sizing_parse(const char *name, enum mxt_sizing *out);
const char *mxt_bound_name(enum mxt_bound b);

/* ---- the machine as the model sees it ---- */

struct mxt_model_level {
    int level;     /* 1..4 */
    double size;   /* nominal bytes */
    double usable; /* bytes one core can keep (measured; nominal if unknown) */
    int line, ways, shared_by;
    double sets; /* size / (ways * line) */
    double bw;   /* bytes/s read by one core (measured or assumed) */
};

/* Constants the probe cannot measure directly; defaults until calibrated
 * against kernel measurements (mxt_model_calibrate). */
struct mxt_model_calib {
    double eta0;            /* fraction of peak the micro-kernel reaches at best (0.9) */
    double sync_seconds;    /* one barrier of all threads (2e-6 s) */
    double sparse_mac_cost; /* Rosko: a sparse MAC costs this many dense MACs (2.5) */
    double sparse_col_cost; /* Rosko: extra cycles per kept column of a tile (1.0) */
    int calibrated;         /* 0: defaults */
};

#define MXT_MODEL_MAX_ASSUMED 48
#define MXT_MODEL_NOTE_LEN 112

/* Derived once from a struct mxt_machine by mxt_model_machine_init(). */
struct mxt_model_machine {
    char name[64];
    int cores, threads_per_core;
    int n_levels;
    struct mxt_model_level lv[MXT_MAX_LEVELS]; /* data/unified levels, by level */
    int core_idx;   /* index into lv of the per-core level (largest private cache), -1 none */
    int shared_idx; /* index into lv of the local memory (largest shared cache), -1 none */
    double dram_1t, dram_all;       /* read bytes/s, one thread / all threads (0 unknown) */
    double peak_1t[2], peak_all[2]; /* flop/s by enum mxt_dtype, one thread / all (0 unknown) */
    double isa_share[4][2]; /* by enum mxt_isa, dtype: the ISA's micro-kernel peak / the widest's */
    double fma_latency;     /* cycles */
    int fma_per_cycle, loads_per_cycle; /* vector FMA and load issues per cycle */
    int vector_bits, vector_registers;  /* widest ISA */
    enum mxt_isa isa;                   /* widest ISA the machine runs */
    int kernel_mr[2], kernel_nr[2];     /* default micro-kernel by dtype */
    struct mxt_model_calib calib;
    int n_assumed; /* machine-level assumptions (file defaults included) */
    char assumed[MXT_MODEL_MAX_ASSUMED][MXT_MODEL_NOTE_LEN];
};

/* Derive the model's view of m. Values the model may assume (cache bandwidths,
 * FMA latency, registers, ...) are filled and listed in mm->assumed; DRAM
 * bandwidth and peak GFLOP/s have no default: their absence is kept and
 * mxt_model_evaluate() then fails with MXT_ENODATA. Returns MXT_EFORMAT when m
 * has no cores or no data cache. */
int mxt_model_machine_init(struct mxt_model_machine *mm, const struct mxt_machine *m);

/* ---- problems ---- */

#define MXT_MAX_INDICES 16
enum mxt_index_class { MXT_IDX_I = 0, MXT_IDX_J = 1, MXT_IDX_P = 2, MXT_IDX_BATCH = 3 };
const char *mxt_index_class_name(enum mxt_index_class c);

/* An einsum-like contraction C[c] = sum A[a] B[b], e.g. "abc,cd->abd". Index
 * names are ASCII letters; I: in A and C, J: in B and C, P: in A and B (summed),
 * batch: in all three. */
struct mxt_contraction {
    int count; /* distinct indices */
    char name[MXT_MAX_INDICES];
    int64_t size[MXT_MAX_INDICES];
    enum mxt_index_class cls[MXT_MAX_INDICES];
    char a[MXT_MAX_INDICES + 1], b[MXT_MAX_INDICES + 1], c[MXT_MAX_INDICES + 1];
    int64_t m, n, k, batch; /* group products: I, J, P, batch */
};

/* Parse spec ("abc,cd->abd") and sizes ("a=64,b=32,c=128,d=256"). MXT_EINVAL
 * or MXT_ERANGE with the reason: malformed spec, repeated index in an operand,
 * an index only in one input and not in the output, an output index in no
 * input, an unknown, missing or repeated index in sizes, a size that is not a
 * positive integer or a problem too large. */
int mxt_contraction_parse(const char *spec, const char *sizes, struct mxt_contraction *out);

/* Largest matrix side the model accepts (2^40); products of two sides must stay
 * below 2^53 so every count is exact in a double. */
#define MXT_MODEL_MAX_DIM ((int64_t)1 << 40)

struct mxt_problem {
    enum mxt_op op;
    enum mxt_dtype dtype;
    int64_t m, n, k; /* C (m x n) = A (m x k) B (k x n); lowrank: W is m x k, X is k x n */
    double density;  /* spmm: density of A; lowrank: density of U; 0 means 1 */
    int64_t rank;    /* lowrank: r */
    int beta;        /* 1: C is read and accumulated into (C += AB) */
    const struct mxt_contraction *contraction; /* contract (borrowed) */
};

/* ---- results ---- */

/* What a sizing rule computed on the way (for the worked checks and JSON). */
struct mxt_sizing_detail {
    /* CAKE reference / bandwidth */
    int64_t mc_l2, mc_l3; /* reference: per-core and local-memory candidates */
    double alpha_need;    /* bandwidth: smallest alpha the DRAM bandwidth sustains (0: any) */
    double alpha_l3;      /* bandwidth: largest alpha the local memory holds */
    int small_dim;        /* 1 when the small-M (or small-K/N) rule changed mc */
    /* Low et al. */
    int c_ar, c_ac, c_bc; /* ways of L1 / L2 / L3 given to A micro-panel / A block / B panel */
    /* schedule choice of --schedule cake (bytes, MODELS.md §2) */
    double io_kmn, io_mkn, io_nkm;
    unsigned assumed; /* MXT_ASSUME_* bits the rule set */
};

struct mxt_tile {
    char index;
    enum mxt_index_class cls;
    int64_t size, tile;
};

struct mxt_stage {
    char what[24];  /* "V*X", "U*(VX)", "U*V", "(UV)*X" */
    enum mxt_op op; /* gemm or spmm */
    int64_t m, n, k;
    double seconds;
    enum mxt_bound bound;
    struct mxt_config config;
};

/* Assumptions a single prediction made (mxt_model_assumed() spells them out). */
enum {
    MXT_ASSUME_KERNEL = 1u << 0,     /* mr x nr chosen by the model */
    MXT_ASSUME_CALIB = 1u << 1,      /* efficiency constants not calibrated */
    MXT_ASSUME_SPARSE = 1u << 2,     /* Rosko cost constants not calibrated */
    MXT_ASSUME_NO_L3 = 1u << 3,      /* goto without an L3: nc covers N */
    MXT_ASSUME_L3_TIGHT = 1u << 4,   /* goto: L3 too small for p B panels, nc = nr */
    MXT_ASSUME_ALPHA_CAP = 1u << 5,  /* bandwidth: local memory caps alpha below the need */
    MXT_ASSUME_PREPACKED = 1u << 6,  /* spmm/lowrank: A (weights) packed ahead of time */
    MXT_ASSUME_BATCH_TILE = 1u << 7, /* contract: batch indices tiled by 1 */
    MXT_ASSUME_L1_WAYS = 1u << 8     /* goto: L1 has too few ways for Low et al.: one for A */
};

struct mxt_prediction {
    enum mxt_op op;
    enum mxt_dtype dtype;
    enum mxt_sizing sizing;      /* resolved rule */
    enum mxt_schedule requested; /* as asked (cake may resolve to one of three) */
    struct mxt_config config;    /* resolved: schedule, isa, mr, nr, mc, kc, nc, alpha, threads */
    struct mxt_sizing_detail detail;
    int64_t m, n, k;                  /* gemm shape (contract: group products) */
    double flops;                     /* useful flops (2 per MAC) */
    double footprint[MXT_MAX_LEVELS]; /* bytes: per core for private levels, total for shared */
    double bytes[MXT_NLVL];    /* bytes served by each level to the one above; DRAM incl. packing */
    double pack_bytes;         /* DRAM bytes of the packing phase (in bytes[DRAM]) */
    double authors_dram_bytes; /* CAKE: the authors' plotting formula (MODELS.md §2), 0 else */
    double required_dram_Bps;  /* DRAM bytes of the block phase / compute time */
    double available_dram_Bps; /* B_dram(p) */
    double time[MXT_NBOUNDS];  /* seconds of each term, by enum mxt_bound */
    double seconds;            /* max(compute, levels) + overhead */
    double gflops;             /* flops / seconds / 1e9 */
    enum mxt_bound bound;
    double intensity[MXT_NLVL];         /* flops per byte at each level (0: nothing moved) */
    double ceiling_gflops[MXT_NBOUNDS]; /* roofline ceilings (flops / term time) */
    double eta;                         /* micro-kernel efficiency used */
    int threads_busy;                   /* cores with work on the critical path */
    double syncs;                       /* barriers on the critical path */
    unsigned assumed;                   /* MXT_ASSUME_* bits */
    /* spmm and lowrank */
    double density;
    double dense_seconds;     /* the dense alternative */
    double breakeven_density; /* spmm: below it Rosko is faster (mxt_model_breakeven) */
    /* lowrank */
    int64_t rank;
    int order; /* 0: U(VX), 1: (UV)X */
    double order_seconds[2];
    int64_t breakeven_rank; /* largest r still faster than dense (mxt_model_breakeven) */
    int n_stages;
    struct mxt_stage stages[2];
    /* contract */
    int64_t batch;
    int n_tiles;
    struct mxt_tile tiles[MXT_MAX_INDICES];
};

const char *mxt_lowrank_order_name(int order); /* "U(VX)" or "(UV)X" */

/* Predict one configuration. cfg fields at 0 are chosen by the sizing rule
 * (sizing DEFAULT: per schedule); explicit fields are used as given after the
 * legality checks (mc a multiple of mr, nc of nr, registers, threads, ...).
 * Fills *out completely. For spmm the dense alternative is in dense_seconds;
 * the break-even figures need mxt_model_breakeven(). */
int mxt_model_evaluate(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                       const struct mxt_config *cfg, enum mxt_sizing sizing,
                       struct mxt_prediction *out);

/* spmm: breakeven_density (the density below which Rosko beats dense, 0 if
 * never); lowrank: breakeven_rank (the largest rank whose best order beats
 * dense in time, 0 if none). Other ops: nothing. Costs up to ~150 evaluations. */
int mxt_model_breakeven(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                        const struct mxt_config *cfg, enum mxt_sizing sizing,
                        struct mxt_prediction *out);

/* The assumptions behind a prediction: the machine's (file defaults, assumed
 * bandwidths, ...) then the prediction's own. Writes up to max lines into out;
 * returns how many. */
int mxt_model_assumed(const struct mxt_model_machine *mm, const struct mxt_prediction *p,
                      char (*out)[MXT_MODEL_NOTE_LEN], int max);

/* ---- the sizing rules on their own (worked checks, tuner) ---- */

struct mxt_blocks {
    int mr, nr;
    int64_t mc, kc, nc;
    double alpha;
};

/* Low et al. for goto (MODELS.md §1): kc from L1, mc from L2, nc from L3 for p
 * threads each with its own B panel (p = 1 is the paper's rule). Fields of *b
 * that are non-zero on entry are kept (mr and nr must be set). */
int mxt_model_size_goto(const struct mxt_model_machine *mm, enum mxt_dtype dt, int p, int64_t n,
                        struct mxt_blocks *b, struct mxt_sizing_detail *det);

/* CAKE (MODELS.md §2) for a schedule (KMN, MKN or NKM), sizing REFERENCE or
 * BANDWIDTH, p threads, problem m x n x k. Non-zero fields of *b are kept. */
int mxt_model_size_cake(const struct mxt_model_machine *mm, enum mxt_sizing sizing,
                        enum mxt_schedule sched, enum mxt_dtype dt, int p, int64_t m, int64_t n,
                        int64_t k, struct mxt_blocks *b, struct mxt_sizing_detail *det);

/* Vector registers a mr x nr micro-kernel needs (accumulators, one operand's
 * vectors, one broadcast), in its better orientation, for vectors of
 * vector_bits and elements of dt. */
int mxt_model_kernel_registers(int mr, int nr, int vector_bits, enum mxt_dtype dt);

/* ---- calibration (MODELS.md §6) ---- */

struct mxt_model_sample {
    double seconds;         /* measured */
    double compute_seconds; /* the prediction's compute term with eta0 = 1 */
    double syncs;           /* barriers on the critical path */
};

/* Least-squares fit (GSL) of seconds ~ compute_seconds / eta0 + syncs *
 * sync_seconds over samples the compute term bounds. Needs n >= 3; keeps the
 * other constants of *calib. MXT_EINVAL when the fit is degenerate. */
int mxt_model_calibrate(const struct mxt_model_sample *s, int n, struct mxt_model_calib *calib);

#ifdef __cplusplus
}
#endif
#endif
