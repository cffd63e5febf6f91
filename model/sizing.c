/* Block sizing rules of the model (model/): Low et al. for the Goto/BLIS loops,
 * the CAKE authors' reference rule with its quirks, mxtune's bandwidth-aware
 * CAKE rule, and Rosko's sparse tiling (MODELS.md §1, §2, §4). */
#include <math.h>
#include <string.h>
#include "model_internal.h"
#include "mxt_common.h"

static const struct mxt_model_level *level_no(const struct mxt_model_machine *mm, int l) {
    for (int i = 0; i < mm->n_levels; i++)
        if (mm->lv[i].level == l) return &mm->lv[i];
    return NULL;
}

/* Largest x >= 0 with a*x^2 + b*x <= cap (exact after the float guess). */
static int64_t solve_quad(double a, double b, double cap) {
    if (cap <= 0) return 0;
    double x = floor((-b + sqrt(b * b + 4 * a * cap)) / (2 * a));
    int64_t v = x > 0 ? (int64_t)x : 0;
    while (a * (double)(v + 1) * (double)(v + 1) + b * (double)(v + 1) <= cap)
        v++;
    while (v > 0 && a * (double)v * (double)v + b * (double)v > cap)
        v--;
    return v;
}

static void kib(double bytes, char *buf, size_t n) {
    mxt_format_bytes((uint64_t)bytes, buf, n);
}

/* ---- Low et al. (MODELS.md §1) ---- */

int mxt_model_size_goto(const struct mxt_model_machine *mm, enum mxt_dtype dt, int p, int64_t n,
                        struct mxt_blocks *b, struct mxt_sizing_detail *det) {
    struct mxt_sizing_detail tmp;
    if (!det) det = &tmp;
    const int s = mxt_dtype_size(dt), mr = b->mr, nr = b->nr;
    if (mr < 1 || nr < 1) return mxt_error(MXT_EINVAL, "goto sizing: mr and nr must be set");
    if (p < 1) p = 1;
    const struct mxt_model_level *l1 = level_no(mm, 1), *l2 = level_no(mm, 2),
                                 *l3 = level_no(mm, 3);
    if (!l1 || !l2)
        return mxt_error(MXT_EUNSUPPORTED,
                         "the Low et al. sizing needs an L1 and an L2 cache; the machine "
                         "profile lacks L%d",
                         l1 ? 2 : 1);
    if (!b->kc) {
        /* ways of L1 for the A micro-panel: C_Ar = floor((W_L1 - 1) / (1 + nr/mr)) */
        int car = (int)floor((l1->ways - 1) / (1.0 + (double)nr / mr));
        if (car < 1) {
            /* too few ways for the rule (e.g. a 2-way L1): one way for A */
            car = 1;
            det->assumed |= MXT_ASSUME_L1_WAYS;
        }
        det->c_ar = car;
        /* kc = floor(C_Ar * N_L1 * C_L1 / (mr * s)) */
        b->kc = (int64_t)floor(car * l1->sets * l1->line / ((double)mr * s));
        if (b->kc < 1)
            return mxt_error(MXT_EINVAL, "mr = %d is too tall for the L1 (kc would be 0)", mr);
    }
    if (!b->mc) {
        /* C_Ac = W_L2 - 1 - ceil(kc*nr*s / (N_L2*C_L2)); mc = C_Ac*N_L2*C_L2 / (kc*s) */
        int cac = l2->ways - 1 - (int)ceil((double)b->kc * nr * s / (l2->sets * l2->line));
        det->c_ac = cac;
        int64_t mc = cac > 0 ? (int64_t)floor(cac * l2->sets * l2->line / ((double)b->kc * s)) : 0;
        mc = mxt_rdown(mc, mr);
        if (mc < mr)
            return mxt_error(MXT_EINVAL,
                             "kc = %lld leaves no L2 ways for an mc x kc A block (Low et al.: "
                             "C_Ac = %d)",
                             (long long)b->kc, cac);
        b->mc = mc;
    }
    if (!b->nc) {
        if (l3) {
            /* every thread keeps its own A block and B panel in the shared L3:
             * C_Bc = W_L3 - 1 - ceil(p*mc*kc*s / (N_L3*C_L3)),
             * nc = C_Bc*N_L3*C_L3 / (p*kc*s); p = 1 is Low et al.'s rule */
            int cbc =
                l3->ways - 1 - (int)ceil((double)p * b->mc * b->kc * s / (l3->sets * l3->line));
            det->c_bc = cbc;
            int64_t nc =
                cbc > 0 ? (int64_t)floor(cbc * l3->sets * l3->line / ((double)p * b->kc * s)) : 0;
            nc = mxt_rdown(nc, nr);
            if (nc < nr) {
                nc = nr;
                det->assumed |= MXT_ASSUME_L3_TIGHT;
            }
            b->nc = nc;
        } else {
            b->nc = mxt_rup(mxt_cdiv(n, p), nr);
            det->assumed |= MXT_ASSUME_NO_L3;
        }
    }
    b->alpha = 0;
    return 0;
}

/* ---- CAKE (MODELS.md §2) ---- */

static int cake_levels(const struct mxt_model_machine *mm, const struct mxt_model_level **core,
                       const struct mxt_model_level **sh) {
    if (mm->shared_idx < 0)
        return mxt_error(MXT_EUNSUPPORTED,
                         "CAKE needs a shared cache as its local memory and this machine profile "
                         "has none (every cache level has shared_by 1)");
    if (mm->core_idx < 0)
        return mxt_error(MXT_EUNSUPPORTED,
                         "CAKE needs a private (per-core) cache and this machine profile has none");
    *core = &mm->lv[mm->core_idx];
    *sh = &mm->lv[mm->shared_idx];
    if ((*core)->level >= (*sh)->level)
        return mxt_error(MXT_EUNSUPPORTED,
                         "the per-core cache L%d is not above the shared cache L%d: no CAKE "
                         "sizing",
                         (*core)->level, (*sh)->level);
    return 0;
}

/* The authors' rule as they coded it (quirks included). */
static int cake_reference(const struct mxt_model_machine *mm, enum mxt_schedule sched, int s, int p,
                          int64_t m, struct mxt_blocks *b, struct mxt_sizing_detail *det) {
    const struct mxt_model_level *core = NULL, *sh = NULL;
    int rc = cake_levels(mm, &core, &sh);
    if (rc) return rc;
    const int mr = b->mr, nr = b->nr, P = mm->cores;
    /* mc_L2: largest mc with mc^2 + 2*nr*mc <= L2/(2s), down to a multiple of mr */
    int64_t mc_l2 = mxt_rdown(solve_quad(1, 2.0 * nr, core->size / (2.0 * s)), mr);
    /* mc_L3 = floor(sqrt((L3/(2s)) / (P*(2 + P)))) with P the core count (quirk) */
    int64_t mc_l3 = (int64_t)floor(sqrt(sh->size / (2.0 * s) / ((double)P * (2.0 + P))));
    mc_l3 = mxt_rdown(mc_l3, mr);
    det->mc_l2 = mc_l2;
    det->mc_l3 = mc_l3;
    if (mc_l2 < mr) {
        char sz[32];
        kib(core->size, sz, sizeof sz);
        return mxt_error(MXT_EUNSUPPORTED,
                         "the per-core cache L%d (%s) cannot hold a CAKE block for mr x nr = "
                         "%dx%d under the reference rule",
                         core->level, sz, mr, nr);
    }
    int64_t x = mc_l2;
    int explicit_x = sched == MXT_SCHED_CAKE_NKM ? b->nc != 0 : b->mc != 0;
    if (explicit_x) x = sched == MXT_SCHED_CAKE_NKM ? b->nc : b->mc;
    if (!explicit_x) {
        /* small M (integer division): mc = mr if M < p*mr; else if M < p*mc,
         * a = M/p, mc = mr when a < mr, else a + (mr - a % mr): a whole extra
         * mr when a is already a multiple (the authors' quirk, kept) */
        if (m < (int64_t)p * mr) {
            x = mr;
            det->small_dim = 1;
        } else if (m < (int64_t)p * x) {
            int64_t a = m / p;
            x = a < mr ? mr : a + (mr - a % mr);
            det->small_dim = 1;
        }
    }
    if (!b->kc) b->kc = x;
    double alpha = b->alpha > 0 ? b->alpha : (double)mc_l3 / (double)mc_l2;
    if (sched == MXT_SCHED_CAKE_NKM) {
        /* roles swapped: the per-core slice runs along N, the shared block along M */
        int explicit_mb = b->mc != 0;
        if (!b->nc) b->nc = x < nr ? nr : mxt_rdown(x, nr);
        if (!b->mc) {
            int64_t mb =
                b->alpha > 0 ? (int64_t)floor(b->alpha * p * x + 1e-9) : mc_l3 * p * x / mc_l2;
            mb = mxt_rdown(mb, mr);
            b->mc = mb < mr ? mr : mb;
        }
        b->alpha = explicit_mb && b->alpha <= 0 ? (double)b->mc / ((double)p * b->nc) : alpha;
        return 0;
    }
    int explicit_nc = b->nc != 0;
    b->mc = x;
    if (!b->nc) {
        /* nc = floor(alpha*p*mc) (exact for the rule's rational alpha), down to nr */
        int64_t nc = b->alpha > 0 ? (int64_t)floor(b->alpha * p * x + 1e-9) : mc_l3 * p * x / mc_l2;
        nc = mxt_rdown(nc, nr);
        b->nc = nc < nr ? nr : nc;
    }
    b->alpha = explicit_nc && b->alpha <= 0 ? (double)b->nc / ((double)p * b->mc) : alpha;
    return 0;
}

/* The outer block of mxtune's CAKE rule: alpha is the bandwidth need sF / (B x - sF)
 * (at least 1; `alpha` itself when given), capped by what the shared cache holds
 * beside the p slices of x (cap in elements; MKN keeps p kc chunks, the others
 * one). While the outer block would be thinner than its tile `out_tile`, the slice
 * x shrinks by its tile `x_tile` (not when x was given: `x_fixed`). Returns the
 * outer extent, a multiple of out_tile in [out_tile, out_dim rounded up]. */
static int64_t cake_outer_block(double sF, double B, double cap, double P, int64_t kc, int mkn,
                                int free_alpha, double alpha, int64_t *x, int x_tile, int out_tile,
                                int x_fixed, int64_t out_dim, struct mxt_sizing_detail *det) {
    for (;;) {
        const double xs = (double)*x;
        double need = B * xs > sF ? sF / (B * xs - sF) : HUGE_VAL;
        double amax = mkn ? (cap - P * xs * kc) / (P * P * xs * (kc + xs))
                          : (cap - P * xs * kc) / (P * xs * (kc + P * xs));
        det->alpha_need = need;
        det->alpha_l3 = amax;
        if (free_alpha) {
            alpha = need > 1 ? need : 1;
            if (alpha > amax) {
                alpha = amax;
                det->assumed |= MXT_ASSUME_ALPHA_CAP;
            }
        }
        if (alpha * P * xs >= out_tile || *x <= x_tile || x_fixed) break;
        *x -= x_tile; /* local memory too small: shrink the slice */
    }
    int64_t ob = mxt_rdown((int64_t)floor(alpha * P * (double)*x + 1e-9), out_tile);
    if (free_alpha && (double)(ob + out_tile) / (P * (double)*x) <= det->alpha_l3 &&
        ob < alpha * P * (double)*x)
        ob += out_tile; /* round up to the tile when the local memory still holds it */
    if (ob < out_tile) ob = out_tile;
    if (ob > mxt_rup(out_dim, out_tile)) ob = mxt_rup(out_dim, out_tile);
    return ob;
}

/* mxtune's rule: usable capacities, alpha from the measured DRAM bandwidth
 * (the smallest alpha with R = s*F*(1+alpha)/(alpha*mc) <= B_dram(p)/2, at
 * least 1), capped by the local memory with the p threads actually used. */
static int cake_bandwidth(const struct mxt_model_machine *mm, enum mxt_schedule sched,
                          enum mxt_dtype dt, int p, int64_t m, int64_t n, int64_t k,
                          struct mxt_blocks *b, struct mxt_sizing_detail *det) {
    const struct mxt_model_level *core = NULL, *sh = NULL;
    int rc = cake_levels(mm, &core, &sh);
    if (rc) return rc;
    if ((rc = model_check_machine(mm, dt))) return rc;
    const int s = mxt_dtype_size(dt), mr = b->mr, nr = b->nr;
    /* the per-core slice and its sliver of the streamed operand in half the
     * usable per-core cache (the other half for streaming and C tiles) */
    int64_t x0 = mxt_rdown(solve_quad(1, 2.0 * nr, core->usable / (2.0 * s)), mr);
    if (x0 < mr) {
        char sz[32];
        kib(core->usable, sz, sizeof sz);
        return mxt_error(MXT_EUNSUPPORTED,
                         "the per-core cache L%d (%s usable) cannot hold a CAKE block for mr x "
                         "nr = %dx%d",
                         core->level, sz, mr, nr);
    }
    const double sF = s * mm->calib.eta0 * model_core_flops(mm, dt, p) / 2;
    const double B = 0.5 * model_dram_bw(mm, p);
    const double cap = sh->usable / s;
    const double P = p;
    const int free_alpha = b->alpha <= 0;
    if (sched == MXT_SCHED_CAKE_NKM) {
        int64_t x = b->nc ? b->nc : (x0 < nr ? nr : mxt_rdown(x0, nr));
        if (!b->nc && n < (int64_t)p * x) {
            x = mxt_rup(mxt_cdiv(n, p), nr);
            det->small_dim = 1;
        }
        int64_t kc = b->kc ? b->kc : (x0 < k ? x0 : k);
        if (!b->mc)
            b->mc = cake_outer_block(sF, B, cap, P, kc, 0, free_alpha, b->alpha, &x, nr, mr,
                                     b->nc != 0, m, det);
        b->nc = x;
        b->kc = kc;
        b->alpha = (double)b->mc / (P * b->nc);
        return 0;
    }
    int64_t x = b->mc ? b->mc : x0;
    int64_t kc = b->kc;
    if (sched == MXT_SCHED_CAKE_MKN) {
        if (!b->mc && x > mxt_rup(m, mr)) x = mxt_rup(m, mr);
        if (!kc) {
            kc = x0 < k ? x0 : k;
            if (k < (int64_t)p * kc) { /* small K: every core gets a slice */
                kc = mxt_cdiv(k, p);
                det->small_dim = 1;
            }
        }
    } else {
        if (!b->mc && m < (int64_t)p * x) {
            x = mxt_rup(mxt_cdiv(m, p), mr); /* small M without the quirk */
            det->small_dim = 1;
        }
        if (!kc) kc = x0 < k ? x0 : k;
    }
    if (!b->nc)
        b->nc = cake_outer_block(sF, B, cap, P, kc, sched == MXT_SCHED_CAKE_MKN, free_alpha,
                                 b->alpha, &x, mr, nr, b->mc != 0, n, det);
    b->mc = x;
    b->kc = kc;
    b->alpha = (double)b->nc / (P * b->mc);
    return 0;
}

int mxt_model_size_cake(const struct mxt_model_machine *mm, enum mxt_sizing sizing,
                        enum mxt_schedule sched, enum mxt_dtype dt, int p, int64_t m, int64_t n,
                        int64_t k, struct mxt_blocks *b, struct mxt_sizing_detail *det) {
    struct mxt_sizing_detail tmp;
    if (!det) det = &tmp;
    if (b->mr < 1 || b->nr < 1) return mxt_error(MXT_EINVAL, "CAKE sizing: mr and nr must be set");
    if (sched != MXT_SCHED_CAKE_KMN && sched != MXT_SCHED_CAKE_MKN && sched != MXT_SCHED_CAKE_NKM)
        return mxt_error(MXT_EINVAL,
                         "CAKE sizing: schedule must be cake-kmn, cake-mkn or cake-nkm");
    if (p < 1) p = 1;
    if (sizing == MXT_SIZING_REFERENCE)
        return cake_reference(mm, sched, mxt_dtype_size(dt), p, m, b, det);
    if (sizing == MXT_SIZING_BANDWIDTH || sizing == MXT_SIZING_DEFAULT)
        return cake_bandwidth(mm, sched, dt, p, m, n, k, b, det);
    return mxt_error(MXT_EINVAL, "sizing '%s' does not apply to the CAKE schedules",
                     mxt_sizing_name(sizing));
}

/* ---- Rosko (MODELS.md §4) ---- */

int model_size_rosko(const struct mxt_model_machine *mm, enum mxt_sizing sizing, enum mxt_dtype dt,
                     int p, int64_t m, int64_t k, double d, struct mxt_blocks *b) {
    const struct mxt_model_level *core = NULL, *sh = NULL;
    int rc = cake_levels(mm, &core, &sh);
    if (rc) return rc;
    const int s = mxt_dtype_size(dt), mr = b->mr, nr = b->nr;
    const int ref = sizing == MXT_SIZING_REFERENCE;
    /* capacities in elements; Rosko budgets the whole cache */
    const double l2 = (ref ? core->size : core->usable) / s;
    const double l3 = (ref ? sh->size : sh->usable) / s;
    const double a = 2.5 * d; /* packed floats per element of A */
    if (!b->kc) {
        int64_t kc;
        if (d * mr < 1) {
            /* ultra-sparse: d*mr*kc + kc*nr + mr*nr <= L2/(2s), then kc /= d*mr
             * (only that fraction of B rows is touched) */
            kc = (int64_t)floor((l2 / 2 - (double)mr * nr) / (d * mr + nr));
            if (kc < 0) kc = 0;
            kc = (int64_t)floor((double)kc / (d * mr));
        } else {
            /* a*kc^2 + 2*nr*kc <= L2/s */
            kc = solve_quad(a, 2.0 * nr, l2);
        }
        kc = mxt_rdown(kc, mr);
        if (kc < mr) kc = mr;
        if (kc > k) kc = k;
        b->kc = kc;
    }
    if (!b->mc) {
        /* reference: p*mc^2*(a + alpha + alpha*p) <= L3/s with alpha = 1 (kc
         * taken as mc); bandwidth: with the kc actually chosen,
         * a*p*mc*kc + kc*p*mc + p^2*mc^2 <= L3/s */
        int64_t mc = ref ? (int64_t)floor(sqrt(l3 / ((double)p * (a + 1.0 + p))))
                         : solve_quad((double)p * p, (double)p * b->kc * (a + 1.0), l3);
        mc = mxt_rdown(mc, mr);
        if (mc < mr) mc = mr;
        if (!ref && m < (int64_t)p * mc) mc = mxt_rup(mxt_cdiv(m, p), mr);
        b->mc = mc;
    }
    if (!b->nc) {
        int64_t nc = mxt_rdown((int64_t)p * b->mc, nr);
        b->nc = nc < nr ? nr : nc;
    }
    b->alpha = (double)b->nc / ((double)p * b->mc);
    return 0;
}

/* ---- resolving a configuration ---- */

int model_check_dim(int64_t v, const char *what) {
    if (v < 1 || v > MXT_MODEL_MAX_DIM)
        return mxt_error(MXT_ERANGE, "%s = %lld is out of range [1, 2^40]", what, (long long)v);
    return 0;
}

int model_check_product(double a, double b, const char *what) {
    if (a * b > 9007199254740992.0)
        return mxt_error(MXT_ERANGE, "%s = %.0f x %.0f elements is too large (limit 2^53)", what, a,
                         b);
    return 0;
}

static int check_blocks(const struct mxt_config *cfg, enum mxt_schedule sched, int mr, int nr) {
    const int64_t v[3] = {cfg->mc, cfg->kc, cfg->nc};
    static const char *const names[3] = {"mc", "kc", "nc"};
    for (int i = 0; i < 3; i++) {
        if (v[i] < 0)
            return mxt_error(MXT_EINVAL, "%s = %lld must be positive", names[i], (long long)v[i]);
        if (v[i] > MXT_MODEL_MAX_DIM)
            return mxt_error(MXT_ERANGE, "%s = %lld is out of range", names[i], (long long)v[i]);
    }
    if (cfg->mc && cfg->mc % mr)
        return mxt_error(MXT_EINVAL, "mc (%lld) is not a multiple of mr (%d)", (long long)cfg->mc,
                         mr);
    if (cfg->nc && cfg->nc % nr)
        return mxt_error(MXT_EINVAL, "nc (%lld) is not a multiple of nr (%d)", (long long)cfg->nc,
                         nr);
    if (!isfinite(cfg->alpha) || cfg->alpha < 0)
        return mxt_error(MXT_EINVAL, "alpha = %g must be a positive number", cfg->alpha);
    if (cfg->alpha > 0) {
        if (mxt_schedule_is_goto(sched))
            return mxt_error(MXT_EINVAL, "alpha applies to the CAKE schedules only, not goto");
        if (sched == MXT_SCHED_CAKE_NKM && cfg->mc)
            return mxt_error(MXT_EINVAL,
                             "cake-nkm derives mc from alpha: give mc or alpha, not both");
        if (sched != MXT_SCHED_CAKE_NKM && cfg->nc)
            return mxt_error(MXT_EINVAL, "nc is alpha*p*mc: give nc or alpha, not both");
    }
    return 0;
}

/* I/O of the three CB orders with block extents m = k = n = x (MODELS.md §2):
 * MKN if N <= M and K <= 2Mx/(x+M); else NKM if M <= N and K <= 2Nx/(x+N);
 * else KMN. */
static enum mxt_schedule choose_order(double M, double N, double K, double x, int s,
                                      struct mxt_sizing_detail *det) {
    det->io_kmn = s * (M * N * K / x + M * N * K / x + 2 * M * N);
    det->io_mkn = s * (M * N * K / x + K * N + 2 * M * N * K / x);
    det->io_nkm = s * (M * N * K / x + M * K + 2 * M * N * K / x);
    if (N <= M && K <= 2 * M * x / (x + M)) return MXT_SCHED_CAKE_MKN;
    if (M <= N && K <= 2 * N * x / (x + N)) return MXT_SCHED_CAKE_NKM;
    return MXT_SCHED_CAKE_KMN;
}

int model_resolve(const struct mxt_model_machine *mm, enum mxt_op op, enum mxt_dtype dt, int64_t m,
                  int64_t n, int64_t k, double density, const struct mxt_config *cfg,
                  enum mxt_sizing sizing, struct resolved *r) {
    static const struct mxt_config zero;
    if (!cfg) cfg = &zero;
    memset(r, 0, sizeof *r);
    r->s = mxt_dtype_size(dt);
    int hw = mm->cores * mm->threads_per_core;
    if (cfg->threads < 0)
        return mxt_error(MXT_EINVAL, "threads = %d must be positive", cfg->threads);
    if (cfg->threads > hw)
        return mxt_error(MXT_ERANGE, "threads = %d exceeds the %d hardware threads of the machine",
                         cfg->threads, hw);
    r->p = cfg->threads ? cfg->threads : mm->cores;
    if ((unsigned)cfg->schedule > MXT_SCHED_LAST)
        return mxt_error(MXT_EINVAL, "unknown schedule %d", (int)cfg->schedule);
    enum mxt_schedule sched = cfg->schedule;
    if (op == MXT_OP_SPMM) {
        if (sched != MXT_SCHED_CAKE && sched != MXT_SCHED_CAKE_KMN)
            return mxt_error(MXT_EINVAL,
                             "spmm runs Rosko's K-first schedule: use --schedule cake or cake-kmn, "
                             "not %s",
                             mxt_schedule_name(sched));
        sched = MXT_SCHED_CAKE_KMN;
    }
    if ((unsigned)sizing > MXT_SIZING_BANDWIDTH)
        return mxt_error(MXT_EINVAL, "unknown sizing %d", (int)sizing);
    if (sizing == MXT_SIZING_DEFAULT)
        sizing = mxt_schedule_is_goto(sched) ? MXT_SIZING_MODEL : MXT_SIZING_BANDWIDTH;
    if (mxt_schedule_is_goto(sched) && sizing != MXT_SIZING_MODEL)
        return mxt_error(
            MXT_EINVAL,
            "sizing '%s' applies to the CAKE schedules; goto takes 'model' (Low et al.)",
            mxt_sizing_name(sizing));
    if (!mxt_schedule_is_goto(sched) && sizing == MXT_SIZING_MODEL)
        return mxt_error(MXT_EINVAL,
                         "sizing 'model' (Low et al.) applies to goto; the CAKE schedules take "
                         "'reference' or 'bandwidth'");
    r->sizing = sizing;

    /* ISA and micro-kernel */
    if ((unsigned)cfg->isa > MXT_ISA_AVX512)
        return mxt_error(MXT_EINVAL, "unknown isa %d", (int)cfg->isa);
    r->isa = cfg->isa == MXT_ISA_AUTO ? mm->isa : cfg->isa;
    if (r->isa > mm->isa)
        return mxt_error(MXT_EINVAL, "isa %s is not available on this machine (widest: %s)",
                         mxt_isa_name(r->isa), mxt_isa_name(mm->isa));
    r->vbits = r->isa == mm->isa ? mm->vector_bits : model_isa_bits(r->isa);
    int vregs = r->isa == mm->isa ? mm->vector_registers : (r->isa == MXT_ISA_AVX512 ? 32 : 16);
    if (cfg->mr || cfg->nr) {
        if (cfg->mr <= 0 || cfg->nr <= 0)
            return mxt_error(MXT_EINVAL, "mr x nr = %dx%d: give both, positive", cfg->mr, cfg->nr);
        if (cfg->mr > 256 || cfg->nr > 256)
            return mxt_error(MXT_EINVAL, "mr x nr = %dx%d is larger than any register tile",
                             cfg->mr, cfg->nr);
        int need = mxt_model_kernel_registers(cfg->mr, cfg->nr, r->vbits, dt);
        if (need > vregs)
            return mxt_error(MXT_EINVAL,
                             "mr x nr = %dx%d needs %d vector registers of %d bits; the machine "
                             "has %d",
                             cfg->mr, cfg->nr, need, r->vbits, vregs);
        r->b.mr = cfg->mr;
        r->b.nr = cfg->nr;
    } else {
        model_kernel_for(mm, r->isa, dt, &r->b.mr, &r->b.nr);
        r->assumed |= MXT_ASSUME_KERNEL;
    }
    int rc = check_blocks(cfg, sched, r->b.mr, r->b.nr);
    if (rc) return rc;
    r->b.mc = cfg->mc;
    r->b.kc = cfg->kc;
    r->b.nc = cfg->nc;
    r->b.alpha = cfg->alpha;

    if (mxt_schedule_is_goto(sched)) {
        r->sched = sched;
        return mxt_model_size_goto(mm, dt, r->p, n, &r->b, &r->det);
    }
    if (op == MXT_OP_SPMM) {
        r->sched = sched;
        return model_size_rosko(mm, sizing, dt, r->p, m, k, density, &r->b);
    }
    if (sched == MXT_SCHED_CAKE) {
        struct mxt_blocks keep = r->b;
        rc = mxt_model_size_cake(mm, sizing, MXT_SCHED_CAKE_KMN, dt, r->p, m, n, k, &r->b, &r->det);
        if (rc) return rc;
        sched =
            choose_order((double)m, (double)n, (double)k, (double)r->p * r->b.mc, r->s, &r->det);
        r->sched = sched;
        if (sched == MXT_SCHED_CAKE_KMN) return 0;
        struct mxt_sizing_detail det = r->det;
        r->b = keep;
        rc = mxt_model_size_cake(mm, sizing, sched, dt, r->p, m, n, k, &r->b, &det);
        det.io_kmn = r->det.io_kmn, det.io_mkn = r->det.io_mkn, det.io_nkm = r->det.io_nkm;
        r->det = det;
        return rc;
    }
    r->sched = sched;
    return mxt_model_size_cake(mm, sizing, sched, dt, r->p, m, n, k, &r->b, &r->det);
}
