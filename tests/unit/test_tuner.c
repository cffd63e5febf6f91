/* Unit tests of tuner/ without a database or timing: the space and its legality, every
 * strategy against a deterministic fake on synthetic landscapes, budgets, the noise
 * policy, interruption, the timing method on a fake clock, shapes files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mxt_common.h"
#include "mxt_test.h"
#include "mxt_tuner.h"
#include "mxtune/gemm.h"
#include "mxtune/machine.h"
#include "mxtune/model.h"
#include "mxtune/sparse.h"

/* ---- fixtures ---- */

static struct mxt_model_machine g_mm;

static int load_machine(void) {
    static int done;
    if (done) return 0;
    struct mxt_machine m;
    if (mxt_machine_load_file(MXT_TEST_DATA "/machines/i9-10900k.json", &m)) return -1;
    if (mxt_model_machine_init(&g_mm, &m)) return -1;
    done = 1;
    return 0;
}

static int build(int64_t m, int64_t n, int64_t k, struct mxt_space *sp) {
    if (load_machine()) return -1;
    struct mxt_problem pb = {.op = MXT_OP_GEMM, .dtype = MXT_F32, .m = m, .n = n, .k = k};
    return mxt_space_build(&g_mm, &pb, NULL, sp);
}

/* A fake clock the fake measurer advances. */
static double fake_now;
static double fake_clock(void *ctx) {
    (void)ctx;
    return fake_now;
}
static const struct mxt_clock fake = {fake_clock, NULL};

#define MAX_SEQ 4096
enum { LAND_RANK, LAND_GRID, LAND_FLAT, LAND_TABLE };

/* The fake measurement: seconds from a synthetic landscape over the space. */
struct fake_meas {
    const struct mxt_space *sp;
    int kind;
    int opt;             /* the optimum's index */
    double cost;         /* fake seconds each measurement takes */
    const double *table; /* LAND_TABLE: seconds per candidate */
    const double *slow;  /* median / fastest run per candidate (NULL: 1) */
    int calls;
    int seq[MAX_SEQ]; /* candidates in measuring order */
    int *per_cand;    /* calls per candidate */
    int lucky;        /* candidate whose first measurement is 2x too fast (-1 none) */
    int lucky_nth;    /* with lucky and per_cand: its n-th measurement instead (0: first) */
    int slow_first;   /* 1 + the candidate whose first measurement is 2x too slow (0 none) */
    int interrupt_at; /* call number that sets mxt_interrupted (0: never) */
    double last_cutoff;
};

static double landscape(const struct fake_meas *f, int c) {
    const struct mxt_candidate *x = &f->sp->c[c], *o = &f->sp->c[f->opt];
    switch (f->kind) {
    case LAND_RANK:
        return c == f->opt ? 0.5e-3 : 1e-3 * (1 + 1e-4 * c);
    case LAND_GRID: { /* unimodal in the grid coordinates */
        if (x->coord[0] == 0xff) return 3e-3;
        double d = 0;
        for (int i = 0; i < MXT_NDIMS; i++)
            d += abs((int)x->coord[i] - (int)o->coord[i]);
        return 1e-3 * (1 + 0.08 * d) + 1e-9 * c;
    }
    case LAND_TABLE:
        return f->table[c];
    default:
        return 1e-3;
    }
}

static int fake_measure(void *ctx, const struct mxt_config *cfg, const struct mxt_measure_opts *o,
                        struct mxt_measure_result *out) {
    struct fake_meas *f = ctx;
    int c = mxt_space_find(f->sp, cfg);
    if (c < 0) return mxt_error(MXT_EINVAL, "fake: configuration not in the space");
    if (f->calls < MAX_SEQ) f->seq[f->calls] = c;
    f->calls++;
    f->last_cutoff = o->cutoff_s;
    if (f->per_cand) f->per_cand[c]++;
    if (f->interrupt_at && f->calls >= f->interrupt_at) {
        mxt_interrupted = 1;
        return mxt_error(MXT_EINTR, "interrupted");
    }
    fake_now += f->cost;
    double t = landscape(f, c);
    if (c == f->lucky && f->per_cand && f->per_cand[c] == (f->lucky_nth ? f->lucky_nth : 1))
        t *= 0.5;
    if (c + 1 == f->slow_first && f->per_cand && f->per_cand[c] == 1) t *= 2;
    memset(out, 0, sizeof *out);
    out->median_s = out->min_s = out->q20_s = out->q80_s = t;
    if (f->slow) out->median_s = out->q80_s = t * f->slow[c];
    out->runs = 5;
    out->within_bound = 1;
    return 0;
}

static void opts_for_test(struct mxt_search_opts *o, const char *strategy) {
    mxt_search_defaults(o);
    o->strategy = strategy;
    o->budget_s = 0;
    o->max_evals = 0;
    o->patience = 0;
    o->playoff_rounds = 0;
    o->clock = &fake;
}

static int run_search(const struct mxt_space *sp, struct fake_meas *f,
                      const struct mxt_search_opts *o, struct mxt_search_result *r) {
    struct mxt_tuner *t = NULL;
    if (mxt_tuner_create(NULL, "", &g_mm, &t)) return -1;
    struct mxt_measurer meas = {fake_measure, f};
    fake_now = 0;
    int rc = mxt_tuner_search(t, sp, &meas, o, r);
    mxt_tuner_destroy(t);
    return rc;
}

/* The "model" strategy over max_evals candidates, then `rounds` play-off rounds. */
static int run_model_search(const struct mxt_space *sp, struct fake_meas *f, int max_evals,
                            int rounds, struct mxt_search_result *r) {
    struct mxt_search_opts o;
    opts_for_test(&o, "model");
    o.max_evals = max_evals;
    o.playoff_rounds = rounds;
    return run_search(sp, f, &o, r);
}

/* An on-grid candidate that the model does not rank first. */
static int pick_optimum(const struct mxt_space *sp, unsigned need) {
    int cnt = 0, seen = 0;
    for (int i = 1; i < sp->n; i++)
        cnt += sp->c[i].coord[0] != 0xff && (sp->c[i].flags & need) == need;
    for (int i = 1; i < sp->n; i++) /* the middle one of those in the model's order */
        if (sp->c[i].coord[0] != 0xff && (sp->c[i].flags & need) == need && ++seen > cnt / 2)
            return i;
    return -1;
}

/* ---- the candidate space ---- */

MXT_TEST(space_is_legal_and_ranked) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(1024, 1024, 1024, &sp), 0);
    CHECK(sp.n > 100);
    CHECK(sp.dflt >= 0);
    CHECK(sp.c[sp.dflt].flags & MXT_CAND_DEFAULT);
    CHECK_EQ_INT(sp.c[sp.dflt].cfg.schedule, MXT_SCHED_GOTO);
    /* the kernels' own blocks are candidates: goto, and goto-jc with threads */
    int fb_goto = 0, fb_jc = 0;
    for (int i = 0; i < sp.n; i++) {
        if (!(sp.c[i].flags & MXT_CAND_FALLBACK)) continue;
        fb_goto += sp.c[i].cfg.schedule == MXT_SCHED_GOTO;
        fb_jc += sp.c[i].cfg.schedule == MXT_SCHED_GOTO_JC;
    }
    CHECK_EQ_INT(fb_goto, 1);
    CHECK_EQ_INT(fb_jc, sp.threads > 1 ? 1 : 0);
    struct mxt_problem pb = sp.pb;
    for (int i = 0; i < sp.n; i++) {
        const struct mxt_candidate *c = &sp.c[i];
        CHECK_EQ_INT(c->rank, i);
        if (i > 0) CHECK(c->predicted_s >= sp.c[i - 1].predicted_s);
        CHECK(c->cfg.mc > 0 && c->cfg.kc > 0 && c->cfg.nc > 0 && c->cfg.threads > 0);
        CHECK(c->cfg.mc % c->cfg.mr == 0);
        CHECK(c->cfg.nc % c->cfg.nr == 0);
        struct mxt_config k;
        mxt_tuner_kernel_config(&c->cfg, &k);
        CHECK_EQ_INT(mxt_gemm_check_config(MXT_F32, &k), 0);
        if (i != sp.dflt && !(c->flags & MXT_CAND_FALLBACK)) /* baselines may lie outside */
            CHECK_EQ_INT(mxt_tuner_check_config(&g_mm, &pb, &c->cfg, NULL), 0);
    }
    /* every grid point is a candidate or was refused with a reason */
    int on = 0, total = 0;
    for (int g = 0; g < sp.grid_size; g++)
        on += sp.grid[g] >= 0;
    for (int i = 0; i < sp.n_reasons; i++)
        total += sp.reasons[i].count;
    CHECK_EQ_INT(total, sp.n_illegal);
    CHECK(on + sp.n_illegal >= sp.grid_size);
    mxt_space_release(&sp);
}

MXT_TEST(legality_reasons) {
    CHECK_EQ_INT(load_machine(), 0);
    struct mxt_problem pb = {.op = MXT_OP_GEMM, .dtype = MXT_F32, .m = 2048, .n = 2048, .k = 2048};
    struct mxt_config c = {.schedule = MXT_SCHED_GOTO,
                           .isa = MXT_ISA_GENERIC,
                           .mr = 8,
                           .nr = 4,
                           .mc = 100,
                           .kc = 256,
                           .nc = 512,
                           .threads = 1};
    CHECK(mxt_tuner_check_config(&g_mm, &pb, &c, NULL) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "multiple") != NULL);
    c.mc = 1024;
    c.kc = 2048; /* an A block of 8 MiB cannot sit in a 256 KiB L2 */
    CHECK(mxt_tuner_check_config(&g_mm, &pb, &c, NULL) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "L2") != NULL);
    c.mc = 64;
    c.kc = 256;
    CHECK_EQ_INT(mxt_tuner_check_config(&g_mm, &pb, &c, NULL), 0);
    c.threads = 64; /* more than the machine's 10 cores x 2 */
    CHECK(mxt_tuner_check_config(&g_mm, &pb, &c, NULL) != 0);
    /* the space of a large problem refuses blocks beyond the caches, saying so */
    struct mxt_space sp;
    CHECK_EQ_INT(build(4096, 4096, 4096, &sp), 0);
    CHECK(sp.n_illegal > 0 && sp.n_reasons > 0);
    mxt_space_release(&sp);
}

MXT_TEST(space_options_restrict) {
    CHECK_EQ_INT(load_machine(), 0);
    struct mxt_problem pb = {.op = MXT_OP_GEMM, .dtype = MXT_F64, .m = 300, .n = 200, .k = 100};
    struct mxt_space_opts so = {
        .threads = 2, .schedule = MXT_SCHED_CAKE_MKN, .only_schedule = 1, .fixed_threads = 1};
    struct mxt_space sp;
    CHECK_EQ_INT(mxt_space_build(&g_mm, &pb, &so, &sp), 0);
    for (int i = 0; i < sp.n; i++) {
        if (i == sp.dflt) continue; /* the default baseline is goto */
        CHECK_EQ_INT(sp.c[i].cfg.schedule, MXT_SCHED_CAKE_MKN);
        CHECK_EQ_INT(sp.c[i].cfg.threads, 2);
    }
    CHECK(sp.dflt >= 0 && sp.c[sp.dflt].cfg.schedule == MXT_SCHED_GOTO);
    mxt_space_release(&sp);
    pb.op = MXT_OP_CONTRACT;
    CHECK(mxt_space_build(&g_mm, &pb, NULL, &sp) == MXT_EUNSUPPORTED);
}

/* Candidates measured first as baselines besides the model's first and the default:
 * the kernels' own blocks (MXT_CAND_FALLBACK). */
static int n_fallback(const struct mxt_space *sp) {
    int n = 0;
    for (int i = 0; i < sp->n; i++)
        n += (sp->c[i].flags & MXT_CAND_FALLBACK) && i != sp->model_first && i != sp->dflt;
    return n;
}

/* ---- strategies find the optimum of a synthetic landscape ---- */

MXT_TEST(strategy_model_finds_top_k_optimum) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    struct fake_meas f = {.sp = &sp, .kind = LAND_RANK, .opt = 7, .cost = 0.1, .lucky = -1};
    const int max_evals = 10 + n_fallback(&sp);
    struct mxt_search_result r;
    CHECK_EQ_INT(run_model_search(&sp, &f, max_evals, 0, &r), 0);
    CHECK_EQ_INT(r.best.cand, 7);
    CHECK_EQ_INT(r.evals, max_evals);
    CHECK_EQ_INT(f.seq[0], 0);       /* the model's first choice first */
    CHECK_EQ_INT(f.seq[1], sp.dflt); /* then the default */
    CHECK(strcmp(r.stop, "max-evals") == 0);
    mxt_space_release(&sp);
}

MXT_TEST(strategy_exhaustive_covers_the_grid) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    int grid = 0;
    for (int i = 0; i < sp.n; i++) {
        unsigned need = MXT_CAND_COARSE | MXT_CAND_WIDEST;
        grid += (sp.c[i].flags & need) == need ||
                (sp.c[i].flags & (MXT_CAND_DEFAULT | MXT_CAND_FALLBACK));
    }
    struct fake_meas f = {.sp = &sp, .kind = LAND_RANK, .cost = 0.1, .lucky = -1};
    f.opt = pick_optimum(&sp, MXT_CAND_COARSE | MXT_CAND_WIDEST);
    CHECK(f.opt > 0);
    struct mxt_search_opts o;
    opts_for_test(&o, "exhaustive");
    struct mxt_search_result r;
    CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
    CHECK_EQ_INT(r.best.cand, f.opt);
    /* the grid, plus the model's first choice when it lies off the coarse grid */
    CHECK(r.evals == grid || r.evals == grid + 1);
    CHECK(strcmp(r.stop, "exhausted") == 0);
    mxt_space_release(&sp);
}

MXT_TEST(strategy_random_finds_optimum) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(256, 256, 256, &sp), 0);
    struct fake_meas f = {.sp = &sp, .kind = LAND_RANK, .cost = 0.01, .lucky = -1};
    f.opt = sp.n - 1; /* the model's worst */
    struct mxt_search_opts o;
    opts_for_test(&o, "random");
    o.seed = 3;
    struct mxt_search_result r;
    CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
    CHECK_EQ_INT(r.best.cand, f.opt);
    CHECK_EQ_INT(r.evals, sp.n);
    mxt_space_release(&sp);
}

MXT_TEST(strategy_anneal_finds_grid_optimum) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(1024, 1024, 1024, &sp), 0);
    struct fake_meas f = {.sp = &sp, .kind = LAND_GRID, .cost = 0.1, .lucky = -1};
    f.opt = pick_optimum(&sp, MXT_CAND_WIDEST);
    CHECK(f.opt > 0);
    struct mxt_search_opts o;
    opts_for_test(&o, "anneal");
    /* the walk starts at the model's best, which moved away from the middle
     * optimum when the model followed the kernels' CAKE blocks and ISA peaks */
    o.max_evals = 200;
    struct mxt_search_result r;
    CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
    CHECK_EQ_INT(r.best.cand, f.opt);
    CHECK(r.evals <= 200);
    mxt_space_release(&sp);
}

MXT_TEST(strategy_anneal_reproducible) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(1024, 1024, 1024, &sp), 0);
    static struct fake_meas a, b, c;
    a = (struct fake_meas){.sp = &sp, .kind = LAND_GRID, .cost = 0.1, .lucky = -1};
    a.opt = pick_optimum(&sp, MXT_CAND_WIDEST);
    b = a;
    c = a;
    struct mxt_search_opts o;
    opts_for_test(&o, "anneal");
    o.max_evals = 40;
    o.seed = 7;
    struct mxt_search_result r;
    CHECK_EQ_INT(run_search(&sp, &a, &o, &r), 0);
    CHECK_EQ_INT(run_search(&sp, &b, &o, &r), 0);
    CHECK_EQ_INT(a.calls, b.calls);
    CHECK(memcmp(a.seq, b.seq, (size_t)a.calls * sizeof a.seq[0]) == 0);
    o.seed = 8;
    CHECK_EQ_INT(run_search(&sp, &c, &o, &r), 0);
    CHECK(c.calls != a.calls || memcmp(a.seq, c.seq, (size_t)a.calls * sizeof a.seq[0]) != 0);
    mxt_space_release(&sp);
}

/* ---- budgets ---- */

MXT_TEST(budget_wall_time_stops) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    struct fake_meas f = {.sp = &sp, .kind = LAND_GRID, .cost = 0.25, .lucky = -1};
    f.opt = pick_optimum(&sp, 0);
    struct mxt_search_opts o;
    opts_for_test(&o, "anneal");
    o.budget_s = 2.0; /* 8 measurements of 0.25 fake seconds */
    struct mxt_search_result r;
    CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
    CHECK(strcmp(r.stop, "budget") == 0);
    /* 8 measurements of 0.25 s fill the budget; a suspicious new best is measured
     * twice within one evaluation, so evaluations may be fewer */
    CHECK_EQ_INT(f.calls, 8);
    CHECK(r.evals >= 1 && r.evals <= f.calls);
    CHECK(r.elapsed_s >= 2.0);
    mxt_space_release(&sp);
}

MXT_TEST(budget_max_evals_and_patience) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    struct fake_meas f = {.sp = &sp, .kind = LAND_GRID, .cost = 0.1, .lucky = -1};
    f.opt = pick_optimum(&sp, 0);
    struct mxt_search_opts o;
    opts_for_test(&o, "random");
    o.max_evals = 17;
    struct mxt_search_result r;
    CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
    CHECK(strcmp(r.stop, "max-evals") == 0);
    CHECK_EQ_INT(r.evals, 17);
    /* 17 candidates measured (a suspiciously fast new best is measured twice) */
    int distinct = 0;
    for (int i = 0; i < f.calls; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= f.seq[j] == f.seq[i];
        distinct += !seen;
    }
    CHECK_EQ_INT(distinct, 17);
    CHECK(f.calls <= 17 + 2);
    /* a flat landscape: nothing improves on the first candidate */
    struct fake_meas g = {.sp = &sp, .kind = LAND_FLAT, .cost = 0.1, .lucky = -1};
    opts_for_test(&o, "anneal");
    o.patience = 6;
    CHECK_EQ_INT(run_search(&sp, &g, &o, &r), 0);
    CHECK(strcmp(r.stop, "patience") == 0);
    CHECK_EQ_INT(r.evals, 7); /* the first, then 6 without a new best */
    CHECK_EQ_INT(r.best.cand, 0);
    mxt_space_release(&sp);
}

MXT_TEST(model_first_and_default_always_measured) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    struct fake_meas f = {.sp = &sp, .kind = LAND_FLAT, .cost = 0.1, .lucky = -1};
    struct mxt_search_opts o;
    opts_for_test(&o, "random");
    o.max_evals = 1;
    struct mxt_search_result r;
    CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
    CHECK_EQ_INT(f.calls, (sp.dflt == 0 ? 1 : 2) + n_fallback(&sp));
    CHECK(r.model_first.seconds > 0 && r.dflt.seconds > 0);
    mxt_space_release(&sp);
}

/* ---- the noise policy ---- */

/* A LAND_TABLE landscape: the model's first choice at 1 ms, every other candidate
 * at `others` seconds. */
static double *table_of(const struct mxt_space *sp, double others) {
    double *tab = malloc((size_t)sp->n * sizeof *tab);
    if (!tab) return NULL;
    for (int i = 0; i < sp->n; i++)
        tab[i] = others;
    tab[0] = 1e-3;
    return tab;
}

MXT_TEST(noise_two_percent_rule) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    CHECK(sp.dflt > 0);
    double *tab = table_of(&sp, 2e-3);
    CHECK(tab != NULL);
    tab[sp.dflt] = 0.99e-3; /* 1 % faster: noise, the incumbent stays */
    struct fake_meas f = {.sp = &sp, .kind = LAND_TABLE, .table = tab, .cost = 0.1, .lucky = -1};
    struct mxt_search_result r;
    CHECK_EQ_INT(run_model_search(&sp, &f, 6, 0, &r), 0);
    CHECK_EQ_INT(r.best.cand, 0);
    tab[sp.dflt] = 0.97e-3; /* 3 % faster: a new best */
    CHECK_EQ_INT(run_model_search(&sp, &f, 6, 0, &r), 0);
    CHECK_EQ_INT(r.best.cand, sp.dflt);
    /* the play-off compares the finalists head to head: 1 % is enough there */
    tab[sp.dflt] = 0.99e-3;
    CHECK_EQ_INT(run_model_search(&sp, &f, 6, 3, &r), 0);
    CHECK_EQ_INT(r.best.cand, sp.dflt);
    CHECK(r.best.gflops >= r.model_first.gflops && r.best.gflops >= r.dflt.gflops);
    free(tab);
    mxt_space_release(&sp);
}

/* Interference only slows runs: a candidate whose runs were often disturbed
 * (high median) but whose fastest run is the fastest wins, in the search and in
 * the play-off; the median is still what is reported beside it. */
MXT_TEST(ranked_by_the_fastest_run) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    CHECK(sp.dflt > 0);
    double *tab = table_of(&sp, 2e-3), *slow = malloc((size_t)sp.n * sizeof *slow);
    CHECK(tab != NULL && slow != NULL);
    for (int i = 0; i < sp.n; i++)
        slow[i] = 1.0; /* steady */
    tab[sp.dflt] = 0.95e-3;
    slow[sp.dflt] = 1.3; /* median 1.235e-3: slower than the model's first by its median */
    struct fake_meas f = {
        .sp = &sp, .kind = LAND_TABLE, .table = tab, .slow = slow, .cost = 0.1, .lucky = -1};
    struct mxt_search_opts o;
    opts_for_test(&o, "model");
    o.max_evals = 6;
    for (int rounds = 0; rounds <= 3; rounds += 3) {
        o.playoff_rounds = rounds;
        struct mxt_search_result r;
        CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
        CHECK_EQ_INT(r.best.cand, sp.dflt);
        CHECK_NEAR(r.best.seconds, 0.95e-3, 1e-12);
        CHECK_NEAR(r.model_first.seconds, 1e-3, 1e-12);
    }
    free(tab);
    free(slow);
    mxt_space_release(&sp);
}

/* Candidates a little faster than the incumbent (under the 2 % rule) meet in the
 * play-off, the fastest of them first, whatever the model's order. */
MXT_TEST(playoff_takes_the_fastest_others) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    double *tab = table_of(&sp, 2e-3);
    CHECK(tab != NULL);
    int late = -1, seen = 0; /* five near ties in the model's order, the fastest last */
    for (int i = 1; i < sp.n && seen < 5; i++) {
        if (i == sp.dflt || (sp.c[i].flags & (MXT_CAND_FALLBACK | MXT_CAND_OUTSIDE))) continue;
        tab[i] = 0.995e-3;
        late = i;
        seen++;
    }
    CHECK(late > 0);
    tab[late] = 0.985e-3;
    struct fake_meas f = {.sp = &sp, .kind = LAND_TABLE, .table = tab, .cost = 0.1, .lucky = -1};
    struct mxt_search_result r;
    CHECK_EQ_INT(run_model_search(&sp, &f, late + 2 + n_fallback(&sp), 3, &r), 0);
    CHECK_EQ_INT(r.best.cand, late);
    free(tab);
    mxt_space_release(&sp);
}

/* The kernels' own blocks meet in the play-off whatever they first measured: one
 * measured in a slow stretch (twice its time) gets its second chance and wins. */
MXT_TEST(playoff_takes_the_kernels_blocks) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    double *tab = table_of(&sp, 2e-3);
    int *per = calloc((size_t)sp.n, sizeof *per);
    CHECK(tab != NULL && per != NULL);
    int fb = -1;
    for (int i = 0; i < sp.n && fb < 0; i++)
        if ((sp.c[i].flags & MXT_CAND_FALLBACK) && i != sp.model_first && i != sp.dflt) fb = i;
    CHECK(fb >= 0);
    tab[fb] = 0.8e-3; /* the fastest; its first measurement reads 1.6 ms, the best 1 ms */
    struct fake_meas f = {.sp = &sp,
                          .kind = LAND_TABLE,
                          .table = tab,
                          .cost = 0.1,
                          .lucky = -1,
                          .slow_first = fb + 1,
                          .per_cand = per};
    struct mxt_search_result r;
    CHECK_EQ_INT(run_model_search(&sp, &f, 2 + n_fallback(&sp), 3, &r), 0);
    CHECK(per[fb] >= 2); /* measured again in the play-off */
    CHECK_EQ_INT(r.best.cand, fb);
    free(per);
    free(tab);
    mxt_space_release(&sp);
}

/* The play-off ranks the finalists by the median over rounds of each round's
 * fastest run: the default, 10 % slower than the model's first choice, has one
 * round twice as fast (its second measurement, the play-off's first round) and
 * must not win on it. With the fastest run of all rounds it won. */
MXT_TEST(playoff_one_lucky_round_does_not_win) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    CHECK(sp.dflt >= 0 && sp.model_first >= 0 && sp.dflt != sp.model_first);
    double *tab = table_of(&sp, 2e-3);
    int *per = calloc((size_t)sp.n, sizeof *per);
    CHECK(tab != NULL && per != NULL);
    tab[sp.model_first] = 1.0e-3;
    tab[sp.dflt] = 1.1e-3;
    struct fake_meas f = {.sp = &sp,
                          .kind = LAND_TABLE,
                          .table = tab,
                          .cost = 0.1,
                          .lucky = sp.dflt,
                          .lucky_nth = 2,
                          .per_cand = per};
    struct mxt_search_result r;
    CHECK_EQ_INT(run_model_search(&sp, &f, 2 + n_fallback(&sp), 3, &r), 0);
    CHECK(per[sp.dflt] >= 4); /* the search's measurement and three rounds */
    CHECK_EQ_INT(r.best.cand, sp.model_first);
    CHECK_NEAR(r.best.seconds, 1.0e-3, 1e-12);
    CHECK_NEAR(r.dflt.seconds, 1.1e-3, 1e-12);
    free(per);
    free(tab);
    mxt_space_release(&sp);
}

MXT_TEST(noise_lucky_winner_remeasured) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    int *per = calloc((size_t)sp.n, sizeof *per);
    CHECK(per != NULL);
    struct fake_meas f = {.sp = &sp, .kind = LAND_RANK, .opt = -1, .cost = 0.1, .per_cand = per};
    f.opt = sp.n - 1; /* unused by the first ranks */
    f.lucky = 3;      /* its first measurement is twice too fast */
    struct mxt_search_result r;
    CHECK_EQ_INT(run_model_search(&sp, &f, 6 + n_fallback(&sp), 0, &r), 0);
    CHECK_EQ_INT(per[3], 2);  /* measured again */
    CHECK(r.best.cand != 3);  /* and the slower figure kept */
    CHECK(f.last_cutoff > 0); /* later candidates run under the 3x cut-off */
    free(per);
    mxt_space_release(&sp);
}

MXT_TEST(cutoff_is_three_times_the_best) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    double *tab = table_of(&sp, 4e-3);
    CHECK(tab != NULL);
    struct fake_meas f = {.sp = &sp, .kind = LAND_TABLE, .table = tab, .cost = 0.1, .lucky = -1};
    struct mxt_search_result r;
    CHECK_EQ_INT(run_model_search(&sp, &f, 3, 0, &r), 0);
    CHECK_NEAR(f.last_cutoff, 3e-3, 1e-12);
    free(tab);
    mxt_space_release(&sp);
}

MXT_TEST(interrupt_keeps_best_so_far) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    struct fake_meas f = {
        .sp = &sp, .kind = LAND_GRID, .cost = 0.1, .lucky = -1, .interrupt_at = 5};
    f.opt = pick_optimum(&sp, 0);
    struct mxt_search_opts o;
    opts_for_test(&o, "anneal");
    o.max_evals = 50;
    struct mxt_search_result r;
    int rc = run_search(&sp, &f, &o, &r);
    mxt_interrupted = 0;
    CHECK(rc == MXT_EINTR);
    CHECK(r.interrupted);
    CHECK(strcmp(r.stop, "interrupted") == 0);
    CHECK(r.measured >= 3 && r.measured <= 4); /* 4 calls, one may be a re-measurement */
    CHECK(r.best.cand >= 0 && r.best.seconds > 0);
    mxt_space_release(&sp);
}

MXT_TEST(failed_candidate_is_skipped) {
    struct mxt_space sp;
    CHECK_EQ_INT(build(512, 512, 512, &sp), 0);
    double *tab = malloc((size_t)sp.n * sizeof *tab);
    CHECK(tab != NULL);
    for (int i = 0; i < sp.n; i++)
        tab[i] = 1e-3 * (1 + 0.01 * i);
    tab[2] = 0; /* a measurement that reports no time */
    struct fake_meas f = {.sp = &sp, .kind = LAND_TABLE, .table = tab, .cost = 0.1, .lucky = -1};
    struct mxt_search_opts o;
    opts_for_test(&o, "model");
    o.max_evals = 5;
    o.strategy = "model";
    struct mxt_search_result r;
    CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
    CHECK(r.best.cand == 0);
    free(tab);
    mxt_space_release(&sp);
}

/* ---- registry and shapes ---- */

MXT_TEST(strategy_registry) {
    const struct mxt_strategy *s;
    static const char *const names[] = {"model", "anneal", "random", "exhaustive"};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_INT(mxt_strategy_find(names[i], &s), 0);
        CHECK(strcmp(s->name, names[i]) == 0);
        CHECK(s->applicable && s->init && s->next && s->observe && s->fini);
    }
    CHECK(mxt_strategy_get(4) == NULL);
    CHECK(mxt_strategy_find("genetic", &s) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "genetic") != NULL);
    CHECK_EQ_INT(mxt_strategy_find(MXT_DEFAULT_STRATEGY, &s), 0);
}

MXT_TEST(shapes_parse) {
    const char *text = "# ML layers\n"
                       "1024 1024 1024\n"
                       "\n"
                       "  512 64 2048 f64   # trailing comment\n"
                       "1024 1024 1024\n" /* a duplicate: kept once */
                       "7 11 13 f32\n";
    struct mxt_shape *s = NULL;
    int n = 0;
    CHECK_EQ_INT(mxt_shapes_parse(text, "t", MXT_F32, &s, &n), 0);
    CHECK_EQ_INT(n, 3);
    CHECK(s[0].m == 1024 && s[0].n == 1024 && s[0].k == 1024 && s[0].dtype == MXT_F32);
    CHECK(s[1].m == 512 && s[1].n == 64 && s[1].k == 2048 && s[1].dtype == MXT_F64);
    CHECK_EQ_INT(s[1].line, 4);
    CHECK(s[2].m == 7 && s[2].k == 13);
    free(s);
    CHECK_EQ_INT(mxt_shapes_parse("64 64 64\n", "t", MXT_F64, &s, &n), 0);
    CHECK(n == 1 && s[0].dtype == MXT_F64);
    free(s);
}

MXT_TEST(shapes_errors) {
    struct {
        const char *text, *needle;
    } bad[] = {
        {"1024 1024\n", "t:1: expected 'M N K [dtype]'"},
        {"# c\n1 2 3\n4 5 6 f32 x\n", "t:3:"},
        {"1 2 x\n", "t:1: K = 'x'"},
        {"0 2 3\n", "M = '0'"},
        {"-4 2 3\n", "M = '-4'"},
        {"1 2 3 f16\n", "unknown dtype 'f16'"},
        {"# only comments\n\n", "no shapes"},
        {"", "no shapes"},
    };
    for (size_t i = 0; i < MXT_ARRAY_LEN(bad); i++) {
        struct mxt_shape *s = NULL;
        int n = 0;
        CHECK(mxt_shapes_parse(bad[i].text, "t", MXT_F32, &s, &n) == MXT_EFORMAT);
        CHECK(s == NULL && n == 0);
        if (!strstr(mxt_last_error(), bad[i].needle)) {
            fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, mxt_last_error(), bad[i].needle);
            CHECK(0);
        }
    }
    struct mxt_shape *s = NULL;
    int n = 0;
    CHECK(mxt_shapes_load("/nonexistent/shapes.txt", MXT_F32, &s, &n) == MXT_EIO);
}

MXT_TEST(default_problem_set) {
    const struct mxt_shape *s;
    int n = mxt_shapes_default(&s);
    CHECK(n >= 3);
    int square = 0, skewed = 0;
    for (int i = 0; i < n; i++) {
        CHECK(s[i].m > 0 && s[i].n > 0 && s[i].k > 0 && s[i].what != NULL);
        square += s[i].m == s[i].n && s[i].n == s[i].k;
        skewed += s[i].m != s[i].n || s[i].n != s[i].k;
    }
    CHECK(square >= 1 && skewed >= 2);
}

/* ---- the timing method with a fake clock ---- */

static double tick_now;
static double tick_clock(void *ctx) {
    (void)ctx;
    tick_now += 1e-3; /* every reading advances 1 ms: each run lasts 1 ms */
    return tick_now;
}

MXT_TEST(measure_method_and_check) {
    struct mxt_gemm_bench *b = NULL;
    CHECK_EQ_INT(mxt_gemm_bench_create(MXT_F64, 37, 29, 41, 5, &b), 0);
    const struct mxt_clock clk = {tick_clock, NULL};
    mxt_gemm_bench_set_clock(b, &clk);
    struct mxt_measure_opts o;
    mxt_measure_defaults(&o);
    o.min_time_s = 0.0195; /* 20 runs of 1 ms */
    o.min_runs = 5;
    struct mxt_config cfg = {.schedule = MXT_SCHED_GOTO,
                             .isa = MXT_ISA_GENERIC,
                             .mr = 4,
                             .nr = 4,
                             .mc = 16,
                             .kc = 16,
                             .nc = 8,
                             .threads = 1};
    struct mxt_measure_result r;
    CHECK_EQ_INT(mxt_gemm_bench_measure(b, &cfg, &o, &r), 0);
    CHECK_EQ_INT(r.runs, 20);
    CHECK_NEAR(r.median_s, 1e-3, 1e-9);
    CHECK_EQ_INT(r.checked, 32 * 29); /* 32 of the 37 rows, all 29 columns */
    CHECK(r.within_bound);
    CHECK(r.max_rel_error <= r.error_bound);
    CHECK_NEAR(r.error_bound, 2.0 * 41 * 0x1p-53, 1e-12);
    /* the cut-off: a warm-up slower than it stops the candidate at once */
    o.cutoff_s = 0.5e-3;
    CHECK_EQ_INT(mxt_gemm_bench_measure(b, &cfg, &o, &r), 0);
    CHECK(r.cut_off);
    CHECK_EQ_INT(r.runs, 1);
    /* an illegal configuration is refused with the reason */
    cfg.mc = 15;
    CHECK(mxt_gemm_bench_measure(b, &cfg, &o, &r) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "multiple") != NULL);
    mxt_gemm_bench_destroy(b);
    /* sizes that cannot be allocated: a clear error, nothing allocated */
    CHECK(mxt_gemm_bench_create(MXT_F32, (int64_t)1 << 30, (int64_t)1 << 30, 1024, 1, &b) ==
          MXT_ENOMEM);
    CHECK(strstr(mxt_last_error(), "GiB") != NULL);
}

MXT_TEST(default_outside_options_is_only_a_baseline) {
    CHECK_EQ_INT(load_machine(), 0);
    struct mxt_problem pb = {.op = MXT_OP_GEMM, .dtype = MXT_F32, .m = 256, .n = 256, .k = 256};
    struct mxt_space_opts so = {.schedule = MXT_SCHED_CAKE, .only_schedule = 1};
    struct mxt_space sp;
    CHECK_EQ_INT(mxt_space_build(&g_mm, &pb, &so, &sp), 0);
    CHECK_EQ_INT(sp.dflt, sp.n - 1); /* goto, outside the CAKE-only space: ranked last */
    CHECK(sp.c[sp.dflt].flags & MXT_CAND_OUTSIDE);
    CHECK(sp.c[0].cfg.schedule != MXT_SCHED_GOTO);
    double *tab = malloc((size_t)sp.n * sizeof *tab);
    CHECK(tab != NULL);
    for (int i = 0; i < sp.n; i++)
        tab[i] = 1e-3;
    tab[sp.dflt] = 0.5e-3; /* the fastest, yet not what was asked for */
    struct fake_meas f = {.sp = &sp, .kind = LAND_TABLE, .table = tab, .cost = 0.1, .lucky = -1};
    struct mxt_search_result r;
    CHECK_EQ_INT(run_model_search(&sp, &f, 5, 2, &r), 0);
    CHECK(r.dflt.seconds > 0); /* measured as the baseline */
    CHECK(r.best.cand >= 0 && r.best.cand != sp.dflt);
    CHECK_EQ_INT(sp.c[r.best.cand].cfg.schedule != MXT_SCHED_GOTO, 1);
    free(tab);
    mxt_space_release(&sp);
}

/* ---- spmm and lowrank ---- */

static int build_op(enum mxt_op op, enum mxt_dtype dt, int64_t m, int64_t n, int64_t k, double d,
                    int64_t r, const struct mxt_space_opts *so, struct mxt_space *sp) {
    if (load_machine()) return -1;
    struct mxt_problem pb = {
        .op = op, .dtype = dt, .m = m, .n = n, .k = k, .density = d, .rank = r};
    return mxt_space_build(&g_mm, &pb, so, sp);
}

MXT_TEST(space_spmm_is_legal_and_ranked) {
    struct mxt_space sp;
    CHECK_EQ_INT(build_op(MXT_OP_SPMM, MXT_F32, 256, 256, 256, 0.1, 0, NULL, &sp), 0);
    CHECK(sp.n > 50);
    CHECK(sp.dflt >= 0);
    CHECK_NEAR(sp.flops, 2 * 0.1 * 256.0 * 256 * 256, 1e-3);
    /* the fixture's machine has no AVX-512: the generic Rosko kernel */
    int tiles[2][4] = {{0}};
    for (int i = 0; i < sp.n; i++) {
        const struct mxt_config *c = &sp.c[i].cfg;
        CHECK_EQ_INT(c->schedule, MXT_SCHED_CAKE_KMN);
        CHECK_EQ_INT(c->isa, MXT_ISA_GENERIC);
        CHECK(c->nr == 16 || c->nr == 32 || c->nr == 48 || c->nr == 64);
        CHECK(c->mr >= 1 && c->mr <= MXT_ROSKO_MAX_MR);
        CHECK_EQ_INT((int)(c->mc % c->mr), 0);
        CHECK_EQ_INT((int)(c->nc % c->nr), 0);
        CHECK(c->kc >= 1);
        CHECK(c->threads >= 1 && c->threads <= sp.threads);
        CHECK(sp.c[i].predicted_s > 0);
        if (i > 0) CHECK(sp.c[i].predicted_s >= sp.c[i - 1].predicted_s);
        if (i == sp.dflt) continue; /* the kernels' own fallbacks may leave the grid's caps */
        CHECK(c->kc <= 256);
        struct mxt_prediction p;
        CHECK_EQ_INT(mxt_tuner_check_config(&g_mm, &sp.pb, c, &p), 0);
        if (c->mr == 64 || c->mr == 128) tiles[c->mr == 128][c->nr / 16 - 1]++;
    }
    for (int a = 0; a < 2; a++) /* every Rosko tile of the space has candidates */
        for (int b = 0; b < 4; b++)
            CHECK(tiles[a][b] > 0);
    /* the default is what mxt_spmm runs without a configuration */
    const struct mxt_config *d = &sp.c[sp.dflt].cfg;
    CHECK_EQ_INT(d->mr, 128);
    CHECK_EQ_INT((int)d->mc, 4 * 128);
    CHECK_EQ_INT(d->threads, sp.threads);
    mxt_space_release(&sp);
}

MXT_TEST(space_spmm_refuses_with_reasons) {
    struct mxt_space sp;
    CHECK(build_op(MXT_OP_SPMM, MXT_F32, 64, 64, 64, 0, 0, NULL, &sp) == MXT_ERANGE);
    CHECK(strstr(mxt_last_error(), "density") != NULL);
    CHECK(build_op(MXT_OP_SPMM, MXT_F32, 64, 64, 64, 1.5, 0, NULL, &sp) == MXT_ERANGE);
    CHECK(build_op(MXT_OP_SPMM, MXT_F64, 64, 64, 64, 0.5, 0, NULL, &sp) == MXT_EUNSUPPORTED);
    struct mxt_space_opts so = {.schedule = MXT_SCHED_GOTO, .only_schedule = 1};
    CHECK(build_op(MXT_OP_SPMM, MXT_F32, 64, 64, 64, 0.5, 0, &so, &sp) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "cake-kmn") != NULL);
    so = (struct mxt_space_opts){.isa = MXT_ISA_AVX2};
    CHECK(build_op(MXT_OP_SPMM, MXT_F32, 64, 64, 64, 0.5, 0, &so, &sp) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "AVX2") != NULL);
    so = (struct mxt_space_opts){.mr = 32, .nr = 20};
    CHECK(build_op(MXT_OP_SPMM, MXT_F32, 64, 64, 64, 0.5, 0, &so, &sp) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "nr = 20") != NULL);
    /* one tile asked: only it (the default, another tile, is a baseline outside) */
    so = (struct mxt_space_opts){.mr = 32, .nr = 16, .fixed_threads = 1};
    CHECK_EQ_INT(build_op(MXT_OP_SPMM, MXT_F32, 200, 64, 300, 0.05, 0, &so, &sp), 0);
    for (int i = 0; i < sp.n; i++) {
        if (sp.c[i].flags & MXT_CAND_OUTSIDE) continue;
        CHECK_EQ_INT(sp.c[i].cfg.mr, 32);
        CHECK_EQ_INT(sp.c[i].cfg.nr, 16);
    }
    CHECK(sp.dflt >= 0 && (sp.c[sp.dflt].flags & MXT_CAND_OUTSIDE));
    CHECK(sp.dflt == sp.n - 1); /* ranked last */
    /* a configuration the Rosko kernel cannot run, with the reason */
    struct mxt_config bad = sp.c[0].cfg;
    bad.nc += 1;
    CHECK(mxt_tuner_check_config(&g_mm, &sp.pb, &bad, NULL) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "multiple of nr") != NULL);
    bad = sp.c[0].cfg;
    bad.schedule = MXT_SCHED_GOTO;
    CHECK(mxt_tuner_check_config(&g_mm, &sp.pb, &bad, NULL) == MXT_EINVAL);
    mxt_space_release(&sp);
}

MXT_TEST(space_lowrank_order_and_prediction) {
    struct mxt_space sp;
    CHECK_EQ_INT(build_op(MXT_OP_LOWRANK, MXT_F32, 256, 256, 256, 0, 16, NULL, &sp), 0);
    CHECK(sp.n > 100);
    CHECK(sp.dflt >= 0 && sp.c[sp.dflt].cfg.schedule == MXT_SCHED_GOTO);
    CHECK_EQ_INT(sp.order, mxt_lowrank_choose_order(256, 256, 256, 16, 1.0));
    CHECK_EQ_INT(sp.order, MXT_LOWRANK_U_VX);
    CHECK_NEAR(sp.flops, 2.0 * (16.0 * 256 * 256 + 256.0 * 16 * 256), 1e-3);
    /* each candidate's time is the model's for the order it runs */
    for (int i = 0; i < sp.n; i += sp.n / 7 + 1) {
        struct mxt_config c = sp.c[i].cfg;
        c.alpha = 0;
        struct mxt_prediction p;
        CHECK_EQ_INT(mxt_model_evaluate(&g_mm, &sp.pb, &c, MXT_SIZING_DEFAULT, &p), 0);
        CHECK_NEAR(sp.c[i].predicted_s, p.order_seconds[sp.order], 1e-12);
        CHECK_EQ_INT(mxt_tuner_check_config(&g_mm, &sp.pb, &sp.c[i].cfg, NULL), 0);
    }
    mxt_space_release(&sp);
    /* a rank near min(m, k) with a wide X: (UV)X is the cheaper order */
    CHECK_EQ_INT(build_op(MXT_OP_LOWRANK, MXT_F64, 64, 4096, 64, 0, 64, NULL, &sp), 0);
    CHECK_EQ_INT(sp.order, MXT_LOWRANK_UV_X);
    CHECK_NEAR(sp.flops, 2.0 * (64.0 * 64 * 64 + 64.0 * 64 * 4096), 1e-3);
    mxt_space_release(&sp);
    /* the rank must be in [1, min(m, k)]; U dense */
    CHECK(build_op(MXT_OP_LOWRANK, MXT_F32, 64, 64, 32, 0, 0, NULL, &sp) == MXT_ERANGE);
    CHECK(build_op(MXT_OP_LOWRANK, MXT_F32, 64, 64, 32, 0, 33, NULL, &sp) == MXT_ERANGE);
    CHECK(strstr(mxt_last_error(), "min(m, k)") != NULL);
    CHECK_EQ_INT(build_op(MXT_OP_LOWRANK, MXT_F32, 64, 64, 32, 0, 32, NULL, &sp), 0);
    mxt_space_release(&sp);
    CHECK(build_op(MXT_OP_LOWRANK, MXT_F32, 64, 64, 32, 0.5, 8, NULL, &sp) == MXT_EUNSUPPORTED);
}

/* Every strategy finds the optimum of a synthetic landscape on spmm and lowrank
 * spaces as on gemm's. */
MXT_TEST(strategies_on_spmm_and_lowrank) {
    static const char *const names[] = {"model", "anneal", "random", "exhaustive"};
    for (int op = 0; op < 2; op++) {
        struct mxt_space sp;
        if (op == 0)
            CHECK_EQ_INT(build_op(MXT_OP_SPMM, MXT_F32, 512, 256, 512, 0.05, 0, NULL, &sp), 0);
        else
            CHECK_EQ_INT(build_op(MXT_OP_LOWRANK, MXT_F32, 512, 256, 512, 0, 32, NULL, &sp), 0);
        for (int s = 0; s < 4; s++) {
            static struct fake_meas f;
            f = (struct fake_meas){.sp = &sp, .cost = 0.01, .lucky = -1};
            struct mxt_search_opts o;
            opts_for_test(&o, names[s]);
            if (s == 0) { /* the model's top 10 */
                f.kind = LAND_RANK;
                f.opt = 5;
                o.max_evals = 10;
            } else if (s == 1) {
                f.kind = LAND_GRID;
                f.opt = pick_optimum(&sp, MXT_CAND_WIDEST);
                o.max_evals = 150;
            } else if (s == 2) {
                f.kind = LAND_RANK;
                f.opt = sp.n - 1;
            } else {
                f.kind = LAND_RANK;
                f.opt = pick_optimum(&sp, MXT_CAND_COARSE | MXT_CAND_WIDEST);
            }
            CHECK(f.opt > 0);
            struct mxt_search_result r;
            CHECK_EQ_INT(run_search(&sp, &f, &o, &r), 0);
            if (r.best.cand != f.opt) fprintf(stderr, "op %d strategy %s\n", op, names[s]);
            CHECK_EQ_INT(r.best.cand, f.opt);
            CHECK_EQ_INT(f.seq[0], 0); /* the model's first choice first */
            if (sp.dflt > 0) CHECK_EQ_INT(f.seq[1], sp.dflt);
            /* GFLOP/s count the op's own flops */
            CHECK_NEAR(r.best.gflops, sp.flops / r.best.seconds / 1e9, 1e-6);
        }
        mxt_space_release(&sp);
    }
}

MXT_TEST(measure_spmm_and_lowrank) {
    const struct mxt_clock clk = {tick_clock, NULL};
    struct mxt_measure_opts o;
    mxt_measure_defaults(&o);
    o.min_time_s = 0.0095; /* 10 runs of 1 ms */
    o.min_runs = 3;
    struct mxt_measure_result r;
    /* spmm: density as asked, checked, one packed copy per tile shape */
    struct mxt_spmm_bench *s = NULL;
    CHECK_EQ_INT(mxt_spmm_bench_create(70, 40, 90, 0.2, 9, &s), 0);
    int64_t nnz = mxt_spmm_bench_nnz(s);
    CHECK(nnz > 0.1 * 70 * 90 && nnz < 0.3 * 70 * 90);
    mxt_spmm_bench_set_clock(s, &clk);
    struct mxt_config c = {.schedule = MXT_SCHED_CAKE_KMN,
                           .isa = MXT_ISA_GENERIC,
                           .mr = 16,
                           .nr = 16,
                           .mc = 32,
                           .kc = 48,
                           .nc = 32,
                           .threads = 2};
    CHECK_EQ_INT(mxt_spmm_bench_measure(s, &c, &o, &r), 0);
    CHECK_EQ_INT(r.runs, 10);
    CHECK_NEAR(r.median_s, 1e-3, 1e-9);
    CHECK_EQ_INT(r.checked, 32 * 32);
    CHECK(r.within_bound);
    CHECK_NEAR(r.error_bound, 2.0 * 90 * 0x1p-24, 1e-15);
    c.mr = 64; /* another tile: packed again, still right */
    c.mc = 64;
    c.kc = 90;
    c.nr = 48;
    c.nc = 48;
    CHECK_EQ_INT(mxt_spmm_bench_measure(s, &c, &o, &r), 0);
    CHECK(r.within_bound);
    c.nc = 50; /* not a multiple of nr */
    CHECK(mxt_spmm_bench_measure(s, &c, &o, &r) == MXT_EINVAL);
    mxt_spmm_bench_destroy(s);
    CHECK(mxt_spmm_bench_create(10, 10, 10, 0, 1, &s) == MXT_EINVAL);
    /* lowrank: both orders, f32 and f64, checked against the chain's bound */
    for (int order = 0; order < 2; order++) {
        for (int dt = 0; dt < 2; dt++) {
            struct mxt_lowrank_bench *l = NULL;
            CHECK_EQ_INT(mxt_lowrank_bench_create((enum mxt_dtype)dt, 45, 38, 52, 7, order, 3, &l),
                         0);
            mxt_lowrank_bench_set_clock(l, &clk);
            struct mxt_config g = {.schedule = order ? MXT_SCHED_GOTO : MXT_SCHED_CAKE_KMN,
                                   .isa = MXT_ISA_GENERIC,
                                   .mr = dt ? 4 : 8,
                                   .nr = 4,
                                   .mc = 16,
                                   .kc = 16,
                                   .nc = 8,
                                   .threads = 1};
            CHECK_EQ_INT(mxt_lowrank_bench_measure(l, &g, &o, &r), 0);
            CHECK_EQ_INT(r.runs, 10);
            CHECK(r.within_bound);
            CHECK(r.max_rel_error <= r.error_bound);
            CHECK_NEAR(r.error_bound, 2.0 * (52 + 7) * (dt ? 0x1p-53 : 0x1p-24), 1e-15);
            g.mc = 15;
            CHECK(mxt_lowrank_bench_measure(l, &g, &o, &r) == MXT_EINVAL);
            mxt_lowrank_bench_destroy(l);
        }
    }
    struct mxt_lowrank_bench *l = NULL;
    CHECK(mxt_lowrank_bench_create(MXT_F32, 10, 10, 5, 6, 0, 1, &l) == MXT_EINVAL);
}

/* What `mxtune bench --op spmm` runs: mxt_spmm's own fallbacks for the fields not
 * given (mr and kc from the packer's rules for this A), A packed once with that
 * tile by the bench's clock and kept for the measurements; illegal tiles refused. */
MXT_TEST(spmm_bench_config) {
    const struct mxt_clock clk = {tick_clock, NULL};
    struct mxt_spmm_bench *s = NULL;
    CHECK_EQ_INT(mxt_spmm_bench_create(90, 50, 120, 0.25, 4, &s), 0);
    mxt_spmm_bench_set_clock(s, &clk);
    struct mxt_config asked = {.isa = MXT_ISA_GENERIC, .threads = 1}, c, c2;
    double pack = 0, pack2 = 0;
    CHECK_EQ_INT(mxt_spmm_bench_config(s, &asked, &c, &pack), 0);
    CHECK_NEAR(pack, 1e-3, 1e-9); /* one packing between two readings of the clock */
    CHECK_EQ_INT(c.schedule, MXT_SCHED_CAKE_KMN);
    CHECK_EQ_INT(c.isa, MXT_ISA_GENERIC);
    CHECK(c.mr >= 1 && c.mr <= MXT_ROSKO_MAX_MR);
    CHECK(c.kc >= 1 && c.kc <= 120);
    CHECK(c.nr == 16 || c.nr == 32 || c.nr == 48 || c.nr == 64);
    CHECK(c.mc > 0 && c.mc % c.mr == 0);
    CHECK(c.nc > 0 && c.nc % c.nr == 0);
    CHECK_EQ_INT(c.threads, 1);
    /* asking for what it resolved to gives it back, from the packed copy kept */
    const double before = tick_now;
    CHECK_EQ_INT(mxt_spmm_bench_config(s, &c, &c2, &pack2), 0);
    CHECK(tick_now == before);
    CHECK_NEAR(pack2, pack, 0);
    CHECK(c2.mr == c.mr && c2.nr == c.nr && c2.mc == c.mc && c2.kc == c.kc && c2.nc == c.nc);
    CHECK(c2.schedule == c.schedule && c2.isa == c.isa && c2.threads == c.threads);
    struct mxt_measure_opts o;
    mxt_measure_defaults(&o);
    o.min_time_s = 0.0045;
    o.min_runs = 3;
    struct mxt_measure_result r;
    CHECK_EQ_INT(mxt_spmm_bench_measure(s, &c, &o, &r), 0);
    CHECK(r.checked > 0 && r.within_bound);
    /* a tile asked for is the tile run */
    asked.mr = 16;
    asked.kc = 40;
    asked.nr = 32;
    CHECK_EQ_INT(mxt_spmm_bench_config(s, &asked, &c2, NULL), 0);
    CHECK_EQ_INT(c2.mr, 16);
    CHECK_EQ_INT((int)c2.kc, 40);
    CHECK_EQ_INT(c2.nr, 32);
    CHECK_EQ_INT(mxt_spmm_bench_measure(s, &c2, &o, &r), 0);
    CHECK(r.within_bound);
    asked.nr = 20; /* no such Rosko kernel */
    CHECK(mxt_spmm_bench_config(s, &asked, &c2, NULL) == MXT_EINVAL);
    asked.nr = 16;
    asked.mr = 300;
    CHECK(mxt_spmm_bench_config(s, &asked, &c2, NULL) == MXT_EINVAL);
    asked.mr = 16;
    asked.schedule = MXT_SCHED_GOTO;
    CHECK(mxt_spmm_bench_config(s, &asked, &c2, NULL) == MXT_EINVAL);
    mxt_spmm_bench_destroy(s);
}

/* mxt_tuner_predict: the space's own prediction of a configuration (spmm on
 * Rosko's view, lowrank in the space's order), without the footprint rule. */
MXT_TEST(tuner_predict_matches_the_space) {
    struct mxt_space sp;
    struct mxt_prediction p;
    for (int op = 0; op < 2; op++) {
        CHECK_EQ_INT(op ? build_op(MXT_OP_LOWRANK, MXT_F32, 256, 192, 224, 0, 24, NULL, &sp)
                        : build_op(MXT_OP_SPMM, MXT_F32, 256, 192, 224, 0.1, 0, NULL, &sp),
                     0);
        for (int i = 0; i < sp.n; i += sp.n / 9 + 1) {
            CHECK_EQ_INT(mxt_tuner_predict(&g_mm, &sp.pb, &sp.c[i].cfg, &p), 0);
            CHECK_NEAR(p.seconds, sp.c[i].predicted_s, 1e-12 * sp.c[i].predicted_s);
        }
        mxt_space_release(&sp);
    }
    /* blocks that overflow the caches: still predicted, not a candidate */
    CHECK_EQ_INT(build(2048, 2048, 2048, &sp), 0);
    struct mxt_config c = sp.c[0].cfg;
    c.mc = (int64_t)c.mr * (2000 / c.mr);
    c.kc = 2048;
    c.nc = (int64_t)c.nr * (2000 / c.nr);
    c.alpha = 0;
    CHECK(mxt_tuner_check_config(&g_mm, &sp.pb, &c, NULL) == MXT_EINVAL);
    CHECK(strstr(mxt_last_error(), "blocks need more") != NULL);
    CHECK_EQ_INT(mxt_tuner_predict(&g_mm, &sp.pb, &c, &p), 0);
    CHECK(p.seconds > 0);
    c.mc = c.mr + 1; /* not a multiple of mr: refused by both */
    CHECK(mxt_tuner_predict(&g_mm, &sp.pb, &c, &p) == MXT_EINVAL);
    mxt_space_release(&sp);
}
