/* The one kernel-timing method of mxtune (tuner/): operands once per problem, warm-up,
 * repeat to a minimum time and count, median and spread, optional cache flush, the
 * cut-off, and the check against a higher-precision reference. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mxtune/gemm.h"
#include "tuner_internal.h"

#define CHECK_MAX MXT_MEASURE_CHECK_MAX

struct mxt_gemm_bench {
    enum mxt_dtype dt;
    int64_t m, n, k;
    void *a, *b, *c; /* column-major: A m x k, B k x n, C m x n */
    int nrows, ncols;
    int64_t rows[CHECK_MAX], cols[CHECK_MAX];
    long double ref[CHECK_MAX * CHECK_MAX];    /* sum a_ip b_pj */
    long double absref[CHECK_MAX * CHECK_MAX]; /* sum |a_ip| |b_pj| */
    struct mxt_flusher flush;
    const struct mxt_clock *clock;
};

void mxt_measure_defaults(struct mxt_measure_opts *o) {
    memset(o, 0, sizeof *o);
    o->min_time_s = 0.1;
    o->min_runs = 5;
    o->max_runs = 1000;
    o->warmup = 1;
    o->flush = 0;
    o->flush_bytes = (size_t)64 << 20;
    o->cutoff_s = 0;
    o->check = 1;
}

void mxt_tuner_kernel_config(const struct mxt_config *cfg, struct mxt_config *out) {
    mxt_gemm_config_from_model(cfg, out);
}

int mxt_tuner_align_nkm(struct mxt_config *cfg) {
    if (cfg->schedule != MXT_SCHED_CAKE_NKM || cfg->mr < 1 || cfg->nr < 1) return 0;
    int64_t a = cfg->mr, b = cfg->nr;
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    const int64_t l = (int64_t)cfg->mr / a * cfg->nr;
    int changed = 0;
    if (cfg->mc % l) {
        cfg->mc += l - cfg->mc % l;
        changed = 1;
    }
    if (cfg->nc % l) {
        cfg->nc += l - cfg->nc % l;
        changed = 1;
    }
    return changed;
}

double mxt_gemm_bench_bytes(enum mxt_dtype dt, int64_t m, int64_t n, int64_t k) {
    double s = mxt_dtype_size(dt);
    /* A, B, C and the CAKE schedules' packed copies of A and B */
    return s * ((double)m * k + (double)k * n + (double)m * n) + s * (double)(m + n) * k;
}

uint64_t mxt_measure_rand(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
double mxt_measure_uniform(uint64_t *x) {
    return (double)(mxt_measure_rand(x) >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}
void *mxt_measure_alloc(size_t elems, size_t esz) {
    size_t bytes = elems * esz;
    bytes = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, bytes ? bytes : 64);
}

void mxt_measure_fill(void *p, enum mxt_dtype dt, size_t n, uint64_t *rng) {
    if (dt == MXT_F32) {
        float *f = p;
        for (size_t i = 0; i < n; i++)
            f[i] = (float)mxt_measure_uniform(rng);
    } else {
        double *d = p;
        for (size_t i = 0; i < n; i++)
            d[i] = mxt_measure_uniform(rng);
    }
}

static long double elem(const void *p, enum mxt_dtype dt, int64_t i) {
    return dt == MXT_F32 ? (long double)((const float *)p)[i] : (long double)((const double *)p)[i];
}

/* Reference for the checked entries: double accumulation for f32 (exact
 * products of floats, 53-bit sums), long double for f64. */
static void reference(struct mxt_gemm_bench *b) {
    for (int r = 0; r < b->nrows; r++) {
        for (int q = 0; q < b->ncols; q++) {
            int64_t i = b->rows[r], j = b->cols[q];
            if (b->dt == MXT_F32) {
                const float *A = b->a, *B = b->b;
                double s = 0, sa = 0;
                for (int64_t p = 0; p < b->k; p++) {
                    double x = (double)A[i + p * b->m] * (double)B[p + j * b->k];
                    s += x;
                    sa += fabs(x);
                }
                b->ref[r * CHECK_MAX + q] = s;
                b->absref[r * CHECK_MAX + q] = sa;
            } else {
                const double *A = b->a, *B = b->b;
                long double s = 0, sa = 0;
                for (int64_t p = 0; p < b->k; p++) {
                    long double x = (long double)A[i + p * b->m] * (long double)B[p + j * b->k];
                    s += x;
                    sa += fabsl(x);
                }
                b->ref[r * CHECK_MAX + q] = s;
                b->absref[r * CHECK_MAX + q] = sa;
            }
        }
    }
}

/* Up to CHECK_MAX distinct indices in [0, n): all of them when n is small,
 * else the first, the last and random ones in between. */
int mxt_measure_pick_indices(int64_t n, int64_t *out, uint64_t *rng) {
    if (n <= CHECK_MAX) {
        for (int64_t i = 0; i < n; i++)
            out[i] = i;
        return (int)n;
    }
    int cnt = 0;
    out[cnt++] = 0;
    out[cnt++] = n - 1;
    while (cnt < CHECK_MAX) {
        int64_t v = (int64_t)(mxt_measure_rand(rng) % (uint64_t)n);
        int dup = 0;
        for (int i = 0; i < cnt; i++)
            dup |= out[i] == v;
        if (!dup) out[cnt++] = v;
    }
    return cnt;
}

double mxt_measure_phys_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : 0;
}

int mxt_gemm_bench_create(enum mxt_dtype dt, int64_t m, int64_t n, int64_t k, uint64_t seed,
                          struct mxt_gemm_bench **out) {
    *out = NULL;
    if (m < 1 || n < 1 || k < 1)
        return mxt_error(MXT_EINVAL, "sizes must be positive (M=%lld N=%lld K=%lld)", (long long)m,
                         (long long)n, (long long)k);
    if (dt != MXT_F32 && dt != MXT_F64) return mxt_error(MXT_EINVAL, "unknown dtype %d", (int)dt);
    const double need = mxt_gemm_bench_bytes(dt, m, n, k), phys = mxt_measure_phys_bytes();
    const size_t esz = (size_t)mxt_dtype_size(dt);
    if (need > 0x1p62 || (phys > 0 && need > 0.8 * phys))
        return mxt_error(MXT_ENOMEM,
                         "cannot allocate %s GEMM %lldx%lldx%lld: needs %.3g GiB for A, B, C and "
                         "packing, this machine has %.3g GiB",
                         mxt_dtype_name(dt), (long long)m, (long long)n, (long long)k,
                         need / 0x1p30, phys / 0x1p30);
    struct mxt_gemm_bench *b = calloc(1, sizeof *b);
    if (!b) return mxt_error(MXT_ENOMEM, "out of memory");
    b->dt = dt;
    b->m = m;
    b->n = n;
    b->k = k;
    b->clock = &mxt_clock_default;
    b->a = mxt_measure_alloc((size_t)m * (size_t)k, esz);
    b->b = mxt_measure_alloc((size_t)k * (size_t)n, esz);
    b->c = mxt_measure_alloc((size_t)m * (size_t)n, esz);
    if (!b->a || !b->b || !b->c) {
        mxt_gemm_bench_destroy(b);
        return mxt_error(MXT_ENOMEM, "cannot allocate %s GEMM %lldx%lldx%lld (%.3g GiB)",
                         mxt_dtype_name(dt), (long long)m, (long long)n, (long long)k,
                         need / 0x1p30);
    }
    uint64_t rng = seed ^ 0x6d78747567656d6dull; /* "mxtugemm" */
    mxt_measure_fill(b->a, dt, (size_t)m * (size_t)k, &rng);
    mxt_measure_fill(b->b, dt, (size_t)k * (size_t)n, &rng);
    memset(b->c, 0, (size_t)m * (size_t)n * esz);
    b->nrows = mxt_measure_pick_indices(m, b->rows, &rng);
    b->ncols = mxt_measure_pick_indices(n, b->cols, &rng);
    reference(b);
    *out = b;
    return 0;
}

void mxt_gemm_bench_destroy(struct mxt_gemm_bench *b) {
    if (!b) return;
    free(b->a);
    free(b->b);
    free(b->c);
    mxt_flusher_release(&b->flush);
    free(b);
}

void mxt_gemm_bench_set_clock(struct mxt_gemm_bench *b, const struct mxt_clock *clock) {
    b->clock = clock ? clock : &mxt_clock_default;
}

static int run_once(const struct mxt_gemm_bench *b, const struct mxt_config *kcfg) {
    if (b->dt == MXT_F32)
        return mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, b->m, b->n, b->k, 1.0f, b->a,
                            b->m, b->b, b->k, 0.0f, b->c, b->m, kcfg);
    return mxt_dgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, b->m, b->n, b->k, 1.0, b->a,
                        b->m, b->b, b->k, 0.0, b->c, b->m, kcfg);
}

/* Write then read a buffer larger than the last-level cache. */
static int flush_caches(struct mxt_flusher *f, size_t bytes) {
    if (!f->buf || f->bytes != bytes) {
        free(f->buf);
        f->buf = malloc(bytes);
        f->bytes = f->buf ? bytes : 0;
        if (!f->buf) return mxt_error(MXT_ENOMEM, "cannot allocate the cache-flush buffer");
    }
    unsigned char acc = 0;
    for (size_t i = 0; i < bytes; i += 64)
        f->buf[i] = (unsigned char)(f->buf[i] + 1);
    for (size_t i = 0; i < bytes; i += 64)
        acc ^= f->buf[i];
    f->sink = acc; /* volatile: the reads cannot be dropped */
    return 0;
}

void mxt_flusher_release(struct mxt_flusher *f) {
    free(f->buf);
    f->buf = NULL;
    f->bytes = 0;
}

/* Fill C with NaN so that an entry the kernel never writes fails the check. */
static void poison(struct mxt_gemm_bench *b) {
    size_t n = (size_t)b->m * (size_t)b->n;
    if (b->dt == MXT_F32) {
        float *c = b->c;
        for (size_t i = 0; i < n; i++)
            c[i] = NAN;
    } else {
        double *c = b->c;
        for (size_t i = 0; i < n; i++)
            c[i] = NAN;
    }
}

static void check_result(const struct mxt_gemm_bench *b, struct mxt_measure_result *out) {
    const double u = b->dt == MXT_F32 ? 0x1p-24 : 0x1p-53;
    double worst = 0;
    for (int r = 0; r < b->nrows; r++) {
        for (int q = 0; q < b->ncols; q++) {
            int64_t i = b->rows[r], j = b->cols[q];
            long double c = elem(b->c, b->dt, i + j * b->m);
            long double d = fabsl(c - b->ref[r * CHECK_MAX + q]);
            long double scale = b->absref[r * CHECK_MAX + q];
            double e;
            if (!isfinite((double)c))
                e = INFINITY;
            else
                e = scale > 0 ? (double)(d / scale) : (d > 0 ? INFINITY : 0);
            if (!(e <= worst)) worst = e; /* NaN-safe: NaN becomes the worst */
        }
    }
    out->checked = b->nrows * b->ncols;
    out->max_rel_error = worst;
    out->error_bound = MXT_MEASURE_BOUND_C * (double)b->k * u;
    out->within_bound = worst <= out->error_bound;
}

int mxt_measure_runs(const struct mxt_clock *clk, struct mxt_flusher *fl,
                     const struct mxt_measure_opts *o, int (*run)(void *ctx), void *ctx,
                     struct mxt_measure_result *out) {
    const int max_runs = o->max_runs > 0 ? o->max_runs : 1000;
    double *t = malloc((size_t)max_runs * sizeof *t);
    if (!t) return mxt_error(MXT_ENOMEM, "out of memory");
    int n = 0, rc = 0;
    double first = 0;
    for (int w = 0; w < o->warmup; w++) {
        if (mxt_interrupted) {
            rc = mxt_error(MXT_EINTR, "interrupted");
            goto done;
        }
        double t0 = mxt_clock_now(clk);
        if ((rc = run(ctx))) goto done;
        first = mxt_clock_now(clk) - t0;
        /* a warm-up already slower than the cut-off settles it: one run */
        if (o->cutoff_s > 0 && first > o->cutoff_s) {
            t[n++] = first;
            out->cut_off = 1;
            break;
        }
    }
    double total = 0, best = INFINITY;
    while (!out->cut_off && n < max_runs) {
        if (mxt_interrupted) {
            rc = mxt_error(MXT_EINTR, "interrupted");
            goto done;
        }
        if (o->flush && (rc = flush_caches(fl, o->flush_bytes ? o->flush_bytes : (64u << 20))))
            goto done;
        double t0 = mxt_clock_now(clk);
        if ((rc = run(ctx))) goto done;
        double dt = mxt_clock_now(clk) - t0;
        t[n++] = dt;
        total += dt;
        if (dt < best) best = dt;
        if (o->cutoff_s > 0 && best > o->cutoff_s) {
            out->cut_off = 1;
            break;
        }
        if (n >= o->min_runs && total >= o->min_time_s) break;
    }
    if (n == 0) {
        rc = mxt_error(MXT_EMEASURE, "no timed run (max_runs = %d)", max_runs);
        goto done;
    }
    struct mxt_stats st;
    mxt_stats_compute(t, n, &st);
    if (!(st.min > 0)) {
        rc = mxt_error(MXT_EMEASURE, "the clock did not advance during a kernel call");
        goto done;
    }
    out->median_s = st.median;
    out->min_s = st.min;
    out->q20_s = st.p20;
    out->q80_s = st.p80;
    out->runs = n;
done:
    free(t);
    return rc;
}

struct gemm_run {
    const struct mxt_gemm_bench *b;
    const struct mxt_config *kcfg;
};

static int gemm_run(void *ctx) {
    const struct gemm_run *g = ctx;
    return run_once(g->b, g->kcfg);
}

int mxt_measure_kernel_config(enum mxt_dtype dt, const struct mxt_config *cfg,
                              struct mxt_config *kcfg) {
    mxt_tuner_kernel_config(cfg, kcfg);
    return mxt_gemm_check_config(dt, kcfg);
}

const struct mxt_measure_opts *mxt_measure_begin(const struct mxt_measure_opts *o,
                                                 struct mxt_measure_opts *def,
                                                 struct mxt_measure_result *out) {
    if (!o) {
        mxt_measure_defaults(def);
        o = def;
    }
    memset(out, 0, sizeof *out);
    out->within_bound = 1;
    return o;
}

int mxt_gemm_bench_measure(void *bench, const struct mxt_config *cfg,
                           const struct mxt_measure_opts *o, struct mxt_measure_result *out) {
    struct mxt_gemm_bench *b = bench;
    struct mxt_measure_opts def;
    o = mxt_measure_begin(o, &def, out);
    struct mxt_config kcfg;
    int rc = mxt_measure_kernel_config(b->dt, cfg, &kcfg);
    if (rc) return rc;
    if (o->check) poison(b);
    struct gemm_run g = {b, &kcfg};
    if ((rc = mxt_measure_runs(b->clock, &b->flush, o, gemm_run, &g, out))) return rc;
    if (o->check) check_result(b, out);
    return 0;
}
