/* Tests of the tuner with a real database (label db), measurements from a fake: a search
 * killed mid-way keeps what it measured and a second one resumes; --rerun; the winner's
 * provenance; calibration and accuracy from stored measurements. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mxt_common.h"
#include "mxt_db.h"
#include "mxt_db_tune.h"
#include "mxt_test.h"
#include "mxt_tuner.h"
#include "mxtune/gemm.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"

static struct mxt_machine g_m;
static struct mxt_model_machine g_mm;
static char g_dir[64], g_path[128];

/* A fresh database holding the i9 machine file's profile. */
static int setup(void) {
    if (mxt_machine_load_file(MXT_TEST_DATA "/machines/i9-10900k.json", &g_m)) return -1;
    if (!g_m.fingerprint[0]) mxt_strlcpy(g_m.fingerprint, "test-i9", sizeof g_m.fingerprint);
    if (mxt_model_machine_init(&g_mm, &g_m)) return -1;
    mxt_strlcpy(g_dir, "/tmp/mxt_tuner_XXXXXX", sizeof g_dir);
    if (!mkdtemp(g_dir)) return -1;
    snprintf(g_path, sizeof g_path, "%s/t.db", g_dir);
    struct mxt_db *db = NULL;
    if (mxt_db_open(g_path, MXT_DB_CREATE, &db)) return -1;
    int rc = mxt_db_store_probe(db, &g_m, "quick", NULL, NULL);
    mxt_db_close(db);
    return rc;
}

static void teardown(void) {
    char p[160];
    static const char *const side[] = {"", "-wal", "-shm", "-journal", ".lock"};
    for (size_t i = 0; i < MXT_ARRAY_LEN(side); i++) {
        snprintf(p, sizeof p, "%s%s", g_path, side[i]);
        unlink(p);
    }
    rmdir(g_dir);
}

struct fake {
    const struct mxt_space *sp;
    int calls;
    int kill_at;  /* raise SIGKILL on this call (0: never) */
    double scale; /* seconds = scale * the model's prediction */
};

static int fake_measure(void *ctx, const struct mxt_config *cfg, const struct mxt_measure_opts *o,
                        struct mxt_measure_result *out) {
    (void)o;
    struct fake *f = ctx;
    int c = mxt_space_find(f->sp, cfg);
    if (c < 0) return mxt_error(MXT_EINVAL, "fake: not in the space");
    if (++f->calls == f->kill_at) raise(SIGKILL);
    /* a landscape with its optimum away from the model's first choice */
    double t = f->scale > 0 ? f->scale * f->sp->c[c].predicted_s
                            : 1e-3 * (1 + 0.05 * ((c * 7919) % 101) / 100.0);
    memset(out, 0, sizeof *out);
    out->median_s = out->min_s = out->q20_s = out->q80_s = t;
    out->runs = 5;
    out->within_bound = 1;
    return 0;
}

static int build(struct mxt_space *sp, const struct mxt_model_calib *calib) {
    struct mxt_problem pb = {.op = MXT_OP_GEMM, .dtype = MXT_F32, .m = 768, .n = 512, .k = 640};
    struct mxt_space_opts so = {.threads = 2, .isa = g_mm.isa, .calib = calib};
    return mxt_space_build(&g_mm, &pb, &so, sp);
}

/* One search on a fresh handle of the database. */
static int search(int max_evals, int rerun, struct fake *f, struct mxt_search_result *r) {
    struct mxt_db *db = NULL;
    struct mxt_tuner *t = NULL;
    struct mxt_space sp;
    memset(&sp, 0, sizeof sp);
    int rc = mxt_db_open(g_path, MXT_DB_CREATE, &db);
    if (!rc) rc = mxt_tuner_create(db, g_m.fingerprint, &g_mm, &t);
    if (!rc) rc = build(&sp, NULL);
    if (!rc) {
        f->sp = &sp;
        struct mxt_search_opts o;
        mxt_search_defaults(&o);
        o.strategy = "anneal";
        o.seed = 11;
        o.budget_s = 0;
        o.patience = 0;
        o.max_evals = max_evals;
        o.rerun = rerun;
        o.playoff_rounds = 0;
        struct mxt_measurer m = {fake_measure, f};
        rc = mxt_tuner_search(t, &sp, &m, &o, r);
    }
    mxt_space_release(&sp);
    mxt_tuner_destroy(t);
    mxt_db_close(db);
    return rc;
}

static int count_cb(const struct mxt_db_problem *p, const struct mxt_db_measurement *m, void *ctx) {
    (void)p;
    (void)m;
    (*(int *)ctx)++;
    return 0;
}

static int stored(void) {
    struct mxt_db *db = NULL;
    int n = 0;
    if (mxt_db_open(g_path, MXT_DB_READONLY, &db)) return -1;
    if (mxt_db_list_measurements(db, g_m.fingerprint, NULL, count_cb, &n)) n = -1;
    mxt_db_close(db);
    return n;
}

MXT_TEST(resume_after_kill) {
    CHECK_EQ_INT(setup(), 0);
    /* a search killed during its 7th measurement: 6 are stored */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct fake f = {.kill_at = 7};
        struct mxt_search_result r;
        search(20, 0, &f, &r);
        _exit(0); /* not reached */
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    CHECK_EQ_INT(stored(), 6);
    /* the same search again: the 6 are reused, 14 more measured */
    struct fake f = {0};
    struct mxt_search_result r;
    CHECK_EQ_INT(search(20, 0, &f, &r), 0);
    CHECK_EQ_INT(r.resumed, 6);
    CHECK_EQ_INT(r.measured, 14);
    CHECK_EQ_INT(f.calls, 14);
    CHECK_EQ_INT(stored(), 20);
    /* and once more: everything is stored, nothing is measured */
    struct fake g = {0};
    CHECK_EQ_INT(search(20, 0, &g, &r), 0);
    CHECK_EQ_INT(g.calls, 0);
    CHECK_EQ_INT(r.resumed, 20);
    /* --rerun measures again (the rows are replaced, not added) */
    struct fake h = {0};
    CHECK_EQ_INT(search(20, 1, &h, &r), 0);
    CHECK_EQ_INT(h.calls, 20);
    CHECK_EQ_INT(r.resumed, 0);
    CHECK_EQ_INT(stored(), 20);
    teardown();
}

MXT_TEST(winner_stored_with_provenance) {
    CHECK_EQ_INT(setup(), 0);
    struct fake f = {0};
    struct mxt_search_result r;
    CHECK_EQ_INT(search(12, 0, &f, &r), 0);
    CHECK(r.best.cand >= 0 && r.best.measurement_id > 0);
    struct mxt_db *db = NULL;
    CHECK_EQ_INT(mxt_db_open(g_path, MXT_DB_READONLY, &db), 0);
    struct mxt_db_problem p;
    struct mxt_problem pb = {.op = MXT_OP_GEMM, .dtype = MXT_F32, .m = 768, .n = 512, .k = 640};
    mxt_tuner_db_problem(&pb, 2, &p);
    struct mxt_db_tuned t;
    int rc = mxt_db_get_tuned(db, g_m.fingerprint, &p, &t);
    mxt_db_close(db);
    CHECK_EQ_INT(rc, 0);
    CHECK(t.best.id == r.best.measurement_id);
    CHECK(strstr(t.provenance, "\"strategy\":\"anneal\"") != NULL);
    CHECK(strstr(t.provenance, "\"seed\":11") != NULL);
    CHECK_NEAR(t.best.median_s, r.best.seconds, 1e-12);
    teardown();
}

MXT_TEST(calibration_and_accuracy) {
    CHECK_EQ_INT(setup(), 0);
    /* measured = 1.25 x the model's prediction: the fit lowers eta0 and the
     * calibrated model then predicts the measurements */
    struct fake f = {.scale = 1.25};
    struct mxt_search_result r;
    CHECK_EQ_INT(search(40, 0, &f, &r), 0);
    struct mxt_db *db = NULL;
    struct mxt_tuner *t = NULL;
    CHECK_EQ_INT(mxt_db_open(g_path, MXT_DB_CREATE, &db), 0);
    CHECK_EQ_INT(mxt_tuner_create(db, g_m.fingerprint, &g_mm, &t), 0);
    struct mxt_accuracy before, after;
    CHECK_EQ_INT(mxt_tuner_accuracy(t, &before), 0);
    CHECK_EQ_INT(before.count, 40);
    CHECK(before.median_abs_pct_error > 15);
    int fitted = 0;
    CHECK_EQ_INT(mxt_tuner_calibrate(t, &fitted), 0);
    CHECK(fitted >= 1);
    CHECK_EQ_INT(mxt_tuner_accuracy(t, &after), 0);
    CHECK(after.median_abs_pct_error < 5);
    CHECK(after.median_abs_pct_error < before.median_abs_pct_error);
    CHECK(after.spearman > 0.8);
    CHECK(after.calibrated_kernels == fitted);
    mxt_tuner_destroy(t);
    /* a new handle loads what was stored */
    CHECK_EQ_INT(mxt_tuner_create(db, g_m.fingerprint, &g_mm, &t), 0);
    struct mxt_accuracy again;
    CHECK_EQ_INT(mxt_tuner_accuracy(t, &again), 0);
    CHECK_EQ_INT(again.calibrated_kernels, fitted);
    CHECK_NEAR(again.median_abs_pct_error, after.median_abs_pct_error, 1e-9);
    int cal = 0;
    for (int i = 0; i < mxt_kernels_count() * MXT_CALIB_SCHEDS; i++)
        cal += mxt_tuner_calibrations(t)[i].calibrated;
    CHECK(cal >= fitted);
    mxt_tuner_destroy(t);
    mxt_db_close(db);
    teardown();
}

MXT_TEST(accuracy_without_measurements) {
    CHECK_EQ_INT(setup(), 0);
    struct mxt_db *db = NULL;
    struct mxt_tuner *t = NULL;
    CHECK_EQ_INT(mxt_db_open(g_path, MXT_DB_READONLY, &db), 0);
    CHECK_EQ_INT(mxt_tuner_create(db, g_m.fingerprint, &g_mm, &t), 0);
    struct mxt_accuracy a;
    CHECK(mxt_tuner_accuracy(t, &a) == MXT_ENOTFOUND);
    CHECK(strstr(mxt_last_error(), "mxtune search") != NULL);
    mxt_tuner_destroy(t);
    mxt_db_close(db);
    teardown();
}
