/* The candidate space (tuner/): schedules x micro-kernels x threads x a grid of cache
 * blocks around the model's sizing, checked for legality with the reason when refused,
 * then ranked by the model's predicted time (TUNER_DB.md, Search). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_tuner.h"
#include "mxtune/gemm.h"
#include "mxtune/sparse.h"

/* Grid factors applied to the model's sizing of each block (MXT_SPACE_STEPS);
 * the even steps form the coarse grid (x0.5, x1, x2). */
static const double factors[MXT_SPACE_STEPS] = {0.5, 0.7071, 1.0, 1.4142, 2.0};
#define BASE_STEP 2

static int64_t cdiv(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}
static int64_t rup(int64_t a, int64_t b) {
    return cdiv(a, b) * b;
}
static int64_t gcd64(int64_t a, int64_t b) {
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

const char *mxt_tuner_kernel_name(enum mxt_dtype dt, const struct mxt_config *cfg) {
    const struct mxt_kernel_info *k = mxt_kernels_find(cfg->isa, dt, cfg->mr, cfg->nr);
    return k ? k->name : "?";
}

void mxt_tuner_config_text(const struct mxt_config *cfg, char *buf, size_t size) {
    snprintf(buf, size, "%s %s %dx%d mc=%lld kc=%lld nc=%lld p=%d",
             mxt_schedule_name(cfg->schedule), mxt_isa_name(cfg->isa), cfg->mr, cfg->nr,
             (long long)cfg->mc, (long long)cfg->kc, (long long)cfg->nc, cfg->threads);
}

/* The form the model evaluates: blocks all given, so alpha (their ratio, kept
 * for the record) must not be given as well. */
static void model_form(const struct mxt_config *cfg, struct mxt_config *out) {
    *out = *cfg;
    if (out->mc && out->kc && out->nc) out->alpha = 0;
}

/* ---- the ops other than gemm ---- */

/* The order of a low-rank problem's candidates: the one mxt_lowrank_gemm runs
 * for MXT_LOWRANK_AUTO (dense U), so that what is tuned is what a caller gets. */
static int lowrank_order(const struct mxt_problem *pb) {
    return mxt_lowrank_choose_order(pb->m, pb->n, pb->k, pb->rank, 1.0);
}

static double op_flops(const struct mxt_problem *pb) {
    const double m = (double)pb->m, n = (double)pb->n, k = (double)pb->k;
    if (pb->op == MXT_OP_SPMM) return 2.0 * (pb->density > 0 ? pb->density : 1.0) * m * n * k;
    if (pb->op == MXT_OP_LOWRANK) {
        const double r = (double)pb->rank;
        return lowrank_order(pb) == MXT_LOWRANK_U_VX ? 2.0 * (r * k * n + m * r * n)
                                                     : 2.0 * (m * r * k + m * k * n);
    }
    return 2.0 * m * n * k;
}

/* Rosko's register widths (include/mxtune/sparse.h) and the tile heights the
 * space tries: 128 is the packer's default, 64 the Rosko paper's. */
static const int rosko_nr[] = {16, 32, 48, 64};
static const int rosko_mr[] = {64, 128};

/* The model's view of the machine for a Rosko tile: the kernel accumulates its
 * (mr + 1) x nr C tile in a per-thread buffer, not in registers, so the dense
 * register check does not apply (registers raised past any tile); the generic
 * kernel (the only one where AVX-512 is missing) counts 128-bit vectors and
 * the model's share of the peak for that ISA (mxt_model_machine.isa_share). */
static void rosko_view(const struct mxt_model_machine *mm, enum mxt_isa isa,
                       struct mxt_model_machine *w) {
    *w = *mm;
    w->vector_registers = 1 << 16;
    if (isa != mm->isa) {
        w->isa = isa;
        w->vector_bits = 128;
    }
}

/* What mxt_spmm checks of a configuration that is not about the packed matrix
 * (mxt_spmm_resolve_config, include/mxtune/sparse.h). */
static int check_rosko(const struct mxt_config *c) {
    if (c->schedule != MXT_SCHED_CAKE_KMN)
        return mxt_error(MXT_EINVAL, "spmm runs Rosko's K-first order cake-kmn, not %s",
                         mxt_schedule_name(c->schedule));
    if (c->isa == MXT_ISA_AVX2)
        return mxt_error(MXT_EINVAL, "spmm has no AVX2 Rosko kernel (avx2 runs the generic one)");
    if (c->isa != MXT_ISA_AVX512 && c->isa != MXT_ISA_GENERIC)
        return mxt_error(MXT_EINVAL, "spmm: unknown isa %d", (int)c->isa);
    if (!mxt_kernels_isa_supported(c->isa))
        return mxt_error(MXT_EUNSUPPORTED, "isa '%s' cannot run on this CPU or build",
                         mxt_isa_name(c->isa));
    if (c->mr < 1 || c->mr > MXT_ROSKO_MAX_MR)
        return mxt_error(MXT_EINVAL, "Rosko tile mr = %d is outside [1, %d]", c->mr,
                         MXT_ROSKO_MAX_MR);
    int nr_ok = 0;
    for (size_t i = 0; i < MXT_ARRAY_LEN(rosko_nr); i++)
        nr_ok |= c->nr == rosko_nr[i];
    if (!nr_ok)
        return mxt_error(MXT_EINVAL, "no Rosko kernel with nr = %d (16, 32, 48, 64)", c->nr);
    if (c->mc < 1 || c->kc < 1 || c->nc < 1)
        return mxt_error(MXT_EINVAL, "spmm: blocks must be positive (mc=%lld kc=%lld nc=%lld)",
                         (long long)c->mc, (long long)c->kc, (long long)c->nc);
    if (c->mc % c->mr)
        return mxt_error(MXT_EINVAL, "mc = %lld is not a multiple of mr = %d", (long long)c->mc,
                         c->mr);
    if (c->nc % c->nr)
        return mxt_error(MXT_EINVAL, "nc = %lld is not a multiple of nr = %d", (long long)c->nc,
                         c->nr);
    if (c->threads < 1 || c->threads > MXT_MAX_THREADS)
        return mxt_error(MXT_EINVAL, "threads = %d is outside [1, %d]", c->threads,
                         MXT_MAX_THREADS);
    return 0;
}

/* The model's prediction of a configuration as the tuner reads it: spmm on
 * Rosko's view of the machine; lowrank in the order its candidates run (the
 * model's own choice of order stays in pred->order). */
static int model_eval(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                      const struct mxt_config *cfg, enum mxt_sizing sizing,
                      struct mxt_prediction *pred) {
    int rc;
    if (pb->op == MXT_OP_SPMM) {
        struct mxt_model_machine *w = malloc(sizeof *w);
        if (!w) return mxt_error(MXT_ENOMEM, "out of memory");
        rosko_view(mm, cfg->isa, w);
        rc = mxt_model_evaluate(w, pb, cfg, sizing, pred);
        free(w);
        return rc;
    }
    if ((rc = mxt_model_evaluate(mm, pb, cfg, sizing, pred))) return rc;
    if (pb->op == MXT_OP_LOWRANK) {
        double t = pred->order_seconds[lowrank_order(pb)];
        if (t > 0) {
            pred->seconds = t;
            pred->gflops = op_flops(pb) / t / 1e9;
        }
    }
    return 0;
}

/* Legality of a configuration without the footprint rule. */
static int check_runnable(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                          const struct mxt_config *cfg, struct mxt_prediction *pred) {
    struct mxt_config k, m;
    int rc;
    if (pb->op == MXT_OP_SPMM) {
        rc = check_rosko(cfg);
    } else {
        mxt_tuner_kernel_config(cfg, &k);
        rc = mxt_gemm_check_config(pb->dtype, &k);
    }
    if (rc) return rc;
    model_form(cfg, &m);
    return model_eval(mm, pb, &m, MXT_SIZING_DEFAULT, pred);
}

/* The blocks of a level above L1 must fit in it: L1 only streams micro-panels. */
static int check_footprint(const struct mxt_model_machine *mm, const struct mxt_prediction *p) {
    for (int i = 0; i < mm->n_levels; i++) {
        int l = mm->lv[i].level;
        if (l < 2) continue;
        double fp = p->footprint[l - 1];
        if (fp > mm->lv[i].size) {
            char a[32];
            mxt_format_bytes((uint64_t)mm->lv[i].size, a, sizeof a);
            return mxt_error(MXT_EINVAL, "the blocks need more than the %s of L%d", a, l);
        }
    }
    return 0;
}

int mxt_tuner_predict(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                      const struct mxt_config *cfg, struct mxt_prediction *pred) {
    return check_runnable(mm, pb, cfg, pred);
}

int mxt_tuner_check_config(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                           const struct mxt_config *cfg, struct mxt_prediction *pred) {
    struct mxt_prediction tmp;
    if (!pred) pred = &tmp;
    int rc = check_runnable(mm, pb, cfg, pred);
    return rc ? rc : check_footprint(mm, pred);
}

static void add_reason(struct mxt_space *sp, const char *why, int count) {
    sp->n_illegal += count;
    for (int i = 0; i < sp->n_reasons; i++) {
        if (strcmp(sp->reasons[i].text, why) == 0) {
            sp->reasons[i].count += count;
            return;
        }
    }
    int i = sp->n_reasons < MXT_SPACE_MAX_REASONS ? sp->n_reasons++ : MXT_SPACE_MAX_REASONS - 1;
    if (i == MXT_SPACE_MAX_REASONS - 1 && sp->reasons[i].text[0]) {
        mxt_strlcpy(sp->reasons[i].text, "other reasons", sizeof sp->reasons[i].text);
        sp->reasons[i].count += count;
        return;
    }
    mxt_strlcpy(sp->reasons[i].text, why, sizeof sp->reasons[i].text);
    sp->reasons[i].count = count;
}

static int grid_index(const struct mxt_space *sp, const uint8_t *c) {
    int g = 0;
    for (int d = 0; d < MXT_NDIMS; d++)
        g = g * sp->dim[d] + c[d];
    return g;
}

/* ---- a small hash of configurations, to merge grid points the clamps made equal ---- */

struct cfg_hash {
    int *slot;
    size_t mask;
};

static uint64_t cfg_key(const struct mxt_candidate *c) {
    int64_t v[6] = {c->cfg.schedule, c->kernel, c->cfg.threads, c->cfg.mc, c->cfg.kc, c->cfg.nc};
    return mxt_fnv1a64(v, sizeof v, 0);
}

static int same_cfg(const struct mxt_candidate *a, const struct mxt_candidate *b) {
    return a->cfg.schedule == b->cfg.schedule && a->kernel == b->kernel &&
           a->cfg.threads == b->cfg.threads && a->cfg.mc == b->cfg.mc && a->cfg.kc == b->cfg.kc &&
           a->cfg.nc == b->cfg.nc;
}

/* Index of a candidate equal to *c, or -1 (and *slot_out the free slot). */
static int hash_find(const struct cfg_hash *h, const struct mxt_candidate *all,
                     const struct mxt_candidate *c, size_t *slot_out) {
    size_t i = (size_t)cfg_key(c) & h->mask;
    while (h->slot[i] >= 0) {
        if (same_cfg(&all[h->slot[i]], c)) return h->slot[i];
        i = (i + 1) & h->mask;
    }
    *slot_out = i;
    return -1;
}

/* Registry index of the configuration's micro-kernel, or -1. */
static int kernel_index(enum mxt_dtype dt, const struct mxt_config *cfg) {
    const struct mxt_kernel_info *k = mxt_kernels_find(cfg->isa, dt, cfg->mr, cfg->nr);
    for (int i = 0; k && i < mxt_kernels_count(); i++)
        if (mxt_kernels_get(i) == k) return i;
    return -1;
}

/* A baseline (the default, a fallback): the index of the candidate equal to *x,
 * on the grid or among the baselines placed before, else *x appended off the grid
 * with the model's prediction. */
static int place_baseline(const struct cfg_hash *h, struct mxt_candidate *c, int *order, int *n,
                          int grid_size, struct mxt_candidate *x,
                          const struct mxt_prediction *pred) {
    size_t slot = 0;
    int d = hash_find(h, c, x, &slot);
    for (int j = 0; j < *n && d < 0; j++)
        if (c[j].coord[0] == 0xff && same_cfg(&c[j], x)) d = j;
    if (d >= 0) return d;
    x->predicted_s = pred->seconds;
    x->predicted_gflops = pred->gflops;
    x->bound = pred->bound;
    memset(x->coord, 0xff, sizeof x->coord);
    order[*n] = grid_size;
    c[*n] = *x;
    return (*n)++;
}

/* ---- enumeration ---- */

struct block_rule {
    int64_t unit[3]; /* mc, kc, nc */
    int64_t cap[3];
};

/* Units and caps of the blocks in the model's convention (MODELS.md §1-2):
 * goto's mc and nc cover at most M and N; CAKE KMN/MKN's mc is one core's
 * slice of M; NKM's nc is one core's slice of N and mc the block along M, both
 * multiples of lcm(mr, nr) so that the kernels (which read them the other way
 * round, mxt_tuner_kernel_config) run exactly the same blocks. */
static void block_rule(enum mxt_schedule s, int mr, int nr, int p, const struct mxt_problem *pb,
                       struct block_rule *r) {
    int64_t kunit = pb->k < 16 ? 1 : 16;
    r->unit[1] = kunit;
    r->cap[1] = pb->k;
    if (s == MXT_SCHED_CAKE_NKM) {
        int64_t l = (int64_t)mr / gcd64(mr, nr) * nr;
        r->unit[0] = r->unit[2] = l;
        r->cap[0] = rup(pb->m, l);
        r->cap[2] = rup(cdiv(pb->n, p), l);
    } else if (mxt_schedule_is_goto(s)) {
        r->unit[0] = mr;
        r->unit[2] = nr;
        r->cap[0] = rup(pb->m, mr);
        /* goto-jc: a thread's B panel covers its own slice of the columns at most */
        r->cap[2] = rup(s == MXT_SCHED_GOTO_JC ? cdiv(pb->n, p) : pb->n, nr);
    } else {
        r->unit[0] = mr;
        r->unit[2] = nr;
        r->cap[0] = rup(cdiv(pb->m, p), mr);
        r->cap[2] = rup(pb->n, nr);
    }
}

static int64_t clamp_block(double v, int64_t unit, int64_t cap) {
    int64_t x = (int64_t)llround(v / (double)unit) * unit;
    if (x < unit) x = unit;
    if (x > cap) x = cap;
    return x;
}

/* A micro-kernel of the space: a GEMM registry entry (index: its registry
 * index) or, for spmm, a Rosko tile (index: its position in the space). */
struct kern {
    enum mxt_isa isa;
    int mr, nr;
    int index;
};

/* Kernels of the space: registry order, runnable here, allowed by the options. */
static int pick_kernels(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                        const struct mxt_space_opts *o, struct mxt_space *sp, int per_kernel,
                        struct kern *ks) {
    int nk = 0;
    for (int i = 0; i < mxt_kernels_count() && nk < MXT_SPACE_MAX_KERNELS; i++) {
        const struct mxt_kernel_info *k = mxt_kernels_get(i);
        if (k->dtype != pb->dtype) continue;
        if (o->isa != MXT_ISA_AUTO && k->isa != o->isa) continue;
        if (o->mr && (k->mr != o->mr || k->nr != o->nr)) continue;
        if (!mxt_kernels_isa_supported(k->isa)) continue;
        if (k->isa > mm->isa) continue;
        struct mxt_config c = {.schedule = MXT_SCHED_GOTO, .isa = k->isa, .mr = k->mr, .nr = k->nr};
        if (mxt_gemm_check_config(pb->dtype, &c)) {
            add_reason(sp, mxt_last_error(), per_kernel);
            continue;
        }
        ks[nk] = (struct kern){k->isa, k->mr, k->nr, i};
        sp->kernel[nk++] = i;
    }
    return nk;
}

/* The one ISA of an spmm space: the one asked for, else avx512 where the
 * kernels and the model's machine run it, else the generic kernel. */
static int rosko_isa(const struct mxt_model_machine *mm, const struct mxt_space_opts *o,
                     enum mxt_isa *out) {
    enum mxt_isa isa = o->isa;
    if (isa == MXT_ISA_AVX2)
        return mxt_error(MXT_EINVAL, "spmm has no AVX2 Rosko kernel (avx2 runs the generic one): "
                                     "use --isa generic or avx512");
    if (isa == MXT_ISA_AUTO) {
        int rc = mxt_kernels_default_isa(&isa);
        if (rc) return rc;
        if (isa > mm->isa) isa = mm->isa;
        if (isa != MXT_ISA_AVX512) isa = MXT_ISA_GENERIC;
    }
    if (!mxt_kernels_isa_supported(isa) || isa > mm->isa)
        return mxt_error(MXT_EUNSUPPORTED, "isa '%s' cannot run on this machine",
                         mxt_isa_name(isa));
    *out = isa;
    return 0;
}

/* Rosko tiles of an spmm space: mr in rosko_mr x every nr, or the one asked. */
static int pick_rosko(enum mxt_isa isa, const struct mxt_space_opts *o, struct mxt_space *sp,
                      int per_kernel, struct kern *ks) {
    int nk = 0;
    for (size_t i = 0; i < MXT_ARRAY_LEN(rosko_mr); i++) {
        for (size_t j = 0; j < MXT_ARRAY_LEN(rosko_nr); j++) {
            struct kern k = {isa, rosko_mr[i], rosko_nr[j], nk};
            if (o->mr) {
                if (i || j) continue;
                k.mr = o->mr;
                k.nr = o->nr;
            }
            struct mxt_config c = {.schedule = MXT_SCHED_CAKE_KMN,
                                   .isa = isa,
                                   .mr = k.mr,
                                   .nr = k.nr,
                                   .mc = k.mr,
                                   .kc = 1,
                                   .nc = k.nr,
                                   .threads = 1};
            if (check_rosko(&c)) {
                add_reason(sp, mxt_last_error(), per_kernel);
                continue;
            }
            ks[nk] = k;
            sp->kernel[nk++] = k.index;
        }
    }
    return nk;
}

/* spmm's default: what mxt_spmm runs without a configuration (the packer's
 * mr and kc rule at this density, the kernel's nr, mc and nc fallbacks) on
 * the problem's threads and the given ISA (AUTO: the kernels' widest). The
 * packer's rule is read from a one-row matrix of that density. */
static int rosko_default(const struct mxt_problem *pb, int threads, enum mxt_isa isa,
                         struct mxt_config *out) {
    const int64_t k = pb->k;
    const double d = pb->density > 0 ? pb->density : 1.0;
    int64_t nnz = (int64_t)llround(d * (double)k);
    if (nnz < 1) nnz = 1;
    int64_t row_ptr[2] = {0, nnz};
    int32_t *cols = malloc((size_t)nnz * sizeof *cols);
    float *vals = malloc((size_t)nnz * sizeof *vals);
    struct mxt_rosko *a = NULL;
    int rc = 0;
    if (!cols || !vals) {
        rc = mxt_error(MXT_ENOMEM, "out of memory");
        goto out;
    }
    for (int64_t i = 0; i < nnz; i++) {
        cols[i] = (int32_t)(i * k / nnz);
        vals[i] = 1.0f;
    }
    if ((rc = mxt_rosko_create_csr(1, k, row_ptr, cols, vals, NULL, &a))) goto out;
    struct mxt_config c = {.schedule = MXT_SCHED_CAKE_KMN, .isa = isa, .threads = threads};
    rc = mxt_spmm_resolve_config(a, pb->n, &c, out);
out:
    mxt_rosko_destroy(a);
    free(cols);
    free(vals);
    return rc;
}

/* The default configuration (CLI.md): goto, Low et al. sizing, the default
 * micro-kernel of the widest ISA this CPU runs, the problem's threads. */
static int default_config(struct mxt_model_machine *mm, const struct mxt_model_calib *calib,
                          const struct mxt_problem *pb, int threads, struct mxt_config *out,
                          struct mxt_prediction *pred) {
    enum mxt_isa isa;
    int rc = mxt_kernels_default_isa(&isa);
    if (rc) return rc;
    if (isa > mm->isa) isa = mm->isa;
    const struct mxt_kernel_info *k = NULL;
    for (int i = 0; i < mxt_kernels_count() && !k; i++) {
        const struct mxt_kernel_info *e = mxt_kernels_get(i);
        if (e->isa == isa && e->dtype == pb->dtype) {
            k = e;
            if (calib) mm->calib = calib[MXT_CALIB_INDEX(i, MXT_SCHED_GOTO)];
        }
    }
    if (!k)
        return mxt_error(MXT_EUNSUPPORTED, "no %s micro-kernel for %s", mxt_isa_name(isa),
                         mxt_dtype_name(pb->dtype));
    struct mxt_config c = {
        .schedule = MXT_SCHED_GOTO, .isa = isa, .mr = k->mr, .nr = k->nr, .threads = threads};
    if ((rc = mxt_model_evaluate(mm, pb, &c, MXT_SIZING_MODEL, pred))) return rc;
    struct block_rule r;
    block_rule(MXT_SCHED_GOTO, k->mr, k->nr, threads, pb, &r);
    c.mc = clamp_block((double)pred->config.mc, r.unit[0], r.cap[0]);
    c.kc = clamp_block((double)pred->config.kc, r.unit[1], r.cap[1]);
    c.nc = clamp_block((double)pred->config.nc, r.unit[2], r.cap[2]);
    if ((rc = check_runnable(mm, pb, &c, pred))) return rc;
    *out = pred->config;
    return 0;
}

/* 1 when the options' space has the candidate's schedule, kernel and threads. */
static int in_options(const struct mxt_space *sp, const struct mxt_candidate *x) {
    int sched = 0, kern = 0, thr = 0;
    for (int i = 0; i < sp->dim[MXT_DIM_SCHED]; i++)
        sched |= sp->sched[i] == x->cfg.schedule;
    for (int i = 0; i < sp->dim[MXT_DIM_KERNEL]; i++)
        kern |= sp->kernel[i] == x->kernel;
    for (int i = 0; i < sp->dim[MXT_DIM_THREADS]; i++)
        thr |= sp->thread_count[i] == x->cfg.threads;
    return sched && kern && thr;
}

/* Rank order: predicted time, then grid order (deterministic ties). */
struct rank_key {
    double t;
    int order, idx;
};

static int cmp_rank(const void *pa, const void *pb) {
    const struct rank_key *a = pa, *b = pb;
    if (a->t < b->t) return -1;
    if (a->t > b->t) return 1;
    return (a->order > b->order) - (a->order < b->order);
}

int mxt_space_build(const struct mxt_model_machine *mm, const struct mxt_problem *pb,
                    const struct mxt_space_opts *o, struct mxt_space *sp) {
    static const struct mxt_space_opts none;
    if (!o) o = &none;
    memset(sp, 0, sizeof *sp);
    sp->dflt = -1;
    const int spmm = pb->op == MXT_OP_SPMM;
    if (pb->op != MXT_OP_GEMM && !spmm && pb->op != MXT_OP_LOWRANK)
        return mxt_error(MXT_EUNSUPPORTED,
                         "the tuner searches gemm, spmm and lowrank (%s has no kernels "
                         "to measure yet)",
                         mxt_op_name(pb->op));
    if (pb->m < 1 || pb->n < 1 || pb->k < 1)
        return mxt_error(MXT_ERANGE, "sizes must be positive (m=%lld n=%lld k=%lld)",
                         (long long)pb->m, (long long)pb->n, (long long)pb->k);
    if (spmm && pb->dtype != MXT_F32)
        return mxt_error(MXT_EUNSUPPORTED, "spmm runs f32 only (Rosko's kernels), not %s",
                         mxt_dtype_name(pb->dtype));
    if (spmm && !(pb->density > 0 && pb->density <= 1))
        return mxt_error(MXT_ERANGE, "density = %g is outside (0, 1]", pb->density);
    if (pb->op == MXT_OP_LOWRANK) {
        const int64_t rmax = pb->m < pb->k ? pb->m : pb->k;
        if (pb->rank < 1 || pb->rank > rmax)
            return mxt_error(MXT_ERANGE, "rank = %lld is outside [1, min(m, k) = %lld]",
                             (long long)pb->rank, (long long)rmax);
        if (pb->density != 0 && pb->density != 1)
            return mxt_error(MXT_EUNSUPPORTED,
                             "the tuner searches a dense U only (density %g asked)", pb->density);
    }
    sp->pb = *pb;
    sp->flops = op_flops(pb);
    sp->order = pb->op == MXT_OP_LOWRANK ? lowrank_order(pb) : 0;
    sp->model_order = sp->order;
    int hw = mm->cores * (mm->threads_per_core > 0 ? mm->threads_per_core : 1);
    int p = o->threads ? o->threads : mm->cores;
    if (p < 1 || p > hw) return mxt_error(MXT_ERANGE, "threads = %d: the machine has %d", p, hw);
    sp->threads = p;

    /* dimensions */
    int ns = 0;
    if (spmm) { /* Rosko's K-first order only */
        if (o->only_schedule && o->schedule != MXT_SCHED_CAKE && o->schedule != MXT_SCHED_CAKE_KMN)
            return mxt_error(MXT_EINVAL, "spmm runs Rosko's K-first order cake-kmn, not %s",
                             mxt_schedule_name(o->schedule));
        sp->sched[ns++] = MXT_SCHED_CAKE_KMN;
    } else if (o->only_schedule && o->schedule != MXT_SCHED_CAKE) {
        sp->sched[ns++] = o->schedule;
    } else {
        sp->sched[ns++] = MXT_SCHED_CAKE_KMN;
        sp->sched[ns++] = MXT_SCHED_CAKE_MKN;
        sp->sched[ns++] = MXT_SCHED_CAKE_NKM;
        if (!o->only_schedule) sp->sched[ns++] = MXT_SCHED_GOTO;
        /* the column split is another schedule only with several threads */
        if (!o->only_schedule && p > 1) sp->sched[ns++] = MXT_SCHED_GOTO_JC;
    }
    int nt = 0;
    sp->thread_count[nt++] = p;
    for (int t = p / 2; !o->fixed_threads && t >= 1 && nt < MXT_SPACE_MAX_THREADS; t /= 2)
        sp->thread_count[nt++] = t;
    const int per_kernel = ns * nt * MXT_SPACE_STEPS * MXT_SPACE_STEPS * MXT_SPACE_STEPS;
    struct kern ks[MXT_SPACE_MAX_KERNELS];
    int nk;
    if (spmm) {
        enum mxt_isa risa = MXT_ISA_GENERIC;
        int rc0 = rosko_isa(mm, o, &risa);
        if (rc0) return rc0;
        nk = pick_rosko(risa, o, sp, per_kernel, ks);
        if (nk == 0)
            return mxt_error(MXT_EINVAL, "no Rosko tile matches the options (%s)",
                             sp->n_reasons ? sp->reasons[0].text : "?");
    } else {
        nk = pick_kernels(mm, pb, o, sp, per_kernel, ks);
    }
    if (nk == 0)
        return mxt_error(MXT_EUNSUPPORTED, "no %s micro-kernel this CPU runs matches the options",
                         mxt_dtype_name(pb->dtype));
    sp->dim[MXT_DIM_SCHED] = ns;
    sp->dim[MXT_DIM_KERNEL] = nk;
    sp->dim[MXT_DIM_THREADS] = nt;
    sp->dim[MXT_DIM_MC] = sp->dim[MXT_DIM_KC] = sp->dim[MXT_DIM_NC] = MXT_SPACE_STEPS;
    sp->grid_size = ns * nk * nt * MXT_SPACE_STEPS * MXT_SPACE_STEPS * MXT_SPACE_STEPS;
    enum mxt_isa widest = MXT_ISA_GENERIC;
    for (int i = 0; i < nk; i++)
        if (ks[i].isa > widest) widest = ks[i].isa;

    int rc = 0, n = 0;
    size_t hsize = 1;
    const size_t extra = 3; /* off the grid: the default and two fallbacks */
    while (hsize < (size_t)sp->grid_size * 2 + 2 * extra)
        hsize <<= 1;
    struct cfg_hash h = {.slot = malloc(hsize * sizeof(int)), .mask = hsize - 1};
    struct mxt_candidate *c = malloc(((size_t)sp->grid_size + extra) * sizeof *c);
    int *order = malloc(((size_t)sp->grid_size + extra) * sizeof *order);
    struct rank_key *perm = malloc(((size_t)sp->grid_size + extra) * sizeof *perm);
    int *renum = malloc(((size_t)sp->grid_size + extra) * sizeof *renum);
    struct mxt_model_machine *w = malloc(sizeof *w);
    sp->grid = malloc((size_t)sp->grid_size * sizeof *sp->grid);
    if (!h.slot || !c || !order || !perm || !renum || !w || !sp->grid) {
        rc = mxt_error(MXT_ENOMEM, "out of memory building the candidate space");
        goto fail;
    }
    for (size_t i = 0; i < hsize; i++)
        h.slot[i] = -1;
    for (int g = 0; g < sp->grid_size; g++)
        sp->grid[g] = -1;
    *w = *mm;

    uint8_t co[MXT_NDIMS];
    for (int kk = 0; kk < nk; kk++) {
        const struct kern *ki = &ks[kk];
        for (int s = 0; s < ns; s++) {
            /* spmm: Rosko's kernels have no fit (mxt_tuner_calibrate fits GEMM
             * micro-kernels only): the machine's constants */
            w->calib =
                o->calib && !spmm ? o->calib[MXT_CALIB_INDEX(ki->index, sp->sched[s])] : mm->calib;
            for (int t = 0; t < nt; t++) {
                if (sp->sched[s] == MXT_SCHED_GOTO_JC && sp->thread_count[t] < 2) {
                    add_reason(sp, "goto-jc on one thread is goto",
                               MXT_SPACE_STEPS * MXT_SPACE_STEPS * MXT_SPACE_STEPS);
                    continue;
                }
                co[MXT_DIM_SCHED] = (uint8_t)s;
                co[MXT_DIM_KERNEL] = (uint8_t)kk;
                co[MXT_DIM_THREADS] = (uint8_t)t;
                struct mxt_config base = {.schedule = sp->sched[s],
                                          .isa = ki->isa,
                                          .mr = ki->mr,
                                          .nr = ki->nr,
                                          .threads = sp->thread_count[t]};
                struct mxt_prediction pr;
                if (model_eval(w, pb, &base, MXT_SIZING_DEFAULT, &pr)) {
                    add_reason(sp, mxt_last_error(),
                               MXT_SPACE_STEPS * MXT_SPACE_STEPS * MXT_SPACE_STEPS);
                    continue;
                }
                struct block_rule r;
                block_rule(base.schedule, ki->mr, ki->nr, base.threads, pb, &r);
                const double b0[3] = {
                    (double)clamp_block((double)pr.config.mc, r.unit[0], r.cap[0]),
                    (double)clamp_block((double)pr.config.kc, r.unit[1], r.cap[1]),
                    (double)clamp_block((double)pr.config.nc, r.unit[2], r.cap[2])};
                for (int i = 0; i < MXT_SPACE_STEPS; i++)
                    for (int j = 0; j < MXT_SPACE_STEPS; j++)
                        for (int l = 0; l < MXT_SPACE_STEPS; l++) {
                            co[MXT_DIM_MC] = (uint8_t)i;
                            co[MXT_DIM_KC] = (uint8_t)j;
                            co[MXT_DIM_NC] = (uint8_t)l;
                            int g = grid_index(sp, co);
                            struct mxt_candidate *x = &c[n];
                            memset(x, 0, sizeof *x);
                            x->cfg = base;
                            x->kernel = ki->index;
                            x->cfg.mc = clamp_block(b0[0] * factors[i], r.unit[0], r.cap[0]);
                            x->cfg.kc = clamp_block(b0[1] * factors[j], r.unit[1], r.cap[1]);
                            x->cfg.nc = clamp_block(b0[2] * factors[l], r.unit[2], r.cap[2]);
                            unsigned fl = 0;
                            if (i % 2 == 0 && j % 2 == 0 && l % 2 == 0) fl |= MXT_CAND_COARSE;
                            if (i == BASE_STEP && j == BASE_STEP && l == BASE_STEP)
                                fl |= MXT_CAND_BASE;
                            size_t slot = 0;
                            int dup = hash_find(&h, c, x, &slot);
                            if (dup >= 0) {
                                sp->grid[g] = dup;
                                c[dup].flags |= fl;
                                continue;
                            }
                            struct mxt_prediction q;
                            if (mxt_tuner_check_config(w, pb, &x->cfg, &q)) {
                                add_reason(sp, mxt_last_error(), 1);
                                continue;
                            }
                            x->cfg.alpha = q.config.alpha;
                            x->predicted_s = q.seconds;
                            x->predicted_gflops = q.gflops;
                            x->bound = q.bound;
                            memcpy(x->coord, co, sizeof co);
                            x->flags = fl;
                            if (ki->isa == widest && base.threads == p) x->flags |= MXT_CAND_WIDEST;
                            h.slot[slot] = n;
                            order[n] = g;
                            sp->grid[g] = n++;
                        }
            }
        }
    }

    /* the default configuration: on the grid when the options allow it */
    struct mxt_config dc;
    struct mxt_prediction dp;
    *w = *mm;
    int have_dflt;
    if (spmm)
        have_dflt =
            rosko_default(pb, p, o->isa == MXT_ISA_AUTO ? ks[0].isa : MXT_ISA_AUTO, &dc) == 0 &&
            check_runnable(w, pb, &dc, &dp) == 0;
    else
        have_dflt = default_config(w, o->calib, pb, p, &dc, &dp) == 0;
    if (have_dflt) {
        struct mxt_candidate x;
        memset(&x, 0, sizeof x);
        x.cfg = dc;
        if (spmm) {
            x.kernel = -1; /* a tile outside the space's: outside the options */
            for (int i = 0; i < nk; i++)
                if (ks[i].isa == dc.isa && ks[i].mr == dc.mr && ks[i].nr == dc.nr)
                    x.kernel = ks[i].index;
        } else {
            x.kernel = kernel_index(pb->dtype, &dc);
        }
        x.cfg.alpha = dp.config.alpha; /* not compared: same_cfg */
        x.flags = in_options(sp, &x) ? 0 : MXT_CAND_OUTSIDE;
        c[place_baseline(&h, c, order, &n, sp->grid_size, &x, &dp)].flags |= MXT_CAND_DEFAULT;
    }
    /* The kernels' own fallback blocks for the default micro-kernel, with goto and
     * (several threads) goto-jc: measured first, so that a search never ends below
     * what the kernels run untuned (their blocks can lie outside the grid, which is
     * centred on the model's sizing). GEMM only, within the options' space. */
    static const enum mxt_schedule fallback_sched[2] = {MXT_SCHED_GOTO, MXT_SCHED_GOTO_JC};
    for (int f = 0; f < (p > 1 ? 2 : 1) && have_dflt && pb->op == MXT_OP_GEMM; f++) {
        struct mxt_config in = {
            .schedule = fallback_sched[f], .isa = dc.isa, .mr = dc.mr, .nr = dc.nr, .threads = p};
        struct mxt_candidate x;
        struct mxt_prediction fp;
        memset(&x, 0, sizeof x);
        if (mxt_gemm_resolve_config(pb->dtype, MXT_COL_MAJOR, pb->m, pb->n, pb->k, &in, &x.cfg) ||
            check_runnable(w, pb, &x.cfg, &fp))
            continue;
        x.cfg.alpha = 0;
        x.kernel = kernel_index(pb->dtype, &x.cfg);
        if (!in_options(sp, &x)) continue;
        c[place_baseline(&h, c, order, &n, sp->grid_size, &x, &fp)].flags |= MXT_CAND_FALLBACK;
    }
    int eligible = 0;
    for (int i = 0; i < n; i++)
        eligible += !(c[i].flags & MXT_CAND_OUTSIDE);
    if (eligible == 0) {
        rc = mxt_error(MXT_EINVAL, "no legal candidate for %s %s %lldx%lldx%lld (%d refused: %s)",
                       mxt_op_name(pb->op), mxt_dtype_name(pb->dtype), (long long)pb->m,
                       (long long)pb->n, (long long)pb->k, sp->n_illegal,
                       sp->n_reasons ? sp->reasons[0].text : "?");
        goto fail;
    }

    /* rank by the model */
    for (int i = 0; i < n; i++) /* a baseline outside the options' space ranks last */
        perm[i] = (struct rank_key){(c[i].flags & MXT_CAND_OUTSIDE) ? INFINITY : c[i].predicted_s,
                                    order[i], i};
    qsort(perm, (size_t)n, sizeof *perm, cmp_rank);
    sp->c = malloc((size_t)n * sizeof *sp->c);
    if (!sp->c) {
        rc = mxt_error(MXT_ENOMEM, "out of memory building the candidate space");
        goto fail;
    }
    for (int r = 0; r < n; r++) {
        sp->c[r] = c[perm[r].idx];
        sp->c[r].rank = r;
        renum[perm[r].idx] = r;
        if (sp->c[r].flags & MXT_CAND_DEFAULT) sp->dflt = r;
    }
    for (int g = 0; g < sp->grid_size; g++)
        if (sp->grid[g] >= 0) sp->grid[g] = renum[sp->grid[g]];
    sp->n = n;
    sp->model_first = 0;
    if (pb->op == MXT_OP_LOWRANK) {
        struct mxt_config m0;
        struct mxt_prediction q0;
        model_form(&sp->c[0].cfg, &m0);
        if (mxt_model_evaluate(mm, pb, &m0, MXT_SIZING_DEFAULT, &q0) == 0)
            sp->model_order = q0.order;
    }
    goto done;
fail:
    free(sp->grid);
    sp->grid = NULL;
    free(sp->c);
    sp->c = NULL;
    sp->n = 0;
done:
    free(h.slot);
    free(c);
    free(order);
    free(perm);
    free(renum);
    free(w);
    return rc;
}

void mxt_space_release(struct mxt_space *sp) {
    if (!sp) return;
    free(sp->c);
    free(sp->grid);
    sp->c = NULL;
    sp->grid = NULL;
    sp->n = 0;
}

int mxt_space_neighbor(const struct mxt_space *sp, int cand, int dim, int step) {
    if (cand < 0 || cand >= sp->n || dim < 0 || dim >= MXT_NDIMS) return -1;
    uint8_t co[MXT_NDIMS];
    memcpy(co, sp->c[cand].coord, sizeof co);
    if (co[0] == 0xff) return -1; /* off the grid */
    int v = co[dim] + step;
    if (v < 0 || v >= sp->dim[dim]) return -1;
    co[dim] = (uint8_t)v;
    return sp->grid[grid_index(sp, co)];
}

int mxt_space_find(const struct mxt_space *sp, const struct mxt_config *cfg) {
    for (int i = 0; i < sp->n; i++) {
        const struct mxt_config *c = &sp->c[i].cfg;
        if (c->schedule == cfg->schedule && c->isa == cfg->isa && c->mr == cfg->mr &&
            c->nr == cfg->nr && c->mc == cfg->mc && c->kc == cfg->kc && c->nc == cfg->nc &&
            c->threads == cfg->threads)
            return i;
    }
    return -1;
}
