/* spmm_peers: the peers of bench/spmm_vs_peers.sh, built by that script at run time
 * (never committed as a binary): the dense product by OpenBLAS (cblas_sgemm on A with
 * its zeros) or the sparse one by librsb (rsb_spmm on A as CSR), on the same matrices
 * as bench/spmm_run.c (same generator and seed), row-major, C = A * B.
 *
 * usage: spmm_peers --lib openblas|rsb [-m M] [-n N] [-k K] [--density D]
 *                   [--threads P] [--reps R] [--seed S]
 * Prints one line with the times and, for OpenBLAS, the kernel it chose
 * (openblas_get_corename, openblas_get_config); the last line is
 * "median_s=... best_s=...". Build: cc -O2 spmm_peers.c $(pkg-config --cflags --libs
 * openblas librsb) -lm
 */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <rsb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../bench_util.h"

static int parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: spmm_peers --lib openblas|rsb [-m M] [-n N] [-k K] [--density D]\n"
                    "                  [--threads P] [--reps R] [--seed S]\n");
    return 2;
}

int main(int argc, char **argv) {
    long m = 4096, n = 4096, k = 4096, threads = 2, reps = 3, seed = 1;
    double d = 0.05;
    const char *lib = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        int bad = 0;
        if (!strcmp(o, "--lib"))
            lib = v;
        else if (!strcmp(o, "-m"))
            bad = parse_long(v, 1, 1L << 30, &m);
        else if (!strcmp(o, "-n"))
            bad = parse_long(v, 1, 1L << 30, &n);
        else if (!strcmp(o, "-k"))
            bad = parse_long(v, 1, 1L << 30, &k);
        else if (!strcmp(o, "--threads"))
            bad = parse_long(v, 1, 1024, &threads);
        else if (!strcmp(o, "--reps"))
            bad = parse_long(v, 1, 1000, &reps);
        else if (!strcmp(o, "--seed"))
            bad = parse_long(v, 0, 1L << 62, &seed);
        else if (!strcmp(o, "--density")) {
            char *end;
            d = strtod(v, &end);
            bad = end == v || *end || !(d >= 0 && d <= 1);
        } else
            return usage();
        if (bad) return usage();
    }
    if (argc % 2 == 0 || !lib || (strcmp(lib, "openblas") && strcmp(lib, "rsb"))) return usage();
    const int dense = !strcmp(lib, "openblas");

    /* A as CSR (and dense for OpenBLAS) from the draws of spmm_run */
    bench_seed((uint64_t)seed);
    const double expect = d * (double)m * (double)k;
    size_t cap = (size_t)(expect + 6.0 * sqrt(expect) + 64.0), nnz = 0;
    int *rp = malloc(((size_t)m + 1) * sizeof(int)), *ja = malloc(cap * sizeof(int));
    float *va = malloc(cap * sizeof(float));
    float *a = dense ? calloc((size_t)m * (size_t)k, sizeof(float)) : NULL;
    float *b = malloc((size_t)k * (size_t)n * sizeof(float));
    float *c = calloc((size_t)m * (size_t)n, sizeof(float));
    double *t = calloc((size_t)reps, sizeof(double));
    struct rsb_mtx_t *mtx = NULL;
    int rc = 1;
    if (!rp || !ja || !va || (dense && !a) || !b || !c || !t) goto oom;
    rp[0] = 0;
    for (long i = 0; i < m; i++) {
        for (long l = 0; l < k; l++) {
            if (rnd01() >= d) continue;
            if (nnz == cap) {
                cap *= 2;
                int *j2 = realloc(ja, cap * sizeof(int));
                if (j2) ja = j2;
                float *v2 = realloc(va, cap * sizeof(float));
                if (v2) va = v2;
                if (!j2 || !v2) goto oom;
            }
            ja[nnz] = (int)l;
            va[nnz] = (float)(2.0 * rnd01() - 1.0);
            if (dense) a[(size_t)i * (size_t)k + (size_t)l] = va[nnz];
            nnz++;
        }
        rp[i + 1] = (int)nnz;
    }
    for (size_t i = 0; i < (size_t)k * (size_t)n; i++)
        b[i] = (float)(i % 13) / 13.0f - 0.5f;

    if (dense) {
        openblas_set_num_threads((int)threads);
        for (long rep = -1; rep < reps; rep++) {
            const double t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a,
                        (int)k, b, (int)n, 0.0f, c, (int)n);
            if (rep >= 0) t[rep] = now() - t0;
        }
    } else {
        rsb_err_t e = rsb_lib_init(RSB_NULL_INIT_OPTIONS);
        const rsb_int_t nt = (rsb_int_t)threads;
        if (e == RSB_ERR_NO_ERROR) e = rsb_lib_set_opt(RSB_IO_WANT_EXECUTING_THREADS, &nt);
        if (e == RSB_ERR_NO_ERROR)
            mtx = rsb_mtx_alloc_from_csr_const(va, rp, ja, (rsb_nnz_idx_t)nnz,
                                               RSB_NUMERICAL_TYPE_FLOAT, (rsb_coo_idx_t)m,
                                               (rsb_coo_idx_t)k, 1, 1, RSB_FLAG_NOFLAGS, &e);
        if (e != RSB_ERR_NO_ERROR || !mtx) {
            fprintf(stderr, "spmm_peers: librsb failed (error %d)\n", (int)e);
            goto out;
        }
        const float one = 1.0f, zero = 0.0f;
        for (long rep = -1; rep < reps; rep++) {
            const double t0 = now();
            e = rsb_spmm(RSB_TRANSPOSITION_N, &one, mtx, (rsb_coo_idx_t)n,
                         RSB_FLAG_WANT_ROW_MAJOR_ORDER, b, (rsb_nnz_idx_t)n, &zero, c,
                         (rsb_nnz_idx_t)n);
            if (e != RSB_ERR_NO_ERROR) {
                fprintf(stderr, "spmm_peers: rsb_spmm failed (error %d)\n", (int)e);
                goto out;
            }
            if (rep >= 0) t[rep] = now() - t0;
        }
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    printf("%s M=%ld N=%ld K=%ld density=%.4g nnz=%zu threads=%ld: best %.4f s, median %.4f s", lib,
           m, n, k, d, nnz, threads, t[0], t[reps / 2]);
    if (dense) printf(", core %s, config %s", openblas_get_corename(), openblas_get_config());
    printf("\nmedian_s=%.6f best_s=%.6f\n", t[reps / 2], t[0]);
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "spmm_peers: out of memory\n");
out:
    if (mtx) {
        rsb_mtx_free(mtx);
        rsb_lib_exit(RSB_NULL_EXIT_OPTIONS);
    }
    free(rp);
    free(ja);
    free(va);
    free(a);
    free(b);
    free(c);
    free(t);
    return rc;
}
