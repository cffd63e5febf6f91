/* gemm_run: run one GEMM configuration of kernels/ at one size and print GFLOP/s
 * (best and median of the repetitions after a warm-up) with the configuration as
 * resolved. A quick tool for iterating on kernels; `mxtune bench` is the real one.
 *
 * usage: gemm_run [-m M] [-n N] [-k K] [--dtype f32|f64] [--layout col|row]
 *                 [--schedule S] [--isa I] [--mr R --nr C] [--mc X] [--kc X] [--nc X]
 *                 [--alpha A] [--threads P] [--reps R] [--flush BYTES] [--breakdown]
 *
 * --flush BYTES: before every call (warm-up included, outside the timed region)
 * write and read a buffer of BYTES, so that each call starts with the operands
 * evicted from the caches; bench/model_vs_cachegrind.sh uses it (with 2x the
 * simulated last level) to compare one cold call with the model.
 * --breakdown: also print where the timed calls' time went (kernels/profile.c):
 * packing A, packing B, the macro-kernels and the rest (barriers, thread start-up,
 * scaling C), per call, as shares of the wall time times the threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mxt_common.h"
#include "mxt_kernels.h"
#include "mxtune/config.h"
#include "mxtune/gemm.h"
#include "bench_util.h"

/* Touch every line of buf (read and write), evicting what the caches held. Not
 * inlined: bench/model_vs_cachegrind.sh leaves its misses out by name. */
static __attribute__((noinline)) void flush_caches(volatile unsigned char *buf, size_t bytes) {
    for (size_t i = 0; i < bytes; i += 64)
        buf[i] = (unsigned char)(buf[i] + 1u);
}

/* The usage line: on stdout with exit 0 for --help, else on stderr with exit 2. */
static int usage_to(FILE *f, int rc) {
    fprintf(f, "usage: gemm_run [-m M] [-n N] [-k K] [--dtype f32|f64] [--layout col|row]\n"
               "                [--schedule S] [--isa I] [--mr R --nr C] [--mc X] [--kc X]\n"
               "                [--nc X] [--alpha A] [--threads P] [--reps R] [--flush BYTES]\n"
               "                [--breakdown]\n");
    return rc;
}
static int usage(void) {
    return usage_to(stderr, 2);
}

int main(int argc, char **argv) {
    int64_t m = 2048, n = 2048, k = 2048;
    int reps = 5, breakdown = 0;
    int64_t flush = 0;
    enum mxt_dtype dt = MXT_F32;
    enum mxt_layout layout = MXT_COL_MAJOR;
    struct mxt_config cfg = {.schedule = MXT_SCHED_GOTO};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) return usage_to(stdout, 0);
        if (!strcmp(o, "--breakdown")) {
            breakdown = 1;
            continue;
        }
        if (!v) return usage();
        if (!strcmp(o, "-m"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "-m", &m);
        else if (!strcmp(o, "-n"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "-n", &n);
        else if (!strcmp(o, "-k"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "-k", &k);
        else if (!strcmp(o, "--dtype"))
            rc = mxt_dtype_parse(v, &dt);
        else if (!strcmp(o, "--layout")) {
            if (strcmp(v, "col") && strcmp(v, "row")) return usage();
            layout = strcmp(v, "row") ? MXT_COL_MAJOR : MXT_ROW_MAJOR;
        } else if (!strcmp(o, "--schedule"))
            rc = mxt_schedule_parse(v, &cfg.schedule);
        else if (!strcmp(o, "--isa"))
            rc = mxt_isa_parse(v, &cfg.isa);
        else if (!strcmp(o, "--mr"))
            rc = mxt_parse_int(v, 1, 1024, "--mr", &cfg.mr);
        else if (!strcmp(o, "--nr"))
            rc = mxt_parse_int(v, 1, 1024, "--nr", &cfg.nr);
        else if (!strcmp(o, "--mc"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "--mc", &cfg.mc);
        else if (!strcmp(o, "--kc"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "--kc", &cfg.kc);
        else if (!strcmp(o, "--nc"))
            rc = mxt_parse_i64(v, 0, INT64_MAX, "--nc", &cfg.nc);
        else if (!strcmp(o, "--alpha"))
            rc = mxt_parse_double(v, 0, 1e6, "--alpha", &cfg.alpha);
        else if (!strcmp(o, "--threads"))
            rc = mxt_parse_int(v, 0, MXT_MAX_THREADS, "--threads", &cfg.threads);
        else if (!strcmp(o, "--reps"))
            rc = mxt_parse_int(v, 1, 1000, "--reps", &reps);
        else if (!strcmp(o, "--flush"))
            rc = mxt_parse_i64(v, 0, (int64_t)1 << 40, "--flush", &flush);
        else
            return usage();
        if (rc) {
            fprintf(stderr, "gemm_run: %s\n", mxt_last_error());
            return 2;
        }
        i++;
    }
    struct mxt_config r;
    if (mxt_gemm_resolve_config(dt, layout, m, n, k, &cfg, &r) != 0) {
        fprintf(stderr, "gemm_run: %s\n", mxt_last_error());
        return 2;
    }
    const size_t s = (size_t)mxt_dtype_size(dt);
    const int64_t lda = layout == MXT_COL_MAJOR ? m : k, ldb = layout == MXT_COL_MAJOR ? k : n;
    const int64_t ldc = layout == MXT_COL_MAJOR ? m : n;
    char *a = malloc((size_t)(m * k) * s), *b = malloc((size_t)(k * n) * s);
    char *c = malloc((size_t)(m * n) * s);
    double *t = calloc((size_t)reps, sizeof(double));
    unsigned char *fl = flush > 0 ? calloc((size_t)flush, 1) : NULL;
    int rc = 1;
    if (!a || !b || !c || !t || (flush > 0 && !fl)) {
        fprintf(stderr, "gemm_run: out of memory\n");
        goto out;
    }
    for (int64_t i = 0; i < m * k; i++) {
        const double v = (double)(i % 17) / 17.0 - 0.5;
        if (dt == MXT_F32)
            ((float *)a)[i] = (float)v;
        else
            ((double *)a)[i] = v;
    }
    for (int64_t i = 0; i < k * n; i++) {
        const double v = (double)(i % 13) / 13.0 - 0.5;
        if (dt == MXT_F32)
            ((float *)b)[i] = (float)v;
        else
            ((double *)b)[i] = v;
    }
    memset(c, 0, (size_t)(m * n) * s);
    for (int rep = -1; rep < reps; rep++) { /* rep -1: warm-up */
        if (fl) flush_caches(fl, (size_t)flush);
        if (rep == 0) mxt_kernels_profile(breakdown);
        const double t0 = now();
        int e = dt == MXT_F32
                    ? mxt_sgemm_ex(layout, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0f, (float *)a,
                                   lda, (float *)b, ldb, 0.0f, (float *)c, ldc, &cfg)
                    : mxt_dgemm_ex(layout, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0, (double *)a,
                                   lda, (double *)b, ldb, 0.0, (double *)c, ldc, &cfg);
        const double dt_s = now() - t0;
        if (e) {
            fprintf(stderr, "gemm_run: %s\n", mxt_last_error());
            goto out;
        }
        if (rep >= 0) t[rep] = dt_s;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    const double flops = 2.0 * (double)m * (double)n * (double)k;
    printf("%s %s M=%lld N=%lld K=%lld schedule=%s isa=%s mr=%d nr=%d mc=%lld kc=%lld nc=%lld "
           "alpha=%g threads=%d: best %.1f GFLOP/s, median %.1f GFLOP/s (%.4f s)\n",
           mxt_dtype_name(dt), layout == MXT_COL_MAJOR ? "col" : "row", (long long)m, (long long)n,
           (long long)k, mxt_schedule_name(r.schedule), mxt_isa_name(r.isa), r.mr, r.nr,
           (long long)r.mc, (long long)r.kc, (long long)r.nc, r.alpha, r.threads,
           flops / t[0] * 1e-9, flops / t[reps / 2] * 1e-9, t[0]);
    if (breakdown) {
        uint64_t ns[MXT_PROF_PARTS];
        mxt_kernels_profile(0);
        mxt_kernels_profile_take(ns);
        const uint64_t stolen = mxt_kernels_profile_take_stolen();
        double wall = 0;
        for (int i = 0; i < reps; i++)
            wall += t[i];
        const double cap = wall * r.threads, per = 1e-3 * (double)reps; /* ms per call */
        const double pa = (double)ns[MXT_PROF_PACK_A] * 1e-9,
                     pb = (double)ns[MXT_PROF_PACK_B] * 1e-9,
                     mk = (double)ns[MXT_PROF_MACRO] * 1e-9, rest = cap - pa - pb - mk;
        printf(
            "breakdown per call (thread-seconds over %d thread%s): pack A %.2f ms (%.1f %%), "
            "pack B %.2f ms (%.1f %%), macro-kernels %.2f ms (%.1f %%), rest %.2f ms (%.1f %%)\n",
            r.threads, r.threads == 1 ? "" : "s", pa / per, 100 * pa / cap, pb / per,
            100 * pb / cap, mk / per, 100 * mk / cap, rest / per, 100 * rest / cap);
        if (r.schedule == MXT_SCHED_GOTO_JC)
            printf("goto-jc: %.1f row micro-panels per call taken over from another thread's "
                   "last B panel\n",
                   (double)stolen / reps);
    }
    rc = 0;
out:
    free(a);
    free(b);
    free(c);
    free(t);
    free(fl);
    return rc;
}
