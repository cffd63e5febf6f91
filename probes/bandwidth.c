/* Bandwidth probes (probes/): a read-only sweep across sizes (one thread) and
 * STREAM-style read/write/copy/scale/add/triad at a given footprint on 1..p
 * threads, each thread first-touching and then streaming its own part.
 * Bytes are counted as STREAM does: bytes read plus bytes written, without
 * the write-allocate traffic that ordinary stores also cause.
 * (STREAM: J. McCalpin; likwid-bench counts the same way.) */
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "probes.h"

#define ALIGN 64

struct bw_ctx {
    enum mxt_bw_kernel k;
    double *a, *b, *c;
    size_t n; /* elements per array */
    int threads;
    int isa; /* 2 avx512, 1 avx2, 0 generic */
    double sink[64][8];
};

/* ---- per-range kernels, one set per ISA ---- */

#define BW_KERNELS(SUF, ATTR, VT, W, LOAD, STORE, SET1, ADD, MUL, FMA)                             \
    ATTR static double read_##SUF(const double *b, size_t n) {                                     \
        VT s0 = SET1(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;            \
        for (size_t i = 0; i + 8 * W <= n; i += 8 * W) {                                           \
            s0 = ADD(s0, LOAD(b + i));                                                             \
            s1 = ADD(s1, LOAD(b + i + W));                                                         \
            s2 = ADD(s2, LOAD(b + i + 2 * W));                                                     \
            s3 = ADD(s3, LOAD(b + i + 3 * W));                                                     \
            s4 = ADD(s4, LOAD(b + i + 4 * W));                                                     \
            s5 = ADD(s5, LOAD(b + i + 5 * W));                                                     \
            s6 = ADD(s6, LOAD(b + i + 6 * W));                                                     \
            s7 = ADD(s7, LOAD(b + i + 7 * W));                                                     \
        }                                                                                          \
        s0 = ADD(ADD(ADD(s0, s1), ADD(s2, s3)), ADD(ADD(s4, s5), ADD(s6, s7)));                    \
        double out[W] __attribute__((aligned(64)));                                                \
        STORE(out, s0);                                                                            \
        return out[0];                                                                             \
    }                                                                                              \
    ATTR static void stream_##SUF(enum mxt_bw_kernel k, double *a, const double *b,                \
                                  const double *c, size_t n) {                                     \
        VT s = SET1(0.5), v = SET1(1.25);                                                          \
        switch (k) {                                                                               \
        case MXT_BW_WRITE:                                                                         \
            for (size_t i = 0; i < n; i += W)                                                      \
                STORE(a + i, v);                                                                   \
            break;                                                                                 \
        case MXT_BW_COPY:                                                                          \
            for (size_t i = 0; i < n; i += W)                                                      \
                STORE(a + i, LOAD(b + i));                                                         \
            break;                                                                                 \
        case MXT_BW_SCALE:                                                                         \
            for (size_t i = 0; i < n; i += W)                                                      \
                STORE(a + i, MUL(s, LOAD(b + i)));                                                 \
            break;                                                                                 \
        case MXT_BW_ADD:                                                                           \
            for (size_t i = 0; i < n; i += W)                                                      \
                STORE(a + i, ADD(LOAD(b + i), LOAD(c + i)));                                       \
            break;                                                                                 \
        case MXT_BW_TRIAD:                                                                         \
            for (size_t i = 0; i < n; i += W)                                                      \
                STORE(a + i, FMA(s, LOAD(c + i), LOAD(b + i)));                                    \
            break;                                                                                 \
        default:                                                                                   \
            break;                                                                                 \
        }                                                                                          \
    }

#define FMA512(s, x, y) _mm512_fmadd_pd(s, x, y)
#define FMA256(s, x, y) _mm256_fmadd_pd(s, x, y)
BW_KERNELS(avx512, __attribute__((target("avx512f"))), __m512d, 8, _mm512_load_pd, _mm512_store_pd,
           _mm512_set1_pd, _mm512_add_pd, _mm512_mul_pd, FMA512)
BW_KERNELS(avx2, __attribute__((target("avx2,fma"))), __m256d, 4, _mm256_load_pd, _mm256_store_pd,
           _mm256_set1_pd, _mm256_add_pd, _mm256_mul_pd, FMA256)

static double read_generic(const double *b, size_t n) {
    double s[8] = {0};
    for (size_t i = 0; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            s[j] += b[i + j];
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

static void stream_generic(enum mxt_bw_kernel k, double *a, const double *b, const double *c,
                           size_t n) {
    for (size_t i = 0; i < n; i++) {
        switch (k) {
        case MXT_BW_WRITE:
            a[i] = 1.25;
            break;
        case MXT_BW_COPY:
            a[i] = b[i];
            break;
        case MXT_BW_SCALE:
            a[i] = 0.5 * b[i];
            break;
        case MXT_BW_ADD:
            a[i] = b[i] + c[i];
            break;
        case MXT_BW_TRIAD:
            a[i] = b[i] + 0.5 * c[i];
            break;
        default:
            break;
        }
    }
}

static int detect_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

/* The range [lo, hi) of thread t, in whole cache lines. */
static void part(size_t n, int t, int T, size_t *lo, size_t *hi) {
    size_t lines = n / 8;
    *lo = lines * (size_t)t / (size_t)T * 8;
    *hi = lines * (size_t)(t + 1) / (size_t)T * 8;
}

static void run_range(struct bw_ctx *c, size_t lo, size_t hi, double *sink) {
    size_t n = hi - lo;
    if (c->k == MXT_BW_READ) {
        double s = c->isa == 2   ? read_avx512(c->b + lo, n)
                   : c->isa == 1 ? read_avx2(c->b + lo, n)
                                 : read_generic(c->b + lo, n);
        *sink += s;
        return;
    }
    if (c->isa == 2)
        stream_avx512(c->k, c->a + lo, c->b + lo, c->c + lo, n);
    else if (c->isa == 1)
        stream_avx2(c->k, c->a + lo, c->b + lo, c->c + lo, n);
    else
        stream_generic(c->k, c->a + lo, c->b + lo, c->c + lo, n);
}

static void bw_kernel(void *p, uint64_t iters) {
    struct bw_ctx *c = p;
#pragma omp parallel num_threads(c->threads)
    {
        int t = omp_get_thread_num();
        size_t lo, hi;
        part(c->n, t, c->threads, &lo, &hi);
        for (uint64_t i = 0; i < iters; i++)
            run_range(c, lo, hi, &c->sink[t & 63][0]);
    }
}

static const int streams_read[] = {1, 0, 1, 1, 2, 2};
static const int streams_written[] = {0, 1, 1, 1, 1, 1};

int mxt_bandwidth(const struct mxt_harness *h, enum mxt_bw_kernel k, size_t bytes, int threads,
                  struct mxt_bw_sample *out) {
    int arrays =
        k == MXT_BW_READ || k == MXT_BW_WRITE ? 1 : (k == MXT_BW_COPY || k == MXT_BW_SCALE ? 2 : 3);
    size_t n = bytes / (size_t)arrays / sizeof(double);
    n = (n / (64 * (size_t)threads)) * 64 * (size_t)threads;
    if (n < 64 * (size_t)threads) n = 64 * (size_t)threads;
    struct bw_ctx *c = aligned_alloc(ALIGN, (sizeof *c + ALIGN - 1) / ALIGN * ALIGN);
    if (!c) return mxt_error(MXT_ENOMEM, "out of memory in the bandwidth probe");
    memset(c, 0, sizeof *c);
    c->k = k;
    c->n = n;
    c->threads = threads;
    c->isa = detect_isa();
    size_t sz = n * sizeof(double);
    int rc = 0;
    /* Three arrays in one huge-page mapping, each on its own 2 MiB boundary
     * plus a different offset, so the streams do not collide in the same sets. */
    size_t stride = ((sz + ((size_t)2 << 20) - 1) & ~(((size_t)2 << 20) - 1)) + 4096 + 64;
    struct mxt_membuf mb;
    if ((rc = mxt_membuf_alloc_untouched(&mb, 3 * stride))) {
        free(c);
        return rc;
    }
    c->a = (double *)mb.base;
    c->b = (double *)((char *)mb.base + stride);
    c->c = (double *)((char *)mb.base + 2 * stride);
    /* Each thread first-touches its own part, with non-zero values. */
#pragma omp parallel num_threads(threads)
    {
        size_t lo, hi;
        part(n, omp_get_thread_num(), threads, &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            c->a[i] = 1.0;
            c->b[i] = 2.0;
            c->c[i] = 0.5;
        }
    }
    struct mxt_timing t;
    rc = mxt_harness_time(h, bw_kernel, c, &t);
    if (rc) goto done;
    double moved = (double)n * sizeof(double) * (streams_read[k] + streams_written[k]);
    out->best_GBps = moved / t.stats.min / 1e9;
    out->median_GBps = moved / t.stats.median / 1e9;
    out->p10_GBps = moved / t.stats.p90 / 1e9; /* slow tail of time = low bandwidth */
    out->p90_GBps = moved / t.stats.p10 / 1e9;
done:
    mxt_membuf_free(&mb);
    free(c);
    return rc;
}

int mxt_bandwidth_sweep(const struct mxt_harness *h, size_t min_bytes, size_t max_bytes,
                        int points_per_octave, struct mxt_curve *out) {
    memset(out, 0, sizeof *out);
    double step = __builtin_exp2(1.0 / points_per_octave);
    for (double s = (double)min_bytes; s <= (double)max_bytes * 1.001; s *= step) {
        struct mxt_bw_sample b;
        int rc = mxt_bandwidth(h, MXT_BW_READ, (size_t)s, 1, &b);
        if (rc) return rc;
        mxt_curve_add(out, s, b.best_GBps);
    }
    return 0;
}
