/* The machine as the model sees it (model/): cache geometry and roles, DRAM and
 * compute rates, micro-kernel choice, and every value assumed in place of a
 * measurement, derived once from a struct mxt_machine. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "model_internal.h"
#include "mxt_common.h"

static void assume(struct mxt_model_machine *mm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void assume(struct mxt_model_machine *mm, const char *fmt, ...) {
    if (mm->n_assumed >= MXT_MODEL_MAX_ASSUMED) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mm->assumed[mm->n_assumed++], MXT_MODEL_NOTE_LEN, fmt, ap);
    va_end(ap);
}

/* The micro-kernels mxtune's kernels/ register (kernels/CMakeLists.txt): the
 * model picks among those the machine can run. mr is the vectorized side. */
struct kshape {
    enum mxt_isa isa;
    enum mxt_dtype dt;
    int mr, nr;
};
static const struct kshape kernel_table[] = {
    {MXT_ISA_AVX512, MXT_F32, 32, 12}, {MXT_ISA_AVX512, MXT_F32, 48, 8},
    {MXT_ISA_AVX512, MXT_F32, 32, 6},  {MXT_ISA_AVX512, MXT_F32, 16, 14},
    {MXT_ISA_AVX512, MXT_F64, 16, 12}, {MXT_ISA_AVX512, MXT_F64, 24, 8},
    {MXT_ISA_AVX512, MXT_F64, 16, 6},  {MXT_ISA_AVX512, MXT_F64, 8, 14},
    {MXT_ISA_AVX2, MXT_F32, 16, 6},    {MXT_ISA_AVX2, MXT_F32, 24, 4},
    {MXT_ISA_AVX2, MXT_F64, 8, 6},     {MXT_ISA_AVX2, MXT_F64, 12, 4},
    {MXT_ISA_GENERIC, MXT_F32, 8, 4},  {MXT_ISA_GENERIC, MXT_F64, 4, 4},
};

static int isa_bits(enum mxt_isa isa) {
    return isa == MXT_ISA_AVX512 ? 512 : isa == MXT_ISA_AVX2 ? 256 : 128;
}

/* Registers for one orientation: the vectorized side takes v = ceil(side/Nv)
 * vectors; accumulators v * other, plus the v vectors of that operand and one
 * broadcast register (MODELS.md §1). */
static int regs_oriented(int vec_side, int other, int nv) {
    int v = (vec_side + nv - 1) / nv;
    return v * other + v + 1;
}

int mxt_model_kernel_registers(int mr, int nr, int vector_bits, enum mxt_dtype dt) {
    int nv = vector_bits / (8 * mxt_dtype_size(dt));
    if (nv < 1) nv = 1;
    int a = regs_oriented(mr, nr, nv), b = regs_oriented(nr, mr, nv);
    return a < b ? a : b;
}

/* Efficiency of one orientation: accumulators must cover L_fma * N_fma (Low et
 * al.: mr*nr/Nv >= L_fma*N_fma), loads must issue no slower than the FMAs, and
 * a side that is not a multiple of Nv wastes lanes. */
static double eff_oriented(int vec_side, int other, int nv, double lat, int nfma, int nload) {
    int v = (vec_side + nv - 1) / nv;
    double acc = (double)v * other;
    double e_lat = acc / (lat * nfma);
    double e_load = (acc / nfma) / ((double)(v + other) / nload);
    double e_lane = (double)vec_side / ((double)v * nv);
    return fmin(1.0, e_lat) * fmin(1.0, e_load) * e_lane;
}

double model_kernel_eff(const struct mxt_model_machine *mm, int mr, int nr, int vbits,
                        enum mxt_dtype dt) {
    int nv = vbits / (8 * mxt_dtype_size(dt));
    if (nv < 1) nv = 1;
    double a = eff_oriented(mr, nr, nv, mm->fma_latency, mm->fma_per_cycle, mm->loads_per_cycle);
    double b = eff_oriented(nr, mr, nv, mm->fma_latency, mm->fma_per_cycle, mm->loads_per_cycle);
    return a > b ? a : b;
}

/* Best registered kernel for (isa, dt) that the registers hold: highest
 * efficiency, then the highest mr*nr/(mr+nr) (fewest loads per FMA). */
static void choose_kernel(const struct mxt_model_machine *mm, enum mxt_isa isa, enum mxt_dtype dt,
                          int *mr, int *nr) {
    int vregs = isa == MXT_ISA_AVX512 ? 32 : 16;
    if (isa == mm->isa && mm->vector_registers > 0) vregs = mm->vector_registers;
    double best_e = -1, best_r = -1;
    *mr = *nr = 0;
    for (size_t i = 0; i < MXT_ARRAY_LEN(kernel_table); i++) {
        const struct kshape *k = &kernel_table[i];
        if (k->isa != isa || k->dt != dt) continue;
        if (mxt_model_kernel_registers(k->mr, k->nr, isa_bits(isa), dt) > vregs) continue;
        double e = model_kernel_eff(mm, k->mr, k->nr, isa_bits(isa), dt);
        double ratio = (double)k->mr * k->nr / (k->mr + k->nr);
        if (e > best_e + 1e-9 || (fabs(e - best_e) <= 1e-9 && ratio > best_r)) {
            best_e = e;
            best_r = ratio;
            *mr = k->mr;
            *nr = k->nr;
        }
    }
    if (*mr == 0) { /* nothing registered fits: the portable shape */
        *mr = dt == MXT_F32 ? 8 : 4;
        *nr = 4;
    }
}

int model_check_machine(const struct mxt_model_machine *mm, enum mxt_dtype dt) {
    if (mm->peak_1t[dt] <= 0 && mm->peak_all[dt] <= 0)
        return mxt_error(MXT_ENODATA,
                         "the machine profile has no peak GFLOP/s (compute.peak_gflops.%s_1t or "
                         "%s_all): run 'mxtune probe' or add it to the machine file",
                         mxt_dtype_name(dt), mxt_dtype_name(dt));
    if (mm->dram_1t <= 0 && mm->dram_all <= 0)
        return mxt_error(MXT_ENODATA,
                         "the machine profile has no DRAM bandwidth (dram.bw_GBps.read_1t or "
                         "read_all): run 'mxtune probe' or add it to the machine file");
    return 0;
}

/* Per-core rate with p cores busy: the one-thread peak falls linearly to the
 * all-core peak per core as cores are added (turbo bins). */
double model_core_flops(const struct mxt_model_machine *mm, enum mxt_dtype dt, int p) {
    double one = mm->peak_1t[dt], all = mm->peak_all[dt] / mm->cores;
    if (one <= 0) one = all;
    if (all <= 0) all = one;
    if (p > mm->cores) p = mm->cores;
    if (mm->cores <= 1 || p <= 1) return one;
    return one + (all - one) * (double)(p - 1) / (double)(mm->cores - 1);
}

/* The same for the micro-kernels of isa: a narrower ISA reaches its share of
 * the widest's peak (mm->isa_share). */
double model_isa_flops(const struct mxt_model_machine *mm, enum mxt_dtype dt, enum mxt_isa isa,
                       int p) {
    double f = (unsigned)isa < 4 ? mm->isa_share[isa][dt] : 0;
    return model_core_flops(mm, dt, p) * (f > 0 ? f : 1.0);
}

/* Share of the widest ISA's peak the micro-kernels of each narrower ISA can
 * reach: the probe's one-thread FMA peak at that vector width over the one at
 * the widest (compute.peak_gflops.<dt>_1t_<bits>b), else the ratio of vector
 * widths. The generic kernels are plain C compiled for the baseline ISA
 * (128-bit SSE2, no FMA): a multiply and an add per FMA, half the 128-bit FMA
 * rate. */
static void isa_shares(struct mxt_model_machine *mm, const struct mxt_compute *c) {
    int widest = mm->vector_bits >= 512 ? 2 : mm->vector_bits >= 256 ? 1 : 0, measured = 0;
    for (int d = 0; d < 2; d++) {
        for (int isa = MXT_ISA_GENERIC; isa <= MXT_ISA_AVX512; isa++) {
            int w = isa == MXT_ISA_AVX512 ? 2 : isa == MXT_ISA_AVX2 ? 1 : 0;
            double f;
            if (w >= widest) {
                f = 1.0;
            } else if (c->width_1t[w][d] > 0 && c->width_1t[widest][d] > 0) {
                f = fmin(1.0, c->width_1t[w][d] / c->width_1t[widest][d]);
                measured = 1;
            } else {
                f = (double)(128 << w) / (128 << widest);
            }
            if (isa == MXT_ISA_GENERIC) f *= 0.5;
            mm->isa_share[isa][d] = f;
        }
        mm->isa_share[MXT_ISA_AUTO][d] = 1.0;
    }
    if (widest > 0 && !measured)
        assume(mm, "narrower ISAs reach the widest's peak times the ratio of vector widths");
    assume(mm, "generic kernels: no FMA, half the 128-bit FMA peak");
}

/* B_dram(p) = min(p * read_1t, read_all) (MODELS.md notation). */
double model_dram_bw(const struct mxt_model_machine *mm, int p) {
    double one = mm->dram_1t > 0 ? mm->dram_1t : mm->dram_all;
    double all = mm->dram_all > 0 ? mm->dram_all : one;
    double b = p * one;
    return b < all ? b : all;
}

static enum mxt_isa widest_isa(const struct mxt_machine *m, int *from_bits) {
    *from_bits = 0;
    if (m->n_isa > 0) {
        if (mxt_machine_has_isa(m, "avx512f")) return MXT_ISA_AVX512;
        if (mxt_machine_has_isa(m, "avx2") && mxt_machine_has_isa(m, "fma")) return MXT_ISA_AVX2;
        return MXT_ISA_GENERIC;
    }
    *from_bits = 1;
    if (m->compute.vector_bits >= 512) return MXT_ISA_AVX512;
    if (m->compute.vector_bits >= 256) return MXT_ISA_AVX2;
    return MXT_ISA_GENERIC;
}

int mxt_model_machine_init(struct mxt_model_machine *mm, const struct mxt_machine *m) {
    memset(mm, 0, sizeof *mm);
    mm->core_idx = mm->shared_idx = -1;
    if (!m || m->cores < 1) return mxt_error(MXT_EFORMAT, "machine profile: 'cores' missing");
    mxt_strlcpy(mm->name, m->name[0] ? m->name : m->brand, sizeof mm->name);
    mm->cores = m->cores;
    mm->threads_per_core = m->threads_per_core > 0 ? m->threads_per_core : 1;
    for (int i = 0; i < m->n_assumed; i++)
        assume(mm, "machine file: %s", m->assumed[i]);

    /* compute */
    const struct mxt_compute *c = &m->compute;
    int from_bits;
    mm->isa = widest_isa(m, &from_bits);
    if (from_bits && c->vector_bits <= 0)
        assume(mm, "no ISA list or vector width: portable %d-bit kernels", isa_bits(mm->isa));
    mm->vector_bits = c->vector_bits > 0 ? c->vector_bits : isa_bits(mm->isa);
    if (c->vector_bits <= 0 && !from_bits)
        assume(mm, "vector width %d bits (from the ISA list)", mm->vector_bits);
    mm->vector_registers =
        c->vector_registers > 0 ? c->vector_registers : (mm->isa == MXT_ISA_AVX512 ? 32 : 16);
    if (c->vector_registers <= 0)
        assume(mm, "%d vector registers (from the ISA)", mm->vector_registers);
    mm->fma_latency = c->fma_latency_cycles > 0 ? c->fma_latency_cycles : 4.0;
    if (c->fma_latency_cycles <= 0) assume(mm, "FMA latency 4 cycles");
    mm->fma_per_cycle = c->fma_per_cycle > 0 ? c->fma_per_cycle : 2;
    if (c->fma_per_cycle <= 0) assume(mm, "2 FMA issues per cycle");
    mm->loads_per_cycle = 2;
    assume(mm, "2 vector loads per cycle");
    mm->peak_1t[MXT_F32] = c->f32_1t * 1e9;
    mm->peak_all[MXT_F32] = c->f32_all * 1e9;
    mm->peak_1t[MXT_F64] = c->f64_1t * 1e9;
    mm->peak_all[MXT_F64] = c->f64_all * 1e9;
    if (mm->peak_1t[MXT_F64] <= 0 && mm->peak_all[MXT_F64] <= 0 &&
        (mm->peak_1t[MXT_F32] > 0 || mm->peak_all[MXT_F32] > 0)) {
        mm->peak_1t[MXT_F64] = mm->peak_1t[MXT_F32] / 2;
        mm->peak_all[MXT_F64] = mm->peak_all[MXT_F32] / 2;
        assume(mm, "f64 peak = half the f32 peak");
    }
    for (int d = 0; d < 2; d++) {
        const char *dn = mxt_dtype_name((enum mxt_dtype)d);
        if (mm->peak_1t[d] <= 0 && mm->peak_all[d] > 0)
            assume(mm, "%s one-thread peak = all-core peak / cores", dn);
        else if (mm->peak_all[d] <= 0 && mm->peak_1t[d] > 0)
            assume(mm, "%s all-core peak = cores x one-thread peak", dn);
    }

    /* DRAM */
    mm->dram_1t = m->dram.read_1t * 1e9;
    mm->dram_all = m->dram.read_all * 1e9;
    if (mm->dram_1t <= 0 && mm->dram_all > 0) assume(mm, "DRAM read_1t = read_all");
    if (mm->dram_all <= 0 && mm->dram_1t > 0) assume(mm, "DRAM read_all = read_1t");

    /* caches: the cycle rate behind the assumed bandwidths comes from the
     * clock, else from the peak (flops per cycle = 2 * lanes * FMA issues). */
    double cycles = c->clock_ghz * 1e9;
    if (cycles <= 0) {
        double pk =
            mm->peak_1t[MXT_F32] > 0 ? mm->peak_1t[MXT_F32] : mm->peak_all[MXT_F32] / mm->cores;
        cycles = pk / (2.0 * (mm->vector_bits / 32.0) * mm->fma_per_cycle);
    }
    double l1_bw = mm->loads_per_cycle * (mm->vector_bits / 8.0) * cycles;
    static const double bw_share[] = {1.0, 0.5, 0.125, 0.0625}; /* of L1's, by level */
    for (int i = 0; i < m->n_caches && mm->n_levels < MXT_MAX_LEVELS; i++) {
        const struct mxt_cache *k = &m->caches[i];
        if (k->type == MXT_CACHE_INSTRUCTION || k->level < 1 || k->level > MXT_MAX_LEVELS) continue;
        struct mxt_model_level *l = &mm->lv[mm->n_levels++];
        l->level = k->level;
        l->size = (double)k->size_bytes;
        l->usable = k->usable_bytes > 0 ? (double)k->usable_bytes : l->size;
        l->line = k->line_bytes > 0 ? k->line_bytes : 64;
        l->ways = k->ways > 0 ? k->ways : (k->level == 1 ? 8 : 16);
        l->shared_by = k->shared_by > 0 ? k->shared_by : 1;
        l->sets = l->size / ((double)l->ways * l->line);
        if (k->bw_read_GBps > 0) {
            l->bw = k->bw_read_GBps * 1e9;
        } else if (l1_bw > 0) {
            l->bw = l1_bw * bw_share[k->level - 1];
            assume(mm, "L%d bandwidth %.0f GB/s per core (%g of L1's 2 loads/cycle)", k->level,
                   l->bw / 1e9, bw_share[k->level - 1]);
        }
    }
    if (mm->n_levels == 0) return mxt_error(MXT_EFORMAT, "machine profile: no data cache");
    /* roles (CLI.md): per-core level = largest private cache, local memory =
     * largest shared cache */
    for (int i = 0; i < mm->n_levels; i++) {
        const struct mxt_model_level *l = &mm->lv[i];
        if (l->shared_by <= 1) {
            if (mm->core_idx < 0 || l->size > mm->lv[mm->core_idx].size) mm->core_idx = i;
        } else if (mm->shared_idx < 0 || l->size > mm->lv[mm->shared_idx].size) {
            mm->shared_idx = i;
        }
    }

    isa_shares(mm, c);
    for (int d = 0; d < 2; d++)
        choose_kernel(mm, mm->isa, (enum mxt_dtype)d, &mm->kernel_mr[d], &mm->kernel_nr[d]);

    mm->calib.eta0 = 0.9;
    mm->calib.sync_seconds = 2e-6;
    mm->calib.sparse_mac_cost = 2.5;
    mm->calib.sparse_col_cost = 1.0;
    mm->calib.calibrated = 0;
    return 0;
}

/* Used by model_resolve for an ISA other than the widest. */
void model_kernel_for(const struct mxt_model_machine *mm, enum mxt_isa isa, enum mxt_dtype dt,
                      int *mr, int *nr) {
    if (isa == mm->isa) {
        *mr = mm->kernel_mr[dt];
        *nr = mm->kernel_nr[dt];
        return;
    }
    choose_kernel(mm, isa, dt, mr, nr);
}

int model_isa_bits(enum mxt_isa isa) {
    return isa_bits(isa);
}
