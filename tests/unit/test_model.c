/* Unit tests for model/: the worked checks of MODELS.md (CAKE reference on the
 * i9-10900K, Low et al. on Sandy Bridge), the properties of the traffic model,
 * contractions against gemm, Rosko, low rank, and the rejection of bad input. */
#include <math.h>
#include <stdlib.h>
#include "mxt_common.h"
#include "mxt_test.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"

static int load(const char *name, struct mxt_model_machine *mm) {
    char path[512];
    snprintf(path, sizeof path, "%s/machines/%s", MXT_TEST_DATA, name);
    struct mxt_machine m;
    int rc = mxt_machine_load_file(path, &m);
    if (rc) {
        fprintf(stderr, "%s: %s\n", path, mxt_last_error());
        return rc;
    }
    return mxt_model_machine_init(mm, &m);
}

static struct mxt_problem gemm(int64_t m, int64_t n, int64_t k, enum mxt_dtype dt) {
    struct mxt_problem pb = {.op = MXT_OP_GEMM, .dtype = dt, .m = m, .n = n, .k = k};
    return pb;
}

static struct mxt_config config(enum mxt_schedule s, int mr, int nr, int p) {
    struct mxt_config c = {.schedule = s, .mr = mr, .nr = nr, .threads = p};
    return c;
}

static int has(const char *needle) {
    return strstr(mxt_last_error(), needle) != NULL;
}

/* ---- worked checks ---- */

MXT_TEST(cake_reference_i9_worked_check) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_blocks b = {.mr = 6, .nr = 16};
    struct mxt_sizing_detail det = {0};
    CHECK_EQ_INT(mxt_model_size_cake(&mm, MXT_SIZING_REFERENCE, MXT_SCHED_CAKE_KMN, MXT_F32, 10,
                                     23040, 23040, 23040, &b, &det),
                 0);
    CHECK_EQ_INT(det.mc_l2, 162);
    CHECK_EQ_INT(det.mc_l3, 144);
    CHECK_EQ_INT(b.mc, 162);
    CHECK_EQ_INT(b.kc, 162);
    CHECK_EQ_INT(b.nc, 1440);
    CHECK(fabs(b.alpha - 0.8889) < 5e-5);
    /* the same through the full evaluation */
    struct mxt_problem pb = gemm(23040, 23040, 23040, MXT_F32);
    struct mxt_config c = config(MXT_SCHED_CAKE_KMN, 6, 16, 10);
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_REFERENCE, &p), 0);
    CHECK_EQ_INT(p.config.mc, 162);
    CHECK_EQ_INT(p.config.kc, 162);
    CHECK_EQ_INT(p.config.nc, 1440);
    CHECK_EQ_INT(p.sizing, MXT_SIZING_REFERENCE);
    CHECK_EQ_INT(p.config.schedule, MXT_SCHED_CAKE_KMN);
}

MXT_TEST(cake_authors_formula_published_point) {
    /* i9 at 23040^3, p = 10, mc = kc = 144, alpha = 1 (nc = 1440): about 121 GB */
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_problem pb = gemm(23040, 23040, 23040, MXT_F32);
    struct mxt_config c = config(MXT_SCHED_CAKE_KMN, 6, 16, 10);
    c.mc = 144;
    c.kc = 144;
    c.alpha = 1;
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_REFERENCE, &p), 0);
    CHECK_EQ_INT(p.config.nc, 1440);
    CHECK(fabs(p.authors_dram_bytes / 1e9 - 121) < 1);
    /* MODELS.md's count MK*ceil(N/nc) + NK*ceil(M/(p*mc)) + MN + 2(MK + KN), less
     * the serpentine reuse: one B block (kc x nc) per m turn, one A block per n turn */
    double e = 23040.0 * 23040.0, blk = 144.0 * 1440;
    CHECK_NEAR(p.bytes[MXT_LVL_DRAM], 4 * (e * (16 + 16 + 1 + 4) - 16 * 15 * blk - 15 * blk),
               1e-12);
}

MXT_TEST(low_sandybridge_worked_check) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("sandybridge-e5-2680.json", &mm), 0);
    struct mxt_blocks b = {.mr = 8, .nr = 4};
    struct mxt_sizing_detail det = {0};
    CHECK_EQ_INT(mxt_model_size_goto(&mm, MXT_F64, 1, 10000, &b, &det), 0);
    CHECK_EQ_INT(det.c_ar, 4);
    CHECK_EQ_INT(b.kc, 256);
    CHECK_EQ_INT(det.c_ac, 6);
    CHECK_EQ_INT(b.mc, 96);
    /* L3 20 MiB, 20 ways: C_Bc = 19 - ceil(96*256*8 / (16384*64)) = 18 */
    CHECK_EQ_INT(det.c_bc, 18);
    CHECK_EQ_INT(b.nc, 9216);
    struct mxt_problem pb = gemm(5000, 5000, 5000, MXT_F64);
    struct mxt_config c = config(MXT_SCHED_GOTO, 8, 4, 1);
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), 0);
    CHECK_EQ_INT(p.sizing, MXT_SIZING_MODEL);
    CHECK_EQ_INT(p.config.kc, 256);
    CHECK_EQ_INT(p.config.mc, 96);
}

MXT_TEST(cake_reference_small_m_quirk) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct {
        int64_t m, mc;
    } cases[] = {{50, 6}, {59, 6}, {600, 66}, {605, 66}, {650, 66}, {1619, 162}, {1620, 162}};
    for (size_t i = 0; i < MXT_ARRAY_LEN(cases); i++) {
        struct mxt_blocks b = {.mr = 6, .nr = 16};
        CHECK_EQ_INT(mxt_model_size_cake(&mm, MXT_SIZING_REFERENCE, MXT_SCHED_CAKE_KMN, MXT_F32, 10,
                                         cases[i].m, 4000, 4000, &b, NULL),
                     0);
        CHECK_EQ_INT(b.mc, cases[i].mc);
        CHECK_EQ_INT(b.kc, b.mc);
        int64_t nc = 144 * 10 * b.mc / 162;
        nc -= nc % 16;
        CHECK_EQ_INT(b.nc, nc < 16 ? 16 : nc);
    }
}

MXT_TEST(cake_bandwidth_rule_no_quirk_fits_l3) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_blocks b = {.mr = 6, .nr = 16};
    struct mxt_sizing_detail det = {0};
    CHECK_EQ_INT(mxt_model_size_cake(&mm, MXT_SIZING_BANDWIDTH, MXT_SCHED_CAKE_KMN, MXT_F32, 10,
                                     600, 4000, 4000, &b, &det),
                 0);
    CHECK_EQ_INT(b.mc, 60); /* ceil(600/10) rounded up to mr, no extra mr */
    CHECK(det.small_dim);
    for (int p = 1; p <= 10; p++) {
        struct mxt_problem pb = gemm(8192, 8192, 8192, MXT_F32);
        struct mxt_config c = config(MXT_SCHED_CAKE_KMN, 6, 16, p);
        struct mxt_prediction pr;
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_BANDWIDTH, &pr), 0);
        CHECK(pr.footprint[2] <= mm.lv[2].usable);
        CHECK(pr.footprint[1] <= mm.lv[1].usable);
        CHECK(pr.required_dram_Bps <= pr.available_dram_Bps);
        CHECK(pr.config.alpha >= 0.99);
    }
}

MXT_TEST(cake_reference_two_level_and_no_shared) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("arm-a72-two-level.json", &mm), 0);
    CHECK_EQ_INT(mm.lv[mm.core_idx].level, 1);
    CHECK_EQ_INT(mm.lv[mm.shared_idx].level, 2);
    struct mxt_blocks b = {.mr = 8, .nr = 4};
    struct mxt_sizing_detail det = {0};
    CHECK_EQ_INT(mxt_model_size_cake(&mm, MXT_SIZING_REFERENCE, MXT_SCHED_CAKE_KMN, MXT_F32, 4,
                                     4000, 4000, 4000, &b, &det),
                 0);
    /* per-core level L1: x^2 + 8x <= 32768/8 -> 60 -> 56; local memory L2:
     * floor(sqrt((1 MiB/8) / (4*6))) = 73 -> 72 */
    CHECK_EQ_INT(det.mc_l2, 56);
    CHECK_EQ_INT(det.mc_l3, 72);
    struct mxt_problem pb = gemm(2000, 2000, 2000, MXT_F32);
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK(p.bytes[2] == 0 && p.footprint[2] == 0); /* no L3 */
    CHECK(p.bytes[1] > 0 && p.bytes[MXT_LVL_DRAM] > 0);

    CHECK_EQ_INT(load("no-shared-cache.json", &mm), 0);
    b = (struct mxt_blocks){.mr = 16, .nr = 6};
    CHECK_EQ_INT(mxt_model_size_cake(&mm, MXT_SIZING_REFERENCE, MXT_SCHED_CAKE_KMN, MXT_F32, 4,
                                     1000, 1000, 1000, &b, NULL),
                 MXT_EUNSUPPORTED);
    CHECK(has("shared cache"));
    struct mxt_config g = config(MXT_SCHED_GOTO, 0, 0, 4);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &g, MXT_SIZING_DEFAULT, &p), 0);
    CHECK(p.assumed & MXT_ASSUME_NO_L3);
}

MXT_TEST(default_kernels) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    CHECK_EQ_INT(mm.kernel_mr[MXT_F32], 16);
    CHECK_EQ_INT(mm.kernel_nr[MXT_F32], 6);
    CHECK_EQ_INT(mm.kernel_mr[MXT_F64], 8);
    CHECK_EQ_INT(mm.kernel_nr[MXT_F64], 6);
    CHECK_EQ_INT(load("skylake-sp-gold-6148.json", &mm), 0);
    CHECK_EQ_INT(mm.kernel_mr[MXT_F32], 32);
    CHECK_EQ_INT(mm.kernel_nr[MXT_F32], 12);
    CHECK_EQ_INT(mxt_model_kernel_registers(6, 16, 256, MXT_F32), 15);
    CHECK_EQ_INT(mxt_model_kernel_registers(8, 4, 256, MXT_F64), 10);
}

/* ---- properties ---- */

MXT_TEST(cake_dram_demand_flat_goto_grows) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_problem pb = gemm(23040, 23040, 23040, MXT_F32);
    double cake1 = 0, goto1 = 0, goto_prev = 0;
    for (int p = 1; p <= 10; p++) {
        struct mxt_prediction pr;
        for (int sz = 0; sz < 2; sz++) {
            enum mxt_sizing s = sz ? MXT_SIZING_BANDWIDTH : MXT_SIZING_REFERENCE;
            struct mxt_config c = config(MXT_SCHED_CAKE_KMN, 6, 16, p);
            CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, s, &pr), 0);
            if (p == 1 && sz == 0) cake1 = pr.required_dram_Bps;
            if (sz == 0) CHECK(pr.required_dram_Bps <= cake1 * 1.05);
            CHECK(pr.required_dram_Bps <= 6e9); /* about 3.9 GB/s in the paper */
        }
        struct mxt_config g = config(MXT_SCHED_GOTO, 6, 16, p);
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &g, MXT_SIZING_MODEL, &pr), 0);
        if (p == 1) goto1 = pr.required_dram_Bps;
        CHECK(pr.required_dram_Bps >= goto_prev);
        goto_prev = pr.required_dram_Bps;
    }
    CHECK(goto_prev > 5 * goto1);
}

static const enum mxt_schedule all_scheds[] = {MXT_SCHED_CAKE_KMN, MXT_SCHED_CAKE_MKN,
                                               MXT_SCHED_CAKE_NKM, MXT_SCHED_GOTO};

MXT_TEST(traffic_never_decreases_as_a_dimension_grows) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    for (size_t si = 0; si < MXT_ARRAY_LEN(all_scheds); si++) {
        struct mxt_config c = config(all_scheds[si], 16, 6, 4);
        c.mc = 96;
        c.kc = 120;
        c.nc = 240;
        enum mxt_sizing sz =
            all_scheds[si] == MXT_SCHED_GOTO ? MXT_SIZING_MODEL : MXT_SIZING_BANDWIDTH;
        for (int dim = 0; dim < 3; dim++) {
            double prev[MXT_NLVL] = {0};
            for (int64_t v = 1; v <= 3000; v += (v < 200 ? 1 : 7)) {
                int64_t s[3] = {700, 500, 600};
                s[dim] = v;
                struct mxt_problem pb = gemm(s[0], s[1], s[2], MXT_F32);
                struct mxt_prediction p;
                CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, sz, &p), 0);
                for (int l = 0; l < MXT_NLVL; l++) {
                    if (p.bytes[l] < prev[l]) {
                        fprintf(stderr, "%s dim %d = %lld level %d: %g < %g\n",
                                mxt_schedule_name(all_scheds[si]), dim, (long long)v, l, p.bytes[l],
                                prev[l]);
                        CHECK(0);
                    }
                    prev[l] = p.bytes[l];
                }
            }
        }
    }
}

MXT_TEST(dram_traffic_never_decreases_default_sizing) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_config c = config(MXT_SCHED_CAKE_KMN, 0, 0, 10);
    for (int dim = 0; dim < 3; dim++) {
        double prev = 0;
        for (int64_t v = 2000; v <= 6000; v += 13) {
            int64_t s[3] = {3000, 3000, 3000};
            s[dim] = v;
            struct mxt_problem pb = gemm(s[0], s[1], s[2], MXT_F32);
            struct mxt_prediction p;
            CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_BANDWIDTH, &p), 0);
            CHECK(p.bytes[MXT_LVL_DRAM] >= prev);
            prev = p.bytes[MXT_LVL_DRAM];
        }
    }
}

/* Count DRAM traffic by walking the blocks one by one in the schedule's order
 * (serpentine for CAKE): a block is loaded unless it is the one the previous
 * step used; an accumulated C block is fetched on every visit (the first one
 * allocates its lines, later ones reload them; write-backs are not fetches).
 * The engine's closed forms must match exactly. */
static double ext_of(int64_t total, int64_t blk, int64_t i) {
    int64_t e = total - i * blk;
    return (double)(e < blk ? e : blk);
}

static double simulate(enum mxt_schedule sc, int64_t M, int64_t N, int64_t K, int64_t bm,
                       int64_t bn, int64_t bk) {
    int64_t n[3] = {(M + bm - 1) / bm, (N + bn - 1) / bn, (K + bk - 1) / bk};
    int lo[3]; /* 0 = M, 1 = N, 2 = K */
    int snake = sc != MXT_SCHED_GOTO;
    if (sc == MXT_SCHED_CAKE_KMN)
        lo[0] = 1, lo[1] = 0, lo[2] = 2;
    else if (sc == MXT_SCHED_CAKE_NKM)
        lo[0] = 0, lo[1] = 2, lo[2] = 1;
    else
        lo[0] = 1, lo[1] = 2, lo[2] = 0;
    double bytes = 0;
    int64_t pa[2] = {-1, -1}, pbk[2] = {-1, -1}, pc[2] = {-1, -1};
    for (int64_t o = 0; o < n[lo[0]]; o++) {
        for (int64_t t = 0; t < n[lo[1]]; t++) {
            int64_t mi = snake && (o % 2) ? n[lo[1]] - 1 - t : t;
            for (int64_t u = 0; u < n[lo[2]]; u++) {
                int64_t ii = snake && ((o + mi) % 2) ? n[lo[2]] - 1 - u : u;
                int64_t idx[3];
                idx[lo[0]] = o, idx[lo[1]] = mi, idx[lo[2]] = ii;
                int64_t im = idx[0], in = idx[1], ik = idx[2];
                if (pa[0] != im || pa[1] != ik) bytes += ext_of(M, bm, im) * ext_of(K, bk, ik);
                if (pbk[0] != ik || pbk[1] != in) bytes += ext_of(K, bk, ik) * ext_of(N, bn, in);
                if (pc[0] != im || pc[1] != in) bytes += ext_of(M, bm, im) * ext_of(N, bn, in);
                pa[0] = im, pa[1] = ik, pbk[0] = ik, pbk[1] = in, pc[0] = im, pc[1] = in;
            }
        }
    }
    return bytes * 4;
}

MXT_TEST(dram_traffic_matches_block_walk) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    /* a local memory that holds the blocks but not the packed problems, so the
     * walk, not the compulsory-only clamp, sets the DRAM traffic */
    mm.lv[mm.shared_idx].usable = 64 * 1024;
    const int64_t shapes[][3] = {{100, 100, 100}, {97, 203, 151}, {480, 95, 33},
                                 {17, 300, 401},  {250, 250, 7},  {1, 50, 500}};
    for (size_t si = 0; si < 3; si++) { /* the CAKE orders; goto below without C reuse */
        for (size_t i = 0; i < MXT_ARRAY_LEN(shapes); i++) {
            struct mxt_config c = config(all_scheds[si], 16, 6, 2);
            c.mc = 16;
            c.kc = 24;
            c.nc = 30;
            struct mxt_problem pb = gemm(shapes[i][0], shapes[i][1], shapes[i][2], MXT_F32);
            struct mxt_prediction p;
            CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_BANDWIDTH, &p), 0);
            int64_t bm = c.mc, bn = c.nc, bk = c.kc;
            /* the blocks of kernels/gemm_cake.c: KMN (p*mc) x kc x nc, MKN
             * (p*mc) x (p*kc) x nc, NKM mc x (p*kc) x (p*nc) */
            if (all_scheds[si] != MXT_SCHED_CAKE_NKM) bm *= 2;
            if (all_scheds[si] != MXT_SCHED_CAKE_KMN) bk *= 2;
            if (all_scheds[si] == MXT_SCHED_CAKE_NKM) bn *= 2;
            double want =
                simulate(all_scheds[si], shapes[i][0], shapes[i][1], shapes[i][2], bm, bn, bk);
            double got = p.bytes[MXT_LVL_DRAM] - p.pack_bytes;
            if (fabs(got - want) > 1e-9 * want) {
                fprintf(stderr, "%s %lldx%lldx%lld: model %.0f, walk %.0f\n",
                        mxt_schedule_name(all_scheds[si]), (long long)shapes[i][0],
                        (long long)shapes[i][1], (long long)shapes[i][2], got, want);
                CHECK(0);
            }
        }
    }
    mm.lv[mm.shared_idx].usable = 200 * 1024; /* the blocks fit, the packed problem not */
    /* KMN with a single K block: B is loaded once in all (serpentine reuse) */
    struct mxt_config c = config(MXT_SCHED_CAKE_KMN, 16, 6, 2);
    c.mc = 32, c.kc = 256, c.nc = 60;
    struct mxt_problem pb = gemm(500, 400, 200, MXT_F32);
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_BANDWIDTH, &p), 0);
    double a = 500.0 * 200 * 7, b = 200.0 * 400, cc = 500.0 * 400;
    /* A reloaded per n block (7 of them) less one A block per n turn */
    double sav = 3 * (500 - 7 * 64) * 200.0 + 3 * 64 * 200.0;
    CHECK_NEAR(p.bytes[MXT_LVL_DRAM] - p.pack_bytes, 4 * (a - sav + b + cc), 1e-12);
}

/* CAKE packs A and B before the walk: when the packed operands and C fit in
 * the local memory, the walk fetches only C from DRAM, once (and the packing
 * pass's 2(MK + KN) are counted at every cache level too). */
MXT_TEST(cake_dram_compulsory_when_packed_problem_fits) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    for (size_t si = 0; si < 3; si++) {
        struct mxt_config c = config(all_scheds[si], 16, 6, 2);
        c.mc = 32, c.kc = 64, c.nc = 60;
        struct mxt_problem pb = gemm(512, 384, 512, MXT_F32);
        struct mxt_prediction p;
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_BANDWIDTH, &p), 0);
        CHECK_NEAR(p.bytes[MXT_LVL_DRAM] - p.pack_bytes, 4.0 * 512 * 384, 1e-12);
        CHECK_NEAR(p.pack_bytes, 4.0 * 2 * (512.0 * 512 + 512.0 * 384), 1e-12);
        CHECK(p.bytes[2] > p.pack_bytes); /* L3 serves the packing pass and the walk */
        /* larger than the 20 MiB L3: the walk's reloads come back */
        pb = gemm(4096, 4096, 4096, MXT_F32);
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_BANDWIDTH, &p), 0);
        CHECK(p.bytes[MXT_LVL_DRAM] - p.pack_bytes > 2 * 4.0 * 4096 * 4096);
    }
}

/* As kernels/gemm_cake.c runs MKN, the cores split M and each walks the kc
 * chunks of a K block: a K block deeper than K does not idle a core. */
MXT_TEST(mkn_cores_split_m_as_the_kernel) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_config c = config(MXT_SCHED_CAKE_MKN, 16, 6, 2);
    c.mc = 128, c.kc = 512, c.nc = 516;
    struct mxt_problem pb = gemm(512, 512, 512, MXT_F32);
    struct mxt_prediction p, q;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_BANDWIDTH, &p), 0);
    CHECK_EQ_INT(p.threads_busy, 2);
    c.schedule = MXT_SCHED_CAKE_KMN;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_BANDWIDTH, &q), 0);
    CHECK_NEAR(p.time[MXT_BOUND_COMPUTE], q.time[MXT_BOUND_COMPUTE], 1e-12);
}

/* The compute term uses the peak of the configuration's ISA: the probe's
 * per-width FMA peak when the profile has it, else the ratio of widths; the
 * generic (no FMA) kernels half the 128-bit rate. */
MXT_TEST(compute_peak_per_isa) {
    char path[512];
    snprintf(path, sizeof path, "%s/machines/skylake-sp-gold-6148.json", MXT_TEST_DATA);
    struct mxt_machine m;
    CHECK_EQ_INT(mxt_machine_load_file(path, &m), 0);
    struct mxt_model_machine mm;
    CHECK_EQ_INT(mxt_model_machine_init(&mm, &m), 0);
    CHECK_EQ_INT(mm.isa, MXT_ISA_AVX512);
    struct mxt_problem pb = gemm(1024, 1020, 1024, MXT_F32); /* no padding for 6 or 4 */
    struct mxt_config c = config(MXT_SCHED_GOTO, 16, 6, 1);
    c.mc = 96, c.kc = 256, c.nc = 1020;
    const enum mxt_isa isas[] = {MXT_ISA_AVX512, MXT_ISA_AVX2, MXT_ISA_GENERIC};
    double unit[3]; /* compute time x efficiency: MACs over the ISA's rate */
    for (int i = 0; i < 3; i++) {
        struct mxt_prediction p;
        c.isa = isas[i];
        if (isas[i] == MXT_ISA_GENERIC) c.mr = 8, c.nr = 4, c.mc = 96;
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), 0);
        unit[i] = p.time[MXT_BOUND_COMPUTE] * p.eta;
    }
    CHECK_NEAR(unit[1] / unit[0], 2.0, 1e-9);
    CHECK_NEAR(unit[2] / unit[0], 8.0, 1e-9);
    /* measured per-width peaks: AVX2 at 70 % of AVX-512 (a core that runs
     * 512-bit FMAs at half rate would show about 100 %) */
    for (int d = 0; d < 2; d++) {
        m.compute.width_1t[2][d] = 100;
        m.compute.width_1t[1][d] = 70;
        m.compute.width_1t[0][d] = 30;
    }
    CHECK_EQ_INT(mxt_model_machine_init(&mm, &m), 0);
    c = config(MXT_SCHED_GOTO, 16, 6, 1);
    c.mc = 96, c.kc = 256, c.nc = 1020;
    for (int i = 0; i < 3; i++) {
        struct mxt_prediction p;
        c.isa = isas[i];
        if (isas[i] == MXT_ISA_GENERIC) c.mr = 8, c.nr = 4;
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), 0);
        unit[i] = p.time[MXT_BOUND_COMPUTE] * p.eta;
    }
    CHECK_NEAR(unit[1] / unit[0], 1 / 0.7, 1e-9);
    CHECK_NEAR(unit[2] / unit[0], 2 / 0.3, 1e-9);
    /* f64 never beats f32 on the same ISA and blocks */
    for (int i = 0; i < 3; i++) {
        struct mxt_prediction p32, p64;
        struct mxt_config c32 = config(MXT_SCHED_CAKE_KMN, 0, 0, 1), c64;
        c32.isa = isas[i];
        c64 = c32;
        pb = gemm(512, 512, 512, MXT_F32);
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c32, MXT_SIZING_DEFAULT, &p32), 0);
        pb.dtype = MXT_F64;
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c64, MXT_SIZING_DEFAULT, &p64), 0);
        CHECK(p64.seconds > p32.seconds);
    }
}

MXT_TEST(contraction_matmul_equals_gemm) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    const char *specs[] = {"mk,kn->mn", "km,kn->mn", "mk,nk->mn"};
    const enum mxt_schedule sc[] = {MXT_SCHED_CAKE, MXT_SCHED_CAKE_KMN, MXT_SCHED_CAKE_MKN,
                                    MXT_SCHED_CAKE_NKM, MXT_SCHED_GOTO};
    for (size_t s = 0; s < MXT_ARRAY_LEN(specs); s++) {
        struct mxt_contraction ct;
        CHECK_EQ_INT(mxt_contraction_parse(specs[s], "m=1000,k=700,n=1500", &ct), 0);
        CHECK_EQ_INT(ct.m, 1000);
        CHECK_EQ_INT(ct.n, 1500);
        CHECK_EQ_INT(ct.k, 700);
        for (size_t i = 0; i < MXT_ARRAY_LEN(sc); i++) {
            struct mxt_config c = config(sc[i], 0, 0, 0);
            struct mxt_problem pg = gemm(1000, 1500, 700, MXT_F32);
            struct mxt_problem pc = {.op = MXT_OP_CONTRACT, .dtype = MXT_F32, .contraction = &ct};
            struct mxt_prediction a, b;
            CHECK_EQ_INT(mxt_model_evaluate(&mm, &pg, &c, MXT_SIZING_DEFAULT, &a), 0);
            CHECK_EQ_INT(mxt_model_evaluate(&mm, &pc, &c, MXT_SIZING_DEFAULT, &b), 0);
            CHECK(a.seconds == b.seconds);
            CHECK(a.flops == b.flops);
            for (int l = 0; l < MXT_NLVL; l++)
                CHECK(a.bytes[l] == b.bytes[l]);
            CHECK(a.config.mc == b.config.mc && a.config.nc == b.config.nc &&
                  a.config.kc == b.config.kc && a.config.schedule == b.config.schedule);
            CHECK_EQ_INT(b.n_tiles, 3);
        }
    }
    /* batched matmul: batch x the gemm numbers */
    struct mxt_contraction ct;
    CHECK_EQ_INT(mxt_contraction_parse("bmk,bkn->bmn", "b=3,m=512,k=256,n=384", &ct), 0);
    CHECK_EQ_INT(ct.batch, 3);
    struct mxt_problem pg = gemm(512, 384, 256, MXT_F64);
    struct mxt_problem pc = {.op = MXT_OP_CONTRACT, .dtype = MXT_F64, .contraction = &ct};
    struct mxt_prediction a, b;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pg, NULL, MXT_SIZING_DEFAULT, &a), 0);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pc, NULL, MXT_SIZING_DEFAULT, &b), 0);
    CHECK_NEAR(b.seconds, 3 * a.seconds, 1e-12);
    CHECK_NEAR(b.flops, 3 * a.flops, 1e-12);
    for (int l = 0; l < MXT_NLVL; l++)
        CHECK_NEAR(b.bytes[l], 3 * a.bytes[l], 1e-12);
    CHECK(b.assumed & MXT_ASSUME_BATCH_TILE);
}

MXT_TEST(contraction_multi_index_tiles) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_contraction ct;
    CHECK_EQ_INT(mxt_contraction_parse("abc,cd->abd", "a=40,b=50,c=300,d=700", &ct), 0);
    CHECK_EQ_INT(ct.count, 4);
    CHECK_EQ_INT(ct.m, 2000);
    CHECK_EQ_INT(ct.n, 700);
    CHECK_EQ_INT(ct.k, 300);
    CHECK_EQ_INT(ct.cls[0], MXT_IDX_I);
    CHECK_EQ_INT(ct.cls[2], MXT_IDX_P);
    CHECK_EQ_INT(ct.cls[3], MXT_IDX_J);
    struct mxt_problem pc = {.op = MXT_OP_CONTRACT, .dtype = MXT_F32, .contraction = &ct};
    struct mxt_config c = config(MXT_SCHED_CAKE_KMN, 16, 6, 10);
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pc, &c, MXT_SIZING_DEFAULT, &p), 0);
    int64_t prod_i = 1;
    for (int i = 0; i < p.n_tiles; i++) {
        CHECK(p.tiles[i].tile >= 1 && p.tiles[i].tile <= p.tiles[i].size);
        if (p.tiles[i].cls == MXT_IDX_I) prod_i *= p.tiles[i].tile;
    }
    CHECK(prod_i <= 10 * p.config.mc); /* the I tiles meet the p*mc target */
    CHECK(p.tiles[1].tile == 50);      /* b, the inner I index, is taken whole */
    struct mxt_problem pg = gemm(2000, 700, 300, MXT_F32);
    struct mxt_prediction g;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pg, &c, MXT_SIZING_DEFAULT, &g), 0);
    CHECK(p.bytes[MXT_LVL_DRAM] >= g.bytes[MXT_LVL_DRAM] * (1 - 1e-12));
    CHECK(p.flops == g.flops);
}

MXT_TEST(rosko_density_one_no_cheaper_than_dense) {
    const char *machines[] = {"i9-10900k.json", "skylake-sp-gold-6148.json",
                              "arm-a72-two-level.json"};
    const int64_t shapes[][3] = {{4096, 4096, 4096}, {512, 64, 2048}, {3000, 200, 777}};
    for (size_t mi = 0; mi < MXT_ARRAY_LEN(machines); mi++) {
        struct mxt_model_machine mm;
        CHECK_EQ_INT(load(machines[mi], &mm), 0);
        for (size_t i = 0; i < MXT_ARRAY_LEN(shapes); i++) {
            for (int sz = 0; sz < 2; sz++) {
                struct mxt_problem pb = {.op = MXT_OP_SPMM,
                                         .dtype = MXT_F32,
                                         .m = shapes[i][0],
                                         .n = shapes[i][1],
                                         .k = shapes[i][2],
                                         .density = 1.0};
                struct mxt_prediction p;
                CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL,
                                                sz ? MXT_SIZING_REFERENCE : MXT_SIZING_DEFAULT, &p),
                             0);
                CHECK(p.seconds >= p.dense_seconds);
                CHECK(p.dense_seconds > 0);
            }
        }
    }
}

MXT_TEST(rosko_breakeven_density) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_problem pb = {
        .op = MXT_OP_SPMM, .dtype = MXT_F32, .m = 4096, .n = 4096, .k = 4096, .density = 0.1};
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK_EQ_INT(mxt_model_breakeven(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    double bd = p.breakeven_density;
    CHECK(bd > 0.05 && bd < 0.6); /* published: wins from ~65-72% sparsity */
    pb.density = bd * 0.9;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK(p.seconds < p.dense_seconds);
    pb.density = fmin(1.0, bd * 1.2);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK(p.seconds > p.dense_seconds);
    /* fewer MACs and fewer B rows at lower density */
    CHECK(p.assumed & MXT_ASSUME_SPARSE);
}

MXT_TEST(lowrank_orders_and_breakeven_rank) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_problem pb = {
        .op = MXT_OP_LOWRANK, .dtype = MXT_F32, .m = 4096, .n = 64, .k = 4096, .rank = 64};
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK_EQ_INT(p.order, 0); /* U(VX) for small N */
    CHECK(p.seconds < p.dense_seconds);
    CHECK(p.order_seconds[0] < p.order_seconds[1]);
    CHECK(p.order_seconds[1] > p.dense_seconds); /* (UV)X includes the dense product */
    CHECK_EQ_INT(p.n_stages, 2);
    CHECK_NEAR(p.flops, 2.0 * (64.0 * 4096 * 64 + 4096.0 * 64 * 64), 1e-12);
    CHECK_EQ_INT(mxt_model_breakeven(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    int64_t br = p.breakeven_rank;
    CHECK(br >= 64 && br < 4096);
    pb.rank = br;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK(p.seconds <= p.dense_seconds);
    pb.rank = br + 1;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK(p.seconds > p.dense_seconds);
    /* a sparse U goes through Rosko in the first stage of U(VX)'s second product */
    pb.rank = 256;
    pb.density = 0.1;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK(p.stages[1].op == MXT_OP_SPMM || p.stages[0].op == MXT_OP_SPMM);
}

MXT_TEST(roofline_consistent) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    const int64_t shapes[][3] = {{8192, 8192, 8192}, {8192, 16, 8192}, {64, 64, 64}};
    for (size_t i = 0; i < MXT_ARRAY_LEN(shapes); i++) {
        struct mxt_problem pb = gemm(shapes[i][0], shapes[i][1], shapes[i][2], MXT_F32);
        struct mxt_prediction p;
        CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
        CHECK(p.seconds > 0 && p.gflops > 0);
        CHECK_NEAR(p.gflops, p.flops / p.seconds / 1e9, 1e-12);
        CHECK(p.gflops <= mm.peak_all[MXT_F32] / 1e9 * 1.0001);
        for (int l = 0; l < MXT_NLVL; l++)
            if (p.bytes[l] > 0) CHECK_NEAR(p.intensity[l], p.flops / p.bytes[l], 1e-12);
        double tmax = 0;
        for (int b = 0; b < MXT_NBOUNDS; b++)
            tmax = fmax(tmax, p.time[b]);
        CHECK(p.time[p.bound] == tmax);
        if (p.bound != MXT_BOUND_OVERHEAD) {
            for (int b = 0; b < MXT_NBOUNDS - 1; b++)
                if (p.ceiling_gflops[b] > 0)
                    CHECK(p.ceiling_gflops[p.bound] <= p.ceiling_gflops[b]);
        }
    }
    /* a skinny product is memory bound, a big square one compute bound */
    struct mxt_problem pb = gemm(8192, 1, 8192, MXT_F32);
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK(p.bound != MXT_BOUND_COMPUTE);
    pb = gemm(8192, 8192, 8192, MXT_F32);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    CHECK_EQ_INT(p.bound, MXT_BOUND_COMPUTE);
}

/* ---- rejection of bad input ---- */

MXT_TEST(illegal_configurations_rejected) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_problem pb = gemm(1000, 1000, 1000, MXT_F32);
    struct mxt_prediction p;
    struct mxt_config c = config(MXT_SCHED_CAKE_KMN, 16, 6, 4);
    c.mc = 100;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    CHECK(has("multiple of mr"));
    c.mc = 0, c.nc = 100;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    CHECK(has("multiple of nr"));
    c = config(MXT_SCHED_CAKE_KMN, 32, 32, 4);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    CHECK(has("vector registers"));
    c = config(MXT_SCHED_CAKE_KMN, 16, 0, 4);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    c = config(MXT_SCHED_CAKE_KMN, 0, 0, 21);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
    CHECK(has("threads"));
    c = config(MXT_SCHED_GOTO, 0, 0, 4);
    c.alpha = 1;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    CHECK(has("alpha"));
    c = config(MXT_SCHED_CAKE_KMN, 0, 0, 4);
    c.alpha = 1, c.nc = 96;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    c = config(MXT_SCHED_CAKE_KMN, 0, 0, 4);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_MODEL, &p), MXT_EINVAL);
    CHECK(has("goto"));
    c = config(MXT_SCHED_GOTO, 0, 0, 4);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_REFERENCE, &p), MXT_EINVAL);
    c = config(MXT_SCHED_CAKE, 0, 0, 4);
    c.isa = MXT_ISA_AVX512;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    CHECK(has("avx512"));
    c = config(MXT_SCHED_CAKE_KMN, 0, 0, 4);
    c.kc = -5;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    /* Low et al. leave no L1 way for a very wide tile: one way, said so */
    c = config(MXT_SCHED_GOTO, 1, 14, 1);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_MODEL, &p), 0);
    CHECK(p.assumed & MXT_ASSUME_L1_WAYS);
    CHECK_EQ_INT(p.config.kc, 64 * 64 / 4); /* one way: N_L1 * C_L1 / (mr * s) */
    /* an explicit kc too large for any A block in L2 is rejected */
    c = config(MXT_SCHED_GOTO, 16, 6, 1);
    c.kc = 100000;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &c, MXT_SIZING_MODEL, &p), MXT_EINVAL);
    CHECK(has("no L2 ways"));
}

MXT_TEST(bad_problems_rejected) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("i9-10900k.json", &mm), 0);
    struct mxt_prediction p;
    struct mxt_problem pb = gemm(0, 10, 10, MXT_F32);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
    CHECK(has("m = 0"));
    pb = gemm(10, -3, 10, MXT_F32);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
    pb = gemm((int64_t)1 << 41, 10, 10, MXT_F32);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
    pb = gemm((int64_t)1 << 30, 10, (int64_t)1 << 30, MXT_F32);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
    CHECK(has("too large"));
    pb = gemm(100, 100, 100, MXT_F32);
    pb.op = MXT_OP_SPMM;
    pb.density = 1.5;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
    CHECK(has("density"));
    pb.density = -0.1;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
    pb.density = 0.5;
    struct mxt_config g = config(MXT_SCHED_GOTO, 0, 0, 0);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &g, MXT_SIZING_DEFAULT, &p), MXT_EINVAL);
    pb.op = MXT_OP_LOWRANK;
    pb.density = 0;
    pb.m = 100, pb.k = 50, pb.rank = 51;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
    CHECK(has("min(m, k) = 50"));
    pb.rank = 0;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ERANGE);
}

MXT_TEST(contraction_parse_errors) {
    struct mxt_contraction ct;
    struct {
        const char *spec, *sizes, *needle;
    } bad[] = {
        {"ab,bc", "a=1,b=2,c=3", "no '->'"},
        {"ab->ab", "a=1,b=2", "two inputs"},
        {"ab,bc,cd->ad", "a=1,b=2,c=3,d=4", "two inputs"},
        {"aab,bc->ac", "a=1,b=2,c=3", "repeated"},
        {"a1,1c->ac", "a=1,c=3", "not an index letter"},
        {"ab,bc->acd", "a=1,b=2,c=3,d=4", "neither input"},
        {"ab,bc->c", "a=1,b=2,c=3", "only in the first input"},
        {",bc->c", "b=2,c=3", "no indices"},
        {"ab,bc->ac", "a=1,b=2,c=3,z=4", "unknown index 'z'"},
        {"ab,bc->ac", "a=1,b=2", "no size for index 'c'"},
        {"ab,bc->ac", "a=1,b=2,c=0", "out of range"},
        {"ab,bc->ac", "a=1,b=x,c=3", "not an integer"},
        {"ab,bc->ac", "a=1,b=2,a=3,c=1", "twice"},
        {"ab,bc->ac", "a=1,b=2,c=99999999999999999999", "out of range"},
        {"ab,bc->ac", "a=1,b2,c=3", "malformed"},
        {"ab,bc->ac", "a=1,b=2,c=3,", "trailing"},
        {"ab,bc->ac", "a=1073741824,b=1073741824,c=4", "too large"},
    };
    for (size_t i = 0; i < MXT_ARRAY_LEN(bad); i++) {
        int rc = mxt_contraction_parse(bad[i].spec, bad[i].sizes, &ct);
        if (rc != MXT_EINVAL && rc != MXT_ERANGE) {
            fprintf(stderr, "accepted: %s / %s\n", bad[i].spec, bad[i].sizes);
            CHECK(0);
        }
        if (!has(bad[i].needle)) {
            fprintf(stderr, "%s / %s: message '%s' lacks '%s'\n", bad[i].spec, bad[i].sizes,
                    mxt_last_error(), bad[i].needle);
            CHECK(0);
        }
    }
    CHECK_EQ_INT(mxt_contraction_parse(" ab , bc -> ac ", "a=2,b=3,c=4", &ct), 0);
    CHECK_EQ_INT(mxt_contraction_parse("a,b->ab", "a=2,b=3", &ct), 0); /* outer product */
    CHECK_EQ_INT(ct.k, 1);
}

MXT_TEST(machine_missing_values) {
    struct mxt_model_machine mm;
    CHECK_EQ_INT(load("incomplete.json", &mm), 0);
    struct mxt_problem pb = gemm(100, 100, 100, MXT_F32);
    struct mxt_prediction p;
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), MXT_ENODATA);
    CHECK(has("peak"));
    /* sizing alone needs no rates */
    struct mxt_blocks b = {.mr = 16, .nr = 6};
    CHECK_EQ_INT(mxt_model_size_cake(&mm, MXT_SIZING_REFERENCE, MXT_SCHED_CAKE_KMN, MXT_F32, 4,
                                     1000, 1000, 1000, &b, NULL),
                 0);
    CHECK_EQ_INT(load("minimal.json", &mm), 0);
    CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, NULL, MXT_SIZING_DEFAULT, &p), 0);
    char notes[64][MXT_MODEL_NOTE_LEN];
    int n = mxt_model_assumed(&mm, &p, notes, 64);
    int l1bw = 0, ways = 0, kernel = 0;
    for (int i = 0; i < n; i++) {
        l1bw |= strstr(notes[i], "L1 bandwidth") != NULL;
        ways |= strstr(notes[i], "L1 ways 8") != NULL;
        kernel |= strstr(notes[i], "chosen by the model") != NULL;
    }
    CHECK(l1bw && ways && kernel);
}

MXT_TEST(calibration_recovers_constants) {
    struct mxt_model_sample s[6];
    for (int i = 0; i < 6; i++) {
        s[i].compute_seconds = 0.01 * (i + 1);
        s[i].syncs = 1000.0 * (6 - i) + 50 * i * i;
        s[i].seconds = s[i].compute_seconds / 0.8 + s[i].syncs * 3e-6;
    }
    struct mxt_model_calib c = {.eta0 = 0.9, .sync_seconds = 2e-6};
    CHECK_EQ_INT(mxt_model_calibrate(s, 6, &c), 0);
    CHECK_NEAR(c.eta0, 0.8, 1e-9);
    CHECK_NEAR(c.sync_seconds, 3e-6, 1e-6);
    CHECK(c.calibrated);
    CHECK_EQ_INT(mxt_model_calibrate(s, 2, &c), MXT_EINVAL);
}
