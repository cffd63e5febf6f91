/* examples/tuned_gemm.c: a program that uses tiles exported by mxtune. It
 * includes mxtune_tiles.h (`mxtune export --format header`), links libmxtune and
 * runs single-precision GEMM through mxt_sgemm_ex with the exported configurations:
 * a tuned shape chosen at run time from the header's table, and a shape that was
 * not tuned with the header's compile-time default; each result is checked
 * against a plain triple loop.
 *
 *   cc -std=c11 -I DIR_OF_mxtune_tiles.h tuned_gemm.c $(pkg-config --cflags --libs mxtune)
 *   ./a.out [M N K]
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <mxtune/mxtune.h>
#include "mxtune_tiles.h"

/* The default for shapes that were not tuned, fixed at compile time. */
static const struct mxt_config default_f32 = {
    .schedule = (enum mxt_schedule)MXTUNE_GEMM_F32_DEFAULT_SCHEDULE,
    .isa = (enum mxt_isa)MXTUNE_GEMM_F32_DEFAULT_ISA,
    .mr = MXTUNE_GEMM_F32_DEFAULT_MR,
    .nr = MXTUNE_GEMM_F32_DEFAULT_NR,
    .mc = MXTUNE_GEMM_F32_DEFAULT_MC,
    .kc = MXTUNE_GEMM_F32_DEFAULT_KC,
    .nc = MXTUNE_GEMM_F32_DEFAULT_NC,
    .alpha = MXTUNE_GEMM_F32_DEFAULT_ALPHA,
    .threads = MXTUNE_GEMM_F32_DEFAULT_THREADS,
};

static struct mxt_config config_of(const struct mxtune_gemm_tile *t) {
    struct mxt_config c = {.schedule = (enum mxt_schedule)t->schedule,
                           .isa = (enum mxt_isa)t->isa,
                           .mr = t->mr,
                           .nr = t->nr,
                           .mc = t->mc,
                           .kc = t->kc,
                           .nc = t->nc,
                           .alpha = t->alpha,
                           .threads = t->config_threads};
    return c;
}

static double now(void) {
    struct timespec ts; /* timespec_get: C11, no POSIX feature macro needed */
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Values in [-1, 1) from a fixed-seed generator, so every run checks the same. */
static void fill(float *x, size_t n, unsigned *state) {
    for (size_t i = 0; i < n; i++) {
        *state = *state * 1664525u + 1013904223u;
        x[i] = (float)((double)(*state >> 8) / 8388608.0 - 1.0);
    }
}

static int parse_dim(const char *s, long long *out) {
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (!end || *end != '\0' || v < 1 || v > 100000) return -1;
    *out = v;
    return 0;
}

/* C = A B (column-major) with cfg, checked element by element against a
 * triple loop: |C - ref| <= 4 K eps sum_k |a||b|. 0 when it matches. */
static int run(const char *what, long long m, long long n, long long k, struct mxt_config cfg) {
    size_t sa = (size_t)(m * k), sb = (size_t)(k * n), sc = (size_t)(m * n);
    float *a = malloc(sa * sizeof *a), *b = malloc(sb * sizeof *b), *c = malloc(sc * sizeof *c);
    unsigned seed = 12345u;
    int status = 1;
    if (!a || !b || !c) {
        fprintf(stderr, "tuned_gemm: out of memory\n");
        goto out;
    }
    fill(a, sa, &seed);
    fill(b, sb, &seed);
    double t0 = now();
    int rc = mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0f, a, m, b, k,
                          0.0f, c, m, &cfg);
    if (rc == MXT_EUNSUPPORTED) {
        /* Tiles tuned on another CPU may name an ISA this one lacks: let the
         * kernels choose the micro-kernel and the blocks that go with it. */
        printf("  note: %s; running with the kernels' own micro-kernel\n", mxt_last_error());
        cfg.isa = MXT_ISA_AUTO;
        cfg.mr = cfg.nr = 0;
        cfg.mc = cfg.kc = cfg.nc = 0;
        t0 = now();
        rc = mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0f, a, m, b, k,
                          0.0f, c, m, &cfg);
    }
    double seconds = now() - t0;
    if (rc != 0) {
        fprintf(stderr, "tuned_gemm: mxt_sgemm_ex failed: %s\n", mxt_last_error());
        goto out;
    }
    /* The first call also allocates and touches the packing buffers: the
     * rate is the best of three more. */
    for (int rep = 0; rep < 3 && rc == 0; rep++) {
        t0 = now();
        rc = mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0f, a, m, b, k,
                          0.0f, c, m, &cfg);
        double t = now() - t0;
        if (t < seconds) seconds = t;
    }
    double worst = 0;
    for (long long j = 0; j < n; j++)
        for (long long i = 0; i < m; i++) {
            double ref = 0, mag = 0;
            for (long long p = 0; p < k; p++) {
                ref += (double)a[i + p * m] * b[p + j * k];
                mag += fabs((double)a[i + p * m] * b[p + j * k]);
            }
            double err = fabs(c[i + j * m] - ref) / (4.0 * (double)k * FLT_EPSILON * (mag + 1e-30));
            if (err > worst) worst = err;
        }
    printf("%s: %lld x %lld x %lld f32, %s %s %dx%d mc=%lld kc=%lld nc=%lld, threads %d: "
           "%.2f GFLOP/s, error %.3g of the bound: %s\n",
           what, m, n, k, mxt_schedule_name(cfg.schedule), mxt_isa_name(cfg.isa), cfg.mr, cfg.nr,
           (long long)cfg.mc, (long long)cfg.kc, (long long)cfg.nc, cfg.threads,
           2e-9 * (double)m * (double)n * (double)k / seconds, worst, worst <= 1 ? "ok" : "WRONG");
    status = worst <= 1 ? 0 : 1;
out:
    free(a);
    free(b);
    free(c);
    return status;
}

int main(int argc, char **argv) {
    long long m, n, k;
    const struct mxtune_gemm_tile *t = NULL;
    printf("tiles of %s (%s), exported %s by mxtune %s; libmxtune %s\n", MXTUNE_TILES_CPU,
           MXTUNE_TILES_FINGERPRINT, MXTUNE_TILES_EXPORTED, MXTUNE_TILES_MXTUNE_VERSION,
           mxt_version());
    if (argc == 4) {
        if (parse_dim(argv[1], &m) || parse_dim(argv[2], &n) || parse_dim(argv[3], &k)) {
            fprintf(stderr, "usage: tuned_gemm [M N K] (each 1..100000)\n");
            return 2;
        }
        t = mxtune_gemm_tiles_pick(MXTUNE_DTYPE_F32, m, n, k, 0);
    } else if (argc == 1) { /* the smallest tuned f32 shape */
        for (unsigned long i = 0; i < MXTUNE_GEMM_TILES_COUNT; i++) {
            const struct mxtune_gemm_tile *r = &mxtune_gemm_tiles[i];
            if (r->dtype != MXTUNE_DTYPE_F32 || !r->col_major || r->trans_a || r->trans_b) continue;
            if (!t || r->m * r->n * r->k < t->m * t->n * t->k) t = r;
        }
        if (!t) t = mxtune_gemm_tiles_pick(MXTUNE_DTYPE_F32, 256, 256, 256, 0);
        m = t->m ? t->m : 256;
        n = t->n ? t->n : 256;
        k = t->k ? t->k : 256;
    } else {
        fprintf(stderr, "usage: tuned_gemm [M N K]\n");
        return 2;
    }
    int bad = run(t->gflops > 0 ? "tuned  " : "default", m, n, k, config_of(t));
    /* A shape nobody tuned, with the compile-time default. */
    bad |= run("default", 200, 150, 100, default_f32);
    return bad;
}
