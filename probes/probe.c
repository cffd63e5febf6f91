/* The whole probe (probes/): the phases of PROBES.md in order -- priors,
 * timer and clock, noise, peak FLOP/s, latency sweep and level detection,
 * line size and L1 ways, bandwidth per level and DRAM, self-checks -- filling
 * a machine profile whose every figure says where it came from. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>
#include <omp.h>
#include "priors.h"
#include "probes.h"

struct mode_params {
    double min_sample_s, max_total_s;
    int repeats;
    size_t sweep_max;
    int ppo, refine_depth, stop_on_plateau;
    int bw_ppo;
    int per_level_bw; /* kernels measured at every level: 0, 2 (load, triad) or 4 */
    int dram_kernels; /* 2: read + triad; 3: + copy; 4: + write */
};

static const struct mode_params modes[] = {
    /* quick */ {5e-4, 0.05, 3, (size_t)64 << 20, 3, 1, 1, 1, 0, 2},
    /* default */ {2e-3, 0.25, 5, (size_t)256 << 20, 4, 2, 0, 2, 2, 3},
    /* thorough */ {5e-3, 1.0, 11, (size_t)1024 << 20, 6, 3, 0, 4, 4, 4},
};

static void say(const struct mxt_probe_opts *o, const char *phase, double frac) {
    if (o->progress) o->progress(phase, frac, o->progress_ctx);
}

/* TSC ticks per ns over ~20 ms of CLOCK_MONOTONIC. */
static double tsc_ghz(void) {
    double t0 = mxt_clock_monotonic(NULL);
    unsigned long long c0 = __rdtsc();
    while (mxt_clock_monotonic(NULL) - t0 < 0.02) {
    }
    unsigned long long c1 = __rdtsc();
    double t1 = mxt_clock_monotonic(NULL);
    return (double)(c1 - c0) / ((t1 - t0) * 1e9);
}

/* Noise: coefficient of variation of a short L1-resident loop. */
static void noise_kernel(void *ctx, uint64_t iters) {
    volatile double *x = ctx;
    double s = *x;
    for (uint64_t i = 0; i < iters; i++)
        s = s * 0.999999 + 1e-9;
    *x = s;
}

static double measure_noise(const struct mxt_harness *base) {
    struct mxt_harness h = *base;
    h.repeats = 15;
    h.min_sample_s = 2e-4;
    h.max_total_s = 0.05;
    volatile double x = 1.0;
    struct mxt_timing t;
    if (mxt_harness_time(&h, noise_kernel, (void *)&x, &t)) return 0;
    return t.stats.median > 0 ? (t.stats.p90 - t.stats.p10) / t.stats.median : 0;
}

static int run_latency(const struct mxt_probe_opts *o, const struct mode_params *mp,
                       const struct mxt_harness *h, size_t max_bytes, struct mxt_curve *lat) {
    struct mxt_sweep_opts so = {
        .min_bytes = 4096,
        .max_bytes = max_bytes,
        .points_per_octave = mp->ppo,
        .refine_ratio = 1.35,
        .refine_depth = mp->refine_depth,
        .stop_on_plateau = mp->stop_on_plateau,
        .harness = h,
        .progress = o->progress,
        .progress_ctx = o->progress_ctx,
    };
    return mxt_latency_sweep(&so, lat);
}

/* Median of the read-bandwidth curve over sizes in (lo, hi]. */
static double curve_median_between(const struct mxt_curve *c, double lo, double hi) {
    double v[MXT_CURVE_MAX];
    int n = 0;
    for (int i = 0; i < c->n; i++)
        if (c->x[i] > lo && c->x[i] <= hi) v[n++] = c->y[i];
    if (n == 0) return 0;
    struct mxt_stats s;
    mxt_stats_compute(v, n, &s);
    return s.median;
}

static const struct mxt_prior *find_prior(const struct mxt_machine *m, int level, int *idx,
                                          int from) {
    for (int i = from; i < m->n_priors; i++) {
        const char *w = m->priors[i].what;
        int lv = 0;
        char rest[24] = "";
        if (sscanf(w, "L%d%23[^\n]", &lv, rest) != 2 || lv != level) continue;
        if (strcmp(rest, " size") != 0 && strcmp(rest, "d size") != 0) continue;
        *idx = i;
        return &m->priors[i];
    }
    return NULL;
}

/* Compare what the OS/CPUID reported with what was measured; reject what the
 * measurement contradicts, with the reason. */
static void reconcile_priors(struct mxt_machine *m, const struct mxt_levels *lv, size_t sweep_max) {
    uint64_t last_edge = 0;
    for (int k = 0; k < lv->n_cache; k++) {
        uint64_t e = lv->level[k].edge_bytes;
        if (k == lv->n_cache - 1 && k > 0 && !strcmp(m->vendor, "AuthenticAMD"))
            e += lv->level[k - 1].nominal_bytes; /* exclusive LLC: the curve's edge */
        if (e > last_edge) last_edge = e;
    }
    for (int level = 1; level <= MXT_MAX_LEVELS; level++) {
        int i = -1;
        for (const struct mxt_prior *p = find_prior(m, level, &i, 0); p;
             p = find_prior(m, level, &i, i + 1)) {
            struct mxt_prior *q = &m->priors[i];
            char rep[32], meas[32], why[MXT_NOTE_LEN];
            mxt_format_bytes(q->value, rep, sizeof rep);
            if (level <= lv->n_cache && lv->level[level - 1].nominal_bytes) {
                uint64_t nom = lv->level[level - 1].nominal_bytes;
                double rel = fabs((double)q->value - (double)nom) / (double)nom;
                mxt_format_bytes(nom, meas, sizeof meas);
                if (rel <= 0.15) continue;
                if (q->value > 2 * last_edge && q->value > sweep_max / 2) {
                    mxt_format_bytes(last_edge, meas, sizeof meas);
                    snprintf(why, sizeof why,
                             "larger than any measured plateau: the last cache ends near %s%s%.90s",
                             meas, q->why[0] ? "; " : "", q->why);
                } else {
                    snprintf(why, sizeof why, "measured %s (%.0f %% off)", meas, rel * 100);
                }
                mxt_strlcpy(q->why, why, sizeof q->why);
                q->used = 0;
                mxt_machine_warn(m, "L%d: %s reported %s, measured %s", level,
                                 mxt_provenance_name(q->source), rep, meas);
            } else if (level > lv->n_cache) {
                if (q->value > 2 * last_edge && q->value <= sweep_max / 2) {
                    snprintf(why, sizeof why,
                             "no such level in the latency curve up to %zu MiB%s%.90s",
                             sweep_max >> 20, q->why[0] ? "; " : "", q->why);
                    mxt_strlcpy(q->why, why, sizeof q->why);
                    q->used = 0;
                } else if (q->value > sweep_max / 2) {
                    mxt_format_bytes(last_edge, meas, sizeof meas);
                    snprintf(why, sizeof why,
                             "larger than any measured plateau: the last cache ends near %s%s%.90s",
                             meas, q->why[0] ? "; " : "", q->why);
                    mxt_strlcpy(q->why, why, sizeof q->why);
                    q->used = 0;
                }
            }
        }
    }
}

/* How many measured levels disagree by more than 15 % with a size the OS or
 * CPUID reported and the priors did not reject (another program on the same
 * core -- a hyperthread sibling of this vCPU -- can take part of L1 or L2 for a
 * moment): a reason to sweep once more. */
static int disagrees_with_priors(const struct mxt_machine *m, const struct mxt_levels *lv) {
    int n = 0;
    for (int k = 0; k < lv->n_cache && k < 2; k++) {
        const struct mxt_cache *p = mxt_machine_cache(m, k + 1);
        if (!p || p->confidence <= 0 || !p->size_bytes || !lv->level[k].nominal_bytes) continue;
        double rel = fabs((double)lv->level[k].nominal_bytes - (double)p->size_bytes) /
                     (double)p->size_bytes;
        if (rel > 0.15) n++;
    }
    return n;
}

/* Warnings of the priors that the measurement has answered ("every reported
 * size was rejected ... measure it") are dropped once the level is measured. */
static void drop_settled_warnings(struct mxt_machine *m) {
    int k = 0;
    for (int i = 0; i < m->n_warnings; i++) {
        int level = 0;
        if (sscanf(m->warnings[i], "L%d: every reported size was rejected", &level) == 1 &&
            strstr(m->warnings[i], "measure it") && mxt_machine_cache(m, level))
            continue;
        if (k != i) memcpy(m->warnings[k], m->warnings[i], sizeof m->warnings[0]);
        k++;
    }
    m->n_warnings = k;
}

/* Fill m->caches from the detected levels, keeping prior-only fields. */
static void fill_caches(struct mxt_machine *m, const struct mxt_levels *lv,
                        const struct mxt_curve *bw, int line, int l1_ways, double ghz) {
    struct mxt_cache prior[MXT_MAX_LEVELS];
    int n_prior = m->n_caches;
    memcpy(prior, m->caches, sizeof prior);
    m->n_caches = 0;
    double lo = 0;
    for (int k = 0; k < lv->n_cache && k < MXT_MAX_LEVELS; k++) {
        const struct mxt_level *L = &lv->level[k];
        struct mxt_cache *c = &m->caches[m->n_caches++];
        const struct mxt_cache *p = k < n_prior ? &prior[k] : NULL;
        memset(c, 0, sizeof *c);
        c->level = k + 1;
        c->type = k == 0 ? MXT_CACHE_DATA : MXT_CACHE_UNIFIED;
        c->size_bytes = L->nominal_bytes ? L->nominal_bytes : L->edge_bytes;
        c->usable_bytes = L->usable_bytes < c->size_bytes ? L->usable_bytes : c->size_bytes;
        c->latency_ns = L->plateau_ns;
        c->latency_cycles = L->plateau_ns * ghz;
        c->line_bytes = line ? line : (p && p->line_bytes ? p->line_bytes : 64);
        c->ways = (k == 0 && l1_ways) ? l1_ways : (p && p->ways > 0 ? p->ways : (k == 0 ? 8 : 16));
        c->shared_by = p && p->shared_by ? p->shared_by : (k == lv->n_cache - 1 ? m->cores : 1);
        c->provenance = MXT_PROV_MEASURED;
        c->confidence = L->confidence;
        /* Read bandwidth: the bandwidth curve between the level above and half this level. */
        double hi = (double)c->usable_bytes / 2;
        c->bw_read_GBps = curve_median_between(bw, lo, hi > lo ? hi : (double)c->size_bytes);
        lo = (double)c->size_bytes * 1.5;
    }
}

static int dram_bandwidth(const struct mxt_harness *h, const struct mode_params *mp, size_t bytes,
                          int threads, struct mxt_machine *m, struct mxt_probe_curves *cv,
                          int row) {
    struct mxt_bw_sample s;
    int rc;
    const enum mxt_bw_kernel ks[4] = {MXT_BW_READ, MXT_BW_TRIAD, MXT_BW_COPY, MXT_BW_WRITE};
    double *dst1[4] = {&m->dram.read_1t, &m->dram.triad_1t, &m->dram.copy_1t, NULL};
    double *dstA[4] = {&m->dram.read_all, &m->dram.triad_all, &m->dram.copy_all, NULL};
    const int col[4] = {0, 3, 2, 1}; /* load, store, copy, triad columns of level_bw */
    for (int i = 0; i < mp->dram_kernels && i < 4; i++) {
        for (int t = 0; t < 2; t++) {
            int nt = t == 0 ? 1 : threads;
            if (t == 1 && threads == 1) {
                if (dstA[i]) *dstA[i] = *dst1[i];
                cv->level_bw[row][col[i]][1] = cv->level_bw[row][col[i]][0];
                continue;
            }
            if ((rc = mxt_bandwidth(h, ks[i], bytes, nt, &s))) return rc;
            if (t == 1 && s.best_GBps < 0.9 * cv->level_bw[row][col[i]][0]) {
                /* All threads below one: another program on a core; once more, longer. */
                struct mxt_harness h2 = *h;
                h2.min_sample_s *= 2;
                h2.max_total_s *= 3;
                struct mxt_bw_sample s2;
                if ((rc = mxt_bandwidth(&h2, ks[i], bytes, nt, &s2))) return rc;
                if (s2.best_GBps > s.best_GBps) s = s2;
            }
            double *d = t == 0 ? dst1[i] : dstA[i];
            if (d) *d = s.best_GBps;
            cv->level_bw[row][col[i]][t] = s.best_GBps;
        }
    }
    m->dram.provenance = MXT_PROV_MEASURED;
    return 0;
}

static int level_bandwidths(const struct mxt_harness *h, const struct mxt_machine *m, int threads,
                            int kernels, struct mxt_probe_curves *cv) {
    /* Columns of level_bw: load, store, copy, triad; the first `kernels` of this order. */
    const enum mxt_bw_kernel ks[4] = {MXT_BW_READ, MXT_BW_TRIAD, MXT_BW_COPY, MXT_BW_WRITE};
    const int col[4] = {0, 3, 2, 1};
    for (int k = 0; k < m->n_caches; k++) {
        size_t bytes = m->caches[k].usable_bytes / 2;
        for (int i = 0; i < kernels && i < 4; i++)
            for (int t = 0; t < 2; t++) {
                int nt = t == 0 ? 1 : threads;
                /* Private levels: each thread its own half-level; shared: split it. */
                size_t total = (t == 1 && m->caches[k].shared_by == 1) ? bytes * (size_t)nt : bytes;
                struct mxt_bw_sample s;
                int rc = mxt_bandwidth(h, ks[i], total, nt, &s);
                if (rc) return rc;
                if (t == 1 && s.best_GBps < 0.9 * cv->level_bw[k][col[i]][0]) {
                    struct mxt_harness h2 = *h;
                    h2.min_sample_s *= 4;
                    h2.max_total_s *= 3;
                    struct mxt_bw_sample s2;
                    if ((rc = mxt_bandwidth(&h2, ks[i], total, nt, &s2))) return rc;
                    if (s2.best_GBps > s.best_GBps) s = s2;
                }
                cv->level_bw[k][col[i]][t] = s.best_GBps;
            }
    }
    return 0;
}

/* The compute part of the profile. Vector code may run at a lower clock than
 * the scalar chain (AVX frequency offsets): the true FMA issues per cycle are
 * then at least what the scalar clock suggests, so round up, and estimate the
 * vector clock from the peak. */
static void fill_compute(struct mxt_machine *m, const struct mxt_flops_result *fr, double ghz) {
    double lanes = fr->widest_bits / 32.0;
    double raw = fr->f32_1t / (lanes * 2.0 * ghz);
    int per_cycle = (int)ceil(raw * 0.97);
    if (per_cycle < 1) per_cycle = 1;
    double vclock = fr->f32_1t / (lanes * 2.0 * per_cycle);
    if (vclock < 0.93 * ghz)
        mxt_machine_warn(m,
                         "vector code runs at about %.2f GHz, %.0f %% below the %.2f GHz of "
                         "scalar code (an AVX frequency offset), if %d FMA issues per cycle",
                         vclock, 100 * (1 - vclock / ghz), ghz, per_cycle);
    else
        vclock = ghz;
    struct mxt_compute *c = &m->compute;
    c->clock_ghz = ghz;
    c->fma_latency_cycles = fr->fma_latency_ns * vclock;
    c->fma_per_cycle = per_cycle;
    c->vector_bits = fr->widest_bits;
    c->vector_registers = fr->widest_bits == 512 ? 32 : 16;
    c->f32_1t = fr->f32_1t;
    c->f64_1t = fr->f64_1t;
    c->f32_all = fr->f32_all;
    c->f64_all = fr->f64_all;
    for (int w = 0; w < 3; w++)
        for (int d = 0; d < 2; d++)
            c->width_1t[w][d] = fr->per_width[w][d];
    c->provenance = MXT_PROV_MEASURED;
}

/* More threads must not be slower than one on throughput: say so when they were
 * (after one re-measurement): another program was running on the cores. */
static void all_thread_checks(struct mxt_machine *m, const struct mxt_probe_curves *cv,
                              int threads) {
    if (threads < 2) return;
    const struct mxt_compute *c = &m->compute;
    const struct mxt_dram *d = &m->dram;
    if (c->f32_all > 0 && c->f32_all < 0.9 * c->f32_1t)
        mxt_machine_warn(m,
                         "f32 peak on all threads (%.1f GFLOP/s) below one core's (%.1f): "
                         "other work was running on the cores",
                         c->f32_all, c->f32_1t);
    if (c->f64_all > 0 && c->f64_all < 0.9 * c->f64_1t)
        mxt_machine_warn(m,
                         "f64 peak on all threads (%.1f GFLOP/s) below one core's (%.1f): "
                         "other work was running on the cores",
                         c->f64_all, c->f64_1t);
    if (d->read_all > 0 && d->read_all < 0.9 * d->read_1t)
        mxt_machine_warn(m,
                         "DRAM read on all threads (%.1f GB/s) below one thread's (%.1f): "
                         "other work was running on the cores",
                         d->read_all, d->read_1t);
    for (int k = 0; k < cv->n_levels - 1; k++)
        if (cv->level_bw[k][0][1] > 0 && cv->level_bw[k][0][1] < 0.9 * cv->level_bw[k][0][0])
            mxt_machine_warn(m, "L%d load on all threads (%.1f GB/s) below one thread's (%.1f)",
                             k + 1, cv->level_bw[k][0][1], cv->level_bw[k][0][0]);
}

int mxt_probe_identify(const char *sysfs_root, struct mxt_machine *m) {
    struct mxt_priors pr;
    mxt_machine_init(m);
    int rc = mxt_priors_collect(sysfs_root, &pr);
    if (rc) return rc;
    mxt_priors_apply(&pr, m);
    return 0;
}

int mxt_probe_run(const struct mxt_probe_opts *o, struct mxt_machine *m,
                  struct mxt_probe_curves *curves) {
    static struct mxt_probe_curves scratch;
    struct mxt_probe_curves *cv = curves ? curves : &scratch;
    memset(cv, 0, sizeof *cv);
    const struct mode_params *mp = &modes[o->mode];
    double t_start = mxt_clock_monotonic(NULL);
    int rc;
    struct mxt_priors pr;

    /* 1. Environment and priors. */
    say(o, "priors", 0);
    mxt_machine_init(m);
    if ((rc = mxt_priors_collect(o->sysfs_root, &pr))) return rc;
    mxt_priors_apply(&pr, m);
    int threads = m->cores * (m->threads_per_core > 0 ? m->threads_per_core : 1);
    if (threads > 256) threads = 256;
    size_t sweep_max = o->max_sweep_bytes ? o->max_sweep_bytes : mp->sweep_max;
    if (pr.mem_available && sweep_max > pr.mem_available / 4) {
        size_t cap = (size_t)(pr.mem_available / 4);
        mxt_machine_warn(m, "latency sweep capped at %zu MiB (25 %% of the %llu MiB available)",
                         cap >> 20, (unsigned long long)(pr.mem_available >> 20));
        sweep_max = cap;
    }
    if (o->max_sweep_bytes && o->max_sweep_bytes < mp->sweep_max)
        mxt_machine_warn(m, "latency sweep capped at %zu MiB by --max-memory", sweep_max >> 20);
    if (sweep_max < ((size_t)1 << 20)) sweep_max = (size_t)1 << 20;
    if (strcmp(pr.thp, "never") == 0)
        mxt_machine_warn(m, "transparent huge pages are off: latencies include TLB misses");

    struct mxt_harness h;
    mxt_harness_defaults(&h);
    h.min_sample_s = mp->min_sample_s;
    h.max_total_s = mp->max_total_s;
    h.repeats = mp->repeats;

    /* 2. Timer and clock, after a short busy spell: a core that was idle may
     * still be at a low clock, which a quick probe would otherwise measure
     * (seen on the Xeon test machine: the L2 plateau drifting 9 -> 6 ns). */
    say(o, "clock", 0);
    {
        volatile double x = 1.0;
        double until = mxt_clock_monotonic(NULL) + (o->mode == MXT_PROBE_QUICK ? 0.1 : 0.3);
        while (mxt_clock_monotonic(NULL) < until && !mxt_interrupted)
            noise_kernel((void *)&x, 100000);
    }
    m->compute.tsc_ghz = tsc_ghz();
    if ((rc = mxt_clock_probe(&h, &cv->clock_before_ghz))) return rc;
    double ghz = cv->clock_before_ghz;

    /* 3. Noise sets the repetitions of the later phases. */
    cv->noise_cv = measure_noise(&h);
    if (cv->noise_cv > 0.05) h.repeats = mp->repeats + 2;

    /* 4. Peak FLOP/s. */
    say(o, "peak FLOP/s", 0);
    struct mxt_flops_result fr;
    struct mxt_harness hf = h;
    hf.min_sample_s = h.min_sample_s / 2;
    hf.repeats = h.repeats > 3 ? (h.repeats + 1) / 2 : h.repeats;
    rc = mxt_flops_probe(&hf, threads, ghz, &fr);
    int have_flops = rc == 0;
    if (rc == 0) {
        for (int i = 0; i < 3; i++)
            if (fr.per_width[i][0] > 0) mxt_curve_add(&cv->fma, 128 << i, fr.per_width[i][0]);
    } else if (rc == MXT_EINTR) {
        return rc;
    } else {
        mxt_machine_warn(m, "peak FLOP/s not measured: %s", mxt_last_error());
    }

    /* 5-6. Latency sweep and levels. */
    say(o, "latency sweep", 0);
    if ((rc = run_latency(o, mp, &h, sweep_max, &cv->latency))) return rc;
    int exclusive = strcmp(m->vendor, "AuthenticAMD") == 0;
    struct mxt_levels lv;
    rc = mxt_levels_detect(&cv->latency, exclusive, &lv);
    if (rc == 0 && lv.n_cache >= 1) {
        double l1c = lv.level[0].plateau_ns * ghz;
        if (l1c < 3 || l1c > 6 || disagrees_with_priors(m, &lv)) rc = MXT_EMEASURE;
    }
    if (rc) { /* self-check failed: once more with more repetitions */
        say(o, "latency sweep (again)", 0);
        struct mxt_harness h2 = h;
        h2.repeats = h.repeats * 2 + 1;
        struct mxt_curve *first = malloc(sizeof *first);
        if (first) *first = cv->latency;
        struct mxt_levels lv1 = lv;
        int rc1 = rc;
        if ((rc = run_latency(o, mp, &h2, sweep_max, &cv->latency))) {
            free(first);
            return rc;
        }
        rc = mxt_levels_detect(&cv->latency, exclusive, &lv);
        /* Keep the second sweep unless the first one detected levels and the
         * second agrees worse with the surviving priors. */
        if (first && (rc || (rc1 == MXT_EMEASURE && lv1.n_cache >= 1 &&
                             disagrees_with_priors(m, &lv) > disagrees_with_priors(m, &lv1) &&
                             !disagrees_with_priors(m, &lv1)))) {
            cv->latency = *first;
            lv = lv1;
            rc = 0;
        }
        free(first);
        if (rc) return rc;
        for (int k = 0; k < lv.n_cache; k++)
            lv.level[k].confidence *= 0.7;
        double l1c = lv.level[0].plateau_ns * ghz;
        if (l1c < 3 || l1c > 6)
            mxt_machine_warn(m, "L1 latency %.1f cycles is outside the 3-6 expected on x86", l1c);
    }
    if (lv.n_cache < 1) return mxt_error(MXT_EMEASURE, "the latency curve shows no cache level");
    if (!lv.dram_ns)
        mxt_machine_warn(m, "the latency sweep (to %zu MiB) never left the last cache",
                         sweep_max >> 20);

    /* 7. Line size and L1 ways. */
    say(o, "line size and L1 ways", 0);
    int line = 0, ways = 0;
    size_t l1 = lv.level[0].nominal_bytes ? lv.level[0].nominal_bytes : 32768;
    size_t region = 8 * l1;
    if (lv.n_cache >= 2 && region > lv.level[1].usable_bytes / 2)
        region = lv.level[1].usable_bytes / 2;
    struct mxt_harness hl = h;
    hl.min_sample_s = h.min_sample_s / 4;
    hl.repeats = 3;
    if ((rc = mxt_line_size_probe(&hl, region & ~(size_t)255, &line, &cv->line))) return rc;
    if ((rc = mxt_l1_ways_probe(&hl, 4096, &ways, &cv->ways))) return rc;
    if (!line) mxt_machine_warn(m, "line size: no contrast in the paired-access test; assumed 64");
    if (ways && l1 % ((size_t)ways * 4096) != 0)
        mxt_machine_warn(m, "L1: %d ways x 4 KiB does not divide the measured %zu KiB", ways,
                         l1 >> 10);

    /* 8. Bandwidth: read sweep, per level, DRAM. */
    say(o, "bandwidth", 0);
    size_t last = lv.level[lv.n_cache - 1].edge_bytes;
    if (exclusive && lv.n_cache >= 2) last += lv.level[lv.n_cache - 2].nominal_bytes;
    size_t bw_max = 2 * last < sweep_max ? 2 * last : sweep_max;
    struct mxt_harness hb = h;
    hb.max_total_s = h.max_total_s / 2;
    if ((rc = mxt_bandwidth_sweep(&hb, 16384, bw_max, mp->bw_ppo, &cv->bandwidth))) return rc;
    fill_caches(m, &lv, &cv->bandwidth, line, ways, ghz);
    reconcile_priors(m, &lv, sweep_max);
    drop_settled_warnings(m);
    cv->n_levels = m->n_caches + 1;
    if (mp->per_level_bw && (rc = level_bandwidths(&hb, m, threads, mp->per_level_bw, cv)))
        return rc;
    size_t dram_bytes = 4 * last * 3; /* three arrays, each at least 4x the last level */
    if (dram_bytes < ((size_t)96 << 20)) dram_bytes = (size_t)96 << 20;
    if (pr.mem_available && dram_bytes > pr.mem_available / 4) dram_bytes = pr.mem_available / 4;
    say(o, "DRAM bandwidth", 0);
    struct mxt_harness hd = h;
    hd.min_sample_s = 0.02;
    hd.max_total_s = o->mode == MXT_PROBE_QUICK ? 0.1 : o->mode == MXT_PROBE_THOROUGH ? 1.0 : 0.3;
    if ((rc = dram_bandwidth(&hd, mp, dram_bytes, threads, m, cv, m->n_caches))) return rc;
    m->dram.latency_ns = lv.dram_ns;

    /* 9. Self-checks. The clock is the higher of the two readings: a reading
     * can only be lowered by another program taking the core. */
    if ((rc = mxt_clock_probe(&h, &cv->clock_after_ghz))) return rc;
    double drift = fabs(cv->clock_after_ghz - cv->clock_before_ghz) / cv->clock_before_ghz;
    if (drift > 0.05)
        mxt_machine_warn(m, "core clock drifted %.0f %% during the probe (%.2f -> %.2f GHz)",
                         drift * 100, cv->clock_before_ghz, cv->clock_after_ghz);
    double clock = cv->clock_after_ghz > ghz ? cv->clock_after_ghz : ghz;
    for (int k = 0; k < m->n_caches; k++)
        m->caches[k].latency_cycles = m->caches[k].latency_ns * clock;
    if (have_flops) fill_compute(m, &fr, clock);
    if (m->dram.latency_ns > 0 && m->dram.read_1t > 0) {
        double mlp = m->dram.read_1t * m->dram.latency_ns / 64.0;
        if (mlp < 2 || mlp > 100)
            mxt_machine_warn(m,
                             "DRAM: one thread's bandwidth implies %.0f lines in flight: "
                             "latency or bandwidth is off",
                             mlp);
    }
    all_thread_checks(m, cv, threads);
    if (cv->noise_cv > 0.1)
        mxt_machine_warn(m, "noisy machine: timing spread %.0f %% on an L1 loop",
                         cv->noise_cv * 100);
    cv->seconds = mxt_clock_monotonic(NULL) - t_start;
    say(o, "done", 1);
    return 0;
}
