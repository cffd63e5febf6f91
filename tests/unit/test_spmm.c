/* Unit tests for the Rosko SpMM and the low-rank chain (kernels/): mxt_spmm against a
 * naive double reference over many shapes (1, primes, tails), densities 1 to 0.001,
 * all-zero A and all-zero tiles, both layouts, alpha/beta (beta 0 over NaN), 1 to 5
 * threads, each ISA path; the CSR and dense packers and their validation; bad input.
 *
 * Bound checked for every element (u the unit round-off of the dtype):
 *   |C - ref| <= 2 * (K + 2) * u * (|alpha| (|A||B|)_ij + |beta| |C0_ij|) + tiny
 * as in test_kernels.c; for the low-rank chain K + 2 becomes K + r + 4 and
 * (|A||B|) becomes (|U||V||X|). */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include "mxt_common.h"
#include "mxt_test.h"
#include "mxtune/config.h"
#include "mxtune/gemm.h"
#include "mxtune/sparse.h"

/* ---- problem set-up and reference ---------------------------------------------------- */

static int64_t imax(int64_t a, int64_t b) {
    return a > b ? a : b;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static double rnd01(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* A sparse A (kept dense row-major and as CSR), B and C in one layout. */
struct sp {
    enum mxt_layout layout;
    int64_t m, n, k, ldb, ldc;
    float alpha, beta;
    float *a; /* dense, row-major m x k */
    int64_t *row_ptr;
    int32_t *col;
    float *val;
    float *b, *c, *c0;
    size_t nbel, ncel;
};

static void sp_free(struct sp *p) {
    free(p->a);
    free(p->row_ptr);
    free(p->col);
    free(p->val);
    free(p->b);
    free(p->c);
    free(p->c0);
}

static size_t at(enum mxt_layout l, int64_t r, int64_t c, int64_t ld) {
    return (size_t)(l == MXT_COL_MAJOR ? r + c * ld : r * ld + c);
}

/* Build the CSR arrays from p->a. */
static int sp_csr(struct sp *p) {
    int64_t nnz = 0;
    for (int64_t i = 0; i < p->m * p->k; i++)
        nnz += p->a[i] != 0.0f;
    p->row_ptr = malloc((size_t)(p->m + 1) * sizeof(int64_t));
    p->col = malloc((size_t)(nnz + 1) * sizeof(int32_t));
    p->val = malloc((size_t)(nnz + 1) * sizeof(float));
    if (!p->row_ptr || !p->col || !p->val) return -1;
    int64_t e = 0;
    p->row_ptr[0] = 0;
    for (int64_t i = 0; i < p->m; i++) {
        for (int64_t l = 0; l < p->k; l++)
            if (p->a[i * p->k + l] != 0.0f) {
                p->col[e] = (int32_t)l;
                p->val[e++] = p->a[i * p->k + l];
            }
        p->row_ptr[i + 1] = e;
    }
    return 0;
}

/* A with the given density (1: every element nonzero); B, C random; the leading
 * dimensions get 3 extra elements holding a sentinel that mxt_spmm must not touch.
 * beta == 0: C starts as NaN. */
static int sp_init(struct sp *p, enum mxt_layout layout, int64_t m, int64_t n, int64_t k,
                   double density, float alpha, float beta) {
    *p = (struct sp){.layout = layout, .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta};
    const int col = layout == MXT_COL_MAJOR;
    p->ldb = (col ? k : n) + 3;
    p->ldc = (col ? m : n) + 3;
    p->nbel = (size_t)(p->ldb * (col ? n : k)) + 1;
    p->ncel = (size_t)(p->ldc * (col ? n : m)) + 1;
    p->a = calloc((size_t)(m * k) + 1, sizeof(float));
    p->b = malloc(p->nbel * sizeof(float));
    p->c = malloc(p->ncel * sizeof(float));
    p->c0 = malloc(p->ncel * sizeof(float));
    if (!p->a || !p->b || !p->c || !p->c0) return -1;
    for (int64_t i = 0; i < m * k; i++)
        if (rnd01() < density) p->a[i] = (float)(2.0 * rnd01() - 1.0);
    for (size_t i = 0; i < p->nbel; i++)
        p->b[i] = 1e30f;
    for (int64_t l = 0; l < k; l++)
        for (int64_t j = 0; j < n; j++)
            p->b[at(layout, l, j, p->ldb)] = (float)(2.0 * rnd01() - 1.0);
    for (size_t i = 0; i < p->ncel; i++)
        p->c[i] = -7.0f;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            p->c[at(layout, i, j, p->ldc)] = beta == 0 ? NAN : (float)(2.0 * rnd01() - 1.0);
    memcpy(p->c0, p->c, p->ncel * sizeof(float));
    return sp_csr(p);
}

/* Number of elements of C outside the bound, plus 1 if the padding was written. */
static int sp_check(const struct sp *p, const char *what) {
    const double u = FLT_EPSILON / 2;
    int bad = 0;
    for (int64_t i = 0; i < p->m; i++)
        for (int64_t j = 0; j < p->n; j++) {
            double ref = 0, mag = 0;
            for (int64_t l = 0; l < p->k; l++) {
                const double x =
                    (double)p->a[i * p->k + l] * (double)p->b[at(p->layout, l, j, p->ldb)];
                ref += x;
                mag += fabs(x);
            }
            const size_t ci = at(p->layout, i, j, p->ldc);
            const double c0 = p->beta == 0 ? 0.0 : (double)p->c0[ci];
            ref = (double)p->alpha * ref + (double)p->beta * c0;
            const double bound = 2.0 * (double)(p->k + 2) * u *
                                     (fabs((double)p->alpha) * mag + fabs((double)p->beta * c0)) +
                                 1e-30;
            const double got = (double)p->c[ci], err = fabs(got - ref);
            if (!(err <= bound) && bad++ < 3)
                fprintf(stderr, "%s: C(%lld,%lld) = %.9g, reference %.9g, error %.3g > %.3g\n",
                        what, (long long)i, (long long)j, got, ref, err, bound);
        }
    size_t touched = 0;
    for (size_t x = 0; x < p->ncel; x++)
        touched += p->c[x] != p->c0[x] && !(isnan(p->c[x]) && isnan(p->c0[x]));
    for (int64_t i = 0; i < p->m; i++)
        for (int64_t j = 0; j < p->n; j++) {
            const size_t ci = at(p->layout, i, j, p->ldc);
            touched -= p->c[ci] != p->c0[ci] && !(isnan(p->c[ci]) && isnan(p->c0[ci]));
        }
    if (touched) {
        fprintf(stderr, "%s: %zu elements outside C were written\n", what, touched);
        bad++;
    }
    return bad;
}

/* Pack A (from CSR, or from dense with threshold 0 when `dense`) with tile (mr, kc),
 * run mxt_spmm with cfg and check; returns the number of failures. */
static int run_case(enum mxt_layout layout, int64_t m, int64_t n, int64_t k, double density,
                    float alpha, float beta, int mr, int64_t kc, const struct mxt_config *cfg,
                    int dense) {
    struct sp p;
    struct mxt_rosko *ap = NULL;
    char what[256];
    snprintf(what, sizeof(what),
             "%s M=%lld N=%lld K=%lld d=%g alpha=%g beta=%g mr=%d kc=%lld isa=%s nr=%d mc=%lld "
             "nc=%lld threads=%d %s",
             layout == MXT_COL_MAJOR ? "col" : "row", (long long)m, (long long)n, (long long)k,
             density, (double)alpha, (double)beta, mr, (long long)kc,
             mxt_isa_name(cfg ? cfg->isa : MXT_ISA_AUTO), cfg ? cfg->nr : 0,
             cfg ? (long long)cfg->mc : 0LL, cfg ? (long long)cfg->nc : 0LL, cfg ? cfg->threads : 0,
             dense ? "dense-packed" : "csr-packed");
    int bad = 1;
    if (sp_init(&p, layout, m, n, k, density, alpha, beta) != 0) {
        fprintf(stderr, "%s: out of memory in the test\n", what);
        goto out;
    }
    const struct mxt_config tile = {.mr = mr, .kc = kc};
    int rc = dense ? mxt_rosko_create_dense(MXT_ROW_MAJOR, m, k, p.a, imax(k, 1), 0.0f, &tile, &ap)
                   : mxt_rosko_create_csr(m, k, p.row_ptr, p.col, p.val, &tile, &ap);
    if (rc) {
        fprintf(stderr, "%s: packing returned %d (%s)\n", what, rc, mxt_last_error());
        goto out;
    }
    struct mxt_rosko_info info;
    if (mxt_rosko_info(ap, &info) != 0 || info.nnz != p.row_ptr[m]) {
        fprintf(stderr, "%s: packed %lld nonzeros of %lld\n", what, (long long)info.nnz,
                (long long)p.row_ptr[m]);
        goto out;
    }
    rc = mxt_spmm(layout, m, n, k, alpha, ap, p.b, p.ldb, beta, p.c, p.ldc, cfg);
    if (rc) {
        fprintf(stderr, "%s: mxt_spmm returned %d (%s)\n", what, rc, mxt_last_error());
        goto out;
    }
    bad = sp_check(&p, what);
out:
    mxt_rosko_destroy(ap);
    sp_free(&p);
    return bad;
}

/* The checker itself: a perturbed element or a written pad fails. */
MXT_TEST(checker_detects_errors) {
    struct sp p;
    struct mxt_rosko *ap = NULL;
    CHECK_EQ_INT(sp_init(&p, MXT_ROW_MAJOR, 9, 7, 11, 0.5, 1.0f, 0.5f), 0);
    CHECK_EQ_INT(mxt_rosko_create_csr(9, 11, p.row_ptr, p.col, p.val, NULL, &ap), 0);
    CHECK_EQ_INT(mxt_spmm(MXT_ROW_MAJOR, 9, 7, 11, 1.0f, ap, p.b, p.ldb, 0.5f, p.c, p.ldc, NULL),
                 0);
    mxt_rosko_destroy(ap);
    CHECK_EQ_INT(sp_check(&p, "correct"), 0);
    const float saved = p.c[2 * p.ldc + 3];
    p.c[2 * p.ldc + 3] = saved * (1 + 1e-5f) + 1e-5f;
    CHECK(sp_check(&p, "expected failure (perturbed element)") > 0);
    p.c[2 * p.ldc + 3] = saved;
    p.c[2 * p.ldc + 7] = 0; /* column 7 is padding */
    CHECK(sp_check(&p, "expected failure (padding written)") > 0);
    sp_free(&p);
}

/* ---- sweeps ------------------------------------------------------------------------ */

static const int64_t shapes[][3] = {
    {1, 1, 1},    {1, 17, 3},   {7, 1, 13},   {2, 3, 5},  {13, 17, 19},
    {31, 33, 29}, {64, 80, 64}, {97, 61, 37}, {5, 70, 3}, {130, 5, 101},
};
static const double densities[] = {1.0, 0.3, 0.05, 0.001};

/* Every shape and density in both layouts, 1 and 2 threads, for one ISA and nr; small
 * tiles and blocks (many tiles, tails in every direction) and the fallbacks. */
static int sweep(enum mxt_isa isa, int nr) {
    int bad = 0;
    for (size_t s = 0; s < MXT_ARRAY_LEN(shapes); s++)
        for (size_t d = 0; d < MXT_ARRAY_LEN(densities); d++)
            for (int threads = 1; threads <= 2; threads++) {
                const int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
                const enum mxt_layout lay = (s + d + threads) % 2 ? MXT_ROW_MAJOR : MXT_COL_MAJOR;
                const struct mxt_config small = {
                    .isa = isa, .nr = nr, .mc = 2 * 3, .nc = 2 * nr, .threads = threads};
                bad += run_case(lay, m, n, k, densities[d], 1.0f, 0.0f, 3, 5, &small, 0);
                const struct mxt_config dflt = {.isa = isa, .nr = nr, .threads = threads};
                bad += run_case(lay == MXT_ROW_MAJOR ? MXT_COL_MAJOR : MXT_ROW_MAJOR, m, n, k,
                                densities[d], -0.5f, 2.0f, 0, 0, &dflt, (s + d) % 2);
                if (bad) return bad;
            }
    return bad;
}

static void require_isa(enum mxt_isa isa) {
    if (!mxt_kernels_isa_supported(isa)) MXT_SKIP("ISA not supported by this CPU or build");
    enum mxt_isa cap;
    if (mxt_kernels_default_isa(&cap) == 0 && getenv("MXT_ISA") && isa > cap)
        MXT_SKIP("ISA above the cap set by MXT_ISA");
}

MXT_TEST(generic_nr16) {
    CHECK_EQ_INT(sweep(MXT_ISA_GENERIC, 16), 0);
}

MXT_TEST(generic_nr48) {
    CHECK_EQ_INT(sweep(MXT_ISA_GENERIC, 48), 0);
}

MXT_TEST(avx512_nr64) {
    require_isa(MXT_ISA_AVX512);
    CHECK_EQ_INT(sweep(MXT_ISA_AVX512, 64), 0);
}

MXT_TEST(avx512_nr16_32) {
    require_isa(MXT_ISA_AVX512);
    CHECK_EQ_INT(sweep(MXT_ISA_AVX512, 16), 0);
    CHECK_EQ_INT(sweep(MXT_ISA_AVX512, 32), 0);
}

/* avx2 has no Rosko kernel of its own: it runs the generic one. */
MXT_TEST(avx2_runs_generic) {
    require_isa(MXT_ISA_AVX2);
    const struct mxt_config cfg = {.isa = MXT_ISA_AVX2, .threads = 2};
    CHECK_EQ_INT(run_case(MXT_ROW_MAJOR, 37, 41, 53, 0.3, 1.0f, 1.0f, 8, 16, &cfg, 0), 0);
    struct mxt_rosko *ap = NULL;
    const int64_t rp[2] = {0, 0};
    CHECK_EQ_INT(mxt_rosko_create_csr(1, 1, rp, NULL, NULL, NULL, &ap), 0);
    struct mxt_config r;
    CHECK_EQ_INT(mxt_spmm_resolve_config(ap, 8, &cfg, &r), 0);
    mxt_rosko_destroy(ap);
    CHECK_EQ_INT(r.isa, MXT_ISA_AVX2);
    CHECK_EQ_INT(r.nr, 16);
}

/* MXT_ISA=generic forces the portable kernel for an auto configuration. */
MXT_TEST(mxt_isa_forces_generic) {
    if (getenv("MXT_ISA")) MXT_SKIP("MXT_ISA already set by the caller");
    setenv("MXT_ISA", "generic", 1);
    struct mxt_rosko *ap = NULL;
    const int64_t rp[3] = {0, 1, 1};
    const int32_t ci[1] = {0};
    const float v[1] = {2.0f};
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 1, rp, ci, v, NULL, &ap), 0);
    struct mxt_config r;
    int rc = mxt_spmm_resolve_config(ap, 8, NULL, &r);
    mxt_rosko_destroy(ap);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(r.isa, MXT_ISA_GENERIC);
    const struct mxt_config two = {.threads = 2};
    CHECK_EQ_INT(run_case(MXT_COL_MAJOR, 40, 23, 50, 0.2, 1.5f, 0.0f, 16, 0, &two, 0), 0);
    if (mxt_kernels_isa_supported(MXT_ISA_AVX512)) { /* an explicit avx512 is refused */
        const int64_t rp1[2] = {0, 0};
        CHECK_EQ_INT(mxt_rosko_create_csr(1, 1, rp1, NULL, NULL, NULL, &ap), 0);
        const struct mxt_config want = {.isa = MXT_ISA_AVX512};
        rc = mxt_spmm_resolve_config(ap, 8, &want, &r);
        mxt_rosko_destroy(ap);
        CHECK_EQ_INT(rc, MXT_EUNSUPPORTED);
    }
    unsetenv("MXT_ISA");
}

/* Large mr and long columns (counts up to 255, the two-slot and one-slot forms), many
 * threads including more threads than row tiles (columns split). */
MXT_TEST(tiles_and_threads) {
    const struct mxt_config t3 = {.threads = 3, .mc = 255};
    CHECK_EQ_INT(run_case(MXT_ROW_MAJOR, 300, 77, 40, 0.9, 1.0f, 0.0f, 255, 0, &t3, 0), 0);
    const struct mxt_config t5 = {.threads = 5, .nc = 16, .nr = 16};
    CHECK_EQ_INT(run_case(MXT_COL_MAJOR, 20, 150, 90, 0.1, 1.0f, 1.0f, 128, 17, &t5, 1), 0);
    const struct mxt_config t4 = {.threads = 4};
    CHECK_EQ_INT(run_case(MXT_ROW_MAJOR, 1, 300, 200, 0.02, 2.0f, 0.0f, 1, 64, &t4, 0), 0);
    CHECK_EQ_INT(run_case(MXT_ROW_MAJOR, 129, 65, 257, 0.05, 1.0f, 0.25f, 0, 0, NULL, 0), 0);
}

/* ---- special matrices --------------------------------------------------------------- */

/* All-zero A: C = beta * C, B never read (may be NULL), NaN in C gone when beta = 0. */
MXT_TEST(all_zero_a) {
    struct mxt_rosko *ap = NULL;
    float *a = calloc(30 * 20, sizeof(float));
    CHECK(a != NULL);
    int rc = mxt_rosko_create_dense(MXT_ROW_MAJOR, 30, 20, a, 20, 0.0f, NULL, &ap);
    free(a);
    CHECK_EQ_INT(rc, 0);
    float c[30 * 8];
    for (int i = 0; i < 30 * 8; i++)
        c[i] = NAN;
    rc = mxt_spmm(MXT_ROW_MAJOR, 30, 8, 20, 1.0f, ap, NULL, 8, 0.0f, c, 8, NULL);
    int zeros = 0;
    for (int i = 0; i < 30 * 8; i++)
        zeros += c[i] == 0.0f;
    for (int i = 0; i < 30 * 8; i++)
        c[i] = 2.0f;
    int rc2 = mxt_spmm(MXT_COL_MAJOR, 30, 8, 20, 1.0f, ap, NULL, 20, 0.5f, c, 30, NULL);
    struct mxt_rosko_info info;
    mxt_rosko_info(ap, &info);
    mxt_rosko_destroy(ap);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(zeros, 30 * 8);
    CHECK_EQ_INT(rc2, 0);
    CHECK(c[0] == 1.0f && c[30 * 8 - 1] == 1.0f);
    CHECK_EQ_INT(info.nnz, 0);
    CHECK_EQ_INT(info.kept_columns, 0);
    CHECK(run_case(MXT_COL_MAJOR, 17, 9, 23, 0.0, 1.0f, 0.0f, 4, 8, NULL, 0) == 0);
}

/* A block-diagonal A: most tiles have no nonzero at all (skipped), the others are full. */
MXT_TEST(all_zero_tiles) {
    const int64_t m = 48, k = 64, n = 19;
    struct sp p;
    CHECK_EQ_INT(sp_init(&p, MXT_ROW_MAJOR, m, n, k, 1.0, 1.0f, 0.0f), 0);
    for (int64_t i = 0; i < m; i++)
        for (int64_t l = 0; l < k; l++)
            if (i / 16 != l / 16) p.a[i * k + l] = 0.0f; /* 16 x 16 blocks on the diagonal */
    free(p.row_ptr);
    free(p.col);
    free(p.val);
    p.row_ptr = NULL, p.col = NULL, p.val = NULL;
    CHECK_EQ_INT(sp_csr(&p), 0);
    struct mxt_rosko *ap = NULL;
    const struct mxt_config tile = {.mr = 8, .kc = 8};
    CHECK_EQ_INT(mxt_rosko_create_csr(m, k, p.row_ptr, p.col, p.val, &tile, &ap), 0);
    struct mxt_rosko_info info;
    mxt_rosko_info(ap, &info);
    const struct mxt_config cfg = {.threads = 2};
    int rc = mxt_spmm(MXT_ROW_MAJOR, m, n, k, 1.0f, ap, p.b, p.ldb, 0.0f, p.c, p.ldc, &cfg);
    mxt_rosko_destroy(ap);
    int bad = sp_check(&p, "block diagonal");
    sp_free(&p);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(info.tiles, 6 * 8);
    CHECK_EQ_INT(info.nnz, 3 * 16 * 16);
    CHECK_EQ_INT(info.kept_columns, 6 * 2 * 8); /* 2 kept tiles per row panel, 8 columns */
}

/* The dense packer's threshold drops |a| <= t; NaN is kept. */
MXT_TEST(dense_threshold) {
    const float a[2 * 4] = {0.5f, -0.1f, 0.0f, 0.2f, -0.3f, 0.1f, NAN, 1.0f};
    struct mxt_rosko *ap = NULL;
    CHECK_EQ_INT(mxt_rosko_create_dense(MXT_ROW_MAJOR, 2, 4, a, 4, 0.2f, NULL, &ap), 0);
    struct mxt_rosko_info info;
    mxt_rosko_info(ap, &info);
    CHECK_EQ_INT(info.nnz, 4); /* 0.5, -0.3, NaN, 1.0 */
    const float b[4] = {1, 10, 100, 1000};
    float c[2] = {0, 0};
    CHECK_EQ_INT(mxt_spmm(MXT_ROW_MAJOR, 2, 1, 4, 1.0f, ap, b, 1, 0.0f, c, 1, NULL), 0);
    mxt_rosko_destroy(ap);
    CHECK(c[0] == 0.5f);
    CHECK(isnan(c[1]));
    /* column-major input with lda > M gives the same matrix */
    const float acm[3 * 4] = {0.5f, -0.3f, 9, -0.1f, 0.1f, 9, 0.0f, NAN, 9, 0.2f, 1.0f, 9};
    CHECK_EQ_INT(mxt_rosko_create_dense(MXT_COL_MAJOR, 2, 4, acm, 3, 0.2f, NULL, &ap), 0);
    mxt_rosko_info(ap, &info);
    mxt_rosko_destroy(ap);
    CHECK_EQ_INT(info.nnz, 4);
}

/* Unsorted columns within a CSR row are accepted. */
MXT_TEST(csr_unsorted_rows) {
    const int64_t rp[3] = {0, 3, 4};
    const int32_t ci[4] = {2, 0, 1, 1};
    const float v[4] = {3, 1, 2, 5};
    struct mxt_rosko *ap = NULL;
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, ci, v, NULL, &ap), 0);
    const float b[3] = {1, 10, 100};
    float c[2];
    CHECK_EQ_INT(mxt_spmm(MXT_COL_MAJOR, 2, 1, 3, 1.0f, ap, b, 3, 0.0f, c, 2, NULL), 0);
    mxt_rosko_destroy(ap);
    CHECK(c[0] == 321.0f && c[1] == 50.0f);
}

/* ---- bad input -------------------------------------------------------------------- */

MXT_TEST(csr_validation) {
    struct mxt_rosko *ap = (struct mxt_rosko *)&ap; /* must be reset to NULL on failure */
    const int32_t ci[3] = {0, 1, 2};
    const float v[3] = {1, 2, 3};
    const int64_t start[3] = {1, 2, 3};
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, start, ci, v, NULL, &ap), MXT_EFORMAT);
    CHECK(ap == NULL);
    CHECK(strstr(mxt_last_error(), "row_ptr[0]") != NULL);
    const int64_t dec[3] = {0, 2, 1};
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, dec, ci, v, NULL, &ap), MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "decreases at row 1") != NULL);
    const int64_t rp[3] = {0, 2, 3};
    const int32_t big[3] = {0, 3, 1};
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, big, v, NULL, &ap), MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "out of range") != NULL);
    const int32_t neg[3] = {0, 1, -1};
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, neg, v, NULL, &ap), MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "row 1") != NULL);
    const int32_t dup[3] = {1, 1, 0};
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, dup, v, NULL, &ap), MXT_EFORMAT);
    CHECK(strstr(mxt_last_error(), "twice in row 0") != NULL);
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, NULL, ci, v, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, NULL, v, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, ci, NULL, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_csr(-1, 3, rp, ci, v, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_csr(2, -3, rp, ci, v, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, ci, v, NULL, NULL), MXT_EINVAL);
    const struct mxt_config mr0 = {.mr = 256};
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, ci, v, &mr0, &ap), MXT_EINVAL);
    const struct mxt_config kcn = {.kc = -1};
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, ci, v, &kcn, &ap), MXT_EINVAL);
    const float a[6] = {0};
    CHECK_EQ_INT(mxt_rosko_create_dense(MXT_ROW_MAJOR, 2, 3, a, 2, 0.0f, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_dense(MXT_COL_MAJOR, 2, 3, a, 1, 0.0f, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_dense(MXT_ROW_MAJOR, 2, 3, a, 3, -1.0f, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_dense(MXT_ROW_MAJOR, 2, 3, NULL, 3, 0.0f, NULL, &ap), MXT_EINVAL);
    CHECK_EQ_INT(mxt_rosko_create_dense((enum mxt_layout)7, 2, 3, a, 3, 0.0f, NULL, &ap),
                 MXT_EINVAL);
    CHECK(ap == NULL);
    mxt_rosko_destroy(NULL);
    struct mxt_rosko_info info;
    CHECK_EQ_INT(mxt_rosko_info(NULL, &info), MXT_EINVAL);
}

MXT_TEST(spmm_bad_input) {
    const int64_t rp[3] = {0, 1, 2};
    const int32_t ci[2] = {0, 2};
    const float v[2] = {1, 2};
    struct mxt_rosko *ap = NULL;
    CHECK_EQ_INT(mxt_rosko_create_csr(2, 3, rp, ci, v, NULL, &ap), 0);
    float b[3 * 4] = {0}, c[2 * 4] = {0};
    const enum mxt_layout R = MXT_ROW_MAJOR;
    int rc[16], n = 0;
    rc[n++] = mxt_spmm(R, 2, 4, 3, 1.0f, NULL, b, 4, 0.0f, c, 4, NULL);
    rc[n++] = mxt_spmm(R, 2, 4, 3, 1.0f, ap, NULL, 4, 0.0f, c, 4, NULL);
    rc[n++] = mxt_spmm(R, 2, 4, 3, 1.0f, ap, b, 4, 0.0f, NULL, 4, NULL);
    rc[n++] = mxt_spmm(R, 3, 4, 3, 1.0f, ap, b, 4, 0.0f, c, 4, NULL);             /* M differs */
    rc[n++] = mxt_spmm(R, 2, 4, 2, 1.0f, ap, b, 4, 0.0f, c, 4, NULL);             /* K differs */
    rc[n++] = mxt_spmm(R, 2, -4, 3, 1.0f, ap, b, 4, 0.0f, c, 4, NULL);            /* negative N */
    rc[n++] = mxt_spmm(R, 2, 4, 3, 1.0f, ap, b, 3, 0.0f, c, 4, NULL);             /* ldb < N */
    rc[n++] = mxt_spmm(R, 2, 4, 3, 1.0f, ap, b, 4, 0.0f, c, 3, NULL);             /* ldc < N */
    rc[n++] = mxt_spmm(MXT_COL_MAJOR, 2, 4, 3, 1.0f, ap, b, 2, 0.0f, c, 2, NULL); /* ldb < K */
    rc[n++] = mxt_spmm((enum mxt_layout)5, 2, 4, 3, 1.0f, ap, b, 4, 0.0f, c, 4, NULL);
    const struct mxt_config bad[] = {
        {.schedule = MXT_SCHED_GOTO},
        {.mr = 4},
        {.kc = 2},
        {.nr = 24},
        {.mc = 5},
        {.nc = 17, .nr = 16},
        {.threads = -1},
        {.isa = (enum mxt_isa)9},
    };
    int nbad = 0;
    for (size_t i = 0; i < MXT_ARRAY_LEN(bad); i++)
        nbad += mxt_spmm(R, 2, 4, 3, 1.0f, ap, b, 4, 0.0f, c, 4, &bad[i]) == MXT_EINVAL;
    const int ok = mxt_spmm(R, 2, 4, 3, 0.0f, ap, NULL, 4, 1.0f, c, 4, NULL); /* alpha 0 */
    mxt_rosko_destroy(ap);
    for (int i = 0; i < n; i++)
        CHECK_EQ_INT(rc[i], MXT_EINVAL);
    CHECK_EQ_INT(nbad, (int)MXT_ARRAY_LEN(bad));
    CHECK_EQ_INT(ok, 0);
}

/* ---- low rank ---------------------------------------------------------------------- */

struct lr {
    struct mxt_lowrank op;
    void *u, *v, *x, *y, *y0;
    size_t ny;
};

static void lr_free(struct lr *l) {
    free(l->u);
    free(l->v);
    free(l->x);
    free(l->y);
    free(l->y0);
}

static double lr_get(const struct lr *l, const void *p, size_t i) {
    return l->op.dtype == MXT_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static void *lr_rand(enum mxt_dtype dt, size_t n, double density) {
    void *p = calloc(n + 1, (size_t)mxt_dtype_size(dt));
    if (!p) return NULL;
    for (size_t i = 0; i < n; i++) {
        const double x = rnd01() < density ? 2.0 * rnd01() - 1.0 : 0.0;
        if (dt == MXT_F32)
            ((float *)p)[i] = (float)x;
        else
            ((double *)p)[i] = x;
    }
    return p;
}

/* Tight leading dimensions; U with the given density. */
static int lr_init(struct lr *l, enum mxt_dtype dt, enum mxt_layout layout, int64_t m, int64_t n,
                   int64_t k, int64_t r, double ud, double alpha, double beta, int order) {
    const int row = layout == MXT_ROW_MAJOR;
    *l = (struct lr){.op = {.dtype = dt,
                            .layout = layout,
                            .m = m,
                            .n = n,
                            .k = k,
                            .rank = r,
                            .ldu = imax(1, row ? r : m),
                            .ldv = imax(1, row ? k : r),
                            .ldx = imax(1, row ? n : k),
                            .ldy = imax(1, row ? n : m),
                            .alpha = alpha,
                            .beta = beta,
                            .order = order}};
    l->ny = (size_t)(m * n);
    l->u = lr_rand(dt, (size_t)(m * r), ud);
    l->v = lr_rand(dt, (size_t)(r * k), 1.0);
    l->x = lr_rand(dt, (size_t)(k * n), 1.0);
    l->y = lr_rand(dt, l->ny, 1.0);
    l->y0 = malloc((l->ny + 1) * (size_t)mxt_dtype_size(dt));
    if (!l->u || !l->v || !l->x || !l->y || !l->y0) return -1;
    memcpy(l->y0, l->y, l->ny * (size_t)mxt_dtype_size(dt));
    l->op.u = l->u, l->op.v = l->v, l->op.x = l->x, l->op.y = l->y;
    return 0;
}

static int lr_check(const struct lr *l, const char *what) {
    const struct mxt_lowrank *o = &l->op;
    const int row = o->layout == MXT_ROW_MAJOR;
    const double u = o->dtype == MXT_F32 ? FLT_EPSILON / 2 : DBL_EPSILON / 2;
#define IDX(r_, c_, ld_) ((size_t)(row ? (r_) * (ld_) + (c_) : (r_) + (c_) * (ld_)))
    int bad = 0;
    for (int64_t i = 0; i < o->m; i++)
        for (int64_t j = 0; j < o->n; j++) {
            long double ref = 0, mag = 0;
            for (int64_t p = 0; p < o->rank; p++) {
                long double t = 0, tm = 0; /* (V X)(p, j) */
                for (int64_t q = 0; q < o->k; q++) {
                    const long double vx = (long double)lr_get(l, l->v, IDX(p, q, o->ldv)) *
                                           lr_get(l, l->x, IDX(q, j, o->ldx));
                    t += vx;
                    tm += fabsl(vx);
                }
                const long double up = lr_get(l, l->u, IDX(i, p, o->ldu));
                ref += up * t;
                mag += fabsl(up) * tm;
            }
            const double y0 = lr_get(l, l->y0, IDX(i, j, o->ldy));
            ref = (long double)o->alpha * ref + (long double)o->beta * y0;
            const double bound = 2.0 * (double)(o->k + o->rank + 4) * u *
                                     (fabs(o->alpha) * (double)mag + fabs(o->beta * y0)) +
                                 1e-30;
            const double got = lr_get(l, l->y, IDX(i, j, o->ldy));
            if (!(fabs(got - (double)ref) <= bound) && bad++ < 3)
                fprintf(stderr, "%s: Y(%lld,%lld) = %.12g, reference %.12Lg, bound %.3g\n", what,
                        (long long)i, (long long)j, got, ref, bound);
        }
#undef IDX
    return bad;
}

/* Both orders (and auto), both layouts, f32 and f64, dense U and Rosko-packed U. */
MXT_TEST(lowrank_orders) {
    static const int64_t dims[][4] = {{1, 1, 1, 1}, {17, 13, 29, 3}, {40, 3, 35, 8}, {9, 50, 7, 5}};
    int bad = 0;
    for (size_t s = 0; s < MXT_ARRAY_LEN(dims); s++)
        for (int order = -1; order <= 1; order++)
            for (int dt = 0; dt <= 1; dt++)
                for (int sparse = 0; sparse <= (dt == 0); sparse++) {
                    struct lr l;
                    char what[160];
                    const enum mxt_layout lay = (s + order + 1) % 2 ? MXT_ROW_MAJOR : MXT_COL_MAJOR;
                    const double beta = order == 0 ? 0.0 : 0.5;
                    snprintf(what, sizeof(what),
                             "lowrank %s %s M=%lld N=%lld K=%lld r=%lld order=%d %s",
                             dt ? "f64" : "f32", lay == MXT_ROW_MAJOR ? "row" : "col",
                             (long long)dims[s][0], (long long)dims[s][1], (long long)dims[s][2],
                             (long long)dims[s][3], order, sparse ? "sparse U" : "dense U");
                    struct mxt_rosko *us = NULL;
                    int rc = lr_init(&l, (enum mxt_dtype)dt, lay, dims[s][0], dims[s][1],
                                     dims[s][2], dims[s][3], sparse ? 0.4 : 1.0, 1.25, beta, order);
                    if (!rc && sparse) {
                        rc = mxt_rosko_create_dense(lay, dims[s][0], dims[s][3], l.u, l.op.ldu,
                                                    0.0f, NULL, &us);
                        l.op.u = NULL;
                        l.op.u_sparse = us;
                    }
                    int used = -5;
                    const struct mxt_config cfg = {.threads = 2};
                    if (!rc) rc = mxt_lowrank_gemm(&l.op, &cfg, &used);
                    if (rc) {
                        fprintf(stderr, "%s: returned %d (%s)\n", what, rc, mxt_last_error());
                        bad++;
                    } else {
                        bad += lr_check(&l, what);
                        if (order >= 0 && used != order) bad++;
                        if (used != 0 && used != 1) bad++;
                    }
                    mxt_rosko_destroy(us);
                    lr_free(&l);
                }
    CHECK_EQ_INT(bad, 0);
}

MXT_TEST(lowrank_choose_order) {
    /* inference: N small, U(VX) = r*N*(K + M) beats (UV)X = M*K*(r + N) */
    CHECK_EQ_INT(mxt_lowrank_choose_order(4096, 1, 4096, 64, 1.0), MXT_LOWRANK_U_VX);
    /* N huge and r not much below M, K: (UV)X */
    CHECK_EQ_INT(mxt_lowrank_choose_order(64, 100000, 64, 60, 1.0), MXT_LOWRANK_UV_X);
    /* equal costs go to U(VX) */
    CHECK_EQ_INT(mxt_lowrank_choose_order(2, 2, 2, 2, 1.0), MXT_LOWRANK_U_VX);
    /* a very sparse U makes (UV)X cheap only in its first stage */
    CHECK_EQ_INT(mxt_lowrank_choose_order(100, 10, 100, 50, 0.01), MXT_LOWRANK_U_VX);
}

MXT_TEST(lowrank_bad_input) {
    struct lr l;
    CHECK_EQ_INT(lr_init(&l, MXT_F32, MXT_ROW_MAJOR, 5, 4, 3, 2, 1.0, 1.0, 0.0, 0), 0);
    struct mxt_lowrank o = l.op;
    int rc[12], n = 0;
    rc[n++] = mxt_lowrank_gemm(NULL, NULL, NULL);
    o.m = -1, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    o.rank = -2, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    o.u = NULL, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    o.v = NULL, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    o.x = NULL, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    o.y = NULL, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    o.ldv = 2, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    o.order = 2, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    o.dtype = (enum mxt_dtype)3, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL), o = l.op;
    struct mxt_rosko *us = NULL;
    const int pk = mxt_rosko_create_dense(MXT_ROW_MAJOR, 5, 2, l.u, 2, 0.0f, NULL, &us);
    o.u_sparse = us, rc[n++] = mxt_lowrank_gemm(&o, NULL, NULL); /* both U */
    o.u = NULL, o.dtype = MXT_F64;
    const int f64 = mxt_lowrank_gemm(&o, NULL, NULL);
    o = l.op, o.u = NULL, o.u_sparse = us, o.k = 4, o.ldv = 4, o.rank = 3, o.ldu = 3;
    const int shape = mxt_lowrank_gemm(&o, NULL, NULL); /* packed U is 5 x 2, not 5 x 3 */
    /* alpha 0: Y = beta * Y without reading U, V, X */
    o = l.op, o.u = NULL, o.v = NULL, o.x = NULL, o.alpha = 0.0, o.beta = 0.0;
    const int zero = mxt_lowrank_gemm(&o, NULL, NULL);
    const float y00 = ((float *)l.y)[0];
    mxt_rosko_destroy(us);
    lr_free(&l);
    CHECK_EQ_INT(pk, 0);
    for (int i = 0; i < n; i++)
        CHECK_EQ_INT(rc[i], MXT_EINVAL);
    CHECK_EQ_INT(f64, MXT_EUNSUPPORTED);
    CHECK_EQ_INT(shape, MXT_EINVAL);
    CHECK_EQ_INT(zero, 0);
    CHECK(y00 == 0.0f);
}
