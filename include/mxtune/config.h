/* A tiling configuration: what the model scores, the kernels run and the
 * tuner stores. Shared by model/, kernels/ and tuner/.
 *
 * JSON form (CLI.md): {"schedule","isa","mr","nr","mc","kc","nc","alpha","threads"}.
 */
#ifndef MXTUNE_CONFIG_H
#define MXTUNE_CONFIG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mxt_dtype { MXT_F32 = 0, MXT_F64 = 1 };

/* MXT_SCHED_CAKE asks the model to pick one of the three CAKE orders. MXT_SCHED_GOTO
 * and MXT_SCHED_GOTO_JC are the same five loops; with several threads GOTO splits
 * the rows (the ic loop, one shared B panel) and GOTO_JC the columns (the jc loop:
 * each thread its own slice, B panel and A blocks, no barrier). */
enum mxt_schedule {
    MXT_SCHED_CAKE = 0,
    MXT_SCHED_CAKE_KMN = 1,
    MXT_SCHED_CAKE_MKN = 2,
    MXT_SCHED_CAKE_NKM = 3,
    MXT_SCHED_GOTO = 4,
    MXT_SCHED_GOTO_JC = 5
};
#define MXT_SCHED_LAST MXT_SCHED_GOTO_JC
/* The Goto/BLIS loop order, whichever way its threads split the work. */
static inline int mxt_schedule_is_goto(enum mxt_schedule s) {
    return s == MXT_SCHED_GOTO || s == MXT_SCHED_GOTO_JC;
}

/* MXT_ISA_AUTO: pick the best the CPU supports (overridable by MXT_ISA). */
enum mxt_isa { MXT_ISA_AUTO = 0, MXT_ISA_GENERIC = 1, MXT_ISA_AVX2 = 2, MXT_ISA_AVX512 = 3 };

struct mxt_config {
    enum mxt_schedule schedule;
    enum mxt_isa isa;
    int mr, nr;         /* register tile (elements) */
    int64_t mc, kc, nc; /* cache blocks (elements); 0 = let the sizing rule choose */
    double alpha;       /* CAKE: nc = alpha * p * mc; 0 = choose */
    int threads;        /* 0 = all cores */
};

/* Names used on the command line and in JSON: "cake", "cake-kmn", ... */
const char *mxt_schedule_name(enum mxt_schedule s);
int mxt_schedule_parse(const char *name, enum mxt_schedule *out);
const char *mxt_isa_name(enum mxt_isa isa);
int mxt_isa_parse(const char *name, enum mxt_isa *out);
const char *mxt_dtype_name(enum mxt_dtype d);
int mxt_dtype_parse(const char *name, enum mxt_dtype *out);
static inline int mxt_dtype_size(enum mxt_dtype d) {
    return d == MXT_F64 ? 8 : 4;
}

#ifdef __cplusplus
}
#endif
#endif
