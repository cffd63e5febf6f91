/* Unit tests for kernels/: packed GEMM against a naive reference (double for f32,
 * long double for f64) over many shapes, every schedule, each ISA path, 1 and 2
 * threads, both layouts, all four transpose cases, alpha/beta; bad inputs.
 *
 * Error bound checked for every element (u the unit round-off of the dtype):
 *   |C - ref| <= 2 * (K + 2) * u * (|alpha| (|op(A)||op(B)|)_ij + |beta| |C0_ij|) + tiny
 * i.e. the standard c * K * u * (|A||B|)_ij bound with c = 2 (plus two roundings for
 * alpha and beta); tiny = 1e-30 covers all-zero rows. */
#include <float.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_common.h"
#include "mxt_kernels.h"
#include "mxt_test.h"
#include "mxtune/config.h"
#include "mxtune/gemm.h"

/* ---- problem set-up and reference --------------------------------------------------- */

struct problem {
    enum mxt_dtype dt;
    enum mxt_layout layout;
    enum mxt_trans ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    double alpha, beta;
    void *a, *b, *c, *c0; /* c0: copy of C before the call */
    size_t na, nb, nc;
};

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static double rnd(void) { /* uniform in [-1, 1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static double elem_get(enum mxt_dtype dt, const void *x, size_t i) {
    return dt == MXT_F32 ? (double)((const float *)x)[i] : ((const double *)x)[i];
}
static void elem_set(enum mxt_dtype dt, void *x, size_t i, double v) {
    if (dt == MXT_F32)
        ((float *)x)[i] = (float)v;
    else
        ((double *)x)[i] = v;
}
static double get(const struct problem *p, const void *x, size_t i) {
    return elem_get(p->dt, x, i);
}
static long double getl(const struct problem *p, const void *x, size_t i) {
    return p->dt == MXT_F32 ? (long double)((const float *)x)[i] : ((const double *)x)[i];
}
static void set(const struct problem *p, void *x, size_t i, double v) {
    elem_set(p->dt, x, i, v);
}

/* Index of stored element (r, c) of a matrix with leading dimension ld. */
static size_t at(const struct problem *p, int64_t r, int64_t c, int64_t ld) {
    return (size_t)(p->layout == MXT_COL_MAJOR ? r + c * ld : r * ld + c);
}
static size_t at_a(const struct problem *p, int64_t i, int64_t l) { /* op(A)(i, l) */
    return p->ta ? at(p, l, i, p->lda) : at(p, i, l, p->lda);
}
static size_t at_b(const struct problem *p, int64_t l, int64_t j) { /* op(B)(l, j) */
    return p->tb ? at(p, j, l, p->ldb) : at(p, l, j, p->ldb);
}

static void problem_free(struct problem *p) {
    free(p->a);
    free(p->b);
    free(p->c);
    free(p->c0);
}

/* Leading dimensions get `pad` extra elements, which hold a sentinel that the
 * GEMM must leave alone (checked for C). beta == 0: C starts as NaN. */
static int problem_init(struct problem *p, enum mxt_dtype dt, enum mxt_layout layout,
                        enum mxt_trans ta, enum mxt_trans tb, int64_t m, int64_t n, int64_t k,
                        double alpha, double beta, int64_t pad) {
    *p = (struct problem){.dt = dt,
                          .layout = layout,
                          .ta = ta,
                          .tb = tb,
                          .m = m,
                          .n = n,
                          .k = k,
                          .alpha = alpha,
                          .beta = beta};
    const int col = layout == MXT_COL_MAJOR;
    const int64_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
    p->lda = (col ? ar : ac) + pad;
    p->ldb = (col ? br : bc) + pad;
    p->ldc = (col ? m : n) + pad;
    if (p->lda < 1) p->lda = 1;
    if (p->ldb < 1) p->ldb = 1;
    if (p->ldc < 1) p->ldc = 1;
    p->na = (size_t)(p->lda * (col ? ac : ar)) + 1;
    p->nb = (size_t)(p->ldb * (col ? bc : br)) + 1;
    p->nc = (size_t)(p->ldc * (col ? n : m)) + 1;
    const size_t s = (size_t)mxt_dtype_size(dt);
    p->a = malloc(p->na * s);
    p->b = malloc(p->nb * s);
    p->c = malloc(p->nc * s);
    p->c0 = malloc(p->nc * s);
    if (!p->a || !p->b || !p->c || !p->c0) return -1;
    for (size_t i = 0; i < p->na; i++)
        set(p, p->a, i, 1e30);
    for (size_t i = 0; i < p->nb; i++)
        set(p, p->b, i, 1e30);
    for (size_t i = 0; i < p->nc; i++)
        set(p, p->c, i, -7.0); /* sentinel in the padding */
    for (int64_t i = 0; i < m; i++)
        for (int64_t l = 0; l < k; l++)
            set(p, p->a, at_a(p, i, l), rnd());
    for (int64_t l = 0; l < k; l++)
        for (int64_t j = 0; j < n; j++)
            set(p, p->b, at_b(p, l, j), rnd());
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            set(p, p->c, at(p, i, j, p->ldc), beta == 0 ? NAN : rnd());
    memcpy(p->c0, p->c, p->nc * s);
    return 0;
}

static int problem_run(struct problem *p, const struct mxt_config *cfg) {
    if (p->dt == MXT_F32)
        return mxt_sgemm_ex(p->layout, p->ta, p->tb, p->m, p->n, p->k, (float)p->alpha, p->a,
                            p->lda, p->b, p->ldb, (float)p->beta, p->c, p->ldc, cfg);
    return mxt_dgemm_ex(p->layout, p->ta, p->tb, p->m, p->n, p->k, p->alpha, p->a, p->lda, p->b,
                        p->ldb, p->beta, p->c, p->ldc, cfg);
}

/* 0 when every element of C is within the bound and the padding is untouched. */
static int problem_check(const struct problem *p, const char *what) {
    const double u = p->dt == MXT_F32 ? FLT_EPSILON / 2 : DBL_EPSILON / 2;
    const double c_const = 2.0;
    int bad = 0;
    for (int64_t i = 0; i < p->m; i++) {
        for (int64_t j = 0; j < p->n; j++) {
            long double ref = 0, mag = 0;
            for (int64_t l = 0; l < p->k; l++) {
                const long double x = getl(p, p->a, at_a(p, i, l)),
                                  y = getl(p, p->b, at_b(p, l, j));
                ref += x * y;
                mag += fabsl(x * y);
            }
            const size_t ci = at(p, i, j, p->ldc);
            const double c0 = p->beta == 0 ? 0.0 : get(p, p->c0, ci);
            ref = (long double)p->alpha * ref + (long double)p->beta * c0;
            const double bound = c_const * (double)(p->k + 2) * u *
                                     (fabs(p->alpha) * (double)mag + fabs(p->beta) * fabs(c0)) +
                                 1e-30;
            const double got = get(p, p->c, ci), err = fabs(got - (double)ref);
            if (!(err <= bound)) {
                if (bad++ < 3)
                    fprintf(stderr, "%s: C(%lld,%lld) = %.9g, reference %.9Lg, error %.3g > %.3g\n",
                            what, (long long)i, (long long)j, got, ref, err, bound);
            }
        }
    }
    /* Everything outside the m x n part of C keeps its sentinel. */
    size_t touched = 0;
    for (size_t x = 0; x < p->nc; x++)
        if (get(p, p->c, x) != get(p, p->c0, x)) touched++;
    for (int64_t i = 0; i < p->m; i++)
        for (int64_t j = 0; j < p->n; j++) {
            const size_t ci = at(p, i, j, p->ldc);
            if (get(p, p->c, ci) != get(p, p->c0, ci)) touched--;
        }
    if (touched) {
        fprintf(stderr, "%s: %zu elements outside C were written\n", what, touched);
        bad++;
    }
    return bad;
}

/* Run one case; returns the number of bad elements (0 = pass). */
static int run_case(enum mxt_dtype dt, enum mxt_layout layout, enum mxt_trans ta, enum mxt_trans tb,
                    int64_t m, int64_t n, int64_t k, double alpha, double beta,
                    const struct mxt_config *cfg, int64_t pad) {
    struct problem p;
    char what[256];
    snprintf(what, sizeof(what),
             "%s %s %c%c M=%lld N=%lld K=%lld alpha=%g beta=%g sched=%s isa=%s %dx%d mc=%lld "
             "kc=%lld nc=%lld threads=%d",
             mxt_dtype_name(dt), layout == MXT_COL_MAJOR ? "col" : "row", ta ? 'T' : 'N',
             tb ? 'T' : 'N', (long long)m, (long long)n, (long long)k, alpha, beta,
             cfg ? mxt_schedule_name(cfg->schedule) : "default",
             cfg ? mxt_isa_name(cfg->isa) : "auto", cfg ? cfg->mr : 0, cfg ? cfg->nr : 0,
             cfg ? (long long)cfg->mc : 0LL, cfg ? (long long)cfg->kc : 0LL,
             cfg ? (long long)cfg->nc : 0LL, cfg ? cfg->threads : 0);
    if (problem_init(&p, dt, layout, ta, tb, m, n, k, alpha, beta, pad) != 0) {
        problem_free(&p);
        fprintf(stderr, "%s: out of memory in the test\n", what);
        return 1;
    }
    int rc = problem_run(&p, cfg), bad;
    if (rc != 0) {
        fprintf(stderr, "%s: returned %d (%s)\n", what, rc, mxt_last_error());
        bad = 1;
    } else {
        bad = problem_check(&p, what);
    }
    problem_free(&p);
    return bad;
}

/* The checker itself: a correct result passes, one perturbed element or a write
 * into the padding of C fails. */
MXT_TEST(checker_detects_errors) {
    struct problem p;
    CHECK_EQ_INT(
        problem_init(&p, MXT_F64, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_TRANS, 9, 7, 5, 1.0, 0.5, 2), 0);
    CHECK_EQ_INT(problem_run(&p, NULL), 0);
    CHECK_EQ_INT(problem_check(&p, "correct"), 0);
    double *c = p.c;
    const double saved = c[3 + 2 * p.ldc];
    c[3 + 2 * p.ldc] = saved * (1 + 1e-12) + 1e-12;
    CHECK(problem_check(&p, "expected failure (perturbed element)") > 0);
    c[3 + 2 * p.ldc] = saved;
    c[9 + 1 * p.ldc] = 0; /* row 9 is padding */
    CHECK(problem_check(&p, "expected failure (padding written)") > 0);
    problem_free(&p);
}

static const int64_t shapes[][3] = {
    {1, 1, 1},    {1, 7, 1},    {7, 1, 13}, {2, 3, 5},    {13, 17, 19}, {31, 33, 29},
    {64, 64, 64}, {97, 61, 37}, {5, 50, 3}, {50, 5, 101}, {37, 2, 1},   {3, 41, 67},
};

static const enum mxt_schedule schedules[] = {MXT_SCHED_CAKE_KMN, MXT_SCHED_CAKE_MKN,
                                              MXT_SCHED_CAKE_NKM, MXT_SCHED_GOTO,
                                              MXT_SCHED_GOTO_JC,  MXT_SCHED_CAKE};

/* Small blocks so that every walk visits many blocks, turns and tails. */
static struct mxt_config tiny_blocks(enum mxt_schedule s, const struct mxt_kernel_info *k,
                                     int threads) {
    return (struct mxt_config){.schedule = s,
                               .isa = k->isa,
                               .mr = k->mr,
                               .nr = k->nr,
                               .mc = 2 * k->mr,
                               .kc = 7,
                               .nc = 2 * k->nr,
                               .threads = threads};
}

/* Every shape, schedule, 1 and 2 threads, small and default blocks, for one kernel. */
static int sweep_kernel(const struct mxt_kernel_info *ki, int all_shapes) {
    int bad = 0;
    const size_t nshapes = all_shapes ? MXT_ARRAY_LEN(shapes) : 6;
    for (size_t s = 0; s < MXT_ARRAY_LEN(schedules); s++) {
        for (int threads = 1; threads <= 2; threads++) {
            for (size_t i = 0; i < nshapes; i++) {
                struct mxt_config small = tiny_blocks(schedules[s], ki, threads);
                struct mxt_config dflt = {.schedule = schedules[s],
                                          .isa = ki->isa,
                                          .mr = ki->mr,
                                          .nr = ki->nr,
                                          .threads = threads};
                bad += run_case(ki->dtype, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, shapes[i][0],
                                shapes[i][1], shapes[i][2], 1.0, 0.0, &small, 0);
                bad += run_case(ki->dtype, MXT_ROW_MAJOR, MXT_NO_TRANS, MXT_TRANS, shapes[i][0],
                                shapes[i][1], shapes[i][2], -0.5, 0.75, &dflt, 3);
                if (bad) return bad;
            }
        }
    }
    return bad;
}

/* All kernels of one ISA and dtype, or skip when the CPU cannot run the ISA. */
static int sweep_isa(enum mxt_isa isa, enum mxt_dtype dt) {
    int bad = 0, first = 1;
    for (int i = 0; i < mxt_kernels_count(); i++) {
        const struct mxt_kernel_info *ki = mxt_kernels_get(i);
        if (ki->isa != isa || ki->dtype != dt) continue;
        bad += sweep_kernel(ki, first); /* every shape for the default kernel */
        first = 0;
    }
    return bad;
}

/* Each ISA path forced through the configuration; skipped (77) only when the CPU or
 * build cannot run that ISA, or MXT_ISA caps it (e.g. MXT_ISA=avx2 under valgrind). */
static void isa_case(enum mxt_isa isa, enum mxt_dtype dt, int *bad) {
    if (!mxt_kernels_isa_supported(isa)) MXT_SKIP("ISA not supported by this CPU or build");
    const char *env = getenv("MXT_ISA");
    enum mxt_isa cap;
    if (env && *env && mxt_kernels_default_isa(&cap) == 0 && isa > cap)
        MXT_SKIP("ISA above the cap set by MXT_ISA");
    *bad = sweep_isa(isa, dt);
}

MXT_TEST(generic_f32) {
    CHECK_EQ_INT(sweep_isa(MXT_ISA_GENERIC, MXT_F32), 0);
}
MXT_TEST(generic_f64) {
    CHECK_EQ_INT(sweep_isa(MXT_ISA_GENERIC, MXT_F64), 0);
}
MXT_TEST(avx2_f32) {
    int bad;
    isa_case(MXT_ISA_AVX2, MXT_F32, &bad);
    CHECK_EQ_INT(bad, 0);
}
MXT_TEST(avx2_f64) {
    int bad;
    isa_case(MXT_ISA_AVX2, MXT_F64, &bad);
    CHECK_EQ_INT(bad, 0);
}
MXT_TEST(avx512_f32) {
    int bad;
    isa_case(MXT_ISA_AVX512, MXT_F32, &bad);
    CHECK_EQ_INT(bad, 0);
}
MXT_TEST(avx512_f64) {
    int bad;
    isa_case(MXT_ISA_AVX512, MXT_F64, &bad);
    CHECK_EQ_INT(bad, 0);
}

/* Both layouts x four transpose cases x every schedule, 2 threads, padded ld. */
static int sweep_layouts(enum mxt_dtype dt) {
    static const int64_t sh[][3] = {{1, 1, 1}, {19, 23, 17}, {40, 9, 33}, {8, 45, 2}};
    int bad = 0;
    for (int layout = 0; layout < 2; layout++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (size_t s = 0; s < MXT_ARRAY_LEN(schedules); s++)
                    for (size_t i = 0; i < MXT_ARRAY_LEN(sh); i++) {
                        struct mxt_config cfg = {
                            .schedule = schedules[s], .mc = 0, .kc = 5, .threads = 2};
                        bad += run_case(dt, (enum mxt_layout)layout, (enum mxt_trans)ta,
                                        (enum mxt_trans)tb, sh[i][0], sh[i][1], sh[i][2], 1.5, -1.0,
                                        &cfg, 2);
                        if (bad) return bad;
                    }
    return bad;
}

MXT_TEST(layouts_transposes_f32) {
    CHECK_EQ_INT(sweep_layouts(MXT_F32), 0);
}
MXT_TEST(layouts_transposes_f64) {
    CHECK_EQ_INT(sweep_layouts(MXT_F64), 0);
}

MXT_TEST(alpha_beta_cases) {
    static const double ab[][2] = {{1, 0}, {1, 1}, {-2, 0.5}, {0.25, -1}, {0, 0}, {0, 2}};
    for (int dt = 0; dt < 2; dt++)
        for (size_t i = 0; i < MXT_ARRAY_LEN(ab); i++)
            for (size_t s = 0; s < MXT_ARRAY_LEN(schedules); s++) {
                struct mxt_config cfg = {.schedule = schedules[s], .threads = 2};
                CHECK_EQ_INT(run_case((enum mxt_dtype)dt, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS,
                                      35, 29, 31, ab[i][0], ab[i][1], &cfg, 1),
                             0);
            }
}

MXT_TEST(beta_zero_overwrites_nan) {
    /* problem_init fills C with NaN when beta == 0; a NaN left over fails the check */
    for (int dt = 0; dt < 2; dt++)
        for (size_t s = 0; s < MXT_ARRAY_LEN(schedules); s++) {
            struct mxt_config cfg = {.schedule = schedules[s], .kc = 4, .threads = 2};
            CHECK_EQ_INT(run_case((enum mxt_dtype)dt, MXT_ROW_MAJOR, MXT_TRANS, MXT_NO_TRANS, 33,
                                  47, 9, 1.0, 0.0, &cfg, 0),
                         0);
        }
}

MXT_TEST(k_zero_and_alpha_zero_scale_c) {
    float c[6] = {1, 2, 3, 4, 5, NAN};
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 2, 3, 0, 1.0f, NULL, 2,
                              NULL, 1, 2.0f, c, 2, NULL),
                 0);
    CHECK(c[0] == 2 && c[4] == 10 && isnan(c[5]));
    /* alpha == 0: A and B are not read, beta == 0 clears NaN */
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 2, 3, 4, 0.0f, NULL, 2,
                              NULL, 4, 0.0f, c, 2, NULL),
                 0);
    for (int i = 0; i < 6; i++)
        CHECK(c[i] == 0.0f);
    /* M == 0 or N == 0: nothing to touch, C may be NULL */
    CHECK_EQ_INT(mxt_dgemm_ex(MXT_ROW_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 0, 3, 4, 1.0, NULL, 4,
                              NULL, 3, 0.0, NULL, 3, NULL),
                 0);
}

/* Thread counts that do not match the machine, and more slots than rows. */
MXT_TEST(odd_thread_counts) {
    for (int threads = 3; threads <= 5; threads += 2)
        for (size_t s = 0; s < MXT_ARRAY_LEN(schedules); s++) {
            struct mxt_config cfg = {.schedule = schedules[s],
                                     .isa = MXT_ISA_GENERIC,
                                     .mr = 8,
                                     .nr = 4,
                                     .mc = 8,
                                     .kc = 6,
                                     .nc = 8,
                                     .threads = threads};
            CHECK_EQ_INT(run_case(MXT_F32, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 45, 30, 20,
                                  1.0, 1.0, &cfg, 0),
                         0);
            CHECK_EQ_INT(run_case(MXT_F32, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 3, 2, 20, 1.0,
                                  1.0, &cfg, 0),
                         0);
        }
}

/* goto-jc: the goto driver splits the jc loop. Every kernel this CPU runs, the
 * shapes above, 1 to 3 threads (3 with N too narrow for 3 column slices runs as
 * goto), then a transposed row-major case with the default blocks. */
MXT_TEST(goto_jc_every_kernel) {
    for (int i = 0; i < mxt_kernels_count(); i++) {
        const struct mxt_kernel_info *ki = mxt_kernels_get(i);
        if (!mxt_kernels_isa_supported(ki->isa)) continue;
        for (int threads = 1; threads <= 3; threads++)
            for (size_t sh = 0; sh < MXT_ARRAY_LEN(shapes); sh++) {
                struct mxt_config small = tiny_blocks(MXT_SCHED_GOTO_JC, ki, threads);
                CHECK_EQ_INT(run_case(ki->dtype, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS,
                                      shapes[sh][0], shapes[sh][1], shapes[sh][2], 1.0, 0.5, &small,
                                      0),
                             0);
            }
    }
    struct mxt_config dflt = {.schedule = MXT_SCHED_GOTO_JC, .threads = 2};
    CHECK_EQ_INT(
        run_case(MXT_F64, MXT_ROW_MAJOR, MXT_TRANS, MXT_NO_TRANS, 301, 203, 157, -1, 2, &dflt, 5),
        0);
    enum mxt_schedule s;
    CHECK_EQ_INT(mxt_schedule_parse("goto-jc", &s), 0);
    CHECK_EQ_INT(s, MXT_SCHED_GOTO_JC);
    CHECK(strcmp(mxt_schedule_name(MXT_SCHED_GOTO_JC), "goto-jc") == 0);
    CHECK(mxt_schedule_is_goto(MXT_SCHED_GOTO_JC) && !mxt_schedule_is_goto(MXT_SCHED_CAKE_KMN));
}

/* goto-jc: a thread done with its own columns takes row blocks of another's last B
 * panel (gemm_goto.c). N = 3 nr gives thread 0 of 2 one column micro-panel and
 * thread 1 two (4 nr on 3 threads: the last has two). The test hook makes the last
 * thread wait until another has taken rows of its last panel, so every call takes
 * some over whatever the scheduler does (without it, on a loaded machine thread 0
 * could stay descheduled until thread 1 had finished alone: seen under load). The
 * taken blocks must come out as the owner would have computed them, with the last
 * K block's beta (the call's own when K fits one block, 1 after the first). */
MXT_TEST(goto_jc_takes_over_last_panel) {
    const struct mxt_kernel_info *ki = NULL;
    for (int i = 0; i < mxt_kernels_count() && !ki; i++) {
        const struct mxt_kernel_info *k = mxt_kernels_get(i);
        if (k->dtype == MXT_F64 && k->isa == MXT_ISA_GENERIC) ki = k;
    }
    CHECK(ki != NULL);
    const int64_t kcs[] = {64, 9}; /* one K block, then several */
    for (int threads = 2; threads <= 3; threads++)
        for (size_t c = 0; c < MXT_ARRAY_LEN(kcs); c++) {
            const struct mxt_config cfg = {.schedule = MXT_SCHED_GOTO_JC,
                                           .isa = ki->isa,
                                           .mr = ki->mr,
                                           .nr = ki->nr,
                                           .mc = ki->mr,
                                           .kc = kcs[c],
                                           .nc = 4 * ki->nr,
                                           .threads = threads};
            mxt_kernels_profile_take_stolen();
            mxt_kernels_profile(1);
            mxt_kernels_test_jc_hold(1);
            const int bad =
                run_case(MXT_F64, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 96 * ki->mr + 3,
                         (threads + 1) * ki->nr - 1, 40, 1.5, 0.5, &cfg, 0);
            mxt_kernels_test_jc_hold(0);
            mxt_kernels_profile(0);
            CHECK_EQ_INT(bad, 0);
            CHECK(mxt_kernels_profile_take_stolen() > 0);
        }
}

struct concurrent_arg {
    int seed, bad;
};

static void *concurrent_main(void *p) {
    struct concurrent_arg *arg = p;
    const int64_t m = 40 + arg->seed, n = 33, k = 27;
    float *a = malloc(sizeof(float) * (size_t)(m * k)),
          *b = malloc(sizeof(float) * (size_t)(k * n));
    float *c = malloc(sizeof(float) * (size_t)(m * n));
    if (!a || !b || !c) {
        arg->bad = 1;
        goto out;
    }
    for (int64_t i = 0; i < m * k; i++)
        a[i] = (float)((i * 7 + arg->seed) % 11) - 5.0f;
    for (int64_t i = 0; i < k * n; i++)
        b[i] = (float)((i * 3 + arg->seed) % 13) - 6.0f;
    for (int rep = 0; rep < 4 && !arg->bad; rep++) {
        struct mxt_config cfg = {
            .schedule = schedules[(size_t)(arg->seed + rep) % MXT_ARRAY_LEN(schedules)],
            .kc = 8,
            .threads = 2};
        if (mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0f, a, m, b, k, 0.0f,
                         c, m, &cfg) != 0) {
            arg->bad = 1;
            break;
        }
        /* small integers: the result is exact in f32 */
        for (int64_t i = 0; i < m && !arg->bad; i++)
            for (int64_t j = 0; j < n; j++) {
                double ref = 0;
                for (int64_t l = 0; l < k; l++)
                    ref += (double)a[i + l * m] * b[l + j * k];
                if (c[i + j * m] != (float)ref) {
                    arg->bad = 1;
                    break;
                }
            }
    }
out:
    free(a);
    free(b);
    free(c);
    return NULL;
}

MXT_TEST(concurrent_calls) {
    enum { NT = 4 };
    pthread_t th[NT];
    struct concurrent_arg args[NT];
    for (int t = 0; t < NT; t++) {
        args[t] = (struct concurrent_arg){.seed = t};
        CHECK_EQ_INT(pthread_create(&th[t], NULL, concurrent_main, &args[t]), 0);
    }
    for (int t = 0; t < NT; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < NT; t++)
        CHECK_EQ_INT(args[t].bad, 0);
}

/* ---- bad input ----------------------------------------------------------------------- */

MXT_TEST(bad_arguments) {
    float a[64] = {0}, b[64] = {0}, c[64] = {0};
    const struct mxt_config *d = NULL;
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 4, 4, 4, 1, NULL, 4, b, 4,
                              0, c, 4, d),
                 MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "A") != NULL);
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 4, 4, 4, 1, a, 4, NULL, 4,
                              0, c, 4, d),
                 MXT_EINVAL);
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 4, 4, 4, 1, a, 4, b, 4, 0,
                              NULL, 4, d),
                 MXT_EINVAL);
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, -1, 4, 4, 1, a, 4, b, 4, 0,
                              c, 4, d),
                 MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "negative") != NULL);
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 4, 4, -3, 1, a, 4, b, 4, 0,
                              c, 4, d),
                 MXT_EINVAL);
    /* leading dimensions too small, per layout and transpose */
    CHECK_EQ_INT(
        mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 4, 4, 4, 1, a, 3, b, 4, 0, c, 4, d),
        MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "lda") != NULL);
    CHECK_EQ_INT(
        mxt_sgemm_ex(MXT_COL_MAJOR, MXT_TRANS, MXT_NO_TRANS, 4, 4, 2, 1, a, 2, b, 2, 0, c, 4, d),
        0);
    CHECK_EQ_INT(
        mxt_sgemm_ex(MXT_ROW_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 4, 5, 2, 1, a, 2, b, 4, 0, c, 5, d),
        MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "ldb") != NULL);
    CHECK_EQ_INT(
        mxt_sgemm_ex(MXT_ROW_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 4, 5, 2, 1, a, 2, b, 5, 0, c, 4, d),
        MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "ldc") != NULL);
    CHECK_EQ_INT(
        mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 1, 1, 1, 1, a, 0, b, 1, 0, c, 1, d),
        MXT_EINVAL);
    CHECK_EQ_INT(mxt_sgemm_ex((enum mxt_layout)7, MXT_NO_TRANS, MXT_NO_TRANS, 1, 1, 1, 1, a, 1, b,
                              1, 0, c, 1, d),
                 MXT_EINVAL);
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, (enum mxt_trans)2, MXT_NO_TRANS, 1, 1, 1, 1, a, 1, b,
                              1, 0, c, 1, d),
                 MXT_EINVAL);
    /* an ld times size that overflows int64 */
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 2, 4, 4, 1, a,
                              INT64_MAX / 2, b, 4, 0, c, 2, d),
                 MXT_EINVAL);
}

MXT_TEST(bad_configurations) {
    double a[16] = {0}, b[16] = {0}, c[16] = {0};
    struct mxt_config cfg = {.schedule = MXT_SCHED_GOTO, .isa = MXT_ISA_GENERIC, .mr = 4, .nr = 4};
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), 0);
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, NULL), 0);
    cfg.mc = 6; /* not a multiple of mr */
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "multiple of mr") != NULL);
    CHECK_EQ_INT(mxt_dgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 4, 4, 4, 1, a, 4, b, 4, 0,
                              c, 4, &cfg),
                 MXT_EINVAL);
    cfg.mc = 8;
    cfg.nc = 6; /* not a multiple of nr */
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "multiple of nr") != NULL);
    cfg.nc = 0;
    cfg.mr = 5; /* no such kernel */
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "5x4") != NULL);
    cfg.mr = 4;
    cfg.nr = 0; /* half a tile */
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    cfg.nr = 4;
    cfg.kc = -1;
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    cfg.kc = 0;
    cfg.threads = MXT_MAX_THREADS + 1;
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    cfg.threads = 0;
    cfg.alpha = NAN;
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    cfg.alpha = 0;
    cfg.schedule = (enum mxt_schedule)9;
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    cfg.schedule = MXT_SCHED_GOTO;
    cfg.isa = (enum mxt_isa)17;
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EINVAL);
    CHECK_EQ_INT(mxt_gemm_check_config((enum mxt_dtype)5, NULL), MXT_EINVAL);
    /* the f32 generic kernel is 8x4: 4x4 exists only for f64 */
    cfg.isa = MXT_ISA_GENERIC;
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F32, &cfg), MXT_EINVAL);
    if (!mxt_kernels_isa_supported(MXT_ISA_AVX512)) {
        cfg = (struct mxt_config){.isa = MXT_ISA_AVX512};
        CHECK_EQ_INT(mxt_gemm_check_config(MXT_F64, &cfg), MXT_EUNSUPPORTED);
    }
}

/* Sanitizer builds: report a failed huge allocation as NULL instead of aborting. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
    return "allocator_may_return_null=1";
}

MXT_TEST(allocation_failure_is_reported) {
    /* Packing buffers that cannot be allocated: a clear MXT_ENOMEM, no crash. The
     * matrices are never read because allocation fails before packing. */
    float a[4] = {0}, b[4] = {0}, c[4] = {0};
    const int64_t n = (int64_t)1 << 40, k = (int64_t)1 << 20;
    struct mxt_config cfg = {.schedule = MXT_SCHED_GOTO,
                             .isa = MXT_ISA_GENERIC,
                             .mr = 8,
                             .nr = 4,
                             .kc = 256,
                             .nc = n,
                             .threads = 1};
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 1, n, k, 1, a, 1, b, k, 0,
                              c, 1, &cfg),
                 MXT_ENOMEM);
    CHECK(strstr(mxt_last_error(), "allocate") != NULL);
    cfg.schedule = MXT_SCHED_CAKE_KMN;
    cfg.threads = 2;
    CHECK_EQ_INT(mxt_sgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 1, n, k, 1, a, 1, b, k, 0,
                              c, 1, &cfg),
                 MXT_ENOMEM);
}

/* ---- registry, ISA, configuration fallbacks ------------------------------------------ */

/* Edge kernel v of a micro-kernel computes the first v * edge_rows rows of its tile
 * from the same packed panels, with the same operations: bit for bit the full
 * kernel's rows, and nothing below them. */
static int edge_case(const struct mxt_ukr *u, int v, int64_t k) {
    const int mr = u->info.mr, nr = u->info.nr, rows = v * u->edge_rows;
    const enum mxt_dtype dt = u->info.dtype;
    const size_t esz = (size_t)mxt_dtype_size(dt);
    void *a = aligned_alloc(64, (size_t)mxt_round_up(mr * k * (int64_t)esz, 64));
    void *b = aligned_alloc(64, (size_t)mxt_round_up(nr * k * (int64_t)esz, 64));
    void *full = aligned_alloc(64, (size_t)(mr * nr) * esz);
    void *edge = aligned_alloc(64, (size_t)(mr * nr) * esz);
    for (int64_t i = 0; i < mr * k; i++)
        elem_set(dt, a, (size_t)i, rnd());
    for (int64_t i = 0; i < nr * k; i++)
        elem_set(dt, b, (size_t)i, rnd());
    for (int64_t i = 0; i < mr * nr; i++) {
        elem_set(dt, full, (size_t)i, 0.5);
        elem_set(dt, edge, (size_t)i, 7.0);
    }
    if (dt == MXT_F32) {
        u->f32(k, a, b, full, mr, 1.5f, 0.0f);
        u->f32_edge[v](k, a, b, edge, mr, 1.5f, 0.0f);
    } else {
        u->f64(k, a, b, full, mr, 1.5, 0.0);
        u->f64_edge[v](k, a, b, edge, mr, 1.5, 0.0);
    }
    /* both with beta 0: the edge rows equal the full kernel's, the rest keep 7 */
    int bad = 0;
    for (int j = 0; j < nr; j++)
        for (int i = 0; i < mr; i++) {
            const size_t at = (size_t)i + (size_t)j * (size_t)mr;
            bad += elem_get(dt, edge, at) != (i < rows ? elem_get(dt, full, at) : 7.0);
        }
    free(a), free(b), free(full), free(edge);
    return bad;
}

/* One packing-variant call of u (ukernel_simd.h, _pa) against mxt_pack_a of the
 * same micro-panel followed by the kernel: the packed micro-panel and C must come
 * out bit for bit the same (the same loads and FMAs in the same order). A's source
 * starts one element past a line, with lda = mr + 3, and k runs into the tail loop. */
static int pa_case(const struct mxt_ukr *u, int64_t k) {
    const int mr = u->info.mr, nr = u->info.nr;
    const enum mxt_dtype dt = u->info.dtype;
    const size_t es = (size_t)mxt_dtype_size(dt);
    const int64_t lda = mr + 3, ldc = mr + 5;
    /* sizes rounded to the alignment, as aligned_alloc wants (AddressSanitizer enforces it) */
    const int64_t e = (int64_t)es;
    char *src = aligned_alloc(64, (size_t)mxt_round_up((lda * k + 16) * e, 64));
    char *ap1 = aligned_alloc(64, (size_t)mxt_round_up(mr * k * e, 64));
    char *ap2 = aligned_alloc(64, (size_t)mxt_round_up(mr * k * e, 64));
    char *bp = aligned_alloc(64, (size_t)mxt_round_up(nr * k * e, 64));
    char *c1 = malloc((size_t)(ldc * nr) * es), *c2 = malloc((size_t)(ldc * nr) * es);
    int bad = !src || !ap1 || !ap2 || !bp || !c1 || !c2;
    if (bad) fprintf(stderr, "%s k=%lld: out of memory in the test\n", u->info.name, (long long)k);
    for (int64_t i = 0; !bad && i < lda * k + 16; i++)
        elem_set(dt, src, (size_t)i, (double)((i * 37) % 101) / 50.0 - 1.0);
    for (int64_t i = 0; !bad && i < nr * k; i++)
        elem_set(dt, bp, (size_t)i, (double)((i * 13) % 29) / 14.0 - 1.0);
    for (int64_t i = 0; !bad && i < ldc * nr; i++) {
        elem_set(dt, c1, (size_t)i, (double)(i % 7) - 3.0);
        elem_set(dt, c2, (size_t)i, (double)(i % 7) - 3.0);
    }
    if (!bad) {
        const char *a = src + es; /* one element past the line */
        mxt_pack_a(u->info.isa, es, mr, mr, k, a, 1, lda, ap2, 0, 1);
        if (dt == MXT_F32) {
            u->f32_pa(k, (const float *)a, lda, (float *)ap1, (const float *)bp, (float *)c1, ldc,
                      1.5f, 0.5f);
            u->f32(k, (const float *)ap2, (const float *)bp, (float *)c2, ldc, 1.5f, 0.5f);
        } else {
            u->f64_pa(k, (const double *)a, lda, (double *)ap1, (const double *)bp, (double *)c1,
                      ldc, 1.5, 0.5);
            u->f64(k, (const double *)ap2, (const double *)bp, (double *)c2, ldc, 1.5, 0.5);
        }
        bad = memcmp(ap1, ap2, (size_t)(mr * k) * es) != 0 ||
              memcmp(c1, c2, (size_t)(ldc * nr) * es) != 0;
        if (bad)
            fprintf(stderr, "%s k=%lld: the packing variant differs\n", u->info.name, (long long)k);
    }
    free(src);
    free(ap1);
    free(ap2);
    free(bp);
    free(c1);
    free(c2);
    return bad;
}

/* Every SIMD kernel's edge kernels and packing variant against the full kernel. */
MXT_TEST(kernel_variants_match_full_kernel) {
    int checked = 0;
    for (int i = 0; i < mxt_kernels_count(); i++) {
        const struct mxt_kernel_info *ki = mxt_kernels_get(i);
        const struct mxt_ukr *u = mxt_ukr_find(ki->isa, ki->dtype, ki->mr, ki->nr);
        CHECK(u != NULL);
        if (!u) continue;
        /* every SIMD kernel has a packing variant, the generic ones none */
        const int has_pa = ki->dtype == MXT_F32 ? u->f32_pa != NULL : u->f64_pa != NULL;
        CHECK_EQ_INT(has_pa, ki->isa != MXT_ISA_GENERIC);
        if (!mxt_kernels_isa_supported(ki->isa) || ki->isa == MXT_ISA_GENERIC) continue;
        /* every SIMD kernel wider than one vector has an edge kernel per narrower width */
        CHECK(u->edge_rows > 0 || ki->mr <= 16);
        for (int v = 1; u->edge_rows > 0 && v * u->edge_rows < ki->mr; v++) {
            CHECK(ki->dtype == MXT_F32 ? u->f32_edge[v] != NULL : u->f64_edge[v] != NULL);
            for (int64_t k = 1; k <= 41; k += 20) {
                CHECK_EQ_INT(edge_case(u, v, k), 0);
                checked++;
            }
        }
        for (int64_t k = 1; k <= 41; k += 20) {
            CHECK_EQ_INT(pa_case(u, k), 0);
            checked++;
        }
    }
    if (checked == 0) MXT_SKIP("no SIMD ISA on this CPU");
}

MXT_TEST(registry_lists_kernels) {
    const int n = mxt_kernels_count();
    CHECK(n >= 2);
    CHECK(mxt_kernels_get(-1) == NULL);
    CHECK(mxt_kernels_get(n) == NULL);
    int generic32 = 0, generic64 = 0;
    for (int i = 0; i < n; i++) {
        const struct mxt_kernel_info *k = mxt_kernels_get(i);
        CHECK(k && k->name && k->mr > 0 && k->nr > 0 && k->mr * k->nr <= 512);
        CHECK(mxt_kernels_find(k->isa, k->dtype, k->mr, k->nr) == k);
        generic32 += k->isa == MXT_ISA_GENERIC && k->dtype == MXT_F32;
        generic64 += k->isa == MXT_ISA_GENERIC && k->dtype == MXT_F64;
    }
    CHECK(generic32 >= 1 && generic64 >= 1);
    CHECK(mxt_kernels_find(MXT_ISA_GENERIC, MXT_F32, 3, 3) == NULL);
    CHECK(mxt_kernels_isa_supported(MXT_ISA_GENERIC));
}

MXT_TEST(isa_environment_variable) {
    enum mxt_isa isa;
    CHECK_EQ_INT(setenv("MXT_ISA", "generic", 1), 0);
    CHECK_EQ_INT(mxt_kernels_default_isa(&isa), 0);
    CHECK_EQ_INT(isa, MXT_ISA_GENERIC);
    struct mxt_config r;
    CHECK_EQ_INT(mxt_gemm_resolve_config(MXT_F32, MXT_COL_MAJOR, 10, 10, 10, NULL, &r), 0);
    CHECK_EQ_INT(r.isa, MXT_ISA_GENERIC);
    CHECK_EQ_INT(
        run_case(MXT_F64, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_TRANS, 21, 22, 23, 1, 1, NULL, 0), 0);
    /* MXT_ISA caps explicit ISAs: one above it is refused with the reason */
    if (mxt_kernels_isa_supported(MXT_ISA_AVX2)) {
        struct mxt_config cfg = {.isa = MXT_ISA_AVX2};
        CHECK_EQ_INT(mxt_gemm_check_config(MXT_F32, &cfg), MXT_EUNSUPPORTED);
        CHECK(strstr(mxt_last_error(), "MXT_ISA") != NULL);
        CHECK_EQ_INT(setenv("MXT_ISA", "avx2", 1), 0);
        cfg.isa = MXT_ISA_GENERIC; /* below the cap: fine */
        CHECK_EQ_INT(mxt_gemm_check_config(MXT_F32, &cfg), 0);
    }
    CHECK_EQ_INT(setenv("MXT_ISA", "sse9", 1), 0);
    CHECK_EQ_INT(mxt_kernels_default_isa(&isa), MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "sse9") != NULL);
    if (!mxt_kernels_isa_supported(MXT_ISA_AVX512)) {
        CHECK_EQ_INT(setenv("MXT_ISA", "avx512", 1), 0);
        CHECK_EQ_INT(mxt_kernels_default_isa(&isa), MXT_EUNSUPPORTED);
    }
    CHECK_EQ_INT(unsetenv("MXT_ISA"), 0);
    CHECK_EQ_INT(mxt_kernels_default_isa(&isa), 0);
    CHECK(mxt_kernels_isa_supported(isa));
}

/* MXT_HUGEPAGES: a bad value is refused by name; on, a large packing buffer starts
 * on a 2 MiB boundary (behind its 64-byte header); the results are right either way. */
MXT_TEST(hugepages_environment_variable) {
    CHECK_EQ_INT(setenv("MXT_HUGEPAGES", "yes", 1), 0);
    double a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4];
    const struct mxt_config cfg = {.schedule = MXT_SCHED_GOTO, .kc = 256, .nc = 1024};
    CHECK_EQ_INT(mxt_dgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 2, 2, 2, 1, a, 2, b, 2, 0,
                              c, 2, &cfg),
                 MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "MXT_HUGEPAGES='yes'") != NULL);
    const char *modes[] = {"1", "off", "on", "0"};
    for (size_t i = 0; i < MXT_ARRAY_LEN(modes); i++) {
        CHECK_EQ_INT(setenv("MXT_HUGEPAGES", modes[i], 1), 0);
        CHECK_EQ_INT(run_case(MXT_F64, MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 67, 1030, 300, 1,
                              0, &cfg, 0),
                     0);
        mxt_kernels_release_cache();
        char *x = mxt_pack_alloc((size_t)3 << 20, 1);
        CHECK(x != NULL);
        if (modes[i][0] == '1' || modes[i][1] == 'n')
            CHECK_EQ_INT((int)(((uintptr_t)x - MXT_PACK_ALIGN) % ((uintptr_t)2 << 20)), 0);
        mxt_pack_free(x);
        mxt_kernels_release_cache();
    }
    CHECK_EQ_INT(unsetenv("MXT_HUGEPAGES"), 0);
}

MXT_TEST(resolve_fills_defaults) {
    for (int dt = 0; dt < 2; dt++)
        for (size_t s = 0; s < MXT_ARRAY_LEN(schedules); s++) {
            struct mxt_config in = {.schedule = schedules[s]}, r;
            CHECK_EQ_INT(
                mxt_gemm_resolve_config((enum mxt_dtype)dt, MXT_ROW_MAJOR, 500, 300, 700, &in, &r),
                0);
            CHECK(r.isa != MXT_ISA_AUTO && r.threads >= 1);
            CHECK(mxt_kernels_find(r.isa, (enum mxt_dtype)dt, r.mr, r.nr) != NULL);
            CHECK(r.mc > 0 && r.kc > 0 && r.nc > 0);
            CHECK_EQ_INT(r.mc % r.mr, 0);
            CHECK_EQ_INT(r.nc % r.nr, 0);
            CHECK(r.schedule != MXT_SCHED_CAKE);
            if (!mxt_schedule_is_goto(r.schedule)) CHECK(r.alpha > 0);
            CHECK_EQ_INT(mxt_gemm_check_config((enum mxt_dtype)dt, &r), 0);
        }
    /* goto's nc: N in the nearest whole number of B panels of about 4 MiB, equal
     * widths (no narrow last panel), each a multiple of nr */
    const int64_t widths[] = {1, 300, 2048, 2100, 5000, 9000};
    for (int dt = 0; dt < 2; dt++)
        for (size_t w = 0; w < MXT_ARRAY_LEN(widths); w++) {
            const int64_t n = widths[w], es = dt == MXT_F64 ? 8 : 4;
            struct mxt_config in = {.schedule = MXT_SCHED_GOTO}, r;
            CHECK_EQ_INT(
                mxt_gemm_resolve_config((enum mxt_dtype)dt, MXT_COL_MAJOR, 1000, n, 700, &in, &r),
                0);
            const int64_t blocks = (n + r.nc - 1) / r.nc, last = n - (blocks - 1) * r.nc;
            CHECK_EQ_INT(r.nc % r.nr, 0);
            CHECK(last > r.nc - r.nr * blocks);         /* equal widths, up to rounding to nr */
            const int64_t kb = r.kc < 700 ? r.kc : 700; /* the panel's depth */
            CHECK(kb * r.nc * es <= ((int64_t)6 << 20) + kb * r.nr * es);
            if (blocks > 1) CHECK(kb * r.nc * es >= ((int64_t)2 << 20));
        }
    /* explicit values are kept */
    struct mxt_config in = {.schedule = MXT_SCHED_CAKE_KMN,
                            .isa = MXT_ISA_GENERIC,
                            .mr = 8,
                            .nr = 4,
                            .mc = 64,
                            .kc = 33,
                            .nc = 12,
                            .threads = 3},
                      r;
    CHECK_EQ_INT(mxt_gemm_resolve_config(MXT_F32, MXT_COL_MAJOR, 5, 5, 5, &in, &r), 0);
    CHECK(r.mc == 64 && r.kc == 33 && r.nc == 12 && r.threads == 3);
    /* the CAKE order follows the I/O comparison: small K with N <= M gives MKN */
    in = (struct mxt_config){.schedule = MXT_SCHED_CAKE,
                             .isa = MXT_ISA_GENERIC,
                             .mr = 8,
                             .nr = 4,
                             .mc = 64,
                             .threads = 2};
    CHECK_EQ_INT(mxt_gemm_resolve_config(MXT_F32, MXT_COL_MAJOR, 4096, 1024, 16, &in, &r), 0);
    CHECK_EQ_INT(r.schedule, MXT_SCHED_CAKE_MKN);
    CHECK_EQ_INT(mxt_gemm_resolve_config(MXT_F32, MXT_ROW_MAJOR, 4096, 1024, 16, &in, &r), 0);
    CHECK_EQ_INT(r.schedule, MXT_SCHED_CAKE_NKM);
    CHECK_EQ_INT(mxt_gemm_resolve_config(MXT_F32, MXT_COL_MAJOR, 1024, 1024, 100000, &in, &r), 0);
    CHECK_EQ_INT(r.schedule, MXT_SCHED_CAKE_KMN);
    CHECK_EQ_INT(mxt_gemm_resolve_config(MXT_F32, MXT_COL_MAJOR, -1, 1, 1, &in, &r), MXT_EINVAL);
}

/* One medium problem with the default configuration of the widest ISA. */
MXT_TEST(medium_default_config) {
    for (int dt = 0; dt < 2; dt++) {
        CHECK_EQ_INT(run_case((enum mxt_dtype)dt, MXT_ROW_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 203,
                              157, 311, 1.0, 0.0, NULL, 0),
                     0);
        struct mxt_config cfg = {.schedule = MXT_SCHED_GOTO, .threads = 2};
        CHECK_EQ_INT(run_case((enum mxt_dtype)dt, MXT_COL_MAJOR, MXT_TRANS, MXT_TRANS, 157, 203,
                              311, 1.0, 1.0, &cfg, 0),
                     0);
    }
}

/* The time profile behind `gemm_run --breakdown`: with it on, every schedule's call
 * puts time in packing A, packing B and the macro-kernels, and on one thread the
 * parts (nested in the call) add up to no more than the call's wall time; off, or
 * after a take, nothing is counted. */
MXT_TEST(profile_parts_add_up) {
    const int64_t m = 157, n = 203, k = 300;
    double *a = calloc((size_t)(m * k), sizeof *a), *b = calloc((size_t)(k * n), sizeof *b);
    double *c = calloc((size_t)(m * n), sizeof *c);
    CHECK(a && b && c);
    uint64_t ns[MXT_PROF_PARTS];
    for (size_t s = 0; s < MXT_ARRAY_LEN(schedules); s++) {
        const struct mxt_config cfg = {.schedule = schedules[s], .threads = 1};
        mxt_kernels_profile_take(ns); /* start from zero */
        mxt_kernels_profile(1);
        const double t0 = mxt_clock_monotonic(NULL);
        CHECK_EQ_INT(mxt_dgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1, a, m, b, k,
                                  0, c, m, &cfg),
                     0);
        const double wall = mxt_clock_monotonic(NULL) - t0;
        mxt_kernels_profile(0);
        mxt_kernels_profile_take(ns);
        double sum = 0;
        for (int i = 0; i < MXT_PROF_PARTS; i++) {
            CHECK(ns[i] > 0);
            sum += 1e-9 * (double)ns[i];
        }
        CHECK(sum <= wall * 1.0001 + 1e-6);
        CHECK_EQ_INT(mxt_dgemm_ex(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1, a, m, b, k,
                                  0, c, m, &cfg),
                     0);
        mxt_kernels_profile_take(ns);
        for (int i = 0; i < MXT_PROF_PARTS; i++)
            CHECK(ns[i] == 0);
    }
    free(a);
    free(b);
    free(c);
}
