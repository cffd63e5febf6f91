/* spmm_run: time mxt_spmm (Rosko, kernels/) on a random sparse A of a given density
 * times a dense B, and print the time (best and median after a warm-up) and the
 * GFLOP/s-equivalent 2*M*N*K / time, the rate of the dense product it replaces.
 *
 * usage: spmm_run [-m M] [-n N] [-k K] [--density D] [--layout row|col] [--isa I]
 *                 [--mr R] [--nr C] [--mc X] [--kc X] [--nc X] [--threads P]
 *                 [--reps R] [--seed S] [--check]
 * A is Bernoulli(D) per element with values in [-1, 1) from a xorshift generator
 * seeded by S (bench/peers/spmm_peers.c draws the same matrix). --check compares
 * 64 rows of C with a reference computed in double. The last line is
 * "median_s=... best_s=..." for scripts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mxt_common.h"
#include "mxtune/config.h"
#include "mxtune/sparse.h"
#include "bench_util.h"

static int usage(void) {
    fprintf(stderr,
            "usage: spmm_run [-m M] [-n N] [-k K] [--density D] [--layout row|col] [--isa I]\n"
            "                [--mr R] [--nr C] [--mc X] [--kc X] [--nc X] [--threads P]\n"
            "                [--reps R] [--seed S] [--check]\n");
    return 2;
}

struct csr {
    int64_t *row_ptr;
    int32_t *col;
    float *val;
};

/* Row i, column l is a nonzero with probability d; the same draws as spmm_peers.c. */
static int make_csr(int64_t m, int64_t k, double d, uint64_t seed, struct csr *a) {
    bench_seed((uint64_t)seed);
    const double expect = d * (double)m * (double)k;
    size_t cap = (size_t)(expect + 6.0 * sqrt(expect) + 64.0);
    a->row_ptr = malloc(((size_t)m + 1) * sizeof(int64_t));
    a->col = malloc(cap * sizeof(int32_t));
    a->val = malloc(cap * sizeof(float));
    if (!a->row_ptr || !a->col || !a->val) return -1;
    size_t n = 0;
    a->row_ptr[0] = 0;
    for (int64_t i = 0; i < m; i++) {
        for (int64_t l = 0; l < k; l++) {
            if (rnd01() >= d) continue;
            if (n == cap) {
                cap *= 2;
                int32_t *c = realloc(a->col, cap * sizeof(int32_t));
                if (c) a->col = c;
                float *v = realloc(a->val, cap * sizeof(float));
                if (v) a->val = v;
                if (!c || !v) return -1;
            }
            a->col[n] = (int32_t)l;
            a->val[n++] = (float)(2.0 * rnd01() - 1.0);
        }
        a->row_ptr[i + 1] = (int64_t)n;
    }
    return 0;
}

int main(int argc, char **argv) {
    int64_t m = 4096, n = 4096, k = 4096, seed = 1;
    double density = 0.05;
    int reps = 5, check = 0;
    enum mxt_layout layout = MXT_ROW_MAJOR;
    struct mxt_config cfg = {0};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(o, "--check")) {
            check = 1;
            continue;
        }
        if (!v) return usage();
        if (!strcmp(o, "-m"))
            rc = mxt_parse_i64(v, 0, INT32_MAX, "-m", &m);
        else if (!strcmp(o, "-n"))
            rc = mxt_parse_i64(v, 0, INT32_MAX, "-n", &n);
        else if (!strcmp(o, "-k"))
            rc = mxt_parse_i64(v, 0, INT32_MAX, "-k", &k);
        else if (!strcmp(o, "--density"))
            rc = mxt_parse_double(v, 0, 1, "--density", &density);
        else if (!strcmp(o, "--layout")) {
            if (strcmp(v, "col") && strcmp(v, "row")) return usage();
            layout = strcmp(v, "row") ? MXT_COL_MAJOR : MXT_ROW_MAJOR;
        } else if (!strcmp(o, "--isa"))
            rc = mxt_isa_parse(v, &cfg.isa);
        else if (!strcmp(o, "--mr"))
            rc = mxt_parse_int(v, 0, MXT_ROSKO_MAX_MR, "--mr", &cfg.mr);
        else if (!strcmp(o, "--nr"))
            rc = mxt_parse_int(v, 0, 64, "--nr", &cfg.nr);
        else if (!strcmp(o, "--mc"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "--mc", &cfg.mc);
        else if (!strcmp(o, "--kc"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "--kc", &cfg.kc);
        else if (!strcmp(o, "--nc"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "--nc", &cfg.nc);
        else if (!strcmp(o, "--threads"))
            rc = mxt_parse_int(v, 0, 1024, "--threads", &cfg.threads);
        else if (!strcmp(o, "--reps"))
            rc = mxt_parse_int(v, 1, 1000, "--reps", &reps);
        else if (!strcmp(o, "--seed"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "--seed", &seed);
        else
            return usage();
        if (rc) {
            fprintf(stderr, "spmm_run: %s\n", mxt_last_error());
            return 2;
        }
        i++;
    }
    struct csr a = {0};
    struct mxt_rosko *ap = NULL;
    float *b = NULL, *c = NULL;
    double *t = calloc((size_t)reps, sizeof(double));
    int rc = 1;
    const int64_t ldb = layout == MXT_ROW_MAJOR ? n : k, ldc = layout == MXT_ROW_MAJOR ? n : m;
    if (!t || make_csr(m, k, density, (uint64_t)seed, &a) != 0) {
        fprintf(stderr, "spmm_run: out of memory\n");
        goto out;
    }
    const double t_pack = now();
    if (mxt_rosko_create_csr(m, k, a.row_ptr, a.col, a.val, &cfg, &ap) != 0) {
        fprintf(stderr, "spmm_run: %s\n", mxt_last_error());
        goto out;
    }
    const double pack_s = now() - t_pack;
    b = malloc((size_t)(k * n) * sizeof(float) + 64);
    c = malloc((size_t)(m * n) * sizeof(float) + 64);
    if (!b || !c) {
        fprintf(stderr, "spmm_run: out of memory\n");
        goto out;
    }
    for (int64_t i = 0; i < k * n; i++)
        b[i] = (float)(i % 13) / 13.0f - 0.5f;
    memset(c, 0, (size_t)(m * n) * sizeof(float));
    for (int rep = -1; rep < reps; rep++) { /* rep -1: warm-up */
        const double t0 = now();
        int e = mxt_spmm(layout, m, n, k, 1.0f, ap, b, ldb, 0.0f, c, ldc, &cfg);
        const double dt = now() - t0;
        if (e) {
            fprintf(stderr, "spmm_run: %s\n", mxt_last_error());
            goto out;
        }
        if (rep >= 0) t[rep] = dt;
    }
    double maxerr = 0;
    if (check) {
        for (int64_t s = 0; s < 64 && m > 0; s++) {
            const int64_t i = (s * 7919) % m;
            for (int64_t j = 0; j < n; j++) {
                double ref = 0, mag = 0;
                for (int64_t e = a.row_ptr[i]; e < a.row_ptr[i + 1]; e++) {
                    const double p =
                        (double)a.val[e] * b[a.col[e] * (layout ? 1 : n) + j * (layout ? k : 1)];
                    ref += p;
                    mag += fabs(p);
                }
                const double got = c[layout ? i + j * m : i * n + j];
                const double err = fabs(got - ref) / (mag > 0 ? mag : 1.0);
                if (err > maxerr) maxerr = err;
            }
        }
    }
    struct mxt_config r;
    struct mxt_rosko_info info;
    mxt_spmm_resolve_config(ap, n, &cfg, &r);
    mxt_rosko_info(ap, &info);
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    const double flops = 2.0 * (double)m * (double)n * (double)k;
    printf("spmm %s M=%lld N=%lld K=%lld density=%.4g nnz=%lld (kept columns %.1f%%) isa=%s "
           "mr=%d nr=%d mc=%lld kc=%lld nc=%lld threads=%d pack %.3f s: best %.4f s, median "
           "%.4f s, dense-equivalent %.1f GFLOP/s (median), useful %.1f GFLOP/s",
           layout == MXT_ROW_MAJOR ? "row" : "col", (long long)m, (long long)n, (long long)k,
           info.density, (long long)info.nnz,
           m > 0 && k > 0 ? 100.0 * (double)info.kept_columns /
                                ((double)((m + info.mr - 1) / info.mr) * (double)k)
                          : 0.0,
           mxt_isa_name(r.isa), r.mr, r.nr, (long long)r.mc, (long long)r.kc, (long long)r.nc,
           r.threads, pack_s, t[0], t[reps / 2], flops / t[reps / 2] * 1e-9,
           2.0 * (double)info.nnz * (double)n / t[reps / 2] * 1e-9);
    if (check) printf(", max error %.2e (relative to sum |a*b|)", maxerr);
    printf("\nmedian_s=%.6f best_s=%.6f\n", t[reps / 2], t[0]);
    rc = check && maxerr > 1e-5 ? 1 : 0;
out:
    mxt_rosko_destroy(ap);
    free(a.row_ptr);
    free(a.col);
    free(a.val);
    free(b);
    free(c);
    free(t);
    return rc;
}
