/* Pieces shared by the files of model/: loop dimensions cut into blocks, the
 * loop-nest traffic engine, the resolved configuration and the dense
 * evaluation every op reduces to. Not part of the public API. */
#ifndef MXT_MODEL_INTERNAL_H
#define MXT_MODEL_INTERNAL_H

#include <stdint.h>
#include "mxtune/model.h"

enum { DIM_M = 0, DIM_N = 1, DIM_K = 2 };

/* One loop dimension cut into blocks (single index, or a group of contraction
 * indices each with its own tile, blocks in lexicographic order). Extents in
 * elements; every figure is exact (integers below 2^53). */
struct mdim {
    double n;     /* number of blocks */
    double ext;   /* total extent */
    double first; /* extent of the first block (the largest) */
    double last;  /* extent of the last block (the product of the tails) */
    double pad;   /* sum over blocks of ext_b rounded up to r (micro-tile padding) */
    double crit;  /* sum over blocks of min(q, ext_b rounded up to r): one core's share */
    double nsub;  /* sum over blocks of ceil(ext_b / q): per-core slices */
};

/* ext split in blocks of blk; q: per-core slice (a multiple of r), r: padding. */
void mdim_single(struct mdim *d, int64_t ext, int64_t blk, int64_t q, int64_t r);
/* A group of g indices of the given sizes and tiles (tile <= size). */
void mdim_multi(struct mdim *d, int g, const int64_t *size, const int64_t *tile, int64_t q,
                int64_t r);
/* Goto's N: p threads each take a chunk of N (a multiple of nr), blocked by nc.
 * Returns the threads that get columns. */
int mdim_goto_n(struct mdim *d, int64_t n, int p, int64_t nc, int nr);

static inline int64_t mxt_cdiv(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}
static inline int64_t mxt_rup(int64_t a, int64_t b) {
    return mxt_cdiv(a, b) * b;
}
static inline int64_t mxt_rdown(int64_t a, int64_t b) {
    return a - a % b;
}

/* A configuration after the sizing rule and the legality checks. */
struct resolved {
    enum mxt_schedule sched; /* concrete: KMN, MKN, NKM or GOTO */
    enum mxt_sizing sizing;
    enum mxt_isa isa;
    int vbits;
    int p; /* threads */
    int s; /* bytes per element */
    struct mxt_blocks b;
    struct mxt_sizing_detail det;
    unsigned assumed;
};

/* A group of contraction indices (M, N or K) with their tiles, innermost first. */
struct group {
    int g;
    int64_t size[MXT_MAX_INDICES];
    int64_t tile[MXT_MAX_INDICES];
};

/* What the engine evaluates: a (batched) dense or Rosko product with blocks. */
struct job {
    enum mxt_dtype dtype;
    int64_t m, n, k;         /* group products (gemm: the sizes) */
    int64_t batch;           /* independent repetitions (contract batch indices) */
    const struct group *grp; /* [3] by DIM_*: multi-index tiles, or NULL (single index) */
    int beta;
    int rosko; /* A sparse in Rosko's packed format */
    double density;
    int prepacked_a; /* A packed ahead of time: no packing traffic for A */
};

/* Check the machine has what the time model needs for dt. */
int model_check_machine(const struct mxt_model_machine *mm, enum mxt_dtype dt);
/* The sizes of C (m x n) = A (m x k) B (k x n) and the machine for dt: each size
 * in range, each operand countable, the machine complete. */
int model_check_problem(const struct mxt_model_machine *mm, enum mxt_dtype dt, int64_t m, int64_t n,
                        int64_t k);
/* Per-core flop/s for dt with p cores busy, and B_dram(p) in bytes/s. */
double model_core_flops(const struct mxt_model_machine *mm, enum mxt_dtype dt, int p);
double model_dram_bw(const struct mxt_model_machine *mm, int p);
/* Per-core flop/s of isa's micro-kernels for dt with p cores busy. */
double model_isa_flops(const struct mxt_model_machine *mm, enum mxt_dtype dt, enum mxt_isa isa,
                       int p);
/* Micro-kernel efficiency from latency, load issue and lane use (0..1]. */
double model_kernel_eff(const struct mxt_model_machine *mm, int mr, int nr, int vbits,
                        enum mxt_dtype dt);

/* The default micro-kernel for an ISA and dtype; vector bits of an ISA. */
void model_kernel_for(const struct mxt_model_machine *mm, enum mxt_isa isa, enum mxt_dtype dt,
                      int *mr, int *nr);
int model_isa_bits(enum mxt_isa isa);

/* Thread count, kernel, schedule, sizing and blocks for op on m x n x k. */
int model_resolve(const struct mxt_model_machine *mm, enum mxt_op op, enum mxt_dtype dt, int64_t m,
                  int64_t n, int64_t k, double density, const struct mxt_config *cfg,
                  enum mxt_sizing sizing, struct resolved *r);
/* Validate a problem side. */
int model_check_dim(int64_t v, const char *what);
int model_check_product(double a, double b, const char *what);

/* Traffic, footprints and time of job under r into *out (fields of the shape,
 * config and flops included). */
int model_engine(const struct mxt_model_machine *mm, const struct job *jb, const struct resolved *r,
                 struct mxt_prediction *out);

/* Block extent and per-core slice of each dimension (DIM_*) under r. */
void model_block_extents(const struct resolved *r, int64_t blk[3], int64_t q[3]);

/* A dense product m x n x k (A packed ahead of time when prepacked_a). */
int model_dense(const struct mxt_model_machine *mm, enum mxt_dtype dt, int64_t m, int64_t n,
                int64_t k, int beta, int prepacked_a, const struct mxt_config *cfg,
                enum mxt_sizing sizing, struct mxt_prediction *out);

/* Rosko's sparse product with density d (dense_seconds filled). */
int model_sparse(const struct mxt_model_machine *mm, enum mxt_dtype dt, int64_t m, int64_t n,
                 int64_t k, double d, const struct mxt_config *cfg, enum mxt_sizing sizing,
                 struct mxt_prediction *out);

/* The per-op evaluations and break-even searches. */
int model_spmm_breakeven(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                         const struct mxt_config *cfg, enum mxt_sizing sizing,
                         struct mxt_prediction *out);
int model_lowrank_breakeven(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                            const struct mxt_config *cfg, enum mxt_sizing sizing,
                            struct mxt_prediction *out);
int model_gemm(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
               const struct mxt_config *cfg, enum mxt_sizing sizing, struct mxt_prediction *out);
int model_spmm(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
               const struct mxt_config *cfg, enum mxt_sizing sizing, struct mxt_prediction *out);
int model_lowrank(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                  const struct mxt_config *cfg, enum mxt_sizing sizing, struct mxt_prediction *out);
int model_contract(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                   const struct mxt_config *cfg, enum mxt_sizing sizing,
                   struct mxt_prediction *out);

/* Rosko's tiling rule (MODELS.md §4); non-zero fields of *b are kept. */
int model_size_rosko(const struct mxt_model_machine *mm, enum mxt_sizing sizing, enum mxt_dtype dt,
                     int p, int64_t m, int64_t k, double d, struct mxt_blocks *b);

#endif
