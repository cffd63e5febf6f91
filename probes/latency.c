/* Latency probes (probes/): a prefetch-proof random pointer chain over every
 * line of a working set, swept across sizes with refinement where the curve
 * jumps; the line-size (paired access) and L1-associativity (same set) tests.
 * Method after lmbench's lat_mem_rd and Calibrator; our own code. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "probes.h"

int mxt_curve_add(struct mxt_curve *c, double x, double y) {
    if (c->n >= MXT_CURVE_MAX) return -1;
    c->x[c->n] = x;
    c->y[c->n] = y;
    c->n++;
    return 0;
}

void mxt_curve_sort(struct mxt_curve *c) {
    for (int i = 1; i < c->n; i++) { /* insertion sort: curves are short and nearly sorted */
        double x = c->x[i], y = c->y[i];
        int j = i - 1;
        while (j >= 0 && c->x[j] > x) {
            c->x[j + 1] = c->x[j];
            c->y[j + 1] = c->y[j];
            j--;
        }
        c->x[j + 1] = x;
        c->y[j + 1] = y;
    }
}

static void shuffle_u32(uint32_t *a, size_t n, struct mxt_rng *r) {
    for (size_t i = n; i > 1; i--) {
        size_t j = mxt_rng_below(r, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Pages of 4 KiB are taken in random order, a window of CHAIN_WINDOW pages at a
 * time, and the lines of a window are visited in random order before the next
 * window: random within pages and across pages (no stride for a prefetcher to
 * follow), while the pages in flight stay within the first-level TLB, so the
 * curve shows the caches rather than page walks (which are nested, and
 * expensive, in a virtual machine). */
#define CHAIN_WINDOW 32

int mxt_chain_build(void *base, size_t bytes, size_t stride, unsigned long long seed) {
    size_t n = bytes / stride;
    if (n < 2) n = 2;
    size_t per_page = 4096 / stride ? 4096 / stride : 1;
    size_t pages = (n + per_page - 1) / per_page;
    uint32_t *pg = malloc(pages * sizeof *pg);
    uint32_t *seq = malloc(n * sizeof *seq);
    int rc = 0;
    if (!pg || !seq) {
        rc = mxt_error(MXT_ENOMEM, "out of memory building a %zu-slot chain", n);
        goto done;
    }
    struct mxt_rng r = {seed * 2654435761ULL + 88172645463325252ULL};
    for (size_t i = 0; i < pages; i++)
        pg[i] = (uint32_t)i;
    shuffle_u32(pg, pages, &r);
    size_t m = 0;
    for (size_t w = 0; w < pages; w += CHAIN_WINDOW) {
        size_t first = m;
        for (size_t p = w; p < w + CHAIN_WINDOW && p < pages; p++)
            for (size_t l = 0; l < per_page; l++) {
                size_t slot = (size_t)pg[p] * per_page + l;
                if (slot < n) seq[m++] = (uint32_t)slot;
            }
        shuffle_u32(seq + first, m - first, &r);
    }
    char *b = base;
    for (size_t i = 0; i < m; i++)
        *(void **)(b + (size_t)seq[i] * stride) = b + (size_t)seq[(i + 1) % m] * stride;
done:
    free(pg);
    free(seq);
    return rc;
}

void mxt_chase_kernel(void *ctx, uint64_t steps) {
    struct mxt_chase_ctx *c = ctx;
    void **p = c->start;
    uint64_t i = 0;
    for (; i + 8 <= steps; i += 8) {
        p = (void **)*p;
        p = (void **)*p;
        p = (void **)*p;
        p = (void **)*p;
        p = (void **)*p;
        p = (void **)*p;
        p = (void **)*p;
        p = (void **)*p;
    }
    for (; i < steps; i++)
        p = (void **)*p;
    c->sink = p;
    c->start = p; /* continue where we stopped: the whole cycle gets walked */
}

/* Latency (ns) of one working-set size using buffer buf. */
static int latency_at(const struct mxt_harness *h, struct mxt_membuf *buf, size_t size,
                      unsigned long long seed, double *ns) {
    int rc = mxt_chain_build(buf->base, size, 64, seed);
    if (rc) return rc;
    struct mxt_chase_ctx ctx = {.start = buf->base};
    /* Walk the cycle once so the set is resident before timing (beyond any
     * cache it would only cost time: everything misses anyway). */
    if (size <= ((size_t)64 << 20)) mxt_chase_kernel(&ctx, size / 64);
    struct mxt_timing t;
    rc = mxt_harness_time(h, mxt_chase_kernel, &ctx, &t);
    if (rc) return rc;
    *ns = t.best * 1e9;
    return 0;
}

static size_t round_line(double b) {
    size_t s = (size_t)b;
    return s < 128 ? 128 : s & ~(size_t)63;
}

int mxt_latency_sweep(const struct mxt_sweep_opts *o, struct mxt_curve *out) {
    struct mxt_membuf buf;
    int rc = mxt_membuf_alloc(&buf, o->max_bytes);
    if (rc) return rc;
    memset(out, 0, sizeof *out);
    int ppo = o->points_per_octave > 0 ? o->points_per_octave : 4;
    double step = pow(2.0, 1.0 / ppo);
    double octaves = log2((double)o->max_bytes / (double)o->min_bytes);
    int total = (int)ceil(octaves * ppo) + 1;
    unsigned long long seed = 1;
    int on_plateau = 0;
    for (int i = 0; i < total && out->n < MXT_CURVE_MAX; i++) {
        size_t size = round_line((double)o->min_bytes * pow(step, i));
        if (size > o->max_bytes) size = o->max_bytes;
        double ns;
        rc = latency_at(o->harness, &buf, size, seed++, &ns);
        if (rc) goto done;
        mxt_curve_add(out, (double)size, ns);
        if (o->progress) o->progress("latency sweep", (double)(i + 1) / total, o->progress_ctx);
        /* Quick mode: stop once three points sit on a plateau far above L1. */
        if (o->stop_on_plateau && out->n >= 2 && size >= ((size_t)16 << 20)) {
            double prev = out->y[out->n - 2];
            on_plateau = fabs(ns - prev) < 0.08 * prev ? on_plateau + 1 : 0;
            if (on_plateau >= 2) break;
        }
    }
    /* Refine where neighbours differ by more than refine_ratio. */
    for (int depth = 0; depth < o->refine_depth; depth++) {
        struct mxt_curve add = {0};
        for (int i = 0; i + 1 < out->n; i++) {
            double a = out->y[i], b = out->y[i + 1];
            if (b <= a * o->refine_ratio && a <= b * o->refine_ratio) continue;
            size_t mid = round_line(sqrt(out->x[i] * out->x[i + 1]));
            if (mid <= (size_t)out->x[i] || mid >= (size_t)out->x[i + 1]) continue;
            double ns;
            rc = latency_at(o->harness, &buf, mid, seed++, &ns);
            if (rc) goto done;
            mxt_curve_add(&add, (double)mid, ns);
        }
        if (add.n == 0) break;
        for (int i = 0; i < add.n; i++)
            mxt_curve_add(out, add.x[i], add.y[i]);
        mxt_curve_sort(out);
    }
done:
    mxt_membuf_free(&buf);
    return rc;
}

/* Paired-access chain: random 256-byte blocks, in each the slot at offset 0
 * then the slot at offset d, then the next block. When d < line the second
 * access hits L1; from d >= line both miss. The region lives in L2. */
static int pair_chain(char *base, size_t region, size_t d, unsigned long long seed) {
    size_t nb = region / 256;
    uint32_t *perm = malloc(nb * sizeof *perm);
    if (!perm) return mxt_error(MXT_ENOMEM, "out of memory in the line-size probe");
    struct mxt_rng r = {seed * 0x9E3779B97F4A7C15ULL + 1};
    for (size_t i = 0; i < nb; i++)
        perm[i] = (uint32_t)i;
    shuffle_u32(perm, nb, &r);
    for (size_t i = 0; i < nb; i++) {
        char *blk = base + (size_t)perm[i] * 256;
        char *next = base + (size_t)perm[(i + 1) % nb] * 256;
        *(void **)blk = blk + d;
        *(void **)(blk + d) = next;
    }
    free(perm);
    return 0;
}

int mxt_line_size_probe(const struct mxt_harness *h, size_t region, int *line,
                        struct mxt_curve *curve) {
    struct mxt_membuf buf;
    int rc = mxt_membuf_alloc(&buf, region);
    if (rc) return rc;
    memset(curve, 0, sizeof *curve);
    static const int ds[] = {8, 16, 32, 64, 128};
    for (size_t i = 0; i < MXT_ARRAY_LEN(ds); i++) {
        rc = pair_chain(buf.base, region, (size_t)ds[i], 7 + i);
        if (rc) goto done;
        struct mxt_chase_ctx ctx = {.start = buf.base};
        mxt_chase_kernel(&ctx, 2 * region / 256);
        struct mxt_timing t;
        rc = mxt_harness_time(h, mxt_chase_kernel, &ctx, &t);
        if (rc) goto done;
        mxt_curve_add(curve, ds[i], t.best * 1e9);
    }
    /* The line is the smallest distance whose pair costs as much as the largest. */
    double top = curve->y[curve->n - 1], low = curve->y[0];
    *line = 0;
    for (int i = 0; i < curve->n; i++)
        if (curve->y[i] >= low + 0.8 * (top - low)) {
            *line = (int)curve->x[i];
            break;
        }
    if (top < 1.2 * low) *line = 0; /* no contrast: cannot tell */
done:
    mxt_membuf_free(&buf);
    return rc;
}

int mxt_l1_ways_probe(const struct mxt_harness *h, size_t set_stride, int *ways,
                      struct mxt_curve *curve) {
    const int kmax = 24;
    struct mxt_membuf buf;
    int rc = mxt_membuf_alloc(&buf, set_stride * (size_t)kmax + 4096);
    if (rc) return rc;
    memset(curve, 0, sizeof *curve);
    char *b = buf.base;
    struct mxt_rng r = {12345};
    int order[24];
    for (int k = 1; k <= kmax; k++) {
        for (int i = 0; i < k; i++)
            order[i] = i;
        for (int i = k - 1; i > 1; i--) {
            int j = 1 + (int)mxt_rng_below(&r, (size_t)i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < k; i++)
            *(void **)(b + (size_t)order[i] * set_stride) =
                b + (size_t)order[(i + 1) % k] * set_stride;
        struct mxt_chase_ctx ctx = {.start = b};
        struct mxt_timing t;
        rc = mxt_harness_time(h, mxt_chase_kernel, &ctx, &t);
        if (rc) goto done;
        mxt_curve_add(curve, k, t.best * 1e9);
    }
    /* Ways: the largest k still at the L1 latency (within 20 % of k = 1). */
    double base = curve->y[0];
    *ways = 0;
    for (int i = 0; i < curve->n; i++) {
        if (curve->y[i] > 1.2 * base) break;
        *ways = (int)curve->x[i];
    }
    if (*ways == kmax) *ways = 0; /* never missed: cannot tell */
done:
    mxt_membuf_free(&buf);
    return rc;
}
