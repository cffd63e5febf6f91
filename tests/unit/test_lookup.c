/* Unit tests for the lookup API (tuner/lookup.c, tuner/dispatch.c): exact ->
 * nearest (log-distance, divisibility tie-break) -> model, the fixed default
 * without a database, thread safety, and mxt_sgemm/mxt_dgemm that never fail
 * for want of tuning. The database holds a synthetic profile under this
 * machine's fingerprint, so nothing is measured. */
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_db_tune.h"
#include "mxt_test.h"
#include "mxtune/gemm.h"
#include "mxtune/lookup.h"
#include "mxtune/model.h"
#include "mxtune/mxtune_gemm_auto.h"
#include "probes.h"

static char dir[64], path[PATH_MAX], fp[40];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A database with a 2-core AVX2 profile stored under this machine's fingerprint. */
static int setup(void) {
    struct mxt_machine id, m;
    struct mxt_db *db = NULL;
    if (mxt_strlcpy(dir, "/tmp/mxt_lookup_XXXXXX", sizeof dir) >= sizeof dir || !mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/l.db", dir);
    if (mxt_probe_identify(NULL, &id) != 0) return -1;
    mxt_strlcpy(fp, id.fingerprint, sizeof fp);
    mxt_machine_init(&m);
    mxt_strlcpy(m.fingerprint, fp, sizeof m.fingerprint);
    m.cores = 2;
    m.threads_per_core = 1;
    m.n_isa = 2;
    mxt_strlcpy(m.isa[0], "avx2", sizeof m.isa[0]);
    mxt_strlcpy(m.isa[1], "fma", sizeof m.isa[1]);
    m.n_caches = 3;
    m.caches[0] = (struct mxt_cache){.level = 1,
                                     .type = MXT_CACHE_DATA,
                                     .size_bytes = 32768,
                                     .usable_bytes = 32768,
                                     .line_bytes = 64,
                                     .ways = 8,
                                     .shared_by = 1,
                                     .provenance = MXT_PROV_MEASURED};
    m.caches[1] = (struct mxt_cache){.level = 2,
                                     .type = MXT_CACHE_UNIFIED,
                                     .size_bytes = 1048576,
                                     .usable_bytes = 1048576,
                                     .line_bytes = 64,
                                     .ways = 16,
                                     .shared_by = 1,
                                     .provenance = MXT_PROV_MEASURED};
    m.caches[2] = (struct mxt_cache){.level = 3,
                                     .type = MXT_CACHE_UNIFIED,
                                     .size_bytes = 16777216,
                                     .usable_bytes = 16777216,
                                     .line_bytes = 64,
                                     .ways = 16,
                                     .shared_by = 2,
                                     .provenance = MXT_PROV_MEASURED};
    m.dram.read_1t = 20;
    m.dram.read_all = 30;
    m.dram.provenance = MXT_PROV_MEASURED;
    m.compute.f32_1t = 100;
    m.compute.f32_all = 200;
    m.compute.f64_1t = 50;
    m.compute.f64_all = 100;
    m.compute.clock_ghz = 3;
    m.compute.provenance = MXT_PROV_MEASURED;
    int rc = mxt_db_open(path, MXT_DB_CREATE, &db);
    if (rc == 0) rc = mxt_db_store_probe(db, &m, "quick", NULL, NULL);
    mxt_db_close(db);
    return rc;
}

static void teardown(void) {
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Store a winner for a problem: generic micro-kernel, blocks mc, kc, nc;
 * kernel_version NULL: the current one; density 0: 1. */
static int tune_v(const char *op, enum mxt_dtype dtype, int64_t m, int64_t n, int64_t k,
                  int threads, int64_t mc, int64_t kc, int64_t nc, double gflops,
                  const char *kernel_version, double density) {
    struct mxt_db *db = NULL;
    struct mxt_db_problem p;
    struct mxt_db_measurement ms;
    int64_t id = 0;
    mxt_db_problem_init(&p, op, dtype, m, n, k, threads);
    if (density > 0) p.density = density;
    memset(&ms, 0, sizeof ms);
    ms.config = (struct mxt_config){.schedule = MXT_SCHED_GOTO,
                                    .isa = MXT_ISA_GENERIC,
                                    .mr = dtype == MXT_F32 ? 8 : 4,
                                    .nr = 4,
                                    .mc = mc,
                                    .kc = kc,
                                    .nc = nc,
                                    .threads = threads};
    mxt_strlcpy(ms.kernel_version, kernel_version ? kernel_version : MXT_KERNEL_VERSION,
                sizeof ms.kernel_version);
    ms.median_s = ms.min_s = ms.q20_s = ms.q80_s = 1e-3;
    ms.gflops = gflops;
    mxt_strlcpy(ms.strategy, "test", sizeof ms.strategy);
    int rc = mxt_db_open(path, MXT_DB_CREATE, &db);
    if (rc == 0) rc = mxt_db_add_measurement(db, fp, &p, &ms, &id);
    if (rc == 0) rc = mxt_db_set_tuned(db, fp, &p, id, "{\"strategy\":\"test\"}");
    if (rc) fprintf(stderr, "tune: %s\n", mxt_last_error());
    mxt_db_close(db);
    return rc;
}

static int ask(const char *op, enum mxt_dtype dt, int64_t m, int64_t n, int64_t k, int threads,
               struct mxt_lookup_result *r) {
    struct mxt_handle *h = NULL;
    struct mxt_lookup_query q = {.op = op, .dtype = dt, .m = m, .n = n, .k = k, .threads = threads};
    int rc = mxt_open(path, &h);
    if (rc == 0) rc = mxt_lookup(h, &q, r);
    mxt_close(h);
    return rc;
}

/* ---- cases ---- */

MXT_TEST(source_names) {
    CHECK(strcmp(mxt_lookup_source_name(MXT_SOURCE_EXACT), "exact") == 0);
    CHECK(strcmp(mxt_lookup_source_name(MXT_SOURCE_NEAREST), "nearest") == 0);
    CHECK(strcmp(mxt_lookup_source_name(MXT_SOURCE_MODEL), "model") == 0);
}

MXT_TEST(no_database_fixed_default) {
    struct mxt_handle *h = NULL;
    struct mxt_lookup_result r;
    struct mxt_lookup_query q = {.op = "gemm", .dtype = MXT_F32, .m = 300, .n = 200, .k = 100};
    CHECK_EQ_INT(mxt_open("/nonexistent/dir/mxtune.db", &h), 0);
    struct mxt_handle_info info;
    CHECK_EQ_INT(mxt_handle_info(h, &info), 0);
    CHECK_EQ_INT(info.have_profile, 0);
    CHECK_EQ_INT(info.tuned, 0);
    CHECK_EQ_INT(mxt_lookup(h, &q, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_MODEL);
    CHECK(strstr(r.note, "fixed default") != NULL && strstr(r.note, "no database") != NULL);
    CHECK_EQ_INT(r.config.schedule, MXT_SCHED_GOTO);
    CHECK(r.config.mr > 0 && r.config.nr > 0);
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F32, &r.config), 0);
    mxt_close(h);
    /* and without a handle at all */
    CHECK_EQ_INT(mxt_lookup(NULL, &q, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_MODEL);
    CHECK(r.note[0] != '\0');
}

MXT_TEST(no_profile_fixed_default) {
    /* a database, but with another machine's profile and winners only */
    struct mxt_machine m;
    struct mxt_db *db = NULL;
    CHECK(mxt_strlcpy(dir, "/tmp/mxt_lookup_XXXXXX", sizeof dir) < sizeof dir && mkdtemp(dir));
    snprintf(path, sizeof path, "%s/other.db", dir);
    mxt_machine_init(&m);
    mxt_strlcpy(m.fingerprint, "fp-some-other-machine", sizeof m.fingerprint);
    m.cores = 2;
    m.n_caches = 1;
    m.caches[0] = (struct mxt_cache){.level = 1, .type = MXT_CACHE_DATA, .size_bytes = 32768};
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_CREATE, &db), 0);
    CHECK_EQ_INT(mxt_db_store_probe(db, &m, "quick", NULL, NULL), 0);
    mxt_db_close(db);
    mxt_strlcpy(fp, "fp-some-other-machine", sizeof fp);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 512, 512, 512, 2, 64, 128, 256, 50, NULL, 0), 0);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(ask("gemm", MXT_F32, 512, 512, 512, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_MODEL);
    CHECK(strstr(r.note, "mxtune probe") != NULL);
    CHECK_EQ_INT(mxt_gemm_check_config(MXT_F32, &r.config), 0);
    teardown();
}

/* Without a winner the lookup answers with the model's best among its own CAKE and
 * Goto sizings and the kernels' own goto blocks (what mxt_dgemm_ex runs given only
 * the schedule), so its pick is never predicted slower than those blocks. */
MXT_TEST(model_scores_the_kernels_blocks) {
    CHECK(setup() == 0);
    struct mxt_db *db = NULL;
    struct mxt_machine m;
    struct mxt_model_machine mm;
    CHECK_EQ_INT(mxt_db_open(path, MXT_DB_READONLY, &db), 0);
    CHECK_EQ_INT(mxt_db_get_machine(db, fp, &m), 0);
    mxt_db_close(db);
    CHECK_EQ_INT(mxt_model_machine_init(&mm, &m), 0);
    static const int64_t shapes[][3] = {{2048, 2048, 2048},
                                        {1000, 800, 600},
                                        {4096, 4096, 64},
                                        {8192, 1024, 1024},
                                        {300, 200, 100}};
    int fallback_won = 0;
    for (size_t i = 0; i < MXT_ARRAY_LEN(shapes); i++)
        for (int dt = MXT_F32; dt <= MXT_F64; dt++)
            for (int t = 1; t <= 2; t++) {
                const int64_t *d = shapes[i];
                struct mxt_lookup_result r;
                CHECK_EQ_INT(ask("gemm", (enum mxt_dtype)dt, d[0], d[1], d[2], t, &r), 0);
                CHECK_EQ_INT(r.source, MXT_SOURCE_MODEL);
                /* the kernels' blocks for the same micro-kernel, scored by the model */
                struct mxt_config in = {.schedule = MXT_SCHED_GOTO,
                                        .isa = r.config.isa,
                                        .mr = r.config.mr,
                                        .nr = r.config.nr,
                                        .threads = t},
                                  fb;
                struct mxt_prediction pred;
                struct mxt_problem pb = {.op = MXT_OP_GEMM,
                                         .dtype = (enum mxt_dtype)dt,
                                         .m = d[0],
                                         .n = d[1],
                                         .k = d[2]};
                CHECK_EQ_INT(mxt_gemm_resolve_config((enum mxt_dtype)dt, MXT_COL_MAJOR, d[0], d[1],
                                                     d[2], &in, &fb),
                             0);
                fb.alpha = 0;
                CHECK_EQ_INT(mxt_model_evaluate(&mm, &pb, &fb, MXT_SIZING_DEFAULT, &pred), 0);
                CHECK(r.gflops >= pred.gflops * (1 - 1e-9));
                fallback_won += r.config.schedule == MXT_SCHED_GOTO && r.config.mc == fb.mc &&
                                r.config.kc == fb.kc && r.config.nc == fb.nc;
            }
    CHECK(fallback_won > 0); /* this profile has cases where the kernels' blocks win */
    teardown();
}

MXT_TEST(model_when_nothing_tuned) {
    CHECK(setup() == 0);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(ask("gemm", MXT_F32, 1000, 800, 600, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_MODEL);
    CHECK(r.note[0] == '\0');
    CHECK(r.gflops > 0);
    CHECK(r.config.schedule != MXT_SCHED_CAKE); /* resolved */
    CHECK(r.config.isa == MXT_ISA_AVX2 || r.config.isa == MXT_ISA_GENERIC);
    CHECK(r.config.mc > 0 && r.config.kc > 0 && r.config.nc > 0);
    CHECK_EQ_INT(r.config.threads, 2);
    CHECK_EQ_INT(r.tuned_m, 0);
    teardown();
}

MXT_TEST(exact_beats_nearest) {
    CHECK(setup() == 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 512, 512, 512, 2, 64, 128, 256, 50, NULL, 0), 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 1000, 1000, 1000, 2, 96, 200, 400, 40, NULL, 0), 0);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(ask("gemm", MXT_F32, 1000, 1000, 1000, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_EXACT);
    CHECK_EQ_INT(r.config.mc, 96);
    CHECK(r.gflops == 40);
    CHECK_EQ_INT(r.tuned_m, 1000);
    CHECK(r.distance == 0);
    CHECK_EQ_INT(ask("gemm", MXT_F32, 512, 512, 512, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_EXACT);
    CHECK_EQ_INT(r.config.mc, 64);
    teardown();
}

MXT_TEST(nearest_smallest_log_distance) {
    CHECK(setup() == 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 256, 256, 256, 2, 64, 128, 256, 10, NULL, 0), 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 2048, 2048, 2048, 2, 96, 256, 1024, 20, NULL, 0), 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 64, 4096, 64, 2, 32, 64, 512, 30, NULL, 0), 0);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(ask("gemm", MXT_F32, 300, 300, 300, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_NEAREST);
    CHECK_EQ_INT(r.tuned_m, 256);
    CHECK_NEAR(r.distance, sqrt(3) * log(300.0 / 256), 1e-9);
    CHECK_EQ_INT(ask("gemm", MXT_F32, 1800, 1500, 1700, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_NEAREST);
    CHECK_EQ_INT(r.tuned_m, 2048);
    CHECK_EQ_INT(r.config.mc, 96);
    /* a skinny query is nearest the skinny shape, though 256^3 has closer volume */
    CHECK_EQ_INT(ask("gemm", MXT_F32, 80, 3000, 50, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_NEAREST);
    CHECK_EQ_INT(r.tuned_n, 4096);
    CHECK(r.gflops == 30);
    teardown();
}

MXT_TEST(nearest_divisibility_tie_break) {
    CHECK(setup() == 0);
    /* 256^3 and 1024^3 are equally far from 512^3 (ln 2 per side); the winner
     * whose blocks divide 512 is preferred, whichever was stored first. */
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 256, 256, 256, 2, 96, 100, 300, 90, NULL, 0), 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 1024, 1024, 1024, 2, 128, 256, 512, 10, NULL, 0), 0);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(ask("gemm", MXT_F32, 512, 512, 512, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_NEAREST);
    CHECK_EQ_INT(r.tuned_m, 1024);
    CHECK_EQ_INT(r.config.mc, 128);
    /* the same in f64, stored in the other order */
    CHECK_EQ_INT(tune_v("gemm", MXT_F64, 1024, 1024, 1024, 2, 96, 100, 300, 90, NULL, 0), 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F64, 256, 256, 256, 2, 128, 256, 512, 10, NULL, 0), 0);
    CHECK_EQ_INT(ask("gemm", MXT_F64, 512, 512, 512, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_NEAREST);
    CHECK_EQ_INT(r.tuned_m, 256);
    CHECK_EQ_INT(r.config.mc, 128);
    /* divisibility never beats a strictly smaller distance */
    CHECK_EQ_INT(ask("gemm", MXT_F64, 500, 500, 500, 2, &r), 0);
    CHECK_EQ_INT(r.tuned_m, 256); /* ln(500/256) = 0.67 < ln(1024/500) = 0.72 */
    teardown();
}

MXT_TEST(other_dtype_op_threads_never_matched) {
    CHECK(setup() == 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F64, 512, 512, 512, 2, 64, 128, 256, 50, NULL, 0), 0);
    CHECK_EQ_INT(tune_v("spmm", MXT_F32, 512, 512, 512, 2, 64, 128, 256, 50, NULL, 0.1), 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 512, 512, 512, 1, 64, 128, 256, 50, NULL, 0), 0);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(ask("gemm", MXT_F32, 512, 512, 512, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_MODEL); /* f64, spmm and 1 thread do not count */
    CHECK_EQ_INT(ask("gemm", MXT_F32, 512, 512, 512, 1, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_EXACT);
    CHECK_EQ_INT(r.config.threads, 1);
    CHECK_EQ_INT(ask("gemm", MXT_F64, 512, 512, 512, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_EXACT);
    /* spmm: the density is part of the problem */
    struct mxt_handle *h = NULL;
    struct mxt_lookup_query q = {
        .op = "spmm", .dtype = MXT_F32, .m = 512, .n = 512, .k = 512, .threads = 2, .density = 0.1};
    CHECK_EQ_INT(mxt_open(path, &h), 0);
    CHECK_EQ_INT(mxt_lookup(h, &q, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_EXACT);
    q.density = 0.2;
    CHECK_EQ_INT(mxt_lookup(h, &q, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_NEAREST);
    CHECK_NEAR(r.distance, log(2.0), 1e-9);
    mxt_close(h);
    teardown();
}

MXT_TEST(threads_zero_means_all_cores) {
    CHECK(setup() == 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 128, 128, 128, 2, 64, 128, 256, 50, NULL, 0), 0);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(ask("gemm", MXT_F32, 128, 128, 128, 0, &r), 0); /* the profile has 2 cores */
    CHECK_EQ_INT(r.source, MXT_SOURCE_EXACT);
    teardown();
}

MXT_TEST(stale_winners_not_used) {
    CHECK(setup() == 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 512, 512, 512, 2, 64, 128, 256, 50, "0", 0), 0);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(ask("gemm", MXT_F32, 512, 512, 512, 2, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_MODEL);
    struct mxt_handle *h = NULL;
    struct mxt_handle_info info;
    CHECK_EQ_INT(mxt_open(path, &h), 0);
    CHECK_EQ_INT(mxt_handle_info(h, &info), 0);
    CHECK_EQ_INT(info.tuned, 0);
    CHECK_EQ_INT(info.stale, 1);
    CHECK_EQ_INT(info.have_profile, 1);
    CHECK(strcmp(info.fingerprint, fp) == 0);
    mxt_close(h);
    teardown();
}

MXT_TEST(bad_queries) {
    struct mxt_lookup_result r;
    struct mxt_lookup_query q = {.op = "gemm", .dtype = MXT_F32, .m = 0, .n = 1, .k = 1};
    CHECK_EQ_INT(mxt_lookup(NULL, &q, &r), MXT_EINVAL);
    q.m = 1;
    q.op = "contract";
    CHECK_EQ_INT(mxt_lookup(NULL, &q, &r), MXT_EINVAL);
    q.op = "spmm";
    q.density = 2;
    CHECK_EQ_INT(mxt_lookup(NULL, &q, &r), MXT_EINVAL);
    q.op = "lowrank";
    q.density = 0;
    CHECK_EQ_INT(mxt_lookup(NULL, &q, &r), MXT_EINVAL); /* no rank */
    q.rank = 4;
    CHECK_EQ_INT(mxt_lookup(NULL, &q, &r), 0);
    q.op = "gemm";
    q.threads = -1;
    CHECK_EQ_INT(mxt_lookup(NULL, &q, &r), MXT_EINVAL);
    CHECK_EQ_INT(mxt_open(NULL, NULL), MXT_EINVAL);
}

struct worker {
    const struct mxt_handle *h;
    const struct mxt_lookup_query *qs;
    const struct mxt_lookup_result *want;
    int n, bad;
};

static void *work(void *arg) {
    struct worker *w = arg;
    for (int rep = 0; rep < 50; rep++) {
        for (int i = 0; i < w->n; i++) {
            struct mxt_lookup_result r;
            if (mxt_lookup(w->h, &w->qs[i], &r) != 0 || r.source != w->want[i].source ||
                memcmp(&r.config, &w->want[i].config, sizeof r.config) != 0)
                w->bad++;
        }
    }
    return NULL;
}

MXT_TEST(concurrent_lookups_agree) {
    enum { NQ = 64, NT = 4 };
    CHECK(setup() == 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 256, 256, 256, 2, 64, 128, 256, 10, NULL, 0), 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 2048, 512, 1024, 2, 96, 256, 1024, 20, NULL, 0), 0);
    struct mxt_handle *h = NULL;
    CHECK_EQ_INT(mxt_open(path, &h), 0);
    struct mxt_lookup_query qs[NQ];
    struct mxt_lookup_result want[NQ];
    for (int i = 0; i < NQ; i++) {
        qs[i] = (struct mxt_lookup_query){.op = "gemm",
                                          .dtype = i % 3 == 2 ? MXT_F64 : MXT_F32,
                                          .m = i % 4 == 0 ? 256 : 100 + 37 * i,
                                          .n = i % 4 == 0 ? 256 : 90 + 53 * i,
                                          .k = i % 4 == 0 ? 256 : 70 + 29 * i,
                                          .threads = 2};
        CHECK_EQ_INT(mxt_lookup(h, &qs[i], &want[i]), 0);
    }
    pthread_t t[NT];
    struct worker w[NT];
    for (int i = 0; i < NT; i++) {
        w[i] = (struct worker){h, qs, want, NQ, 0};
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < NT; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK_EQ_INT(w[i].bad, 0);
    }
    mxt_close(h);
    teardown();
}

/* C = A B by the definition, column-major. */
static void naive(int64_t m, int64_t n, int64_t k, const double *a, const double *b, double *c) {
    for (int64_t j = 0; j < n; j++)
        for (int64_t i = 0; i < m; i++) {
            double s = 0;
            for (int64_t p = 0; p < k; p++)
                s += a[i + p * m] * b[p + j * k];
            c[i + j * m] = s;
        }
}

static int check_gemm(int64_t m, int64_t n, int64_t k) {
    size_t na = (size_t)(m * k), nb = (size_t)(k * n), nc = (size_t)(m * n);
    double *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b), *c = malloc(nc * sizeof *c),
           *want = malloc(nc * sizeof *want), *cd = malloc(nc * sizeof *cd);
    float *af = malloc(na * sizeof *af), *bf = malloc(nb * sizeof *bf),
          *cf = malloc(nc * sizeof *cf);
    int ok = a && b && c && want && cd && af && bf && cf;
    for (size_t i = 0; ok && i < na; i++)
        af[i] = (float)(a[i] = (double)((i * 7) % 11) - 5);
    for (size_t i = 0; ok && i < nb; i++)
        bf[i] = (float)(b[i] = (double)((i * 5) % 13) - 6);
    if (ok) {
        naive(m, n, k, a, b, want);
        ok = mxt_dgemm(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0, a, m, b, k, 0.0, cd,
                       m) == 0 &&
             mxt_sgemm(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0f, af, m, bf, k, 0.0f,
                       cf, m) == 0;
        if (!ok) fprintf(stderr, "gemm: %s\n", mxt_last_error());
    }
    for (size_t i = 0; ok && i < nc; i++)
        ok = cd[i] == want[i] && cf[i] == (float)want[i]; /* small integers: exact */
    free(a), free(b), free(c), free(want), free(cd), free(af), free(bf), free(cf);
    return ok;
}

/* Row-major C = A B against the definition (the lookup asks for N x M x K). */
static int check_row_major(int64_t m, int64_t n, int64_t k) {
    float a[64 * 64], b[64 * 64], c[64 * 64];
    if (m * k > 4096 || k * n > 4096 || m * n > 4096) return 0;
    for (int64_t i = 0; i < m * k; i++)
        a[i] = (float)((i * 3) % 7) - 3;
    for (int64_t i = 0; i < k * n; i++)
        b[i] = (float)((i * 5) % 9) - 4;
    if (mxt_sgemm(MXT_ROW_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, m, n, k, 1.0f, a, k, b, n, 0.0f, c,
                  n) != 0)
        return 0;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float s = 0;
            for (int64_t p = 0; p < k; p++)
                s += a[i * k + p] * b[p * n + j];
            if (c[i * n + j] != s) return 0;
        }
    return 1;
}

MXT_TEST(gemm_without_database) {
    setenv("MXTUNE_DB", "/nonexistent/dir/mxtune.db", 1);
    CHECK(check_gemm(37, 29, 41));
    struct mxt_lookup_result r;
    CHECK_EQ_INT(mxt_gemm_auto_config(MXT_F32, 37, 29, 41, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_MODEL);
    CHECK(r.note[0] != '\0');
    /* degenerate shapes pass straight to the kernels */
    CHECK_EQ_INT(mxt_sgemm(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, 0, 0, 0, 1.0f, NULL, 1, NULL,
                           1, 0.0f, NULL, 1),
                 0);
    CHECK(mxt_sgemm(MXT_COL_MAJOR, MXT_NO_TRANS, MXT_NO_TRANS, -1, 2, 2, 1.0f, NULL, 1, NULL, 1,
                    0.0f, NULL, 1) == MXT_EINVAL);
}

MXT_TEST(gemm_with_tuned_config) {
    CHECK(setup() == 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F32, 37, 29, 41, 2, 16, 16, 8, 50, NULL, 0), 0);
    CHECK_EQ_INT(tune_v("gemm", MXT_F64, 37, 29, 41, 2, 16, 16, 8, 50, NULL, 0), 0);
    setenv("MXTUNE_DB", path, 1);
    struct mxt_lookup_result r;
    CHECK_EQ_INT(mxt_gemm_auto_config(MXT_F32, 37, 29, 41, &r), 0);
    CHECK_EQ_INT(r.source, MXT_SOURCE_EXACT);
    CHECK_EQ_INT(r.config.mc, 16);
    CHECK(check_gemm(37, 29, 41));
    CHECK(check_gemm(50, 20, 30));      /* nearest */
    CHECK(check_row_major(29, 37, 41)); /* looked up as 37 x 29 x 41: exact */
    teardown();
}
