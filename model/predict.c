/* Entry points of the model (model/): names, mxt_model_evaluate() dispatching
 * to the op models, the dense product every op reduces to, and the plain-text
 * list of assumptions behind a prediction. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "model_internal.h"
#include "mxt_common.h"

static const char *const op_names[] = {"gemm", "spmm", "lowrank", "contract"};
static const char *const sizing_names[] = {"default", "reference", "model", "bandwidth"};
static const char *const bound_names[] = {"compute", "L1", "L2", "L3", "L4", "DRAM", "overhead"};
static const char *const class_names[] = {"I", "J", "P", "batch"};

const char *mxt_op_name(enum mxt_op op) {
    return (unsigned)op < MXT_ARRAY_LEN(op_names) ? op_names[op] : "unknown";
}

int mxt_op_parse(const char *name, enum mxt_op *out) {
    for (size_t i = 0; name && i < MXT_ARRAY_LEN(op_names); i++)
        if (strcmp(name, op_names[i]) == 0) {
            *out = (enum mxt_op)i;
            return 0;
        }
    return mxt_error(MXT_EINVAL, "unknown op '%s' (gemm, spmm, lowrank, contract)",
                     name ? name : "");
}

const char *mxt_sizing_name(enum mxt_sizing s) {
    return (unsigned)s < MXT_ARRAY_LEN(sizing_names) ? sizing_names[s] : "unknown";
}

int mxt_sizing_parse(const char *name, enum mxt_sizing *out) {
    for (size_t i = 1; name && i < MXT_ARRAY_LEN(sizing_names); i++)
        if (strcmp(name, sizing_names[i]) == 0) {
            *out = (enum mxt_sizing)i;
            return 0;
        }
    return mxt_error(MXT_EINVAL, "unknown sizing '%s' (reference, model, bandwidth)",
                     name ? name : "");
}

const char *mxt_bound_name(enum mxt_bound b) {
    return (unsigned)b < MXT_ARRAY_LEN(bound_names) ? bound_names[b] : "unknown";
}

const char *mxt_index_class_name(enum mxt_index_class c) {
    return (unsigned)c < MXT_ARRAY_LEN(class_names) ? class_names[c] : "?";
}

const char *mxt_lowrank_order_name(int order) {
    return order ? "(UV)X" : "U(VX)";
}

int model_check_problem(const struct mxt_model_machine *mm, enum mxt_dtype dt, int64_t m, int64_t n,
                        int64_t k) {
    int rc;
    if ((rc = model_check_dim(m, "m")) || (rc = model_check_dim(n, "n")) ||
        (rc = model_check_dim(k, "k")))
        return rc;
    if ((rc = model_check_product((double)m, (double)k, "A (m x k)")) ||
        (rc = model_check_product((double)k, (double)n, "B (k x n)")) ||
        (rc = model_check_product((double)m, (double)n, "C (m x n)")))
        return rc;
    if ((rc = model_check_machine(mm, dt))) return rc;
    return 0;
}

int model_dense(const struct mxt_model_machine *mm, enum mxt_dtype dt, int64_t m, int64_t n,
                int64_t k, int beta, int prepacked_a, const struct mxt_config *cfg,
                enum mxt_sizing sizing, struct mxt_prediction *out) {
    int rc;
    if ((rc = model_check_problem(mm, dt, m, n, k))) return rc;
    struct resolved r;
    rc = model_resolve(mm, MXT_OP_GEMM, dt, m, n, k, 1.0, cfg, sizing, &r);
    if (rc) return rc;
    struct job jb = {.dtype = dt,
                     .m = m,
                     .n = n,
                     .k = k,
                     .batch = 1,
                     .beta = beta != 0,
                     .density = 1.0,
                     .prepacked_a = prepacked_a};
    rc = model_engine(mm, &jb, &r, out);
    if (prepacked_a) out->assumed |= MXT_ASSUME_PREPACKED;
    return rc;
}

int model_gemm(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
               const struct mxt_config *cfg, enum mxt_sizing sizing, struct mxt_prediction *out) {
    return model_dense(mm, pb->dtype, pb->m, pb->n, pb->k, pb->beta, 0, cfg, sizing, out);
}

int mxt_model_evaluate(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                       const struct mxt_config *cfg, enum mxt_sizing sizing,
                       struct mxt_prediction *out) {
    memset(out, 0, sizeof *out);
    if (!mm || !pb) return mxt_error(MXT_EINVAL, "model: no machine or problem");
    if ((unsigned)pb->dtype > MXT_F64)
        return mxt_error(MXT_EINVAL, "unknown dtype %d", (int)pb->dtype);
    int rc;
    switch (pb->op) {
    case MXT_OP_GEMM:
        rc = model_gemm(mm, pb, cfg, sizing, out);
        break;
    case MXT_OP_SPMM:
        rc = model_spmm(mm, pb, cfg, sizing, out);
        break;
    case MXT_OP_LOWRANK:
        rc = model_lowrank(mm, pb, cfg, sizing, out);
        break;
    case MXT_OP_CONTRACT:
        rc = model_contract(mm, pb, cfg, sizing, out);
        break;
    default:
        return mxt_error(MXT_EINVAL, "unknown op %d", (int)pb->op);
    }
    if (rc) return rc;
    out->op = pb->op;
    out->requested = cfg ? cfg->schedule : MXT_SCHED_CAKE;
    if (pb->op == MXT_OP_SPMM || pb->op == MXT_OP_LOWRANK)
        out->density = pb->density > 0 ? pb->density : 1.0;
    return 0;
}

int mxt_model_breakeven(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                        const struct mxt_config *cfg, enum mxt_sizing sizing,
                        struct mxt_prediction *out) {
    if (!mm || !pb || !out) return mxt_error(MXT_EINVAL, "model: no machine or problem");
    if (pb->op == MXT_OP_SPMM) return model_spmm_breakeven(mm, pb, cfg, sizing, out);
    if (pb->op == MXT_OP_LOWRANK) return model_lowrank_breakeven(mm, pb, cfg, sizing, out);
    return 0;
}

int mxt_model_assumed(const struct mxt_model_machine *mm, const struct mxt_prediction *p,
                      char (*out)[MXT_MODEL_NOTE_LEN], int max) {
    int n = 0;
    for (int i = 0; i < mm->n_assumed && n < max; i++)
        mxt_strlcpy(out[n++], mm->assumed[i], MXT_MODEL_NOTE_LEN);
    if (!p) return n;
#define NOTE(...)                                                                                  \
    do {                                                                                           \
        if (n < max) snprintf(out[n++], MXT_MODEL_NOTE_LEN, __VA_ARGS__);                          \
    } while (0)
    if (p->assumed & MXT_ASSUME_KERNEL)
        NOTE("mr x nr = %dx%d chosen by the model among the %s kernels", p->config.mr, p->config.nr,
             mxt_isa_name(p->config.isa));
    if (p->assumed & MXT_ASSUME_CALIB)
        NOTE("micro-kernel efficiency %.2f of peak and %.1f us per barrier (uncalibrated)",
             mm->calib.eta0, mm->calib.sync_seconds * 1e6);
    if (p->assumed & MXT_ASSUME_SPARSE)
        NOTE("Rosko: a sparse MAC costs %.1f dense MACs, %.1f cycles per kept column "
             "(uncalibrated)",
             mm->calib.sparse_mac_cost, mm->calib.sparse_col_cost);
    if (p->assumed & MXT_ASSUME_NO_L3) NOTE("no L3: goto's nc covers each thread's columns");
    if (p->assumed & MXT_ASSUME_L3_TIGHT)
        NOTE("L3 too small for %d threads' B panels (Low et al.): nc = nr", p->config.threads);
    if (p->assumed & MXT_ASSUME_ALPHA_CAP)
        NOTE("local memory caps alpha below what the DRAM bandwidth needs");
    if (p->assumed & MXT_ASSUME_PREPACKED)
        NOTE("weights (A) packed ahead of time: no packing traffic for them");
    if (p->assumed & MXT_ASSUME_L1_WAYS)
        NOTE("L1 has too few ways for Low et al.'s kc with %dx%d: one way for the A micro-panel",
             p->config.mr, p->config.nr);
    if (p->assumed & MXT_ASSUME_BATCH_TILE)
        NOTE("batch indices tiled by 1: each batch element is its own product");
#undef NOTE
    return n;
}
