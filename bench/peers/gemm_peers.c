/* gemm_peers: time one GEMM of a peer library (OpenBLAS or BLIS, through CBLAS)
 * the same way bench/gemm_run.c times mxtune's kernels: column-major, no
 * transpose, alpha = 1, beta = 0, the same operand values, one warm-up call, then
 * REPS timed calls; prints the best and median GFLOP/s and the kernel the library
 * actually ran. Built at run time by bench/gemm_vs_peers.sh (one binary per peer,
 * -DPEER_OPENBLAS or -DPEER_BLIS); no binary is committed.
 *
 * usage: gemm_peers [-m M] [-n N] [-k K] [--dtype f32|f64] [--threads P] [--reps R]
 *        gemm_peers --info        (print the kernel / sub-configuration and exit)
 *        gemm_peers --list-archs  (BLIS: "id name" of every sub-configuration id, for
 *                                  BLIS_ARCH_TYPE, which BLIS 0.9 reads as a number)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench_util.h"

#if defined(PEER_OPENBLAS)
#include <cblas.h>
#define PEER_NAME "openblas"
#elif defined(PEER_BLIS)
#include <blis.h> /* BLIS's blis.h with CBLAS enabled declares the cblas_* calls */
#define PEER_NAME "blis"
#else
#error "build with -DPEER_OPENBLAS or -DPEER_BLIS"
#endif

static int parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    const long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "gemm_peers: bad number '%s'\n", s);
        return -1;
    }
    *out = v;
    return 0;
}

/* The kernel the library picked at run time (after its environment variables). */
static void print_info(void) {
#if defined(PEER_OPENBLAS)
    printf("openblas core=%s config=\"%s\"", openblas_get_corename(), openblas_get_config());
#else
    printf("blis arch=%s version=%s", bli_arch_string(bli_arch_query_id()),
           bli_info_get_version_str());
#endif
}

static void set_threads(int p) {
#if defined(PEER_OPENBLAS)
    openblas_set_num_threads(p);
#else
    bli_thread_set_num_threads(p);
#endif
}

static int usage(void) {
    fprintf(stderr, "usage: gemm_peers [-m M] [-n N] [-k K] [--dtype f32|f64] [--threads P] "
                    "[--reps R] | --info | --list-archs\n");
    return 2;
}

int main(int argc, char **argv) {
#if defined(PEER_BLIS)
    /* Initialize first: BLIS 0.9 checks BLIS_ARCH_TYPE against its table of
     * registered contexts, which is empty when bli_arch_query_id() runs before
     * bli_init() (it then aborts, "invalid architecture id"). */
    bli_init();
#endif
    long m = 2048, n = 2048, k = 2048, threads = 1, reps = 5;
    int f64 = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--list-archs")) {
#if defined(PEER_BLIS)
            for (int id = 0; id < (int)BLIS_NUM_ARCHS; id++)
                printf("%d %s\n", id, bli_arch_string((arch_t)id));
#endif
            return 0;
        }
        if (!strcmp(o, "--info")) {
            print_info();
            printf("\n");
            return 0;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!v) return usage();
        if (!strcmp(o, "-m"))
            rc = parse_long(v, 1, 1L << 20, &m);
        else if (!strcmp(o, "-n"))
            rc = parse_long(v, 1, 1L << 20, &n);
        else if (!strcmp(o, "-k"))
            rc = parse_long(v, 1, 1L << 20, &k);
        else if (!strcmp(o, "--threads"))
            rc = parse_long(v, 1, 1024, &threads);
        else if (!strcmp(o, "--reps"))
            rc = parse_long(v, 1, 1000, &reps);
        else if (!strcmp(o, "--dtype")) {
            if (strcmp(v, "f32") && strcmp(v, "f64")) return usage();
            f64 = !strcmp(v, "f64");
        } else
            return usage();
        if (rc) return 2;
        i++;
    }
    set_threads((int)threads);
    const size_t s = f64 ? sizeof(double) : sizeof(float);
    char *a = malloc((size_t)(m * k) * s), *b = malloc((size_t)(k * n) * s);
    char *c = malloc((size_t)(m * n) * s);
    double *t = calloc((size_t)reps, sizeof(double));
    int rc = 1;
    if (!a || !b || !c || !t) {
        fprintf(stderr, "gemm_peers: out of memory\n");
        goto out;
    }
    /* The same operand values as bench/gemm_run.c. */
    for (long i = 0; i < m * k; i++) {
        const double v = (double)(i % 17) / 17.0 - 0.5;
        if (f64)
            ((double *)a)[i] = v;
        else
            ((float *)a)[i] = (float)v;
    }
    for (long i = 0; i < k * n; i++) {
        const double v = (double)(i % 13) / 13.0 - 0.5;
        if (f64)
            ((double *)b)[i] = v;
        else
            ((float *)b)[i] = (float)v;
    }
    memset(c, 0, (size_t)(m * n) * s);
    for (long rep = -1; rep < reps; rep++) { /* rep -1: warm-up */
        const double t0 = now();
        if (f64)
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0,
                        (const double *)a, (int)m, (const double *)b, (int)k, 0.0, (double *)c,
                        (int)m);
        else
            cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
                        (const float *)a, (int)m, (const float *)b, (int)k, 0.0f, (float *)c,
                        (int)m);
        const double dt = now() - t0;
        if (rep >= 0) t[rep] = dt;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    const double flops = 2.0 * (double)m * (double)n * (double)k;
    printf("%s M=%ld N=%ld K=%ld threads=%ld ", f64 ? "f64" : "f32", m, n, k, threads);
    print_info();
    printf(": best %.1f GFLOP/s, median %.1f GFLOP/s (%.4f s)\n", flops / t[0] * 1e-9,
           flops / t[reps / 2] * 1e-9, t[0]);
    rc = 0;
out:
    free(a);
    free(b);
    free(c);
    free(t);
    return rc;
}
